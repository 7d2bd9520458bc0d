//! Random blocks through `StateCache` over the database equal a `MemoryState` that
//! received the same changes, at the head and at every earlier block.

use crate::util::{build, commit_empty, next_header};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use bytom2_storage::{Database, DatabaseConfig, LatestState};
use bytom2_utxo::{
    Account, AssetId, Coin, CoinOrigin, MemoryState, OutPoint, Output, StateCache, StateView,
    StateWriter, Supply,
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

/// Applies `ops` to `cache` (block `number`), tracking every outpoint in `keys`.
fn apply_ops(
    cache: &mut StateCache<&LatestState>,
    model: &MemoryState,
    ops: &[Op],
    number: u64,
    keys: &mut Keys,
    counter: &mut u64,
) {
    let mut live: Vec<OutPoint> = model.coins().map(|(op, _)| *op).collect();
    live.sort();
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Add {
                owner: o,
                asset: a,
                amount,
            } => {
                *counter += 1;
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
                    code_hash: c.map_or(Account::default().code_hash, |c| keccak256(code(c))),
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
                    adjusted_in: U256::from(burned / 2),
                    ..Default::default()
                };
                cache.set_supply(asset(a), supply).unwrap();
            }
        }
    }
}

/// Commits `blocks`; after block `n`, applies the development edits `edits[n]` (if any)
/// to the head's state. Returns the database and the model of every block's end state
/// (edits included), with the model of genesis before its edits.
fn build_chain(
    dir: &std::path::Path,
    blocks: &[Vec<Op>],
    edits: &[Vec<Op>],
    keys: &mut Keys,
) -> (Database, Vec<MemoryState>, MemoryState) {
    let config = DatabaseConfig {
        durable: false,
        ..Default::default()
    };
    let db = Database::open_with(dir, &config).unwrap();
    let mut model = MemoryState::new();
    let mut snapshots = vec![];
    let mut genesis = None;
    let mut counter = 0u64;
    for (number, ops) in blocks.iter().enumerate() {
        let number = number as u64;
        let (changes, commitment) = build(&db, |cache| {
            apply_ops(cache, &model, ops, number, keys, &mut counter)
        });
        model.write_changes(changes.clone()).unwrap();
        assert_eq!(commitment, model.commitment().unwrap());
        let header = next_header(&db, &commitment);
        commit_empty(&db, &header, &changes, &commitment).unwrap();
        genesis.get_or_insert_with(|| model.clone());
        if let Some(edit) = edits.get(number as usize).filter(|e| !e.is_empty()) {
            let (changes, commitment) = build(&db, |cache| {
                apply_ops(cache, &model, edit, number, keys, &mut counter)
            });
            db.apply_dev_changes(&changes).unwrap();
            model.write_changes(changes).unwrap();
            assert_eq!(commitment, model.commitment().unwrap());
        }
        snapshots.push(model.clone());
        check_view(&db.latest().unwrap(), &model, keys, true);
    }
    (db, snapshots, genesis.expect("at least one block"))
}

fn run(blocks: Vec<Vec<Op>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut keys = Keys::default();
    let (db, snapshots, _) = build_chain(dir.path(), &blocks, &[], &mut keys);
    let model = snapshots.last().unwrap().clone();
    let head = snapshots.len() as u64 - 1;
    for (n, snapshot) in snapshots.iter().enumerate() {
        let view = db.state_at(n as u64).unwrap();
        check_view(&view, snapshot, &keys, n as u64 == head);
    }
    // Reopen: the same state.
    drop(db);
    let config = DatabaseConfig {
        durable: false,
        ..Default::default()
    };
    let db = Database::open_with(dir.path(), &config).unwrap();
    check_view(&db.latest().unwrap(), &model, &keys, true);
}

/// Development edits of the head's state show at the head and at that block, leave
/// earlier blocks alone, and unwinding to a block (or resetting to genesis) restores
/// exactly its state, commitment included; blocks can be committed again on top.
fn run_dev(blocks: Vec<Vec<Op>>, edits: Vec<Vec<Op>>, target: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut keys = Keys::default();
    let (db, snapshots, genesis) = build_chain(dir.path(), &blocks, &edits, &mut keys);
    let head = snapshots.len() as u64 - 1;
    for (n, snapshot) in snapshots.iter().enumerate() {
        check_view(
            &db.state_at(n as u64).unwrap(),
            snapshot,
            &keys,
            n as u64 == head,
        );
    }

    let target = (target % snapshots.len()) as u64;
    let header = db.header(target).unwrap().unwrap();
    db.unwind_to(target).unwrap();
    assert_eq!(db.head().unwrap(), Some((target, header.hash_slow())));
    assert!(db.header(target + 1).unwrap().is_none());
    let last = snapshots.last().unwrap();
    let model = &with_code_of(&snapshots[target as usize], last);
    check_view(&db.latest().unwrap(), model, &keys, true);
    for n in 0..target {
        check_view(
            &db.state_at(n).unwrap(),
            &snapshots[n as usize],
            &keys,
            false,
        );
    }
    assert!(db.unwind_to(target + 1).is_err());

    // The chain goes on from there.
    let (changes, commitment) = build(&db, |cache| {
        cache
            .set_storage(owner(0), U256::from(1), U256::from(99))
            .unwrap();
    });
    let next = next_header(&db, &commitment);
    commit_empty(&db, &next, &changes, &commitment).unwrap();
    assert_eq!(db.head().unwrap(), Some((target + 1, next.hash_slow())));
    check_view(&db.state_at(target).unwrap(), model, &keys, false);

    db.reset_to_genesis().unwrap();
    assert_eq!(db.head().unwrap().map(|h| h.0), Some(0));
    check_view(
        &db.latest().unwrap(),
        &with_code_of(&genesis, last),
        &keys,
        true,
    );
}

/// `model` plus the code `later` holds: code is content-addressed and never removed,
/// so an unwound state still finds code deployed after it.
fn with_code_of(model: &MemoryState, later: &MemoryState) -> MemoryState {
    let code = (0..3)
        .filter_map(|i| later.code(keccak256(code(i))).unwrap())
        .map(|c| (keccak256(&c), c))
        .collect();
    let mut model = model.clone();
    model
        .write_changes(bytom2_utxo::StateChanges {
            code,
            ..Default::default()
        })
        .unwrap();
    model
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn database_equals_memory_state(
        blocks in proptest::collection::vec(proptest::collection::vec(op(), 0..24), 1..6),
    ) {
        run(blocks);
    }

    #[test]
    fn dev_edits_and_unwinding_equal_memory_state(
        blocks in proptest::collection::vec(proptest::collection::vec(op(), 0..16), 1..6),
        edits in proptest::collection::vec(proptest::collection::vec(op(), 0..6), 0..6),
        target in any::<usize>(),
    ) {
        run_dev(blocks, edits, target);
    }
}
