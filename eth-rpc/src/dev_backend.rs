//! What a development node offers the dev methods ([`DevBackend`]) and how such a
//! method fails ([`DevError`]). The node implements the trait; module `dev` serves it.

use crate::{
    PoolError,
    error::{internal, invalid_params},
};
use alloy_consensus::TypedTransaction;
use alloy_primitives::{Address, B256, Bytes, U256};
use jsonrpsee::types::ErrorObjectOwned;

/// Why a development method failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DevError {
    /// The request cannot be carried out as given (`-32602`).
    #[error("{0}")]
    InvalidParams(String),
    /// The node failed (`-32603`).
    #[error("{0}")]
    Internal(String),
}

impl From<DevError> for ErrorObjectOwned {
    fn from(e: DevError) -> Self {
        match e {
            DevError::InvalidParams(m) => invalid_params(m),
            DevError::Internal(m) => internal(m),
        }
    }
}

/// What a development node offers the dev methods. Mining and state edits take effect
/// before the method answers.
pub trait DevBackend: Send + Sync {
    /// Saves the chain's state (head, state, time) and returns the snapshot's id.
    fn snapshot(&self) -> Result<U256, DevError>;
    /// Returns to snapshot `id` and forgets it and every later one; `false` if there is
    /// no such snapshot.
    fn revert(&self, id: U256) -> Result<bool, DevError>;
    /// Mines `blocks` blocks now: the first at `timestamp` (default: the clock), each
    /// later one `interval` seconds (default 1) after the one before.
    fn mine(
        &self,
        blocks: u64,
        interval: Option<u64>,
        timestamp: Option<u64>,
    ) -> Result<(), DevError>;
    /// Moves the clock forward; returns the total offset in seconds.
    fn increase_time(&self, seconds: u64) -> Result<i64, DevError>;
    /// Sets the next block's timestamp (not below the head's).
    fn set_next_block_timestamp(&self, timestamp: u64) -> Result<(), DevError>;
    /// Sets the clock; returns the offset to the wall clock in seconds.
    fn set_time(&self, timestamp: u64) -> Result<i64, DevError>;
    /// Mines a block as soon as transactions arrive (`true`), or only on request.
    fn set_automine(&self, enabled: bool);
    /// Whether automine is on.
    fn automine(&self) -> bool;
    /// Mines a block every `seconds` (0: only on request).
    fn set_interval_mining(&self, seconds: u64);
    /// Sets the gas limit of the next blocks.
    fn set_block_gas_limit(&self, gas_limit: u64) -> Result<(), DevError>;
    /// Makes `address`'s BTM balance `balance` by creating or spending its outputs.
    fn set_balance(&self, address: Address, balance: U256) -> Result<(), DevError>;
    /// Sets the code of `address`.
    fn set_code(&self, address: Address, code: Bytes) -> Result<(), DevError>;
    /// Sets the nonce of `address`.
    fn set_nonce(&self, address: Address, nonce: u64) -> Result<(), DevError>;
    /// Sets a storage slot of `address`.
    fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> Result<(), DevError>;
    /// Lets `eth_sendTransaction` send from `address` without its key (`enabled`), or
    /// stops that.
    fn impersonate(&self, address: Address, enabled: bool);
    /// Sets the fee recipient of the next blocks.
    fn set_coinbase(&self, address: Address);
    /// Sets the base fee of the next block.
    fn set_next_block_base_fee(&self, base_fee: u64) -> Result<(), DevError>;
    /// Sets the next block's `prevRandao` (`mixHash`).
    fn set_next_prev_randao(&self, randao: B256);
    /// Removes a transaction from the mempool; its hash if it was there.
    fn drop_transaction(&self, hash: B256) -> Option<B256>;
    /// Returns to genesis: blocks, state edits, snapshots, mempool and clock.
    fn reset(&self) -> Result<(), DevError>;
    /// The accounts whose keys the node holds, then the impersonated ones
    /// (`eth_accounts`, as anvil lists them).
    fn accounts(&self) -> Vec<Address>;
    /// Whether `eth_sendTransaction` may send from `address` (a held key or an
    /// impersonated account).
    fn can_send_from(&self, address: Address) -> bool;
    /// Signs `tx` as `from` (or marks it sent by an impersonated `from`) and adds it to
    /// the mempool; returns its hash.
    fn send_transaction(&self, from: Address, tx: TypedTransaction) -> Result<B256, PoolError>;
}
