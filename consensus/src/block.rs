//! The block as consensus sees it: an Ethereum-shaped header and its transactions, named
//! by the header's hash (so a consensus digest *is* the block hash clients see), with the
//! canonical wire encoding peers exchange.
//!
//! Encoding: the header's RLP (length-prefixed), the transaction count, then each
//! transaction's EIP-2718 encoding (length-prefixed); lengths are Commonware varints. A
//! decoder refuses anything but this encoding and checks the body against the header's
//! `transactionsRoot`: otherwise two bodies would share one digest, and a peer could make
//! honest verifiers reject a valid block's digest for good.

use alloy_consensus::Header;
use alloy_primitives::{B256, Bytes};
use alloy_rlp::{Decodable, Encodable};
use bytes::BufMut;
use bytom2_evm_adapter::{Block, transactions_root};
use commonware_codec::{Buf, EncodeSize, Error as CodecError, RangeCfg, Read, Write};
use commonware_consensus::{BoundedBlock, Heightable, types::Height};
use commonware_cryptography::{Digestible, keccak256::Digest};
use std::sync::Arc;

/// Largest encoded header accepted (a Prague header with 32 bytes of extra data is
/// about 600 bytes).
pub const MAX_HEADER_SIZE: usize = 1024;

/// Limits a decoder applies ([`Read::Cfg`] of [`ConsensusBlock`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockLimits {
    /// Most transactions in a block.
    pub max_transactions: usize,
    /// Largest encoded transaction.
    pub max_transaction_size: usize,
    /// Largest encoded block.
    pub max_block_size: usize,
}

impl Default for BlockLimits {
    fn default() -> Self {
        Self {
            max_transactions: 50_000,
            max_transaction_size: 128 * 1024,
            max_block_size: 16 * 1024 * 1024,
        }
    }
}

/// A block with its hash, shared cheaply between the engine's actors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusBlock {
    block: Arc<Block>,
    hash: B256,
}

impl ConsensusBlock {
    /// Wraps `block`, hashing its header.
    pub fn new(block: Block) -> Self {
        let hash = block.hash_slow();
        Self {
            block: Arc::new(block),
            hash,
        }
    }

    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.block.header
    }

    /// The block hash (keccak of the RLP header).
    pub fn hash(&self) -> B256 {
        self.hash
    }

    /// The block number.
    pub fn number(&self) -> u64 {
        self.block.header.number
    }
}

/// A block hash as a consensus digest.
pub fn digest_of(hash: B256) -> Digest {
    Digest(hash.0)
}

/// A consensus digest as a block hash.
pub fn hash_of(digest: &Digest) -> B256 {
    B256::from(digest.0)
}

impl Digestible for ConsensusBlock {
    type Digest = Digest;

    fn digest(&self) -> Digest {
        digest_of(self.hash)
    }
}

impl Heightable for ConsensusBlock {
    fn height(&self) -> Height {
        Height::new(self.block.header.number)
    }
}

impl commonware_consensus::Block for ConsensusBlock {
    fn parent(&self) -> Digest {
        digest_of(self.block.header.parent_hash)
    }
}

impl Write for ConsensusBlock {
    fn write(&self, buf: &mut impl BufMut) {
        let header = self.header();
        header.length().write(buf);
        header.encode(buf);
        self.block.transactions.len().write(buf);
        for tx in &self.block.transactions {
            tx.len().write(buf);
            buf.put_slice(tx);
        }
    }
}

impl EncodeSize for ConsensusBlock {
    fn encode_size(&self) -> usize {
        let header = self.header().length();
        let txs = &self.block.transactions;
        header.encode_size()
            + header
            + txs.len().encode_size()
            + txs
                .iter()
                .map(|tx| tx.len().encode_size() + tx.len())
                .sum::<usize>()
    }
}

impl Read for ConsensusBlock {
    type Cfg = BlockLimits;

