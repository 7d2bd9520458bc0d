//! The transactions and receipts tries and the logs bloom, built on a second thread while
//! the block's transactions execute (the EVM runs on one core; the other would be idle).
//!
//! Both tries are keyed by `rlp(index)`. Sorted, those keys run 1..=127, 0, 128, 129, …,
//! so leaves can be added as transactions arrive, holding back only index 0 until index
//! 128 (or the end) — the root is ready right after the last transaction.

use crate::{BlockTx, ExecutedTx, PendingTx};
use alloy_consensus::{Receipt, ReceiptWithBloom};
use alloy_primitives::{Address, B256, Bloom, keccak256, map::HashMap};
use alloy_rlp::Encodable;
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, Nibbles};
use std::{
    sync::mpsc::{Sender, channel},
    thread::JoinHandle,
};

/// Adds `rlp(i)`-keyed leaves in arrival order `0, 1, 2, …`.
#[derive(Debug, Default)]
struct OrderedTrie {
    hb: HashBuilder,
    first: Option<Vec<u8>>,
    count: usize,
}

impl OrderedTrie {
    fn add(&mut self, index: usize, value: &[u8]) {
        let key = alloy_rlp::encode_fixed_size(&index);
        self.hb.add_leaf(Nibbles::unpack(&key), value);
    }

    fn push(&mut self, value: &[u8]) {
        let i = self.count;
        self.count += 1;
        if i == 0 {
            self.first = Some(value.to_vec());
            return;
        }
        if i == 128 {
            let first = self.first.take().expect("index 0 is held until 128");
            self.add(0, &first);
        }
        self.add(i, value);
    }

    fn root(mut self) -> B256 {
        if self.count == 0 {
            return EMPTY_ROOT_HASH;
        }
        if let Some(first) = self.first.take() {
            self.add(0, &first);
        }
        self.hb.root()
    }
}

/// The transactions root of a block whose transactions have these EIP-2718 encodings
/// (the leaves are the encodings themselves, keyed by `rlp(index)`, as Ethereum's).
pub fn transactions_root(transactions: &[impl AsRef<[u8]>]) -> B256 {
    let mut trie = OrderedTrie::default();
    for tx in transactions {
        trie.push(tx.as_ref());
    }
    trie.root()
}

/// What the worker returns: roots, bloom, and the transactions handed to it (moved, not
/// cloned) joined with their EIP-2718 encodings and receipts.
#[derive(Debug)]
pub(crate) struct Roots {
    pub(crate) transactions_root: B256,
    pub(crate) receipts_root: B256,
    pub(crate) logs_bloom: Bloom,
    pub(crate) transactions: Vec<ExecutedTx>,
}

/// The EIP-2718 encoding of a receipt of a transaction of type `ty`: the RLP of the
/// receipt with its bloom, after the type byte unless legacy.
pub(crate) fn encode_receipt(ty: u8, receipt: &ReceiptWithBloom<Receipt>) -> Vec<u8> {
    let mut out = Vec::with_capacity(receipt.length() + 1);
    if ty != 0 {
        out.push(ty);
    }
    receipt.encode(&mut out);
    out
}

/// The keccak hashes of log addresses and topics a block's blooms have used. A block's
/// logs repeat them (every `Transfer` log of a token has the token's address and the
/// event's signature), so each is hashed once per block instead of once per log.
#[derive(Debug, Default)]
struct BloomHashes {
    addresses: HashMap<Address, B256>,
    topics: HashMap<B256, B256>,
}

impl BloomHashes {
    /// Above this many remembered hashes the memo starts over (bounds its memory).
    const LIMIT: usize = 1 << 16;

    /// `receipt` with its logs bloom, equal to [`Receipt::with_bloom`].
    fn with_bloom(&mut self, receipt: Receipt) -> ReceiptWithBloom<Receipt> {
        if self.addresses.len() + self.topics.len() > Self::LIMIT {
            self.addresses.clear();
            self.topics.clear();
        }
        let mut bloom = Bloom::ZERO;
        for log in &receipt.logs {
            let hash = self
                .addresses
                .entry(log.address)
                .or_insert_with(|| keccak256(log.address));
            bloom.m3_2048_hashed(hash);
            for topic in log.topics() {
                let hash = self
                    .topics
                    .entry(*topic)
                    .or_insert_with(|| keccak256(topic));
                bloom.m3_2048_hashed(hash);
            }
        }
        ReceiptWithBloom::new(receipt, bloom)
    }
}

