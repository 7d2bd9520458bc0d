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
    let mut per_asset: HashMap<AssetId, U256> = HashMap::new();
    for ((_, asset), v) in &sums {
        *per_asset.entry(*asset).or_default() += *v;
    }
    per_asset.entry(AssetId::BTM).or_default();
    for (asset, total) in per_asset {
        assert_eq!(
            state.supply(asset).unwrap().total(),
            total,
            "supply of {asset}"
        );
    }
}
