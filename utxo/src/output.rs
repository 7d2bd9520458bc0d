//! Outputs, outpoints and coins (an output with its creation order).

use crate::AssetId;
use alloy_primitives::{Address, B256, U256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use std::fmt;

/// Reference to an output: the id of the transaction (or settlement, or genesis) that
/// created it and its index there. RLP: `[tx, index]`.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, RlpEncodable, RlpDecodable,
)]
pub struct OutPoint {
    /// Id of the creating transaction, block settlement or genesis.
    pub tx: B256,
    /// Index among that creator's outputs.
    pub index: u32,
}

impl OutPoint {
    /// Creates an outpoint.
    pub const fn new(tx: B256, index: u32) -> Self {
        Self { tx, index }
    }
}

impl fmt::Debug for OutPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.tx, self.index)
    }
}

impl fmt::Display for OutPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An amount of one asset owned by one 20-byte address (an externally owned account or a
/// contract). RLP: `[asset, amount, owner]`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, RlpEncodable, RlpDecodable,
)]
pub struct Output {
    /// The asset.
    pub asset: AssetId,
    /// Base units (wei for BTM).
    pub amount: U256,
    /// The owner.
    pub owner: Address,
}

impl Output {
    /// Creates an output.
    pub const fn new(asset: AssetId, amount: U256, owner: Address) -> Self {
        Self {
            asset,
            amount,
            owner,
        }
    }
}

/// Creation order of an output: `(block, tx index, output index)`. Settlement spends an
/// owner's outputs in ascending creation order (oldest first).
///
/// Genesis outputs are `(0, 0, n)`; settlement outputs of block `b` are
/// `(b, u32::MAX, n)` because settlement runs after every transaction of the block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CoinOrigin {
    /// Block number.
    pub block: u64,
    /// Transaction index in the block (`u32::MAX` for the block's settlement).
    pub tx: u32,
    /// Output index in that transaction.
    pub index: u32,
}

impl CoinOrigin {
    /// Transaction index used for settlement outputs.
    pub const SETTLEMENT_TX: u32 = u32::MAX;

    /// Creates a creation order.
    pub const fn new(block: u64, tx: u32, index: u32) -> Self {
        Self { block, tx, index }
    }
}

/// An unspent output together with its creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Coin {
    /// The output.
    pub output: Output,
    /// When it was created.
    pub origin: CoinOrigin,
}

impl Coin {
    /// Creates a coin.
    pub const fn new(output: Output, origin: CoinOrigin) -> Self {
        Self { output, origin }
    }
}
