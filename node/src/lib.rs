//! The bytom2 node: it picks the concrete types (MDBX storage, revm executor) and wires
//! them into a chain, and (in the `bytom2` binary) serves it.
//!
//! This crate owns
//! - [`Chain`]: opening a data directory (writing the genesis of a chain spec into a new
//!   one, refusing one that holds another chain), executing blocks over the stored state
//!   and committing each in one write transaction;
//! - [`Mempool`]: per-sender nonce-ordered pool with geth's admission errors;
//! - [`Node`]: chain + mempool + unfinalized blocks ([`Proposals`]) + the readers'
//!   cache, with one block lifecycle for every producer: [`Node::propose`] (lenient),
//!   [`Node::verify`] (strict, for blocks made elsewhere), [`Node::finalize`] (commit,
//!   pool maintenance, notifications); the `EthBackend` the RPC server reads through;
//! - [`DevMiner`]: the single-node producer (automine, interval, manual mining, the
//!   development methods and clock), a [`BlockProducer`] that proposes and finalizes;
//! - [`priority`]: the RPC threads yield the cores to block production;
//!
//! # Status
//! ALPHA.
//!
//! # Feature Flags
//! None.
//!
//! # Example
//! ```
//! use bytom2_chainspec::ChainSpec;
//! use bytom2_node::Chain;
//! use alloy_primitives::Address;
//!
//! let dir = std::env::temp_dir().join(format!("bytom2-doc-{}", std::process::id()));
//! let chain = Chain::open(&dir, ChainSpec::dev()).unwrap();
//! let attrs = chain.next_attributes(1, Address::ZERO);
//! let no_txs: Vec<bytom2_evm_adapter::BlockTx> = Vec::new();
//! let (block, rejected) = chain.execute_block(attrs, no_txs).unwrap();
//! assert!(rejected.is_empty());
//! chain.commit(&block).unwrap();
//! assert_eq!(chain.head().header.number, 1);
//! drop(chain);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod admission;
mod builder;
mod chain;
mod dev;
mod dev_miner;
mod dev_state;
pub mod devnet;
mod error;
mod lifecycle;
pub mod metrics;
pub mod network;
mod pipeline;
mod pool;
pub mod priority;
mod producer;
mod production;
mod proposals;
mod reads;
mod service;
pub mod wallet;

pub use builder::Rejected;
pub use chain::{Chain, DbBlockHashes, Head, SPEC_FINGERPRINT_FILE};
pub use dev_miner::DevMiner;
pub use error::NodeError;
pub use lifecycle::Proposal;
pub use pipeline::Pipeline;
pub use pool::{AdmissionContext, Mempool, PoolConfig, PoolError};
pub use producer::BlockProducer;
pub use production::{MinerConfig, Mining};
pub use proposals::{MAX_PROPOSALS, Proposals, Proposed};
pub use service::{Node, NodeConfig};

// Dependencies of the `bytom2` binary (and the benches) only.
use anyhow as _;
use clap as _;
use tempfile as _;
use tikv_jemallocator as _;
use tracing_subscriber as _;
