//! Development methods with anvil's names and their `hardhat_`/`anvil_` aliases
//! (RPC-COMPAT.md tier 3), and `eth_sendTransaction` for keys the node holds.
//!
//! They are registered only when the backend is a development node
//! ([`EthBackend::dev`](crate::EthBackend::dev) returns `Some`); on any other node every
//! one of them is `-32601` "the method X does not exist/is not available", exactly like
//! an unknown method, whatever its parameters. Quantities are accepted as hex strings, decimal strings or JSON
//! numbers, as anvil accepts them.

use crate::{
    DevBackend,
    call::{CallApi, EthCallRpcServer},
    ctx::EthCtx,
    error::{RpcResult, internal, invalid_params, method_not_found, server_error},
    fees::FeesApi,
};
use alloy_consensus::TypedTransaction;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_rpc_types_eth::TransactionRequest;
use jsonrpsee::proc_macros::rpc;
use serde::{Deserialize, Deserializer, Serialize};

/// Most blocks one `evm_mine`, `hardhat_mine` or `anvil_mine` call mines (a larger count
/// is `-32602`). They are mined one after another before the call answers (as anvil
/// does; Hardhat's own node mines lazily), at about a thousand empty blocks a second, so
/// a call stays within minutes and a shutdown interrupts it between two blocks.
pub const MAX_MINE_BLOCKS: u64 = 100_000;

/// `-32602` for a block count of zero or over [`MAX_MINE_BLOCKS`].
fn check_mine_count(count: u64) -> RpcResult<u64> {
    if count == 0 {
        return Err(invalid_params("the number of blocks must be at least 1"));
    }
    if count > MAX_MINE_BLOCKS {
        return Err(invalid_params(format!(
            "cannot mine {count} blocks in one call: at most {MAX_MINE_BLOCKS}"
        )));
    }
    Ok(count)
}

/// A quantity given as a hex string, a decimal string or a JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quantity(pub(crate) u64);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = U256::deserialize(d)?;
        u64::try_from(v)
            .map(Self)
            .map_err(|_| serde::de::Error::custom(format!("{v} does not fit in 64 bits")))
    }
}

/// `evm_mine`'s parameter: a timestamp, or `{ timestamp, blocks }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum MineParams {
    /// The block's timestamp.
    Timestamp(Quantity),
    /// Options.
    Options {
        /// The first block's timestamp.
        timestamp: Option<Quantity>,
        /// How many blocks (default 1).
        blocks: Option<Quantity>,
    },
}

/// `anvil_nodeInfo`'s answer, in anvil's shape.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeInfo {
    current_block_number: alloy_primitives::U64,
    current_block_timestamp: u64,
    current_block_hash: B256,
    hard_fork: &'static str,
    transaction_order: &'static str,
    environment: NodeEnvironment,
    fork_config: ForkConfig,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeEnvironment {
    base_fee: U256,
    chain_id: u64,
    gas_limit: U256,
    gas_price: U256,
}

/// Always empty: a bytom2 node never forks another chain.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ForkConfig {
    fork_url: Option<String>,
    fork_block_number: Option<u64>,
    fork_retry_backoff: Option<u64>,
}

/// The development namespace (no common prefix: `evm_`, `anvil_`, `hardhat_`, and
/// `eth_sendTransaction`).
#[rpc(server)]
pub(crate) trait DevRpc {
    /// `evm_snapshot`.
    #[method(name = "evm_snapshot", aliases = ["anvil_snapshot"], blocking)]
    fn snapshot(&self) -> RpcResult<U256>;

    /// `evm_revert`.
    #[method(name = "evm_revert", aliases = ["anvil_revert"], blocking)]
    fn revert(&self, id: U256) -> RpcResult<bool>;

    /// `evm_mine`: one block (or `blocks`), optionally at a timestamp. Returns `"0x0"`.
    #[method(name = "evm_mine", blocking)]
    fn evm_mine(&self, params: Option<MineParams>) -> RpcResult<&'static str>;

    /// `hardhat_mine` / `anvil_mine`: `count` blocks (default 1), `interval` seconds
    /// apart (default 1).
    #[method(name = "hardhat_mine", aliases = ["anvil_mine"], blocking)]
    fn mine(&self, count: Option<Quantity>, interval: Option<Quantity>) -> RpcResult<()>;

    /// `evm_increaseTime`: returns the total offset in seconds.
    #[method(name = "evm_increaseTime", aliases = ["anvil_increaseTime"], blocking)]
    fn increase_time(&self, seconds: Quantity) -> RpcResult<i64>;

