//! Fee suggestions: `eth_gasPrice`, `eth_maxPriorityFeePerGas` (geth's gas price
//! oracle) and `eth_feeHistory`.
//!
//! The suggested tip is geth's oracle: the three lowest effective tips (at least 2 wei,
//! not paid by the block's own fee recipient) of each of the last 20 blocks, and the 60th
//! percentile of all of them, capped at 500 gwei; 1 gwei when the recent blocks hold no
//! transactions. `eth_gasPrice` is that tip plus the next block's base fee.

use crate::{
    backend::BlockData,
    ctx::{EthCtx, parse_quantity},
    error::{RpcResult, server_error},
};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::U256;
use alloy_rpc_types_eth::FeeHistory;
use jsonrpsee::proc_macros::rpc;
use parking_lot::Mutex;

/// Blocks the tip oracle samples.
const ORACLE_BLOCKS: u64 = 20;
/// Tips sampled per block.
const ORACLE_SAMPLES_PER_BLOCK: usize = 3;
/// The percentile of the samples the oracle suggests.
const ORACLE_PERCENTILE: usize = 60;
/// Tips below this are ignored (geth's `IgnorePrice`).
const ORACLE_IGNORE_PRICE: u128 = 2;
/// The suggestion never exceeds 500 gwei.
const ORACLE_MAX_PRICE: u128 = 500_000_000_000;
/// The suggestion when there is nothing to sample: 1 gwei.
pub(crate) const DEFAULT_TIP: u128 = 1_000_000_000;
/// Blob base fee of every block (no blobs: excess blob gas is always zero).
const BLOB_BASE_FEE: u128 = 1;

/// Fee methods.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthFeesRpc {
    /// `eth_gasPrice`: next base fee plus the suggested tip.
    #[method(name = "gasPrice", blocking)]
    fn gas_price(&self) -> RpcResult<U256>;

    /// `eth_maxPriorityFeePerGas`: the suggested tip.
    #[method(name = "maxPriorityFeePerGas", blocking)]
    fn max_priority_fee_per_gas(&self) -> RpcResult<U256>;

    /// `eth_blobBaseFee`: always 1 wei (blob transactions are refused).
    #[method(name = "blobBaseFee")]
    fn blob_base_fee(&self) -> RpcResult<U256>;

    /// `eth_feeHistory`.
    #[method(name = "feeHistory", blocking)]
    fn fee_history(
        &self,
        block_count: serde_json::Value,
        newest: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory>;
}

/// Implementation of [`EthFeesRpcServer`].
#[derive(Debug)]
pub(crate) struct FeesApi {
    ctx: EthCtx,
    /// The last suggestion and the head it was computed at.
    cache: Mutex<Option<(u64, u128)>>,
}

impl FeesApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self {
            ctx,
            cache: Mutex::new(None),
        }
    }

    /// The oracle's tip at the current head.
    pub(crate) fn suggested_tip(&self) -> RpcResult<u128> {
        let head = self.ctx.backend.latest_number();
        if let Some((at, tip)) = *self.cache.lock()
            && at == head
        {
            return Ok(tip);
        }
        let mut samples = Vec::new();
        let first = head.saturating_sub(ORACLE_BLOCKS - 1);
        for n in first..=head {
            if let Some(block) = self.ctx.block(n)? {
                samples.extend(lowest_tips(&block));
            }
        }
        let tip = if samples.is_empty() {
            DEFAULT_TIP
        } else {
            samples.sort_unstable();
            samples[(samples.len() - 1) * ORACLE_PERCENTILE / 100].min(ORACLE_MAX_PRICE)
        };
        *self.cache.lock() = Some((head, tip));
        Ok(tip)
    }
}

/// The lowest effective tips of `block`, as geth's oracle samples them.
fn lowest_tips(block: &BlockData) -> Vec<u128> {
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    let mut tips: Vec<u128> = block
        .transactions
        .iter()
        .enumerate()
        .filter(|(_, t)| t.sender() != block.header.beneficiary)
        .map(|(i, _)| {
            crate::convert::effective_gas_price_at(block, i).saturating_sub(u128::from(base_fee))
        })
        .filter(|tip| *tip >= ORACLE_IGNORE_PRICE)
        .collect();
    tips.sort_unstable();
    tips.truncate(ORACLE_SAMPLES_PER_BLOCK);
    tips
}

/// The rewards of `block` at `percentiles`, weighted by gas used (geth's
/// `processBlock`).
fn block_rewards(block: &BlockData, percentiles: &[f64]) -> Vec<u128> {
    if block.transactions.is_empty() {
        return vec![0; percentiles.len()];
    }
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    let mut previous = 0u64;
    let mut sorted: Vec<(u128, u64)> = block
        .transactions
        .iter()
        .zip(&block.receipts)
        .enumerate()
        .map(|(i, (_, r))| {
            let used = r.cumulative_gas_used.saturating_sub(previous);
            previous = r.cumulative_gas_used;
            let tip = crate::convert::effective_gas_price_at(block, i)
                .saturating_sub(u128::from(base_fee));
            (tip, used)
        })
        .collect();
    sorted.sort_by_key(|(tip, _)| *tip);
    let mut index = 0;
    let mut sum = sorted[0].1;
    percentiles
        .iter()
        .map(|p| {
            let threshold = (block.header.gas_used as f64 * p / 100.0) as u64;
            while sum < threshold && index < sorted.len() - 1 {
                index += 1;
                sum += sorted[index].1;
            }
            sorted[index].0
        })
        .collect()
}

