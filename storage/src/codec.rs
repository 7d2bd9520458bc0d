//! Byte layouts of every table's keys and values.
//!
//! Integers are big-endian so that byte order is numeric order; `U256` values are 32
//! big-endian bytes; addresses 20 bytes; hashes and asset ids 32 bytes.
//!
//! | table | key | value |
//! |---|---|---|
//! | `Coins` | tx(32) index(4) | asset(32) amount(32) owner(20) block(8) txindex(4) outindex(4) |
//! | `OwnerCoins` | owner(20) asset(32) block(8) txindex(4) outindex(4) outpoint(36) | empty |
//! | `Balances` | owner(20) asset(32) | amount(32), absent when zero |
//! | `Accounts` | address(20) | nonce(8) code_hash(32) |
//! | `Code` | code_hash(32) | code bytes |
//! | `Storage` | address(20) slot(32) | value(32), absent when zero |
//! | `Supply` | asset(32) | genesis(32) issued(32) rewards(32) burned(32), then adjusted_in(32) adjusted_out(32) only when either is non-zero (dev-node adjustments); absent when all zero |
//! | `CoinsHistory` … `SupplyHistory` | base key, then block(8) | `0x00` (no entry before the block) or `0x01` then the old value |
//! | `Headers` | number(8) | RLP of the `alloy_consensus::Header` |
//! | `HeaderNumbers` | hash(32) | number(8) |
//! | `Bodies` | number(8) | RLP list `[[tx, …], [sender, …]]`: raw EIP-2718 envelopes as byte strings, senders as 20-byte strings |
//! | `Receipts` | number(8) | RLP list of [`StoredReceipt`](bytom2_utxo::StoredReceipt) |
//! | `TxLookup` | tx hash(32) | number(8) index(4) |
//! | `Meta` | `"schema_version"` | u32(4) |
//! | `Meta` | `"head"` | number(8) hash(32) |
//! | `Meta` | `"tx_lookup_head"` | number(8): `TxLookup` holds the transactions of every block up to it |
//! | `Meta` | `"commitment"` | the 2048 [`LtHash`](bytom2_utxo::LtHash) lane bytes of the state at head |
//! | `Evidence` | first_seen_height(8) digest(32) | kind(1) validator(32) epoch(8) view(8) data (module `evidence`) |
//! | `EvidenceDigests` | digest(32) | first_seen_height(8) |
//!
//! A history entry `key | b` holds the value `key` had *before* block `b` changed it. The
//! value at the end of block `n` is the old value of the first entry `key | b` with
//! `b > n`, or the current value when there is none (reth's change sets, keyed so that
//! one cursor seek answers the question).
//!
//! Decoders never panic on bad bytes: they return [`StorageError::Codec`].

use crate::{StorageError, StorageResult};
use alloy_primitives::{Address, B256, U256};
use bytom2_utxo::{Account, AssetId, Coin, CoinOrigin, OutPoint, Output, Supply};

/// Length of an encoded outpoint.
pub(crate) const OUTPOINT_LEN: usize = 36;
/// Length of an encoded coin.
pub(crate) const COIN_LEN: usize = 100;
/// Length of an `OwnerCoins` key.
pub(crate) const OWNER_COIN_LEN: usize = 20 + 32 + 16 + OUTPOINT_LEN;
/// Length of an `(address or owner, 32-byte)` key.
pub(crate) const PAIR_LEN: usize = 52;
/// Length of an encoded account.
pub(crate) const ACCOUNT_LEN: usize = 40;
/// Length of encoded supply counters without development adjustments.
pub(crate) const SUPPLY_LEN: usize = 128;
/// Length of encoded supply counters with development adjustments.
pub(crate) const SUPPLY_ADJUSTED_LEN: usize = 192;

/// History value marker: the key had no entry before the block.
pub(crate) const HISTORY_ABSENT: u8 = 0x00;
/// History value marker: the old value follows.
pub(crate) const HISTORY_PRESENT: u8 = 0x01;

/// Meta key of the schema version.
pub(crate) const META_SCHEMA_VERSION: &[u8] = b"schema_version";
/// Meta key of the head.
pub(crate) const META_HEAD: &[u8] = b"head";
/// Meta key of the last block whose transactions are in `TxLookup`.
pub(crate) const META_TX_LOOKUP_HEAD: &[u8] = b"tx_lookup_head";
/// Meta key of the state commitment at head.
pub(crate) const META_COMMITMENT: &[u8] = b"commitment";

