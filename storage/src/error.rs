//! Errors of the storage layer.

use bytom2_utxo::StateError;
use signet_libmdbx::{MdbxError, ReadError};
use std::path::PathBuf;

/// Result alias of this crate.
pub type StorageResult<T> = Result<T, StorageError>;

/// Errors opening, reading or writing the database.
///
/// [`StorageError::is_fatal`] separates errors after which the handle must not be used
/// any more (I/O, corruption, a half-understood file) from requests that were simply
/// refused (a block that does not extend the head, an inconsistent [`BlockToCommit`]).
///
/// [`BlockToCommit`]: crate::BlockToCommit
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// MDBX failed (I/O, map full, …).
    #[error("mdbx: {0}")]
    Mdbx(#[from] MdbxError),
    /// The data files are damaged and cannot be opened or read.
    #[error("database at {path} is corrupt: {reason}")]
    Corrupt {
        /// The data directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Another process (or another handle in this process) holds the data directory.
    #[error("database at {path} is locked by another process")]
    Locked {
        /// The data directory.
        path: PathBuf,
    },
    /// The data directory was written by a newer release with a schema this one cannot
    /// read.
    #[error("database schema version {found} is newer than the supported version {supported}")]
    NewerSchema {
        /// Schema version found on disk.
        found: u32,
        /// Schema version this release reads and writes.
        supported: u32,
    },
    /// The data directory was written by an older release whose schema this one no longer
    /// reads (there is no migration).
    #[error(
        "database schema version {found} is older than the supported version {supported} (no migration: start with a new data directory)"
    )]
    OlderSchema {
        /// Schema version found on disk.
        found: u32,
        /// Schema version this release reads and writes.
        supported: u32,
    },
    /// The block is not the child of the current head.
    #[error(
        "block {number} with parent {parent_hash} does not extend the head (expected block {expected_number} with parent {expected_parent:?})"
    )]
    NotNextBlock {
        /// Number of the block offered.
        number: u64,
        /// Its parent hash.
        parent_hash: alloy_primitives::B256,
        /// The number the next block must have.
        expected_number: u64,
        /// The hash of the head (`None` before genesis).
        expected_parent: Option<alloy_primitives::B256>,
    },
    /// The block offered is inconsistent in itself (list lengths, hash).
    #[error("invalid block to commit: {0}")]
    InvalidBlock(String),
    /// The state changes do not match what the database holds (a created output already
    /// exists, a spent one does not). Nothing was written.
    #[error("state changes inconsistent with the database: {0}")]
    Inconsistent(String),
    /// A key or value read from disk could not be decoded.
    #[error("codec: {0}")]
    Codec(String),
    /// A state-layer error.
    #[error(transparent)]
    State(#[from] StateError),
    /// A file-system operation on the data directory failed.
    #[error("i/o on {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A read at a block that is not (or no longer) available.
    #[error("state at block {requested} unavailable (head {head:?})")]
    BlockUnavailable {
        /// The block asked for.
        requested: u64,
        /// The current head number (`None` before genesis).
        head: Option<u64>,
    },
}

impl StorageError {
    /// Whether the handle can no longer be trusted (I/O, corruption, undecodable data):
    /// the caller should stop. Refused requests (`NotNextBlock`, `InvalidBlock`,
    /// `BlockUnavailable`) and open-time refusals (`Locked`, schema versions) are not
    /// fatal to a running handle.
    pub fn is_fatal(&self) -> bool {
        match self {
            Self::Mdbx(_)
            | Self::Corrupt { .. }
            | Self::Codec(_)
            | Self::Inconsistent(_)
            | Self::Io { .. } => true,
            Self::State(e) => e.is_fatal(),
            Self::Locked { .. }
            | Self::NewerSchema { .. }
            | Self::OlderSchema { .. }
            | Self::NotNextBlock { .. }
            | Self::InvalidBlock(_)
            | Self::BlockUnavailable { .. } => false,
        }
    }

    pub(crate) fn codec(what: impl std::fmt::Display) -> Self {
        Self::Codec(what.to_string())
    }
}

impl From<ReadError> for StorageError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Mdbx(e) => Self::Mdbx(e),
            ReadError::Decoding(e) => Self::Codec(e.to_string()),
        }
    }
}

impl From<alloy_rlp::Error> for StorageError {
    fn from(e: alloy_rlp::Error) -> Self {
        Self::Codec(format!("rlp: {e}"))
    }
}

impl From<StorageError> for StateError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::State(e) => e,
            other => Self::Backend(other.to_string()),
        }
    }
}
