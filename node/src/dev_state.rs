//! What only a development node keeps ([`DevState`]): the dev keys that
//! `eth_sendTransaction` signs with, impersonated senders, snapshots with the journal of
//! state edits they undo, and the count of development outputs.

use alloy_primitives::{
    Address, B256,
    map::{HashMap, HashSet},
};
use alloy_signer_local::PrivateKeySigner;
use bytom2_utxo::{Change, StateChanges};
use parking_lot::Mutex;
use std::sync::atomic::AtomicU64;

/// What only a development node keeps.
#[derive(Debug)]
pub(crate) struct DevState {
    pub(crate) signers: HashMap<Address, PrivateKeySigner>,
    /// Accounts in key order, as `eth_accounts` lists them.
    pub(crate) accounts: Vec<Address>,
    pub(crate) impersonated: Mutex<HashSet<Address>>,
    pub(crate) snapshots: Mutex<Snapshots>,
    /// Development outputs created so far (their outpoints' tags).
    pub(crate) outputs_created: AtomicU64,
}

#[derive(Debug, Default)]
pub(crate) struct Snapshots {
    pub(crate) next_id: u64,
    pub(crate) taken: Vec<Snapshot>,
    /// State edits while a snapshot exists: the head they edited and what they changed.
    pub(crate) journal: Vec<(u64, StateChanges)>,
}

#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) id: u64,
    pub(crate) head: u64,
    pub(crate) time_offset: i64,
    pub(crate) next_timestamp: Option<u64>,
    pub(crate) journal_len: usize,
}

impl DevState {
    pub(crate) fn new(keys: &[B256]) -> Self {
        let mut signers = HashMap::default();
        let mut accounts = Vec::new();
        for key in keys {
            if let Ok(signer) = PrivateKeySigner::from_bytes(key) {
                accounts.push(signer.address());
                signers.insert(signer.address(), signer);
            }
        }
        Self {
            signers,
            accounts,
            impersonated: Mutex::new(HashSet::default()),
            snapshots: Mutex::new(Snapshots::default()),
            outputs_created: AtomicU64::new(0),
        }
    }
}

/// Swaps `old` and `new` in every change: what undoes `changes`.
pub(crate) fn inverse(changes: &StateChanges) -> StateChanges {
    fn flip<K: Copy, V: Clone>(v: &[Change<K, V>]) -> Vec<Change<K, V>> {
        v.iter()
            .rev()
            .map(|c| Change {
                key: c.key,
                old: c.new.clone(),
                new: c.old.clone(),
            })
            .collect()
    }
    StateChanges {
        coins: flip(&changes.coins),
        balances: flip(&changes.balances),
        accounts: flip(&changes.accounts),
        storage: flip(&changes.storage),
        supply: flip(&changes.supply),
        code: Vec::new(),
    }
}
