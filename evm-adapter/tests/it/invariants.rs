//! Ledger invariants checked after every block.

use alloy_primitives::{Address, U256};
use bytom2_utxo::{AssetId, MemoryState, StateView};
use std::collections::HashMap;

/// Every address's balance equals the sum of its unspent outputs (both through the index
/// and through `for_each_coin`), and BTM supply equals the sum of all BTM outputs.
pub(crate) fn check_ledger(state: &MemoryState) {
    let mut sums: HashMap<(Address, AssetId), U256> = HashMap::new();
    for (_, coin) in state.coins() {
        *sums
            .entry((coin.output.owner, coin.output.asset))
            .or_default() += coin.output.amount;
    }
    for ((owner, asset), total) in &sums {
        assert_eq!(
            state.balance(*owner, *asset).unwrap(),
            *total,
            "index of {owner}"
        );
        let mut listed = U256::ZERO;
        let mut last = None;
        state
            .for_each_coin(*owner, *asset, &mut |_, c| {
                assert!(last <= Some(c.origin), "coins listed out of creation order");
                last = Some(c.origin);
                listed += c.output.amount;
                true
            })
            .unwrap();
        assert_eq!(listed, *total);
    }
    for ((owner, asset), amount) in state.balances() {
        assert_eq!(
            sums.get(&(*owner, *asset)),
            Some(amount),
            "stale index entry of {owner}"
        );
    }
    let btm: U256 = sums
        .iter()
        .filter(|((_, a), _)| a.is_btm())
        .map(|(_, v)| *v)
        .sum();
    assert_eq!(
        state.supply(AssetId::BTM).unwrap().total(),
        btm,
        "BTM supply"
    );
}
