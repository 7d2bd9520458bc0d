//! The store ([`Mempool`]): Ethereum transactions per sender by nonce (pending when they
//! continue the sender's state nonce, queued otherwise), native ones by hash, with the
//! indexes and byte count the limits need.

use super::{PoolConfig, native::PooledNative};
use alloy_consensus::Transaction;
use alloy_primitives::{Address, B256, U256, map::HashMap};
use bytom2_evm_adapter::{BlockTx, RecoveredTx};
use bytom2_utxo::OutPoint;
use std::collections::BTreeMap;

/// A pooled Ethereum transaction.
#[derive(Debug, Clone)]
pub(super) struct Pooled {
    pub(super) tx: RecoveredTx,
    pub(super) size: usize,
    pub(super) arrival: u64,
}

/// The most a transaction can take from its sender: `gas × maxFee + value`.
pub(super) fn max_cost(tx: &RecoveredTx) -> U256 {
    let t = &tx.tx;
    U256::from(t.gas_limit())
        .saturating_mul(U256::from(t.max_fee_per_gas()))
        .saturating_add(t.value())
}

/// Transactions waiting for inclusion.
#[derive(Debug, Default)]
pub struct Mempool {
    pub(super) config: PoolConfig,
    pub(super) by_hash: HashMap<B256, (Address, u64)>,
    pub(super) by_sender: HashMap<Address, BTreeMap<u64, Pooled>>,
    pub(super) native: HashMap<B256, PooledNative>,
    /// Which pooled native transaction spends each output.
    pub(super) spent_by: HashMap<OutPoint, B256>,
    /// BTM of each owner that pooled native transactions spend.
    pub(super) native_btm_spent: HashMap<Address, U256>,
    pub(super) bytes: usize,
    pub(super) next_arrival: u64,
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

    /// Removes a transaction of either kind; returns it.
    pub fn remove(&mut self, hash: &B256) -> Option<BlockTx> {
        if let Some(n) = self.remove_native(hash) {
            return Some(BlockTx::Native(n));
        }
        self.remove_eth(hash).map(BlockTx::Eth)
    }

    pub(super) fn remove_eth(&mut self, hash: &B256) -> Option<RecoveredTx> {
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
}
