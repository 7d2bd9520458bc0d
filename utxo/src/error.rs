//! Errors of the ledger layer.

use crate::OutPoint;

/// Result alias of this crate.
pub type StateResult<T> = Result<T, StateError>;

/// Errors reading or changing the state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// An output was spent that does not exist or is already spent.
    #[error("output {0} does not exist or is already spent")]
    MissingCoin(OutPoint),
    /// An output was created at an outpoint that already holds an unspent output.
    #[error("output {0} already exists")]
    CoinExists(OutPoint),
    /// A balance would go below zero or above 2^256-1: the balance index and the outputs
    /// disagree, which is corruption.
    #[error("balance index inconsistent for {owner} asset {asset}")]
    BalanceInconsistent {
        /// The owner.
        owner: alloy_primitives::Address,
        /// The asset.
        asset: crate::AssetId,
    },
    /// The backend failed (I/O, corruption). Fatal: stop using that handle.
    #[error("state backend: {0}")]
    Backend(String),
}

impl StateError {
    /// Whether the error means the backing store cannot be trusted any more (as opposed to
    /// an invalid request that can be rejected).
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Backend(_) | Self::BalanceInconsistent { .. })
    }
}
