//! Amounts: decimal strings in an asset's units ("1.5" BTM is 1.5 × 10¹⁸ wei) and whole
//! numbers of base units with a `wei` suffix ("1500wei").
//!
//! Both directions go through decimal strings, never through `10^decimals`, so any
//! number of decimals works and nothing overflows but the final `U256`.

use alloy_primitives::U256;
use anyhow::{Context as _, bail};

/// The suffix of an amount in base units (wei for BTM, the smallest unit for any asset).
const BASE_UNIT_SUFFIX: &str = "wei";

/// Parses `s` as an amount of an asset with `decimals` decimals (named `symbol` in
/// errors): `"1.5"`, `"0.25"`, `".5"`, `"42"`, or base units `"1500wei"`.
///
/// Rejected, each with its own message: an empty string, signs, exponents, separators,
/// more fractional digits than the asset has decimals, a fractional number of base
/// units, and anything above `U256::MAX` base units.
pub(crate) fn parse_amount(s: &str, decimals: u8, symbol: &str) -> anyhow::Result<U256> {
    let s = s.trim();
    if s.is_empty() {
        bail!("invalid amount: empty");
    }
    let bad = || {
        anyhow::anyhow!(
            "invalid amount {s:?}: expected a decimal number such as 1.5, or base units such \
             as 1500{BASE_UNIT_SUFFIX}"
        )
    };
    if let Some(units) = s.strip_suffix(BASE_UNIT_SUFFIX) {
        if units.is_empty() || !units.bytes().all(|b| b.is_ascii_digit()) {
            if units.contains('.') {
                bail!("invalid amount {s:?}: base units are a whole number");
            }
            return Err(bad());
        }
        return parse_digits(units).with_context(|| format!("amount {s:?} is too large"));
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) || s.ends_with('.') {
        return Err(bad());
    }
    if frac.len() > usize::from(decimals) {
        bail!(
            "invalid amount {s:?}: {symbol} has {decimals} decimal{}",
            if decimals == 1 { "" } else { "s" }
        );
    }
    let mut all = String::with_capacity(int.len() + usize::from(decimals));
    all.push_str(int);
    all.push_str(frac);
    all.extend(std::iter::repeat_n('0', usize::from(decimals) - frac.len()));
    parse_digits(&all).with_context(|| format!("amount {s:?} is too large"))
}

fn parse_digits(digits: &str) -> anyhow::Result<U256> {
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        return Ok(U256::ZERO);
    }
    U256::from_str_radix(trimmed, 10).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Formats `value` base units of an asset with `decimals` decimals: the whole part, and,
/// when `decimals > 0`, a point and the fraction without trailing zeros but with at least
/// one digit (`1.5`, `3.0`, `0.000000000000000001`). With no decimals, just the integer.
pub(crate) fn format_amount(value: U256, decimals: u8) -> String {
    let digits = value.to_string();
    let d = usize::from(decimals);
    if d == 0 {
        return digits;
    }
    let padded = if digits.len() <= d {
        format!("{}{digits}", "0".repeat(d + 1 - digits.len()))
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - d);
    let frac = frac.trim_end_matches('0');
    format!("{int}.{}", if frac.is_empty() { "0" } else { frac })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_BTM: u128 = 1_000_000_000_000_000_000;

    fn p(s: &str, d: u8) -> U256 {
        parse_amount(s, d, "TST").unwrap()
    }

    fn err(s: &str, d: u8) -> String {
        parse_amount(s, d, "TST").unwrap_err().to_string()
    }

    #[test]
    fn parses_decimal_amounts() {
        assert_eq!(p("1.5", 18), U256::from(ONE_BTM * 3 / 2));
        assert_eq!(p("1", 18), U256::from(ONE_BTM));
        assert_eq!(p("0.000000000000000001", 18), U256::from(1));
        assert_eq!(p(".5", 2), U256::from(50));
        assert_eq!(p("007.10", 2), U256::from(710));
        assert_eq!(p("0", 18), U256::ZERO);
        assert_eq!(p("0.0", 18), U256::ZERO);
        assert_eq!(p("42", 0), U256::from(42));
        assert_eq!(p(" 2.5 ", 1), U256::from(25));
    }

    #[test]
    fn parses_base_units() {
        assert_eq!(p("1500wei", 18), U256::from(1500));
        assert_eq!(p("0wei", 8), U256::ZERO);
        assert_eq!(
            p(&format!("{}wei", U256::MAX), 18),
            U256::MAX,
            "the largest amount"
        );
    }

    #[test]
    fn rejects_malformed_amounts_with_a_reason() {
        assert!(err("", 18).contains("empty"));
        for bad in [
            "-1", "+1", "1e18", "1,5", "1.", ".", "abc", "1.2.3", "0x10", "1 5", "wei", "1_000",
        ] {
            assert!(err(bad, 18).contains("expected a decimal number"), "{bad}");
        }
        assert_eq!(
            err("1.123", 2),
            "invalid amount \"1.123\": TST has 2 decimals"
        );
        assert_eq!(err("1.1", 0), "invalid amount \"1.1\": TST has 0 decimals");
        assert!(err("1.5wei", 18).contains("whole number"));
        let too_big = format!("{}0", U256::MAX);
        assert!(err(&too_big, 0).contains("too large"));
        assert!(err(&format!("{too_big}wei"), 0).contains("too large"));
        // 10^77 fits in a U256, 10^78 does not.
        assert!(parse_amount("1", 77, "X").is_ok());
        assert!(err("1", 78).contains("too large"));
        // Many decimals never overflow an intermediate power of ten.
        assert_eq!(p("0", 255), U256::ZERO);
    }

    #[test]
    fn formats_with_the_assets_decimals() {
        assert_eq!(format_amount(U256::from(ONE_BTM * 3 / 2), 18), "1.5");
        assert_eq!(format_amount(U256::from(ONE_BTM * 3), 18), "3.0");
        assert_eq!(format_amount(U256::ZERO, 18), "0.0");
        assert_eq!(format_amount(U256::from(1), 18), "0.000000000000000001");
        assert_eq!(format_amount(U256::from(1234), 2), "12.34");
        assert_eq!(format_amount(U256::from(1200), 2), "12.0");
        assert_eq!(format_amount(U256::from(7), 0), "7");
        assert_eq!(format_amount(U256::from(5), 255).len(), 2 + 255);
        assert_eq!(
            format_amount(U256::MAX, 18),
            "115792089237316195423570985008687907853269984665640564039457.584007913129639935"
        );
    }

    #[test]
    fn format_then_parse_round_trips() {
        for d in [0u8, 1, 6, 8, 18, 36] {
            for v in [
                U256::ZERO,
                U256::from(1),
                U256::from(10),
                U256::from(123_456_789u64),
                U256::MAX,
            ] {
                assert_eq!(
                    parse_amount(&format_amount(v, d), d, "X").unwrap(),
                    v,
                    "{v} {d}"
                );
            }
        }
    }
}
