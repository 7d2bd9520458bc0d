//! [`ChainSpec`]: everything that defines a chain, and its JSON form.

use std::{collections::BTreeMap, path::Path};

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::{Deserialize, Serialize};

use crate::{
    ChainParams, ChainSpecError, FeeParams, Genesis, GenesisAccount, GenesisValidator, Hardfork,
    MIN_EPOCH_LENGTH, P2pParams, StakingParams,
    genesis::{DEFAULT_GAS_LIMIT, INITIAL_BASE_FEE},
    params::BPS_DENOMINATOR,
    quantity, validators,
};

/// A chain's definition: chain id, genesis, hard fork and the bytom2 parameters.
///
/// The JSON is geth's genesis file plus a `bytom2` section:
///
/// ```json
/// {
///   "config": { "chainId": 19000 },
///   "gasLimit": "0x1c9c380",
///   "baseFeePerGas": "0x3b9aca00",
///   "timestamp": "0x0",
///   "extraData": "0x",
///   "alloc": { "0xf39F…2266": { "balance": "10000000000000000000000" } },
///   "bytom2": {
///     "hardfork": "prague",
///     "fees": { "elasticityMultiplier": 2, "baseFeeChangeDenominator": 8, "minBaseFee": 0,
///               "nativeGasBase": 9000, "nativeGasPerInput": 4000, "nativeGasPerOutput": 4000,
///               "nativeGasPerByte": 16, "nativeGasIssuance": 25000 },
///     "epochLength": 1800,
///     "staking": { "annualRewardCap": "30000000000000000000000000", "maxValidators": 21,
///                  "unbondingPeriod": 302400, "slashFractionBps": 500,
///                  "missedVoteThresholdBps": 5000, "blockTimeSeconds": 2 },
///     "foundation": "0x…",
///     "minOutputAmount": "1",
///     "validators": [
///       { "publicKey": "0x<64 hex digits>", "feeRecipient": "0x…", "stake": "1000" }
///     ],
///     "p2p": { "namespace": "bytom2-devnet", "observers": ["0x<64 hex digits>"] }
///   }
/// }
/// ```
///
/// [`ChainSpec::to_json`] leaves out `validators` when there are none and `p2p` when it
/// has its defaults, so a spec that sets neither keeps the JSON (and hash) it had before
/// these fields existed.
///
/// Also read, as geth does: `coinbase`, `mixHash`, `difficulty`, `nonce`, `number`.
/// Other keys of `config` (geth's fork blocks) and of the top level (`parentHash`,
/// `gasUsed`, ...) are ignored, as geth ignores unknown keys; the `bytom2` section rejects
/// unknown keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// EIP-155 chain id (`config.chainId`).
    pub chain_id: u64,
    /// Genesis block header fields and initial accounts.
    pub genesis: Genesis,
    /// Fee schedule, epochs, staking economics, genesis validators and p2p network (the
    /// `bytom2` section).
    pub params: ChainParams,
    /// EVM rules (`bytom2.hardfork`; only Prague).
    pub hardfork: Hardfork,
}

// === impl ChainSpec ===

impl ChainSpec {
    /// A spec with the given chain id, an empty default genesis and default parameters.
    pub fn new(chain_id: u64) -> Self {
        Self {
            chain_id,
            genesis: Genesis::default(),
            params: ChainParams::default(),
            hardfork: Hardfork::default(),
        }
    }

    /// Parses and validates a chain spec from JSON text.
    ///
    /// Errors name the offending field (e.g. `alloc.0x…01.balance`) and its line.
    pub fn from_json_str(json: &str) -> Result<Self, ChainSpecError> {
        let mut de = serde_json::Deserializer::from_str(json);
        let wire: SpecJson =
            serde_path_to_error::deserialize(&mut de).map_err(ChainSpecError::from_json)?;
        de.end()
            .map_err(|e| ChainSpecError::from_json_at(".".to_owned(), &e))?;
        let spec = Self::from(wire);
        spec.validate()?;
        Ok(spec)
    }

    /// Reads, parses and validates a chain spec file.
    pub fn from_file(path: &Path) -> Result<Self, ChainSpecError> {
        let json = std::fs::read_to_string(path).map_err(|e| ChainSpecError::Io {
            path: path.to_owned(),
            kind: e.kind(),
            message: e.to_string(),
        })?;
        Self::from_json_str(&json)
    }

