//! The receipt a node keeps for each included transaction ([`StoredReceipt`]): what
//! execution decided (status, cumulative gas, logs, a native transaction's fee).
//!
//! Storage writes it in its own byte layout; RPC serves it, deriving the rest of the
//! Ethereum receipt (gas used, effective gas price, contract address, log indexes,
//! bloom) from the block.

use alloy_primitives::{Log, U256};

/// One transaction's receipt as stored and served: enough to rebuild the Ethereum
/// receipt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredReceipt {
    /// EIP-2718 type byte of the transaction (0 for legacy).
    pub tx_type: u8,
    /// Whether execution succeeded (status 1).
    pub success: bool,
    /// Gas used by this and every earlier transaction of the block.
    pub cumulative_gas_used: u64,
    /// The logs emitted, in emission order.
    pub logs: Vec<Log>,
    /// The BTM fee of a native transaction (BTM in minus BTM out); `None` for Ethereum
    /// transactions.
    pub native_fee: Option<U256>,
}
