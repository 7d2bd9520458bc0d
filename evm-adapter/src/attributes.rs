//! What a block producer chooses for a block ([`BlockAttributes`]), the rule that derives
//! a child's attributes from its parent, and the header fields every bytom2 block shares.

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, constants::EMPTY_WITHDRAWALS};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use bytom2_chainspec::{ChainSpec, FeeParams};

/// Most bytes of a header's `extraData` (geth's `MaximumExtraDataSize`).
pub const MAX_EXTRA_DATA_SIZE: usize = 32;

/// What a block producer chooses for the next block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockAttributes {
    /// Block number.
    pub number: u64,
    /// Hash of the parent header.
    pub parent_hash: B256,
    /// Seconds since the epoch.
    pub timestamp: u64,
    /// Receives the priority fees (the header's `miner`).
    pub beneficiary: Address,
    /// Block gas limit.
    pub gas_limit: u64,
    /// EIP-1559 base fee.
    pub base_fee: u64,
    /// Randomness (`mixHash` / `PREVRANDAO`).
    pub prev_randao: B256,
    /// Free-form header data.
    pub extra_data: Bytes,
}

impl BlockAttributes {
    /// Attributes of the child of `parent` (whose hash is `parent_hash`): base fee by
    /// EIP-1559 from the chain spec ([`base_fee_of_child`]), same gas limit, randomness
    /// [`prev_randao_of_child`], timestamp no earlier than the parent's.
    pub fn child_of(
        spec: &ChainSpec,
        parent: &Header,
        parent_hash: B256,
        timestamp: u64,
        beneficiary: Address,
    ) -> Self {
        Self {
            number: parent.number + 1,
            parent_hash,
            timestamp: timestamp.max(parent.timestamp),
            beneficiary,
            gas_limit: parent.gas_limit,
            base_fee: base_fee_of_child(&spec.params.fees, parent),
            prev_randao: prev_randao_of_child(parent),
            extra_data: Bytes::new(),
        }
    }

    /// The attributes a header was built with.
    pub fn of_header(header: &Header) -> Self {
        Self {
            number: header.number,
            parent_hash: header.parent_hash,
            timestamp: header.timestamp,
            beneficiary: header.beneficiary,
            gas_limit: header.gas_limit,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            prev_randao: header.mix_hash,
            extra_data: header.extra_data.clone(),
        }
    }
}

/// The EIP-1559 base fee of `parent`'s child under `fees`.
pub fn base_fee_of_child(fees: &FeeParams, parent: &Header) -> u64 {
    fees.next_base_fee(
        parent.gas_used,
        parent.gas_limit,
        parent.base_fee_per_gas.unwrap_or_default(),
    )
}

/// The randomness of `parent`'s child: `keccak256(parent.mix_hash || number)`.
pub fn prev_randao_of_child(parent: &Header) -> B256 {
    let mut seed = parent.mix_hash.to_vec();
    seed.extend_from_slice(&(parent.number + 1).to_be_bytes());
    keccak256(seed)
}

/// A header with the fields every bytom2 block shares set: no ommers, no withdrawals, no
/// blobs, no beacon root, no execution-layer requests, difficulty and nonce zero. Callers
/// fill in the rest with struct update syntax.
pub(crate) fn prague_header() -> Header {
    Header {
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        difficulty: U256::ZERO,
        nonce: Default::default(),
        withdrawals_root: Some(EMPTY_WITHDRAWALS),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    }
}