fn fixed<const N: usize>(bytes: &[u8], what: &str) -> StorageResult<[u8; N]> {
    bytes.try_into().map_err(|_| {
        StorageError::Codec(format!("{what}: expected {N} bytes, found {}", bytes.len()))
    })
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("caller checked the length"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("caller checked the length"))
}

fn u256_at(b: &[u8], at: usize) -> U256 {
    U256::from_be_slice(&b[at..at + 32])
}

// === outpoints and coins ===

/// `Coins` key.
pub(crate) fn outpoint_key(op: &OutPoint) -> [u8; OUTPOINT_LEN] {
    let mut k = [0u8; OUTPOINT_LEN];
    k[..32].copy_from_slice(op.tx.as_slice());
    k[32..].copy_from_slice(&op.index.to_be_bytes());
    k
}

/// Decodes a `Coins` key.
pub(crate) fn decode_outpoint(b: &[u8]) -> StorageResult<OutPoint> {
    let b: [u8; OUTPOINT_LEN] = fixed(b, "outpoint")?;
    Ok(OutPoint::new(B256::from_slice(&b[..32]), u32_at(&b, 32)))
}

/// `Coins` value.
pub(crate) fn encode_coin(c: &Coin) -> [u8; COIN_LEN] {
    let mut v = [0u8; COIN_LEN];
    v[..32].copy_from_slice(c.output.asset.0.as_slice());
    v[32..64].copy_from_slice(&c.output.amount.to_be_bytes::<32>());
    v[64..84].copy_from_slice(c.output.owner.as_slice());
    v[84..92].copy_from_slice(&c.origin.block.to_be_bytes());
    v[92..96].copy_from_slice(&c.origin.tx.to_be_bytes());
    v[96..100].copy_from_slice(&c.origin.index.to_be_bytes());
    v
}

/// Decodes a `Coins` value.
pub(crate) fn decode_coin(b: &[u8]) -> StorageResult<Coin> {
    let b: [u8; COIN_LEN] = fixed(b, "coin")?;
    let b = &b[..];
    let output = Output::new(
        AssetId(B256::from_slice(&b[..32])),
        u256_at(b, 32),
        Address::from_slice(&b[64..84]),
    );
    let origin = CoinOrigin::new(u64_at(b, 84), u32_at(b, 92), u32_at(b, 96));
    Ok(Coin::new(output, origin))
}

/// `OwnerCoins` prefix of one `(owner, asset)`.
pub(crate) fn owner_asset_prefix(owner: &Address, asset: &AssetId) -> [u8; PAIR_LEN] {
    pair_key(owner, &asset.0)
}

/// `OwnerCoins` key of a coin.
pub(crate) fn owner_coin_key(op: &OutPoint, c: &Coin) -> [u8; OWNER_COIN_LEN] {
    let mut k = [0u8; OWNER_COIN_LEN];
    k[..PAIR_LEN].copy_from_slice(&owner_asset_prefix(&c.output.owner, &c.output.asset));
    k[52..60].copy_from_slice(&c.origin.block.to_be_bytes());
    k[60..64].copy_from_slice(&c.origin.tx.to_be_bytes());
    k[64..68].copy_from_slice(&c.origin.index.to_be_bytes());
    k[68..].copy_from_slice(&outpoint_key(op));
    k
}

/// The outpoint at the end of an `OwnerCoins` key.
pub(crate) fn owner_coin_outpoint(k: &[u8]) -> StorageResult<OutPoint> {
    if k.len() != OWNER_COIN_LEN {
        return Err(StorageError::Codec(format!(
            "owner coin key: expected {OWNER_COIN_LEN} bytes, found {}",
            k.len()
        )));
    }
    decode_outpoint(&k[68..])
}

// === balances, accounts, storage, supply ===

/// A 52-byte key: 20-byte address then a 32-byte word (`Balances`, `Storage`).
pub(crate) fn pair_key(address: &Address, word: &B256) -> [u8; PAIR_LEN] {
    let mut k = [0u8; PAIR_LEN];
    k[..20].copy_from_slice(address.as_slice());
    k[20..].copy_from_slice(word.as_slice());
    k
}

/// `Balances` key.
pub(crate) fn balance_key(owner: &Address, asset: &AssetId) -> [u8; PAIR_LEN] {
    pair_key(owner, &asset.0)
}

/// `Storage` key.
pub(crate) fn storage_key(address: &Address, slot: &U256) -> [u8; PAIR_LEN] {
    pair_key(address, &B256::from(slot.to_be_bytes::<32>()))
}

/// A 32-byte big-endian word.
pub(crate) fn encode_u256(v: &U256) -> [u8; 32] {
    v.to_be_bytes::<32>()
}

