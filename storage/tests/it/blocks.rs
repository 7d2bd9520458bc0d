//! Block commits: block data, head checks, atomicity, persistence.

use crate::util::{
    build, coin, commit_empty, commit_txs, commit_with, next_header, outpoint, receipt,
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use bytom2_storage::{BlockToCommit, Database, StorageError};
use bytom2_utxo::{Account, AssetId, Change, OutPoint, StateChanges, StateView, Supply};

#[test]
fn block_data_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    commit_with(&db, |_| {});
    let (changes, commitment) = build(&db, |c| {
        c.add_coin(
            outpoint(7),
            coin(Address::repeat_byte(2), AssetId::BTM, 9, 1, 0),
        )
        .unwrap();
    });
    let header = next_header(&db, &commitment);
    let hash = header.hash_slow();
    let txs: Vec<Bytes> = (0..3u8).map(|i| Bytes::from(vec![2, i, i, i])).collect();
    let senders: Vec<Address> = (0..3u8).map(Address::repeat_byte).collect();
    let receipts: Vec<_> = (0..3).map(receipt).collect();
    let tx_hashes = commit_txs(&db, &header, &changes, &commitment, &txs, &senders);

    assert_eq!(db.head().unwrap(), Some((1, hash)));
    assert_eq!(db.header(1).unwrap(), Some(header.clone()));
    assert_eq!(db.header(2).unwrap(), None);
    assert_eq!(db.block_number(hash).unwrap(), Some(1));
    assert_eq!(db.block_number(B256::repeat_byte(1)).unwrap(), None);
    assert_eq!(db.body(1).unwrap(), Some((txs.clone(), senders.clone())));
    assert_eq!(db.body(0).unwrap(), Some((vec![], vec![])));
    assert_eq!(db.receipts(1).unwrap(), Some(receipts.clone()));
    for (i, h) in tx_hashes.iter().enumerate() {
        assert_eq!(db.tx_location(*h).unwrap(), Some((1, i as u32)));
    }
    assert_eq!(db.tx_location(B256::ZERO).unwrap(), None);
    assert_eq!(db.latest().unwrap().commitment().unwrap(), commitment);
    assert_eq!(db.latest().unwrap().head(), Some((1, hash)));
}

#[test]
fn only_the_next_block_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let empty = StateChanges::default();
    let zero = bytom2_utxo::LtHash::new();

    // Before genesis only block 0.
    let mut h = next_header(&db, &zero);
    h.number = 1;
    let err = commit_empty(&db, &h, &empty, &zero).unwrap_err();
    assert!(matches!(
        err,
        StorageError::NotNextBlock {
            number: 1,
            expected_number: 0,
            ..
        }
    ));
    assert!(!err.is_fatal());

    let genesis = commit_with(&db, |_| {});
    // Genesis again.
    let err = commit_empty(&db, &genesis, &empty, &zero).unwrap_err();
    assert!(matches!(
        err,
        StorageError::NotNextBlock {
            number: 0,
            expected_number: 1,
            ..
        }
    ));
    // A gap.
    let mut h = next_header(&db, &zero);
    h.number = 2;
    assert!(matches!(
        commit_empty(&db, &h, &empty, &zero),
        Err(StorageError::NotNextBlock { number: 2, .. })
    ));
    // The wrong parent.
    let mut h = next_header(&db, &zero);
    h.parent_hash = B256::repeat_byte(0xee);
    let err = commit_empty(&db, &h, &empty, &zero).unwrap_err();
    assert!(
        matches!(err, StorageError::NotNextBlock { expected_parent: Some(p), .. } if p == genesis.hash_slow())
    );
    // The right one.
    let h = next_header(&db, &zero);
    commit_empty(&db, &h, &empty, &zero).unwrap();
    assert_eq!(db.head().unwrap(), Some((1, h.hash_slow())));
}

#[test]
fn inconsistent_blocks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let zero = bytom2_utxo::LtHash::new();
    let header = next_header(&db, &zero);
    let changes = StateChanges::default();
    // Wrong hash.
    let block = BlockToCommit {
        header: &header,
        hash: B256::repeat_byte(1),
        transactions: &[],
        tx_hashes: &[],
        senders: &[],
        receipts: &[],
        changes: &changes,
        commitment: &zero,
        settlement: None,
        certificate: None,
    };
    assert!(matches!(
        db.commit_block(&block),
        Err(StorageError::InvalidBlock(_))
    ));
    // Lists of different lengths.
    let txs = [Bytes::from_static(&[1])];
    let block = BlockToCommit {
        hash: header.hash_slow(),
        transactions: &txs,
        ..block
    };
    assert!(matches!(
        db.commit_block(&block),
        Err(StorageError::InvalidBlock(_))
    ));
    assert_eq!(db.head().unwrap(), None);
}

