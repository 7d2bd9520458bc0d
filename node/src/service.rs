//! The running node: chain + mempool + block producer, and the [`EthBackend`] the RPC
//! server reads through.

use crate::builder::{BlockBuilder, Rejected};
use crate::dev::{DevState, Production};
use crate::proposals::Proposals;
use crate::{Chain, DbBlockHashes, Mempool, NodeError, PoolConfig, mempool::AdmissionContext};
use alloy_primitives::{Address, B256, Bytes, map::HashSet};
use bytom2_eth_rpc::DevBackend;
use bytom2_eth_rpc::{
    BlockData, BoxedState, EthBackend, NativeFeeSchedule, PoolContent, PoolError, SharedCache,
};
use bytom2_evm_adapter::{BlockAttributes, BlockTx, EvmConfig, ExecutedBlock, RecoveredTx};
use bytom2_storage::LatestState;
use bytom2_utxo::{
    AssetId, Settlement, StateView,
    native::{
        assets::{ASSET_ISSUER, REGISTRY_SLOT_TAG},
        validate_against,
    },
};
use parking_lot::{Condvar, Mutex};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::sync::broadcast;

/// How often the producer adds newly arrived transactions to the block of the coming
/// interval tick.
const BUILD_AHEAD_EVERY: Duration = Duration::from_millis(50);

/// The block of the coming interval tick, built while its transactions arrive (see
/// [`Node::run_producer`]).
struct OpenBlock<'a> {
    builder: BlockBuilder<LatestState, DbBlockHashes<'a>>,
    /// [`bytom2_storage::Database::generation`] before its state was read.
    generation: u64,
    /// Every transaction taken from the pool (executed or left out).
    taken: HashSet<B256>,
}

impl OpenBlock<'_> {
    /// The pool's executable transactions not taken yet, in the pool's order, as many as
    /// the block has room for; they count as taken from here on.
    fn select(&mut self, pool: &Mutex<Mempool>, max: usize) -> Vec<BlockTx> {
        let room = max.saturating_sub(self.builder.executed_count());
        if room == 0 {
            return Vec::new();
        }
        let builder = &self.builder;
        // Senders' next nonces come from the block, so Ethereum transactions already
        // executed are not offered again; native ones are (no nonce), and are skipped.
        let offered = pool
            .lock()
            .best(room.saturating_add(self.taken.len()), |a| builder.nonce(a));
        let mut txs = Vec::new();
        for tx in offered {
            if txs.len() == room {
                break;
            }
            let hash = tx.hash();
            if self.taken.insert(hash) {
                txs.push(tx);
            }
        }
        txs
    }
}

/// How blocks are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mining {
    /// A block as soon as transactions arrive, holding every executable one.
    Auto,
    /// A block every interval, empty or not.
    Interval(Duration),
    /// Only on request (`evm_mine`; development nodes).
    Manual,
}

/// Node settings.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Block production mode.
    pub mining: Mining,
    /// Fee recipient of produced blocks.
    pub beneficiary: Address,
    /// Gas limit of produced blocks (`None`: keep the parent's).
    pub gas_limit: Option<u64>,
    /// Mempool limits.
    pub pool: PoolConfig,
    /// Most transactions tried per block.
    pub max_block_txs: usize,
    /// A development node: the dev methods are served and `eth_sendTransaction` signs
    /// with these secret keys (`None`: not a development node).
    pub dev_keys: Option<Vec<B256>>,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            mining: Mining::Auto,
            beneficiary: Address::ZERO,
            gas_limit: None,
            pool: PoolConfig::default(),
            max_block_txs: 50_000,
            dev_keys: None,
        }
    }
}

/// The node: chain, mempool, notifications, and the producer's wake-up signal.
#[derive(Debug)]
pub struct Node {
    chain: Chain,
    config: NodeConfig,
    pool: Mutex<Mempool>,
    wake: (Mutex<bool>, Condvar),
    stop: AtomicBool,
    blocks: broadcast::Sender<u64>,
    pending: broadcast::Sender<B256>,
    /// Recently read blocks, decoded.
    cache: SharedCache<u64, Arc<BlockData>>,
    /// How the next blocks are made; the dev methods change it.
    production: Mutex<Production>,
    /// Held while a block is produced or the dev methods change the chain, so neither
    /// sees the other half done.
    producing: Mutex<()>,
    /// Development-node state (`None` on other nodes).
    dev: Option<DevState>,
    /// Blocks executed and not finalized.
    pub(crate) proposals: Proposals,
}

