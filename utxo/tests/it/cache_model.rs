//! A stack of `StateCache`s under random add/spend/set/push/flush/discard behaves like a
//! `BTreeMap` model, and the incrementally maintained commitment equals one computed
//! from scratch.

use crate::keys::{asset, owner};
use alloy_primitives::{Address, B256, U256};
use bytom2_utxo::{
    Account, AssetId, Coin, CoinOrigin, LtHash, MemoryState, OutPoint, Output, StateCache,
    StateEntry, StateError, StateView, StateWriter, Supply,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

trait ViewWriter: StateView + StateWriter {}
impl<T: StateView + StateWriter> ViewWriter for T {}

#[derive(Debug, Clone)]
enum Op {
    /// `fresh`: through `add_new_coin` (the outpoint is new), else `add_coin`.
    Add {
        owner: u8,
        asset: u8,
        amount: u64,
        fresh: bool,
    },
    /// `read`: read the coin first, then `spend_read_coin`, else `spend_coin`.
    Spend {
        pick: u16,
        read: bool,
    },
    SpendMissing,
    Storage {
        slot: u8,
        value: u8,
    },
    Nonce {
        addr: u8,
        nonce: u8,
    },
    Supply {
        burned: u8,
    },
    Push,
    Flush,
    Discard,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..4, 0u8..2, 1u64..1000, any::<bool>()).prop_map(|(owner, asset, amount, fresh)| Op::Add { owner, asset, amount, fresh }),
        4 => (any::<u16>(), any::<bool>()).prop_map(|(pick, read)| Op::Spend { pick, read }),
        1 => Just(Op::SpendMissing),
        2 => (0u8..4, 0u8..3).prop_map(|(slot, value)| Op::Storage { slot, value }),
        2 => (0u8..3, 0u8..3).prop_map(|(addr, nonce)| Op::Nonce { addr, nonce }),
        1 => any::<u8>().prop_map(|burned| Op::Supply { burned }),
        2 => Just(Op::Push),
        2 => Just(Op::Flush),
        1 => Just(Op::Discard),
    ]
}

#[derive(Debug, Clone, Default)]
struct Model {
    coins: BTreeMap<OutPoint, Coin>,
    storage: BTreeMap<(Address, U256), U256>,
    accounts: BTreeMap<Address, Account>,
    burned: U256,
}

fn check(view: &dyn ViewWriter, model: &Model) {
    for o in 0..4 {
        for a in 0..2 {
            let (owner, asset) = (owner(o), asset(a));
            let mut expected: Vec<_> = model
                .coins
                .iter()
                .filter(|(_, c)| c.output.owner == owner && c.output.asset == asset)
                .map(|(op, c)| (c.origin, *op))
                .collect();
            expected.sort();
            let total: U256 = expected
                .iter()
                .map(|(_, op)| model.coins[op].output.amount)
                .sum();
            assert_eq!(view.balance(owner, asset).unwrap(), total);
            let mut listed = Vec::new();
            view.for_each_coin(owner, asset, &mut |op, c| {
                listed.push((c.origin, *op));
                true
            })
            .unwrap();
            assert_eq!(listed, expected);
        }
    }
    for (op, coin) in &model.coins {
        assert_eq!(view.coin(op).unwrap(), Some(*coin));
    }
    for slot in 0..4u8 {
        let key = (owner(0), U256::from(slot));
        assert_eq!(
            view.storage(key.0, key.1).unwrap(),
            model.storage.get(&key).copied().unwrap_or_default()
        );
    }
    for a in 0..3 {
        assert_eq!(
            view.account(owner(a)).unwrap(),
            model.accounts.get(&owner(a)).copied()
        );
    }
    assert_eq!(view.supply(AssetId::BTM).unwrap().burned, model.burned);
}

struct Run<'a> {
    ops: &'a [Op],
    pos: usize,
    next_id: u64,
}

