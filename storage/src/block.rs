//! What a block commit carries, and the stored forms of bodies, receipts and
//! settlements.

use crate::{StorageError, StorageResult};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, Log, U256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use bytom2_utxo::{LtHash, Settlement, StateChanges, StoredReceipt};

/// The stored form of a [`StoredReceipt`]: the RLP list `[tx_type, success,
/// cumulative_gas_used, [log, …]]`, with `native_fee` appended for native transactions
/// (the bloom is recomputed from the logs, gas used from the cumulative values).
///
/// `L` is `&Vec<Log>` to encode (borrowing the receipt's logs) and `Vec<Log>` to decode.
#[derive(RlpEncodable, RlpDecodable)]
#[rlp(trailing)]
struct ReceiptRlp<L> {
    tx_type: u8,
    success: bool,
    cumulative_gas_used: u64,
    logs: L,
    native_fee: Option<U256>,
}

impl<'a> From<&'a StoredReceipt> for ReceiptRlp<&'a Vec<Log>> {
    fn from(r: &'a StoredReceipt) -> Self {
        Self {
            tx_type: r.tx_type,
            success: r.success,
            cumulative_gas_used: r.cumulative_gas_used,
            logs: &r.logs,
            native_fee: r.native_fee,
        }
    }
}

impl From<ReceiptRlp<Vec<Log>>> for StoredReceipt {
    fn from(r: ReceiptRlp<Vec<Log>>) -> Self {
        Self {
            tx_type: r.tx_type,
            success: r.success,
            cumulative_gas_used: r.cumulative_gas_used,
            logs: r.logs,
            native_fee: r.native_fee,
        }
    }
}

/// Encodes a block's settlement into `buf` (cleared first): `id(32) n_spent(4)
/// [outpoint coin]… n_created(4) [outpoint coin]…` (see [`Table::Settlements`]).
///
/// [`Table::Settlements`]: crate::Table::Settlements
pub(crate) fn encode_settlement(buf: &mut Vec<u8>, settlement: &Settlement) {
    buf.clear();
    buf.extend_from_slice(settlement.id.as_slice());
    for list in [&settlement.spent, &settlement.created] {
        buf.extend_from_slice(&(list.len() as u32).to_be_bytes());
        for (op, coin) in list {
            buf.extend_from_slice(&crate::codec::outpoint_key(op));
            buf.extend_from_slice(&crate::codec::encode_coin(coin));
        }
    }
}

/// Decodes a settlement written by [`encode_settlement`].
pub(crate) fn decode_settlement(b: &[u8]) -> StorageResult<Settlement> {
    let err = || StorageError::codec("settlement: truncated");
    let id = B256::from_slice(b.get(..32).ok_or_else(err)?);
    let mut rest = &b[32..];
    let mut lists = [Vec::new(), Vec::new()];
    for list in &mut lists {
        let n = u32::from_be_bytes(
            rest.get(..4)
                .ok_or_else(err)?
                .try_into()
                .map_err(|_| err())?,
        );
        rest = &rest[4..];
        let item = crate::codec::OUTPOINT_LEN + crate::codec::COIN_LEN;
        for _ in 0..n {
            let chunk = rest.get(..item).ok_or_else(err)?;
            let op = crate::codec::decode_outpoint(&chunk[..crate::codec::OUTPOINT_LEN])?;
            let coin = crate::codec::decode_coin(&chunk[crate::codec::OUTPOINT_LEN..])?;
            list.push((op, coin));
            rest = &rest[item..];
        }
    }
    if !rest.is_empty() {
        return Err(StorageError::codec("settlement: trailing bytes"));
    }
    let [spent, created] = lists;
    Ok(Settlement { id, spent, created })
}

/// Everything written for one block, in one write transaction, by
/// [`Database::commit_block`](crate::Database::commit_block).
///
/// `transactions`, `tx_hashes`, `senders` and `receipts` are parallel lists (same
/// length, same order).
#[derive(Clone, Copy, Debug)]
pub struct BlockToCommit<'a> {
    /// The header; `header.number` must be `head + 1` (or 0 for genesis) and
    /// `header.parent_hash` the head's hash.
    pub header: &'a Header,
    /// `keccak256(rlp(header))`.
    pub hash: B256,
    /// Raw EIP-2718 envelopes, in block order.
    pub transactions: &'a [Bytes],
    /// Their hashes.
    pub tx_hashes: &'a [B256],
    /// Their senders (recovered signers, or the spender of a native transaction).
    pub senders: &'a [Address],
    /// Their receipts.
    pub receipts: &'a [StoredReceipt],
    /// The state changes of the block (old and new values).
    pub changes: &'a StateChanges,
    /// The state commitment after the block.
    pub commitment: &'a LtHash,
    /// What its settlement spent and created (`None`: nothing).
    pub settlement: Option<&'a Settlement>,
    /// The certificate that finalized it, encoded (`None` on a development chain).
    pub certificate: Option<&'a [u8]>,
}

