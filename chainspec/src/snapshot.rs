//! Import of a BTM balance snapshot (e.g. taken from Bytom 1.0) into `alloc`.
//!
//! The format is CSV, one `address,amount` pair a line:
//!
//! ```text
//! address,amount
//! # comments and blank lines are allowed
//! 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266,1000000000000000000
//! ```
//!
//! - `amount` is decimal base units (18 decimals: `1000000000000000000` is 1 BTM);
//! - the header line `address,amount` is optional and may only be the first content line;
//! - fields may be padded with spaces; `\r\n` line ends are fine;
//! - an address may appear once; a zero amount is accepted and adds nothing.

use std::collections::{BTreeMap, btree_map::Entry};

use alloy_primitives::{Address, U256};

use crate::{ChainSpec, ChainSpecError, GenesisAccount, quantity::parse_decimal_u256};

// === impl ChainSpec ===

impl ChainSpec {
    /// Adds the balances of a snapshot CSV to `genesis.alloc`: to the existing balance of an
    /// address already there, as a new balance-only account otherwise.
    ///
    /// Fails, naming the line, on a malformed line, an address given twice in the CSV, or
    /// a balance (or the genesis total) that would exceed 2^256-1. On error `self` is left
    /// unchanged.
    pub fn merge_snapshot_csv(&mut self, csv: &str) -> Result<(), ChainSpecError> {
        let entries = parse_snapshot(csv)?;
        let mut alloc = self.genesis.alloc.clone();
        let mut total = self.genesis.total_balance().ok_or_else(|| {
            ChainSpecError::invalid("alloc", "balances add up to more than 2^256-1")
        })?;
        for (line, address, amount) in entries {
            let overflow = |what: &str| ChainSpecError::Snapshot {
                line,
                reason: format!("{what} exceeds 2^256-1 after adding {amount} to {address}"),
            };
            total = total
                .checked_add(amount)
                .ok_or_else(|| overflow("the genesis supply"))?;
            if amount.is_zero() {
                continue;
            }
            match alloc.entry(address) {
                Entry::Occupied(mut e) => {
                    let acc = e.get_mut();
                    acc.balance = acc
                        .balance
                        .checked_add(amount)
                        .ok_or_else(|| overflow("the balance"))?;
                }
                Entry::Vacant(e) => {
                    e.insert(GenesisAccount::with_balance(amount));
                }
            }
        }
        self.genesis.alloc = alloc;
        Ok(())
    }
}

