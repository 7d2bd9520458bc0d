//! Reading the state of earlier blocks.

use crate::util::{coin, commit_with, outpoint};
use alloy_primitives::{Address, B256, U256};
use bytom2_storage::{Database, StorageError};
use bytom2_utxo::{Account, AssetId, StateError, StateView, Supply};

#[test]
fn earlier_blocks_read_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let a = Address::repeat_byte(1);
    let b = Address::repeat_byte(2);
    let btm = AssetId::BTM;
    let acct = |nonce| {
        Some(Account {
            nonce,
            ..Default::default()
        })
    };
    let supply = |g: u64| Supply {
        genesis: U256::from(g),
        ..Default::default()
    };

    // Block 0: a has 10 in one output; nonce 1; slot 1 = 1; supply 10.
    commit_with(&db, |c| {
        c.add_coin(outpoint(0), coin(a, btm, 10, 0, 0)).unwrap();
        c.set_account(a, acct(1)).unwrap();
        c.set_storage(a, U256::from(1), U256::from(1)).unwrap();
        c.set_supply(btm, supply(10)).unwrap();
    });
    // Block 1: a pays b 4 (change 6); nonce 2; slot 1 = 2.
    commit_with(&db, |c| {
        c.spend_coin(&outpoint(0)).unwrap();
        c.add_coin(outpoint(1), coin(b, btm, 4, 1, 0)).unwrap();
        c.add_coin(outpoint(2), coin(a, btm, 6, 1, 1)).unwrap();
        c.set_account(a, acct(2)).unwrap();
        c.set_storage(a, U256::from(1), U256::from(2)).unwrap();
    });
    // Block 2: nothing.
    commit_with(&db, |_| {});
    // Block 3: slot cleared, account removed, supply grows.
    commit_with(&db, |c| {
        c.set_account(a, None).unwrap();
        c.set_storage(a, U256::from(1), U256::ZERO).unwrap();
        c.set_supply(btm, supply(11)).unwrap();
    });

    let expect = [
        // (a balance, b balance, nonce, slot, supply, outpoint 0 unspent)
        (10u64, 0u64, Some(1u64), 1u64, 10u64, true),
        (6, 4, Some(2), 2, 10, false),
        (6, 4, Some(2), 2, 10, false),
        (6, 4, None, 0, 11, false),
    ];
    for (n, (ba, bb, nonce, slot, sup, op0)) in expect.into_iter().enumerate() {
        let s = db.state_at(n as u64).unwrap();
        assert_eq!(s.block(), n as u64);
        assert_eq!(s.balance(a, btm).unwrap(), U256::from(ba), "block {n}");
        assert_eq!(s.balance(b, btm).unwrap(), U256::from(bb), "block {n}");
        assert_eq!(s.account(a).unwrap().map(|x| x.nonce), nonce, "block {n}");
        assert_eq!(
            s.storage(a, U256::from(1)).unwrap(),
            U256::from(slot),
            "block {n}"
        );
        assert_eq!(s.supply(btm).unwrap(), supply(sup), "block {n}");
        assert_eq!(s.coin(&outpoint(0)).unwrap().is_some(), op0, "block {n}");
        assert_eq!(s.coin(&outpoint(1)).unwrap().is_some(), n >= 1, "block {n}");
    }

    // Past blocks: no output listing or commitment; the head: both.
    let past = db.state_at(1).unwrap();
    assert!(matches!(past.commitment(), Err(StateError::Backend(_))));
    assert!(matches!(
        past.for_each_coin(a, btm, &mut |_, _| true),
        Err(StateError::Backend(_))
    ));
    let at_head = db.state_at(3).unwrap();
    assert_eq!(
        at_head.commitment().unwrap(),
        db.latest().unwrap().commitment().unwrap()
    );
    let mut n = 0;
    at_head
        .for_each_coin(a, btm, &mut |_, _| {
            n += 1;
            true
        })
        .unwrap();
    assert_eq!(n, 1);

    assert!(matches!(
        db.state_at(4),
        Err(StorageError::BlockUnavailable {
            requested: 4,
            head: Some(3)
        })
    ));
}

#[test]
fn no_state_before_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    assert!(matches!(
        db.state_at(0),
        Err(StorageError::BlockUnavailable { head: None, .. })
    ));
    let latest = db.latest().unwrap();
    assert_eq!(latest.head(), None);
    assert_eq!(
        latest.balance(Address::ZERO, AssetId::BTM).unwrap(),
        U256::ZERO
    );
    assert_eq!(latest.commitment().unwrap(), bytom2_utxo::LtHash::new());
    assert_eq!(latest.code(B256::ZERO).unwrap(), None);
}

#[test]
fn a_view_is_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let a = Address::repeat_byte(1);
    commit_with(&db, |c| {
        c.add_coin(outpoint(0), coin(a, AssetId::BTM, 1, 0, 0))
            .unwrap()
    });
    let before = db.latest().unwrap();
    // The view can move to another thread while a block commits.
    let handle = std::thread::spawn(move || before);
    commit_with(&db, |c| {
        c.add_coin(outpoint(1), coin(a, AssetId::BTM, 2, 1, 0))
            .unwrap()
    });
    let before = handle.join().unwrap();
    assert_eq!(before.balance(a, AssetId::BTM).unwrap(), U256::from(1));
    assert_eq!(
        db.latest().unwrap().balance(a, AssetId::BTM).unwrap(),
        U256::from(3)
    );
}
