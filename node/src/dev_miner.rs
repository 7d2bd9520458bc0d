//! [`DevMiner`]: the single-node block producer (automine, interval mining, mining on
//! request, the development overrides of the next block and the clock). It drives the
//! node's block lifecycle like any producer: it proposes a block from the pool and
//! finalizes it at once (one validator: every block it makes is final).

use crate::{
    DbBlockHashes, Node, NodeError, Proposal,
    builder::state_nonce,
    dev_state::DevState,
    lifecycle::OpenProposal,
    producer::BlockProducer,
    production::{MinerConfig, Mining, Production},
};
use alloy_primitives::Address;
use bytom2_eth_rpc::DevBackend;
use bytom2_evm_adapter::BlockAttributes;
use bytom2_storage::LatestState;
use parking_lot::Mutex;
use std::{sync::Arc, time::Duration};

/// How often the producer adds newly arrived transactions to the block of the coming
/// interval tick.
const BUILD_AHEAD_EVERY: Duration = Duration::from_millis(50);

/// The block of the coming interval tick, built while its transactions arrive (see
/// [`DevMiner::run`]).
type OpenBlock<'a> = OpenProposal<LatestState, DbBlockHashes<'a>>;

/// The single-node miner (module docs).
#[derive(Debug)]
pub struct DevMiner {
    node: Arc<Node>,
    /// How the next blocks are made; the dev methods change it.
    production: Mutex<Production>,
    /// Development-node state (`None` on other nodes).
    dev: Option<DevState>,
}

impl BlockProducer for DevMiner {
    fn next_base_fee(&self) -> Option<u64> {
        self.production.lock().next_base_fee
    }

    fn next_gas_limit(&self) -> Option<u64> {
        self.production.lock().gas_limit
    }

    fn next_beneficiary(&self) -> Address {
        self.production.lock().beneficiary
    }

    fn wants_transactions(&self) -> bool {
        self.mining() == Mining::Auto
    }

    fn dev(self: Arc<Self>) -> Option<Arc<dyn DevBackend>> {
        if self.dev.is_some() { Some(self) } else { None }
    }
}

// === impl DevMiner ===

impl DevMiner {
    /// A miner making `node`'s blocks with `config`; it is the node's producer from now
    /// on. Nothing is mined until [`DevMiner::run`] (or a block on request).
    pub fn new(node: Arc<Node>, config: MinerConfig) -> Arc<Self> {
        let miner = Arc::new(Self {
            production: Mutex::new(Production::new(&config)),
            dev: config.dev_keys.as_deref().map(DevState::new),
            node,
        });
        let weak = Arc::downgrade(&miner);
        miner.node.attach_producer(weak);
        miner
    }