/// Most transactions (plus one per block) the decoded blocks kept for RPC hold, so log
/// scans over thousands of small blocks and reads of a few huge ones both stay bounded.
/// A block is decoded once however many readers ask for it at the same time.
const BLOCK_CACHE_WEIGHT: usize = 200_000;

// === impl Node ===

impl Node {
    /// A node over `chain`.
    pub fn new(chain: Chain, config: NodeConfig) -> Arc<Self> {
        let pool = Mutex::new(Mempool::new(config.pool.clone()));
        let production = Mutex::new(Production::new(&config));
        let dev = config.dev_keys.as_deref().map(DevState::new);
        Arc::new(Self {
            chain,
            production,
            producing: Mutex::new(()),
            dev,
            config,
            pool,
            wake: (Mutex::new(false), Condvar::new()),
            stop: AtomicBool::new(false),
            blocks: broadcast::channel(1024).0,
            pending: broadcast::channel(16_384).0,
            cache: SharedCache::new(BLOCK_CACHE_WEIGHT),
            proposals: Proposals::default(),
        })
    }

    /// The chain.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    pub(crate) fn config(&self) -> &NodeConfig {
        &self.config
    }

    pub(crate) fn pool(&self) -> &Mutex<Mempool> {
        &self.pool
    }

    pub(crate) fn production(&self) -> &Mutex<Production> {
        &self.production
    }

    pub(crate) fn producing(&self) -> &Mutex<()> {
        &self.producing
    }

    pub(crate) fn dev_state_opt(&self) -> Option<&DevState> {
        self.dev.as_ref()
    }

    /// Puts a block just committed into the readers' cache.
    pub(crate) fn cache_block(&self, block: Arc<BlockData>, weight: usize) {
        self.cache.insert(block.header.number, block, weight);
    }

    /// Forgets every cached block (the chain moved back).
    pub(crate) fn clear_block_cache(&self) {
        self.cache.clear();
    }

    pub(crate) fn state_nonce(state: &dyn StateView, address: Address) -> u64 {
        state.account(address).ok().flatten().map_or(0, |a| a.nonce)
    }

    pub(crate) fn signal(&self) {
        let (lock, cvar) = &self.wake;
        *lock.lock() = true;
        cvar.notify_one();
    }

    /// Whether [`Node::shutdown`] was called.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Asks the producer to stop after the block in progress.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.signal();
    }

    /// Produces one block from the mempool's executable transactions and commits it.
    /// Returns its number.
    pub fn mine_block(&self) -> Result<u64, NodeError> {
        let _producing = self.producing.lock();
        self.mine_block_locked(None)
    }

    /// [`Node::mine_block`] with the production lock held; `timestamp` overrides the
    /// clock (and moves it: later blocks follow on from there).
    pub(crate) fn mine_block_locked(&self, timestamp: Option<u64>) -> Result<u64, NodeError> {
        Ok(self.mine_block_from(timestamp, None)?.0)
    }

    /// Mines the block at an interval tick, starting from the block built ahead of it
    /// when that is still valid.
    fn mine_block_at_tick<'a>(&'a self, open: Option<OpenBlock<'a>>) -> Result<u64, NodeError> {
        let _producing = self.producing.lock();
        Ok(self.mine_block_from(None, open)?.0)
    }

    /// [`Node::mine_block_locked`], continuing `open` if it was built over the present
    /// head and state with the same attributes and all its transactions are still in the
    /// pool; otherwise from scratch. Either way the block holds what building it from
    /// scratch now would hold, up to the order of transactions that arrived meanwhile.
    /// Returns the block's number and whether `open` was continued.
    fn mine_block_from<'a>(
        &'a self,
        timestamp: Option<u64>,
        open: Option<OpenBlock<'a>>,
    ) -> Result<(u64, bool), NodeError> {
        let started = std::time::Instant::now();
        let attrs = self.take_attributes(timestamp);
        let reused = open.filter(|o| self.still_valid(o, &attrs) && self.still_pooled(o));
        let continued = reused.is_some();
        let mut open = match reused {
            Some(o) => o,
            None => self.open_block(attrs)?,
        };
        let txs = open.select(&self.pool, self.config.max_block_txs);
        let selected = started.elapsed();
        open.builder.add(txs)?;
        let (block, rejected) = open.builder.finish()?;
        let executed = started.elapsed();
        let (number, txs, gas_used) = (
            block.header.number,
            block.transactions.len(),
            block.header.gas_used,
        );
        let finalized = self.finalize_locked(block, None, &rejected)?;
        tracing::info!(
            target: "node::producer",
            number,
            txs,
            gas_used,
            built_ahead = continued,
            select_ms = selected.as_secs_f64() * 1e3,
            execute_ms = (executed - selected).as_secs_f64() * 1e3,
            commit_ms = (started.elapsed() - executed).as_secs_f64() * 1e3,
            "built block"
        );
        Ok((finalized, continued))
    }

    /// A new block with `attrs` over the head's state.
    fn open_block(&self, attrs: BlockAttributes) -> Result<OpenBlock<'_>, NodeError> {
        // Read before the state: a write after it makes the block stale, never the
        // other way round.
        let generation = self.chain.db().generation();
        let state = self.chain.latest()?;
        Ok(OpenBlock {
            builder: self
                .chain
                .builder(state, DbBlockHashes(self.chain.db()), attrs)?,
            generation,
            taken: HashSet::default(),
        })
    }

    /// Whether `open` can still become the next block with `attrs`: nothing was written
    /// since its state was read, and its attributes are those.
    fn still_valid(&self, open: &OpenBlock<'_>, attrs: &BlockAttributes) -> bool {
        open.generation == self.chain.db().generation() && open.builder.attributes() == attrs
    }

    /// Whether every transaction `open` took is still pooled (none replaced, dropped or
    /// evicted). Checked once, at the tick.
    fn still_pooled(&self, open: &OpenBlock<'_>) -> bool {
        let pool = self.pool.lock();
        open.taken.iter().all(|h| pool.contains(h))
    }

    /// The attributes of the next block, using up the one-off development overrides.
    fn take_attributes(&self, timestamp: Option<u64>) -> BlockAttributes {
        let mut p = self.production.lock();
        let timestamp = match timestamp.or(p.next_timestamp.take()) {
            Some(t) => {
                p.follow_on_from(t);
                t
            }
            None => p.clock(),
        };
        let mut attrs = self.chain.next_attributes(timestamp, p.beneficiary);
        if let Some(limit) = p.gas_limit {
            attrs.gas_limit = limit;
        }
        if let Some(fee) = p.next_base_fee.take() {
            attrs.base_fee = fee;
        }
        if let Some(randao) = p.next_prev_randao.take() {
            attrs.prev_randao = randao;
        }
        attrs
    }

    /// The attributes the block at a tick `after` from now will have, if no one-off
    /// override is pending (with one, nothing is built ahead).
    fn predicted_attributes(&self, after: Duration) -> Option<BlockAttributes> {
        let p = self.production.lock();
        if p.next_timestamp.is_some() || p.next_base_fee.is_some() || p.next_prev_randao.is_some() {
            return None;
        }
        let mut attrs = self.chain.next_attributes(p.clock_in(after), p.beneficiary);
        if let Some(limit) = p.gas_limit {
            attrs.gas_limit = limit;
        }
        Some(attrs)
    }

    /// Executes the transactions that arrived since the last call into the block for the
    /// tick `after` from now, opening that block first if there is none or it went stale.
    /// As geth's miner keeps its pending block up to date: at the tick, only what arrived
    /// since is left to execute before the block is settled and committed.
    fn build_ahead<'a>(
        &'a self,
        open: &mut Option<OpenBlock<'a>>,
        after: Duration,
    ) -> Result<(), NodeError> {
        let _producing = self.producing.lock();
        let Some(attrs) = self.predicted_attributes(after) else {
            *open = None;
            return Ok(());
        };
        self.build_ahead_with(open, attrs)
    }

    /// [`Node::build_ahead`] for a block with `attrs` (the production lock held).
    fn build_ahead_with<'a>(
        &'a self,
        open: &mut Option<OpenBlock<'a>>,
        attrs: BlockAttributes,
    ) -> Result<(), NodeError> {
        if open.as_ref().is_some_and(|o| !self.still_valid(o, &attrs)) {
            *open = None;
        }
        let o = match open {
            Some(o) => o,
            None => {
                if self.pool.lock().is_empty() {
                    return Ok(());
                }
                open.insert(self.open_block(attrs)?)
            }
        };
        let txs = o.select(&self.pool, self.config.max_block_txs);
        o.builder.add(txs)
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
            .prune(|a| Self::state_nonce(&state, a), spent, &invalid);
        let number = block.header.number;
        let _ = self.blocks.send(number);
        Ok(number)
    }

    /// Validates an Ethereum transaction (sender known) against the head and adds it to
    /// the mempool.
    pub(crate) fn admit_eth(&self, tx: RecoveredTx, size: usize) -> Result<B256, PoolError> {
        let err = |message: String| PoolError { message };
        let hash = tx.hash;
        let base_fee = self.next_base_fee();
        let gas_limit = self.next_gas_limit();
        // Read the state under the pool lock: a block committed in between prunes the
        // pool under the same lock, so a stale nonce cannot slip in.
        let mut pool = self.pool.lock();
        let state = self.chain.latest().map_err(|e| err(e.to_string()))?;
        let ctx = AdmissionContext {
            chain_id: self.chain.spec().chain_id,
            base_fee,
            gas_limit,
            state_nonce: Self::state_nonce(&state, tx.sender),
            balance: state
                .balance(tx.sender, AssetId::BTM)
                .map_err(|e| err(e.to_string()))?,
        };
        drop(state);
        pool.add(tx, size, ctx).map_err(err)?;
        drop(pool);
        tracing::debug!(target: "node::pool", %hash, "accepted transaction");
        let _ = self.pending.send(hash);
        if self.mining() == Mining::Auto {
            self.signal();
        }
        Ok(hash)
    }

    /// Whether the pool holds transactions that would go into the next block.
    fn has_executable(&self) -> bool {
        let Ok(state) = self.chain.latest() else {
            return false;
        };
        !self
            .pool
            .lock()
            .best(1, |a| Self::state_nonce(&state, a))
            .is_empty()
    }

    /// The producer loop: runs on its own thread until [`Node::shutdown`]. A block in
    /// progress is always finished and committed before it returns.
    ///
    /// With interval mining, the block of the coming tick is built while its
    /// transactions arrive: every [`BUILD_AHEAD_EVERY`] the transactions that arrived
    /// since are executed into it, so that at the tick only the latest ones are left
    /// before it is settled and committed. A write to the state in between (a block
    /// mined on request, a development edit), a changed attribute (timestamp, fee
    /// recipient, gas limit, an override) or a transaction gone from the pool makes it
    /// stale, and the tick's block is then built from scratch.
    pub fn run_producer(self: &Arc<Self>) -> Result<(), NodeError> {
        let (lock, cvar) = &self.wake;
        // The next interval tick; reset when the mode changes.
        let mut next_tick: Option<(Duration, std::time::Instant)> = None;
        let mut open: Option<OpenBlock<'_>> = None;
        loop {
            let mining = self.mining();
            let mut build_ahead = None;
            let tick = {
                let mut woken = lock.lock();
                let mut tick = false;
                match mining {
                    Mining::Auto | Mining::Manual => {
                        next_tick = None;
                        open = None;
                        while !*woken && !self.stop.load(Ordering::SeqCst) {
                            cvar.wait(&mut woken);
                        }
                    }
                    Mining::Interval(every) => {
                        let at = match next_tick {
                            Some((e, at)) if e == every => at,
                            _ => std::time::Instant::now() + every,
                        };
                        next_tick = Some((every, at));
                        while !*woken && !self.stop.load(Ordering::SeqCst) {
                            let now = std::time::Instant::now();
                            if now >= at {
                                tick = true;
                                // Catch up without a burst after a stall.
                                next_tick = Some((every, (at + every).max(now)));
                                break;
                            }
                            let until = (now + BUILD_AHEAD_EVERY).min(at);
                            if cvar.wait_until(&mut woken, until).timed_out() && until < at {
                                build_ahead = Some(at.saturating_duration_since(until));
                                break;
                            }
                        }
                    }
                }
                *woken = false;
                tick
            };
            if self.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            match self.mining() {
                Mining::Auto => {
                    while !self.stop.load(Ordering::SeqCst) && self.has_executable() {
                        self.mine_block()?;
                    }
                }
                Mining::Interval(_) if tick => {
                    self.mine_block_at_tick(open.take())?;
                }
                Mining::Interval(_) => {
                    if let Some(after) = build_ahead
                        && let Err(e) = self.build_ahead(&mut open, after)
                    {
                        // The tick builds the block from scratch and reports what fails.
                        tracing::warn!(target: "node::producer", error = %e, "building ahead failed");
                        open = None;
                    }
                }
                Mining::Manual => {}
            }
        }
    }

    /// Block `number` decoded for RPC, from the cache or the database.
    fn load_block(&self, number: u64) -> Result<Option<Arc<BlockData>>, String> {
        if number > self.latest_number() {
            return Ok(None);
        }
        // A block not committed (a race with a dev revert) is not found and nothing is
        // kept for it.
        let loaded = self.cache.get_or_build(
            number,
            |b| 1 + b.transactions.len(),
            || match self.decode_block(number) {
                Ok(Some(block)) => Ok(Arc::new(block)),
                Ok(None) => Err(None),
                Err(e) => Err(Some(e)),
            },
        );
        match loaded {
            Ok(block) => Ok(Some(block)),
            Err(None) => Ok(None),
            Err(Some(e)) => Err(e),
        }
    }

    /// The RPC view of a block just committed, its transactions and logs moved out of
    /// it (the rest of `block` stays for pool maintenance).
    pub(crate) fn block_data(block: &mut ExecutedBlock) -> BlockData {
        let executed = std::mem::take(&mut block.transactions);
        let count = executed.len();
        let mut transactions = Vec::with_capacity(count);
        let mut receipts = Vec::with_capacity(count);
        for e in executed {
            let (tx, receipt) = e.into_tx_and_receipt();
            transactions.push(tx);
            receipts.push(receipt);
        }
        BlockData::new(block.header.clone(), block.hash, transactions, receipts)
    }

    /// Reads and decodes block `number` (`None` when it is not committed).
    fn decode_block(&self, number: u64) -> Result<Option<BlockData>, String> {
        let db = self.chain.db();
        let Some(header) = db.header(number).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let (raw, senders) = db
            .body(number)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let receipts = db
            .receipts(number)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let mut transactions = Vec::with_capacity(raw.len());
        for (bytes, sender) in raw.iter().zip(senders) {
            transactions.push(decode_stored(bytes, sender)?);
        }
        let hash = header.hash_slow();
        Ok(Some(BlockData::new(header, hash, transactions, receipts)))
    }
}

