//! Asset identifiers.

use alloy_primitives::B256;
use alloy_rlp::{RlpDecodableWrapper, RlpEncodableWrapper};
use std::fmt;

/// A 32-byte asset identifier. BTM, the native coin that pays gas, is [`AssetId::BTM`]
/// (all zero bytes). RLP: the 32 bytes.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    RlpEncodableWrapper,
    RlpDecodableWrapper,
)]
pub struct AssetId(pub B256);

impl AssetId {
    /// BTM, the native coin: `0x00…00`.
    pub const BTM: Self = Self(B256::ZERO);

    /// Whether this is BTM.
    pub fn is_btm(&self) -> bool {
        self.0 == B256::ZERO
    }
}

impl fmt::Debug for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_btm() {
            f.write_str("BTM")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl fmt::Display for AssetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<B256> for AssetId {
    fn from(value: B256) -> Self {
        Self(value)
    }
}
