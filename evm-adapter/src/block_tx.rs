//! A transaction of a block: Ethereum or native.

use crate::{RecoveredTx, TxError};
use alloy_consensus::TxEnvelope;
use alloy_eips::{Typed2718, eip2718::Decodable2718, eip2718::Encodable2718};
use alloy_primitives::{Address, B256};
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
        let tx = TxEnvelope::decode_2718(&mut &raw[..])
            .map_err(|e| DecodeTxError::Decode(format!("invalid transaction: {e}")))?;
        Ok(Self::Eth(RecoveredTx::recover(tx)?))
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

    /// The EIP-2718 envelope.
    pub fn encoded_2718(&self) -> Vec<u8> {
        match self {
            Self::Eth(t) => t.tx.encoded_2718(),
            Self::Native(t) => t.tx.encoded_2718(),
        }
    }

    /// Length of the envelope in bytes.
    pub fn size(&self) -> usize {
        match self {
            Self::Eth(t) => t.tx.encode_2718_len(),
            Self::Native(t) => t.size,
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
