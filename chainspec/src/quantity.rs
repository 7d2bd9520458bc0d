//! Serde helpers for geth-style JSON values.
//!
//! Quantities (`u64`, [`U256`]) are read as geth reads `math.HexOrDecimal64/256`: a JSON
//! number, a `"0x"`-prefixed hex string or a decimal string. They are written as hex
//! strings in the geth-shaped part of the document and as plain numbers / decimal strings
//! in the `bytom2` section, which people edit by hand. Maps whose keys are addresses or
//! storage slots reject a key given twice (JSON lets the last one win silently).

use std::{collections::BTreeMap, fmt, marker::PhantomData};

use alloy_primitives::{B256, Bytes, U256, hex};
use serde::{
    Deserialize, Deserializer, Serializer,
    de::{self, MapAccess, Visitor},
};

/// Parses a quantity: `0x`-prefixed hex or decimal digits, at most 2^256-1.
pub(crate) fn parse_u256(s: &str) -> Result<U256, String> {
    let s = s.trim();
    if let Some(digits) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("invalid hex quantity `{s}`"));
        }
        U256::from_str_radix(digits, 16).map_err(|_| format!("quantity `{s}` exceeds 2^256-1"))
    } else {
        parse_decimal_u256(s)
    }
}

/// Parses a decimal amount (digits only), at most 2^256-1.
pub(crate) fn parse_decimal_u256(s: &str) -> Result<U256, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid decimal quantity `{s}`"));
    }
    U256::from_str_radix(s, 10).map_err(|_| format!("quantity `{s}` exceeds 2^256-1"))
}

/// Parses a quantity that must fit 64 bits.
fn parse_u64(s: &str) -> Result<u64, String> {
    let v = parse_u256(s)?;
    u64::try_from(v).map_err(|_| format!("quantity `{}` exceeds 2^64-1", s.trim()))
}

/// Parses a 32-byte word given as hex of at most 64 digits, left-padded with zeros (geth
/// and alloy accept short storage keys and values such as `"0x01"`).
fn parse_word(s: &str) -> Result<B256, String> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("invalid 32-byte hex word `{s}`"));
    }
    let v =
        U256::from_str_radix(digits, 16).map_err(|_| format!("invalid 32-byte hex word `{s}`"))?;
    Ok(B256::new(v.to_be_bytes::<32>()))
}

/// Parses a 32-byte key: exactly 64 hex digits, `0x` optional. Unlike storage words, a
/// key is never left-padded: a short key is a typo, not a small number.
pub(crate) fn parse_key32(s: &str) -> Result<B256, String> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("invalid 32-byte key `{s}`: not hex"));
    }
    if digits.len() != 64 {
        return Err(format!(
            "invalid 32-byte key `{s}`: {} hex digits, expected 64",
            digits.len()
        ));
    }
    let mut out = B256::ZERO;
    hex::decode_to_slice(digits, out.as_mut_slice())
        .map_err(|e| format!("invalid 32-byte key `{s}`: {e}"))?;
    Ok(out)
}

/// Accepts a JSON number or string and hands strings to `parse`.
struct QuantityVisitor<T>(fn(&str) -> Result<T, String>);

impl<T: TryFrom<u64>> Visitor<'_> for QuantityVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a quantity: a non-negative integer, a \"0x\" hex string or a decimal string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("quantity {v} is out of range")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        let v = u64::try_from(v).map_err(|_| E::custom(format!("quantity {v} is negative")))?;
        self.visit_u64(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Err(E::custom(format!(
            "quantity {v} is not a 64-bit integer; write large amounts as a decimal or hex string"
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}

/// Accepts a JSON string and hands it to `parse`; parsing inside the visitor lets
/// serde_json report the string's own line.
struct StrVisitor<T> {
    parse: fn(&str) -> Result<T, String>,
    expecting: &'static str,
}

impl<T> Visitor<'_> for StrVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }
}

/// Decodes hex bytes, with or without `0x`.
fn parse_bytes(s: &str) -> Result<Bytes, String> {
    hex::decode(s)
        .map(Bytes::from)
        .map_err(|e| format!("invalid hex string `{s}`: {e}"))
}

/// `u64` quantities written as `"0x…"` hex strings (geth's genesis fields).
pub(crate) mod u64_hex {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:#x}"))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(QuantityVisitor(parse_u64))
    }
}

/// `u64` quantities written as JSON numbers (`config.chainId`, the `bytom2` section).
pub(crate) mod u64_num {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        u64_hex::deserialize(d)
    }
}

/// `u32` quantities written as JSON numbers.
pub(crate) mod u32_num {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(*v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        d.deserialize_any(QuantityVisitor(|s| {
            u32::try_from(parse_u64(s)?).map_err(|_| format!("quantity `{s}` exceeds 2^32-1"))
        }))
    }
}

/// [`U256`] quantities written as `"0x…"` hex strings (balances, difficulty).
pub(crate) mod u256_hex {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:#x}"))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        d.deserialize_any(QuantityVisitor(parse_u256))
    }
}

/// [`U256`] amounts written as decimal strings (the `bytom2` section).
pub(crate) mod u256_dec {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        u256_hex::deserialize(d)
    }
}

/// Byte strings written as `"0x…"` hex (the `0x` is optional when reading).
pub(crate) mod bytes_hex {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_prefixed(v))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        d.deserialize_str(StrVisitor {
            parse: parse_bytes,
            expecting: "a hex string",
        })
    }
}

