//! Who runs consensus at genesis and where they meet: the genesis validators
//! (`bytom2.validators`) and the p2p network parameters (`bytom2.p2p`).
//!
//! Keys are plain 32-byte values here: this crate depends on no curve library, so
//! whether a key is a valid ed25519 point is checked by the consensus crate when it
//! builds the committee. This module checks only what the spec itself can: lengths,
//! duplicates, a validator listed as an observer, the shape of the namespace.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::{ChainSpecError, quantity};

/// Default p2p namespace: `"bytom2"`.
pub const DEFAULT_P2P_NAMESPACE: &str = "bytom2";

/// Longest p2p namespace, in bytes.
pub const MAX_P2P_NAMESPACE_LEN: usize = 64;

/// A validator of the genesis committee (an element of `bytom2.validators`).
///
/// ```json
/// { "publicKey": "0x<64 hex digits>", "feeRecipient": "0x<address>", "stake": "1000" }
/// ```
///
/// Every field is required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenesisValidator {
    /// Consensus and p2p public key: the 32 bytes of an ed25519 public key, written
    /// `"0x"` and exactly 64 hex digits (`publicKey`).
    #[serde(with = "quantity::key32")]
    pub public_key: B256,
    /// Receives the priority fees of the blocks this validator proposes
    /// (`feeRecipient`).
    pub fee_recipient: Address,
    /// Stake in base units, a decimal or `"0x"` hex string (`stake`); zero is allowed.
    #[serde(with = "quantity::u256_dec")]
    pub stake: U256,
}

/// The p2p network (`bytom2.p2p`).
///
/// Every field is optional; unknown fields are rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct P2pParams {
    /// Namespace of every p2p and consensus signature, so messages of one network are
    /// worthless on another (`namespace`, default [`DEFAULT_P2P_NAMESPACE`]): 1 to 64
    /// bytes of printable ASCII (space to `~`). Give each network its own, e.g.
    /// `"bytom2-devnet"`.
    pub namespace: String,
    /// Public keys (32-byte ed25519, as [`GenesisValidator::public_key`]) of nodes that
    /// may connect and follow the chain without voting (`observers`, default none); no
    /// key twice, and no validator's key.
    #[serde(with = "quantity::key32_seq")]
    pub observers: Vec<B256>,
}

impl Default for P2pParams {
    fn default() -> Self {
        Self {
            namespace: DEFAULT_P2P_NAMESPACE.to_owned(),
            observers: Vec::new(),
        }
    }
}

// === impl P2pParams ===

impl P2pParams {
    /// Whether every field has its default (the spec's JSON then omits `p2p`).
    pub(crate) fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Checks the genesis validators and the p2p parameters: no public key twice among the
/// validators, total stake at most 2^256-1, a namespace of 1 to 64 printable ASCII
/// bytes, no observer twice or also a validator.
pub(crate) fn validate(
    validators: &[GenesisValidator],
    p2p: &P2pParams,
) -> Result<(), ChainSpecError> {
    let mut seen = BTreeMap::new();
    for (i, v) in validators.iter().enumerate() {
        if let Some(first) = seen.insert(v.public_key, i) {
            return Err(ChainSpecError::invalid(
                &format!("bytom2.validators[{i}].publicKey"),
                format!(
                    "repeats the public key {} of bytom2.validators[{first}]",
                    v.public_key
                ),
            ));
        }
    }
    if validators
        .iter()
        .try_fold(U256::ZERO, |sum, v| sum.checked_add(v.stake))
        .is_none()
    {
        return Err(ChainSpecError::invalid(
            "bytom2.validators",
            "stakes add up to more than 2^256-1",
        ));
    }

    let ns = &p2p.namespace;
    if ns.is_empty() || ns.len() > MAX_P2P_NAMESPACE_LEN {
        return Err(ChainSpecError::invalid(
            "bytom2.p2p.namespace",
            format!(
                "is {} bytes long; it must be 1 to {MAX_P2P_NAMESPACE_LEN}",
                ns.len()
            ),
        ));
    }
    if let Some(c) = ns.chars().find(|c| !matches!(c, ' '..='~')) {
        return Err(ChainSpecError::invalid(
            "bytom2.p2p.namespace",
            format!("contains {c:?}; only printable ASCII (space to `~`) is allowed"),
        ));
    }

    let mut observers = BTreeMap::new();
    for (i, key) in p2p.observers.iter().enumerate() {
        let field = format!("bytom2.p2p.observers[{i}]");
        if let Some(first) = observers.insert(*key, i) {
            return Err(ChainSpecError::invalid(
                &field,
                format!("repeats the key {key} of bytom2.p2p.observers[{first}]"),
            ));
        }
        if let Some(v) = seen.get(key) {
            return Err(ChainSpecError::invalid(
                &field,
                format!(
                    "{key} is the key of bytom2.validators[{v}]; a validator is not an observer"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_json_shape() {
        let v: GenesisValidator = serde_json::from_str(&format!(
            r#"{{"publicKey":"0x{}","feeRecipient":"0x00000000000000000000000000000000000000aa","stake":"0x10"}}"#,
            "01".repeat(32)
        ))
        .unwrap();
        assert_eq!(v.public_key, B256::repeat_byte(1));
        assert_eq!(v.fee_recipient, Address::with_last_byte(0xaa));
        assert_eq!(v.stake, U256::from(16));
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            format!(
                r#"{{"publicKey":"0x{}","feeRecipient":"0x00000000000000000000000000000000000000aa","stake":"16"}}"#,
                "01".repeat(32)
            )
        );
    }

    #[test]
    fn validator_fields_are_required() {
        let err = serde_json::from_str::<GenesisValidator>(&format!(
            r#"{{"publicKey":"0x{}","stake":"1"}}"#,
            "01".repeat(32)
        ))
        .unwrap_err();
        assert!(
            err.to_string().contains("missing field `feeRecipient`"),
            "{err}"
        );
    }

    #[test]
    fn p2p_defaults() {
        let p: P2pParams = serde_json::from_str("{}").unwrap();
        assert_eq!(p, P2pParams::default());
        assert_eq!(p.namespace, "bytom2");
        assert!(p.observers.is_empty());
        assert!(p.is_default());
        validate(&[], &p).unwrap();
    }

    #[test]
    fn namespace_bounds() {
        let ok = |ns: &str| {
            let p = P2pParams {
                namespace: ns.to_owned(),
                ..P2pParams::default()
            };
            validate(&[], &p)
        };
        ok("a").unwrap();
        ok(&"n".repeat(64)).unwrap();
        ok("bytom2 devnet ~!").unwrap();
        assert!(ok("").unwrap_err().to_string().contains("0 bytes"));
        assert!(
            ok(&"n".repeat(65))
                .unwrap_err()
                .to_string()
                .contains("65 bytes")
        );
        assert!(ok("tab\there").unwrap_err().to_string().contains("'\\t'"));
        assert!(
            ok("caf\u{e9}")
                .unwrap_err()
                .to_string()
                .contains("printable ASCII")
        );
    }
}