    /// `evm_setNextBlockTimestamp`.
    #[method(
        name = "evm_setNextBlockTimestamp",
        aliases = ["anvil_setNextBlockTimestamp"],
        blocking
    )]
    fn set_next_block_timestamp(&self, timestamp: Quantity) -> RpcResult<()>;

    /// `evm_setTime`: returns the offset to the wall clock.
    #[method(name = "evm_setTime", aliases = ["anvil_setTime"], blocking)]
    fn set_time(&self, timestamp: Quantity) -> RpcResult<i64>;

    /// `evm_setAutomine`.
    #[method(name = "evm_setAutomine", aliases = ["anvil_setAutomine"], blocking)]
    fn set_automine(&self, enabled: bool) -> RpcResult<()>;

    /// `hardhat_getAutomine` / `anvil_getAutomine`.
    #[method(name = "hardhat_getAutomine", aliases = ["anvil_getAutomine"], blocking)]
    fn get_automine(&self) -> RpcResult<bool>;

    /// `evm_setIntervalMining`: seconds between blocks, 0 to stop (anvil's unit).
    #[method(
        name = "evm_setIntervalMining",
        aliases = ["anvil_setIntervalMining"],
        blocking
    )]
    fn set_interval_mining(&self, seconds: Quantity) -> RpcResult<()>;

    /// `evm_setBlockGasLimit`.
    #[method(name = "evm_setBlockGasLimit", aliases = ["anvil_setBlockGasLimit"], blocking)]
    fn set_block_gas_limit(&self, gas_limit: Quantity) -> RpcResult<bool>;

    /// `anvil_setBalance`.
    #[method(name = "anvil_setBalance", aliases = ["hardhat_setBalance"], blocking)]
    fn set_balance(&self, address: Address, balance: U256) -> RpcResult<()>;

    /// `anvil_setCode`.
    #[method(name = "anvil_setCode", aliases = ["hardhat_setCode"], blocking)]
    fn set_code(&self, address: Address, code: Bytes) -> RpcResult<()>;

    /// `anvil_setNonce`.
    #[method(
        name = "anvil_setNonce",
        aliases = ["hardhat_setNonce", "evm_setAccountNonce"],
        blocking
    )]
    fn set_nonce(&self, address: Address, nonce: Quantity) -> RpcResult<()>;

    /// `anvil_setStorageAt`.
    #[method(name = "anvil_setStorageAt", aliases = ["hardhat_setStorageAt"], blocking)]
    fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> RpcResult<bool>;

    /// `anvil_impersonateAccount`.
    #[method(
        name = "anvil_impersonateAccount",
        aliases = ["hardhat_impersonateAccount"],
        blocking
    )]
    fn impersonate(&self, address: Address) -> RpcResult<()>;

    /// `anvil_stopImpersonatingAccount`.
    #[method(
        name = "anvil_stopImpersonatingAccount",
        aliases = ["hardhat_stopImpersonatingAccount"],
        blocking
    )]
    fn stop_impersonating(&self, address: Address) -> RpcResult<()>;

    /// `anvil_setCoinbase`.
    #[method(name = "anvil_setCoinbase", aliases = ["hardhat_setCoinbase"], blocking)]
    fn set_coinbase(&self, address: Address) -> RpcResult<()>;

    /// `anvil_setNextBlockBaseFeePerGas`.
    #[method(
        name = "anvil_setNextBlockBaseFeePerGas",
        aliases = ["hardhat_setNextBlockBaseFeePerGas"],
        blocking
    )]
    fn set_next_block_base_fee(&self, base_fee: Quantity) -> RpcResult<()>;

    /// `hardhat_setPrevRandao`: the next block's `prevRandao`.
    #[method(name = "hardhat_setPrevRandao", aliases = ["anvil_setPrevRandao"], blocking)]
    fn set_prev_randao(&self, randao: B256) -> RpcResult<()>;

    /// `anvil_dropTransaction`.
    #[method(name = "anvil_dropTransaction", aliases = ["hardhat_dropTransaction"], blocking)]
    fn drop_transaction(&self, hash: B256) -> RpcResult<Option<B256>>;

    /// `anvil_reset` (forking options are refused: a bytom2 node forks nothing).
    #[method(name = "anvil_reset", aliases = ["hardhat_reset"], blocking)]
    fn reset(&self, options: Option<serde_json::Value>) -> RpcResult<()>;

    /// `anvil_nodeInfo`.
    #[method(name = "anvil_nodeInfo", blocking)]
    fn node_info(&self) -> RpcResult<NodeInfo>;

    /// `eth_sendTransaction`: from a dev account or an impersonated one.
    #[method(name = "eth_sendTransaction", blocking)]
    fn send_transaction(&self, request: TransactionRequest) -> RpcResult<B256>;
}

