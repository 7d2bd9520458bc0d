//! What a block's settlement did to the ledger ([`Settlement`], DESIGN.md section 3): the
//! outputs it spent and the outputs it created from the block's net balance deltas.
//!
//! The rule that computes it is execution's (`bytom2-evm-adapter`); storage keeps it per
//! block in its own byte layout; RPC serves it (`utxo_getBlockSettlement`).

use crate::{Coin, OutPoint};
use alloy_primitives::B256;

/// What the settlement of one block spent and created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settlement {
    /// The settlement id: the `tx` of every outpoint it creates.
    pub id: B256,
    /// Outputs spent, in order.
    pub spent: Vec<(OutPoint, Coin)>,
    /// Outputs created, in order (`index` 0, 1, 2, …).
    pub created: Vec<(OutPoint, Coin)>,
}
