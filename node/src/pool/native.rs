//! Native (UTXO) transactions in the pool: no nonce, in arrival order. The pool never
//! holds two transactions spending one output, and never a native transaction that
//! spends BTM its owner's pending Ethereum transactions need.

use super::{Mempool, PoolError, mempool::max_cost};
use alloy_primitives::{Address, B256, U256};
use bytom2_utxo::{AssetId, Coin, OutPoint, native::RecoveredNative};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub(super) struct PooledNative {
    pub(super) tx: RecoveredNative,
    pub(super) spent: Vec<(OutPoint, Coin)>,
    pub(super) size: usize,
    pub(super) arrival: u64,
}

// === impl Mempool ===

impl Mempool {
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
    ) -> Result<(), PoolError> {
        if self.contains(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let size = tx.size();
        if size > self.config.max_tx_size {
            return Err(PoolError::Oversized);
        }
        for (op, _) in &spent {
            if let Some(other) = self.spent_by.get(op) {
                return Err(PoolError::InputPending {
                    input: *op,
                    by: *other,
                });
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
                return Err(PoolError::NeededForPending {
                    input: *op,
                    tx: first,
                    owner: *owner,
                });
            }
        }
        if self.len() + 1 > self.config.max_count || self.bytes + size > self.config.max_bytes {
            return Err(PoolError::Full);
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

    pub(super) fn remove_native(&mut self, hash: &B256) -> Option<RecoveredNative> {
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
}
