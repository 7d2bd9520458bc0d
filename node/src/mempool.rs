//! The mempool: transactions waiting for a block, per sender in nonce order.
//!
//! - A transaction is *pending* when its nonce continues the sender's state nonce without
//!   a gap, *queued* otherwise; blocks take pending ones, oldest arrival first, in nonce
//!   order per sender.
//! - Admission checks (geth's messages): size (128 KiB), chain id, EIP-155 protection
//!   (unless allowed), intrinsic gas, block gas limit, fee cap against the next base fee,
//!   tip not above the fee cap, nonce not below the state's, balance covering
//!   `gas × maxFee + value`, duplicates (`already known`).
//! - Replacing a transaction (same sender and nonce) needs both fee caps raised by at
//!   least 10%; otherwise `replacement transaction underpriced`.
//! - Bounded by count and bytes: a full pool answers `txpool is full`.
//! - After each block, included and stale transactions are removed, and those the block
//!   builder found invalid are evicted (never mined).
//! - Native transactions (no nonce) wait beside them, in arrival order. The pool never
//!   holds two transactions spending one output, and never a native transaction that
//!   spends BTM its owner's pending Ethereum transactions need (nor an Ethereum
//!   transaction its owner's pool-spent outputs no longer cover).

use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256, U256, map::HashMap};
use bytom2_evm_adapter::{BlockTx, RecoveredTx, SPEC_ID};
use bytom2_utxo::{AssetId, Coin, OutPoint, native::RecoveredNative};
use revm::context_interface::cfg::gas::calculate_initial_tx_gas_for_tx;
use std::collections::BTreeMap;

/// Limits of the pool.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// At most this many transactions.
    pub max_count: usize,
    /// At most this many bytes of encoded transactions.
    pub max_bytes: usize,
    /// Largest accepted transaction (encoded).
    pub max_tx_size: usize,
    /// Minimum raise of both fee caps to replace, in percent.
    pub price_bump: u128,
    /// Accept transactions without EIP-155 replay protection.
    pub allow_unprotected: bool,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_count: 100_000,
            max_bytes: 256 * 1024 * 1024,
            max_tx_size: 128 * 1024,
            price_bump: 10,
            allow_unprotected: true,
        }
    }
}

/// What the pool needs to know of the chain to admit a transaction.
#[derive(Debug, Clone, Copy)]
pub struct AdmissionContext {
    /// The chain id.
    pub chain_id: u64,
    /// Base fee of the next block.
    pub base_fee: u64,
    /// Gas limit of the next block.
    pub gas_limit: u64,
    /// Sender's nonce in the head state.
    pub state_nonce: u64,
    /// Sender's BTM balance in the head state.
    pub balance: U256,
}

#[derive(Debug, Clone)]
struct Pooled {
    tx: RecoveredTx,
    size: usize,
    arrival: u64,
}

/// The most a transaction can take from its sender: `gas × maxFee + value`.
fn max_cost(tx: &RecoveredTx) -> U256 {
    let t = &tx.tx;
    U256::from(t.gas_limit())
        .saturating_mul(U256::from(t.max_fee_per_gas()))
        .saturating_add(t.value())
}

#[derive(Debug, Clone)]
struct PooledNative {
    tx: RecoveredNative,
    spent: Vec<(OutPoint, Coin)>,
    size: usize,
    arrival: u64,
}

/// Transactions waiting for inclusion.
#[derive(Debug, Default)]
pub struct Mempool {
    config: PoolConfig,
    by_hash: HashMap<B256, (Address, u64)>,
    by_sender: HashMap<Address, BTreeMap<u64, Pooled>>,
    native: HashMap<B256, PooledNative>,
    /// Which pooled native transaction spends each output.
    spent_by: HashMap<OutPoint, B256>,
    /// BTM of each owner that pooled native transactions spend.
    native_btm_spent: HashMap<Address, U256>,
    bytes: usize,
    next_arrival: u64,
}

// === impl Mempool ===

