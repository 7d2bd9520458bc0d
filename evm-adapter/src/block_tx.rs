//! A transaction of a block: Ethereum or native.

use crate::{RecoveredTx, TxError};
use alloy_consensus::TxEnvelope;
use alloy_eips::{Typed2718, eip2718::Decodable2718};
use alloy_primitives::{Address, B256, Bytes};
use bytom2_utxo::native::{NATIVE_TX_TYPE, NativeTxError, RecoveredNative};

/// A transaction in a block, in the mempool or on the wire: an Ethereum transaction
/// with its recovered sender, or a native UTXO transaction with its recovered signers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockTx {
    /// Legacy, EIP-2930, EIP-1559 or EIP-7702.
    Eth(RecoveredTx),
    /// Native (type `0x62`).
    Native(RecoveredNative),
}

/// Why raw bytes are not a transaction.
#[derive(Debug, thiserror::Error)]
pub enum DecodeTxError {
    /// A malformed envelope (either kind).
    #[error("{0}")]
    Decode(String),
    /// An Ethereum transaction that does not recover.
    #[error(transparent)]
    Eth(#[from] TxError),
    /// A native transaction whose signatures do not recover.
    #[error(transparent)]
    Native(#[from] NativeTxError),
}

impl BlockTx {
    /// Decodes an EIP-2718 envelope of either kind and recovers its signers.
    pub fn decode(raw: &[u8]) -> Result<Self, DecodeTxError> {
        if raw.first() == Some(&NATIVE_TX_TYPE) {
            return Ok(Self::Native(RecoveredNative::decode(raw)?));
        }
        let mut rest = raw;
        let tx = TxEnvelope::decode_2718(&mut rest)
            .map_err(|e| DecodeTxError::Decode(format!("invalid transaction: {e}")))?;
        // Bytes after the envelope are not part of the transaction (its hash leaves them
        // out too).
        let encoded = Bytes::copy_from_slice(&raw[..raw.len() - rest.len()]);
        Ok(Self::Eth(RecoveredTx::recover_encoded(tx, encoded)?))
    }

    /// The transaction hash (keccak256 of the envelope).
    pub fn hash(&self) -> B256 {
        match self {
            Self::Eth(t) => t.hash,
            Self::Native(t) => t.hash,
        }
    }

    /// The sender: an Ethereum transaction's signer, a native transaction's first
    /// signer (the owner of its first input).
    pub fn sender(&self) -> Address {
        match self {
            Self::Eth(t) => t.sender,
            Self::Native(t) => t.sender(),
        }
    }

    /// The EIP-2718 type byte.
    pub fn tx_type(&self) -> u8 {
        match self {
            Self::Eth(t) => t.tx.ty(),
            Self::Native(_) => NATIVE_TX_TYPE,
        }
    }

    /// The EIP-2718 envelope, as kept since decoding (a reference-counted copy).
    pub fn encoded_2718(&self) -> Bytes {
        match self {
            Self::Eth(t) => t.encoded.clone(),
            Self::Native(t) => t.encoded.clone(),
        }
    }

    /// Length of the envelope in bytes.
    pub fn size(&self) -> usize {
        match self {
            Self::Eth(t) => t.encoded.len(),
            Self::Native(t) => t.size(),
        }
    }

    /// The Ethereum transaction, if it is one.
    pub fn as_eth(&self) -> Option<&RecoveredTx> {
        match self {
            Self::Eth(t) => Some(t),
            Self::Native(_) => None,
        }
    }

    /// The native transaction, if it is one.
    pub fn as_native(&self) -> Option<&RecoveredNative> {
        match self {
            Self::Eth(_) => None,
            Self::Native(t) => Some(t),
        }
    }
}

impl From<RecoveredTx> for BlockTx {
    fn from(tx: RecoveredTx) -> Self {
        Self::Eth(tx)
    }
}

impl From<RecoveredNative> for BlockTx {
    fn from(tx: RecoveredNative) -> Self {
        Self::Native(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxLegacy};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{TxKind, U256, keccak256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    fn envelopes() -> Vec<TxEnvelope> {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
        let to = TxKind::Call(Address::repeat_byte(0xaa));
        let legacy = TxLegacy {
            chain_id: Some(5),
            nonce: 1,
            gas_price: 10,
            gas_limit: 21_000,
            to,
            value: U256::from(3),
            ..Default::default()
        };
        let eip2930 = TxEip2930 {
            chain_id: 5,
            nonce: 2,
            gas_price: 10,
            gas_limit: 30_000,
            to,
            input: vec![1, 2, 3].into(),
            ..Default::default()
        };
        let eip1559 = TxEip1559 {
            chain_id: 5,
            nonce: 3,
            max_fee_per_gas: 20,
            max_priority_fee_per_gas: 1,
            gas_limit: 21_000,
            to,
            ..Default::default()
        };
        vec![
            signed(&key, legacy),
            signed(&key, eip2930),
            signed(&key, eip1559),
        ]
    }

    fn signed<T>(key: &PrivateKeySigner, tx: T) -> TxEnvelope
    where
        T: SignableTransaction<alloy_primitives::Signature>,
        alloy_consensus::Signed<T>: Into<TxEnvelope>,
    {
        let signature = key.sign_hash_sync(&tx.signature_hash()).unwrap();
        tx.into_signed(signature).into()
    }

    /// The envelope kept from the wire is the transaction's encoding (what its trie leaf
    /// and stored body need) and what its hash is of; bytes after it are not kept.
    #[test]
    fn decoded_transactions_keep_their_envelope() {
        for envelope in envelopes() {
            let raw = envelope.encoded_2718();
            let mut with_tail = raw.clone();
            with_tail.extend_from_slice(&[0xde, 0xad]);
            for input in [&raw, &with_tail] {
                let tx = BlockTx::decode(input).unwrap();
                assert_eq!(tx.encoded_2718()[..], raw[..]);
                assert_eq!(tx.size(), raw.len());
                assert_eq!(tx.hash(), keccak256(&raw));
                let eth = tx.as_eth().unwrap();
                assert_eq!(eth.encoded[..], eth.tx.encoded_2718()[..]);
            }
            let recovered = RecoveredTx::recover(envelope).unwrap();
            assert_eq!(recovered.encoded[..], raw[..]);
        }
    }
}
