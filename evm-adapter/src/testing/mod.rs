//! One set of helpers for tests and benchmarks across the workspace (feature
//! `test-utils`):
//! - [`tx`]: the dev keys, the transaction builder ([`tx::TxSpec`]) and the signer;
//! - [`contracts`]: contract fixtures (hand-assembled test contracts, the OpenZeppelin
//!   test token, init code);
//! - [`workload`]: deterministic signed workloads (many funded senders, BTM and ERC-20
//!   transfers, native transfers);
//! - the plain-revm reference ([`reference_db`], [`run_reference_block`]).

pub mod contracts;
mod reference;
pub mod tx;
pub mod workload;

pub use reference::{reference_db, run_reference_block};