impl EthBackend for Node {
    fn chain_id(&self) -> u64 {
        self.chain.spec().chain_id
    }

    fn evm_config(&self) -> &EvmConfig {
        self.chain.evm_config()
    }

    fn latest_number(&self) -> u64 {
        self.chain.head().header.number
    }

    fn finalized_number(&self) -> u64 {
        // One validator in dev mode: every committed block is final.
        self.latest_number()
    }

    fn block_by_number(&self, number: u64) -> Result<Option<Arc<BlockData>>, String> {
        self.load_block(number)
    }

    fn logs_bloom(&self, number: u64) -> Result<Option<alloy_primitives::Bloom>, String> {
        if let Some(b) = self.cache.get(&number) {
            return Ok(Some(b.header.logs_bloom));
        }
        let header = self.chain.db().header(number).map_err(|e| e.to_string())?;
        Ok(header.map(|h| h.logs_bloom))
    }

    fn block_number_by_hash(&self, hash: B256) -> Result<Option<u64>, String> {
        self.chain
            .db()
            .block_number(hash)
            .map_err(|e| e.to_string())
    }

    fn transaction_location(&self, hash: B256) -> Result<Option<(u64, u32)>, String> {
        self.chain.db().tx_location(hash).map_err(|e| e.to_string())
    }

