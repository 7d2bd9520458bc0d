//! bytom2 storage: every table of a node in one MDBX environment (crate
//! `signet-libmdbx`), their byte layouts, and one atomic write transaction per block.
//!
//! - [`Database::open`] locks the data directory, checks the schema version and opens
//!   the [`Table`]s.
//! - [`Database::commit_block`] writes a [`BlockToCommit`] — the block's state changes
//!   (outputs and their per-owner index, balances, EVM accounts, storage, supply, code),
//!   their change sets, header, body, receipts, the new head and the state commitment —
//!   in one write transaction: a process killed at any instant restarts at the last
//!   committed block. Transaction lookups are written in batches of blocks (module
//!   `lookup`); those of the latest blocks are rebuilt from their bodies on open.
//! - [`Database::latest`] and [`Database::state_at`] are read-only snapshots
//!   implementing [`bytom2_utxo::StateView`]; the state of an earlier block is read
//!   through change sets (see the `codec` module docs and [`Table`]).
//! - Block data: [`Database::head`], [`Database::header`], [`Database::block_number`],
//!   [`Database::body`], [`Database::receipts`], [`Database::tx_location`].
//! - Evidence of validator misbehaviour ([`EvidenceRecord`]): [`Database::put_evidence`]
//!   stores a record once (idempotent, its own small write transaction, keyed by the
//!   height it was first seen at and the digest of its bytes) and
//!   [`Database::evidence_range`] reads a range of heights. Evidence is never unwound
//!   with blocks.
//!
//! - Development nodes only: [`Database::apply_dev_changes`] edits the head's state in
//!   place (`anvil_setBalance`, `anvil_setCode`, …) and [`Database::unwind_to`] /
//!   [`Database::reset_to_genesis`] remove blocks from the top (`evm_revert`,
//!   `anvil_reset`), both through the change sets (module `dev`).
//!
//! There is no `StateWriter` implementation: state reaches the disk with its block (or,
//! on a development node, with an explicit edit).
//!
//! # Status
//! ALPHA.
//!
//! # Feature Flags
//! None.
//!
//! # Example
//! ```
//! use alloy_consensus::Header;
//! use alloy_primitives::{Address, B256, U256};
//! use bytom2_storage::{BlockToCommit, Database};
//! use bytom2_utxo::{AssetId, Coin, CoinOrigin, OutPoint, Output, StateCache, StateView};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::temp_dir().join(format!("bytom2-storage-doc-{}", std::process::id()));
//! let db = Database::open(&dir)?;
//!
//! // Build genesis: one output.
//! let owner = Address::repeat_byte(1);
//! let (changes, commitment) = {
//!     let latest = db.latest()?;
//!     let mut cache = StateCache::new(&latest);
//!     let coin = Coin::new(Output::new(AssetId::BTM, U256::from(5), owner), CoinOrigin::new(0, 0, 0));
//!     cache.add_coin(OutPoint::new(B256::ZERO, 0), coin)?;
//!     let commitment = cache.commitment()?;
//!     (cache.into_changes(), commitment)
//! };
//! let header = Header { state_root: commitment.root(), ..Default::default() };
//! db.commit_block(&BlockToCommit {
//!     header: &header,
//!     hash: header.hash_slow(),
//!     transactions: &[],
//!     tx_hashes: &[],
//!     senders: &[],
//!     receipts: &[],
//!     changes: &changes,
//!     commitment: &commitment,
//!     settlement: None,
//!     certificate: None,
//! })?;
//!
//! assert_eq!(db.head()?, Some((0, header.hash_slow())));
//! assert_eq!(db.latest()?.balance(owner, AssetId::BTM)?, U256::from(5));
//! drop(db);
//! std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod block;
mod codec;
mod db;
mod dev;
mod error;
mod evidence;
mod lookup;
mod state;
mod tables;
mod write;

pub use block::BlockToCommit;
pub use db::{Database, DatabaseConfig, LOCK_FILE, SCHEMA_VERSION};
pub use error::{StorageError, StorageResult};
pub use evidence::EvidenceRecord;
pub use state::{HistoricalState, LatestState};
pub use tables::Table;