    /// The spec as pretty-printed JSON; [`ChainSpec::from_json_str`] reads it back to an
    /// equal spec.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&SpecJson::from(self))
            .expect("chain spec JSON has only string map keys and finite numbers")
    }

    /// Checks the rules JSON types cannot express: nonzero chain id, denominators and
    /// periods; epochs of at least [`MIN_EPOCH_LENGTH`] blocks; basis points at most
    /// 10,000; genesis supply and total genesis stake at most 2^256-1; no validator key
    /// twice; a p2p namespace of 1 to 64 printable ASCII bytes; no observer key twice or
    /// also a validator's.
    ///
    /// Whether a validator key is a valid ed25519 point is the consensus crate's check.
    pub fn validate(&self) -> Result<(), ChainSpecError> {
        let nonzero = [
            ("config.chainId", self.chain_id),
            ("gasLimit", self.genesis.gas_limit),
            (
                "bytom2.fees.elasticityMultiplier",
                self.params.fees.elasticity_multiplier,
            ),
            (
                "bytom2.fees.baseFeeChangeDenominator",
                self.params.fees.base_fee_change_denominator,
            ),
            (
                "bytom2.staking.maxValidators",
                u64::from(self.params.staking.max_validators),
            ),
            (
                "bytom2.staking.blockTimeSeconds",
                self.params.staking.block_time_seconds,
            ),
        ];
        for (field, value) in nonzero {
            if value == 0 {
                return Err(ChainSpecError::invalid(field, "must not be zero"));
            }
        }
        if self.params.epoch_length < MIN_EPOCH_LENGTH {
            return Err(ChainSpecError::invalid(
                "bytom2.epochLength",
                format!(
                    "is {}; it must be at least {MIN_EPOCH_LENGTH} blocks (the consensus \
                     engine cannot run one-block epochs)",
                    self.params.epoch_length
                ),
            ));
        }
        let bps = [
            (
                "bytom2.staking.slashFractionBps",
                self.params.staking.slash_fraction_bps,
            ),
            (
                "bytom2.staking.missedVoteThresholdBps",
                self.params.staking.missed_vote_threshold_bps,
            ),
        ];
        for (field, value) in bps {
            if value > BPS_DENOMINATOR {
                return Err(ChainSpecError::invalid(
                    field,
                    format!("is {value} basis points, more than {BPS_DENOMINATOR} (100%)"),
                ));
            }
        }
        if self.genesis.total_balance().is_none() {
            return Err(ChainSpecError::invalid(
                "alloc",
                "balances add up to more than 2^256-1",
            ));
        }
        validators::validate(&self.params.validators, &self.params.p2p)
    }
}

/// The JSON document (geth's genesis shape plus `bytom2`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpecJson {
    config: ConfigJson,
    #[serde(default, with = "quantity::u64_hex")]
    nonce: u64,
    #[serde(default, with = "quantity::u64_hex")]
    timestamp: u64,
    #[serde(default, with = "quantity::bytes_hex")]
    extra_data: Bytes,
    #[serde(default = "default_gas_limit", with = "quantity::u64_hex")]
    gas_limit: u64,
    #[serde(default, with = "quantity::u256_hex")]
    difficulty: U256,
    #[serde(default)]
    mix_hash: B256,
    #[serde(default)]
    coinbase: Address,
    #[serde(default, with = "quantity::u64_hex")]
    number: u64,
    #[serde(default = "default_base_fee", with = "quantity::u64_hex")]
    base_fee_per_gas: u64,
    #[serde(default, with = "crate::genesis::alloc")]
    alloc: BTreeMap<Address, GenesisAccount>,
    #[serde(default)]
    bytom2: Bytom2Json,
}

/// `config`: only the chain id is ours; geth's fork keys are ignored.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigJson {
    #[serde(with = "quantity::u64_num")]
    chain_id: u64,
}

/// The `bytom2` section.
#[derive(Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
struct Bytom2Json {
    hardfork: Hardfork,
    fees: FeeParams,
    #[serde(with = "quantity::u64_num")]
    epoch_length: u64,
    staking: StakingParams,
    foundation: Address,
    #[serde(with = "quantity::u256_dec")]
    min_output_amount: U256,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    validators: Vec<GenesisValidator>,
    #[serde(skip_serializing_if = "P2pParams::is_default")]
    p2p: P2pParams,
}