    fn state_at(&self, number: u64) -> Result<BoxedState, String> {
        let db = self.chain.db();
        if number >= self.latest_number() {
            return db
                .latest()
                .map(|s| Box::new(s) as BoxedState)
                .map_err(|e| e.to_string());
        }
        db.state_at(number)
            .map(|s| Box::new(s) as BoxedState)
            .map_err(|e| e.to_string())
    }

    fn block_hash(&self, number: u64) -> Option<B256> {
        self.chain
            .db()
            .header(number)
            .ok()
            .flatten()
            .map(|h| h.hash_slow())
    }

    fn next_base_fee(&self) -> u64 {
        let p = self.production.lock();
        p.next_base_fee.unwrap_or_else(|| {
            self.chain
                .next_attributes(p.clock(), p.beneficiary)
                .base_fee
        })
    }

    fn next_gas_limit(&self) -> u64 {
        self.production
            .lock()
            .gas_limit
            .unwrap_or_else(|| self.chain.head().header.gas_limit)
    }

    fn next_beneficiary(&self) -> Address {
        self.production.lock().beneficiary
    }

    fn send_raw_transaction(&self, raw: Bytes) -> Result<B256, PoolError> {
        let err = |message: String| PoolError { message };
        let size = raw.len();
        if size > self.config.pool.max_tx_size {
            return Err(err("oversized data".into()));
        }
        // Signatures are recovered here, outside the pool lock, on the RPC's threads.
        let tx = match BlockTx::decode(&raw).map_err(|e| err(e.to_string()))? {
            BlockTx::Eth(tx) => tx,
            BlockTx::Native(tx) => {
                let hash = tx.hash;
                let base_fee = self.next_base_fee();
                // The rules are checked against the head outside the pool lock, so
                // submissions validate in parallel. A block committed meanwhile can spend
                // an input: the block builder checks again and evicts such a transaction.
                let state = self.chain.latest().map_err(|e| err(e.to_string()))?;
                let spec = self.chain.spec();
                let v = validate_against(
                    &state,
                    &tx,
                    spec.chain_id,
                    &spec.params.fees,
                    base_fee,
                    &self.chain.native_limits(),
                )
                .map_err(|e| err(e.to_string()))?;
                let mut pool = self.pool.lock();
                pool.add_native(tx, v.spent, |owner| {
                    state.balance(owner, AssetId::BTM).unwrap_or_default()
                })
                .map_err(err)?;
                drop(pool);
                tracing::debug!(target: "node::pool", %hash, "accepted native transaction");
                let _ = self.pending.send(hash);
                if self.mining() == Mining::Auto {
                    self.signal();
                }
                return Ok(hash);
            }
        };
        self.admit_eth(tx, size)
    }