#[test]
fn stale_changes_abort_the_whole_block() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let owner = Address::repeat_byte(1);
    let c0 = coin(owner, AssetId::BTM, 5, 0, 0);
    commit_with(&db, |c| c.add_coin(outpoint(0), c0).unwrap());
    let head = db.head().unwrap();
    let zero = bytom2_utxo::LtHash::new();

    let attempts: Vec<StateChanges> = vec![
        // Spending an output that does not exist.
        StateChanges {
            coins: vec![Change {
                key: outpoint(1),
                old: Some(c0),
                new: None,
            }],
            ..Default::default()
        },
        // Spending an output with the wrong old value.
        StateChanges {
            coins: vec![Change {
                key: outpoint(0),
                old: Some(coin(owner, AssetId::BTM, 6, 0, 0)),
                new: None,
            }],
            ..Default::default()
        },
        // Creating an output that exists.
        StateChanges {
            coins: vec![Change {
                key: outpoint(0),
                old: None,
                new: Some(c0),
            }],
            ..Default::default()
        },
        // A storage write followed by the removal of a balance that is not there.
        StateChanges {
            storage: vec![Change {
                key: (owner, U256::from(1)),
                old: U256::ZERO,
                new: U256::from(2),
            }],
            balances: vec![Change {
                key: (Address::repeat_byte(7), AssetId::BTM),
                old: U256::from(1),
                new: U256::ZERO,
            }],
            ..Default::default()
        },
    ];
    for changes in attempts {
        let header = next_header(&db, &zero);
        let err = commit_empty(&db, &header, &changes, &zero).unwrap_err();
        assert!(matches!(err, StorageError::Inconsistent(_)), "{err}");
        assert!(err.is_fatal());
        assert_eq!(db.head().unwrap(), head);
        let latest = db.latest().unwrap();
        assert_eq!(latest.coin(&outpoint(0)).unwrap(), Some(c0));
        assert_eq!(latest.storage(owner, U256::from(1)).unwrap(), U256::ZERO);
        assert_eq!(db.header(1).unwrap(), None);
    }
}

#[test]
fn state_and_blocks_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Address::repeat_byte(4);
    let asset = AssetId(B256::repeat_byte(0xaa));
    let code = Bytes::from_static(&[0x60, 0x00, 0x60, 0x00, 0xf3]);
    let code_hash = keccak256(&code);
    let (head, commitment, headers) = {
        let db = Database::open(dir.path()).unwrap();
        let mut headers = vec![];
        headers.push(commit_with(&db, |c| {
            c.add_coin(outpoint(0), coin(owner, AssetId::BTM, 100, 0, 0))
                .unwrap();
            c.add_coin(outpoint(1), coin(owner, asset, 7, 0, 1))
                .unwrap();
            c.set_supply(
                AssetId::BTM,
                Supply {
                    genesis: U256::from(100),
                    ..Default::default()
                },
            )
            .unwrap();
        }));
        headers.push(commit_with(&db, |c| {
            c.spend_coin(&outpoint(0)).unwrap();
            c.add_coin(outpoint(2), coin(owner, AssetId::BTM, 60, 1, 0))
                .unwrap();
            c.set_account(
                owner,
                Some(Account {
                    nonce: 3,
                    code_hash,
                }),
            )
            .unwrap();
            c.insert_code(code_hash, code.clone()).unwrap();
            c.set_storage(owner, U256::from(5), U256::from(6)).unwrap();
        }));
        let latest = db.latest().unwrap();
        (db.head().unwrap(), latest.commitment().unwrap(), headers)
    };
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(db.head().unwrap(), head);
    let latest = db.latest().unwrap();
    assert_eq!(latest.commitment().unwrap(), commitment);
    assert_eq!(latest.commitment().unwrap().root(), headers[1].state_root);
    assert_eq!(latest.balance(owner, AssetId::BTM).unwrap(), U256::from(60));
    assert_eq!(latest.balance(owner, asset).unwrap(), U256::from(7));
    assert_eq!(latest.coin(&outpoint(0)).unwrap(), None);
    assert_eq!(
        latest.account(owner).unwrap(),
        Some(Account {
            nonce: 3,
            code_hash
        })
    );
    assert_eq!(latest.code(code_hash).unwrap(), Some(code));
    assert_eq!(latest.storage(owner, U256::from(5)).unwrap(), U256::from(6));
    assert_eq!(
        latest.supply(AssetId::BTM).unwrap().total(),
        U256::from(100)
    );
    let mut listed: Vec<OutPoint> = vec![];
    latest
        .for_each_coin(owner, AssetId::BTM, &mut |op, _| {
            listed.push(*op);
            true
        })
        .unwrap();
    assert_eq!(listed, vec![outpoint(2)]);
    for (n, h) in headers.iter().enumerate() {
        assert_eq!(db.header(n as u64).unwrap().as_ref(), Some(h));
        assert_eq!(db.block_number(h.hash_slow()).unwrap(), Some(n as u64));
    }
    // And the chain continues.
    commit_with(&db, |c| c.spend_coin(&outpoint(2)).map(|_| ()).unwrap());
    assert_eq!(db.head().unwrap().unwrap().0, 2);
}