/// The worker thread and its input.
/// Items are handed over in batches of this many, so the worker is woken once per batch.
const BATCH: usize = 256;

type Item = (BlockTx, Receipt, PendingTx);

#[derive(Debug)]
pub(crate) struct RootsWorker {
    input: Sender<Vec<Item>>,
    pending: Vec<Item>,
    handle: JoinHandle<Roots>,
}

impl RootsWorker {
    /// Starts the worker for a block of up to about `capacity` transactions (the list
    /// it returns is sized for that many up front: grown by doubling, it was copied and
    /// freshly paged in several times per block).
    pub(crate) fn spawn(capacity: usize) -> Self {
        let (input, rx) = channel::<Vec<Item>>();
        let handle = std::thread::Builder::new()
            .name("bytom2-roots".into())
            .spawn(move || {
                let (mut txs, mut rcs) = (OrderedTrie::default(), OrderedTrie::default());
                let mut logs_bloom = Bloom::ZERO;
                let mut transactions = Vec::with_capacity(capacity);
                let mut blooms = BloomHashes::default();
                for (tx, receipt, p) in rx.into_iter().flatten() {
                    let encoded = tx.encoded_2718();
                    txs.push(&encoded);
                    let receipt = blooms.with_bloom(receipt);
                    logs_bloom |= receipt.logs_bloom;
                    rcs.push(&encode_receipt(tx.tx_type(), &receipt));
                    transactions.push(ExecutedTx {
                        tx,
                        encoded,
                        receipt,
                        gas_used: p.gas_used,
                        effective_gas_price: p.effective_gas_price,
                        contract_address: p.contract_address,
                        output: p.output,
                        native_fee: p.native_fee,
                    });
                }
                Roots {
                    transactions_root: txs.root(),
                    receipts_root: rcs.root(),
                    logs_bloom,
                    transactions,
                }
            })
            .expect("spawning the roots thread");
        Self {
            input,
            pending: Vec::with_capacity(BATCH),
            handle,
        }
    }

    pub(crate) fn push(&mut self, tx: BlockTx, receipt: Receipt, pending: PendingTx) {
        self.pending.push((tx, receipt, pending));
        if self.pending.len() == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH));
        // The worker only stops when the sender is dropped; a send error means it
        // panicked, which `finish` reports.
        let _ = self.input.send(batch);
    }

    pub(crate) fn finish(mut self) -> Roots {
        self.flush();
        drop(self.input);
        self.handle.join().expect("the roots thread does not panic")
    }
}

/// The roots of an empty block.
pub(crate) fn empty() -> Roots {
    Roots {
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        logs_bloom: Bloom::ZERO,
        transactions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::root::ordered_trie_root_with_encoder;

    #[test]
    fn memoised_bloom_equals_alloy() {
        use alloy_primitives::{Log, LogData};
        let token = Address::repeat_byte(7);
        let log = |from: u8, to: u8| Log {
            address: token,
            data: LogData::new_unchecked(
                vec![
                    B256::repeat_byte(1),
                    B256::repeat_byte(from),
                    B256::repeat_byte(to),
                ],
                Default::default(),
            ),
        };
        let mut blooms = BloomHashes::default();
        for logs in [
            vec![],
            vec![log(2, 3)],
            vec![log(3, 2), log(2, 4)],
            vec![log(2, 3)],
        ] {
            let receipt = Receipt {
                status: true.into(),
                cumulative_gas_used: 1,
                logs,
            };
            assert_eq!(blooms.with_bloom(receipt.clone()), receipt.with_bloom());
        }
    }

    #[test]
    fn incremental_root_equals_alloy_for_every_length_around_the_boundaries() {
        for n in [0usize, 1, 2, 127, 128, 129, 200, 300] {
            let items: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 1 + i % 7]).collect();
            let mut t = OrderedTrie::default();
            for it in &items {
                t.push(it);
            }
            let expected =
                ordered_trie_root_with_encoder(&items, |v, buf| buf.extend_from_slice(v));
            assert_eq!(t.root(), expected, "n = {n}");
        }
    }
}