impl Default for Bytom2Json {
    fn default() -> Self {
        let params = ChainParams::default();
        Self {
            hardfork: Hardfork::default(),
            fees: params.fees,
            epoch_length: params.epoch_length,
            staking: params.staking,
            foundation: params.foundation,
            min_output_amount: params.min_output_amount,
            validators: params.validators,
            p2p: params.p2p,
        }
    }
}

fn default_gas_limit() -> u64 {
    DEFAULT_GAS_LIMIT
}

fn default_base_fee() -> u64 {
    INITIAL_BASE_FEE
}

impl From<SpecJson> for ChainSpec {
    fn from(w: SpecJson) -> Self {
        Self {
            chain_id: w.config.chain_id,
            genesis: Genesis {
                alloc: w.alloc,
                gas_limit: w.gas_limit,
                base_fee_per_gas: w.base_fee_per_gas,
                timestamp: w.timestamp,
                extra_data: w.extra_data,
                coinbase: w.coinbase,
                mix_hash: w.mix_hash,
                difficulty: w.difficulty,
                nonce: w.nonce,
                number: w.number,
            },
            params: ChainParams {
                fees: w.bytom2.fees,
                epoch_length: w.bytom2.epoch_length,
                staking: w.bytom2.staking,
                foundation: w.bytom2.foundation,
                min_output_amount: w.bytom2.min_output_amount,
                validators: w.bytom2.validators,
                p2p: w.bytom2.p2p,
            },
            hardfork: w.bytom2.hardfork,
        }
    }
}