/// Implementation of [`DevRpcServer`].
#[derive(Debug)]
pub(crate) struct DevApi {
    ctx: EthCtx,
    call: CallApi,
    fees: FeesApi,
}

impl DevApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self {
            call: CallApi::new(ctx.clone()),
            fees: FeesApi::new(ctx.clone()),
            ctx,
        }
    }

    /// The development backend, or `-32601` for `method` on other nodes.
    fn dev(&self, method: &str) -> RpcResult<std::sync::Arc<dyn DevBackend>> {
        self.ctx
            .backend
            .dev()
            .ok_or_else(|| method_not_found(method))
    }

    /// Fills what `eth_sendTransaction` leaves out, as geth and anvil do: the pending
    /// nonce, the chain id, the gas estimate, and fees (`2 * base fee + tip` and the
    /// oracle's tip, or the legacy `gasPrice` when one is given).
    fn fill(&self, mut request: TransactionRequest, from: Address) -> RpcResult<TypedTransaction> {
        let backend = &self.ctx.backend;
        request.from = Some(from);
        if request.nonce.is_none() {
            request.nonce = Some(backend.pending_nonce(from).map_err(internal)?);
        }
        request.chain_id.get_or_insert(self.ctx.chain_id);
        request.to.get_or_insert(TxKind::Create);
        if request.gas.is_none() {
            let gas = self.call.estimate_gas(request.clone(), None, None)?;
            request.gas = Some(gas.to());
        }
        let legacy = request.gas_price.is_some() && request.max_fee_per_gas.is_none();
        if !legacy {
            let base_fee = u128::from(backend.next_base_fee());
            let tip = match request.max_priority_fee_per_gas {
                Some(tip) => tip,
                None => self.fees.suggested_tip()?,
            };
            let max_fee = *request
                .max_fee_per_gas
                .get_or_insert(base_fee.saturating_mul(2).saturating_add(tip));
            request.max_priority_fee_per_gas = Some(tip.min(max_fee));
        }
        request
            .build_typed_tx()
            .map_err(|_| invalid_params("the transaction request is incomplete"))
    }
}

impl DevRpcServer for DevApi {
    fn snapshot(&self) -> RpcResult<U256> {
        Ok(self.dev("evm_snapshot")?.snapshot()?)
    }

    fn revert(&self, id: U256) -> RpcResult<bool> {
        Ok(self.dev("evm_revert")?.revert(id)?)
    }

