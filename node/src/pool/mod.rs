//! The transaction pool: transactions waiting for a block, per sender in nonce order.
//!
//! - A transaction is *pending* when its nonce continues the sender's state nonce without
//!   a gap, *queued* otherwise; blocks take pending ones, oldest arrival first, in nonce
//!   order per sender.
//! - Admission checks (geth's messages): size (128 KiB), chain id, EIP-155 protection
//!   (unless allowed), intrinsic gas, block gas limit, fee cap against the next base fee,
//!   tip not above the fee cap, nonce not below the state's, balance covering
//!   `gas × maxFee + value`, duplicates (`already known`).
//! - Replacing a transaction (same sender and nonce) needs both fee caps raised by at
//!   least 10%; otherwise `replacement transaction underpriced`.
//! - Bounded by count and bytes: a full pool answers `txpool is full`.
//! - After each block, included and stale transactions are removed, and those the block
//!   builder found invalid are evicted (never mined).
//! - Native transactions (no nonce) wait beside them, in arrival order. The pool never
//!   holds two transactions spending one output, and never a native transaction that
//!   spends BTM its owner's pending Ethereum transactions need (nor an Ethereum
//!   transaction its owner's pool-spent outputs no longer cover).

//!
//! Laid out by concern: [`PoolConfig`] (limits), [`PoolError`] (why a transaction is
//! refused, in geth's words), `validation` (the stateless checks and what admission
//! needs of the head: [`AdmissionContext`]), `mempool` (the store: [`Mempool`] with its
//! pending and queued Ethereum transactions and native ones), `best` (the next block's
//! transactions in order), `maintenance` (after each finalized block).

mod best;
mod config;
mod error;
mod maintenance;
mod mempool;
mod native;
mod validation;

#[cfg(test)]
mod tests;

pub use config::PoolConfig;
pub use error::PoolError;
pub use mempool::Mempool;
pub use validation::AdmissionContext;
