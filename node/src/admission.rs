//! Transaction admission: raw bytes from RPC (or, later, from peers) are decoded and
//! their signers recovered outside any lock, then the pool's rules (module `pool`) are
//! applied against the head and the transaction is kept, or refused with geth's error.

use crate::{Node, PoolError, builder::state_nonce, pool::AdmissionContext};
use alloy_primitives::{B256, Bytes};
use bytom2_eth_rpc::EthBackend;
use bytom2_evm_adapter::{BlockTx, RecoveredTx};
use bytom2_utxo::{AssetId, StateView, native::RecoveredNative, native::validate_against};

fn state_error(e: impl std::fmt::Display) -> PoolError {
    PoolError::State(e.to_string())
}

// === impl Node ===

impl Node {
    /// Decodes `raw` (either kind of transaction), recovers its signers and admits it.
    pub(crate) fn admit_raw(&self, raw: Bytes) -> Result<B256, PoolError> {
        let size = raw.len();
        if size > self.config.pool.max_tx_size {
            return Err(PoolError::Oversized);
        }
        // Signatures are recovered here, outside the pool lock, on the caller's thread.
        let hash = match BlockTx::decode(&raw)? {
            BlockTx::Eth(tx) => self.admit_eth(tx, size),
            BlockTx::Native(tx) => self.admit_native(tx),
        }?;
        self.relay(raw.0);
        Ok(hash)
    }

    /// Checks a native transaction against the head and adds it to the pool.
    fn admit_native(&self, tx: RecoveredNative) -> Result<B256, PoolError> {
        let hash = tx.hash;
        let base_fee = EthBackend::next_base_fee(self);
        // The rules are checked against the head outside the pool lock, so submissions
        // validate in parallel. A block committed meanwhile can spend an input: the
        // block builder checks again and evicts such a transaction.
        let state = self.chain().latest().map_err(state_error)?;
        let config = self.chain().evm_config();
        let v = validate_against(
            &state,
            &tx,
            config.chain_id(),
            config.fees(),
            base_fee,
            config.native_limits(),
        )?;
        self.pool.lock().add_native(tx, v.spent, |owner| {
            state.balance(owner, AssetId::BTM).unwrap_or_default()
        })?;
        tracing::debug!(target: "node::pool", %hash, "accepted native transaction");
        self.announce(hash);
        Ok(hash)
    }

    /// Checks an Ethereum transaction (sender known) against the head and adds it to the
    /// pool.
    pub(crate) fn admit_eth(&self, tx: RecoveredTx, size: usize) -> Result<B256, PoolError> {
        let hash = tx.hash;
        let base_fee = EthBackend::next_base_fee(self);
        let gas_limit = EthBackend::next_gas_limit(self);
        // Read the state under the pool lock: a block committed in between prunes the
        // pool under the same lock, so a stale nonce cannot slip in.
        let mut pool = self.pool.lock();
        let state = self.chain().latest().map_err(state_error)?;
        let ctx = AdmissionContext {
            chain_id: self.chain().spec().chain_id,
            base_fee,
            gas_limit,
            state_nonce: state_nonce(&state, tx.sender),
            balance: state
                .balance(tx.sender, AssetId::BTM)
                .map_err(state_error)?,
        };
        drop(state);
        pool.add(tx, size, ctx)?;
        drop(pool);
        tracing::debug!(target: "node::pool", %hash, "accepted transaction");
        self.announce(hash);
        Ok(hash)
    }

    /// Tells subscribers of pending transactions, and a producer that wants to hear of
    /// arriving transactions (automine).
    fn announce(&self, hash: B256) {
        let _ = self.pending.send(hash);
        if self.producer().is_some_and(|p| p.wants_transactions()) {
            self.signal();
        }
    }
}