/// Decodes a 32-byte big-endian word.
pub(crate) fn decode_u256(b: &[u8]) -> StorageResult<U256> {
    let b: [u8; 32] = fixed(b, "u256")?;
    Ok(U256::from_be_bytes(b))
}

/// `Accounts` value.
pub(crate) fn encode_account(a: &Account) -> [u8; ACCOUNT_LEN] {
    let mut v = [0u8; ACCOUNT_LEN];
    v[..8].copy_from_slice(&a.nonce.to_be_bytes());
    v[8..].copy_from_slice(a.code_hash.as_slice());
    v
}

/// Decodes an `Accounts` value.
pub(crate) fn decode_account(b: &[u8]) -> StorageResult<Account> {
    let b: [u8; ACCOUNT_LEN] = fixed(b, "account")?;
    Ok(Account {
        nonce: u64_at(&b, 0),
        code_hash: B256::from_slice(&b[8..]),
    })
}

/// `Supply` value: four words, six when a development adjustment is recorded.
pub(crate) fn encode_supply(s: &Supply) -> Vec<u8> {
    let mut v = Vec::with_capacity(SUPPLY_ADJUSTED_LEN);
    for x in [s.genesis, s.issued, s.rewards, s.burned] {
        v.extend_from_slice(&x.to_be_bytes::<32>());
    }
    if s.is_adjusted() {
        for x in [s.adjusted_in, s.adjusted_out] {
            v.extend_from_slice(&x.to_be_bytes::<32>());
        }
    }
    v
}

/// Decodes a `Supply` value (four or six words).
pub(crate) fn decode_supply(b: &[u8]) -> StorageResult<Supply> {
    if b.len() != SUPPLY_LEN && b.len() != SUPPLY_ADJUSTED_LEN {
        return Err(StorageError::Codec(format!(
            "supply: {} bytes, expected {SUPPLY_LEN} or {SUPPLY_ADJUSTED_LEN}",
            b.len()
        )));
    }
    let word = |i: usize| {
        b.get(i * 32..(i + 1) * 32)
            .map_or(U256::ZERO, U256::from_be_slice)
    };
    Ok(Supply {
        genesis: word(0),
        issued: word(1),
        rewards: word(2),
        burned: word(3),
        adjusted_in: word(4),
        adjusted_out: word(5),
    })
}

/// Writes `base | block` into `buf` (cleared first).
pub(crate) fn history_key(buf: &mut Vec<u8>, base: &[u8], block: u64) {
    buf.clear();
    buf.extend_from_slice(base);
    buf.extend_from_slice(&block.to_be_bytes());
}

/// Writes a history value into `buf` (cleared first): `0x00`, or `0x01 | old`.
pub(crate) fn history_value(buf: &mut Vec<u8>, old: Option<&[u8]>) {
    buf.clear();
    match old {
        None => buf.push(HISTORY_ABSENT),
        Some(old) => {
            buf.push(HISTORY_PRESENT);
            buf.extend_from_slice(old);
        }
    }
}

/// Decodes a history value: `None` for "no entry", else the old value bytes.
pub(crate) fn decode_history_value(b: &[u8]) -> StorageResult<Option<&[u8]>> {
    match b.split_first() {
        Some((&HISTORY_ABSENT, [])) => Ok(None),
        Some((&HISTORY_PRESENT, rest)) => Ok(Some(rest)),
        _ => Err(StorageError::codec("history value: bad marker")),
    }
}

// === blocks and meta ===

/// `TxLookup` value.
pub(crate) fn encode_tx_location(number: u64, index: u32) -> [u8; 12] {
    let mut v = [0u8; 12];
    v[..8].copy_from_slice(&number.to_be_bytes());
    v[8..].copy_from_slice(&index.to_be_bytes());
    v
}

/// Decodes a `TxLookup` value.
pub(crate) fn decode_tx_location(b: &[u8]) -> StorageResult<(u64, u32)> {
    let b: [u8; 12] = fixed(b, "tx location")?;
    Ok((u64_at(&b, 0), u32_at(&b, 8)))
}

/// Decodes a block number (`HeaderNumbers` values).
pub(crate) fn decode_number(b: &[u8]) -> StorageResult<u64> {
    let b: [u8; 8] = fixed(b, "block number")?;
    Ok(u64::from_be_bytes(b))
}

/// `Meta` head value.
pub(crate) fn encode_head(number: u64, hash: &B256) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..8].copy_from_slice(&number.to_be_bytes());
    v[8..].copy_from_slice(hash.as_slice());
    v
}