/// Times the commit of a block the size of a 10k-transaction block (run with
/// `cargo test --release -p bytom2-storage -- --ignored large_block`).
#[test]
#[ignore = "timing, run in release"]
fn large_block_commit_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let n = 10_000u64;
    let owners: Vec<Address> = (0..n)
        .map(|i| Address::from_word(keccak256(i.to_be_bytes())))
        .collect();
    // Genesis: one output per owner.
    let (changes, commitment) = crate::util::build(&db, |c| {
        for i in 0..n {
            c.add_coin(
                outpoint(i),
                coin(owners[i as usize], AssetId::BTM, 100, 0, i as u32),
            )
            .unwrap();
        }
    });
    let header = next_header(&db, &commitment);
    let t = std::time::Instant::now();
    commit_empty(&db, &header, &changes, &commitment).unwrap();
    eprintln!(
        "genesis with {} state changes: {:?}",
        changes.len(),
        t.elapsed()
    );

    // Block 1: every owner spends its output, creates two, nonce and a storage slot change.
    let (changes, commitment) = crate::util::build(&db, |c| {
        for i in 0..n {
            let o = owners[i as usize];
            c.spend_coin(&outpoint(i)).unwrap();
            c.add_coin(outpoint(n + 2 * i), coin(o, AssetId::BTM, 60, 1, i as u32))
                .unwrap();
            c.add_coin(
                outpoint(n + 2 * i + 1),
                coin(
                    owners[((i + 1) % n) as usize],
                    AssetId::BTM,
                    40,
                    1,
                    i as u32,
                ),
            )
            .unwrap();
            c.set_account(
                o,
                Some(Account {
                    nonce: 1,
                    ..Default::default()
                }),
            )
            .unwrap();
            c.set_storage(o, U256::from(i), U256::from(1)).unwrap();
        }
    });
    let header = next_header(&db, &commitment);
    let txs: Vec<Bytes> = (0..n)
        .map(|i| Bytes::from(vec![2u8; 110 + (i % 7) as usize]))
        .collect();
    let tx_hashes: Vec<B256> = txs
        .iter()
        .enumerate()
        .map(|(i, t)| keccak256([&t[..], &i.to_be_bytes()].concat()))
        .collect();
    let receipts: Vec<_> = (0..n).map(receipt).collect();
    let t = std::time::Instant::now();
    db.commit_block(&BlockToCommit {
        header: &header,
        hash: header.hash_slow(),
        transactions: &txs,
        tx_hashes: &tx_hashes,
        senders: &owners,
        receipts: &receipts,
        changes: &changes,
        commitment: &commitment,
        settlement: None,
        certificate: None,
    })
    .unwrap();
    eprintln!(
        "block with {n} txs, {} state changes: {:?}",
        changes.len(),
        t.elapsed()
    );
}

#[test]
fn certificates_are_kept_beside_their_blocks_and_unwound_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    commit_with(&db, |_| {});
    let (changes, commitment) = build(&db, |_| {});
    let header = next_header(&db, &commitment);
    let certificate = b"votes of the committee".to_vec();
    db.commit_block(&BlockToCommit {
        header: &header,
        hash: header.hash_slow(),
        transactions: &[],
        tx_hashes: &[],
        senders: &[],
        receipts: &[],
        changes: &changes,
        commitment: &commitment,
        settlement: None,
        certificate: Some(&certificate),
    })
    .unwrap();
    assert_eq!(db.finalization(0).unwrap(), None, "genesis has none");
    assert_eq!(
        db.finalization(1).unwrap().as_ref().map(|c| &c[..]),
        Some(&certificate[..])
    );
    drop(db);
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(
        db.finalization(1).unwrap().as_ref().map(|c| &c[..]),
        Some(&certificate[..])
    );
    db.unwind_to(0).unwrap();
    assert_eq!(db.finalization(1).unwrap(), None);
}
