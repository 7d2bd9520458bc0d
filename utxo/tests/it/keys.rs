//! Small keys the property tests share.

use alloy_primitives::{Address, B256};
use bytom2_utxo::AssetId;

/// Asset `i`: BTM for 0.
pub(crate) fn asset(i: u8) -> AssetId {
    if i == 0 {
        AssetId::BTM
    } else {
        AssetId(B256::repeat_byte(i))
    }
}

/// Owner `i`.
pub(crate) fn owner(i: u8) -> Address {
    Address::with_last_byte(i + 1)
}
