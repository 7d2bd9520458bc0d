//! Errors of execution: invalid transactions (rejected, nothing changes) and failures of
//! the block as a whole.

use alloy_primitives::{Address, U256};
use bytom2_utxo::StateError;
use revm::context_interface::result::InvalidTransaction;

/// A transaction that cannot be included. The messages are geth's (`core/error.go`,
/// `core/txpool/errors.go`): Ethereum clients match on their prefixes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The signature does not recover to a sender.
    #[error("invalid sender")]
    InvalidSender,
    /// EIP-155 chain id of another chain.
    #[error("invalid chain id")]
    InvalidChainId,
    /// Nonce below the account's.
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    NonceTooLow {
        /// Account nonce.
        state: u64,
        /// Transaction nonce.
        tx: u64,
    },
    /// Nonce above the account's (a gap).
    #[error("nonce too high: next nonce {state}, tx nonce {tx}")]
    NonceTooHigh {
        /// Account nonce.
        state: u64,
        /// Transaction nonce.
        tx: u64,
    },
    /// Nonce at 2^64-1.
    #[error("nonce has max value")]
    NonceMax,
    /// Balance below gas × price + value.
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        /// The sender.
        address: Address,
        /// Its balance.
        have: U256,
        /// What the transaction may cost.
        want: U256,
    },
    /// maxFeePerGas (or gasPrice) below the block's base fee.
    #[error(
        "max fee per gas less than block base fee: address {address}, maxFeePerGas: {max_fee} baseFee: {base_fee}"
    )]
    FeeCapTooLow {
        /// The sender.
        address: Address,
        /// The fee cap.
        max_fee: u128,
        /// The base fee.
        base_fee: u64,
    },
    /// maxPriorityFeePerGas above maxFeePerGas.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Gas limit below the intrinsic gas.
    #[error("intrinsic gas too low")]
    IntrinsicGasTooLow,
    /// Gas limit above the block's.
    #[error("exceeds block gas limit")]
    GasLimitExceeded,
    /// Fees overflow.
    #[error("gas uint64 overflow")]
    GasOverflow,
    /// The sender has code (EIP-3607).
    #[error("sender not an eoa: address {0}")]
    SenderNoEoa(Address),
    /// Init code over the EIP-3860 limit.
    #[error("max initcode size exceeded")]
    InitCodeTooLarge,
    /// A type this chain does not accept (blob transactions).
    #[error("transaction type not supported")]
    TypeNotSupported,
    /// Anything else revm refuses, in revm's words.
    #[error("invalid transaction: {0}")]
    Other(String),
}

impl TxError {
    /// Maps revm's validation error to geth's message, with the sender and fee cap for
    /// context (the executor and the RPC's calls and estimates both map through it).
    pub fn from_revm(
        err: InvalidTransaction,
        sender: Address,
        max_fee: u128,
        base_fee: u64,
    ) -> Self {
        match err {
            InvalidTransaction::PriorityFeeGreaterThanMaxFee => Self::TipAboveFeeCap,
            InvalidTransaction::GasPriceLessThanBasefee => Self::FeeCapTooLow {
                address: sender,
                max_fee,
                base_fee,
            },
            InvalidTransaction::CallerGasLimitMoreThanBlock
            | InvalidTransaction::TxGasLimitGreaterThanCap { .. } => Self::GasLimitExceeded,
            InvalidTransaction::CallGasCostMoreThanGasLimit { .. }
            | InvalidTransaction::GasFloorMoreThanGasLimit { .. } => Self::IntrinsicGasTooLow,
            InvalidTransaction::RejectCallerWithCode => Self::SenderNoEoa(sender),
            InvalidTransaction::LackOfFundForMaxFee { fee, balance } => Self::InsufficientFunds {
                address: sender,
                have: *balance,
                want: *fee,
            },
            InvalidTransaction::OverflowPaymentInTransaction => Self::GasOverflow,
            InvalidTransaction::NonceOverflowInTransaction => Self::NonceMax,
            InvalidTransaction::NonceTooHigh { tx, state } => Self::NonceTooHigh { state, tx },
            InvalidTransaction::NonceTooLow { tx, state } => Self::NonceTooLow { state, tx },
            InvalidTransaction::CreateInitCodeSizeLimit => Self::InitCodeTooLarge,
            InvalidTransaction::InvalidChainId | InvalidTransaction::MissingChainId => {
                Self::InvalidChainId
            }
            InvalidTransaction::Eip4844NotSupported
            | InvalidTransaction::BlobCreateTransaction
            | InvalidTransaction::EmptyBlobs => Self::TypeNotSupported,
            other => Self::Other(other.to_string()),
        }
    }
}

/// Failures that are not the transaction's fault: the block cannot be built or the state
/// cannot be read. Fatal for the block.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// Reading or writing the state failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The EVM reported a failure that is not a transaction validation error.
    #[error("evm: {0}")]
    Evm(String),
    /// The block's gas is used up: the transaction does not fit.
    #[error("block gas limit reached: {available} gas left, transaction wants {wanted}")]
    BlockFull {
        /// Gas left in the block.
        available: u64,
        /// The transaction's gas limit.
        wanted: u64,
    },
    /// Settlement could not cover a negative balance delta: the EVM spent value that the
    /// outputs do not hold. A bug, never a user error.
    #[error("settlement: {owner} is short of {missing} of {asset}")]
    SettlementShortfall {
        /// The owner.
        owner: Address,
        /// The asset.
        asset: bytom2_utxo::AssetId,
        /// How much is missing.
        missing: U256,
    },
    /// An asset's deltas do not add up to what the EVM issued of it.
    #[error("settlement: asset {asset} not conserved (net {net}, issued {issued})")]
    AssetNotConserved {
        /// The asset.
        asset: bytom2_utxo::AssetId,
        /// Sum of its deltas (signed, as a string).
        net: String,
        /// Issued through the EVM in the block.
        issued: U256,
    },
    /// A system hook failed (a bug in the chain's rules, never a user error).
    #[error("system step: {0}")]
    System(String),
    /// The BTM deltas of a block do not add up to minus the burned fees.
    #[error("settlement: BTM not conserved (net {net}, burned {burned})")]
    NotConserved {
        /// Sum of all BTM deltas (signed, as a string).
        net: String,
        /// Fees burned.
        burned: U256,
    },
}

impl ExecError {
    /// Whether the node must stop using its state handle.
    pub fn is_fatal(&self) -> bool {
        match self {
            Self::State(e) => e.is_fatal(),
            Self::BlockFull { .. } => false,
            _ => true,
        }
    }
}

/// Outcome of trying to add a transaction to a block.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteTxError {
    /// The transaction is invalid; the block is unchanged.
    #[error(transparent)]
    Invalid(#[from] TxError),
    /// The native transaction is invalid here; the block is unchanged.
    #[error(transparent)]
    Native(bytom2_utxo::native::NativeTxError),
    /// The block could not take it (full) or the state failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
}

impl From<bytom2_utxo::native::NativeTxError> for ExecuteTxError {
    /// A state failure met while checking a native transaction is the block's, not the
    /// transaction's.
    fn from(e: bytom2_utxo::native::NativeTxError) -> Self {
        match e {
            bytom2_utxo::native::NativeTxError::State(e) => Self::Exec(e.into()),
            e => Self::Native(e),
        }
    }
}
