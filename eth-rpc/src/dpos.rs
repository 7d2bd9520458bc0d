//! The `dpos_*` namespace: the node's view of BFT consensus, committees, finalization
//! certificates and evidence of misbehaviour (docs/dpos-rpc.md). Every method is
//! read-only.
//!
//! The methods are registered only when the backend takes part in a BFT network
//! ([`EthBackend::dpos`](crate::EthBackend::dpos) returns `Some`); on a development
//! node every one of them is `-32601` "the method X does not exist/is not available",
//! exactly like an unknown method, whatever its parameters.

use crate::{
    DposBackend,
    ctx::EthCtx,
    dev::Quantity,
    dpos_backend::{DposCommittee, DposEvidence, DposFinalization, DposStatus},
    error::{RpcResult, internal, invalid_params, method_not_found},
};
use alloy_eips::{BlockId, BlockNumberOrTag};
use jsonrpsee::proc_macros::rpc;
use std::sync::Arc;

/// Widest range of `dpos_getEvidence`: `toBlock - fromBlock` at most this (a wider one
/// is `-32602`).
pub const MAX_EVIDENCE_BLOCK_RANGE: u64 = 10_000;

/// Most pieces of evidence one `dpos_getEvidence` answers (more is `-32602`, asking for
/// a narrower range).
pub const MAX_EVIDENCE_RESULTS: usize = 10_000;

/// `dpos_*` methods.
#[rpc(server, namespace = "dpos")]
pub(crate) trait DposRpc {
    /// `dpos_status`: role, key, epoch and view, finality, leader, peers.
    #[method(name = "status", blocking)]
    fn status(&self) -> RpcResult<DposStatus>;

    /// `dpos_committee`: the committee of `epoch` (default: the current one); `null`
    /// for an unknown epoch.
    #[method(name = "committee", blocking)]
    fn committee(&self, epoch: Option<Quantity>) -> RpcResult<Option<DposCommittee>>;

    /// `dpos_getFinalization`: the certificate that finalized a block; `null` for an
    /// unknown block and for genesis.
    #[method(name = "getFinalization", blocking)]
    fn get_finalization(&self, block: BlockId) -> RpcResult<Option<DposFinalization>>;

    /// `dpos_getEvidence`: the evidence first seen in an inclusive range of blocks.
    #[method(name = "getEvidence", blocking)]
    fn get_evidence(
        &self,
        from_block: BlockNumberOrTag,
        to_block: BlockNumberOrTag,
    ) -> RpcResult<Vec<DposEvidence>>;
}

/// Implementation of [`DposRpcServer`].
#[derive(Debug)]
pub(crate) struct DposApi {
    ctx: EthCtx,
}

impl DposApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }

    /// The consensus backend, or `-32601` for `method` on a node without one.
    fn dpos(&self, method: &str) -> RpcResult<Arc<dyn DposBackend>> {
        self.ctx
            .backend
            .dpos()
            .ok_or_else(|| method_not_found(method))
    }

    /// The number of the committed block `block` names; `None` when there is none.
    fn block_number(&self, block: BlockId) -> RpcResult<Option<u64>> {
        let backend = &self.ctx.backend;
        match block {
            BlockId::Number(tag) => {
                let n = self.ctx.tag_number(tag);
                Ok((n <= backend.latest_number()).then_some(n))
            }
            BlockId::Hash(h) => backend.block_number_by_hash(h.block_hash).map_err(internal),
        }
    }
}

impl DposRpcServer for DposApi {
    fn status(&self) -> RpcResult<DposStatus> {
        self.dpos("dpos_status")?.status().map_err(internal)
    }

    fn committee(&self, epoch: Option<Quantity>) -> RpcResult<Option<DposCommittee>> {
        let dpos = self.dpos("dpos_committee")?;
        let epoch = epoch.map_or_else(|| dpos.current_epoch(), |e| e.0);
        dpos.committee(epoch).map_err(internal)
    }

    fn get_finalization(&self, block: BlockId) -> RpcResult<Option<DposFinalization>> {
        let dpos = self.dpos("dpos_getFinalization")?;
        match self.block_number(block)? {
            // Genesis is final by definition: no certificate.
            None | Some(0) => Ok(None),
            Some(n) => dpos.finalization(n).map_err(internal),
        }
    }

    fn get_evidence(
        &self,
        from_block: BlockNumberOrTag,
        to_block: BlockNumberOrTag,
    ) -> RpcResult<Vec<DposEvidence>> {
        let dpos = self.dpos("dpos_getEvidence")?;
        let from = self.ctx.tag_number(from_block);
        let to = self.ctx.tag_number(to_block);
        if from > to {
            return Err(invalid_params(format!(
                "invalid block range params: fromBlock {from} is after toBlock {to}"
            )));
        }
        if to - from > MAX_EVIDENCE_BLOCK_RANGE {
            return Err(invalid_params(format!(
                "block range too wide: toBlock - fromBlock is {}, at most {MAX_EVIDENCE_BLOCK_RANGE}",
                to - from
            )));
        }
        let evidence = dpos
            .evidence(from, to, MAX_EVIDENCE_RESULTS + 1)
            .map_err(internal)?;
        if evidence.len() > MAX_EVIDENCE_RESULTS {
            return Err(invalid_params(format!(
                "query exceeds max results {MAX_EVIDENCE_RESULTS}, retry with a narrower block range"
            )));
        }
        Ok(evidence)
    }
}
