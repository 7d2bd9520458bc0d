//! Chain specification of a bytom2 chain: genesis, chain id, hard fork, fee schedule,
//! epochs, staking economics, the genesis validators, the p2p network and the development
//! chain.
//!
//! A [`ChainSpec`] is read from a JSON file in geth's genesis shape (`config.chainId`,
//! `alloc`, `gasLimit`, `baseFeePerGas`, ...) plus a `bytom2` section with this chain's own
//! parameters; see [`ChainSpec`] for the format and [`ChainParams`] for every field and
//! its default. The `bytom2` section lists the genesis committee ([`GenesisValidator`]:
//! ed25519 public key, fee recipient, stake) and the p2p network ([`P2pParams`]:
//! signature namespace, observer keys); keys are plain 32-byte values here, and the
//! consensus crate checks that they are ed25519 points. Errors name the field and the
//! line. A BTM balance snapshot in
//! CSV can be merged into the genesis allocation ([`ChainSpec::merge_snapshot_csv`]).
//!
//! [`ChainSpec::dev`] is the built-in development chain:
//! - chain id **19000** (`0x4a38`, [`DEV_CHAIN_ID`]), chosen to clash with no common chain
//!   (not 1, not Hardhat/Anvil's 31337, not 1337);
//! - the ten accounts of the standard test mnemonic [`DEV_MNEMONIC`] at
//!   `m/44'/60'/0'/0/{0..9}` ([`dev_accounts`], the keys Hardhat and Anvil print), with
//!   10,000 BTM each;
//! - predeployed [`CREATE2_DEPLOYER`] and [`MULTICALL3`] with their canonical runtime code;
//! - gas limit 30,000,000, base fee 1 gwei, timestamp 0;
//! - foundation address [`DEV_FOUNDATION`] (`0x000000000000000000000000000000000000f0da`);
//! - no genesis validators and the default p2p namespace [`DEFAULT_P2P_NAMESPACE`].
//!
//! It also holds the fee arithmetic every validator must agree on:
//! [`ChainSpec::next_base_fee`] (EIP-1559) and [`ChainSpec::native_gas`] (native UTXO
//! transactions).
//!
//! # Status
//!
//! ALPHA: the JSON format and the default parameters may still change.
//!
//! # Feature Flags
//!
//! None.
//!
//! # Example
//!
//! ```
//! use alloy_primitives::{B256, U256, address};
//! use bytom2_chainspec::{ChainSpec, DEV_CHAIN_ID, MULTICALL3, ONE_BTM};
//!
//! let json = r#"{
//!   "config": { "chainId": 19000 },
//!   "gasLimit": "0x1c9c380",
//!   "alloc": {
//!     "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266": { "balance": "0x21e19e0c9bab2400000" }
//!   },
//!   "bytom2": {
//!     "epochLength": 600,
//!     "validators": [{
//!       "publicKey": "0x0101010101010101010101010101010101010101010101010101010101010101",
//!       "feeRecipient": "0x000000000000000000000000000000000000fee1",
//!       "stake": "0x3e8"
//!     }],
//!     "p2p": { "namespace": "bytom2-devnet" }
//!   }
//! }"#;
//! let mut spec = ChainSpec::from_json_str(json)?;
//! assert_eq!(spec.chain_id, DEV_CHAIN_ID);
//! assert_eq!(spec.params.epoch_length, 600);
//! assert_eq!(spec.params.validators[0].public_key, B256::repeat_byte(1));
//! assert_eq!(spec.params.validators[0].stake, U256::from(1000));
//! assert_eq!(spec.params.p2p.namespace, "bytom2-devnet");
//!
//! // Merge a balance snapshot: amounts are decimal base units (18 decimals).
//! spec.merge_snapshot_csv("address,amount\n0x70997970C51812dc3A010C7d01b50e0d17dc79C8,1000000000000000000\n")?;
//! let bob = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");
//! assert_eq!(spec.genesis.alloc[&bob].balance, ONE_BTM);
//!
//! // EIP-1559: a full block raises the base fee by 12.5%.
//! assert_eq!(spec.next_base_fee(30_000_000, 30_000_000, 1_000_000_000), 1_125_000_000);
//!
//! // The dev chain predeploys Multicall3 and survives a JSON round trip.
//! let dev = ChainSpec::dev();
//! assert!(dev.genesis.alloc[&MULTICALL3].code.is_some());
//! assert_eq!(ChainSpec::from_json_str(&dev.to_json())?, dev);
//! # Ok::<(), bytom2_chainspec::ChainSpecError>(())
//! ```

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod dev;
mod error;
mod fees;
mod genesis;
mod params;
mod predeploys;
mod quantity;
mod snapshot;
mod spec;
mod validators;

pub use dev::{
    DEV_ACCOUNT_BALANCE, DEV_ACCOUNT_COUNT, DEV_CHAIN_ID, DEV_FOUNDATION, DEV_MNEMONIC, DevAccount,
    dev_accounts,
};
pub use error::ChainSpecError;
pub use genesis::{DEFAULT_GAS_LIMIT, Genesis, GenesisAccount, INITIAL_BASE_FEE};
pub use params::{
    BPS_DENOMINATOR, ChainParams, DEFAULT_ANNUAL_REWARD_CAP, FeeParams, Hardfork, MIN_EPOCH_LENGTH,
    ONE_BTM, StakingParams,
};
pub use predeploys::{
    CREATE2_DEPLOYER, CREATE2_DEPLOYER_CODE_HASH, MULTICALL3, MULTICALL3_CODE_HASH,
    create2_deployer_code, multicall3_code, predeploys,
};
pub use spec::ChainSpec;
pub use validators::{DEFAULT_P2P_NAMESPACE, GenesisValidator, MAX_P2P_NAMESPACE_LEN, P2pParams};
