//! The pool's limits ([`PoolConfig`]).

/// Limits of the pool.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// At most this many transactions.
    pub max_count: usize,
    /// At most this many bytes of encoded transactions.
    pub max_bytes: usize,
    /// Largest accepted transaction (encoded).
    pub max_tx_size: usize,
    /// Minimum raise of both fee caps to replace, in percent.
    pub price_bump: u128,
    /// Accept transactions without EIP-155 replay protection.
    pub allow_unprotected: bool,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_count: 100_000,
            max_bytes: 256 * 1024 * 1024,
            max_tx_size: 128 * 1024,
            price_bump: 10,
            allow_unprotected: true,
        }
    }
}