/// Parses the CSV into `(line, address, amount)` in line order, rejecting repeated
/// addresses.
fn parse_snapshot(csv: &str) -> Result<Vec<(usize, Address, U256)>, ChainSpecError> {
    let mut entries = Vec::new();
    let mut seen = BTreeMap::new();
    let mut first_content = true;
    for (index, raw) in csv.lines().enumerate() {
        let line = index + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let is_first = std::mem::replace(&mut first_content, false);
        let err = |reason: String| ChainSpecError::Snapshot { line, reason };
        let mut fields = text.split(',').map(str::trim);
        let (Some(addr), Some(amount), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(err(format!("expected `address,amount`, found `{text}`")));
        };
        if is_first && addr.eq_ignore_ascii_case("address") && amount.eq_ignore_ascii_case("amount")
        {
            continue;
        }
        let address: Address = addr
            .parse()
            .map_err(|e| err(format!("invalid address `{addr}`: {e}")))?;
        let amount = parse_decimal_u256(amount).map_err(|e| err(format!("invalid amount: {e}")))?;
        if let Some(first) = seen.insert(address, line) {
            return Err(err(format!(
                "address {address} already appears on line {first}"
            )));
        }
        entries.push((line, address, amount));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    const A: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const B: Address = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");

    fn snapshot_error(spec: &mut ChainSpec, csv: &str) -> (usize, String) {
        let before = spec.clone();
        let err = spec.merge_snapshot_csv(csv).unwrap_err();
        assert_eq!(*spec, before, "a failed merge changes nothing");
        match &err {
            ChainSpecError::Snapshot { line, .. } => {
                assert!(err.to_string().contains(&format!("line {line}")), "{err}");
                (*line, err.to_string())
            }
            other => panic!("expected a snapshot error, got {other:?}"),
        }
    }

    #[test]
    fn merges_and_adds_to_existing_balances() {
        let mut spec = ChainSpec::new(1);
        spec.genesis.alloc.insert(
            A,
            GenesisAccount {
                balance: U256::from(5),
                nonce: 3,
                ..GenesisAccount::default()
            },
        );
        let csv = "address,amount\r\n\n# exported at block 1\n  0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266 , 10\r\n70997970C51812dc3A010C7d01b50e0d17dc79C8,1000000000000000000\n0x0000000000000000000000000000000000000001,0\n";
        spec.merge_snapshot_csv(csv).unwrap();
        assert_eq!(spec.genesis.alloc[&A].balance, U256::from(15));
        assert_eq!(spec.genesis.alloc[&A].nonce, 3);
        assert_eq!(
            spec.genesis.alloc[&B],
            GenesisAccount::with_balance(U256::from(10u64.pow(18)))
        );
        assert_eq!(spec.genesis.alloc.len(), 2, "zero amounts add no account");
        // Headerless and empty inputs are fine too.
        spec.merge_snapshot_csv(&format!("{B},1")).unwrap();
        assert_eq!(
            spec.genesis.alloc[&B].balance,
            U256::from(10u64.pow(18) + 1)
        );
        spec.merge_snapshot_csv("").unwrap();
    }

    #[test]
    fn rejects_repeated_addresses() {
        let mut spec = ChainSpec::new(1);
        let csv = format!(
            "address,amount\n{A},1\n\n{},2\n",
            A.to_string().to_lowercase()
        );
        let (line, msg) = snapshot_error(&mut spec, &csv);
        assert_eq!(line, 4);
        assert!(msg.contains("already appears on line 2"), "{msg}");
    }

    #[test]
    fn rejects_overflow() {
        let mut spec = ChainSpec::new(1);
        spec.genesis
            .alloc
            .insert(A, GenesisAccount::with_balance(U256::MAX));
        let (line, msg) = snapshot_error(&mut spec, &format!("# header-less\n{A},1\n"));
        assert_eq!(line, 2);
        assert!(msg.contains("exceeds 2^256-1"), "{msg}");

        let mut spec = ChainSpec::new(1);
        let too_big =
            "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        let (line, msg) = snapshot_error(&mut spec, &format!("{A},{too_big}"));
        assert_eq!(line, 1);
        assert!(msg.contains("exceeds 2^256-1"), "{msg}");

        // The sum over distinct accounts overflows the genesis supply.
        let mut spec = ChainSpec::new(1);
        let max = U256::MAX.to_string();
        let (line, msg) = snapshot_error(&mut spec, &format!("{A},{max}\n{B},1"));
        assert_eq!(line, 2);
        assert!(msg.contains("genesis supply"), "{msg}");
    }

    #[test]
    fn rejects_malformed_lines() {
        let mut spec = ChainSpec::new(1);
        let cases = [
            (format!("{A}\n"), 1, "expected `address,amount`"),
            (format!("{A},1,2\n"), 1, "expected `address,amount`"),
            ("\n0x1234,1\n".to_owned(), 2, "invalid address `0x1234`"),
            (format!("{A},0x10"), 1, "invalid amount"),
            (format!("{A},-1"), 1, "invalid amount"),
            (format!("{A},1.5"), 1, "invalid amount"),
            (format!("{A},"), 1, "invalid amount"),
            (
                format!("{A},1\naddress,amount\n"),
                2,
                "invalid address `address`",
            ),
        ];
        for (csv, want_line, needle) in cases {
            let (line, msg) = snapshot_error(&mut spec, &csv);
            assert_eq!(line, want_line, "{csv:?}: {msg}");
            assert!(msg.contains(needle), "{csv:?}: {msg}");
        }
    }
}