impl From<&ChainSpec> for SpecJson {
    fn from(s: &ChainSpec) -> Self {
        let g = &s.genesis;
        Self {
            config: ConfigJson {
                chain_id: s.chain_id,
            },
            nonce: g.nonce,
            timestamp: g.timestamp,
            extra_data: g.extra_data.clone(),
            gas_limit: g.gas_limit,
            difficulty: g.difficulty,
            mix_hash: g.mix_hash,
            coinbase: g.coinbase,
            number: g.number,
            base_fee_per_gas: g.base_fee_per_gas,
            alloc: g.alloc.clone(),
            bytom2: Bytom2Json {
                hardfork: s.hardfork,
                fees: s.params.fees.clone(),
                epoch_length: s.params.epoch_length,
                staking: s.params.staking.clone(),
                foundation: s.params.foundation,
                min_output_amount: s.params.min_output_amount,
                validators: s.params.validators.clone(),
                p2p: s.params.p2p.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, bytes, hex};

    /// Asserts `json` fails with a parse error at `field` on `line`, mentioning `needle`.
    fn assert_parse_error(json: &str, field: &str, line: usize, needle: &str) {
        let err = ChainSpec::from_json_str(json).unwrap_err();
        let text = err.to_string();
        match &err {
            ChainSpecError::Parse {
                field: f, line: l, ..
            } => {
                assert_eq!((f.as_str(), *l), (field, line), "{text}");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        assert!(text.contains(&format!("`{field}`")), "{text}");
        assert!(text.contains(&format!("line {line}")), "{text}");
        assert!(text.contains(needle), "{text}");
    }

    const GETH_GENESIS: &str = r#"{
  "config": { "chainId": 1337, "homesteadBlock": 0, "londonBlock": 0, "pragueTime": 0 },
  "nonce": "0x42",
  "timestamp": "0x5",
  "extraData": "0x1234",
  "gasLimit": "0x1c9c380",
  "difficulty": "0x1",
  "mixHash": "0x0000000000000000000000000000000000000000000000000000000000000007",
  "coinbase": "0x0000000000000000000000000000000000000009",
  "number": "0x0",
  "baseFeePerGas": "7",
  "parentHash": "0x0000000000000000000000000000000000000000000000000000000000000000",
  "alloc": {
    "0000000000000000000000000000000000000001": { "balance": "0x10" },
    "0x0000000000000000000000000000000000000002": {
      "balance": "1000000000000000000",
      "nonce": "0x1",
      "code": "0x6000",
      "storage": { "0x01": "0x0000000000000000000000000000000000000000000000000000000000000002" }
    }
  }
}"#;

    #[test]
    fn reads_geth_genesis() {
        let spec = ChainSpec::from_json_str(GETH_GENESIS).unwrap();
        assert_eq!(spec.chain_id, 1337);
        let g = &spec.genesis;
        assert_eq!(g.nonce, 0x42);
        assert_eq!(g.timestamp, 5);
        assert_eq!(g.extra_data, bytes!("1234"));
        assert_eq!(g.gas_limit, 30_000_000);
        assert_eq!(g.difficulty, U256::from(1));
        assert_eq!(g.mix_hash, B256::with_last_byte(7));
        assert_eq!(g.coinbase, Address::with_last_byte(9));
        assert_eq!(g.base_fee_per_gas, 7);
        assert_eq!(g.alloc.len(), 2);
        assert_eq!(
            g.alloc[&Address::with_last_byte(1)],
            GenesisAccount::with_balance(U256::from(16))
        );
        let acc = &g.alloc[&Address::with_last_byte(2)];
        assert_eq!(acc.balance, U256::from(10u64.pow(18)));
        assert_eq!(acc.nonce, 1);
        assert_eq!(acc.code, Some(bytes!("6000")));
        assert_eq!(
            acc.storage[&B256::with_last_byte(1)],
            B256::with_last_byte(2)
        );
        // No `bytom2` section: every parameter takes its default.
        assert_eq!(spec.params, ChainParams::default());
        assert_eq!(spec.hardfork, Hardfork::Prague);
        assert_eq!(ChainSpec::from_json_str(&spec.to_json()).unwrap(), spec);
    }

    #[test]
    fn minimal_spec_takes_defaults() {
        let spec = ChainSpec::from_json_str(r#"{"config":{"chainId":"0x10"}}"#).unwrap();
        assert_eq!(spec, ChainSpec::new(16));
        assert_eq!(spec.genesis.gas_limit, DEFAULT_GAS_LIMIT);
        assert_eq!(spec.genesis.base_fee_per_gas, INITIAL_BASE_FEE);
    }

    #[test]
    fn reads_bytom2_section() {
        let json = r#"{
  "config": { "chainId": 5 },
  "bytom2": {
    "hardfork": "prague",
    "fees": { "elasticityMultiplier": 4, "minBaseFee": "0x64", "nativeGasPerByte": 8 },
    "epochLength": 100,
    "staking": { "annualRewardCap": "0x10", "maxValidators": 7, "blockTimeSeconds": 1 },
    "foundation": "0x000000000000000000000000000000000000f0da",
    "minOutputAmount": "546"
  }
}"#;
        let spec = ChainSpec::from_json_str(json).unwrap();
        let p = &spec.params;
        assert_eq!(p.fees.elasticity_multiplier, 4);
        assert_eq!(p.fees.base_fee_change_denominator, 8);
        assert_eq!(p.fees.min_base_fee, 100);
        assert_eq!(p.fees.native_gas_per_byte, 8);
        assert_eq!(p.fees.native_gas_base, FeeParams::default().native_gas_base);
        assert_eq!(p.epoch_length, 100);
        assert_eq!(p.staking.annual_reward_cap, U256::from(16));
        assert_eq!(p.staking.max_validators, 7);
        assert_eq!(p.staking.block_time_seconds, 1);
        assert_eq!(
            p.staking.unbonding_period,
            StakingParams::default().unbonding_period
        );
        assert_eq!(
            p.foundation,
            address!("000000000000000000000000000000000000f0da")
        );
        assert_eq!(p.min_output_amount, U256::from(546));
        assert_eq!(ChainSpec::from_json_str(&spec.to_json()).unwrap(), spec);
    }

    #[test]
    fn round_trips_every_field() {
        let mut spec = ChainSpec::new(u64::MAX);
        spec.genesis = Genesis {
            alloc: BTreeMap::from([(
                Address::with_last_byte(3),
                GenesisAccount {
                    balance: U256::MAX,
                    nonce: u64::MAX,
                    code: Some(bytes!("60006000fd")),
                    storage: BTreeMap::from([(B256::ZERO, B256::repeat_byte(0xff))]),
                },
            )]),
            gas_limit: 1,
            base_fee_per_gas: u64::MAX,
            timestamp: 1_700_000_000,
            extra_data: bytes!("deadbeef"),
            coinbase: Address::repeat_byte(0x11),
            mix_hash: b256!("0101010101010101010101010101010101010101010101010101010101010101"),
            difficulty: U256::MAX,
            nonce: 9,
            number: 0,
        };
        spec.params.staking.annual_reward_cap = U256::MAX;
        spec.params.min_output_amount = U256::ZERO;
        spec.params.fees.min_base_fee = u64::MAX;
        assert_eq!(ChainSpec::from_json_str(&spec.to_json()).unwrap(), spec);
    }

    #[test]
    fn from_file_reads_and_reports_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genesis.json");
        std::fs::write(&path, GETH_GENESIS).unwrap();
        assert_eq!(ChainSpec::from_file(&path).unwrap().chain_id, 1337);

        let missing = dir.path().join("missing.json");
        let err = ChainSpec::from_file(&missing).unwrap_err();
        assert!(matches!(
            &err,
            ChainSpecError::Io {
                kind: std::io::ErrorKind::NotFound,
                ..
            }
        ));
        assert!(err.to_string().contains("missing.json"), "{err}");
    }

    #[test]
    fn rejects_bad_json() {
        let json = "{\n  \"config\": { \"chainId\": 1 },\n  \"alloc\": {\n}";
        let err = ChainSpec::from_json_str(json).unwrap_err();
        assert!(
            matches!(err, ChainSpecError::Parse { line: 4, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("line 4"), "{err}");

        assert_parse_error(
            "{\"config\": {\"chainId\": 1}} x",
            ".",
            1,
            "trailing characters",
        );
        assert_parse_error("{\n\"alloc\": {}\n}", ".", 3, "missing field `config`");
    }

    #[test]
    fn rejects_bad_hex() {
        let json = r#"{
  "config": { "chainId": 1 },
  "alloc": {
    "0x0000000000000000000000000000000000000001": {
      "balance": "0x1",
      "code": "0x60zz"
    }
  }
}"#;
        assert_parse_error(
            json,
            "alloc.0x0000000000000000000000000000000000000001.code",
            6,
            "invalid hex string `0x60zz`",
        );

        let json = r#"{
  "config": { "chainId": 1 },
  "alloc": {
    "0x0000000000000000000000000000000000000001": {
      "balance": "0x1",
      "storage": {
        "0x01": "0x0g"
      }
    }
  }
}"#;
        assert_parse_error(
            json,
            "alloc.0x0000000000000000000000000000000000000001.storage.0x01",
            7,
            "invalid 32-byte hex word `0x0g`",
        );

        let json = "{\n  \"config\": { \"chainId\": 1 },\n  \"extraData\": \"0x1\"\n}";
        assert_parse_error(json, "extraData", 3, "invalid hex string");

        let json = "{\n  \"config\": { \"chainId\": 1 },\n  \"gasLimit\": \"0xZZ\"\n}";
        assert_parse_error(json, "gasLimit", 3, "invalid hex quantity `0xZZ`");

        let json = "{\n  \"config\": { \"chainId\": 1 },\n  \"alloc\": {\n    \"0x12\": { \"balance\": \"1\" }\n  }\n}";
        assert_parse_error(json, "alloc", 4, "invalid address `0x12`");
    }

    #[test]
    fn rejects_duplicate_addresses() {
        let json = r#"{
  "config": { "chainId": 1 },
  "alloc": {
    "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266": { "balance": "1" },
    "0x0000000000000000000000000000000000000001": { "balance": "1" },
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266": { "balance": "2" }
  }
}"#;
        assert_parse_error(
            json,
            "alloc",
            6,
            "duplicate address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        );
    }

    #[test]
    fn rejects_duplicate_storage_slots() {
        let json = r#"{
  "config": { "chainId": 1 },
  "alloc": {
    "0x0000000000000000000000000000000000000001": {
      "balance": "1",
      "storage": { "0x01": "0x01", "0x0001": "0x02" }
    }
  }
}"#;
        assert_parse_error(
            json,
            "alloc.0x0000000000000000000000000000000000000001.storage",
            6,
            "duplicate storage slot",
        );
    }

    #[test]
    fn rejects_amounts_over_u256() {
        let json = r#"{
  "config": { "chainId": 1 },
  "alloc": {
    "0x0000000000000000000000000000000000000001": {
      "balance": "115792089237316195423570985008687907853269984665640564039457584007913129639936"
    }
  }
}"#;
        assert_parse_error(
            json,
            "alloc.0x0000000000000000000000000000000000000001.balance",
            5,
            "exceeds 2^256-1",
        );

        let json = format!(
            "{{\n  \"config\": {{ \"chainId\": 1 }},\n  \"bytom2\": {{\n    \"staking\": {{\n      \"annualRewardCap\": \"0x1{}\"\n    }}\n  }}\n}}",
            "0".repeat(64)
        );
        assert_parse_error(
            &json,
            "bytom2.staking.annualRewardCap",
            5,
            "exceeds 2^256-1",
        );

        // A JSON number too large for u64 is a float to serde_json: ask for a string.
        let json = "{\n  \"config\": { \"chainId\": 1 },\n  \"alloc\": { \"0x0000000000000000000000000000000000000001\": {\n    \"balance\": 100000000000000000000000 } }\n}";
        assert_parse_error(
            json,
            "alloc.0x0000000000000000000000000000000000000001.balance",
            4,
            "decimal or hex string",
        );
    }