fn check_percentiles(percentiles: &[f64]) -> RpcResult<()> {
    for (i, p) in percentiles.iter().enumerate() {
        if !(0.0..=100.0).contains(p) {
            return Err(server_error(format!("invalid reward percentile: {p:.6}")));
        }
        if i > 0 && *p < percentiles[i - 1] {
            return Err(server_error(format!(
                "invalid reward percentile: #{}:{:.6} > #{}:{:.6}",
                i - 1,
                percentiles[i - 1],
                i,
                p
            )));
        }
    }
    Ok(())
}

impl EthFeesRpcServer for FeesApi {
    fn gas_price(&self) -> RpcResult<U256> {
        let tip = self.suggested_tip()?;
        let base = u128::from(self.ctx.backend.next_base_fee());
        Ok(U256::from(base.saturating_add(tip)))
    }

    fn max_priority_fee_per_gas(&self) -> RpcResult<U256> {
        Ok(U256::from(self.suggested_tip()?))
    }

    fn blob_base_fee(&self) -> RpcResult<U256> {
        Ok(U256::from(BLOB_BASE_FEE))
    }

    fn fee_history(
        &self,
        block_count: serde_json::Value,
        newest: BlockNumberOrTag,
        reward_percentiles: Option<Vec<f64>>,
    ) -> RpcResult<FeeHistory> {
        let count = parse_quantity(&block_count)?.min(self.ctx.config.max_fee_history_blocks);
        // An empty list asks for no rewards, as no list does.
        let reward_percentiles = reward_percentiles.filter(|p| !p.is_empty());
        if let Some(p) = &reward_percentiles {
            check_percentiles(p)?;
        }
        let head = self.ctx.backend.latest_number();
        let newest = self.ctx.tag_number(newest);
        if newest > head {
            return Err(server_error(format!(
                "request beyond head block: requested {newest}, head {head}"
            )));
        }
        if count == 0 {
            return Ok(FeeHistory::default());
        }
        let count = count.min(newest + 1);
        let oldest = newest + 1 - count;
        let mut history = FeeHistory {
            oldest_block: oldest,
            reward: reward_percentiles.as_ref().map(|_| Vec::new()),
            ..Default::default()
        };
        for n in oldest..=newest {
            let block = self.ctx.existing_block(n)?;
            let header = &block.header;
            history
                .base_fee_per_gas
                .push(u128::from(header.base_fee_per_gas.unwrap_or_default()));
            history.gas_used_ratio.push(if header.gas_limit == 0 {
                0.0
            } else {
                header.gas_used as f64 / header.gas_limit as f64
            });
            history.base_fee_per_blob_gas.push(BLOB_BASE_FEE);
            history.blob_gas_used_ratio.push(0.0);
            if let (Some(rewards), Some(p)) = (&mut history.reward, &reward_percentiles) {
                rewards.push(block_rewards(&block, p));
            }
        }
        let next = if newest == head {
            self.ctx.backend.next_base_fee()
        } else {
            self.ctx
                .existing_block(newest + 1)?
                .header
                .base_fee_per_gas
                .unwrap_or_default()
        };
        history.base_fee_per_gas.push(u128::from(next));
        history.base_fee_per_blob_gas.push(BLOB_BASE_FEE);
        Ok(history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Header, SignableTransaction, TxEip1559};
    use alloy_primitives::{Address, B256, Signature, TxKind, U256 as U};
    use bytom2_evm_adapter::RecoveredTx;
    use bytom2_utxo::StoredReceipt;

    fn tx(tip: u128) -> RecoveredTx {
        let tx = TxEip1559 {
            chain_id: 1,
            max_fee_per_gas: 100,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let signed = tx.into_signed(Signature::new(U::from(1), U::from(1), false));
        let tx: alloy_consensus::TxEnvelope = signed.into();
        let encoded = alloy_eips::eip2718::Encodable2718::encoded_2718(&tx).into();
        RecoveredTx::with_sender(tx, Address::repeat_byte(1), encoded)
    }

    /// Block with base fee 10 and transactions of `(tip, gas used)`.
    fn block(txs: &[(u128, u64)]) -> BlockData {
        let mut cumulative = 0;
        let receipts = txs
            .iter()
            .map(|(_, gas)| {
                cumulative += gas;
                StoredReceipt {
                    tx_type: 2,
                    success: true,
                    cumulative_gas_used: cumulative,
                    logs: Vec::new(),
                    native_fee: None,
                }
            })
            .collect();
        BlockData::new(
            Header {
                base_fee_per_gas: Some(10),
                gas_used: cumulative,
                gas_limit: 1_000_000,
                ..Default::default()
            },
            B256::ZERO,
            txs.iter().map(|(tip, _)| tx(*tip).into()).collect(),
            receipts,
        )
    }

    #[test]
    fn rewards_are_gas_weighted_percentiles() {
        // Tips 1 (gas 10), 5 (gas 80), 3 (gas 10): sorted 1, 3, 5 with gas 10, 10, 80.
        let b = block(&[(1, 10), (5, 80), (3, 10)]);
        assert_eq!(
            block_rewards(&b, &[0.0, 10.0, 15.0, 20.0, 50.0, 100.0]),
            vec![1, 1, 3, 3, 5, 5]
        );
        assert_eq!(block_rewards(&block(&[]), &[50.0]), vec![0]);
    }

    #[test]
    fn oracle_samples_lowest_tips() {
        let b = block(&[(1, 10), (9, 10), (4, 10), (7, 10), (2, 10)]);
        // Tips below 2 wei are ignored; three lowest of the rest.
        assert_eq!(lowest_tips(&b), vec![2, 4, 7]);
    }

    #[test]
    fn percentiles_must_rise_within_range() {
        assert!(check_percentiles(&[0.0, 50.0, 100.0]).is_ok());
        assert!(check_percentiles(&[50.0, 40.0]).is_err());
        assert!(check_percentiles(&[101.0]).is_err());
        assert!(check_percentiles(&[-1.0]).is_err());
    }
}
