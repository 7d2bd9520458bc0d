//! Coin selection and fees: which outputs a wallet transaction spends, its change and
//! its fee. Pure: no RPC, no key.
//!
//! The rule (also in `docs/wallet.md`):
//! 1. Only the sender's outputs are spent, **oldest first**: in creation order
//!    `(block, transaction index, output index)`, ties (none on a real chain) broken by
//!    outpoint. This is the order in which the node's settlement spends outputs, so the
//!    wallet and the EVM side consume a balance the same way.
//! 2. For every asset other than BTM that the transaction pays (less what it issues), in
//!    asset-id order, outputs of that asset are added until they cover the payments; any
//!    excess returns to the sender as one change output of that asset.
//! 3. Then BTM outputs are added, oldest first, until they cover the BTM payments plus
//!    the fee. After each one: if the excess over payments plus the fee of the
//!    transaction *with* a BTM change output is at least the minimum output
//!    (`minOutputAmount`), that excess becomes the change; otherwise, if the BTM covers
//!    payments plus the fee *without* change, the remainder (less than the minimum output
//!    plus one output's gas) is left to the fee.
//!
//! Outputs are ordered payments, then asset change, then BTM change. The same coins and
//! the same request always give the same transaction.
//!
//! The fee is `baseFeePerGas × native_gas(tx)` with the size of the transaction as it
//! will be signed (one 65-byte signature per signer, 67 bytes in RLP). The size is taken
//! with the largest possible change amount, so the signed transaction is never larger
//! than the one priced.

use alloy_primitives::{Address, Signature, U256};
use bytom2_chainspec::FeeParams;
use bytom2_utxo::{
    AssetId, Coin, OutPoint, Output,
    native::{Issuance, NativeTx},
};
use std::collections::BTreeMap;

/// What a native transaction costs on the node, from `utxo_feeSchedule`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FeeSchedule {
    /// Base fee per gas of the next block.
    pub(crate) base_fee: u64,
    /// Native gas parameters (only the `native_gas_*` fields are used).
    pub(crate) params: FeeParams,
    /// Smallest BTM output.
    pub(crate) min_output: U256,
}

impl FeeSchedule {
    /// Native gas and fee of `tx` once it carries `signers` signatures.
    pub(crate) fn price(&self, tx: &NativeTx, signers: usize) -> (u64, U256) {
        let dummy = Signature::new(U256::from(1), U256::from(1), false);
        let sized = NativeTx {
            signatures: vec![dummy; signers],
            ..tx.clone()
        };
        let size = sized.encoded_2718().len();
        let gas = self.params.native_gas(
            tx.inputs.len(),
            tx.outputs.len(),
            size,
            tx.issuance.is_some(),
        );
        (gas, U256::from(self.base_fee) * U256::from(gas))
    }
}

/// What a wallet transaction should do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    /// Chain id to sign for.
    pub(crate) chain_id: u64,
    /// The sender: owner of every input, receiver of the change, and issuer if issuing.
    pub(crate) from: Address,
    /// Outputs to create besides change.
    pub(crate) payments: Vec<Output>,
    /// Issuance, if any (its units count as inputs of that asset).
    pub(crate) issuance: Option<Issuance>,
}

/// An unsigned transaction and what it pays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Selection {
    /// The transaction, without signatures.
    pub(crate) tx: NativeTx,
    /// Native gas once signed.
    pub(crate) gas: u64,
    /// BTM in minus BTM out.
    pub(crate) fee: U256,
    /// Signatures it needs (all by the sender).
    pub(crate) signers: usize,
}

/// Why no transaction can be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SelectError {
    /// The sender's outputs of `asset` do not cover what the transaction needs.
    #[error("insufficient funds: have {have} of {asset}, need {need}")]
    Insufficient {
        /// The asset short.
        asset: AssetId,
        /// What the sender has of it.
        have: U256,
        /// What the transaction needs of it.
        need: U256,
        /// What `need` is made of, for BTM: `"amount + fee"` or `"fee"`.
        what: Option<&'static str>,
    },
    /// More inputs than a native transaction may have.
    #[error(
        "paying this takes more than {max} inputs: send a smaller amount first to \
         consolidate outputs"
    )]
    TooManyInputs {
        /// The cap.
        max: usize,
    },
    /// Amounts that do not fit in 256 bits.
    #[error("amounts overflow 256 bits")]
    Overflow,
}

