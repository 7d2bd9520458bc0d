//! Turning a signed, sender-recovered Ethereum transaction into revm's [`TxEnv`].

use crate::TxError;
use alloy_consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::{Typed2718, eip2718::Encodable2718};
use alloy_primitives::{Address, B256, Bytes};
use revm::context::{TxEnv, either::Either};

/// An Ethereum transaction with its recovered sender, hash and EIP-2718 envelope.
///
/// The envelope's bytes are kept (as they arrived, for a transaction decoded from the
/// wire) because a block needs them twice more: as the leaf of its transactions trie
/// and in its stored body. Re-encoding them there cost about a tenth of the thread that
/// builds a block's tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveredTx {
    /// The signed transaction.
    pub tx: TxEnvelope,
    /// Its recovered sender.
    pub sender: Address,
    /// keccak256 of its EIP-2718 envelope.
    pub hash: B256,
    /// Its EIP-2718 envelope: `tx.encoded_2718()`.
    pub encoded: Bytes,
}

impl RecoveredTx {
    /// Recovers the sender. Fails with `invalid sender` for a bad signature and with
    /// `transaction type not supported` for blob transactions.
    pub fn recover(tx: TxEnvelope) -> Result<Self, TxError> {
        let encoded = tx.encoded_2718().into();
        Self::recover_encoded(tx, encoded)
    }

    /// [`RecoveredTx::recover`] for a transaction decoded from `encoded`, its EIP-2718
    /// envelope (kept instead of encoding `tx` again).
    pub fn recover_encoded(tx: TxEnvelope, encoded: Bytes) -> Result<Self, TxError> {
        if tx.is_eip4844() {
            return Err(TxError::TypeNotSupported);
        }
        let sender = tx.recover_signer().map_err(|_| TxError::InvalidSender)?;
        Ok(Self::with_sender(tx, sender, encoded))
    }

    /// `tx` sent by `sender`, which is not checked against its signature: for a
    /// transaction whose sender was recovered before (a stored block records each) or
    /// that is impersonated on a development node. `encoded` is its EIP-2718 envelope.
    pub fn with_sender(tx: TxEnvelope, sender: Address, encoded: Bytes) -> Self {
        let hash = *tx.tx_hash();
        Self {
            tx,
            sender,
            hash,
            encoded,
        }
    }

    /// Recovers many senders on up to `available_parallelism` threads, preserving order.
    pub fn recover_all(txs: Vec<TxEnvelope>) -> Vec<Result<Self, TxError>> {
        crate::parallel::map(txs, Self::recover)
    }

    /// The fee cap: `maxFeePerGas`, or `gasPrice` for legacy and EIP-2930.
    pub fn max_fee(&self) -> u128 {
        self.tx.max_fee_per_gas()
    }

    /// What the sender pays per gas in a block with `base_fee`.
    pub fn effective_gas_price(&self, base_fee: u64) -> u128 {
        self.tx.effective_gas_price(Some(base_fee))
    }

    /// revm's view of the transaction.
    pub fn to_tx_env(&self) -> TxEnv {
        let tx = &self.tx;
        let mut env = TxEnv {
            tx_type: tx.ty(),
            caller: self.sender,
            gas_limit: tx.gas_limit(),
            gas_price: tx.max_fee_per_gas(),
            kind: tx.kind(),
            value: tx.value(),
            data: tx.input().clone(),
            nonce: tx.nonce(),
            chain_id: tx.chain_id(),
            access_list: tx.access_list().cloned().unwrap_or_default(),
            gas_priority_fee: tx.max_priority_fee_per_gas(),
            ..Default::default()
        };
        if let Some(auths) = tx.authorization_list() {
            env.authorization_list = auths.iter().cloned().map(Either::Left).collect();
        }
        if matches!(tx, TxEnvelope::Legacy(_) | TxEnvelope::Eip2930(_)) {
            env.gas_priority_fee = None;
        }
        env
    }
}