    fn pending_nonce(&self, address: Address) -> Result<u64, String> {
        let state = self.chain.latest().map_err(|e| e.to_string())?;
        let nonce = Self::state_nonce(&state, address);
        Ok(self.pool.lock().pending_nonce(address, nonce))
    }

    fn pool_transaction(&self, hash: B256) -> Option<BlockTx> {
        self.pool.lock().get(&hash)
    }

    fn pool_content(&self) -> PoolContent {
        let Ok(state) = self.chain.latest() else {
            return PoolContent::default();
        };
        let (pending, queued) = self.pool.lock().content(|a| Self::state_nonce(&state, a));
        PoolContent { pending, queued }
    }

    fn subscribe_blocks(&self) -> broadcast::Receiver<u64> {
        self.blocks.subscribe()
    }

    fn subscribe_pending_transactions(&self) -> broadcast::Receiver<B256> {
        self.pending.subscribe()
    }

    fn list_assets(&self) -> Result<Vec<AssetId>, String> {
        let entries = self
            .chain
            .db()
            .storage_entries(ASSET_ISSUER)
            .map_err(|e| e.to_string())?;
        let mut assets: Vec<AssetId> = entries
            .into_iter()
            .filter(|(slot, _)| slot.to_be_bytes::<32>()[..12] == REGISTRY_SLOT_TAG[..])
            .map(|(_, id)| AssetId(B256::from(id)))
            .collect();
        assets.sort_unstable();
        Ok(assets)
    }