/// Most inputs of a native transaction (`NativeLimits::default().max_inputs`).
pub(crate) const MAX_INPUTS: usize = 256;

/// Spendable coins of `from`, oldest first (rule 1).
fn spendable(coins: &[(OutPoint, Coin)], from: Address) -> Vec<(OutPoint, Coin)> {
    let mut own: Vec<_> = coins
        .iter()
        .filter(|(_, c)| c.output.owner == from)
        .copied()
        .collect();
    own.sort_by_key(|(op, c)| (c.origin, *op));
    own.dedup_by_key(|(op, _)| *op);
    own
}

/// Builds the unsigned transaction for `req` from `coins` (the sender's unspent outputs,
/// in any order) by the rule of the module docs.
pub(crate) fn select(
    coins: &[(OutPoint, Coin)],
    req: &Request,
    fees: &FeeSchedule,
) -> Result<Selection, SelectError> {
    let coins = spendable(coins, req.from);
    let mut tx = NativeTx {
        chain_id: req.chain_id,
        inputs: Vec::new(),
        outputs: req.payments.clone(),
        issuance: req.issuance.clone(),
        signatures: Vec::new(),
    };

    // Rule 2: other assets.
    let mut needs: BTreeMap<AssetId, U256> = BTreeMap::new();
    let mut btm_pay = U256::ZERO;
    for o in &req.payments {
        let slot = if o.asset.is_btm() {
            &mut btm_pay
        } else {
            needs.entry(o.asset).or_default()
        };
        *slot = slot.checked_add(o.amount).ok_or(SelectError::Overflow)?;
    }
    if let Some(i) = &req.issuance
        && let Some(need) = needs.get_mut(&i.asset)
    {
        *need = need.saturating_sub(i.amount);
    }
    for (&asset, &need) in needs.iter().filter(|(_, n)| !n.is_zero()) {
        let mut sum = U256::ZERO;
        for (op, c) in coins.iter().filter(|(_, c)| c.output.asset == asset) {
            if sum >= need {
                break;
            }
            tx.inputs.push(*op);
            sum = sum
                .checked_add(c.output.amount)
                .ok_or(SelectError::Overflow)?;
        }
        if sum < need {
            return Err(SelectError::Insufficient {
                asset,
                have: sum,
                need,
                what: None,
            });
        }
        if sum > need {
            tx.outputs.push(Output::new(asset, sum - need, req.from));
        }
    }
    if tx.inputs.len() > MAX_INPUTS {
        return Err(SelectError::TooManyInputs { max: MAX_INPUTS });
    }

    // Rule 3: BTM for payments and the fee.
    let signers = |tx: &NativeTx| {
        tx.signers_for(
            std::iter::repeat_n(req.from, tx.inputs.len().max(1)),
            Some(req.from),
        )
        .len()
    };
    let min_change = fees.min_output.max(U256::from(1));
    let what = if btm_pay.is_zero() {
        "fee"
    } else {
        "amount + fee"
    };
    let mut btm = coins.iter().filter(|(_, c)| c.output.asset.is_btm());
    let mut sum = U256::ZERO;
    loop {
        if !tx.inputs.is_empty() {
            // With change: priced with the largest change there could be.
            if let Some(excess) = sum.checked_sub(btm_pay) {
                let mut with_change = tx.clone();
                with_change
                    .outputs
                    .push(Output::new(AssetId::BTM, excess, req.from));
                let (gas, fee) = fees.price(&with_change, signers(&with_change));
                if excess >= fee.saturating_add(min_change) {
                    let n = signers(&with_change);
                    with_change.outputs.last_mut().expect("pushed above").amount = excess - fee;
                    return Ok(Selection {
                        tx: with_change,
                        gas,
                        fee,
                        signers: n,
                    });
                }
                let (gas, fee) = fees.price(&tx, signers(&tx));
                if excess >= fee {
                    let n = signers(&tx);
                    return Ok(Selection {
                        tx,
                        gas,
                        fee: excess,
                        signers: n,
                    });
                }
            }
        }
        let Some((op, c)) = btm.next() else {
            // Short: report what the transaction would need with every coin spent.
            let mut priced = tx.clone();
            if priced.inputs.is_empty() {
                priced.inputs.push(OutPoint::default());
            }
            let (_, fee) = fees.price(&priced, signers(&priced));
            return Err(SelectError::Insufficient {
                asset: AssetId::BTM,
                have: sum,
                need: btm_pay.saturating_add(fee),
                what: Some(what),
            });
        };
        if tx.inputs.len() == MAX_INPUTS {
            return Err(SelectError::TooManyInputs { max: MAX_INPUTS });
        }
        tx.inputs.push(*op);
        sum = sum
            .checked_add(c.output.amount)
            .ok_or(SelectError::Overflow)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, keccak256};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use bytom2_chainspec::ONE_BTM;
    use bytom2_utxo::{
        CoinOrigin, MemoryState, StateCache,
        native::{
            NativeLimits, RecoveredNative,
            assets::{AssetDefinition, definition_storage, registry_slot, token_address},
            validate_against,
        },
    };

    const CHAIN: u64 = 19_000;
    const GOLD: AssetId = AssetId(B256::repeat_byte(0x60));

    fn fees() -> FeeSchedule {
        FeeSchedule {
            base_fee: 1_000_000_000,
            params: FeeParams::default(),
            min_output: U256::from(1_000),
        }
    }

    fn btm(n: u64) -> U256 {
        U256::from(n) * ONE_BTM
    }

    fn coin(owner: Address, asset: AssetId, amount: U256, block: u64, n: u32) -> (OutPoint, Coin) {
        let op = OutPoint::new(keccak256(block.to_be_bytes()), n);
        let origin = CoinOrigin::new(block, 0, n);
        (op, Coin::new(Output::new(asset, amount, owner), origin))
    }

    fn pay(req_from: Address, to: Address, asset: AssetId, amount: U256) -> Request {
        Request {
            chain_id: CHAIN,
            from: req_from,
            payments: vec![Output::new(asset, amount, to)],
            issuance: None,
        }
    }

    /// Signs `sel` with `key` and runs every rule of the node against a state holding
    /// `coins` (and `gold`'s definition, if given).
    fn validate(
        sel: &Selection,
        key: &PrivateKeySigner,
        coins: &[(OutPoint, Coin)],
        gold: Option<&AssetDefinition>,
    ) {
        let mut tx = sel.tx.clone();
        for _ in 0..sel.signers {
            tx.signatures
                .push(key.sign_hash_sync(&tx.sighash()).unwrap());
        }
        let bytes = tx.encoded_2718();
        let recovered = RecoveredNative::decode(&bytes).unwrap();
        let base = MemoryState::default();
        let mut state = StateCache::new(&base);
        for (op, c) in coins {
            state.add_coin(*op, *c).unwrap();
        }
        if let Some(def) = gold {
            let id = def.asset_id();
            let token = token_address(id);
            state
                .set_storage(
                    bytom2_utxo::native::assets::ASSET_ISSUER,
                    registry_slot(token),
                    U256::from_be_bytes(id.0.0),
                )
                .unwrap();
            for (slot, value) in definition_storage(def, id) {
                state.set_storage(token, slot, value).unwrap();
            }
        }
        let f = fees();
        let limits = NativeLimits {
            min_output_amount: f.min_output,
            ..NativeLimits::default()
        };
        let v =
            validate_against(&state, &recovered, CHAIN, &f.params, f.base_fee, &limits).unwrap();
        assert_eq!(v.fee, sel.fee);
        assert!(
            v.gas <= sel.gas,
            "priced gas {} < real gas {}",
            sel.gas,
            v.gas
        );
    }

    #[test]
    fn oldest_first_with_change_and_exact_fee() {
        let key = PrivateKeySigner::random();
        let me = key.address();
        let to = Address::repeat_byte(0x22);
        // Newest first in the list: the selection must not care.
        let coins = vec![
            coin(me, AssetId::BTM, btm(5), 9, 0),
            coin(me, AssetId::BTM, btm(1), 3, 1),
            coin(me, AssetId::BTM, btm(2), 3, 0),
            coin(Address::repeat_byte(0x99), AssetId::BTM, btm(100), 1, 0),
        ];
        let sel = select(&coins, &pay(me, to, AssetId::BTM, btm(2)), &fees()).unwrap();
        // Block 3 output 0 (2 BTM) does not cover 2 BTM + fee; block 3 output 1 is next.
        assert_eq!(sel.tx.inputs, vec![coins[2].0, coins[1].0]);
        assert_eq!(sel.tx.outputs.len(), 2);
        assert_eq!(sel.tx.outputs[0], Output::new(AssetId::BTM, btm(2), to));
        let change = sel.tx.outputs[1];
        assert_eq!(change.owner, me);
        assert_eq!(change.amount + btm(2) + sel.fee, btm(3));
        // Two inputs, two outputs, one signature: native gas of the signed size.
        let (gas, fee) = fees().price(&sel.tx, 1);
        assert_eq!((sel.gas, sel.fee), (gas, fee));
        assert!(sel.gas > 9_000 + 2 * 4_000 + 2 * 4_000);
        validate(&sel, &key, &coins, None);
    }

    #[test]
    fn selection_is_deterministic() {
        let me = Address::repeat_byte(1);
        let mut coins: Vec<_> = (0..20u32)
            .map(|i| coin(me, AssetId::BTM, btm(1), u64::from(i % 4), i))
            .collect();
        let req = pay(me, Address::repeat_byte(2), AssetId::BTM, btm(7));
        let first = select(&coins, &req, &fees()).unwrap();
        coins.reverse();
        assert_eq!(select(&coins, &req, &fees()).unwrap(), first);
        coins.swap(3, 11);
        coins.push(coins[0]); // a duplicate is spent once
        assert_eq!(select(&coins, &req, &fees()).unwrap(), first);
        // Oldest first: block 0's coins, then block 1's.
        let blocks: Vec<u64> = first
            .tx
            .inputs
            .iter()
            .map(|op| coins.iter().find(|(o, _)| o == op).unwrap().1.origin.block)
            .collect();
        assert!(blocks.is_sorted(), "{blocks:?}");
        assert_eq!(first.tx.inputs.len(), 8);
    }

    #[test]
    fn dust_remainder_goes_to_the_fee() {
        let key = PrivateKeySigner::random();
        let me = key.address();
        let f = fees();
        let probe = select(
            &[coin(me, AssetId::BTM, btm(10), 1, 0)],
            &pay(me, Address::repeat_byte(2), AssetId::BTM, btm(1)),
            &f,
        )
        .unwrap();
        // Without change: one input, one output.
        let mut bare = probe.tx.clone();
        bare.outputs.truncate(1);
        let (_, fee_bare) = f.price(&bare, 1);
        // Exactly enough for the amount, the fee without change and a bit under dust.
        let total = btm(1) + fee_bare + U256::from(500);
        let coins = [coin(me, AssetId::BTM, total, 1, 0)];
        let sel = select(
            &coins,
            &pay(me, Address::repeat_byte(2), AssetId::BTM, btm(1)),
            &f,
        )
        .unwrap();
        assert_eq!(sel.tx.outputs.len(), 1, "no change output");
        assert_eq!(sel.fee, fee_bare + U256::from(500));
        validate(&sel, &key, &coins, None);
    }

    #[test]
    fn insufficient_funds_name_have_and_need() {
        let me = Address::repeat_byte(1);
        let coins = [
            coin(me, AssetId::BTM, btm(1), 1, 0),
            coin(me, GOLD, U256::from(5), 1, 1),
        ];
        let err = select(
            &coins,
            &pay(me, Address::repeat_byte(2), AssetId::BTM, btm(3)),
            &fees(),
        )
        .unwrap_err();
        let SelectError::Insufficient {
            asset,
            have,
            need,
            what,
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(
            (asset, have, what),
            (AssetId::BTM, btm(1), Some("amount + fee"))
        );
        assert!(need > btm(3) && need < btm(3) + btm(1) / U256::from(1000));

        let err = select(
            &coins,
            &pay(me, Address::repeat_byte(2), GOLD, U256::from(6)),
            &fees(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            SelectError::Insufficient {
                asset: GOLD,
                have: U256::from(5),
                need: U256::from(6),
                what: None
            }
        );

        // Enough gold, no BTM at all: the fee is short.
        let gold_only = [coin(me, GOLD, U256::from(5), 1, 1)];
        let err = select(
            &gold_only,
            &pay(me, Address::repeat_byte(2), GOLD, U256::from(5)),
            &fees(),
        )
        .unwrap_err();
        assert!(
            matches!(err, SelectError::Insufficient { asset: AssetId::BTM, have, what: Some("fee"), .. } if have.is_zero()),
            "{err:?}"
        );
        // Nothing at all.
        let err = select(
            &[],
            &pay(me, Address::repeat_byte(2), AssetId::BTM, btm(1)),
            &fees(),
        )
        .unwrap_err();
        assert!(matches!(err, SelectError::Insufficient { have, .. } if have.is_zero()));
    }

    #[test]
    fn other_asset_with_change_and_btm_for_the_fee() {
        let key = PrivateKeySigner::random();
        let me = key.address();
        let def = AssetDefinition {
            name: "Gold".into(),
            symbol: "GLD".into(),
            decimals: 2,
            issuer: Address::repeat_byte(7),
            data: Default::default(),
        };
        let gold = def.asset_id();
        let to = Address::repeat_byte(0x33);
        let coins = vec![
            coin(me, gold, U256::from(300), 2, 0),
            coin(me, gold, U256::from(500), 1, 0),
            coin(me, AssetId::BTM, btm(1), 1, 1),
        ];
        let sel = select(&coins, &pay(me, to, gold, U256::from(600)), &fees()).unwrap();
        assert_eq!(sel.tx.inputs, vec![coins[1].0, coins[0].0, coins[2].0]);
        assert_eq!(
            sel.tx.outputs[..2],
            [
                Output::new(gold, U256::from(600), to),
                Output::new(gold, U256::from(200), me)
            ]
        );
        assert_eq!(sel.tx.outputs[2].asset, AssetId::BTM);
        assert_eq!(sel.tx.outputs[2].amount + sel.fee, btm(1));
        validate(&sel, &key, &coins, Some(&def));

        // Exactly the amount: no gold change.
        let sel = select(&coins, &pay(me, to, gold, U256::from(800)), &fees()).unwrap();
        assert_eq!(sel.tx.outputs.len(), 2);
        validate(&sel, &key, &coins, Some(&def));
    }

    #[test]
    fn issuance_spends_btm_only() {
        let key = PrivateKeySigner::random();
        let me = key.address();
        let def = AssetDefinition {
            name: "Silver".into(),
            symbol: "SLV".into(),
            decimals: 8,
            issuer: me,
            data: vec![1, 2, 3].into(),
        };
        let asset = def.asset_id();
        let coins = vec![coin(me, AssetId::BTM, btm(1), 1, 0)];
        let req = Request {
            chain_id: CHAIN,
            from: me,
            payments: vec![Output::new(asset, U256::from(10_000), me)],
            issuance: Some(Issuance {
                asset,
                amount: U256::from(10_000),
                definition: Some(def.clone()),
            }),
        };
        let sel = select(&coins, &req, &fees()).unwrap();
        assert_eq!(sel.tx.inputs, vec![coins[0].0]);
        assert_eq!(sel.tx.outputs.len(), 2);
        assert_eq!(sel.signers, 1);
        let (gas, _) = fees().price(&sel.tx, 1);
        assert_eq!(gas, sel.gas);
        assert!(gas > 25_000 + 9_000);
        validate(&sel, &key, &coins, None);

        // More of an existing asset.
        let req = Request {
            issuance: Some(Issuance {
                asset,
                amount: U256::from(10_000),
                definition: None,
            }),
            ..req
        };
        let sel = select(&coins, &req, &fees()).unwrap();
        validate(&sel, &key, &coins, Some(&def));
    }

    #[test]
    fn too_many_inputs_is_an_error() {
        let me = Address::repeat_byte(1);
        let coins: Vec<_> = (0..300u32)
            .map(|i| coin(me, AssetId::BTM, U256::from(1_000_000_000_000_000u64), 1, i))
            .collect();
        let err = select(
            &coins,
            &pay(me, Address::repeat_byte(2), AssetId::BTM, btm(1)),
            &fees(),
        )
        .unwrap_err();
        assert_eq!(err, SelectError::TooManyInputs { max: MAX_INPUTS });
    }
}
