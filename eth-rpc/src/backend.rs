//! What the RPC server needs from the node: chain data, archive state, the mempool and
//! notifications. The node implements [`EthBackend`] over its storage and mempool; tests
//! implement it in memory.

use crate::{DevBackend, DposBackend, PoolContent, PoolError, log_index::LogIndex};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256};
use bytom2_chainspec::ChainSpec;
use bytom2_evm_adapter::{BlockTx, EvmConfig};
use bytom2_utxo::{AssetId, Settlement, StateView, StoredReceipt};
use std::sync::{Arc, OnceLock};
use tokio::sync::broadcast;

/// A whole committed block.
#[derive(Debug, Clone)]
pub struct BlockData {
    /// The header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// Transactions with senders and hashes, in block order.
    pub transactions: Vec<BlockTx>,
    /// Their receipts (same length and order).
    pub receipts: Vec<StoredReceipt>,
    /// The block-wide index of each transaction's first log, so that one receipt is
    /// answered without counting the logs before it.
    first_log: Vec<u64>,
    /// Its logs by address and topic, built by the first log query that reads them.
    log_index: OnceLock<LogIndex>,
}

// === impl BlockData ===

impl BlockData {
    /// A block of `transactions` with their `receipts` (same order).
    pub fn new(
        header: Header,
        hash: B256,
        transactions: Vec<BlockTx>,
        receipts: Vec<StoredReceipt>,
    ) -> Self {
        let mut next = 0u64;
        let first_log = receipts
            .iter()
            .map(|r| {
                let first = next;
                next += r.logs.len() as u64;
                first
            })
            .collect();
        Self {
            header,
            hash,
            transactions,
            receipts,
            first_log,
            log_index: OnceLock::new(),
        }
    }

    /// The block's logs by address and topic (built on first use, once).
    pub(crate) fn log_index(&self) -> &LogIndex {
        self.log_index
            .get_or_init(|| LogIndex::new(self.receipts.iter().map(|r| r.logs.as_slice())))
    }

    /// The block-wide log index of the first log of transaction `index`.
    pub fn first_log_index(&self, index: usize) -> u64 {
        self.first_log.get(index).copied().unwrap_or_default()
    }
}

/// The native-transaction gas schedule and dust limit of the chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NativeFeeSchedule {
    /// Gas of every native transaction.
    pub base: u64,
    /// Gas per input.
    pub per_input: u64,
    /// Gas per output.
    pub per_output: u64,
    /// Gas per envelope byte.
    pub per_byte: u64,
    /// Gas of an issuance.
    pub issuance: u64,
    /// Smallest BTM output.
    pub min_output_amount: U256,
}

// === impl NativeFeeSchedule ===

impl NativeFeeSchedule {
    /// The schedule of a chain spec.
    pub fn from_spec(spec: &ChainSpec) -> Self {
        let f = &spec.params.fees;
        Self {
            base: f.native_gas_base,
            per_input: f.native_gas_per_input,
            per_output: f.native_gas_per_output,
            per_byte: f.native_gas_per_byte,
            issuance: f.native_gas_issuance,
            min_output_amount: spec.params.min_output_amount,
        }
    }
}

/// A state view the RPC may move to a blocking thread.
pub type BoxedState = Box<dyn StateView + Send>;

/// The node as the RPC server sees it. Methods may block (storage reads): the server
/// calls them off the async threads.
pub trait EthBackend: Send + Sync + 'static {
    /// EIP-155 chain id.
    fn chain_id(&self) -> u64;

    /// Number of the newest committed block.
    fn latest_number(&self) -> u64;

    /// Number of the newest final block (`finalized` and `safe` tags). In dev mode every
    /// block is final at once.
    fn finalized_number(&self) -> u64;

    /// A committed block by number.
    fn block_by_number(&self, number: u64) -> Result<Option<Arc<BlockData>>, String>;

    /// The bloom of a committed block's logs, read without loading the block. The default
    /// loads the block; a store that keeps headers apart should answer from the header.
    fn logs_bloom(&self, number: u64) -> Result<Option<alloy_primitives::Bloom>, String> {
        Ok(self.block_by_number(number)?.map(|b| b.header.logs_bloom))
    }

    /// The number of a committed block by hash.
    fn block_number_by_hash(&self, hash: B256) -> Result<Option<u64>, String>;

    /// Where a committed transaction is: `(block number, index)`.
    fn transaction_location(&self, hash: B256) -> Result<Option<(u64, u32)>, String>;

    /// The state at the end of block `number` (archive).
    fn state_at(&self, number: u64) -> Result<BoxedState, String>;

    /// Hash of block `number` (for `BLOCKHASH` in calls).
    fn block_hash(&self, number: u64) -> Option<B256>;

    /// Base fee of the next block.
    fn next_base_fee(&self) -> u64;

    /// Block gas limit of the next block.
    fn next_gas_limit(&self) -> u64;

    /// Fee recipient of the next block.
    fn next_beneficiary(&self) -> Address;

    /// Validates `raw` (an EIP-2718 envelope) and adds it to the mempool; returns its hash.
    fn send_raw_transaction(&self, raw: Bytes) -> Result<B256, PoolError>;

    /// The nonce `address` would use next counting its contiguous mempool transactions
    /// (the `pending` tag of `eth_getTransactionCount`).
    fn pending_nonce(&self, address: Address) -> Result<u64, String>;

    /// A transaction waiting in the mempool.
    fn pool_transaction(&self, hash: B256) -> Option<BlockTx>;

    /// The mempool's contents.
    fn pool_content(&self) -> PoolContent;

    /// Numbers of newly committed blocks, in order.
    fn subscribe_blocks(&self) -> broadcast::Receiver<u64>;

    /// Hashes of transactions newly accepted into the mempool.
    fn subscribe_pending_transactions(&self) -> broadcast::Receiver<B256>;

    /// Every native asset created so far (not BTM), by asset id. The default: none.
    fn list_assets(&self) -> Result<Vec<AssetId>, String> {
        Ok(Vec::new())
    }

    /// What the settlement of block `number` spent and created.
    fn block_settlement(&self, number: u64) -> Result<Option<Settlement>, String> {
        let _ = number;
        Err("settlements are not available on this node".into())
    }

    /// The chain's execution rules (calls, estimates and traces run under them).
    fn evm_config(&self) -> &EvmConfig;

    /// The native-transaction gas schedule.
    fn native_fee_schedule(&self) -> NativeFeeSchedule {
        NativeFeeSchedule::default()
    }

    /// The development controls (`evm_*`, `anvil_*`, `hardhat_*`,
    /// `eth_sendTransaction`), on a development node only. The default: none, and those
    /// methods answer `-32601`.
    fn dev(&self) -> Option<Arc<dyn DevBackend>> {
        None
    }

    /// The consensus views (`dpos_*`), on a node of a BFT network (validator or full
    /// node). Read when the server starts: with `None` the `dpos_*` methods are not
    /// registered and answer `-32601`. The default: none (a development node).
    fn dpos(&self) -> Option<Arc<dyn DposBackend>> {
        None
    }

    /// `(starting, current, highest)` block while this node is catching up with its
    /// peers (`eth_syncing`), `None` when it follows the chain. The default: never
    /// syncing (a development node).
    fn sync_status(&self) -> Option<(u64, u64, u64)> {
        None
    }
}
