//! Transaction admission: raw bytes from RPC (or, later, from peers) decoded, checked
//! against the head and added to the pool, with geth's errors.

use crate::{Node, mempool::AdmissionContext};
use alloy_primitives::{B256, Bytes};
use bytom2_eth_rpc::{EthBackend, PoolError};
use bytom2_evm_adapter::{BlockTx, RecoveredTx};
use bytom2_utxo::{AssetId, StateView, native::validate_against};

// === impl Node ===

impl Node {
    /// Decodes `raw` (either kind of transaction), recovers its signers and admits it.
    pub(crate) fn admit_raw(&self, raw: Bytes) -> Result<B256, PoolError> {
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
                let base_fee = EthBackend::next_base_fee(self);
                // The rules are checked against the head outside the pool lock, so
                // submissions validate in parallel. A block committed meanwhile can spend
                // an input: the block builder checks again and evicts such a transaction.
                let state = self.chain().latest().map_err(|e| err(e.to_string()))?;
                let spec = self.chain().spec();
                let v = validate_against(
                    &state,
                    &tx,
                    spec.chain_id,
                    &spec.params.fees,
                    base_fee,
                    &self.chain().native_limits(),
                )
                .map_err(|e| err(e.to_string()))?;
                let mut pool = self.pool().lock();
                pool.add_native(tx, v.spent, |owner| {
                    state.balance(owner, AssetId::BTM).unwrap_or_default()
                })
                .map_err(err)?;
                drop(pool);
                tracing::debug!(target: "node::pool", %hash, "accepted native transaction");
                let _ = self.pending.send(hash);
                self.transaction_arrived();
                return Ok(hash);
            }
        };
        self.admit_eth(tx, size)
    }

    /// Validates an Ethereum transaction (sender known) against the head and adds it to
    /// the mempool.
    pub(crate) fn admit_eth(&self, tx: RecoveredTx, size: usize) -> Result<B256, PoolError> {
        let err = |message: String| PoolError { message };
        let hash = tx.hash;
        let base_fee = EthBackend::next_base_fee(self);
        let gas_limit = EthBackend::next_gas_limit(self);
        // Read the state under the pool lock: a block committed in between prunes the
        // pool under the same lock, so a stale nonce cannot slip in.
        let mut pool = self.pool().lock();
        let state = self.chain().latest().map_err(|e| err(e.to_string()))?;
        let ctx = AdmissionContext {
            chain_id: self.chain().spec().chain_id,
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
        self.transaction_arrived();
        Ok(hash)
    }

    /// Tells a producer that wants to hear of arriving transactions (automine).
    fn transaction_arrived(&self) {
        if self.producer().is_some_and(|p| p.wants_transactions()) {
            self.signal();
        }
    }
}
