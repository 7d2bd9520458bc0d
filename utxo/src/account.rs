//! EVM account metadata kept beside the UTXO set.

use alloy_primitives::{B256, KECCAK256_EMPTY};

/// What the EVM needs of an account besides its balance (which is the sum of its BTM
/// outputs): the nonce and the hash of its code. Storage slots and code bytes are kept
/// in their own maps, keyed by address and code hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Account {
    /// Transaction count (EOA) or creation count (contract).
    pub nonce: u64,
    /// keccak256 of the code; [`KECCAK256_EMPTY`] for none.
    pub code_hash: B256,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            nonce: 0,
            code_hash: KECCAK256_EMPTY,
        }
    }
}

impl Account {
    /// Whether the account has code.
    pub fn has_code(&self) -> bool {
        self.code_hash != KECCAK256_EMPTY && self.code_hash != B256::ZERO
    }

    /// Whether nonce is zero and there is no code (an account with only a balance, or
    /// nothing, needs no entry).
    pub fn is_empty(&self) -> bool {
        self.nonce == 0 && !self.has_code()
    }
}