    fn block_settlement(&self, number: u64) -> Result<Option<Settlement>, String> {
        let db = self.chain.db();
        let Some(header) = db.header(number).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let stored = db.settlement(number).map_err(|e| e.to_string())?;
        Ok(Some(match stored {
            Some(s) => s,
            None => Settlement {
                id: bytom2_evm_adapter::settlement_id(number, header.parent_hash),
                ..Default::default()
            },
        }))
    }

    fn dev(&self) -> Option<&dyn DevBackend> {
        self.dev.as_ref().map(|_| self as &dyn DevBackend)
    }

    fn native_fee_schedule(&self) -> NativeFeeSchedule {
        NativeFeeSchedule::from_spec(self.chain.spec())
    }
}

/// A stored transaction: an Ethereum one keeps the stored sender (no recovery); a native
/// one with one signature takes the stored sender as its signer, one with several is
/// recovered (its signers are shown).
fn decode_stored(bytes: &[u8], sender: Address) -> Result<BlockTx, String> {
    use alloy_eips::eip2718::Decodable2718;
    if bytes.first() == Some(&bytom2_utxo::native::NATIVE_TX_TYPE) {
        return bytom2_utxo::native::RecoveredNative::decode_stored(bytes, sender)
            .map(BlockTx::Native)
            .map_err(|e| e.to_string());
    }
    let tx =
        alloy_consensus::TxEnvelope::decode_2718(&mut &bytes[..]).map_err(|e| e.to_string())?;
    Ok(BlockTx::Eth(RecoveredTx::with_sender(
        tx,
        sender,
        Bytes::copy_from_slice(bytes),
    )))
}

