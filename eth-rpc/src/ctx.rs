//! What every namespace shares: the backend, the limits, the caches, and the resolution
//! of block tags, numbers and hashes.

use crate::shared::SharedCache;
use crate::{
    EthBackend, RpcConfig,
    backend::{BlockData, BoxedState},
    error::{RpcResult, hash_not_found, header_not_found, internal, invalid_params},
};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::B256;
use bytom2_evm_adapter::{BlockHashes, CodeCache, EvmConfig};
use serde::Serialize;
use serde_json::value::RawValue;
use std::sync::Arc;

/// The whole-block answers that are built once per block and shared between requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BlockJson {
    /// `eth_getBlockBy*` with transaction hashes.
    Hashes,
    /// `eth_getBlockBy*` with full transactions.
    Full,
    /// `eth_getBlockReceipts`.
    Receipts,
}

/// Bound of the whole-block answers kept: 64 MiB of JSON (the receipts of about
/// 100,000 transfers).
const BLOCK_JSON_BYTES: usize = 64 << 20;

/// Shared state of the RPC server.
#[derive(Clone)]
pub(crate) struct EthCtx {
    /// The node.
    pub(crate) backend: Arc<dyn EthBackend>,
    /// Limits and defaults.
    pub(crate) config: Arc<RpcConfig>,
    /// The chain id (it never changes, so it is read once).
    pub(crate) chain_id: u64,
    /// The chain's execution rules (read once).
    pub(crate) evm: Arc<EvmConfig>,
    /// Analyzed contract code shared by every call's block state.
    pub(crate) code: Arc<CodeCache>,
    /// Whole-block answers by block hash, as JSON text.
    block_json: Arc<SharedCache<(B256, BlockJson), Arc<RawValue>>>,
}

impl std::fmt::Debug for EthCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EthCtx")
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

/// `BLOCKHASH` for calls: committed hashes from the backend.
pub(crate) struct BackendHashes(pub(crate) Arc<dyn EthBackend>);

impl BlockHashes for BackendHashes {
    fn block_hash(&self, number: u64) -> Option<B256> {
        self.0.block_hash(number)
    }
}

/// Bound of the code cache: 32 MiB, over a thousand contracts of the 24 KiB maximum.
const CODE_CACHE_BYTES: usize = 32 << 20;

// === impl EthCtx ===

impl EthCtx {
    /// A context over `backend`.
    pub(crate) fn new(backend: Arc<dyn EthBackend>, config: Arc<RpcConfig>) -> Self {
        let chain_id = backend.chain_id();
        let evm = Arc::new(backend.evm_config().clone());
        Self {
            backend,
            config,
            chain_id,
            evm,
            code: Arc::new(CodeCache::new(CODE_CACHE_BYTES)),
            block_json: Arc::new(SharedCache::new(BLOCK_JSON_BYTES)),
        }
    }

    /// The `kind` answer for `block` as JSON: built by `build` for the first request and
    /// shared by every later one (and by those that arrive while it is built).
    pub(crate) fn block_json<T: Serialize>(
        &self,
        block: &BlockData,
        kind: BlockJson,
        build: impl FnOnce() -> T,
    ) -> RpcResult<Arc<RawValue>> {
        self.block_json.get_or_build(
            (block.hash, kind),
            |json| json.get().len(),
            || {
                serde_json::value::to_raw_value(&build())
                    .map(Arc::from)
                    .map_err(|e| internal(e.to_string()))
            },
        )
    }

    /// The block a tag names. `pending` is `latest`: this node does not build a pending
    /// block (transactions are visible through the mempool methods and the `pending`
    /// nonce). `safe` and `finalized` are the newest final block.
    pub(crate) fn tag_number(&self, tag: BlockNumberOrTag) -> u64 {
        match tag {
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => self.backend.latest_number(),
            BlockNumberOrTag::Safe | BlockNumberOrTag::Finalized => self.backend.finalized_number(),
            BlockNumberOrTag::Earliest => 0,
            BlockNumberOrTag::Number(n) => n,
        }
    }

    /// The number of an existing block named by `id` (default `latest`), for state reads:
    /// a number above the head is "header not found", an unknown hash "header for hash
    /// not found".
    pub(crate) fn state_block(&self, id: Option<BlockId>) -> RpcResult<u64> {
        match id.unwrap_or_default() {
            BlockId::Number(tag) => {
                let n = self.tag_number(tag);
                if n > self.backend.latest_number() {
                    return Err(header_not_found());
                }
                Ok(n)
            }
            BlockId::Hash(h) => self
                .backend
                .block_number_by_hash(h.block_hash)
                .map_err(internal)?
                .ok_or_else(hash_not_found),
        }
    }

    /// The state at the end of block `number`.
    pub(crate) fn state_at(&self, number: u64) -> RpcResult<BoxedState> {
        self.backend.state_at(number).map_err(internal)
    }

    /// A committed block by number (`None` above the head).
    pub(crate) fn block(&self, number: u64) -> RpcResult<Option<Arc<BlockData>>> {
        self.backend.block_by_number(number).map_err(internal)
    }

    /// A committed block that must exist (it is at or below the head).
    pub(crate) fn existing_block(&self, number: u64) -> RpcResult<Arc<BlockData>> {
        self.block(number)?.ok_or_else(header_not_found)
    }

    /// A committed block by hash.
    pub(crate) fn block_by_hash(&self, hash: B256) -> RpcResult<Option<Arc<BlockData>>> {
        match self.backend.block_number_by_hash(hash).map_err(internal)? {
            Some(n) => Ok(self.block(n)?.filter(|b| b.hash == hash)),
            None => Ok(None),
        }
    }

    /// A block by tag or number (`None` when it does not exist).
    pub(crate) fn block_by_tag(&self, tag: BlockNumberOrTag) -> RpcResult<Option<Arc<BlockData>>> {
        self.block(self.tag_number(tag))
    }

    /// The block-hash oracle for calls.
    pub(crate) fn hashes(&self) -> BackendHashes {
        BackendHashes(self.backend.clone())
    }
}

/// Parses a `u64` quantity given as hex (`"0x10"`), decimal string or JSON number, as geth's
/// `math.HexOrDecimal64` does.
pub(crate) fn parse_quantity(value: &serde_json::Value) -> RpcResult<u64> {
    let bad = || invalid_params(format!("invalid quantity {value}"));
    match value {
        serde_json::Value::Number(n) => n.as_u64().ok_or_else(bad),
        serde_json::Value::String(s) => match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))
        {
            Some(hex) => u64::from_str_radix(hex, 16).map_err(|_| bad()),
            None => s.parse().map_err(|_| bad()),
        },
        _ => Err(bad()),
    }
}
