//! The genesis block: header fields and the initial accounts (`alloc`).

use std::{collections::BTreeMap, str::FromStr};

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::quantity;

/// Gas limit of the genesis block when the spec does not set `gasLimit`: 30,000,000.
pub const DEFAULT_GAS_LIMIT: u64 = 30_000_000;

/// Base fee of the genesis block when the spec does not set `baseFeePerGas`: 1 gwei, as
/// geth's `params.InitialBaseFee`.
pub const INITIAL_BASE_FEE: u64 = 1_000_000_000;

/// The genesis block's header fields and initial state, in geth's genesis JSON shape.
///
/// Balances in [`Genesis::alloc`] become genesis outputs of BTM (done by the ledger
/// crate); code, storage and nonces become EVM account state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    /// Initial accounts, sorted by address (`alloc`).
    pub alloc: BTreeMap<Address, GenesisAccount>,
    /// Block gas limit of the genesis block (`gasLimit`).
    pub gas_limit: u64,
    /// Base fee per gas of the genesis block (`baseFeePerGas`).
    pub base_fee_per_gas: u64,
    /// Timestamp in seconds (`timestamp`).
    pub timestamp: u64,
    /// Extra data of the genesis header (`extraData`).
    pub extra_data: Bytes,
    /// Beneficiary of the genesis header (`coinbase`).
    pub coinbase: Address,
    /// Mix hash of the genesis header (`mixHash`).
    pub mix_hash: B256,
    /// Difficulty of the genesis header (`difficulty`); zero after the merge.
    pub difficulty: U256,
    /// Nonce of the genesis header (`nonce`).
    pub nonce: u64,
    /// Number of the genesis block (`number`), normally zero.
    pub number: u64,
}

impl Default for Genesis {
    /// No accounts, [`DEFAULT_GAS_LIMIT`], [`INITIAL_BASE_FEE`], every other field zero.
    fn default() -> Self {
        Self {
            alloc: BTreeMap::new(),
            gas_limit: DEFAULT_GAS_LIMIT,
            base_fee_per_gas: INITIAL_BASE_FEE,
            timestamp: 0,
            extra_data: Bytes::new(),
            coinbase: Address::ZERO,
            mix_hash: B256::ZERO,
            difficulty: U256::ZERO,
            nonce: 0,
            number: 0,
        }
    }
}

// === impl Genesis ===

impl Genesis {
    /// Sum of all genesis balances, or `None` if it exceeds 2^256-1.
    pub fn total_balance(&self) -> Option<U256> {
        self.alloc
            .values()
            .try_fold(U256::ZERO, |sum, acc| sum.checked_add(acc.balance))
    }
}

/// One entry of `alloc`, as in geth: `{ "balance", "nonce", "code", "storage" }`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenesisAccount {
    /// BTM balance in base units (18 decimals), hex or decimal in JSON; required.
    #[serde(with = "quantity::u256_hex")]
    pub balance: U256,
    /// Account nonce.
    #[serde(default, with = "quantity::u64_hex", skip_serializing_if = "is_zero")]
    pub nonce: u64,
    /// Runtime bytecode; `"0x"` in JSON is read as no code.
    #[serde(
        default,
        with = "quantity::code",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<Bytes>,
    /// Storage slots of a contract; a slot given twice in JSON is an error.
    #[serde(
        default,
        with = "quantity::storage",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub storage: BTreeMap<B256, B256>,
}

// === impl GenesisAccount ===

impl GenesisAccount {
    /// An account holding `balance` and nothing else.
    pub fn with_balance(balance: U256) -> Self {
        Self {
            balance,
            ..Self::default()
        }
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Parses an `alloc` key: a 20-byte address, with or without `0x` (geth accepts both).
fn parse_address(s: &str) -> Result<Address, String> {
    Address::from_str(s).map_err(|e| e.to_string())
}

/// Serde for `alloc`: an object keyed by address that rejects an address given twice.
pub(crate) mod alloc {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        v: &BTreeMap<Address, GenesisAccount>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<Address, GenesisAccount>, D::Error> {
        quantity::deserialize_unique_map(d, "address", parse_address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_json_shape() {
        let acc: GenesisAccount = serde_json::from_str(
            r#"{"balance":"1000","nonce":"0x2","code":"0x","storage":{"0x01":"0x02"},"secretKey":"0x00"}"#,
        )
        .unwrap();
        assert_eq!(acc.balance, U256::from(1000));
        assert_eq!(acc.nonce, 2);
        assert_eq!(acc.code, None);
        assert_eq!(
            acc.storage.get(&B256::with_last_byte(1)),
            Some(&B256::with_last_byte(2))
        );
        let back: GenesisAccount =
            serde_json::from_str(&serde_json::to_string(&acc).unwrap()).unwrap();
        assert_eq!(back, acc);
        assert_eq!(
            serde_json::to_string(&GenesisAccount::with_balance(U256::from(16))).unwrap(),
            r#"{"balance":"0x10"}"#
        );
    }

    #[test]
    fn total_balance_checks_overflow() {
        let mut g = Genesis::default();
        g.alloc.insert(
            Address::with_last_byte(1),
            GenesisAccount::with_balance(U256::MAX),
        );
        assert_eq!(g.total_balance(), Some(U256::MAX));
        g.alloc.insert(
            Address::with_last_byte(2),
            GenesisAccount::with_balance(U256::from(1)),
        );
        assert_eq!(g.total_balance(), None);
    }
}