#[cfg(test)]
mod build_ahead_tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{TxKind, U256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use bytom2_chainspec::{ChainSpec, DEV_CHAIN_ID, dev_accounts};

    const GWEI: u128 = 1_000_000_000;
    /// A block timestamp far from the wall clock, so that both sides agree on it.
    const T: u64 = 4_000_000_000;

    fn node() -> (tempfile::TempDir, Arc<Node>) {
        let dir = tempfile::tempdir().unwrap();
        let chain = Chain::open(dir.path(), ChainSpec::dev()).unwrap();
        let config = NodeConfig {
            mining: Mining::Interval(Duration::from_secs(3600)),
            dev_keys: Some(dev_accounts().iter().map(|a| a.private_key).collect()),
            ..NodeConfig::default()
        };
        (dir, Node::new(chain, config))
    }

    fn keys() -> Vec<PrivateKeySigner> {
        dev_accounts()
            .iter()
            .map(|a| PrivateKeySigner::from_bytes(&a.private_key).unwrap())
            .collect()
    }

    /// A transfer paying `tip` per gas to the fee recipient, up to 100 gwei plus `tip`.
    fn transfer(key: &PrivateKeySigner, nonce: u64, to: Address, value: u64, tip: u128) -> Bytes {
        let tx = TxEip1559 {
            chain_id: DEV_CHAIN_ID,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 100 * GWEI + tip,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(to),
            value: U256::from(value),
            access_list: Default::default(),
            input: Bytes::new(),
        };
        let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
    }

    /// Three rounds of transfers from four senders, each to the next.
    fn rounds() -> Vec<Vec<Bytes>> {
        let keys = keys();
        (0..3u64)
            .map(|round| {
                (0..4)
                    .map(|i| {
                        let to = keys[(i + 1) % 4].address();
                        transfer(&keys[i], round, to, 1_000 + round, GWEI)
                    })
                    .collect()
            })
            .collect()
    }

