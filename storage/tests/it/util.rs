//! Helpers: building blocks through a `StateCache` over the database.

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use bytom2_storage::{BlockToCommit, Database, StorageResult};
use bytom2_utxo::{
    AssetId, Coin, CoinOrigin, LtHash, OutPoint, Output, StateCache, StateChanges, StateView,
    StoredReceipt,
};

/// Builds the changes of one block with `f` over a cache on the latest state and returns
/// them with the commitment after them.
pub(crate) fn build(
    db: &Database,
    f: impl FnOnce(&mut StateCache<&bytom2_storage::LatestState>),
) -> (StateChanges, LtHash) {
    let latest = db.latest().unwrap();
    let mut cache = StateCache::new(&latest);
    f(&mut cache);
    let commitment = cache.commitment().unwrap();
    (cache.into_changes(), commitment)
}

/// The next header on top of the database's head.
pub(crate) fn next_header(db: &Database, commitment: &LtHash) -> Header {
    let (number, parent_hash) = match db.head().unwrap() {
        None => (0, B256::ZERO),
        Some((n, h)) => (n + 1, h),
    };
    Header {
        number,
        parent_hash,
        state_root: commitment.root(),
        timestamp: 1_700_000_000 + number,
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(7),
        ..Default::default()
    }
}

/// Commits a block without transactions.
pub(crate) fn commit_empty(
    db: &Database,
    header: &Header,
    changes: &StateChanges,
    commitment: &LtHash,
) -> StorageResult<()> {
    db.commit_block(&BlockToCommit {
        header,
        hash: header.hash_slow(),
        transactions: &[],
        tx_hashes: &[],
        senders: &[],
        receipts: &[],
        changes,
        commitment,
        settlement: None,
        certificate: None,
    })
}

/// Commits the block `f` builds on top of the head; returns its header.
pub(crate) fn commit_with(
    db: &Database,
    f: impl FnOnce(&mut StateCache<&bytom2_storage::LatestState>),
) -> Header {
    let (changes, commitment) = build(db, f);
    let header = next_header(db, &commitment);
    commit_empty(db, &header, &changes, &commitment).unwrap();
    header
}

/// A coin.
pub(crate) fn coin(owner: Address, asset: AssetId, amount: u64, block: u64, tx: u32) -> Coin {
    Coin::new(
        Output::new(asset, U256::from(amount), owner),
        CoinOrigin::new(block, tx, 0),
    )
}

/// A distinct outpoint per `n`.
pub(crate) fn outpoint(n: u64) -> OutPoint {
    OutPoint::new(keccak256(n.to_be_bytes()), (n % 3) as u32)
}

/// A receipt with one log.
pub(crate) fn receipt(i: u64) -> StoredReceipt {
    StoredReceipt {
        tx_type: 2,
        success: i.is_multiple_of(2),
        cumulative_gas_used: 21_000 * (i + 1),
        logs: vec![alloy_primitives::Log::new_unchecked(
            Address::repeat_byte(9),
            vec![B256::repeat_byte(i as u8)],
            Bytes::from(vec![1, 2, 3]),
        )],
        native_fee: None,
    }
}

/// Commits block `header` with `changes`, `commitment` and transactions `txs` sent by
/// `senders` (receipts from [`receipt`]); returns the transactions' hashes.
pub(crate) fn commit_txs(
    db: &Database,
    header: &Header,
    changes: &StateChanges,
    commitment: &LtHash,
    txs: &[Bytes],
    senders: &[Address],
) -> Vec<B256> {
    let tx_hashes: Vec<B256> = txs.iter().map(keccak256).collect();
    let receipts: Vec<_> = (0..txs.len() as u64).map(receipt).collect();
    db.commit_block(&BlockToCommit {
        header,
        hash: header.hash_slow(),
        transactions: txs,
        tx_hashes: &tx_hashes,
        senders,
        receipts: &receipts,
        changes,
        commitment,
        settlement: None,
        certificate: None,
    })
    .unwrap();
    tx_hashes
}
