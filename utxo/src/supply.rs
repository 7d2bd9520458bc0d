//! Supply accounting per asset.

use alloy_primitives::U256;

/// How much of an asset exists and why:
/// `total = genesis + issued + rewards + adjusted_in - burned - adjusted_out`.
///
/// Checked by property tests after every block: the total equals the sum of all unspent
/// outputs of the asset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Supply {
    /// Created by the genesis allocation (and the PoW balance snapshot).
    pub genesis: U256,
    /// Issued later by the asset's issuer.
    pub issued: U256,
    /// Minted as staking rewards.
    pub rewards: U256,
    /// Burned (base fees, slashing).
    pub burned: U256,
    /// Added by a development-node adjustment (`anvil_setBalance` raising a balance).
    pub adjusted_in: U256,
    /// Removed by a development-node adjustment (`anvil_setBalance` lowering a balance).
    pub adjusted_out: U256,
}

impl Supply {
    /// `genesis + issued + rewards + adjusted_in - burned - adjusted_out` (saturating at
    /// zero, which a consistent ledger never reaches).
    pub fn total(&self) -> U256 {
        self.genesis
            .saturating_add(self.issued)
            .saturating_add(self.rewards)
            .saturating_add(self.adjusted_in)
            .saturating_sub(self.burned)
            .saturating_sub(self.adjusted_out)
    }

    /// Whether a development-node adjustment ever touched this asset.
    pub fn is_adjusted(&self) -> bool {
        !self.adjusted_in.is_zero() || !self.adjusted_out.is_zero()
    }

    /// Whether every counter is zero (no entry is stored then).
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}
