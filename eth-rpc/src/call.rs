//! `eth_call`, `eth_estimateGas` (geth's binary search) and `eth_createAccessList`
//! (geth's access-list tracer iterated to a fixed point; the sender, the recipient or
//! created address and the precompiles are left out; EIP-7702 authorities are not
//! treated specially).

use crate::{
    access_list::AccessListInspector,
    ctx::EthCtx,
    error::{RpcResult, internal, reverted, server_error},
    evm::{CallDb, CallEnv, CallError, Outcome, outcome, prepare, run, run_bounded},
};
use alloy_eips::{BlockId, eip2930::AccessListResult};
use alloy_primitives::{Address, Bytes, TxKind, U64, U256, map::HashSet};
use alloy_rpc_types_eth::{BlockOverrides, TransactionRequest, state::StateOverride};
use bytom2_evm_adapter::TxError;
use jsonrpsee::{proc_macros::rpc, types::ErrorObjectOwned};
use revm::{Database, InspectEvm};

/// Gas of a plain transfer.
const TX_GAS: u64 = 21_000;
/// Gas a call with value gives the callee on top (`params.CallStipend`).
const CALL_STIPEND: u64 = 2_300;
/// geth stops the search when the interval is within 1.5% of the upper bound.
const ESTIMATE_ERROR_RATIO: f64 = 0.015;
/// Bound on access-list iterations (geth iterates until stable; a list only grows, so
/// this is never reached in practice).
const MAX_ACCESS_LIST_ROUNDS: usize = 32;

/// `eth_call`, `eth_estimateGas`, `eth_createAccessList`.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthCallRpc {
    /// `eth_call` with optional state and block overrides.
    #[method(name = "call")]
    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
        block_overrides: Option<BlockOverrides>,
    ) -> RpcResult<Bytes>;

    /// `eth_estimateGas`.
    #[method(name = "estimateGas", blocking)]
    fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
    ) -> RpcResult<U64>;

    /// `eth_createAccessList`.
    #[method(name = "createAccessList", blocking)]
    fn create_access_list(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
    ) -> RpcResult<AccessListResult>;
}

/// Opcodes an `eth_call` may execute on the RPC worker that received it (a view call
/// such as an ERC-20 `balanceOf` runs a few hundred): handing every call to the blocking
/// pool cost more CPU in thread switches than the call itself (module docs of
/// docs/performance.md, "RPC path").
const INLINE_STEPS: u64 = 100_000;

/// One `eth_call`: `None` when `steps` is given and the call reaches that many opcodes
/// (its partial run is dropped; nothing is committed either way).
fn call_once(
    ctx: &EthCtx,
    request: &TransactionRequest,
    block: Option<BlockId>,
    state_overrides: Option<StateOverride>,
    block_overrides: Option<BlockOverrides>,
    steps: Option<u64>,
) -> Option<RpcResult<Bytes>> {
    let (mut db, env) = match prepare(ctx, request, block, state_overrides, block_overrides) {
        Ok(prepared) => prepared,
        Err(e) => return Some(Err(e)),
    };
    let gas = env.tx.gas_limit;
    let result = match steps {
        Some(steps) => run_bounded(&mut db, &env, env.tx.clone(), steps)?,
        None => run(&mut db, &env, env.tx.clone()),
    };
    Some(match result {
        Ok(Outcome::Success { output, .. }) => Ok(output),
        Ok(Outcome::Revert { output, .. }) => Err(revert_error(&output)),
        Ok(Outcome::Halt { message, .. }) => Err(server_error(message)),
        Err(CallError::Invalid(e)) => Err(server_error(format!("err: {e} (supplied gas {gas})"))),
        Err(CallError::Internal(e)) => Err(internal(e)),
    })
}

/// Implementation of [`EthCallRpcServer`].
#[derive(Debug)]
pub(crate) struct CallApi {
    ctx: EthCtx,
}

impl CallApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }
}

#[jsonrpsee::core::async_trait]
impl EthCallRpcServer for CallApi {
    async fn call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
        block_overrides: Option<BlockOverrides>,
    ) -> RpcResult<Bytes> {
        // Most calls are short: they run here, on the worker that read the request, as
        // long as they stay within INLINE_STEPS opcodes; a longer one starts again on
        // the blocking pool, where it does not hold up other connections.
        let inline = call_once(
            &self.ctx,
            &request,
            block,
            state_overrides.clone(),
            block_overrides.clone(),
            Some(INLINE_STEPS),
        );
        if let Some(answer) = inline {
            return answer;
        }
        let ctx = self.ctx.clone();
        tokio::task::spawn_blocking(move || {
            call_once(
                &ctx,
                &request,
                block,
                state_overrides,
                block_overrides,
                None,
            )
        })
        .await
        .map_err(internal)?
        .unwrap_or_else(|| Err(internal("eth_call stopped without an answer")))
    }

    fn estimate_gas(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        state_overrides: Option<StateOverride>,
    ) -> RpcResult<U64> {
        let (mut db, env) = prepare(&self.ctx, &request, block, state_overrides, None)?;
        estimate(&mut db, &env, request.gas, self.ctx.config.gas_cap).map(U64::from)
    }

    fn create_access_list(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
    ) -> RpcResult<AccessListResult> {
        let (mut db, env) = prepare(&self.ctx, &request, block, None, None)?;
        create_access_list(&mut db, &env, request.nonce)
    }
}

