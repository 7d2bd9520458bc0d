//! Block settlement (DESIGN.md section 3): the net balance deltas the EVM left become
//! output spends and creates, by one deterministic rule.
//!
//! In ascending `(address, asset)` order: a positive delta creates one output; a negative
//! delta spends that owner's outputs oldest-first until covered and creates one change
//! output for the excess. Every created output belongs to the block's settlement id and
//! is numbered in that order.

use crate::ExecError;
use alloy_primitives::{Address, B256, I256, U256, keccak256};
use bytom2_utxo::{AssetId, Coin, CoinOrigin, OutPoint, Output, Settlement, StateCache, StateView};

/// The settlement id of block `number` whose parent is `parent_hash`:
/// `keccak256("bytom2/settlement" || number (u64 BE) || parent_hash)`.
pub fn settlement_id(number: u64, parent_hash: B256) -> B256 {
    let mut buf = Vec::with_capacity(17 + 8 + 32);
    buf.extend_from_slice(b"bytom2/settlement");
    buf.extend_from_slice(&number.to_be_bytes());
    buf.extend_from_slice(parent_hash.as_slice());
    keccak256(buf)
}

/// Settles `deltas` (unordered, each key once) into `cache` for block `number`.
pub(crate) fn settle<V: StateView>(
    cache: &mut StateCache<V>,
    mut deltas: Vec<((Address, AssetId), I256)>,
    id: B256,
    number: u64,
) -> Result<Settlement, ExecError> {
    let mut out = Settlement {
        id,
        ..Default::default()
    };
    let mut next_index: u32 = 0;
    let mut create = |cache: &mut StateCache<V>, out: &mut Settlement, owner, asset, amount| {
        let op = OutPoint::new(id, next_index);
        let coin = Coin::new(
            Output::new(asset, amount, owner),
            CoinOrigin::new(number, CoinOrigin::SETTLEMENT_TX, next_index),
        );
        next_index += 1;
        cache.add_coin(op, coin)?;
        out.created.push((op, coin));
        Ok::<_, ExecError>(())
    };
    deltas.sort_unstable_by_key(|(k, _)| *k);
    for ((owner, asset), delta) in deltas {
        if delta.is_zero() {
            continue;
        }
        if delta.is_positive() {
            create(cache, &mut out, owner, asset, delta.into_raw())?;
            continue;
        }
        let need = delta.unsigned_abs();
        let mut picked: Vec<(OutPoint, Coin)> = Vec::new();
        let mut sum = U256::ZERO;
        cache.for_each_coin(owner, asset, &mut |op, coin| {
            picked.push((*op, *coin));
            sum = sum.saturating_add(coin.output.amount);
            sum < need
        })?;
        if sum < need {
            return Err(ExecError::SettlementShortfall {
                owner,
                asset,
                missing: need - sum,
            });
        }
        for (op, _) in &picked {
            cache.spend_coin(op)?;
        }
        out.spent.extend(picked);
        if sum > need {
            create(cache, &mut out, owner, asset, sum - need)?;
        }
    }
    Ok(out)
}
