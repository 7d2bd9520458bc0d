//! The MDBX tables (named databases) of one environment.
//!
//! Byte layouts are in the `codec` module (and summarised on each [`Table`] variant).
//! Every table is a plain sorted key-value map (no `DUP_SORT`).

use crate::StorageResult;
use signet_libmdbx::{Database as Dbi, DatabaseFlags, Rw, TxUnsync};

/// The tables of a bytom2 database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(usize)]
pub enum Table {
    /// Unspent outputs: outpoint `tx(32) index(4)` → coin `asset(32) amount(32) owner(20)
    /// block(8) txindex(4) outindex(4)`.
    Coins,
    /// Outputs per owner and asset in creation order: `owner(20) asset(32) block(8)
    /// txindex(4) outindex(4) outpoint(36)` → empty.
    OwnerCoins,
    /// The balance index: `owner(20) asset(32)` → `amount(32)`; absent when zero.
    Balances,
    /// EVM account metadata: `address(20)` → `nonce(8) code_hash(32)`.
    Accounts,
    /// Contract code: `code_hash(32)` → bytes.
    Code,
    /// Storage slots: `address(20) slot(32)` → `value(32)`; absent when zero.
    Storage,
    /// Supply counters: `asset(32)` → `genesis(32) issued(32) rewards(32) burned(32)`.
    Supply,
    /// Change sets of `Coins`: `outpoint(36) block(8)` → `0x00` | `0x01 coin`.
    CoinsHistory,
    /// Change sets of `Balances`: `owner(20) asset(32) block(8)` → `0x00` | `0x01 amount`.
    BalancesHistory,
    /// Change sets of `Accounts`: `address(20) block(8)` → `0x00` | `0x01 account`.
    AccountsHistory,
    /// Change sets of `Storage`: `address(20) slot(32) block(8)` → `0x00` | `0x01 value`.
    StorageHistory,
    /// Change sets of `Supply`: `asset(32) block(8)` → `0x00` | `0x01 counters`.
    SupplyHistory,
    /// Block headers: `number(8)` → RLP of the header.
    Headers,
    /// Block hash to number: `hash(32)` → `number(8)`.
    HeaderNumbers,
    /// Block bodies: `number(8)` → RLP `[[tx, …], [sender, …]]`.
    Bodies,
    /// Receipts: `number(8)` → RLP list of receipts.
    Receipts,
    /// Transaction hash to location: `hash(32)` → `number(8) index(4)`.
    TxLookup,
    /// Metadata: `"schema_version"`, `"head"`, `"commitment"`.
    Meta,
    /// Block settlements: `number(8)` → `id(32) n_spent(4) [outpoint(36) coin]…
    /// n_created(4) [outpoint(36) coin]…`; absent for a block whose settlement moved
    /// nothing (and for blocks written before the table existed).
    Settlements,
    /// Finality certificates: `number(8)` → the consensus engine's encoding of the
    /// certificate that finalized the block; absent on a development chain (one node, no
    /// votes).
    Finalizations,
    /// Evidence of validator misbehaviour: `first_seen_height(8) digest(32)` →
    /// `kind(1) validator(32) epoch(8) view(8) data(…)`, where `digest` is the keccak-256
    /// of `data` (module `evidence`). Never unwound with blocks.
    Evidence,
    /// Where each piece of evidence is stored: `digest(32)` → `first_seen_height(8)`
    /// (it makes storing evidence idempotent).
    EvidenceDigests,
}

impl Table {
    /// Every table, in a fixed order.
    pub const ALL: [Self; 22] = [
        Self::Coins,
        Self::OwnerCoins,
        Self::Balances,
        Self::Accounts,
        Self::Code,
        Self::Storage,
        Self::Supply,
        Self::CoinsHistory,
        Self::BalancesHistory,
        Self::AccountsHistory,
        Self::StorageHistory,
        Self::SupplyHistory,
        Self::Headers,
        Self::HeaderNumbers,
        Self::Bodies,
        Self::Receipts,
        Self::TxLookup,
        Self::Meta,
        Self::Settlements,
        Self::Finalizations,
        Self::Evidence,
        Self::EvidenceDigests,
    ];

    /// The MDBX database name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Coins => "Coins",
            Self::OwnerCoins => "OwnerCoins",
            Self::Balances => "Balances",
            Self::Accounts => "Accounts",
            Self::Code => "Code",
            Self::Storage => "Storage",
            Self::Supply => "Supply",
            Self::CoinsHistory => "CoinsHistory",
            Self::BalancesHistory => "BalancesHistory",
            Self::AccountsHistory => "AccountsHistory",
            Self::StorageHistory => "StorageHistory",
            Self::SupplyHistory => "SupplyHistory",
            Self::Headers => "Headers",
            Self::HeaderNumbers => "HeaderNumbers",
            Self::Bodies => "Bodies",
            Self::Receipts => "Receipts",
            Self::TxLookup => "TxLookup",
            Self::Meta => "Meta",
            Self::Settlements => "Settlements",
            Self::Finalizations => "Finalizations",
            Self::Evidence => "Evidence",
            Self::EvidenceDigests => "EvidenceDigests",
        }
    }
}

/// The opened handles of every table, valid for the life of the environment.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tables {
    dbs: [Dbi; Table::ALL.len()],
}

impl Tables {
    /// Creates (if missing) and opens every table in `txn`. The handles stay valid once
    /// `txn` commits.
    pub(crate) fn create(txn: &TxUnsync<Rw>) -> StorageResult<Self> {
        let mut dbs = [Dbi::freelist_db(); Table::ALL.len()];
        for table in Table::ALL {
            dbs[table as usize] = txn.create_db(Some(table.name()), DatabaseFlags::empty())?;
        }
        Ok(Self { dbs })
    }

    /// The handle of `table`.
    #[inline]
    pub(crate) fn get(&self, table: Table) -> Dbi {
        self.dbs[table as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_indexed_by_discriminant() {
        for (i, t) in Table::ALL.iter().enumerate() {
            assert_eq!(*t as usize, i);
        }
        let names: std::collections::HashSet<_> = Table::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(names.len(), Table::ALL.len());
    }
}
