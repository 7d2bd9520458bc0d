//! Strict verification of a block proposed by another node ([`verify_block`]): the
//! header fields that follow from the parent are checked first ([`check_header`]), then
//! exactly the block's transactions run in order, the first invalid one rejecting the
//! whole block, and every field execution recomputes is compared. A rejection is an
//! [`InvalidBlock`] naming the field or transaction and what differed.
//!
//! Rules beyond Ethereum's header checks: a block's timestamp may equal its parent's
//! (blocks come faster than one a second); its gas limit moves by less than
//! 1/[`GAS_LIMIT_BOUND_DIVISOR`] of the parent's, as geth's; the randomness is
//! [`crate::prev_randao_of_child`] of the parent.

use crate::{
    Block, BlockAttributes, BlockExecutor, BlockHashes, BlockTx, DecodeTxError, EvmConfig,
    ExecError, ExecuteTxError, ExecutedBlock, MAX_EXTRA_DATA_SIZE, attributes::prague_header,
    base_fee_of_child, prev_randao_of_child,
};
use alloy_consensus::Header;
use alloy_primitives::{B256, Bloom, keccak256};
use bytom2_utxo::StateView;

/// A block's gas limit differs from its parent's by less than the parent's divided by
/// this (geth's `GasLimitBoundDivisor`).
pub const GAS_LIMIT_BOUND_DIVISOR: u64 = 1024;

/// The lowest gas limit a block may have (geth's `MinGasLimit`).
pub const MIN_GAS_LIMIT: u64 = 5000;

/// A header field every bytom2 block has the same value in (Prague without a beacon
/// chain: no ommers, withdrawals, blobs or requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedField {
    /// `sha3Uncles`: the hash of an empty list.
    OmmersHash,
    /// `difficulty`: zero.
    Difficulty,
    /// `nonce`: zero.
    Nonce,
    /// `withdrawalsRoot`: the empty root.
    WithdrawalsRoot,
    /// `blobGasUsed`: zero.
    BlobGasUsed,
    /// `excessBlobGas`: zero.
    ExcessBlobGas,
    /// `parentBeaconBlockRoot`: zero.
    ParentBeaconBlockRoot,
    /// `requestsHash`: the hash of no requests.
    RequestsHash,
}

/// Why a block is invalid. The proposer is at fault; nothing of the block is kept.
#[derive(Debug, thiserror::Error)]
pub enum InvalidBlock {
    /// The parent is not a block this node knows.
    #[error("unknown parent {parent_hash}")]
    UnknownParent {
        /// The header's `parentHash`.
        parent_hash: B256,
    },
    /// `parentHash` is not the parent's hash.
    #[error("parent hash {got}, expected {expected}")]
    ParentHash {
        /// The parent's hash.
        expected: B256,
        /// The header's.
        got: B256,
    },
    /// `number` is not the parent's plus one.
    #[error("number {got}, expected {expected}")]
    Number {
        /// The parent's number plus one.
        expected: u64,
        /// The header's.
        got: u64,
    },
    /// `timestamp` is before the parent's.
    #[error("timestamp {got} is before the parent's {parent}")]
    Timestamp {
        /// The parent's timestamp.
        parent: u64,
        /// The header's.
        got: u64,
    },
    /// `gasLimit` moved too far from the parent's, or is below [`MIN_GAS_LIMIT`].
    #[error("gas limit {got} out of bounds (parent's {parent})")]
    GasLimit {
        /// The parent's gas limit.
        parent: u64,
        /// The header's.
        got: u64,
    },
    /// `gasUsed` above `gasLimit`.
    #[error("gas used {gas_used} above the gas limit {gas_limit}")]
    GasUsedOverLimit {
        /// The header's gas used.
        gas_used: u64,
        /// The header's gas limit.
        gas_limit: u64,
    },
    /// `baseFeePerGas` is not the EIP-1559 successor of the parent's.
    #[error("base fee {got:?}, expected {expected}")]
    BaseFee {
        /// What follows from the parent.
        expected: u64,
        /// The header's.
        got: Option<u64>,
    },
    /// `mixHash` is not the randomness that follows from the parent.
    #[error("prevRandao {got}, expected {expected}")]
    PrevRandao {
        /// What follows from the parent.
        expected: B256,
        /// The header's.
        got: B256,
    },
    /// `extraData` longer than [`MAX_EXTRA_DATA_SIZE`].
    #[error("extra data of {len} bytes, at most {MAX_EXTRA_DATA_SIZE}")]
    ExtraData {
        /// Its length.
        len: usize,
    },
    /// A field every block has the same value in holds another.
    #[error("header field {0:?} differs from every bytom2 block's")]
    FixedField(FixedField),
    /// A transaction's bytes are not a transaction (or do not recover to a signer).
    #[error("transaction {index} ({hash}) does not decode: {error}")]
    Undecodable {
        /// Its position in the block.
        index: usize,
        /// keccak256 of its bytes.
        hash: B256,
        /// Why.
        error: Box<DecodeTxError>,
    },
    /// A transaction cannot run where the block puts it (nonce, funds, fee cap, gas,
    /// spent inputs).
    #[error("transaction {index} ({hash}) is invalid: {error}")]
    Transaction {
        /// Its position in the block.
        index: usize,
        /// Its hash.
        hash: B256,
        /// Why.
        error: Box<ExecuteTxError>,
    },
    /// `gasUsed` is not what the transactions used.
    #[error("gas used {got}, execution used {expected}")]
    GasUsed {
        /// What execution used.
        expected: u64,
        /// The header's.
        got: u64,
    },
    /// `transactionsRoot` is not the root of the block's transactions.
    #[error("transactions root {got}, computed {expected}")]
    TransactionsRoot {
        /// Computed.
        expected: B256,
        /// The header's.
        got: B256,
    },
    /// `receiptsRoot` is not the root of the receipts execution produced.
    #[error("receipts root {got}, computed {expected}")]
    ReceiptsRoot {
        /// Computed.
        expected: B256,
        /// The header's.
        got: B256,
    },
    /// `logsBloom` is not the bloom of the logs execution produced.
    #[error("logs bloom differs from the computed one")]
    LogsBloom {
        /// Computed.
        expected: Box<Bloom>,
        /// The header's.
        got: Box<Bloom>,
    },
    /// `stateRoot` is not the commitment of the state after the block.
    #[error("state root {got}, computed {expected}")]
    StateRoot {
        /// Computed.
        expected: B256,
        /// The header's.
        got: B256,
    },
}

