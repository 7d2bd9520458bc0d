//! The rules of native transactions, each with its own error.

use super::{
    Issuance, NativeTx, RecoveredNative,
    assets::{self, AssetDefinition},
};
use crate::{AssetId, Coin, OutPoint, StateError, StateView};
use alloy_primitives::{Address, U256, map::HashSet};
use bytom2_chainspec::FeeParams;
use std::collections::BTreeMap;

/// Caps on the shape of a native transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NativeLimits {
    /// Most inputs.
    pub max_inputs: usize,
    /// Most outputs.
    pub max_outputs: usize,
    /// Largest envelope, in bytes.
    pub max_size: usize,
    /// Smallest BTM output (dust limit); outputs of other assets must be above zero.
    pub min_output_amount: U256,
}

impl Default for NativeLimits {
    fn default() -> Self {
        Self {
            max_inputs: 256,
            max_outputs: 256,
            max_size: 128 * 1024,
            min_output_amount: U256::from(1),
        }
    }
}

/// Why a native transaction is invalid.
#[derive(Debug, thiserror::Error)]
pub enum NativeTxError {
    /// The envelope does not decode.
    #[error("invalid native transaction: {0}")]
    Decode(String),
    /// Signed for another chain.
    #[error("invalid chain id: expected {expected}, got {got}")]
    WrongChainId {
        /// This chain's id.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// Nothing is spent (the fee is paid from inputs).
    #[error("native transaction has no inputs")]
    NoInputs,
    /// Over the input cap.
    #[error("too many inputs: {count} (at most {max})")]
    TooManyInputs {
        /// Inputs in the transaction.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// Over the output cap.
    #[error("too many outputs: {count} (at most {max})")]
    TooManyOutputs {
        /// Outputs in the transaction.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// Over the size cap.
    #[error("oversized data: {size} bytes (at most {max})")]
    Oversized {
        /// Envelope size.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// One outpoint listed twice.
    #[error("input {0} is spent twice")]
    DuplicateInput(OutPoint),
    /// An output under the dust limit (or a zero amount of another asset).
    #[error("output {index} amount {amount} is below the minimum {min}")]
    DustOutput {
        /// Output index.
        index: usize,
        /// Its amount.
        amount: U256,
        /// The minimum.
        min: U256,
    },
    /// An output to the zero address.
    #[error("output {index} pays the zero address")]
    ZeroOwner {
        /// Output index.
        index: usize,
    },
    /// An output owned by a contract: only the contract's code could spend it.
    #[error("output {index} pays contract {owner}: call the contract instead")]
    OutputToContract {
        /// Output index.
        index: usize,
        /// The contract.
        owner: Address,
    },
    /// An input that is not in the UTXO set.
    #[error("input {0} does not exist or is already spent")]
    MissingInput(OutPoint),
    /// A signature that does not recover, or has a high `s`.
    #[error("signature {index} is invalid")]
    BadSignature {
        /// Signature index.
        index: usize,
    },
    /// The signatures are not those of the input owners (and issuer).
    #[error("signatures do not match the signers: expected {expected:?}, got {got:?}")]
    SignerMismatch {
        /// Required signers, in order.
        expected: Vec<Address>,
        /// Recovered signers, in order.
        got: Vec<Address>,
    },
    /// Outputs of an asset exceed its inputs plus issuance.
    #[error("asset {asset}: outputs {outputs} exceed inputs {inputs}")]
    AssetOverspent {
        /// The asset.
        asset: AssetId,
        /// Inputs (plus issuance).
        inputs: U256,
        /// Outputs.
        outputs: U256,
    },
    /// BTM in minus BTM out is below `base_fee × native_gas`.
    #[error("fee too low: have {have}, want {want} (base fee {base_fee} x native gas {gas})")]
    FeeTooLow {
        /// The fee paid.
        have: U256,
        /// The minimum.
        want: U256,
        /// Base fee per gas.
        base_fee: u64,
        /// Native gas of the transaction.
        gas: u64,
    },
    /// Issuance of BTM.
    #[error("BTM cannot be issued")]
    IssueBtm,
    /// Issuance of an asset that was never created.
    #[error("asset {0} does not exist")]
    UnknownAsset(AssetId),
    /// Creation of an asset that exists.
    #[error("asset {0} already exists")]
    AssetExists(AssetId),
    /// A definition whose id is not the issuance's asset, or out of limits.
    #[error("invalid asset definition: {0}")]
    BadDefinition(String),
    /// Issuance of more by someone other than the issuer.
    #[error("only the issuer {issuer} may issue asset {asset}")]
    NotIssuer {
        /// The asset.
        asset: AssetId,
        /// Its issuer.
        issuer: Address,
    },
    /// Issuance of zero of an existing asset.
    #[error("issuance amount is zero")]
    ZeroIssuance,
    /// Spending the input would leave its owner's outputs short of the block's pending
    /// negative change (earlier Ethereum transactions of the block need them).
    #[error("input {input} is needed to settle earlier transactions of {owner} in this block")]
    NeededBySettlement {
        /// The input.
        input: OutPoint,
        /// Its owner.
        owner: Address,
    },
    /// Reading the state failed.
    #[error(transparent)]
    State(#[from] StateError),
}

impl NativeTxError {
    /// Whether the error is the state's, not the transaction's.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::State(e) if e.is_fatal())
    }
}

impl NativeTx {
    /// The rules that need no state: chain id, caps, duplicate inputs, dust and zero
    /// owners, the issuance's shape.
    pub fn check(
        &self,
        chain_id: u64,
        size: usize,
        limits: &NativeLimits,
    ) -> Result<(), NativeTxError> {
        if self.chain_id != chain_id {
            return Err(NativeTxError::WrongChainId {
                expected: chain_id,
                got: self.chain_id,
            });
        }
        if size > limits.max_size {
            return Err(NativeTxError::Oversized {
                size,
                max: limits.max_size,
            });
        }
        if self.inputs.is_empty() {
            return Err(NativeTxError::NoInputs);
        }
        if self.inputs.len() > limits.max_inputs {
            return Err(NativeTxError::TooManyInputs {
                count: self.inputs.len(),
                max: limits.max_inputs,
            });
        }
        if self.outputs.len() > limits.max_outputs {
            return Err(NativeTxError::TooManyOutputs {
                count: self.outputs.len(),
                max: limits.max_outputs,
            });
        }
        let mut seen: HashSet<OutPoint> = HashSet::default();
        for op in &self.inputs {
            if !seen.insert(*op) {
                return Err(NativeTxError::DuplicateInput(*op));
            }
        }
        for (index, o) in self.outputs.iter().enumerate() {
            let min = if o.asset.is_btm() {
                limits.min_output_amount.max(U256::from(1))
            } else {
                U256::from(1)
            };
            if o.amount < min {
                return Err(NativeTxError::DustOutput {
                    index,
                    amount: o.amount,
                    min,
                });
            }
            if o.owner.is_zero() {
                return Err(NativeTxError::ZeroOwner { index });
            }
        }
        if let Some(Issuance {
            asset,
            amount,
            definition,
        }) = &self.issuance
        {
            if asset.is_btm() {
                return Err(NativeTxError::IssueBtm);
            }
            match definition {
                Some(def) => {
                    def.check().map_err(NativeTxError::BadDefinition)?;
                    if def.asset_id() != *asset {
                        return Err(NativeTxError::BadDefinition(format!(
                            "asset id {asset} is not the definition's id {}",
                            def.asset_id()
                        )));
                    }
                }
                None if amount.is_zero() => return Err(NativeTxError::ZeroIssuance),
                None => {}
            }
        }
        Ok(())
    }
}

/// A native transaction that passed every rule against a state: what applying it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedNative {
    /// The inputs with their coins, in input order.
    pub spent: Vec<(OutPoint, Coin)>,
    /// Native gas charged.
    pub gas: u64,
    /// The BTM fee: BTM in minus BTM out.
    pub fee: U256,
    /// Amounts of non-BTM assets spent and not re-created: burned.
    pub burned: BTreeMap<AssetId, U256>,
    /// The asset the transaction creates, if it does.
    pub created_asset: Option<(AssetId, AssetDefinition)>,
}

/// Checks every rule of `tx` against `view` for a block with `base_fee`: the stateless
/// rules, inputs unspent, signatures of the input owners (and issuer), per-asset
/// balance, the fee, issuer rights, no outputs to contracts.
pub fn validate_against(
    view: &(impl StateView + ?Sized),
    tx: &RecoveredNative,
    chain_id: u64,
    fees: &FeeParams,
    base_fee: u64,
    limits: &NativeLimits,
) -> Result<ValidatedNative, NativeTxError> {
    let t = &tx.tx;
    t.check(chain_id, tx.size(), limits)?;

    let mut spent = Vec::with_capacity(t.inputs.len());
    for op in &t.inputs {
        let coin = view.coin(op)?.ok_or(NativeTxError::MissingInput(*op))?;
        spent.push((*op, coin));
    }

    let mut created_asset = None;
    let issuer = match &t.issuance {
        None => None,
        Some(i) => match &i.definition {
            Some(def) => {
                if assets::asset_exists(view, i.asset)? {
                    return Err(NativeTxError::AssetExists(i.asset));
                }
                created_asset = Some((i.asset, def.clone()));
                Some(def.issuer)
            }
            None => Some(
                assets::read_issuer(view, i.asset)?.ok_or(NativeTxError::UnknownAsset(i.asset))?,
            ),
        },
    };
    let expected = t.signers_for(spent.iter().map(|(_, c)| c.output.owner), issuer);
    if expected != tx.signers {
        if let (Some(i), Some(issuer)) = (&t.issuance, issuer)
            && i.definition.is_none()
            && !tx.signers.contains(&issuer)
        {
            return Err(NativeTxError::NotIssuer {
                asset: i.asset,
                issuer,
            });
        }
        return Err(NativeTxError::SignerMismatch {
            expected,
            got: tx.signers.clone(),
        });
    }

    // Per asset: inputs (+ issuance) against outputs.
    let mut sums: BTreeMap<AssetId, (U256, U256)> = BTreeMap::new();
    let overflow = |asset| NativeTxError::AssetOverspent {
        asset,
        inputs: U256::MAX,
        outputs: U256::MAX,
    };
    for (_, c) in &spent {
        let e = sums.entry(c.output.asset).or_default();
        e.0 =
            e.0.checked_add(c.output.amount)
                .ok_or(overflow(c.output.asset))?;
    }
    if let Some(i) = &t.issuance {
        let e = sums.entry(i.asset).or_default();
        e.0 = e.0.checked_add(i.amount).ok_or(overflow(i.asset))?;
    }
    for (index, o) in t.outputs.iter().enumerate() {
        let e = sums.entry(o.asset).or_default();
        e.1 = e.1.checked_add(o.amount).ok_or(overflow(o.asset))?;
        if view.account(o.owner)?.is_some_and(|a| a.has_code()) {
            return Err(NativeTxError::OutputToContract {
                index,
                owner: o.owner,
            });
        }
    }
    let mut burned = BTreeMap::new();
    for (&asset, &(inputs, outputs)) in &sums {
        if outputs > inputs {
            return Err(NativeTxError::AssetOverspent {
                asset,
                inputs,
                outputs,
            });
        }
        if !asset.is_btm() && inputs > outputs {
            burned.insert(asset, inputs - outputs);
        }
    }
    let (btm_in, btm_out) = sums.get(&AssetId::BTM).copied().unwrap_or_default();
    let fee = btm_in - btm_out;
    let gas = fees.native_gas(
        t.inputs.len(),
        t.outputs.len(),
        tx.size(),
        t.issuance.is_some(),
    );
    let want = U256::from(base_fee) * U256::from(gas);
    if fee < want {
        return Err(NativeTxError::FeeTooLow {
            have: fee,
            want,
            base_fee,
            gas,
        });
    }
    Ok(ValidatedNative {
        spent,
        gas,
        fee,
        burned,
        created_asset,
    })
}