impl Mempool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            ..Default::default()
        }
    }

    /// Number of transactions held.
    pub fn len(&self) -> usize {
        self.by_hash.len() + self.native.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `hash` is held.
    pub fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash) || self.native.contains_key(hash)
    }

    /// A held transaction of either kind.
    pub fn get(&self, hash: &B256) -> Option<BlockTx> {
        if let Some(n) = self.native.get(hash) {
            return Some(BlockTx::Native(n.tx.clone()));
        }
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.by_sender
            .get(sender)?
            .get(nonce)
            .map(|p| BlockTx::Eth(p.tx.clone()))
    }

    /// Number of native transactions held.
    pub fn native_len(&self) -> usize {
        self.native.len()
    }

    /// What `owner`'s pending Ethereum transactions may cost at most:
    /// `Σ gas × maxFee + value`, and the first one's hash.
    fn eth_cost(&self, owner: Address) -> (U256, Option<B256>) {
        let Some(queue) = self.by_sender.get(&owner) else {
            return (U256::ZERO, None);
        };
        let cost = queue
            .values()
            .fold(U256::ZERO, |acc, p| acc.saturating_add(max_cost(&p.tx)));
        (cost, queue.values().next().map(|p| p.tx.hash))
    }

    /// Adds a native transaction that passed the rules against the head state (`spent`:
    /// its inputs with their coins). `btm_balance` is an owner's BTM in the head state.
    pub fn add_native(
        &mut self,
        tx: RecoveredNative,
        spent: Vec<(OutPoint, Coin)>,
        btm_balance: impl Fn(Address) -> U256,
    ) -> Result<(), String> {
        if self.contains(&tx.hash) {
            return Err("already known".into());
        }
        let size = tx.size();
        if size > self.config.max_tx_size {
            return Err("oversized data".into());
        }
        for (op, _) in &spent {
            if let Some(other) = self.spent_by.get(op) {
                return Err(format!(
                    "input {op} is already spent by pending transaction {other}"
                ));
            }
        }
        // Each owner's BTM left after this and the other pooled native spends must still
        // cover its pending Ethereum transactions.
        let mut spends: BTreeMap<Address, (U256, OutPoint)> = BTreeMap::new();
        for (op, coin) in &spent {
            if coin.output.asset == AssetId::BTM {
                let e = spends.entry(coin.output.owner).or_insert((U256::ZERO, *op));
                e.0 = e.0.saturating_add(coin.output.amount);
            }
        }
        for (owner, (amount, op)) in &spends {
            let (cost, first) = self.eth_cost(*owner);
            let Some(first) = first else { continue };
            let already = self
                .native_btm_spent
                .get(owner)
                .copied()
                .unwrap_or_default();
            let left = btm_balance(*owner)
                .saturating_sub(already)
                .saturating_sub(*amount);
            if left < cost {
                return Err(format!(
                    "input {op} is needed to settle pending transaction {first} of {owner}"
                ));
            }
        }
        if self.len() + 1 > self.config.max_count || self.bytes + size > self.config.max_bytes {
            return Err("txpool is full".into());
        }
        for (owner, (amount, _)) in spends {
            *self.native_btm_spent.entry(owner).or_default() += amount;
        }
        for (op, _) in &spent {
            self.spent_by.insert(*op, tx.hash);
        }
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.bytes += size;
        self.native.insert(
            tx.hash,
            PooledNative {
                tx,
                spent,
                size,
                arrival,
            },
        );
        Ok(())
    }

    fn remove_native(&mut self, hash: &B256) -> Option<RecoveredNative> {
        let pooled = self.native.remove(hash)?;
        for (op, coin) in &pooled.spent {
            self.spent_by.remove(op);
            if coin.output.asset == AssetId::BTM
                && let Some(v) = self.native_btm_spent.get_mut(&coin.output.owner)
            {
                *v = v.saturating_sub(coin.output.amount);
                if v.is_zero() {
                    self.native_btm_spent.remove(&coin.output.owner);
                }
            }
        }
        self.bytes -= pooled.size;
        Some(pooled.tx)
    }

    /// Validates and adds `tx` (encoded size `size`). Returns the hash of a transaction
    /// it replaced, if any.
    pub fn add(
        &mut self,
        tx: RecoveredTx,
        size: usize,
        ctx: AdmissionContext,
    ) -> Result<Option<B256>, String> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err("already known".into());
        }
        if size > self.config.max_tx_size {
            return Err("oversized data".into());
        }
        let t = &tx.tx;
        match t.chain_id() {
            Some(id) if id != ctx.chain_id => return Err("invalid chain id".into()),
            None if !self.config.allow_unprotected => {
                return Err("only replay-protected (EIP-155) transactions allowed over RPC".into());
            }
            _ => {}
        }
        if t.gas_limit() > ctx.gas_limit {
            return Err("exceeds block gas limit".into());
        }
        let intrinsic = calculate_initial_tx_gas_for_tx(tx.to_tx_env(), SPEC_ID, None);
        let needed =
            (intrinsic.initial_regular_gas + intrinsic.initial_state_gas).max(intrinsic.floor_gas);
        if t.gas_limit() < needed {
            return Err("intrinsic gas too low".into());
        }
        if let Some(tip) = t.max_priority_fee_per_gas()
            && tip > t.max_fee_per_gas()
        {
            return Err("max priority fee per gas higher than max fee per gas".into());
        }
        if t.max_fee_per_gas() < ctx.base_fee as u128 {
            return Err(format!(
                "max fee per gas less than block base fee: address {}, maxFeePerGas: {}, baseFee: {}",
                tx.sender,
                t.max_fee_per_gas(),
                ctx.base_fee
            ));
        }
        if t.nonce() < ctx.state_nonce {
            return Err(format!(
                "nonce too low: next nonce {}, tx nonce {}",
                ctx.state_nonce,
                t.nonce()
            ));
        }
        let cost = max_cost(&tx);
        // Outputs that pooled native transactions spend are gone for this sender.
        let balance = ctx.balance.saturating_sub(
            self.native_btm_spent
                .get(&tx.sender)
                .copied()
                .unwrap_or_default(),
        );
        if cost > balance {
            return Err(format!(
                "insufficient funds for gas * price + value: address {} have {} want {}",
                tx.sender, balance, cost
            ));
        }
        let replaced = match self
            .by_sender
            .get(&tx.sender)
            .and_then(|q| q.get(&t.nonce()))
        {
            Some(old) => {
                let bump = |old: u128| old.saturating_mul(100 + self.config.price_bump) / 100;
                let old_tip = old
                    .tx
                    .tx
                    .max_priority_fee_per_gas()
                    .unwrap_or(old.tx.tx.max_fee_per_gas());
                let new_tip = t.max_priority_fee_per_gas().unwrap_or(t.max_fee_per_gas());
                if t.max_fee_per_gas() < bump(old.tx.tx.max_fee_per_gas())
                    || new_tip < bump(old_tip)
                {
                    return Err("replacement transaction underpriced".into());
                }
                Some(old.tx.hash)
            }
            None => None,
        };
        let freed = replaced.map_or(0, |_| 1);
        if self.len() + 1 - freed > self.config.max_count
            || self.bytes + size > self.config.max_bytes
        {
            return Err("txpool is full".into());
        }
        if let Some(old) = replaced {
            self.remove_eth(&old);
        }
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.bytes += size;
        self.by_hash.insert(tx.hash, (tx.sender, t.nonce()));
        self.by_sender
            .entry(tx.sender)
            .or_default()
            .insert(t.nonce(), Pooled { tx, size, arrival });
        Ok(replaced)
    }

    /// Removes a transaction of either kind; returns it.
    pub fn remove(&mut self, hash: &B256) -> Option<BlockTx> {
        if let Some(n) = self.remove_native(hash) {
            return Some(BlockTx::Native(n));
        }
        self.remove_eth(hash).map(BlockTx::Eth)
    }

    fn remove_eth(&mut self, hash: &B256) -> Option<RecoveredTx> {
        let (sender, nonce) = self.by_hash.remove(hash)?;
        let queue = self.by_sender.get_mut(&sender)?;
        let pooled = queue.remove(&nonce)?;
        if queue.is_empty() {
            self.by_sender.remove(&sender);
        }
        self.bytes -= pooled.size;
        Some(pooled.tx)
    }

    /// The nonce after `sender`'s transactions that continue `state_nonce` without gap.
    pub fn pending_nonce(&self, sender: Address, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(queue) = self.by_sender.get(&sender) {
            for nonce in queue.range(state_nonce..).map(|(n, _)| *n) {
                if nonce != next {
                    break;
                }
                next += 1;
            }
        }
        next
    }

    /// Splits the pool into pending (executable) and queued transactions by sender and
    /// nonce, given each sender's state nonce.
    #[allow(clippy::type_complexity)]
    pub fn content(
        &self,
        state_nonce: impl Fn(Address) -> u64,
    ) -> (
        BTreeMap<Address, BTreeMap<u64, RecoveredTx>>,
        BTreeMap<Address, BTreeMap<u64, RecoveredTx>>,
    ) {
        let mut pending = BTreeMap::new();
        let mut queued = BTreeMap::new();
        for (sender, queue) in &self.by_sender {
            let mut next = state_nonce(*sender);
            for (nonce, p) in queue {
                let target = if *nonce == next {
                    next += 1;
                    &mut pending
                } else {
                    &mut queued
                };
                target
                    .entry(*sender)
                    .or_insert_with(BTreeMap::new)
                    .insert(*nonce, p.tx.clone());
            }
        }
        (pending, queued)
    }

    /// Executable transactions of both kinds for the next block, at most `max`: the
    /// Ethereum ones of [`Self::best_eth`] and the native ones, merged by arrival.
    pub fn best(&self, max: usize, state_nonce: impl Fn(Address) -> u64) -> Vec<BlockTx> {
        let eth = self.best_eth_with_arrival(max, state_nonce);
        let mut native: Vec<&PooledNative> = self.native.values().collect();
        native.sort_unstable_by_key(|p| p.arrival);
        let mut out = Vec::with_capacity(max.min(eth.len() + native.len()));
        let (mut e, mut n) = (eth.into_iter().peekable(), native.into_iter().peekable());
        while out.len() < max {
            let take_native = match (e.peek(), n.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((a, _)), Some(p)) => p.arrival < *a,
            };
            if take_native {
                let p = n.next().expect("peeked");
                out.push(BlockTx::Native(p.tx.clone()));
            } else {
                let (_, t) = e.next().expect("peeked");
                out.push(BlockTx::Eth(t));
            }
        }
        out
    }

    /// Executable Ethereum transactions, at most `max`: each sender's contiguous run from
    /// its state nonce, merged by arrival of each run's next transaction.
    pub fn best_eth(&self, max: usize, state_nonce: impl Fn(Address) -> u64) -> Vec<RecoveredTx> {
        self.best_eth_with_arrival(max, state_nonce)
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    fn best_eth_with_arrival(
        &self,
        max: usize,
        state_nonce: impl Fn(Address) -> u64,
    ) -> Vec<(u64, RecoveredTx)> {
        // (arrival of the run's head, sender, next nonce)
        let mut heads: std::collections::BinaryHeap<std::cmp::Reverse<(u64, Address, u64)>> = self
            .by_sender
            .iter()
            .filter_map(|(sender, queue)| {
                let nonce = state_nonce(*sender);
                queue
                    .get(&nonce)
                    .map(|p| std::cmp::Reverse((p.arrival, *sender, nonce)))
            })
            .collect();
        let mut out = Vec::new();
        while out.len() < max {
            let Some(std::cmp::Reverse((_, sender, nonce))) = heads.pop() else {
                break;
            };
            let queue = &self.by_sender[&sender];
            let p = &queue[&nonce];
            out.push((p.arrival, p.tx.clone()));
            if let Some(next) = queue.get(&(nonce + 1)) {
                heads.push(std::cmp::Reverse((next.arrival, sender, nonce + 1)));
            }
        }
        out
    }

    /// After a block: drops transactions whose nonce is below their sender's state nonce
    /// (included or replaced on chain), native transactions that spend one of the outputs
    /// the block spent (`spent`: included, or spent by another), and evicts `invalid`
    /// ones. The block's spends are looked up in the pool's index, so the cost does not
    /// grow with the number of pooled native transactions (reading every pooled input
    /// from the state held the pool lock for a read per transaction).
    pub fn prune(
        &mut self,
        state_nonce: impl Fn(Address) -> u64,
        spent: impl IntoIterator<Item = OutPoint>,
        invalid: &[B256],
    ) {
        for hash in invalid {
            self.remove(hash);
        }
        let gone: Vec<B256> = spent
            .into_iter()
            .filter_map(|op| self.spent_by.get(&op).copied())
            .collect();
        for hash in gone {
            self.remove_native(&hash);
        }
        let stale: Vec<B256> = self
            .by_sender
            .iter()
            .flat_map(|(sender, queue)| {
                let nonce = state_nonce(*sender);
                queue
                    .range(..nonce)
                    .map(|(_, p)| p.tx.hash)
                    .collect::<Vec<_>>()
            })
            .collect();
        for hash in stale {
            self.remove(&hash);
        }
    }

    /// Senders with transactions in the pool.
    pub fn senders(&self) -> Vec<Address> {
        self.by_sender.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
    use alloy_primitives::{TxKind, address};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    const GWEI: u128 = 1_000_000_000;

    fn key(i: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(i + 1)).unwrap()
    }

    fn tx(signer: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> RecoveredTx {
        let t = TxEip1559 {
            chain_id: 7,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(address!("0x000000000000000000000000000000000000dead")),
            value: U256::from(1),
            access_list: Default::default(),
            input: Default::default(),
        };
        let sig = signer.sign_hash_sync(&t.signature_hash()).unwrap();
        RecoveredTx::recover(TxEnvelope::from(t.into_signed(sig))).unwrap()
    }

    fn ctx(state_nonce: u64) -> AdmissionContext {
        AdmissionContext {
            chain_id: 7,
            base_fee: GWEI as u64,
            gas_limit: 30_000_000,
            state_nonce,
            balance: U256::from(10u128.pow(20)),
        }
    }

    #[test]
    fn pending_nonce_counts_contiguous_transactions_only() {
        let k = key(0);
        let mut pool = Mempool::new(PoolConfig::default());
        for n in [0, 1, 3] {
            pool.add(tx(&k, n, 2 * GWEI, 1), 100, ctx(0)).unwrap();
        }
        assert_eq!(pool.pending_nonce(k.address(), 0), 2);
        let (pending, queued) = pool.content(|_| 0);
        assert_eq!(pending[&k.address()].len(), 2);
        assert_eq!(
            queued[&k.address()].keys().copied().collect::<Vec<_>>(),
            vec![3]
        );
        assert_eq!(pool.best(10, |_| 0).len(), 2);
    }

    #[test]
    fn admission_errors_use_geth_messages() {
        let k = key(1);
        let mut pool = Mempool::new(PoolConfig::default());
        let t = tx(&k, 0, 2 * GWEI, 1);
        pool.add(t.clone(), 100, ctx(0)).unwrap();
        assert_eq!(pool.add(t, 100, ctx(0)).unwrap_err(), "already known");
        let low = pool.add(tx(&k, 0, 3 * GWEI, 1), 100, ctx(3)).unwrap_err();
        assert_eq!(low, "nonce too low: next nonce 3, tx nonce 0");
        let err = pool.add(tx(&k, 5, GWEI / 2, 1), 100, ctx(0)).unwrap_err();
        assert!(
            err.starts_with("max fee per gas less than block base fee"),
            "{err}"
        );
        let err = pool
            .add(tx(&k, 5, 2 * GWEI, 3 * GWEI), 100, ctx(0))
            .unwrap_err();
        assert_eq!(err, "max priority fee per gas higher than max fee per gas");
        let mut poor = ctx(0);
        poor.balance = U256::from(5);
        let err = pool.add(tx(&k, 5, 2 * GWEI, 1), 100, poor).unwrap_err();
        assert!(
            err.starts_with("insufficient funds for gas * price + value"),
            "{err}"
        );
        let err = pool
            .add(tx(&k, 6, 2 * GWEI, 1), 200 * 1024, ctx(0))
            .unwrap_err();
        assert_eq!(err, "oversized data");
        let mut other_chain = ctx(0);
        other_chain.chain_id = 8;
        assert_eq!(
            pool.add(tx(&k, 7, 2 * GWEI, 1), 100, other_chain)
                .unwrap_err(),
            "invalid chain id"
        );
    }

    #[test]
    fn replacement_needs_both_caps_raised_ten_percent() {
        let k = key(2);
        let mut pool = Mempool::new(PoolConfig::default());
        let first = tx(&k, 0, 10 * GWEI, 2 * GWEI);
        pool.add(first.clone(), 100, ctx(0)).unwrap();
        let err = pool
            .add(tx(&k, 0, 11 * GWEI, 2 * GWEI), 100, ctx(0))
            .unwrap_err();
        assert_eq!(err, "replacement transaction underpriced");
        let err = pool
            .add(tx(&k, 0, 10 * GWEI + 1, 3 * GWEI), 100, ctx(0))
            .unwrap_err();
        assert_eq!(err, "replacement transaction underpriced");
        let replaced = pool
            .add(tx(&k, 0, 11 * GWEI, 22 * GWEI / 10), 100, ctx(0))
            .unwrap();
        assert_eq!(replaced, Some(first.hash));
        assert_eq!(pool.len(), 1);
    }

    #[test]
    fn full_pool_refuses_and_prune_evicts() {
        let mut pool = Mempool::new(PoolConfig {
            max_count: 2,
            ..PoolConfig::default()
        });
        let (a, b, c) = (key(3), key(4), key(5));
        let ta = tx(&a, 0, 2 * GWEI, 1);
        pool.add(ta.clone(), 100, ctx(0)).unwrap();
        let tb = tx(&b, 0, 2 * GWEI, 1);
        pool.add(tb.clone(), 100, ctx(0)).unwrap();
        assert_eq!(
            pool.add(tx(&c, 0, 2 * GWEI, 1), 100, ctx(0)).unwrap_err(),
            "txpool is full"
        );
        // a's transaction was mined (state nonce 1), b's turned invalid.
        let a_addr = a.address();
        pool.prune(|s| if s == a_addr { 1 } else { 0 }, [], &[tb.hash]);
        assert!(pool.is_empty());
    }

    #[test]
    fn best_orders_by_arrival_and_nonce() {
        let (a, b) = (key(6), key(7));
        let mut pool = Mempool::new(PoolConfig::default());
        let a0 = tx(&a, 0, 2 * GWEI, 1);
        let b0 = tx(&b, 0, 2 * GWEI, 1);
        let a1 = tx(&a, 1, 2 * GWEI, 1);
        for t in [&a1, &b0, &a0] {
            pool.add(t.clone(), 100, ctx(0)).unwrap();
        }
        let order: Vec<B256> = pool.best(10, |_| 0).iter().map(|t| t.hash()).collect();
        // a's run starts with a0 (arrived last), so b0 goes first, then a0, a1.
        assert_eq!(order, vec![b0.hash, a0.hash, a1.hash]);
    }

    fn native(
        signer: &PrivateKeySigner,
        input: OutPoint,
        amount: u64,
    ) -> (RecoveredNative, Vec<(OutPoint, Coin)>) {
        use bytom2_utxo::{CoinOrigin, Output, native::NativeTx};
        let mut t = NativeTx {
            chain_id: 7,
            inputs: vec![input],
            outputs: vec![Output::new(
                AssetId::BTM,
                U256::from(amount % 1000 + 1),
                Address::repeat_byte(5),
            )],
            issuance: None,
            signatures: vec![],
        };
        t.signatures = vec![signer.sign_hash_sync(&t.sighash()).unwrap()];
        let tx = RecoveredNative::decode(&t.encoded_2718()).unwrap();
        let coin = Coin::new(
            Output::new(AssetId::BTM, U256::from(amount), signer.address()),
            CoinOrigin::new(0, 0, input.index),
        );
        (tx, vec![(input, coin)])
    }

    #[test]
    fn native_double_spends_and_settlement_conflicts_are_refused() {
        let mut pool = Mempool::new(PoolConfig::default());
        let a = key(1);
        let op = OutPoint::new(B256::repeat_byte(1), 0);
        let op2 = OutPoint::new(B256::repeat_byte(1), 1);
        let balance = |_: Address| U256::from(10u128.pow(20));
        let (t1, s1) = native(&a, op, 10u128.pow(18) as u64);
        pool.add_native(t1.clone(), s1.clone(), balance).unwrap();
        assert_eq!(
            pool.add_native(t1.clone(), s1, balance).unwrap_err(),
            "already known"
        );
        // Another transaction spending the same output.
        let (t2, s2) = native(&a, op, 10u128.pow(18) as u64 + 1);
        let err = pool.add_native(t2, s2, balance).unwrap_err();
        assert!(
            err.contains("already spent by pending transaction"),
            "{err}"
        );
        // An Ethereum transaction that needs nearly all of a's BTM, then a native spend
        // of the rest: refused, naming the pending transaction.
        let mut c = ctx(0);
        c.balance = U256::from(3) * U256::from(10u128.pow(18));
        let eth = tx(&a, 0, GWEI * 50_000, GWEI);
        pool.add(eth.clone(), 100, c).unwrap();
        let (t3, s3) = native(&a, op2, 10u128.pow(18) as u64);
        let err = pool
            .add_native(t3, s3, |_| U256::from(3) * U256::from(10u128.pow(18)))
            .unwrap_err();
        assert!(
            err.contains("needed to settle pending transaction"),
            "{err}"
        );
        assert!(err.contains(&eth.hash.to_string()), "{err}");
        // Both kinds come out of `best`, and pruning drops spent inputs.
        assert_eq!(pool.best(10, |_| 0).len(), 2);
        pool.prune(|_| 0, [op], &[]);
        assert_eq!(pool.native_len(), 0);
        assert!(!pool.contains(&t1.hash));
    }

    /// Pruning after a block drops exactly the pooled native transactions that spend an
    /// output the block spent, and frees those outputs for new spends.
    #[test]
    fn prune_drops_the_native_transactions_whose_inputs_a_block_spent() {
        let mut pool = Mempool::new(PoolConfig::default());
        let balance = |_: Address| U256::from(10u128.pow(20));
        let ops: Vec<OutPoint> = (0..3)
            .map(|i| OutPoint::new(B256::repeat_byte(9), i))
            .collect();
        let txs: Vec<RecoveredNative> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let (t, s) = native(&key(u8::try_from(i).unwrap() + 1), *op, 10u64.pow(18));
                pool.add_native(t.clone(), s, balance).unwrap();
                t
            })
            .collect();
        // The block included the first and spent the second's input otherwise; an
        // output no pooled transaction spends changes nothing.
        let other = OutPoint::new(B256::repeat_byte(8), 0);
        pool.prune(|_| 0, [ops[0], ops[1], other], &[]);
        assert_eq!(pool.native_len(), 1);
        assert!(!pool.contains(&txs[0].hash) && !pool.contains(&txs[1].hash));
        assert!(pool.contains(&txs[2].hash));
        let (again, s) = native(&key(2), ops[1], 10u64.pow(18) + 7);
        pool.add_native(again, s, balance).unwrap();
    }
}
