//! Stored blocks, transactions and receipts as the JSON shapes of
//! `alloy-rpc-types-eth` (what alloy, viem, ethers and web3.py parse).

use crate::backend::BlockData;
use alloy_consensus::{
    Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction as _, transaction::Recovered,
};
use alloy_eips::eip4895::Withdrawals;
use alloy_primitives::{Bloom, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};
use bytom2_evm_adapter::RecoveredTx;

/// The header as JSON (`hash`, `size` and every consensus field).
pub(crate) fn rpc_header(block: &BlockData) -> Header {
    Header {
        hash: block.hash,
        inner: block.header.clone(),
        total_difficulty: None,
        size: Some(U256::from(block_size(block))),
    }
}

/// The block with transaction hashes or full transactions. Withdrawals are the empty
/// list the header's `withdrawalsRoot` commits to; there are no uncles.
pub(crate) fn rpc_block(block: &BlockData, full: bool) -> Block {
    let transactions = if full {
        BlockTransactions::Full(
            (0..block.transactions.len())
                .filter_map(|i| rpc_transaction(block, i))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.transactions.iter().map(|t| t.hash).collect())
    };
    Block {
        header: rpc_header(block),
        uncles: Vec::new(),
        transactions,
        withdrawals: block
            .header
            .withdrawals_root
            .map(|_| Withdrawals::new(Vec::new())),
    }
}

/// The RLP size of the block as Ethereum encodes it: `[header, txs, ommers, withdrawals]`.
fn block_size(block: &BlockData) -> usize {
    let list = |payload: usize| {
        alloy_rlp::Header {
            list: true,
            payload_length: payload,
        }
        .length_with_payload()
    };
    let txs: usize = block.transactions.iter().map(|t| t.tx.length()).sum();
    let mut payload = block.header.length() + list(txs) + list(0);
    if block.header.withdrawals_root.is_some() {
        payload += list(0);
    }
    list(payload)
}

/// Transaction `index` of `block`, with its block, position and effective gas price.
pub(crate) fn rpc_transaction(block: &BlockData, index: usize) -> Option<Transaction> {
    let tx = block.transactions.get(index)?;
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    Some(Transaction {
        inner: Recovered::new_unchecked(tx.tx.clone(), tx.sender),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        transaction_index: Some(index as u64),
        effective_gas_price: Some(tx.effective_gas_price(base_fee)),
        block_timestamp: Some(block.header.timestamp),
    })
}

/// A mempool transaction: no block; `gasPrice` of a dynamic-fee transaction is its fee cap,
/// as geth shows it.
pub(crate) fn pending_transaction(tx: &RecoveredTx) -> Transaction {
    Transaction {
        inner: Recovered::new_unchecked(tx.tx.clone(), tx.sender),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: Some(tx.max_fee()),
        block_timestamp: None,
    }
}

/// The logs of every transaction of `block`, with block-wide log indexes.
pub(crate) fn block_logs(block: &BlockData) -> Vec<Vec<Log>> {
    let mut log_index = 0u64;
    block
        .receipts
        .iter()
        .zip(&block.transactions)
        .enumerate()
        .map(|(i, (receipt, tx))| {
            receipt
                .logs
                .iter()
                .map(|log| {
                    let l = Log {
                        inner: log.clone(),
                        block_hash: Some(block.hash),
                        block_number: Some(block.header.number),
                        block_timestamp: Some(block.header.timestamp),
                        transaction_hash: Some(tx.hash),
                        transaction_index: Some(i as u64),
                        log_index: Some(log_index),
                        removed: false,
                    };
                    log_index += 1;
                    l
                })
                .collect()
        })
        .collect()
}

/// Every receipt of `block`.
pub(crate) fn rpc_receipts(block: &BlockData) -> Vec<TransactionReceipt> {
    let logs = block_logs(block);
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    let mut previous_cumulative = 0u64;
    block
        .transactions
        .iter()
        .zip(&block.receipts)
        .zip(logs)
        .enumerate()
        .map(|(i, ((tx, receipt), logs))| {
            let gas_used = receipt
                .cumulative_gas_used
                .saturating_sub(previous_cumulative);
            previous_cumulative = receipt.cumulative_gas_used;
            let mut bloom = Bloom::ZERO;
            bloom.accrue_logs(&receipt.logs);
            let contract_address = (receipt.success && tx.tx.kind().is_create())
                .then(|| tx.sender.create(tx.tx.nonce()));
            let inner = ReceiptEnvelope::from_typed(
                tx.tx.tx_type(),
                ReceiptWithBloom {
                    receipt: Receipt {
                        status: receipt.success.into(),
                        cumulative_gas_used: receipt.cumulative_gas_used,
                        logs,
                    },
                    logs_bloom: bloom,
                },
            );
            TransactionReceipt {
                inner,
                transaction_hash: tx.hash,
                transaction_index: Some(i as u64),
                block_hash: Some(block.hash),
                block_number: Some(block.header.number),
                gas_used,
                effective_gas_price: tx.effective_gas_price(base_fee),
                blob_gas_used: None,
                blob_gas_price: None,
                from: tx.sender,
                to: tx.tx.to(),
                contract_address,
            }
        })
        .collect()
}
