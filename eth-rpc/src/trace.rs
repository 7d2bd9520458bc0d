//! The `trace` namespace (Parity/OpenEthereum format): `trace_transaction` and
//! `trace_block`, by replaying the block ([`Replay`]). Native UTXO transactions run no
//! EVM code and have no traces; unknown transactions and blocks are `null`.

use crate::{
    ctx::EthCtx,
    error::RpcResult,
    replay::{Replay, Step, locate},
};
use alloy_eips::BlockId;
use alloy_primitives::B256;
use alloy_rpc_types_eth::TransactionInfo;
use alloy_rpc_types_trace::parity::LocalizedTransactionTrace;
use jsonrpsee::proc_macros::rpc;
use revm_inspectors::tracing::{TracingInspector, TracingInspectorConfig};

/// Parity's tracing methods.
#[rpc(server, namespace = "trace")]
pub(crate) trait TraceRpc {
    /// `trace_transaction`: the call traces of a mined transaction.
    #[method(name = "transaction", blocking)]
    fn transaction(&self, hash: B256) -> RpcResult<Option<Vec<LocalizedTransactionTrace>>>;

    /// `trace_block`: the call traces of every transaction of a block.
    #[method(name = "block", blocking)]
    fn block(&self, block: BlockId) -> RpcResult<Option<Vec<LocalizedTransactionTrace>>>;
}

/// Implementation of [`TraceRpcServer`].
#[derive(Debug)]
pub(crate) struct TraceApi {
    ctx: EthCtx,
}

impl TraceApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }
}

impl TraceRpcServer for TraceApi {
    fn transaction(&self, hash: B256) -> RpcResult<Option<Vec<LocalizedTransactionTrace>>> {
        let Some((block, index)) = locate(&self.ctx, hash)? else {
            return Ok(None);
        };
        let mut replay = Replay::new(&self.ctx, block)?;
        replay.run_until(index)?;
        parity_next(&mut replay).map(Some)
    }

    fn block(&self, block: BlockId) -> RpcResult<Option<Vec<LocalizedTransactionTrace>>> {
        let block = match block {
            BlockId::Hash(h) => self.ctx.block_by_hash(h.block_hash)?,
            BlockId::Number(tag) => self.ctx.block_by_tag(tag)?,
        };
        let Some(block) = block else {
            return Ok(None);
        };
        if block.transactions.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let mut replay = Replay::new(&self.ctx, block)?;
        let mut traces = Vec::new();
        while replay.next_tx().is_some() {
            traces.extend(parity_next(&mut replay)?);
        }
        Ok(Some(traces))
    }
}

/// The Parity traces of the next transaction of `replay` (none for a native one).
fn parity_next(replay: &mut Replay) -> RpcResult<Vec<LocalizedTransactionTrace>> {
    let block = replay.block();
    let info = TransactionInfo {
        hash: replay.next_tx().map(|tx| tx.hash()),
        index: Some(replay.position() as u64),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        base_fee: block.header.base_fee_per_gas,
        ..Default::default()
    };
    let inspector = TracingInspector::new(TracingInspectorConfig::default_parity());
    let step = replay.trace_next(inspector, |inspector, _, _| {
        inspector
            .into_parity_builder()
            .into_localized_transaction_traces(info)
    })?;
    Ok(match step {
        Step::Eth(traces) => traces,
        Step::Native => Vec::new(),
    })
}
