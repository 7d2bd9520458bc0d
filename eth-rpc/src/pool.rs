//! What the mempool answers the RPC: why it rejected a transaction ([`PoolError`]) and
//! what it holds ([`PoolContent`]).

use alloy_primitives::Address;
use bytom2_evm_adapter::RecoveredTx;
use std::collections::BTreeMap;

/// Rejection of a submitted transaction; `message` is geth's text (RPC-COMPAT.md
/// section (b)), answered with code -32000.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PoolError {
    /// geth's message (`nonce too low: …`, `already known`, `txpool is full`, …).
    pub message: String,
}

/// The mempool's contents, by sender then nonce.
#[derive(Debug, Clone, Default)]
pub struct PoolContent {
    /// Executable now (contiguous from the sender's nonce).
    pub pending: BTreeMap<Address, BTreeMap<u64, RecoveredTx>>,
    /// Waiting for a nonce gap to close.
    pub queued: BTreeMap<Address, BTreeMap<u64, RecoveredTx>>,
}
