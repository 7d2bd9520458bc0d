//! A [`TipView`] of one block's changes reads exactly as the state after the block,
//! over a base from before the block and over one from after it, for random blocks.

use crate::keys::{asset, owner};
use alloy_primitives::{Address, B256, U256};
use bytom2_utxo::{
    Account, AssetId, Coin, CoinOrigin, MemoryState, OutPoint, Output, StateCache, StateView,
    StateWriter, Supply, Tip, TipView,
};
use proptest::prelude::*;
use std::sync::Arc;

#[derive(Debug, Clone)]
enum Op {
    Add { owner: u8, asset: u8, amount: u64 },
    Spend { pick: u16 },
    Storage { slot: u8, value: u8 },
    Nonce { addr: u8, nonce: u8 },
    Supply { burned: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0u8..4, 0u8..2, 1u64..1000).prop_map(|(owner, asset, amount)| Op::Add { owner, asset, amount }),
        4 => any::<u16>().prop_map(|pick| Op::Spend { pick }),
        2 => (0u8..4, 0u8..3).prop_map(|(slot, value)| Op::Storage { slot, value }),
        2 => (0u8..3, 0u8..3).prop_map(|(addr, nonce)| Op::Nonce { addr, nonce }),
        1 => any::<u8>().prop_map(|burned| Op::Supply { burned }),
    ]
}

/// Applies `ops` as block `block` over `base`; returns the overlay.
fn run(base: &MemoryState, ops: &[Op], block: u64) -> StateCache<MemoryState> {
    let mut cache = StateCache::new(base.clone());
    let contract = Address::repeat_byte(0xC0);
    for (i, op) in ops.iter().enumerate() {
        let i = u32::try_from(i).unwrap();
        match *op {
            Op::Add {
                owner: o,
                asset: a,
                amount,
            } => {
                let op = OutPoint::new(B256::with_last_byte(u8::try_from(block).unwrap()), i);
                let coin = Coin::new(
                    Output::new(asset(a), U256::from(amount), owner(o)),
                    CoinOrigin::new(block, i, 0),
                );
                cache.add_coin(op, coin).unwrap();
            }
            Op::Spend { pick } => {
                let mut unspent = Vec::new();
                for o in 0..4 {
                    for a in 0..2 {
                        cache
                            .for_each_coin(owner(o), asset(a), &mut |op, _| {
                                unspent.push(*op);
                                true
                            })
                            .unwrap();
                    }
                }
                if !unspent.is_empty() {
                    let op = unspent[usize::from(pick) % unspent.len()];
                    cache.spend_coin(&op).unwrap();
                }
            }
            Op::Storage { slot, value } => cache
                .set_storage(contract, U256::from(slot), U256::from(value))
                .unwrap(),
            Op::Nonce { addr, nonce } => {
                let account = Account {
                    nonce: u64::from(nonce),
                    code_hash: B256::ZERO,
                };
                cache
                    .set_account(owner(addr), (nonce > 0).then_some(account))
                    .unwrap();
            }
            Op::Supply { burned } => {
                let mut supply: Supply = cache.supply(AssetId::BTM).unwrap();
                supply.burned += U256::from(burned);
                cache.set_supply(AssetId::BTM, supply).unwrap();
            }
        }
    }
    cache
}

/// Everything a reader can ask of `view` about the keys the ops can touch.
fn snapshot(view: &dyn StateView) -> Vec<String> {
    let mut out = Vec::new();
    for o in 0..4 {
        for a in 0..2 {
            let mut coins = Vec::new();
            view.for_each_coin(owner(o), asset(a), &mut |op, c| {
                coins.push((*op, *c));
                true
            })
            .unwrap();
            for (op, _) in &coins {
                out.push(format!("{op:?} {:?}", view.coin(op).unwrap()));
            }
            out.push(format!("{o}/{a} coins {coins:?}"));
            out.push(format!(
                "{o}/{a} balance {}",
                view.balance(owner(o), asset(a)).unwrap()
            ));
        }
        out.push(format!("{o} account {:?}", view.account(owner(o)).unwrap()));
    }
    for slot in 0..4u8 {
        let v = view
            .storage(Address::repeat_byte(0xC0), U256::from(slot))
            .unwrap();
        out.push(format!("slot {slot} {v}"));
    }
    out.push(format!("supply {:?}", view.supply(AssetId::BTM).unwrap()));
    out.push(format!("root {}", view.commitment().unwrap().root()));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn tip_reads_as_the_state_after_the_block(
        genesis in proptest::collection::vec(op(), 0..20),
        block in proptest::collection::vec(op(), 0..30),
    ) {
        let mut before = MemoryState::new();
        before.write_changes(run(&MemoryState::new(), &genesis, 1).into_changes()).unwrap();
        let cache = run(&before, &block, 2);
        let changes = cache.into_changes();
        let mut commitment = before.commitment().unwrap();
        commitment.apply(&changes);
        let mut after = before.clone();
        after.write_changes(changes.clone()).unwrap();
        let expected = snapshot(&after);
        let tip = Arc::new(Tip::new(Arc::new(changes), commitment));
        for base in [before, after] {
            let view = TipView::new(base, Some(tip.clone()));
            prop_assert_eq!(&snapshot(&view), &expected);
        }
    }
}
