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
}

impl Supply {
    /// `genesis + issued + rewards - burned` (saturating at zero, which a consistent
    /// ledger never reaches).
    pub fn total(&self) -> U256 {
        self.genesis
            .saturating_add(self.issued)
            .saturating_add(self.rewards)
            .saturating_sub(self.burned)
    }

    /// Whether every counter is zero (no entry is stored then).
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }
}
