//! Transaction lookups written in batches: every committed transaction is found, before
//! and after its batch is written, after a reopen (rebuilt from the bodies) and after an
//! unwind.

use crate::util::{build, commit_txs, next_header};
use alloy_primitives::{Address, B256, Bytes};
use bytom2_storage::{Database, DatabaseConfig};

/// Small batches: a write every 5 transactions or 3 blocks.
fn config() -> DatabaseConfig {
    DatabaseConfig {
        durable: false,
        lookup_batch_txs: 5,
        lookup_batch_blocks: 3,
        ..Default::default()
    }
}

/// Commits the next block with `count` transactions (distinct by `seed`); returns
/// their hashes.
fn commit_n(db: &Database, count: usize, seed: u8) -> Vec<B256> {
    let (changes, commitment) = build(db, |_| {});
    let header = next_header(db, &commitment);
    let txs: Vec<Bytes> = (0..count)
        .map(|i| Bytes::from(vec![2, seed, i as u8, header.number as u8]))
        .collect();
    let senders = vec![Address::repeat_byte(1); count];
    commit_txs(db, &header, &changes, &commitment, &txs, &senders)
}

/// Every transaction of `blocks` (index = block number) is where it was committed, and
/// those of `gone` are not found.
fn assert_found(db: &Database, blocks: &[Vec<B256>], gone: &[B256]) {
    for (number, hashes) in blocks.iter().enumerate() {
        for (index, hash) in hashes.iter().enumerate() {
            assert_eq!(
                db.tx_location(*hash).unwrap(),
                Some((number as u64, index as u32)),
                "tx {index} of block {number}"
            );
        }
    }
    for hash in gone {
        assert_eq!(db.tx_location(*hash).unwrap(), None, "{hash} was unwound");
    }
    assert_eq!(db.tx_location(B256::repeat_byte(0xee)).unwrap(), None);
}

#[test]
fn found_before_and_after_each_batch_and_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut blocks: Vec<Vec<B256>> = Vec::new();
    {
        let db = Database::open_with(dir.path(), &config()).unwrap();
        blocks.push(commit_n(&db, 0, 0));
        // Block sizes that cross the transaction limit, hit it exactly, stay under it
        // for three blocks (the block limit), and come in one block over it.
        for (seed, count) in [2usize, 2, 1, 0, 1, 1, 0, 7, 3].into_iter().enumerate() {
            blocks.push(commit_n(&db, count, seed as u8));
            assert_found(&db, &blocks, &[]);
        }
    }
    // Reopened with these batches and with the default ones: the lookups not yet
    // written are rebuilt from the bodies.
    for config in [config(), DatabaseConfig::default()] {
        let db = Database::open_with(dir.path(), &config).unwrap();
        assert_found(&db, &blocks, &[]);
    }
    // Committing goes on after a reopen.
    let db = Database::open_with(dir.path(), &config()).unwrap();
    for seed in 20..24u8 {
        blocks.push(commit_n(&db, 2, seed));
        assert_found(&db, &blocks, &[]);
    }
}

#[test]
fn unwound_transactions_are_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_with(dir.path(), &config()).unwrap();
    let mut blocks: Vec<Vec<B256>> = vec![commit_n(&db, 0, 0)];
    for seed in 1..=8u8 {
        blocks.push(commit_n(&db, 2, seed));
    }
    // Blocks 1-8: batches were written up to some block; unwind below it.
    db.unwind_to(3).unwrap();
    let gone: Vec<B256> = blocks.drain(4..).flatten().collect();
    assert_found(&db, &blocks, &gone);
    // New blocks at the unwound heights, and a reopen.
    for seed in 30..34u8 {
        blocks.push(commit_n(&db, 2, seed));
        assert_found(&db, &blocks, &gone);
    }
    drop(db);
    let db = Database::open_with(dir.path(), &config()).unwrap();
    assert_found(&db, &blocks, &gone);
    db.reset_to_genesis().unwrap();
    let all: Vec<B256> = blocks.drain(1..).flatten().chain(gone).collect();
    assert_found(&db, &blocks, &all);
    drop(db);
    let db = Database::open_with(dir.path(), &config()).unwrap();
    assert_found(&db, &blocks, &all);
}

#[test]
fn readers_find_every_committed_transaction_while_batches_are_written() {
    use std::sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    };
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open_with(dir.path(), &config()).unwrap();
    // Blocks whose commit has returned, with their transactions.
    let committed: Arc<Mutex<Vec<Vec<B256>>>> = Arc::new(Mutex::new(vec![commit_n(&db, 0, 0)]));
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let (db, committed, done) = (db.clone(), committed.clone(), done.clone());
            std::thread::spawn(move || {
                let mut checked = 0u64;
                let mut i = r;
                while !done.load(Ordering::Relaxed) {
                    let blocks = committed.lock().unwrap().clone();
                    // The latest blocks, where the batches come and go.
                    for (number, hashes) in blocks.iter().enumerate().rev().take(8) {
                        for (index, hash) in hashes.iter().enumerate() {
                            i += 1;
                            if i % 3 != 0 {
                                continue;
                            }
                            assert_eq!(
                                db.tx_location(*hash).unwrap(),
                                Some((number as u64, index as u32)),
                                "committed tx {index} of block {number}"
                            );
                            checked += 1;
                        }
                    }
                }
                checked
            })
        })
        .collect();
    for number in 1..=200u32 {
        let hashes = commit_n(&db, 1 + (number % 3) as usize, (number % 251) as u8);
        committed.lock().unwrap().push(hashes);
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
}
