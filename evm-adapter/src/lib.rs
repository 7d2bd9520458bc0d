//! bytom2 execution: contracts run on revm with Ethereum semantics to the gas unit, over
//! the UTXO ledger.
//!
//! This crate owns
//! - [`EvmConfig`], built once from the chain spec: the only place that makes revm's
//!   configuration, block environment, EVM and precompile set ([`Bytom2Precompiles`]:
//!   Ethereum's plus the [`SystemPrecompile`] registry), and the chain's system hooks
//!   ([`SystemHooks`]: pre-block and post-block steps whose value moves are settled like
//!   any other);
//! - [`verify_block`]: strict verification of a block made elsewhere, rejecting it with a
//!   typed [`InvalidBlock`];
//! - [`BlockState`], revm's `Database` over a [`bytom2_utxo::StateView`]: the EVM sees an
//!   account's BTM balance as its outputs plus the block's pending delta;
//! - [`BlockExecutor`], which runs legacy (EIP-155 or not), EIP-2930, EIP-1559 and
//!   EIP-7702 transactions under Prague, with the EIP-1559 base fee burned and the
//!   priority fee to the block's beneficiary, and builds receipts, roots and the
//!   Ethereum-shaped header;
//! - native UTXO transactions in blocks ([`BlockTx`], [`BlockExecutor::execute_native`]);
//! - the asset-issuance precompile and the ERC-20 face of native assets
//!   ([`Bytom2Precompiles`]): a token's balance and supply slots read and write the ledger;
//! - block settlement (DESIGN.md section 3): the deltas become output spends and
//!   creates, reported as a [`bytom2_utxo::Settlement`] (id: [`settlement_id`]);
//! - the genesis block of a chain spec ([`genesis_block`]);
//! - the errors clients parse ([`TxError`]: geth's messages).
//!
//! Prague's system contracts (EIP-2935 block hashes, EIP-7002/7251 requests, EIP-4788
//! beacon roots) are not deployed: there is no beacon chain; `BLOCKHASH` reads the chain.
//! Blob transactions are refused.
//!
//! # Status
//! ALPHA.
//!
//! # Feature Flags
//! - `test-utils`: [`testing`], the workspace's test helpers (dev keys, transaction
//!   builder and signer, contract fixtures, workloads, the plain-revm reference).
//!
//! # Example
//! ```
//! use bytom2_chainspec::ChainSpec;
//! use bytom2_evm_adapter::{genesis_block, BlockAttributes, BlockExecutor, EvmConfig};
//! use bytom2_utxo::{MemoryState, StateWriter};
//! use alloy_primitives::{map::HashMap, Address};
//!
//! let spec = ChainSpec::dev();
//! let genesis = genesis_block(&spec).unwrap();
//! let mut state = MemoryState::new();
//! state.write_changes(genesis.changes.clone()).unwrap();
//! let attrs = BlockAttributes::child_of(&spec, &genesis.header, genesis.hash, 1, Address::ZERO);
//! let hashes: HashMap<u64, _> = [(0, genesis.hash)].into_iter().collect();
//! let config = EvmConfig::from_spec(&spec);
//! let exec = BlockExecutor::new(&config, attrs, &state, &hashes).unwrap();
//! let block = exec.finish().unwrap();
//! assert_eq!(block.header.number, 1);
//! assert_eq!(block.header.state_root, genesis.header.state_root); // an empty block
//! ```
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod attributes;
mod block_tx;
mod code_cache;
mod db;
mod error;
mod evm_config;
mod executed;
mod executor;
mod genesis;
mod issuer;
mod parallel;
mod precompiles;
mod roots;
mod settlement;
mod system;
#[cfg(feature = "test-utils")]
pub mod testing;
mod tx_env;
mod verify;

pub use attributes::{
    BlockAttributes, MAX_EXTRA_DATA_SIZE, base_fee_of_child, prev_randao_of_child,
};
pub use block_tx::{BlockTx, DecodeTxError};
pub use code_cache::CodeCache;
pub use db::{BlockHashes, BlockState, DbError};
pub use error::{ExecError, ExecuteTxError, TxError};
pub use evm_config::{Bytom2Context, Bytom2Evm, EvmConfig, SPEC_ID};
pub(crate) use executed::PendingTx;
pub use executed::{Block, ExecutedBlock, ExecutedTx, TxSummary};
pub use executor::{BlockExecutor, InspectedContext};
pub use genesis::{GenesisBlock, genesis_block, genesis_id};
pub use issuer::{CREATE_GAS, CREATE_GAS_PER_BYTE, ISSUE_GAS, NATIVE_ASSET_CODE, READ_GAS};
pub use precompiles::{Bytom2Precompiles, SystemPrecompile};
pub use roots::transactions_root;
pub use settlement::settlement_id;
pub use system::{NoHooks, SystemHooks, SystemState};
pub use tx_env::RecoveredTx;
pub use verify::{
    FixedField, GAS_LIMIT_BOUND_DIVISOR, InvalidBlock, MIN_GAS_LIMIT, VerifyError, check_header,
    verify_block,
};

// Used by the integration tests and benches only.
#[cfg(test)]
use alloy_signer as _;
#[cfg(test)]
use alloy_signer_local as _;
#[cfg(test)]
use proptest as _;