    fn evm_mine(&self, params: Option<MineParams>) -> RpcResult<&'static str> {
        let dev = self.dev("evm_mine")?;
        let (timestamp, blocks) = match params {
            None => (None, 1),
            Some(MineParams::Timestamp(t)) => (Some(t.0), 1),
            Some(MineParams::Options { timestamp, blocks }) => {
                (timestamp.map(|t| t.0), blocks.map_or(1, |b| b.0))
            }
        };
        dev.mine(check_mine_count(blocks)?, None, timestamp)?;
        Ok("0x0")
    }

    fn mine(&self, count: Option<Quantity>, interval: Option<Quantity>) -> RpcResult<()> {
        let dev = self.dev("hardhat_mine")?;
        let count = check_mine_count(count.map_or(1, |c| c.0))?;
        Ok(dev.mine(count, Some(interval.map_or(1, |i| i.0)), None)?)
    }

    fn increase_time(&self, seconds: Quantity) -> RpcResult<i64> {
        Ok(self.dev("evm_increaseTime")?.increase_time(seconds.0)?)
    }

    fn set_next_block_timestamp(&self, timestamp: Quantity) -> RpcResult<()> {
        let dev = self.dev("evm_setNextBlockTimestamp")?;
        Ok(dev.set_next_block_timestamp(timestamp.0)?)
    }

    fn set_time(&self, timestamp: Quantity) -> RpcResult<i64> {
        Ok(self.dev("evm_setTime")?.set_time(timestamp.0)?)
    }

    fn set_automine(&self, enabled: bool) -> RpcResult<()> {
        self.dev("evm_setAutomine")?.set_automine(enabled);
        Ok(())
    }

    fn get_automine(&self) -> RpcResult<bool> {
        Ok(self.dev("hardhat_getAutomine")?.automine())
    }

    fn set_interval_mining(&self, seconds: Quantity) -> RpcResult<()> {
        self.dev("evm_setIntervalMining")?
            .set_interval_mining(seconds.0);
        Ok(())
    }

    fn set_block_gas_limit(&self, gas_limit: Quantity) -> RpcResult<bool> {
        self.dev("evm_setBlockGasLimit")?
            .set_block_gas_limit(gas_limit.0)?;
        Ok(true)
    }

    fn set_balance(&self, address: Address, balance: U256) -> RpcResult<()> {
        Ok(self
            .dev("anvil_setBalance")?
            .set_balance(address, balance)?)
    }

    fn set_code(&self, address: Address, code: Bytes) -> RpcResult<()> {
        Ok(self.dev("anvil_setCode")?.set_code(address, code)?)
    }

    fn set_nonce(&self, address: Address, nonce: Quantity) -> RpcResult<()> {
        Ok(self.dev("anvil_setNonce")?.set_nonce(address, nonce.0)?)
    }

    fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> RpcResult<bool> {
        self.dev("anvil_setStorageAt")?
            .set_storage_at(address, slot, value)?;
        Ok(true)
    }

    fn impersonate(&self, address: Address) -> RpcResult<()> {
        self.dev("anvil_impersonateAccount")?
            .impersonate(address, true);
        Ok(())
    }

    fn stop_impersonating(&self, address: Address) -> RpcResult<()> {
        self.dev("anvil_stopImpersonatingAccount")?
            .impersonate(address, false);
        Ok(())
    }

    fn set_coinbase(&self, address: Address) -> RpcResult<()> {
        self.dev("anvil_setCoinbase")?.set_coinbase(address);
        Ok(())
    }

    fn set_next_block_base_fee(&self, base_fee: Quantity) -> RpcResult<()> {
        let dev = self.dev("anvil_setNextBlockBaseFeePerGas")?;
        Ok(dev.set_next_block_base_fee(base_fee.0)?)
    }

    fn set_prev_randao(&self, randao: B256) -> RpcResult<()> {
        self.dev("hardhat_setPrevRandao")?
            .set_next_prev_randao(randao);
        Ok(())
    }

    fn drop_transaction(&self, hash: B256) -> RpcResult<Option<B256>> {
        Ok(self.dev("anvil_dropTransaction")?.drop_transaction(hash))
    }

    fn reset(&self, options: Option<serde_json::Value>) -> RpcResult<()> {
        let dev = self.dev("anvil_reset")?;
        let forking = options
            .as_ref()
            .and_then(|o| o.get("forking"))
            .is_some_and(|f| !f.is_null());
        if forking {
            return Err(invalid_params(
                "forking is not supported: a bytom2 node resets to its own genesis",
            ));
        }
        Ok(dev.reset()?)
    }

    fn node_info(&self) -> RpcResult<NodeInfo> {
        self.dev("anvil_nodeInfo")?;
        let backend = &self.ctx.backend;
        let number = backend.latest_number();
        let head = self
            .ctx
            .block(number)?
            .ok_or_else(|| internal("head block missing"))?;
        let base_fee = U256::from(backend.next_base_fee());
        Ok(NodeInfo {
            current_block_number: alloy_primitives::U64::from(number),
            current_block_timestamp: head.header.timestamp,
            current_block_hash: head.hash,
            hard_fork: "Prague",
            transaction_order: "fifo",
            environment: NodeEnvironment {
                base_fee,
                chain_id: self.ctx.chain_id,
                gas_limit: U256::from(backend.next_gas_limit()),
                gas_price: base_fee + U256::from(self.fees.suggested_tip()?),
            },
            fork_config: ForkConfig {
                fork_url: None,
                fork_block_number: None,
                fork_retry_backoff: None,
            },
        })
    }

    fn send_transaction(&self, request: TransactionRequest) -> RpcResult<B256> {
        let dev = self.dev("eth_sendTransaction")?;
        let from = request
            .from
            .ok_or_else(|| invalid_params("eth_sendTransaction needs a `from` address"))?;
        if !dev.can_send_from(from) {
            return Err(invalid_params(format!(
                "No Signer available: the node holds no key for {from} (impersonate it with anvil_impersonateAccount)"
            )));
        }
        let tx = self.fill(request, from)?;
        dev.send_transaction(from, tx)
            .map_err(|e| server_error(e.message))
    }
}
