//! What execution produces: an included transaction with its receipt ([`ExecutedTx`]),
//! a settled block ready to commit ([`ExecutedBlock`]), and a block as it travels
//! between nodes ([`Block`]: header and encoded transactions).

use crate::BlockTx;
use alloy_consensus::{Header, Receipt, ReceiptWithBloom};
use alloy_primitives::{Address, B256, Bytes, U256};
use bytom2_utxo::{LtHash, Settlement, StateChanges, StoredReceipt};

/// A transaction that was included, with its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutedTx {
    /// The transaction.
    pub tx: BlockTx,
    /// Its EIP-2718 encoding (what the transactions root and the stored body hold).
    pub encoded: Bytes,
    /// Its receipt (status, cumulative gas, logs) with the bloom; its type is the
    /// transaction's.
    pub receipt: ReceiptWithBloom<Receipt>,
    /// Gas this transaction used.
    pub gas_used: u64,
    /// Price per gas the sender paid.
    pub effective_gas_price: u128,
    /// Address of the contract it created, if any.
    pub contract_address: Option<Address>,
    /// Return data, or revert data when it reverted.
    pub output: Bytes,
    /// The BTM fee of a native transaction (`None` for Ethereum transactions).
    pub native_fee: Option<U256>,
}

impl ExecutedTx {
    /// Whether it succeeded (receipt status 1).
    pub fn success(&self) -> bool {
        self.receipt.receipt.status.coerce_status()
    }

    /// The EIP-2718 type byte of the transaction and its receipt.
    pub fn tx_type(&self) -> u8 {
        self.tx.tx_type()
    }

    /// Its receipt as stored and served.
    pub fn stored_receipt(&self) -> StoredReceipt {
        StoredReceipt {
            tx_type: self.tx_type(),
            success: self.success(),
            cumulative_gas_used: self.receipt.receipt.cumulative_gas_used,
            logs: self.receipt.receipt.logs.clone(),
            native_fee: self.native_fee,
        }
    }

    /// The transaction and its receipt as stored and served, the logs moved out.
    pub fn into_tx_and_receipt(mut self) -> (BlockTx, StoredReceipt) {
        let logs = std::mem::take(&mut self.receipt.receipt.logs);
        let receipt = StoredReceipt {
            logs,
            ..self.stored_receipt()
        };
        (self.tx, receipt)
    }
}

/// What [`crate::BlockExecutor::execute`] reports of an included transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxSummary {
    /// Its hash.
    pub hash: B256,
    /// Gas it used.
    pub gas_used: u64,
    /// Whether it succeeded.
    pub success: bool,
}

/// What execution knows of an included transaction besides the transaction and its
/// receipt; the roots worker joins the three into an [`ExecutedTx`].
#[derive(Debug)]
pub(crate) struct PendingTx {
    pub(crate) gas_used: u64,
    pub(crate) effective_gas_price: u128,
    pub(crate) contract_address: Option<Address>,
    pub(crate) output: Bytes,
    pub(crate) native_fee: Option<U256>,
}

/// A block that has been executed and settled, ready to commit.
#[derive(Debug, Clone)]
pub struct ExecutedBlock {
    /// The header (its `state_root` is the commitment's root).
    pub header: Header,
    /// keccak256 of the RLP header.
    pub hash: B256,
    /// The transactions with their receipts, in order.
    pub transactions: Vec<ExecutedTx>,
    /// Everything the block changed in the state.
    pub changes: StateChanges,
    /// The state commitment after the block.
    pub commitment: LtHash,
    /// What settlement spent and created.
    pub settlement: Settlement,
    /// BTM burned: base fees, value the EVM burned (self-destruct to self) and what the
    /// system hooks burned (slashing).
    pub burned: U256,
    /// BTM the system hooks minted (staking rewards).
    pub minted: U256,
}

impl ExecutedBlock {
    /// The block as it travels: its header and its transactions' encodings.
    pub fn to_block(&self) -> Block {
        Block {
            header: self.header.clone(),
            transactions: self
                .transactions
                .iter()
                .map(|t| t.encoded.clone())
                .collect(),
        }
    }
}

/// A block as proposed to and verified by other nodes: the header and the EIP-2718
/// encodings of its transactions, in order. Everything else (receipts, state changes,
/// settlement) is recomputed by [`crate::verify_block`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The header.
    pub header: Header,
    /// The transactions, encoded.
    pub transactions: Vec<Bytes>,
}

impl Block {
    /// keccak256 of the RLP header.
    pub fn hash_slow(&self) -> B256 {
        self.header.hash_slow()
    }
}