impl BlockToCommit<'_> {
    /// The block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }

    /// Checks the lists are parallel and the hash is the header's.
    pub(crate) fn check(&self) -> StorageResult<()> {
        let n = self.transactions.len();
        if self.tx_hashes.len() != n || self.senders.len() != n || self.receipts.len() != n {
            return Err(StorageError::InvalidBlock(format!(
                "{} transactions, {} hashes, {} senders, {} receipts",
                n,
                self.tx_hashes.len(),
                self.senders.len(),
                self.receipts.len()
            )));
        }
        if u32::try_from(n).is_err() {
            return Err(StorageError::InvalidBlock(format!("{n} transactions")));
        }
        let hash = self.header.hash_slow();
        if hash != self.hash {
            return Err(StorageError::InvalidBlock(format!(
                "hash {} is not the header's hash {hash}",
                self.hash
            )));
        }
        Ok(())
    }
}

/// RLP shape of a stored body (owned, for decoding).
#[derive(RlpDecodable)]
struct BodyOwned {
    transactions: Vec<Bytes>,
    senders: Vec<Address>,
}

/// Encodes a body into `buf` (cleared first).
pub(crate) fn encode_body(buf: &mut Vec<u8>, transactions: &[Bytes], senders: &[Address]) {
    buf.clear();
    let payload_length = alloy_rlp::list_length::<Bytes, Bytes>(transactions)
        + alloy_rlp::list_length::<Address, Address>(senders);
    alloy_rlp::Header {
        list: true,
        payload_length,
    }
    .encode(buf);
    alloy_rlp::encode_list::<Bytes, Bytes>(transactions, buf);
    alloy_rlp::encode_list::<Address, Address>(senders, buf);
}

/// Decodes a body.
pub(crate) fn decode_body(bytes: &[u8]) -> StorageResult<(Vec<Bytes>, Vec<Address>)> {
    let body: BodyOwned = decode_exact(bytes)?;
    if body.transactions.len() != body.senders.len() {
        return Err(StorageError::codec(
            "body: transactions and senders differ in length",
        ));
    }
    Ok((body.transactions, body.senders))
}

/// Encodes receipts into `buf` (cleared first).
pub(crate) fn encode_receipts(buf: &mut Vec<u8>, receipts: &[StoredReceipt]) {
    buf.clear();
    alloy_rlp::encode_iter::<_, _, ReceiptRlp<&Vec<Log>>>(
        receipts.iter().map(ReceiptRlp::from),
        buf,
    );
}

/// Decodes receipts.
pub(crate) fn decode_receipts(bytes: &[u8]) -> StorageResult<Vec<StoredReceipt>> {
    let receipts: Vec<ReceiptRlp<Vec<Log>>> = decode_exact(bytes)?;
    Ok(receipts.into_iter().map(StoredReceipt::from).collect())
}

/// Encodes a header into `buf` (cleared first).
pub(crate) fn encode_header(buf: &mut Vec<u8>, header: &Header) {
    buf.clear();
    header.encode(buf);
}

/// Decodes a header.
pub(crate) fn decode_header(bytes: &[u8]) -> StorageResult<Header> {
    decode_exact(bytes)
}