    fn read_cfg(buf: &mut impl Buf, limits: &BlockLimits) -> Result<Self, CodecError> {
        let total = buf.remaining();
        if total > limits.max_block_size.saturating_add(16) {
            return Err(CodecError::Invalid("ConsensusBlock", "block too large"));
        }
        let header_len = usize::read_cfg(buf, &RangeCfg::from(1..=MAX_HEADER_SIZE))?;
        if buf.remaining() < header_len {
            return Err(CodecError::EndOfBuffer);
        }
        let header_bytes = buf.copy_to_bytes(header_len);
        let mut slice = &header_bytes[..];
        let header = Header::decode(&mut slice)
            .map_err(|_| CodecError::Invalid("ConsensusBlock", "header is not RLP"))?;
        if !slice.is_empty() || header.length() != header_len {
            return Err(CodecError::Invalid(
                "ConsensusBlock",
                "header is not canonical RLP",
            ));
        }
        let count = usize::read_cfg(buf, &RangeCfg::from(0..=limits.max_transactions))?;
        let mut transactions = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            let len = usize::read_cfg(buf, &RangeCfg::from(1..=limits.max_transaction_size))?;
            if buf.remaining() < len {
                return Err(CodecError::EndOfBuffer);
            }
            transactions.push(Bytes::from(buf.copy_to_bytes(len)));
        }
        if transactions_root(&transactions) != header.transactions_root {
            return Err(CodecError::Invalid(
                "ConsensusBlock",
                "transactions do not match transactionsRoot",
            ));
        }
        Ok(Self::new(Block {
            header,
            transactions,
        }))
    }
}

impl BoundedBlock for ConsensusBlock {
    fn max_encode_size(limits: &BlockLimits) -> usize {
        // Header, counts and lengths are bounded by the varint widths.
        limits.max_block_size + MAX_HEADER_SIZE + 10 * (2 + limits.max_transactions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Decode, Encode};

    fn block(txs: Vec<Bytes>) -> Block {
        let header = Header {
            number: 7,
            transactions_root: transactions_root(&txs),
            extra_data: Bytes::from_static(b"bytom2"),
            base_fee_per_gas: Some(7),
            ..Default::default()
        };
        Block {
            header,
            transactions: txs,
        }
    }

    #[test]
    fn encoding_round_trips_and_digest_is_the_block_hash() {
        let b = ConsensusBlock::new(block(vec![
            Bytes::from_static(&[2, 1, 2, 3]),
            Bytes::from_static(&[0xf8, 9]),
        ]));
        let bytes = b.encode();
        assert_eq!(bytes.len(), b.encode_size());
        let decoded = ConsensusBlock::decode_cfg(bytes.clone(), &BlockLimits::default()).unwrap();
        assert_eq!(decoded, b);
        assert_eq!(hash_of(&decoded.digest()), b.block().hash_slow());
        assert_eq!(decoded.encode(), bytes);
    }

    #[test]
    fn a_body_that_does_not_match_the_header_is_refused() {
        let mut b = block(vec![Bytes::from_static(&[2, 1])]);
        b.transactions.push(Bytes::from_static(&[2, 9]));
        let bytes = ConsensusBlock::new(b).encode();
        assert!(ConsensusBlock::decode_cfg(bytes, &BlockLimits::default()).is_err());
    }

    #[test]
    fn limits_and_garbage_are_refused_without_panicking() {
        let limits = BlockLimits {
            max_transactions: 1,
            ..Default::default()
        };
        let two = ConsensusBlock::new(block(vec![
            Bytes::from_static(&[1]),
            Bytes::from_static(&[2]),
        ]));
        assert!(ConsensusBlock::decode_cfg(two.encode(), &limits).is_err());
        for garbage in [&[][..], &[0xff; 3], &[5, 1, 2], &[200, 1, 0xc0, 0, 0, 0]] {
            assert!(
                ConsensusBlock::decode_cfg(bytes::Bytes::copy_from_slice(garbage), &limits)
                    .is_err()
            );
        }
        let mut extra = two.encode().to_vec();
        extra.push(0);
        assert!(
            ConsensusBlock::decode_cfg(bytes::Bytes::from(extra), &BlockLimits::default()).is_err()
        );
    }
}
