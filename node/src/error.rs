//! Errors of the node's chain wiring.

use alloy_primitives::B256;

/// Failures opening, executing or committing the chain.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The database failed or refused to open.
    #[error(transparent)]
    Storage(#[from] bytom2_storage::StorageError),
    /// Reading the state failed.
    #[error(transparent)]
    State(#[from] bytom2_utxo::StateError),
    /// A block could not be executed.
    #[error(transparent)]
    Exec(#[from] bytom2_evm_adapter::ExecError),
    /// The chain spec is invalid.
    #[error(transparent)]
    Spec(#[from] bytom2_chainspec::ChainSpecError),
    /// The data directory holds another chain.
    #[error(
        "data directory holds a chain with genesis {stored}, but the chain spec's genesis is {expected}"
    )]
    GenesisMismatch {
        /// Genesis hash in the database.
        stored: B256,
        /// Genesis hash of the spec.
        expected: B256,
    },
    /// The data directory was created with another chain spec.
    #[error(
        "the chain spec differs from the one the data directory was created with (fingerprint in {path})"
    )]
    SpecMismatch {
        /// The fingerprint file.
        path: std::path::PathBuf,
    },
    /// A file in the data directory could not be written.
    #[error("writing {path}: {message}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        message: String,
    },
    /// The node is shutting down: a development method that mines many blocks stopped
    /// after `mined` of them.
    #[error("the node is shutting down; stopped after {mined} of {requested} blocks")]
    ShuttingDown {
        /// Blocks mined before it stopped.
        mined: u64,
        /// Blocks asked for.
        requested: u64,
    },
    /// The database is missing a block it says it has.
    #[error("database is missing block {0}")]
    MissingBlock(u64),
    /// A block proposed elsewhere is invalid (its proposer is at fault).
    #[error("invalid block: {0}")]
    InvalidBlock(#[from] bytom2_evm_adapter::InvalidBlock),
    /// A block to build on is neither the head nor an unfinalized block held here.
    #[error("unknown parent block {0}")]
    UnknownParent(B256),
    /// As many unfinalized blocks are held as allowed.
    #[error("{0} unfinalized blocks are held already")]
    TooManyProposals(usize),
}

impl From<bytom2_evm_adapter::VerifyError> for NodeError {
    fn from(e: bytom2_evm_adapter::VerifyError) -> Self {
        match e {
            bytom2_evm_adapter::VerifyError::Invalid(e) => Self::InvalidBlock(e),
            bytom2_evm_adapter::VerifyError::Exec(e) => Self::Exec(e),
        }
    }
}