/// Code 3 with the data, or geth's plain "execution reverted" when there is no data.
fn revert_error(output: &Bytes) -> ErrorObjectOwned {
    if output.is_empty() {
        server_error("execution reverted")
    } else {
        reverted(output)
    }
}

/// One estimation run at `gas`: `Ok(None)` when the transaction fails at that limit
/// (intrinsic gas too low counts as failing, as in geth), `Ok(Some(outcome))` when it ran.
fn try_gas(db: &mut CallDb, env: &CallEnv, gas: u64) -> RpcResult<Option<Outcome>> {
    let mut tx = env.tx.clone();
    tx.gas_limit = gas;
    match run(db, env, tx) {
        Ok(o) => Ok(Some(o)),
        Err(CallError::Invalid(TxError::IntrinsicGasTooLow)) => Ok(None),
        Err(CallError::Invalid(e)) => Err(server_error(e.to_string())),
        Err(CallError::Internal(e)) => Err(internal(e)),
    }
}

/// geth's `gasestimator.Estimate`.
fn estimate(
    db: &mut CallDb,
    env: &CallEnv,
    requested: Option<u64>,
    gas_cap: u64,
) -> RpcResult<u64> {
    let mut hi = match requested {
        Some(g) if g >= TX_GAS => g,
        _ => env.block.gas_limit,
    };
    let fee_cap = env.tx.gas_price;
    if fee_cap != 0 {
        let balance = db.balance_of(env.tx.caller)?;
        if env.tx.value >= balance {
            return Err(server_error("insufficient funds for transfer"));
        }
        let allowance = (balance - env.tx.value) / U256::from(fee_cap);
        if allowance < U256::from(hi) {
            hi = allowance.to::<u64>();
        }
    }
    if gas_cap != 0 && hi > gas_cap {
        hi = gas_cap;
    }
    // A plain value transfer costs exactly 21000.
    if let TxKind::Call(to) = env.tx.kind
        && env.tx.data.is_empty()
        && !db.has_code(to)?
        && let Some(o) = try_gas(db, env, TX_GAS)?
        && o.is_success()
    {
        return Ok(TX_GAS);
    }
    let (used, refunded) = match try_gas(db, env, hi)? {
        Some(Outcome::Success {
            gas_used, refunded, ..
        }) => (gas_used, refunded),
        Some(Outcome::Revert { output, .. }) => return Err(revert_error(&output)),
        Some(Outcome::Halt {
            out_of_gas: false,
            message,
            ..
        }) => return Err(server_error(message)),
        Some(Outcome::Halt { .. }) | None => {
            return Err(server_error(format!(
                "gas required exceeds allowance ({hi})"
            )));
        }
    };
    let mut lo = used.saturating_sub(1);
    let optimistic = (used + refunded + CALL_STIPEND) * 64 / 63;
    if optimistic < hi {
        match try_gas(db, env, optimistic)? {
            Some(o) if o.is_success() => hi = optimistic,
            _ => lo = optimistic,
        }
    }
    while lo + 1 < hi {
        if ((hi - lo) as f64) / (hi as f64) < ESTIMATE_ERROR_RATIO {
            break;
        }
        let mid = ((hi + lo) / 2).min(lo.saturating_mul(2)).max(lo + 1);
        match try_gas(db, env, mid)? {
            Some(o) if o.is_success() => hi = mid,
            _ => lo = mid,
        }
    }
    Ok(hi)
}

/// geth's `CreateAccessList`: run with the list, add what the run touched, repeat until
/// the list stops changing.
fn create_access_list(
    db: &mut CallDb,
    env: &CallEnv,
    nonce: Option<u64>,
) -> RpcResult<AccessListResult> {
    let from = env.tx.caller;
    let to = match env.tx.kind {
        TxKind::Call(to) => to,
        TxKind::Create => {
            let nonce = match nonce {
                Some(n) => n,
                None => db.basic(from).map_err(internal)?.map_or(0, |a| a.nonce),
            };
            from.create(nonce)
        }
    };
    let mut excluded: HashSet<Address> = [from, to].into_iter().collect();
    excluded.extend(env.evm.precompiles().ethereum_addresses());
    let mut previous = AccessListInspector::new(&env.tx.access_list, excluded.clone());
    for _ in 0..MAX_ACCESS_LIST_ROUNDS {
        let list = previous.access_list();
        let mut tx = env.tx.clone();
        tx.access_list = list.clone();
        if tx.tx_type == 0 {
            tx.tx_type = 1;
        }
        let inspector = AccessListInspector::new(&list, excluded.clone());
        let mut evm =
            env.evm
                .evm_with_inspector(&mut *db, env.block.clone(), env.cfg.clone(), inspector);
        let result = evm.inspect_one_tx(tx.clone());
        let tracer = std::mem::take(&mut evm.inspector);
        drop(evm);
        let o = match outcome(result, &tx, env.block.basefee) {
            Ok(o) => o,
            Err(CallError::Invalid(e)) => {
                return Err(server_error(format!("failed to apply transaction: {e}")));
            }
            Err(CallError::Internal(e)) => return Err(internal(e)),
        };
        if tracer.access_list() == list {
            return Ok(AccessListResult {
                access_list: list,
                gas_used: U256::from(o.gas_used()),
                error: o.error_message(),
            });
        }
        previous = tracer;
    }
    Err(server_error("access list did not converge"))
}
