//! Fee arithmetic: the EIP-1559 base fee and the native-transaction gas schedule.

use crate::{ChainSpec, FeeParams};

// === impl FeeParams ===

impl FeeParams {
    /// Base fee of the block after a parent with the given gas use, limit and base fee,
    /// exactly as EIP-1559 (geth's `CalcBaseFee`), then raised to `min_base_fee`.
    ///
    /// With `target = parent_gas_limit / elasticity_multiplier`:
    /// - `used == target`: unchanged;
    /// - `used > target`: `base + max(1, base * (used - target) / target / denominator)`;
    /// - `used < target`: `base - base * (target - used) / target / denominator`.
    ///
    /// Intermediate products are 128-bit, so nothing overflows; the increase saturates at
    /// `u64::MAX`. A zero target (a limit below the multiplier) or a zero parameter leaves
    /// the base fee unchanged.
    pub fn next_base_fee(
        &self,
        parent_gas_used: u64,
        parent_gas_limit: u64,
        parent_base_fee: u64,
    ) -> u64 {
        let target = parent_gas_limit
            .checked_div(self.elasticity_multiplier)
            .unwrap_or(0);
        let denominator = u128::from(self.base_fee_change_denominator);
        let next = if target == 0 || denominator == 0 || parent_gas_used == target {
            parent_base_fee
        } else {
            let base = u128::from(parent_base_fee);
            let target128 = u128::from(target);
            if parent_gas_used > target {
                let excess = u128::from(parent_gas_used - target);
                let delta = (base * excess / target128 / denominator).max(1);
                u64::try_from(base + delta).unwrap_or(u64::MAX)
            } else {
                let shortfall = u128::from(target - parent_gas_used);
                let delta = base * shortfall / target128 / denominator;
                // delta <= base because shortfall <= target and denominator >= 1.
                u64::try_from(base - delta).unwrap_or(u64::MAX)
            }
        };
        next.max(self.min_base_fee)
    }

    /// Gas charged for a native UTXO transaction:
    /// `base + inputs·per_input + outputs·per_output + bytes·per_byte (+ issuance)`,
    /// saturating at `u64::MAX`.
    pub fn native_gas(&self, inputs: usize, outputs: usize, bytes: usize, issuance: bool) -> u64 {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.native_gas_base
            .saturating_add(self.native_gas_per_input.saturating_mul(count(inputs)))
            .saturating_add(self.native_gas_per_output.saturating_mul(count(outputs)))
            .saturating_add(self.native_gas_per_byte.saturating_mul(count(bytes)))
            .saturating_add(if issuance {
                self.native_gas_issuance
            } else {
                0
            })
    }
}

// === impl ChainSpec ===

impl ChainSpec {
    /// The EIP-1559 base fee of a child block; see [`FeeParams::next_base_fee`].
    pub fn next_base_fee(
        &self,
        parent_gas_used: u64,
        parent_gas_limit: u64,
        parent_base_fee: u64,
    ) -> u64 {
        self.params
            .fees
            .next_base_fee(parent_gas_used, parent_gas_limit, parent_base_fee)
    }

    /// Gas of a native transaction; see [`FeeParams::native_gas`].
    pub fn native_gas(&self, inputs: usize, outputs: usize, bytes: usize, issuance: bool) -> u64 {
        self.params
            .fees
            .native_gas(inputs, outputs, bytes, issuance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GWEI: u64 = 1_000_000_000;

    fn spec() -> ChainSpec {
        ChainSpec::new(1)
    }

    #[test]
    fn eip1559_vectors() {
        let s = spec();
        // At target: unchanged.
        assert_eq!(s.next_base_fee(15_000_000, 30_000_000, GWEI), GWEI);
        // Full block: +12.5%.
        assert_eq!(s.next_base_fee(30_000_000, 30_000_000, GWEI), 1_125_000_000);
        // Empty block: -12.5%.
        assert_eq!(s.next_base_fee(0, 30_000_000, GWEI), 875_000_000);
        // Partial moves are proportional: 3/4 full is +6.25%, 1/4 full is -6.25%.
        assert_eq!(s.next_base_fee(22_500_000, 30_000_000, GWEI), 1_062_500_000);
        assert_eq!(s.next_base_fee(7_500_000, 30_000_000, GWEI), 937_500_000);
    }

    #[test]
    fn geth_vectors() {
        // go-ethereum consensus/misc/eip1559 TestCalcBaseFee (initial base fee 1 gwei,
        // limit 20M, target 10M).
        let s = spec();
        assert_eq!(s.next_base_fee(10_000_000, 20_000_000, GWEI), GWEI);
        assert_eq!(s.next_base_fee(9_000_000, 20_000_000, GWEI), 987_500_000);
        assert_eq!(s.next_base_fee(11_000_000, 20_000_000, GWEI), 1_012_500_000);
    }

    #[test]
    fn increase_is_at_least_one() {
        let s = spec();
        assert_eq!(s.next_base_fee(15_000_001, 30_000_000, 7), 8);
        assert_eq!(s.next_base_fee(30_000_000, 30_000_000, 0), 1);
        // A decrease may round to nothing, as in Ethereum.
        assert_eq!(s.next_base_fee(0, 30_000_000, 7), 7);
        assert_eq!(s.next_base_fee(0, 30_000_000, 8), 7);
    }

    #[test]
    fn clamps_and_saturates() {
        let mut s = spec();
        s.params.fees.min_base_fee = 900_000_000;
        assert_eq!(s.next_base_fee(0, 30_000_000, GWEI), 900_000_000);
        assert_eq!(s.next_base_fee(15_000_000, 30_000_000, 1), 900_000_000);
        assert_eq!(s.next_base_fee(u64::MAX, u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(
            s.next_base_fee(0, 1, GWEI),
            GWEI,
            "zero target keeps the fee"
        );
    }

    #[test]
    fn native_gas_schedule() {
        let s = spec();
        assert_eq!(s.native_gas(1, 2, 0, false), 21_000);
        assert_eq!(
            s.native_gas(2, 3, 100, false),
            9_000 + 8_000 + 12_000 + 1_600
        );
        assert_eq!(s.native_gas(0, 1, 10, true), 9_000 + 4_000 + 160 + 25_000);
        assert_eq!(s.native_gas(usize::MAX, 1, 0, false), u64::MAX);
    }
}
