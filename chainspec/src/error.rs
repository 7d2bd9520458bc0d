//! The crate's error type.

use std::path::PathBuf;

/// Why a chain spec could not be loaded, validated or extended.
///
/// Every variant names where the problem is: a JSON field path and a line for
/// [`ChainSpecError::Parse`], a field for [`ChainSpecError::Invalid`], a CSV line for
/// [`ChainSpecError::Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainSpecError {
    /// The JSON document is malformed, or a field holds a value of the wrong shape (bad
    /// hex, an amount over 2^256-1, an address twice in `alloc`, ...).
    #[error("invalid chain spec at `{field}` (line {line}, column {column}): {message}")]
    Parse {
        /// Dotted path of the offending field, e.g. `alloc.0x00…01.balance`; `.` for the
        /// document itself.
        field: String,
        /// 1-based line in the JSON text.
        line: usize,
        /// 1-based column in the JSON text.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The document parsed but a value breaks a rule (e.g. a zero denominator).
    #[error("invalid chain spec: `{field}` {reason}")]
    Invalid {
        /// Dotted path of the offending field, e.g. `bytom2.fees.baseFeeChangeDenominator`.
        field: String,
        /// The rule it breaks.
        reason: String,
    },
    /// A line of a BTM balance snapshot is malformed, repeats an address or overflows a
    /// balance.
    #[error("invalid balance snapshot, line {line}: {reason}")]
    Snapshot {
        /// 1-based line in the CSV text.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A chain spec file could not be read.
    #[error("cannot read chain spec file {}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The kind of I/O failure.
        kind: std::io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
}

// === impl ChainSpecError ===

impl ChainSpecError {
    /// Builds a [`ChainSpecError::Parse`] from a path-tracking `serde_json` error.
    pub(crate) fn from_json(err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        Self::from_json_at(err.path().to_string(), err.inner())
    }

    /// Builds a [`ChainSpecError::Parse`] for `field` from a `serde_json` error.
    pub(crate) fn from_json_at(field: String, inner: &serde_json::Error) -> Self {
        let (line, column) = (inner.line(), inner.column());
        let full = inner.to_string();
        // serde_json appends " at line L column C"; we report the position separately.
        let suffix = format!(" at line {line} column {column}");
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        Self::Parse {
            field,
            line,
            column,
            message,
        }
    }

    /// Builds a [`ChainSpecError::Invalid`].
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}
