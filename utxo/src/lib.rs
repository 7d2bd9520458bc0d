//! The bytom2 ledger: value lives only in unspent outputs (UTXOs), many assets side by
//! side; Ethereum accounts are a view over them.
//!
//! This crate owns
//! - the ledger types [`AssetId`], [`OutPoint`], [`Output`], [`Coin`] and the EVM account
//!   metadata [`Account`] (nonce and code hash; code and storage slots live beside it);
//! - the read trait [`StateView`] over outputs, the `(owner, asset) -> total` balance index
//!   and EVM accounts, and the write trait [`StateWriter`];
//! - the stackable overlay [`StateCache`] (Bitcoin Core's `CCoinsViewCache` layering): a
//!   block connects into a cache over the tip, and only on success are its
//!   [`StateChanges`] written down;
//! - native UTXO transactions ([`native`]): the EIP-2718 envelope, sighash, the rules,
//!   and native assets (definitions, ids, token addresses, the registry's layout);
//! - what a block's settlement spent and created ([`Settlement`]) and the receipt kept
//!   for each included transaction ([`StoredReceipt`]);
//! - the state commitment [`LtHash`] (a lattice multiset hash over every state entry,
//!   updated in O(entries changed)).
//!
//! # Status
//! ALPHA.
//!
//! # Feature Flags
//! None.
//!
//! # Example
//! ```
//! use bytom2_utxo::{AssetId, Coin, CoinOrigin, MemoryState, OutPoint, Output, StateCache, StateView, StateWriter};
//! use alloy_primitives::{Address, B256, U256};
//!
//! let mut base = MemoryState::default();
//! let owner = Address::repeat_byte(1);
//! let mut cache = StateCache::new(&base);
//! let op = OutPoint::new(B256::repeat_byte(9), 0);
//! let coin = Coin::new(Output::new(AssetId::BTM, U256::from(5), owner), CoinOrigin::new(1, 0, 0));
//! cache.add_coin(op, coin).unwrap();
//! assert_eq!(cache.balance(owner, AssetId::BTM).unwrap(), U256::from(5));
//! let changes = cache.into_changes();
//! base.write_changes(changes).unwrap();
//! assert_eq!(base.balance(owner, AssetId::BTM).unwrap(), U256::from(5));
//! ```
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

#[cfg(test)]
use alloy_signer as _;

mod account;
mod asset;
mod cache;
mod changes;
mod commitment;
mod error;
mod memory;
pub mod native;
mod output;
mod receipt;
mod settlement;
mod supply;
mod tip;
mod view;

pub use account::Account;
pub use asset::AssetId;
pub use cache::StateCache;
pub use changes::{Change, StateChanges};
pub use commitment::{LtHash, StateEntry};
pub use error::{StateError, StateResult};
pub use memory::MemoryState;
pub use output::{Coin, CoinOrigin, OutPoint, Output};
pub use receipt::StoredReceipt;
pub use settlement::Settlement;
pub use supply::Supply;
pub use tip::{Tip, TipView};
pub use view::{StateView, StateWriter};
