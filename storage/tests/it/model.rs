//! Random blocks through `StateCache` over the database equal a `MemoryState` that
//! received the same changes, at the head and at every earlier block.

use crate::util::{build, commit_empty, next_header};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use bytom2_storage::{Database, DatabaseConfig};
use bytom2_utxo::{
    Account, AssetId, Coin, CoinOrigin, MemoryState, OutPoint, Output, StateView, StateWriter,
    Supply,
};
use proptest::prelude::*;
use std::collections::BTreeSet;

const OWNERS: u8 = 4;
const ASSETS: u8 = 2;
const SLOTS: u8 = 4;

#[derive(Clone, Debug)]
enum Op {
    Add {
        owner: u8,
        asset: u8,
        amount: u64,
    },
    Spend {
        pick: usize,
    },
    Account {
        addr: u8,
        nonce: Option<u64>,
        code: Option<u8>,
    },
    Storage {
        addr: u8,
        slot: u8,
        value: u8,
    },
    Supply {
        asset: u8,
        genesis: u8,
        burned: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..OWNERS, 0..ASSETS, 1..1_000u64)
            .prop_map(|(owner, asset, amount)| Op::Add { owner, asset, amount }),
        2 => any::<usize>().prop_map(|pick| Op::Spend { pick }),
        1 => (0..OWNERS, proptest::option::of(0..5u64), proptest::option::of(0..3u8))
            .prop_map(|(addr, nonce, code)| Op::Account { addr, nonce, code }),
        2 => (0..OWNERS, 0..SLOTS, 0..3u8)
            .prop_map(|(addr, slot, value)| Op::Storage { addr, slot, value }),
        1 => (0..ASSETS, 0..3u8, 0..2u8)
            .prop_map(|(asset, genesis, burned)| Op::Supply { asset, genesis, burned }),
    ]
}

fn owner(i: u8) -> Address {
    Address::repeat_byte(i + 1)
}

fn asset(i: u8) -> AssetId {
    if i == 0 {
        AssetId::BTM
    } else {
        AssetId(B256::repeat_byte(0xa0 + i))
    }
}

fn code(i: u8) -> Bytes {
    Bytes::from(vec![0x60, i, 0x00])
}

/// Every key the test may touch.
#[derive(Default)]
struct Keys {
    outpoints: BTreeSet<OutPoint>,
}

fn check_view(view: &impl StateView, model: &MemoryState, keys: &Keys, full: bool) {
    for op in &keys.outpoints {
        assert_eq!(view.coin(op).unwrap(), model.coin(op).unwrap(), "coin {op}");
    }
    for o in 0..OWNERS {
        let addr = owner(o);
        for a in 0..ASSETS {
            let asset = asset(a);
            assert_eq!(
                view.balance(addr, asset).unwrap(),
                model.balance(addr, asset).unwrap()
            );
            if full {
                let list = |v: &dyn StateView| {
                    let mut out: Vec<(OutPoint, Coin)> = vec![];
                    v.for_each_coin(addr, asset, &mut |op, c| {
                        out.push((*op, *c));
                        true
                    })
                    .unwrap();
                    out
                };
                assert_eq!(list(view), list(model));
                // Stopping early works.
                let mut n = 0;
                view.for_each_coin(addr, asset, &mut |_, _| {
                    n += 1;
                    false
                })
                .unwrap();
                assert_eq!(n, list(model).len().min(1));
            }
        }
        assert_eq!(view.account(addr).unwrap(), model.account(addr).unwrap());
        for s in 0..SLOTS {
            let slot = U256::from(s);
            assert_eq!(
                view.storage(addr, slot).unwrap(),
                model.storage(addr, slot).unwrap()
            );
        }
    }
    for a in 0..ASSETS {
        assert_eq!(
            view.supply(asset(a)).unwrap(),
            model.supply(asset(a)).unwrap()
        );
    }
    for i in 0..3 {
        let h = keccak256(code(i));
        // Code is never removed, so a past view also finds code deployed later.
        match model.code(h).unwrap() {
            Some(c) => assert_eq!(view.code(h).unwrap(), Some(c)),
            None if full => assert_eq!(view.code(h).unwrap(), None),
            None => {}
        }
    }
    if full {
        assert_eq!(view.commitment().unwrap(), model.commitment().unwrap());
    }
}

fn run(blocks: Vec<Vec<Op>>) {
    let dir = tempfile::tempdir().unwrap();
    let config = DatabaseConfig {
        durable: false,
        ..Default::default()
    };
    let db = Database::open_with(dir.path(), &config).unwrap();
    let mut model = MemoryState::new();
    let mut snapshots = vec![];
    let mut keys = Keys::default();
    let mut counter = 0u64;
    for (number, ops) in blocks.into_iter().enumerate() {
        let number = number as u64;
        let (changes, commitment) = build(&db, |cache| {
            let mut live: Vec<OutPoint> = model.coins().map(|(op, _)| *op).collect();
            live.sort();
            for (i, op) in ops.iter().enumerate() {
                match *op {
                    Op::Add {
                        owner: o,
                        asset: a,
                        amount,
                    } => {
                        counter += 1;
                        let op = OutPoint::new(keccak256(counter.to_be_bytes()), i as u32);
                        let coin = Coin::new(
                            Output::new(asset(a), U256::from(amount), owner(o)),
                            CoinOrigin::new(number, i as u32, 0),
                        );
                        cache.add_coin(op, coin).unwrap();
                        keys.outpoints.insert(op);
                        live.push(op);
                    }
                    Op::Spend { pick } => {
                        if !live.is_empty() {
                            let op = live.remove(pick % live.len());
                            cache.spend_coin(&op).unwrap();
                        }
                    }
                    Op::Account {
                        addr,
                        nonce,
                        code: c,
                    } => {
                        let account = nonce.map(|nonce| Account {
                            nonce,
                            code_hash: c
                                .map_or(Account::default().code_hash, |c| keccak256(code(c))),
                        });
                        if let Some(c) = c {
                            cache.insert_code(keccak256(code(c)), code(c)).unwrap();
                        }
                        cache.set_account(owner(addr), account).unwrap();
                    }
                    Op::Storage { addr, slot, value } => {
                        cache
                            .set_storage(owner(addr), U256::from(slot), U256::from(value))
                            .unwrap();
                    }
                    Op::Supply {
                        asset: a,
                        genesis,
                        burned,
                    } => {
                        let supply = Supply {
                            genesis: U256::from(genesis),
                            burned: U256::from(burned),
                            ..Default::default()
                        };
                        cache.set_supply(asset(a), supply).unwrap();
                    }
                }
            }
        });
        model.write_changes(changes.clone()).unwrap();
        assert_eq!(commitment, model.commitment().unwrap());
        let header = next_header(&db, &commitment);
        commit_empty(&db, &header, &changes, &commitment).unwrap();
        snapshots.push(model.clone());
        check_view(&db.latest().unwrap(), &model, &keys, true);
    }
    let head = snapshots.len() as u64 - 1;
    for (n, snapshot) in snapshots.iter().enumerate() {
        let view = db.state_at(n as u64).unwrap();
        check_view(&view, snapshot, &keys, n as u64 == head);
    }
    // Reopen: the same state.
    drop(db);
    let db = Database::open_with(dir.path(), &config).unwrap();
    check_view(&db.latest().unwrap(), &model, &keys, true);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn database_equals_memory_state(
        blocks in proptest::collection::vec(proptest::collection::vec(op(), 0..24), 1..6),
    ) {
        run(blocks);
    }
}