    fn attrs(node: &Node) -> BlockAttributes {
        node.chain.next_attributes(T, Address::ZERO)
    }

    /// What a block holds, without its timestamp or hash.
    fn summary(node: &Node, number: u64) -> (Vec<B256>, B256, B256, B256, u64) {
        let b = node.load_block(number).unwrap().unwrap();
        (
            b.transactions.iter().map(|t| t.hash()).collect(),
            b.header.state_root,
            b.header.transactions_root,
            b.header.receipts_root,
            b.header.gas_used,
        )
    }

    fn send(node: &Node, raw: &Bytes) -> B256 {
        node.send_raw_transaction(raw.clone()).unwrap()
    }

    #[test]
    fn a_block_built_ahead_equals_the_block_built_at_the_tick() {
        let rounds = rounds();
        let (_a, ahead) = node();
        let mut open = None;
        for round in &rounds[..2] {
            round.iter().for_each(|r| {
                send(&ahead, r);
            });
            ahead.build_ahead_with(&mut open, attrs(&ahead)).unwrap();
        }
        let built = open.as_ref().unwrap().builder.executed_count();
        assert_eq!(built, 8, "two rounds executed ahead");
        rounds[2].iter().for_each(|r| {
            send(&ahead, r);
        });
        let (number, continued) = ahead.mine_block_from(Some(T), open).unwrap();
        assert!(continued);

        let (_b, scratch) = node();
        rounds.iter().flatten().for_each(|r| {
            send(&scratch, r);
        });
        let (n, continued) = scratch.mine_block_from(Some(T), None).unwrap();
        assert!(!continued);
        assert_eq!(n, number);
        let (a, b) = (summary(&ahead, number), summary(&scratch, n));
        assert_eq!(a.0.len(), 12);
        assert_eq!(a, b);
        assert_eq!(ahead.pool.lock().len(), 0);
    }

    #[test]
    fn a_replaced_transaction_makes_the_block_built_ahead_stale() {
        let keys = keys();
        let (_d, node) = node();
        let to = keys[1].address();
        send(&node, &transfer(&keys[0], 0, to, 5, GWEI));
        let mut open = None;
        node.build_ahead_with(&mut open, attrs(&node)).unwrap();
        assert_eq!(open.as_ref().unwrap().builder.executed_count(), 1);
        // The same nonce with a far higher fee replaces it in the pool.
        let replacement = send(&node, &transfer(&keys[0], 0, to, 7, 50 * GWEI));
        let (number, continued) = node.mine_block_from(Some(T), open).unwrap();
        assert!(!continued);
        assert_eq!(summary(&node, number).0, vec![replacement]);
    }

    #[test]
    fn a_state_write_makes_the_block_built_ahead_stale() {
        let keys = keys();
        let (_d, node) = node();
        let (from, to) = (&keys[0], keys[1].address());
        let first = send(&node, &transfer(from, 0, to, 5, GWEI));
        let mut open = None;
        node.build_ahead_with(&mut open, attrs(&node)).unwrap();
        // A development edit of the recipient's balance after its transfer ran ahead.
        node.set_balance(to, U256::from(1_000)).unwrap();
        let (number, continued) = node.mine_block_from(Some(T), open).unwrap();
        assert!(!continued);
        assert_eq!(summary(&node, number).0, vec![first]);
        let state = node.chain.latest().unwrap();
        assert_eq!(state.balance(to, AssetId::BTM).unwrap(), U256::from(1_005));

        // A block mined on request in between: the transfer it holds runs once.
        let second = send(&node, &transfer(from, 1, to, 5, GWEI));
        let mut open = None;
        node.build_ahead_with(&mut open, attrs(&node)).unwrap();
        let mined = node.mine_block().unwrap();
        assert_eq!(summary(&node, mined).0, vec![second]);
        let (number, continued) = node.mine_block_from(Some(T + 10), open).unwrap();
        assert!(!continued);
        assert!(summary(&node, number).0.is_empty());
        let state = node.chain.latest().unwrap();
        assert_eq!(state.balance(to, AssetId::BTM).unwrap(), U256::from(1_010));
    }
}