/// Decodes `T` and rejects trailing bytes.
fn decode_exact<T: Decodable>(mut bytes: &[u8]) -> StorageResult<T> {
    let value = T::decode(&mut bytes)?;
    if !bytes.is_empty() {
        return Err(StorageError::Codec(format!(
            "rlp: {} trailing bytes",
            bytes.len()
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{LogData, U256};
    use bytom2_utxo::{AssetId, Coin, CoinOrigin, OutPoint, Output};
    use proptest::prelude::*;

    fn log() -> impl Strategy<Value = Log> {
        (
            any::<[u8; 20]>(),
            proptest::collection::vec(any::<[u8; 32]>(), 0..4),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(a, topics, data)| Log {
                address: Address::from(a),
                data: LogData::new_unchecked(
                    topics.into_iter().map(B256::from).collect(),
                    data.into(),
                ),
            })
    }

    fn receipt() -> impl Strategy<Value = StoredReceipt> {
        (
            any::<u8>(),
            any::<bool>(),
            any::<u64>(),
            proptest::collection::vec(log(), 0..4),
            proptest::option::of(any::<[u8; 32]>()),
        )
            .prop_map(
                |(tx_type, success, cumulative_gas_used, logs, fee)| StoredReceipt {
                    tx_type,
                    success,
                    cumulative_gas_used,
                    logs,
                    native_fee: fee.map(U256::from_be_bytes),
                },
            )
    }

    /// A settlement output numbered `i` (every field derived from `i`).
    fn coin(i: u8) -> (OutPoint, Coin) {
        (
            OutPoint::new(B256::repeat_byte(i), u32::from(i)),
            Coin::new(
                Output::new(AssetId::BTM, U256::from(i), Address::repeat_byte(i)),
                CoinOrigin::new(u64::from(i), u32::MAX, u32::from(i)),
            ),
        )
    }

    #[test]
    fn settlements_round_trip_and_truncations_are_errors() {
        let s = Settlement {
            id: B256::repeat_byte(9),
            spent: vec![coin(1), coin(2)],
            created: vec![coin(3)],
        };
        let mut buf = Vec::new();
        encode_settlement(&mut buf, &s);
        assert_eq!(decode_settlement(&buf).unwrap(), s);
        for cut in 0..buf.len() {
            assert!(decode_settlement(&buf[..cut]).is_err(), "cut {cut}");
        }
    }

    proptest! {
        #[test]
        fn receipts_round_trip(receipts in proptest::collection::vec(receipt(), 0..6)) {
            let mut buf = Vec::new();
            encode_receipts(&mut buf, &receipts);
            prop_assert_eq!(decode_receipts(&buf).unwrap(), receipts);
        }

        #[test]
        fn bodies_round_trip(
            txs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..8),
            seed: u8,
        ) {
            let txs: Vec<Bytes> = txs.into_iter().map(Bytes::from).collect();
            let senders: Vec<Address> =
                (0..txs.len()).map(|i| Address::repeat_byte(seed.wrapping_add(i as u8))).collect();
            let mut buf = Vec::new();
            encode_body(&mut buf, &txs, &senders);
            prop_assert_eq!(decode_body(&buf).unwrap(), (txs, senders));
        }

        #[test]
        fn headers_round_trip(number: u64, gas_used: u64, ts: u64, fee in proptest::option::of(any::<u64>()), parent: [u8; 32]) {
            let header = Header {
                number,
                gas_used,
                timestamp: ts,
                base_fee_per_gas: fee,
                parent_hash: B256::from(parent),
                difficulty: U256::ZERO,
                ..Default::default()
            };
            let mut buf = Vec::new();
            encode_header(&mut buf, &header);
            prop_assert_eq!(decode_header(&buf).unwrap(), header);
        }

        #[test]
        fn garbage_is_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_receipts(&bytes);
            let _ = decode_body(&bytes);
            let _ = decode_header(&bytes);
        }
    }

    /// One settlement and two receipts (one native, one Ethereum) in their stored bytes.
    fn golden() -> (Settlement, Vec<StoredReceipt>) {
        let settlement = Settlement {
            id: B256::repeat_byte(9),
            spent: vec![coin(1)],
            created: vec![coin(2)],
        };
        let log = Log {
            address: Address::repeat_byte(7),
            data: LogData::new_unchecked(vec![B256::repeat_byte(8)], vec![1, 2, 3].into()),
        };
        let receipts = vec![
            StoredReceipt {
                tx_type: 2,
                success: true,
                cumulative_gas_used: 21_000,
                logs: vec![log],
                native_fee: None,
            },
            StoredReceipt {
                tx_type: 0x7e,
                success: false,
                cumulative_gas_used: 42_000,
                logs: vec![],
                native_fee: Some(U256::from(1_000_000u64)),
            },
        ];
        (settlement, receipts)
    }

    #[test]
    fn stored_bytes_are_unchanged() {
        let (settlement, receipts) = golden();
        let mut buf = Vec::new();
        encode_settlement(&mut buf, &settlement);
        assert_eq!(alloy_primitives::hex::encode(&buf), SETTLEMENT_HEX);
        assert_eq!(decode_settlement(&buf).unwrap(), settlement);
        encode_receipts(&mut buf, &receipts);
        assert_eq!(alloy_primitives::hex::encode(&buf), RECEIPTS_HEX);
        assert_eq!(decode_receipts(&buf).unwrap(), receipts);
    }

    const SETTLEMENT_HEX: &str = "0909090909090909090909090909090909090909090909090909090909090909000000010101010101010101010101010101010101010101010101010101010101010101000000010000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000101010101010101010101010101010101010101010000000000000001ffffffff00000001000000010202020202020202020202020202020202020202020202020202020202020202000000020000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000202020202020202020202020202020202020202020000000000000002ffffffff00000002";
    const RECEIPTS_HEX: &str = "f851f8440201825208f83df83b940707070707070707070707070707070707070707e1a0080808080808080808080808080808080808080808080808080808080808080883010203ca7e8082a410c0830f4240";

    #[test]
    fn trailing_bytes_are_rejected() {
        let mut buf = Vec::new();
        encode_receipts(&mut buf, &[StoredReceipt::default()]);
        buf.push(0);
        assert!(matches!(decode_receipts(&buf), Err(StorageError::Codec(_))));
    }
}