    /// The node it mines for.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    pub(crate) fn production(&self) -> &Mutex<Production> {
        &self.production
    }

    pub(crate) fn dev_state_opt(&self) -> Option<&DevState> {
        self.dev.as_ref()
    }

    /// The mining mode.
    pub fn mining(&self) -> Mining {
        self.production.lock().mining
    }

    /// Produces one block from the mempool's executable transactions and commits it.
    /// Returns its number.
    pub fn mine_block(&self) -> Result<u64, NodeError> {
        let _producing = self.node.producing.lock();
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
        let _producing = self.node.producing.lock();
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
            None => self.node.open_on_head(attrs)?,
        };
        let txs = open.select(&self.node.pool, self.node.config.max_block_txs);
        let selected = started.elapsed();
        open.add(txs)?;
        let Proposal { block, rejected } = open.finish()?;
        let executed = started.elapsed();
        let (number, txs, gas_used) = (
            block.header.number,
            block.transactions.len(),
            block.header.gas_used,
        );
        let finalized = self.node.finalize_locked(block, None, &rejected)?;
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

    /// Whether `open` can still become the next block with `attrs`: nothing was written
    /// since its state was read, and its attributes are those.
    fn still_valid(&self, open: &OpenBlock<'_>, attrs: &BlockAttributes) -> bool {
        open.generation() == self.node.chain.db().generation() && open.attributes() == attrs
    }

    /// Whether every transaction `open` took is still pooled (none replaced, dropped or
    /// evicted). Checked once, at the tick.
    fn still_pooled(&self, open: &OpenBlock<'_>) -> bool {
        let pool = self.node.pool.lock();
        open.taken().iter().all(|h| pool.contains(h))
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
        let mut attrs = self.node.chain.next_attributes(timestamp, p.beneficiary);
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
        let mut attrs = self
            .node
            .chain
            .next_attributes(p.clock_in(after), p.beneficiary);
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
        let _producing = self.node.producing.lock();
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
                if self.node.pool.lock().is_empty() {
                    return Ok(());
                }
                open.insert(self.node.open_on_head(attrs)?)
            }
        };
        let txs = o.select(&self.node.pool, self.node.config.max_block_txs);
        o.add(txs)
    }

    /// Whether the pool holds transactions that would go into the next block.
    fn has_executable(&self) -> bool {
        let Ok(state) = self.node.chain.latest() else {
            return false;
        };
        !self
            .node
            .pool
            .lock()
            .best(1, |a| state_nonce(&state, a))
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
    pub fn run(&self) -> Result<(), NodeError> {
        let (lock, cvar) = &self.node.wake;
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
                        while !*woken && !self.node.is_stopping() {
                            cvar.wait(&mut woken);
                        }
                    }
                    Mining::Interval(every) => {
                        let at = match next_tick {
                            Some((e, at)) if e == every => at,
                            _ => std::time::Instant::now() + every,
                        };
                        next_tick = Some((every, at));
                        while !*woken && !self.node.is_stopping() {
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
            if self.node.is_stopping() {
                return Ok(());
            }
            match self.mining() {
                Mining::Auto => {
                    while !self.node.is_stopping() && self.has_executable() {
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
}

#[cfg(test)]
mod build_ahead_tests {
    use super::*;
    use crate::{Chain, NodeConfig};
    use alloy_primitives::{B256, Bytes, U256};
    use alloy_signer_local::PrivateKeySigner;
    use bytom2_chainspec::{ChainSpec, DEV_CHAIN_ID, dev_accounts};
    use bytom2_eth_rpc::EthBackend;
    use bytom2_evm_adapter::testing::tx::{GWEI, TxSpec, dev_signers as keys, raw};
    use bytom2_utxo::{AssetId, StateView};

    /// A block timestamp far from the wall clock, so that both sides agree on it.
    const T: u64 = 4_000_000_000;

    fn node() -> (tempfile::TempDir, Arc<DevMiner>) {
        let dir = tempfile::tempdir().unwrap();
        let chain = Chain::open(dir.path(), ChainSpec::dev()).unwrap();
        let node = Node::new(chain, NodeConfig::default());
        let config = MinerConfig {
            mining: Mining::Interval(Duration::from_secs(3600)),
            dev_keys: Some(dev_accounts().iter().map(|a| a.private_key).collect()),
            ..MinerConfig::default()
        };
        (dir, DevMiner::new(node, config))
    }

    /// A transfer paying `tip` per gas to the fee recipient, up to 100 gwei plus `tip`.
    fn transfer(key: &PrivateKeySigner, nonce: u64, to: Address, value: u64, tip: u128) -> Bytes {
        let tx = TxSpec::call(nonce, to, U256::from(value))
            .with_fees(100 * GWEI + tip, tip)
            .sign(key, DEV_CHAIN_ID);
        raw(&tx)
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

    fn attrs(miner: &DevMiner) -> BlockAttributes {
        miner.node.chain.next_attributes(T, Address::ZERO)
    }

    /// What a block holds, without its timestamp or hash.
    fn summary(miner: &DevMiner, number: u64) -> (Vec<B256>, B256, B256, B256, u64) {
        let b = miner.node.load_block(number).unwrap().unwrap();
        (
            b.transactions.iter().map(|t| t.hash()).collect(),
            b.header.state_root,
            b.header.transactions_root,
            b.header.receipts_root,
            b.header.gas_used,
        )
    }

    fn send(miner: &DevMiner, raw: &Bytes) -> B256 {
        miner.node.send_raw_transaction(raw.clone()).unwrap()
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
        let built = open.as_ref().unwrap().executed_count();
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
        assert_eq!(ahead.node.pool.lock().len(), 0);
    }

    #[test]
    fn a_replaced_transaction_makes_the_block_built_ahead_stale() {
        let keys = keys();
        let (_d, node) = node();
        let to = keys[1].address();
        send(&node, &transfer(&keys[0], 0, to, 5, GWEI));
        let mut open = None;
        node.build_ahead_with(&mut open, attrs(&node)).unwrap();
        assert_eq!(open.as_ref().unwrap().executed_count(), 1);
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
        let state = node.node.chain.latest().unwrap();
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
        let state = node.node.chain.latest().unwrap();
        assert_eq!(state.balance(to, AssetId::BTM).unwrap(), U256::from(1_010));
    }
}
