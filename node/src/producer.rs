//! [`BlockProducer`]: what the node asks of whoever makes its blocks: the plan for the
//! next block (what RPC reports as pending), whether it wants to hear of each arriving
//! transaction, and the development controls if it has any.

use alloy_primitives::Address;
use bytom2_eth_rpc::DevBackend;
use std::sync::Arc;

/// The maker of a node's blocks, as the node and its RPC see it.
pub trait BlockProducer: Send + Sync {
    /// The next block's base fee when the producer overrides the chain's rule.
    fn next_base_fee(&self) -> Option<u64>;

    /// The next block's gas limit when it differs from the head's.
    fn next_gas_limit(&self) -> Option<u64>;

    /// The next block's fee recipient.
    fn next_beneficiary(&self) -> Address;

    /// Whether each arriving transaction should wake the producer (automine).
    fn wants_transactions(&self) -> bool;

    /// The development controls, on a development node.
    fn dev(self: Arc<Self>) -> Option<Arc<dyn DevBackend>>;
}