/// Decodes the `Meta` head value.
pub(crate) fn decode_head(b: &[u8]) -> StorageResult<(u64, B256)> {
    let b: [u8; 40] = fixed(b, "head")?;
    Ok((u64_at(&b, 0), B256::from_slice(&b[8..])))
}

/// Decodes the `Meta` schema version.
pub(crate) fn decode_schema_version(b: &[u8]) -> StorageResult<u32> {
    let b: [u8; 4] = fixed(b, "schema version")?;
    Ok(u32::from_be_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b256() -> impl Strategy<Value = B256> {
        any::<[u8; 32]>().prop_map(B256::from)
    }

    fn u256() -> impl Strategy<Value = U256> {
        any::<[u8; 32]>().prop_map(U256::from_be_bytes)
    }

    fn address() -> impl Strategy<Value = Address> {
        any::<[u8; 20]>().prop_map(Address::from)
    }

    fn coin() -> impl Strategy<Value = Coin> {
        (
            b256(),
            u256(),
            address(),
            any::<u64>(),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(|(asset, amount, owner, block, tx, index)| {
                Coin::new(
                    Output::new(AssetId(asset), amount, owner),
                    CoinOrigin::new(block, tx, index),
                )
            })
    }

    proptest! {
        #[test]
        fn outpoint_and_coin_round_trip(tx in b256(), index: u32, c in coin()) {
            let op = OutPoint::new(tx, index);
            prop_assert_eq!(decode_outpoint(&outpoint_key(&op)).unwrap(), op);
            let bytes = encode_coin(&c);
            prop_assert_eq!(decode_coin(&bytes).unwrap(), c);
            let k = owner_coin_key(&op, &c);
            prop_assert_eq!(owner_coin_outpoint(&k).unwrap(), op);
            prop_assert!(k.starts_with(&owner_asset_prefix(&c.output.owner, &c.output.asset)));
        }

        #[test]
        fn owner_coin_keys_sort_by_creation(tx in b256(), a in coin(), b in coin()) {
            // Same owner and asset: key order is creation order.
            let mut b = b;
            b.output.owner = a.output.owner;
            b.output.asset = a.output.asset;
            let op = OutPoint::new(tx, 0);
            let (ka, kb) = (owner_coin_key(&op, &a), owner_coin_key(&op, &b));
            prop_assert_eq!(ka.cmp(&kb), a.origin.cmp(&b.origin));
        }

        #[test]
        fn words_accounts_supply_round_trip(
            v in u256(), nonce: u64, code_hash in b256(), s in (u256(), u256(), u256(), u256(), u256(), u256()),
        ) {
            prop_assert_eq!(decode_u256(&encode_u256(&v)).unwrap(), v);
            let a = Account { nonce, code_hash };
            prop_assert_eq!(decode_account(&encode_account(&a)).unwrap(), a);
            let s = Supply { genesis: s.0, issued: s.1, rewards: s.2, burned: s.3, adjusted_in: s.4, adjusted_out: s.5 };
            prop_assert_eq!(decode_supply(&encode_supply(&s)).unwrap(), s);
        }

        #[test]
        fn storage_keys_sort_by_slot(addr in address(), x in u256(), y in u256()) {
            prop_assert_eq!(storage_key(&addr, &x).cmp(&storage_key(&addr, &y)), x.cmp(&y));
        }

        #[test]
        fn history_and_meta_round_trip(old in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)), n: u64, i: u32, h in b256()) {
            let mut buf = Vec::new();
            history_value(&mut buf, old.as_deref());
            prop_assert_eq!(decode_history_value(&buf).unwrap(), old.as_deref());
            prop_assert_eq!(decode_tx_location(&encode_tx_location(n, i)).unwrap(), (n, i));
            prop_assert_eq!(decode_head(&encode_head(n, &h)).unwrap(), (n, h));
            history_key(&mut buf, &[1, 2], n);
            prop_assert_eq!(&buf[2..], &n.to_be_bytes()[..]);
        }

        #[test]
        fn decoders_reject_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            // Never panics; wrong lengths are errors.
            let _ = decode_coin(&bytes);
            let _ = decode_outpoint(&bytes);
            let _ = owner_coin_outpoint(&bytes);
            let _ = decode_account(&bytes);
            let _ = decode_supply(&bytes);
            let _ = decode_u256(&bytes);
            let _ = decode_history_value(&bytes);
            let _ = decode_head(&bytes);
            let _ = decode_tx_location(&bytes);
            if bytes.len() != COIN_LEN {
                prop_assert!(decode_coin(&bytes).is_err());
            }
        }
    }
}