/// Why [`verify_block`] did not return a block: the block is invalid, or this node could
/// not execute it (its state failed).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The block is invalid; its proposer is at fault.
    #[error("invalid block: {0}")]
    Invalid(#[from] InvalidBlock),
    /// Execution failed for a reason that is not the block's (reading the state).
    #[error(transparent)]
    Exec(#[from] ExecError),
}

impl VerifyError {
    /// Whether this node must stop using its state handle (never the block's fault).
    pub fn is_fatal(&self) -> bool {
        match self {
            Self::Invalid(_) => false,
            Self::Exec(e) => e.is_fatal(),
        }
    }

    /// The rejection, if the block is at fault.
    pub fn invalid(&self) -> Option<&InvalidBlock> {
        match self {
            Self::Invalid(e) => Some(e),
            Self::Exec(_) => None,
        }
    }
}

/// Checks every field of `header` that follows from its parent (`parent`, whose hash is
/// `parent_hash`) and the chain's rules, without executing anything.
pub fn check_header(
    config: &EvmConfig,
    parent: &Header,
    parent_hash: B256,
    header: &Header,
) -> Result<(), InvalidBlock> {
    if header.parent_hash != parent_hash {
        return Err(InvalidBlock::ParentHash {
            expected: parent_hash,
            got: header.parent_hash,
        });
    }
    let number = parent.number + 1;
    if header.number != number {
        return Err(InvalidBlock::Number {
            expected: number,
            got: header.number,
        });
    }
    if header.timestamp < parent.timestamp {
        return Err(InvalidBlock::Timestamp {
            parent: parent.timestamp,
            got: header.timestamp,
        });
    }
    let bound = parent.gas_limit / GAS_LIMIT_BOUND_DIVISOR;
    let moved = header.gas_limit.abs_diff(parent.gas_limit);
    if moved != 0 && moved >= bound || header.gas_limit < MIN_GAS_LIMIT {
        return Err(InvalidBlock::GasLimit {
            parent: parent.gas_limit,
            got: header.gas_limit,
        });
    }
    if header.gas_used > header.gas_limit {
        return Err(InvalidBlock::GasUsedOverLimit {
            gas_used: header.gas_used,
            gas_limit: header.gas_limit,
        });
    }
    let base_fee = base_fee_of_child(config.fees(), parent);
    if header.base_fee_per_gas != Some(base_fee) {
        return Err(InvalidBlock::BaseFee {
            expected: base_fee,
            got: header.base_fee_per_gas,
        });
    }
    let randao = prev_randao_of_child(parent);
    if header.mix_hash != randao {
        return Err(InvalidBlock::PrevRandao {
            expected: randao,
            got: header.mix_hash,
        });
    }
    if header.extra_data.len() > MAX_EXTRA_DATA_SIZE {
        return Err(InvalidBlock::ExtraData {
            len: header.extra_data.len(),
        });
    }
    check_fixed_fields(header)
}

fn check_fixed_fields(header: &Header) -> Result<(), InvalidBlock> {
    let fixed = prague_header();
    let checks = [
        (
            header.ommers_hash == fixed.ommers_hash,
            FixedField::OmmersHash,
        ),
        (
            header.difficulty == fixed.difficulty,
            FixedField::Difficulty,
        ),
        (header.nonce == fixed.nonce, FixedField::Nonce),
        (
            header.withdrawals_root == fixed.withdrawals_root,
            FixedField::WithdrawalsRoot,
        ),
        (
            header.blob_gas_used == fixed.blob_gas_used,
            FixedField::BlobGasUsed,
        ),
        (
            header.excess_blob_gas == fixed.excess_blob_gas,
            FixedField::ExcessBlobGas,
        ),
        (
            header.parent_beacon_block_root == fixed.parent_beacon_block_root,
            FixedField::ParentBeaconBlockRoot,
        ),
        (
            header.requests_hash == fixed.requests_hash,
            FixedField::RequestsHash,
        ),
    ];
    match checks.into_iter().find(|(ok, _)| !ok) {
        Some((_, field)) => Err(InvalidBlock::FixedField(field)),
        None => Ok(()),
    }
}

/// Decodes a block's transactions in order, recovering signers on every core. `known`
/// returns a transaction this node already holds with its signer recovered (from its
/// pool), by hash, so it is not recovered again.
fn decode_transactions(
    block: &Block,
    known: &(dyn Fn(&B256) -> Option<BlockTx> + Sync),
) -> Result<Vec<BlockTx>, InvalidBlock> {
    let decoded = crate::parallel::map(block.transactions.iter().collect(), |raw| {
        let hash = keccak256(raw);
        if let Some(tx) = known(&hash) {
            return (hash, Ok(tx));
        }
        let tx = BlockTx::decode(raw).and_then(|tx| {
            // Bytes after the envelope would be dropped by decoding: not canonical.
            if tx.hash() == hash {
                Ok(tx)
            } else {
                Err(DecodeTxError::Decode("bytes after the transaction".into()))
            }
        });
        (hash, tx)
    });
    decoded
        .into_iter()
        .enumerate()
        .map(|(index, (hash, tx))| {
            tx.map_err(|error| InvalidBlock::Undecodable {
                index,
                hash,
                error: Box::new(error),
            })
        })
        .collect()
}

/// Verifies `block`, a child of `parent` (hash `parent_hash`) over the parent's state
/// `state` and block hashes `hashes` (module docs). On success the block as executed
/// here, ready to commit; nothing is written either way.
pub fn verify_block<V: StateView, H: BlockHashes>(
    config: &EvmConfig,
    parent: &Header,
    parent_hash: B256,
    block: &Block,
    state: V,
    hashes: H,
    known: &(dyn Fn(&B256) -> Option<BlockTx> + Sync),
) -> Result<ExecutedBlock, VerifyError> {
    let header = &block.header;
    check_header(config, parent, parent_hash, header)?;
    let txs = decode_transactions(block, known)?;
    let mut exec = BlockExecutor::new(config, BlockAttributes::of_header(header), state, hashes)?;
    for (index, tx) in txs.into_iter().enumerate() {
        let hash = tx.hash();
        match exec.execute_any(tx) {
            Ok(_) => {}
            Err(ExecuteTxError::Exec(e)) if e.is_fatal() => return Err(e.into()),
            Err(error) => {
                let error = Box::new(error);
                return Err(InvalidBlock::Transaction { index, hash, error }.into());
            }
        }
    }
    let executed = exec.finish()?;
    compare(&executed.header, header)?;
    Ok(executed)
}

/// Compares the fields execution recomputed with the header's.
fn compare(computed: &Header, header: &Header) -> Result<(), InvalidBlock> {
    if computed.gas_used != header.gas_used {
        return Err(InvalidBlock::GasUsed {
            expected: computed.gas_used,
            got: header.gas_used,
        });
    }
    if computed.transactions_root != header.transactions_root {
        return Err(InvalidBlock::TransactionsRoot {
            expected: computed.transactions_root,
            got: header.transactions_root,
        });
    }
    if computed.receipts_root != header.receipts_root {
        return Err(InvalidBlock::ReceiptsRoot {
            expected: computed.receipts_root,
            got: header.receipts_root,
        });
    }
    if computed.logs_bloom != header.logs_bloom {
        return Err(InvalidBlock::LogsBloom {
            expected: Box::new(computed.logs_bloom),
            got: Box::new(header.logs_bloom),
        });
    }
    if computed.state_root != header.state_root {
        return Err(InvalidBlock::StateRoot {
            expected: computed.state_root,
            got: header.state_root,
        });
    }
    // Every other field was the header's own (attributes) or checked as fixed: the
    // hashes agree. Checked anyway, so that a field added later cannot slip through.
    debug_assert_eq!(computed.hash_slow(), header.hash_slow());
    Ok(())
}
