//! Admission of Ethereum transactions: what the pool needs of the head
//! ([`AdmissionContext`]) and [`Mempool::add`], which checks a transaction against it
//! and the pool (geth's order and messages) before keeping it.

use super::{
    Mempool, PoolError,
    mempool::{Pooled, max_cost},
};
use alloy_consensus::Transaction;
use alloy_primitives::{B256, U256};
use bytom2_evm_adapter::{RecoveredTx, SPEC_ID, TxError};
use revm::context_interface::cfg::gas::calculate_initial_tx_gas_for_tx;

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

// === impl Mempool ===

impl Mempool {
    /// Validates and adds `tx` (encoded size `size`). Returns the hash of a transaction
    /// it replaced, if any.
    pub fn add(
        &mut self,
        tx: RecoveredTx,
        size: usize,
        ctx: AdmissionContext,
    ) -> Result<Option<B256>, PoolError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        if size > self.config.max_tx_size {
            return Err(PoolError::Oversized);
        }
        let t = &tx.tx;
        match t.chain_id() {
            Some(id) if id != ctx.chain_id => return Err(TxError::InvalidChainId.into()),
            None if !self.config.allow_unprotected => {
                return Err(PoolError::Unprotected);
            }
            _ => {}
        }
        if t.gas_limit() > ctx.gas_limit {
            return Err(TxError::GasLimitExceeded.into());
        }
        let intrinsic = calculate_initial_tx_gas_for_tx(tx.to_tx_env(), SPEC_ID, None);
        let needed =
            (intrinsic.initial_regular_gas + intrinsic.initial_state_gas).max(intrinsic.floor_gas);
        if t.gas_limit() < needed {
            return Err(TxError::IntrinsicGasTooLow.into());
        }
        if let Some(tip) = t.max_priority_fee_per_gas()
            && tip > t.max_fee_per_gas()
        {
            return Err(TxError::TipAboveFeeCap.into());
        }
        if t.max_fee_per_gas() < ctx.base_fee as u128 {
            return Err(PoolError::FeeCapTooLow {
                address: tx.sender,
                max_fee: t.max_fee_per_gas(),
                base_fee: ctx.base_fee,
            });
        }
        if t.nonce() < ctx.state_nonce {
            return Err(TxError::NonceTooLow {
                state: ctx.state_nonce,
                tx: t.nonce(),
            }
            .into());
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
            return Err(TxError::InsufficientFunds {
                address: tx.sender,
                have: balance,
                want: cost,
            }
            .into());
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
                    return Err(PoolError::ReplacementUnderpriced);
                }
                Some(old.tx.hash)
            }
            None => None,
        };
        let freed = replaced.map_or(0, |_| 1);
        if self.len() + 1 - freed > self.config.max_count
            || self.bytes + size > self.config.max_bytes
        {
            return Err(PoolError::Full);
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
}