/// Runs ops on a cache over `base` until a Flush/Discard pops this level (or ops end).
fn level(base: &mut dyn ViewWriter, model: &mut Model, run: &mut Run<'_>, depth: usize) {
    let saved = model.clone();
    let mut cache = StateCache::new(&*base);
    while run.pos < run.ops.len() {
        let op = run.ops[run.pos].clone();
        run.pos += 1;
        match op {
            Op::Add {
                owner: o,
                asset: a,
                amount,
                fresh,
            } => {
                run.next_id += 1;
                let op = OutPoint::new(B256::left_padding_from(&run.next_id.to_be_bytes()), 0);
                let coin = Coin::new(
                    Output::new(asset(a), U256::from(amount), owner(o)),
                    CoinOrigin::new(run.next_id, 0, 0),
                );
                if fresh {
                    cache.add_new_coin(op, coin).unwrap();
                } else {
                    cache.add_coin(op, coin).unwrap();
                }
                assert!(matches!(
                    cache.add_coin(op, coin),
                    Err(StateError::CoinExists(_))
                ));
                assert!(matches!(
                    cache.add_new_coin(op, coin),
                    Err(StateError::CoinExists(_))
                ));
                model.coins.insert(op, coin);
            }
            Op::Spend { pick, read } => {
                if model.coins.is_empty() {
                    continue;
                }
                let op = *model
                    .coins
                    .keys()
                    .nth(pick as usize % model.coins.len())
                    .unwrap();
                let coin = if read {
                    let coin = cache.coin(&op).unwrap().unwrap();
                    cache.spend_read_coin(&op, coin).unwrap();
                    coin
                } else {
                    cache.spend_coin(&op).unwrap()
                };
                assert_eq!(Some(coin), model.coins.remove(&op));
                assert!(
                    matches!(cache.spend_coin(&op), Err(StateError::MissingCoin(_))),
                    "spent twice"
                );
            }
            Op::SpendMissing => {
                let op = OutPoint::new(B256::repeat_byte(0xEE), 9);
                assert!(matches!(
                    cache.spend_coin(&op),
                    Err(StateError::MissingCoin(_))
                ));
            }
            Op::Storage { slot, value } => {
                let key = (owner(0), U256::from(slot));
                cache.set_storage(key.0, key.1, U256::from(value)).unwrap();
                if value == 0 {
                    model.storage.remove(&key);
                } else {
                    model.storage.insert(key, U256::from(value));
                }
            }
            Op::Nonce { addr, nonce } => {
                let account = Account {
                    nonce: nonce as u64,
                    ..Default::default()
                };
                cache.set_account(owner(addr), Some(account)).unwrap();
                if account.is_empty() {
                    model.accounts.remove(&owner(addr));
                } else {
                    model.accounts.insert(owner(addr), account);
                }
            }
            Op::Supply { burned } => {
                let mut s = cache.supply(AssetId::BTM).unwrap();
                s.burned += U256::from(burned);
                cache.set_supply(AssetId::BTM, s).unwrap();
                model.burned += U256::from(burned);
            }
            Op::Push => {
                if depth < 4 {
                    level(&mut cache, model, run, depth + 1);
                }
            }
            Op::Flush => {
                let changes = cache.into_changes();
                base.write_changes(changes).unwrap();
                check(base, model);
                return;
            }
            Op::Discard => {
                drop(cache);
                *model = saved;
                check(base, model);
                return;
            }
        }
        check(&cache, model);
    }
    let changes = cache.into_changes();
    base.write_changes(changes).unwrap();
}

fn scratch_commitment(model: &Model) -> LtHash {
    let mut h = LtHash::new();
    let mut balances: BTreeMap<(Address, AssetId), U256> = BTreeMap::new();
    for (op, coin) in &model.coins {
        h.insert(&StateEntry::Coin(op, coin));
        *balances
            .entry((coin.output.owner, coin.output.asset))
            .or_default() += coin.output.amount;
    }
    for ((o, a), v) in balances {
        h.insert(&StateEntry::Balance(o, a, v));
    }
    for (a, acc) in &model.accounts {
        h.insert(&StateEntry::Account(*a, acc));
    }
    for ((a, s), v) in &model.storage {
        h.insert(&StateEntry::Storage(*a, *s, *v));
    }
    let supply = Supply {
        burned: model.burned,
        ..Default::default()
    };
    if !supply.is_zero() {
        h.insert(&StateEntry::Supply(AssetId::BTM, &supply));
    }
    h
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn cache_stack_equals_model(ops in proptest::collection::vec(op(), 1..120)) {
        let mut base = MemoryState::new();
        let mut model = Model::default();
        let mut run = Run { ops: &ops, pos: 0, next_id: 0 };
        while run.pos < ops.len() {
            level(&mut base, &mut model, &mut run, 0);
        }
        check(&base, &model);
        prop_assert_eq!(base.commitment().unwrap(), scratch_commitment(&model));
    }
}
