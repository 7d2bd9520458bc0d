//! Why the pool refuses a transaction ([`PoolError`]). Each message is geth's
//! (`core/txpool/errors.go`, `core/error.go`; RPC-COMPAT.md section (b)): clients match
//! on them. RPC answers them with code -32000.

use alloy_primitives::{Address, B256};
use bytom2_evm_adapter::{DecodeTxError, TxError};
use bytom2_utxo::{OutPoint, native::NativeTxError};

/// A refused transaction (module docs).
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// The pool holds it already.
    #[error("already known")]
    AlreadyKnown,
    /// Larger than the pool takes.
    #[error("oversized data")]
    Oversized,
    /// No EIP-155 replay protection, and the pool wants it.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// Its fee cap is below the next block's base fee.
    #[error(
        "max fee per gas less than block base fee: address {address}, maxFeePerGas: {max_fee}, baseFee: {base_fee}"
    )]
    FeeCapTooLow {
        /// The sender.
        address: Address,
        /// Its fee cap.
        max_fee: u128,
        /// The next block's base fee.
        base_fee: u64,
    },
    /// Replacing a pooled transaction without raising both fee caps enough.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The pool is at its count or byte limit.
    #[error("txpool is full")]
    Full,
    /// A native transaction spending an output a pooled one spends.
    #[error("input {input} is already spent by pending transaction {by}")]
    InputPending {
        /// The output.
        input: OutPoint,
        /// The pooled transaction spending it.
        by: B256,
    },
    /// A native transaction spending BTM its owner's pooled Ethereum transactions need.
    #[error("input {input} is needed to settle pending transaction {tx} of {owner}")]
    NeededForPending {
        /// The output.
        input: OutPoint,
        /// The owner's first pooled Ethereum transaction.
        tx: B256,
        /// The owner.
        owner: Address,
    },
    /// Invalid at the head whatever the pool holds (chain id, gas, tip, nonce, funds),
    /// with the executor's message for it.
    #[error(transparent)]
    Invalid(#[from] TxError),
    /// The bytes are not a transaction (or its signature does not recover).
    #[error(transparent)]
    Decode(#[from] DecodeTxError),
    /// A native transaction that breaks the ledger's rules at the head.
    #[error(transparent)]
    Native(#[from] NativeTxError),
    /// The head state could not be read.
    #[error("{0}")]
    State(String),
}

impl From<PoolError> for bytom2_eth_rpc::PoolError {
    fn from(e: PoolError) -> Self {
        Self {
            message: e.to_string(),
        }
    }
}