/// Contract code: absent or `"0x"` both mean no code.
pub(crate) mod code {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Option<Bytes>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(code) => bytes_hex::serialize(code, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Bytes>, D::Error> {
        let code = bytes_hex::deserialize(d)?;
        Ok((!code.is_empty()).then_some(code))
    }
}

/// Storage maps: slot → value, both 32-byte words; a slot given twice is an error.
pub(crate) mod storage {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        v: &BTreeMap<B256, B256>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(v)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<B256, B256>, D::Error> {
        let map: BTreeMap<B256, Word> = deserialize_unique_map(d, "storage slot", parse_word)?;
        Ok(map.into_iter().map(|(k, v)| (k, v.0)).collect())
    }

    /// A storage value, leniently parsed like a key.
    struct Word(B256);

    impl<'de> Deserialize<'de> for Word {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_str(StrVisitor {
                parse: parse_word,
                expecting: "a 32-byte hex word",
            })
            .map(Word)
        }
    }
}

/// 32-byte keys (validator public keys) written as `"0x…"` with exactly 64 hex digits.
pub(crate) mod key32 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &B256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_prefixed(v))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<B256, D::Error> {
        d.deserialize_str(StrVisitor {
            parse: parse_key32,
            expecting: "a 32-byte key: \"0x\" and 64 hex digits",
        })
    }
}

/// Lists of 32-byte keys, each as [`key32`] reads and writes it.
pub(crate) mod key32_seq {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[B256], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(hex::encode_prefixed))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<B256>, D::Error> {
        Ok(Vec::<Key32>::deserialize(d)?
            .into_iter()
            .map(|k| k.0)
            .collect())
    }

    /// One element; a newtype so each is parsed (and its index reported) on its own.
    struct Key32(B256);

    impl<'de> Deserialize<'de> for Key32 {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            key32::deserialize(d).map(Key32)
        }
    }
}

/// Deserializes a JSON object into a map whose keys are parsed with `parse_key`,
/// rejecting a key that appears twice (after parsing, so `0xAB…` and `0xab…` collide).
pub(crate) fn deserialize_unique_map<'de, D, K, V>(
    d: D,
    what: &'static str,
    parse_key: fn(&str) -> Result<K, String>,
) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: Ord + fmt::Display,
    V: Deserialize<'de>,
{
    d.deserialize_map(UniqueMapVisitor {
        what,
        parse_key,
        _marker: PhantomData,
    })
}

struct UniqueMapVisitor<K, V> {
    what: &'static str,
    parse_key: fn(&str) -> Result<K, String>,
    _marker: PhantomData<fn() -> V>,
}

impl<'de, K, V> Visitor<'de> for UniqueMapVisitor<K, V>
where
    K: Ord + fmt::Display,
    V: Deserialize<'de>,
{
    type Value = BTreeMap<K, V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object keyed by {}", self.what)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = BTreeMap::new();
        while let Some(raw) = access.next_key::<String>()? {
            let key = (self.parse_key)(&raw)
                .map_err(|e| de::Error::custom(format!("invalid {} `{raw}`: {e}", self.what)))?;
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate {} {key} (given as `{raw}`)",
                    self.what
                )));
            }
            let value = access.next_value::<V>()?;
            map.insert(key, value);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quantities() {
        assert_eq!(parse_u256("0x10"), Ok(U256::from(16)));
        assert_eq!(parse_u256("0X10"), Ok(U256::from(16)));
        assert_eq!(parse_u256("16"), Ok(U256::from(16)));
        assert_eq!(parse_u256(&U256::MAX.to_string()), Ok(U256::MAX));
        assert_eq!(parse_u256(&format!("{:#x}", U256::MAX)), Ok(U256::MAX));
        assert!(parse_u256("0x").is_err());
        assert!(parse_u256("").is_err());
        assert!(parse_u256("-1").is_err());
        assert!(parse_u256("1.5").is_err());
        assert!(parse_u256("0xg").is_err());
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert!(parse_u256(over).unwrap_err().contains("exceeds 2^256-1"));
        assert!(
            parse_u256(&format!("0x1{}", "0".repeat(64)))
                .unwrap_err()
                .contains("2^256-1")
        );
        assert_eq!(parse_u64("0xffffffffffffffff"), Ok(u64::MAX));
        assert!(
            parse_u64("0x10000000000000000")
                .unwrap_err()
                .contains("2^64-1")
        );
    }

    #[test]
    fn parses_keys() {
        let hex64 = "ab".repeat(32);
        assert_eq!(
            parse_key32(&format!("0x{hex64}")),
            Ok(B256::repeat_byte(0xab))
        );
        assert_eq!(parse_key32(&hex64), Ok(B256::repeat_byte(0xab)));
        assert_eq!(
            parse_key32(&format!("0X{}", hex64.to_uppercase())),
            Ok(B256::repeat_byte(0xab))
        );
        // Not left-padded like a storage word.
        assert!(parse_key32("0x01").unwrap_err().contains("2 hex digits"));
        assert!(
            parse_key32(&format!("0x{hex64}00"))
                .unwrap_err()
                .contains("66 hex digits")
        );
        assert!(parse_key32("0x").unwrap_err().contains("0 hex digits"));
        assert!(
            parse_key32(&format!("0x{}zz", "a".repeat(62)))
                .unwrap_err()
                .contains("not hex")
        );
    }

    #[test]
    fn parses_words() {
        assert_eq!(parse_word("0x01"), Ok(B256::with_last_byte(1)));
        assert_eq!(parse_word("01"), Ok(B256::with_last_byte(1)));
        assert!(parse_word(&format!("0x{}", "1".repeat(65))).is_err());
        assert!(parse_word("0x").is_err());
    }
}