    #[test]
    fn rejects_unknown_bytom2_fields() {
        let json = "{\n  \"config\": { \"chainId\": 1 },\n  \"bytom2\": { \"fees\": {\n    \"elasticity\": 3 } }\n}";
        assert_parse_error(
            json,
            "bytom2.fees.elasticity",
            4,
            "unknown field `elasticity`",
        );
    }

    #[test]
    fn rejects_out_of_range_values() {
        let json = "{\n  \"config\": { \"chainId\": -1 }\n}";
        assert_parse_error(json, "config.chainId", 2, "negative");

        let cases = [
            (r#"{"config":{"chainId":0}}"#, "config.chainId"),
            (
                r#"{"config":{"chainId":1},"bytom2":{"fees":{"baseFeeChangeDenominator":0}}}"#,
                "bytom2.fees.baseFeeChangeDenominator",
            ),
            (
                r#"{"config":{"chainId":1},"bytom2":{"epochLength":0}}"#,
                "bytom2.epochLength",
            ),
            (
                r#"{"config":{"chainId":1},"bytom2":{"epochLength":1}}"#,
                "bytom2.epochLength",
            ),
            (
                r#"{"config":{"chainId":1},"bytom2":{"staking":{"slashFractionBps":10001}}}"#,
                "bytom2.staking.slashFractionBps",
            ),
        ];
        for (json, field) in cases {
            let err = ChainSpec::from_json_str(json).unwrap_err();
            assert!(
                matches!(&err, ChainSpecError::Invalid { field: f, .. } if f == field),
                "{json}: {err}"
            );
            assert!(err.to_string().contains(field), "{err}");
        }

        let json = r#"{"config":{"chainId":1},"alloc":{
            "0x0000000000000000000000000000000000000001":{"balance":"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
            "0x0000000000000000000000000000000000000002":{"balance":"1"}}}"#;
        let err = ChainSpec::from_json_str(json).unwrap_err();
        assert!(
            matches!(&err, ChainSpecError::Invalid { field, .. } if field == "alloc"),
            "{err}"
        );
    }

