//! The `bytom2` section of a chain spec: fee schedule, epochs, staking economics, the
//! genesis validators and the p2p network.
//!
//! Every field is optional in JSON; a missing field takes the default documented on it.
//! Unknown fields are rejected, so a misspelt parameter is an error rather than a
//! silently ignored default.

use alloy_primitives::{Address, U256, uint};
use serde::{Deserialize, Serialize};

use crate::{GenesisValidator, P2pParams, quantity};

/// One BTM in base units: BTM has 18 decimals, so amounts are exact wei.
pub const ONE_BTM: U256 = uint!(1_000_000_000_000_000_000_U256);

/// Default annual staking reward cap C: 30,000,000 BTM.
pub const DEFAULT_ANNUAL_REWARD_CAP: U256 = uint!(30_000_000_000_000_000_000_000_000_U256);

/// Shortest epoch, in blocks: 2 (Commonware's fixed epocher refuses epochs of one block).
pub const MIN_EPOCH_LENGTH: u64 = 2;

/// One hundred percent in basis points.
pub const BPS_DENOMINATOR: u32 = 10_000;

/// The Ethereum hard fork whose EVM rules the chain runs.
///
/// Only Prague is supported; it is written `"prague"` in JSON.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Hardfork {
    /// Prague (Pectra's execution layer): EIP-7702, EIP-2537, EIP-2935, ...
    #[default]
    #[serde(alias = "Prague")]
    Prague,
}

/// Chain parameters beyond geth's genesis: the `bytom2` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainParams {
    /// EIP-1559 parameters and the native-transaction gas schedule (`fees`).
    pub fees: FeeParams,
    /// Blocks per epoch; the validator set and rewards change at epoch boundaries
    /// (`epochLength`, default 1,800: one hour at 2-second blocks; at least
    /// [`MIN_EPOCH_LENGTH`]).
    pub epoch_length: u64,
    /// Validator election, rewards and slashing (`staking`).
    pub staking: StakingParams,
    /// Receives the part of the annual reward cap that stakers do not (`foundation`,
    /// default the zero address: set it on any real network).
    pub foundation: Address,
    /// Smallest amount a native transaction output may carry, in base units
    /// (`minOutputAmount`, default 1: no empty outputs).
    pub min_output_amount: U256,
    /// The committee of the first epoch (`validators`, default none: the dev chain has
    /// no genesis validators). No public key twice; a stake may be zero.
    pub validators: Vec<GenesisValidator>,
    /// The p2p network: signature namespace and observer keys (`p2p`).
    pub p2p: P2pParams,
}

impl Default for ChainParams {
    fn default() -> Self {
        Self {
            fees: FeeParams::default(),
            epoch_length: 1_800,
            staking: StakingParams::default(),
            foundation: Address::ZERO,
            min_output_amount: U256::from(1),
            validators: Vec::new(),
            p2p: P2pParams::default(),
        }
    }
}

/// EIP-1559 base-fee parameters and the gas schedule of native UTXO transactions
/// (`bytom2.fees`).
///
/// The native schedule defaults make the common native payment (one input, two outputs,
/// no payload) cost 21,000 gas, as an Ethereum transfer does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct FeeParams {
    /// Gas target is `gas_limit / elasticity_multiplier` (default 2, as Ethereum).
    #[serde(with = "quantity::u64_num")]
    pub elasticity_multiplier: u64,
    /// Bounds the base-fee change per block to `1 / denominator` (default 8, as
    /// Ethereum: ±12.5%).
    #[serde(with = "quantity::u64_num")]
    pub base_fee_change_denominator: u64,
    /// Floor of the base fee in base units (default 0: no floor, as Ethereum).
    #[serde(with = "quantity::u64_num")]
    pub min_base_fee: u64,
    /// Gas of every native transaction (default 9,000).
    #[serde(with = "quantity::u64_num")]
    pub native_gas_base: u64,
    /// Gas per spent input: a signature check and a state read (default 4,000).
    #[serde(with = "quantity::u64_num")]
    pub native_gas_per_input: u64,
    /// Gas per created output (default 4,000).
    #[serde(with = "quantity::u64_num")]
    pub native_gas_per_output: u64,
    /// Gas per byte of the encoded transaction (default 16, Ethereum's calldata byte).
    #[serde(with = "quantity::u64_num")]
    pub native_gas_per_byte: u64,
    /// Extra gas for a transaction that issues a native asset (default 25,000, Ethereum's
    /// new-account cost).
    #[serde(with = "quantity::u64_num")]
    pub native_gas_issuance: u64,
}

impl Default for FeeParams {
    fn default() -> Self {
        Self {
            elasticity_multiplier: 2,
            base_fee_change_denominator: 8,
            min_base_fee: 0,
            native_gas_base: 9_000,
            native_gas_per_input: 4_000,
            native_gas_per_output: 4_000,
            native_gas_per_byte: 16,
            native_gas_issuance: 25_000,
        }
    }
}

/// Staking economics (`bytom2.staking`): DESIGN.md section 5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct StakingParams {
    /// Annual reward cap C in base units, a decimal or hex string in JSON (default
    /// 30,000,000 BTM, [`DEFAULT_ANNUAL_REWARD_CAP`]).
    #[serde(with = "quantity::u256_dec")]
    pub annual_reward_cap: U256,
    /// Committee size K: the top K candidates by stake validate (default 21).
    #[serde(with = "quantity::u32_num")]
    pub max_validators: u32,
    /// Blocks between an undelegation and its withdrawal (default 302,400: 7 days at
    /// 2-second blocks).
    #[serde(with = "quantity::u64_num")]
    pub unbonding_period: u64,
    /// Share of stake burned for equivocation, in basis points (default 500: 5%).
    #[serde(with = "quantity::u32_num")]
    pub slash_fraction_bps: u32,
    /// A validator that misses more than this share of an epoch's votes, in basis
    /// points, forfeits its rewards and is jailed (default 5,000: 50%).
    #[serde(with = "quantity::u32_num")]
    pub missed_vote_threshold_bps: u32,
    /// Target block interval in seconds, used to turn the annual cap into per-epoch
    /// amounts (default 2).
    #[serde(with = "quantity::u64_num")]
    pub block_time_seconds: u64,
}

impl Default for StakingParams {
    fn default() -> Self {
        Self {
            annual_reward_cap: DEFAULT_ANNUAL_REWARD_CAP,
            max_validators: 21,
            unbonding_period: 302_400,
            slash_fraction_bps: 500,
            missed_vote_threshold_bps: 5_000,
            block_time_seconds: 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants() {
        assert_eq!(ONE_BTM, U256::from(10u64).pow(U256::from(18)));
        assert_eq!(
            DEFAULT_ANNUAL_REWARD_CAP,
            U256::from(30_000_000u64) * ONE_BTM
        );
    }

    #[test]
    fn native_payment_costs_a_transfer() {
        let f = FeeParams::default();
        assert_eq!(
            f.native_gas_base + f.native_gas_per_input + 2 * f.native_gas_per_output,
            21_000
        );
    }

    #[test]
    fn rejects_unknown_fields() {
        let err = serde_json::from_str::<FeeParams>(r#"{"elasticity":3}"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `elasticity`"),
            "{err}"
        );
    }

    #[test]
    fn hardfork_json() {
        assert_eq!(
            serde_json::to_string(&Hardfork::Prague).unwrap(),
            r#""prague""#
        );
        assert_eq!(
            serde_json::from_str::<Hardfork>(r#""Prague""#).unwrap(),
            Hardfork::Prague
        );
        assert!(serde_json::from_str::<Hardfork>(r#""cancun""#).is_err());
    }
}
