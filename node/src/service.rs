//! The node: the chain, the pool, the unfinalized blocks, the readers' cache of decoded
//! blocks, and the notifications. Blocks come in through one lifecycle (module
//! `lifecycle`: propose, verify, finalize) whoever makes them: the single-node miner
//! ([`crate::DevMiner`]) or, later, the BFT network. What the RPC server reads is in
//! module `reads`, transaction admission in `admission`.

use crate::{
    Chain, Mempool, NodeError, PoolConfig,
    builder::{Rejected, state_nonce},
    producer::BlockProducer,
    proposals::Proposals,
};
use alloy_primitives::B256;
use bytom2_eth_rpc::{BlockData, SharedCache};
use bytom2_evm_adapter::ExecutedBlock;
use parking_lot::{Condvar, Mutex, RwLock};
use std::sync::{
    Arc, Weak,
    atomic::{AtomicBool, Ordering},
};
use tokio::sync::broadcast;

/// Node settings.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Mempool limits.
    pub pool: PoolConfig,
    /// Most transactions tried per block.
    pub max_block_txs: usize,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            pool: PoolConfig::default(),
            max_block_txs: 50_000,
        }
    }
}

/// The node (module docs).
pub struct Node {
    pub(crate) chain: Chain,
    pub(crate) config: NodeConfig,
    pub(crate) pool: Mutex<Mempool>,
    /// Set when a transaction arrives, for a producer that waits for them.
    pub(crate) wake: (Mutex<bool>, Condvar),
    pub(crate) stop: AtomicBool,
    pub(crate) blocks: broadcast::Sender<u64>,
    pub(crate) pending: broadcast::Sender<B256>,
    /// Recently read blocks, decoded.
    pub(crate) cache: SharedCache<u64, Arc<BlockData>>,
    /// Held while a block is produced, verified or finalized, or the dev methods change
    /// the chain, so that none sees another half done.
    pub(crate) producing: Mutex<()>,
    /// Blocks executed and not finalized.
    pub(crate) proposals: Proposals,
    /// Who makes this node's blocks (what RPC reports of the next block, the dev
    /// methods), if anyone.
    producer: RwLock<Option<Weak<dyn BlockProducer>>>,
    /// Where raw transactions admitted here go to be gossiped (network nodes).
    relay: RwLock<Option<tokio::sync::mpsc::Sender<bytes::Bytes>>>,
    /// The `dpos_*` answers, on a network node.
    pub(crate) dpos: RwLock<Option<Arc<dyn bytom2_eth_rpc::DposBackend>>>,
    /// Where the current catch-up started (`eth_syncing`'s `startingBlock`).
    pub(crate) sync_start: Mutex<Option<u64>>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("head", &self.chain.head().header.number)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Most transactions (plus one per block) the decoded blocks kept for RPC hold, so log
/// scans over thousands of small blocks and reads of a few huge ones both stay bounded.
/// A block is decoded once however many readers ask for it at the same time.
const BLOCK_CACHE_WEIGHT: usize = 200_000;

// === impl Node ===

impl Node {
    /// A node over `chain`. Nothing produces blocks until a producer is attached
    /// ([`crate::DevMiner::new`]) or blocks are finalized from elsewhere.
    pub fn new(chain: Chain, config: NodeConfig) -> Arc<Self> {
        let pool = Mutex::new(Mempool::new(config.pool.clone()));
        Arc::new(Self {
            chain,
            producing: Mutex::new(()),
            config,
            pool,
            wake: (Mutex::new(false), Condvar::new()),
            stop: AtomicBool::new(false),
            blocks: broadcast::channel(1024).0,
            pending: broadcast::channel(16_384).0,
            cache: SharedCache::new(BLOCK_CACHE_WEIGHT),
            proposals: Proposals::default(),
            producer: RwLock::new(None),
            relay: RwLock::new(None),
            dpos: RwLock::new(None),
            sync_start: Mutex::new(None),
        })
    }

    /// The chain.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The settings.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// Makes `producer` the one that makes this node's blocks (held weakly: the node
    /// does not keep it alive).
    pub(crate) fn attach_producer(&self, producer: Weak<dyn BlockProducer>) {
        *self.producer.write() = Some(producer);
    }

    /// The producer, while one is attached and alive.
    pub(crate) fn producer(&self) -> Option<Arc<dyn BlockProducer>> {
        self.producer.read().as_ref().and_then(Weak::upgrade)
    }

    /// Sends every raw transaction admitted from now on to `relay` (the network's
    /// gossip); a full queue drops it from gossip, not from the pool.
    pub(crate) fn attach_relay(&self, relay: tokio::sync::mpsc::Sender<bytes::Bytes>) {
        *self.relay.write() = Some(relay);
    }

    /// Answers `dpos_*` with `backend` (a network node).
    pub(crate) fn attach_dpos(&self, backend: Arc<dyn bytom2_eth_rpc::DposBackend>) {
        *self.dpos.write() = Some(backend);
    }

    /// Hands an admitted raw transaction to the gossip, if any.
    pub(crate) fn relay(&self, raw: bytes::Bytes) {
        if let Some(relay) = self.relay.read().as_ref() {
            let _ = relay.try_send(raw);
        }
    }

    /// Puts a block just committed into the readers' cache.
    pub(crate) fn cache_block(&self, block: Arc<BlockData>, weight: usize) {
        self.cache.insert(block.header.number, block, weight);
    }

    /// Forgets every cached block (the chain moved back).
    pub(crate) fn clear_block_cache(&self) {
        self.cache.clear();
    }

    /// Wakes a producer waiting on [`Node::wake`].
    pub(crate) fn signal(&self) {
        let (lock, cvar) = &self.wake;
        *lock.lock() = true;
        cvar.notify_one();
    }

    /// Whether [`Node::shutdown`] was called.
    pub fn is_stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Asks the producer to stop after the block in progress.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.signal();
    }

    /// After a committed block: evicts the transactions that can never run, prunes the
    /// pool, and announces the block.
    pub(crate) fn after_block(
        &self,
        block: &ExecutedBlock,
        rejected: &[Rejected],
    ) -> Result<u64, NodeError> {
        let invalid: Vec<B256> = rejected
            .iter()
            .filter(|r| r.is_permanent())
            .map(|r| {
                tracing::debug!(target: "node::pool", hash = %r.hash, error = %r.error, "evicted invalid transaction");
                r.hash
            })
            .collect();
        let state = self.chain.latest()?;
        // Outputs the block spent (its native transactions' inputs and the settlement's
        // spends); pooled transactions spending them are gone.
        let spent = block
            .changes
            .coins
            .iter()
            .filter(|c| c.old.is_some() && c.new.is_none())
            .map(|c| c.key);
        self.pool
            .lock()
            .prune(|a| state_nonce(&state, a), spent, &invalid);
        let number = block.header.number;
        let _ = self.blocks.send(number);
        Ok(number)
    }
}