    /// A 32-byte key whose every byte is `b`, as JSON writes it.
    fn key_hex(b: u8) -> String {
        format!("0x{}", hex::encode([b; 32]))
    }

    /// A spec with `bytom2` set to `section` (the text inside its braces).
    fn with_bytom2(section: &str) -> String {
        format!("{{\n  \"config\": {{ \"chainId\": 1 }},\n  \"bytom2\": {{\n{section}\n  }}\n}}")
    }

    /// Asserts `json` parses but fails validation at `field`, mentioning `needle`.
    fn assert_invalid(json: &str, field: &str, needle: &str) {
        let err = ChainSpec::from_json_str(json).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, ChainSpecError::Invalid { field: f, .. } if f == field),
            "{json}: {text}"
        );
        assert!(text.contains(&format!("`{field}`")), "{text}");
        assert!(text.contains(needle), "{text}");
    }

    #[test]
    fn reads_validators_and_p2p() {
        let json = with_bytom2(&format!(
            r#"    "validators": [
      {{ "publicKey": "{}", "feeRecipient": "0x00000000000000000000000000000000000000a1", "stake": "0x3e8" }},
      {{ "publicKey": "{}", "feeRecipient": "0x00000000000000000000000000000000000000a2", "stake": "0" }}
    ],
    "p2p": {{ "namespace": "bytom2-devnet", "observers": ["{}"] }}"#,
            key_hex(1),
            key_hex(2),
            key_hex(3)
        ));
        let spec = ChainSpec::from_json_str(&json).unwrap();
        let p = &spec.params;
        assert_eq!(
            p.validators,
            vec![
                GenesisValidator {
                    public_key: B256::repeat_byte(1),
                    fee_recipient: Address::with_last_byte(0xa1),
                    stake: U256::from(1000),
                },
                GenesisValidator {
                    public_key: B256::repeat_byte(2),
                    fee_recipient: Address::with_last_byte(0xa2),
                    stake: U256::ZERO,
                },
            ]
        );
        assert_eq!(p.p2p.namespace, "bytom2-devnet");
        assert_eq!(p.p2p.observers, vec![B256::repeat_byte(3)]);
        assert_eq!(ChainSpec::from_json_str(&spec.to_json()).unwrap(), spec);
    }

    #[test]
    fn validators_and_p2p_default_to_none_and_are_omitted() {
        let spec = ChainSpec::from_json_str(r#"{"config":{"chainId":1},"bytom2":{}}"#).unwrap();
        assert!(spec.params.validators.is_empty());
        assert_eq!(spec.params.p2p, P2pParams::default());
        assert_eq!(spec.params.p2p.namespace, "bytom2");
        assert!(spec.params.p2p.observers.is_empty());
        // Absent from the JSON, so specs without them keep their old JSON and hash.
        let json = spec.to_json();
        assert!(
            !json.contains("validators") && !json.contains("p2p"),
            "{json}"
        );
        let dev = ChainSpec::dev().to_json();
        assert!(!dev.contains("validators") && !dev.contains("p2p"), "{dev}");

        // A partial p2p section keeps the other field's default.
        let spec =
            ChainSpec::from_json_str(&with_bytom2(r#"    "p2p": { "namespace": "x" }"#)).unwrap();
        assert_eq!(spec.params.p2p.namespace, "x");
        assert!(spec.params.p2p.observers.is_empty());
        assert!(spec.to_json().contains("\"p2p\""));
    }

    #[test]
    fn json_changes_with_validators() {
        // The node fingerprints a data directory's spec by hashing `to_json`.
        let mut spec = ChainSpec::new(1);
        let empty = spec.to_json();
        spec.params.validators.push(GenesisValidator {
            public_key: B256::repeat_byte(1),
            fee_recipient: Address::ZERO,
            stake: U256::ZERO,
        });
        let one = spec.to_json();
        assert_ne!(one, empty);
        spec.params.validators[0].stake = U256::from(1);
        assert_ne!(spec.to_json(), one);
        let staked = spec.to_json();
        spec.params.validators[0].fee_recipient = Address::with_last_byte(1);
        assert_ne!(spec.to_json(), staked);
        let paid = spec.to_json();
        spec.params.p2p.observers.push(B256::repeat_byte(2));
        assert_ne!(spec.to_json(), paid);
        let observed = spec.to_json();
        spec.params.p2p.namespace = "other".to_owned();
        assert_ne!(spec.to_json(), observed);
        assert_eq!(ChainSpec::from_json_str(&spec.to_json()).unwrap(), spec);
    }

    #[test]
    fn rejects_bad_validator_keys() {
        let validator = |key: &str| {
            with_bytom2(&format!(
                "    \"validators\": [\n      {{ \"publicKey\": \"{key}\", \"feeRecipient\": \"0x0000000000000000000000000000000000000001\", \"stake\": \"1\" }}\n    ]"
            ))
        };
        let short = format!("0x{}", "01".repeat(31));
        assert_parse_error(
            &validator(&short),
            "bytom2.validators[0].publicKey",
            5,
            "62 hex digits, expected 64",
        );
        let long = format!("0x{}", "01".repeat(33));
        assert_parse_error(
            &validator(&long),
            "bytom2.validators[0].publicKey",
            5,
            "66 hex digits, expected 64",
        );
        let not_hex = format!("0x{}zz", "01".repeat(31));
        assert_parse_error(
            &validator(&not_hex),
            "bytom2.validators[0].publicKey",
            5,
            "not hex",
        );

        let json = with_bytom2(&format!(
            "    \"p2p\": {{ \"observers\": [\n      \"{}\",\n      \"0x01\"\n    ] }}",
            key_hex(1)
        ));
        assert_parse_error(&json, "bytom2.p2p.observers[1]", 6, "2 hex digits");
    }

    #[test]
    fn rejects_malformed_validators() {
        let json = with_bytom2(&format!(
            "    \"validators\": [\n      {{ \"publicKey\": \"{}\", \"stake\": \"1\" }}\n    ]",
            key_hex(1)
        ));
        assert_parse_error(
            &json,
            "bytom2.validators[0]",
            5,
            "missing field `feeRecipient`",
        );

        let json = with_bytom2(&format!(
            "    \"validators\": [\n      {{ \"publicKey\": \"{}\", \"feeRecipient\": \"0x0000000000000000000000000000000000000001\", \"stake\": \"1\", \"weight\": 1 }}\n    ]",
            key_hex(1)
        ));
        assert_parse_error(
            &json,
            "bytom2.validators[0].weight",
            5,
            "unknown field `weight`",
        );

        let json = with_bytom2(&format!(
            "    \"validators\": [\n      {{ \"publicKey\": \"{}\", \"feeRecipient\": \"0x0000000000000000000000000000000000000001\", \"stake\": \"-1\" }}\n    ]",
            key_hex(1)
        ));
        assert_parse_error(
            &json,
            "bytom2.validators[0].stake",
            5,
            "invalid decimal quantity",
        );

        let json = with_bytom2("    \"p2p\": { \"peers\": [] }");
        assert_parse_error(&json, "bytom2.p2p.peers", 4, "unknown field `peers`");
    }

    #[test]
    fn rejects_duplicate_validators() {
        let v = |key: u8, stake: &str| {
            format!(
                r#"{{ "publicKey": "{}", "feeRecipient": "0x0000000000000000000000000000000000000001", "stake": "{stake}" }}"#,
                key_hex(key)
            )
        };
        let json = with_bytom2(&format!(
            "    \"validators\": [{}, {}, {}]",
            v(1, "1"),
            v(2, "1"),
            v(1, "2")
        ));
        assert_invalid(
            &json,
            "bytom2.validators[2].publicKey",
            "repeats the public key 0x0101010101010101010101010101010101010101010101010101010101010101 of bytom2.validators[0]",
        );

        let max = U256::MAX.to_string();
        let json = with_bytom2(&format!(
            "    \"validators\": [{}, {}]",
            v(1, &max),
            v(2, "1")
        ));
        assert_invalid(&json, "bytom2.validators", "more than 2^256-1");
    }

    #[test]
    fn rejects_bad_p2p() {
        assert_invalid(
            &with_bytom2(r#"    "p2p": { "namespace": "" }"#),
            "bytom2.p2p.namespace",
            "is 0 bytes long",
        );
        assert_invalid(
            &with_bytom2(&format!(
                r#"    "p2p": {{ "namespace": "{}" }}"#,
                "n".repeat(65)
            )),
            "bytom2.p2p.namespace",
            "is 65 bytes long",
        );
        assert_invalid(
            &with_bytom2(r#"    "p2p": { "namespace": "dev\u0000" }"#),
            "bytom2.p2p.namespace",
            "printable ASCII",
        );
        assert_invalid(
            &with_bytom2(&format!(
                r#"    "p2p": {{ "observers": ["{}", "{}", "{}"] }}"#,
                key_hex(1),
                key_hex(2),
                key_hex(1)
            )),
            "bytom2.p2p.observers[2]",
            "of bytom2.p2p.observers[0]",
        );
        assert_invalid(
            &with_bytom2(&format!(
                r#"    "validators": [{{ "publicKey": "{}", "feeRecipient": "0x0000000000000000000000000000000000000001", "stake": "0" }}],
    "p2p": {{ "observers": ["{}"] }}"#,
                key_hex(7),
                key_hex(7)
            )),
            "bytom2.p2p.observers[0]",
            "is the key of bytom2.validators[0]",
        );
    }

    #[test]
    fn epoch_length_two_is_the_minimum() {
        let spec =
            ChainSpec::from_json_str(r#"{"config":{"chainId":1},"bytom2":{"epochLength":2}}"#)
                .unwrap();
        assert_eq!(spec.params.epoch_length, MIN_EPOCH_LENGTH);
        assert_invalid(
            r#"{"config":{"chainId":1},"bytom2":{"epochLength":1}}"#,
            "bytom2.epochLength",
            "is 1; it must be at least 2 blocks",
        );
    }
}
