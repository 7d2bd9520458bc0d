//! geth's built-in tracers (revm-inspectors' `DebugInspector`): choosing one from the
//! tracing options, with clear errors for unknown and JavaScript tracers, and building
//! its answer for a call or for one transaction of a replayed block.

use crate::{
    error::{RpcResult, internal, invalid_params, server_error},
    evm::{CallDb, CallEnv, CallError, inspect},
    replay::{Replay, Step},
    trace_budget::Bounded,
};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_trace::geth::{GethDebugTracerType, GethDebugTracingOptions, GethTrace};
use bytom2_evm_adapter::{BlockTx, RecoveredTx};
use revm::{Database, DatabaseRef, bytecode::Bytecode, state::AccountInfo};
use revm_inspectors::tracing::{DebugInspector, DebugInspectorError, TransactionContext};
use std::cell::RefCell;

/// The tracers bytom2 serves, as named in the `tracer` option.
const BUILT_IN: &str = "callTracer, prestateTracer, 4byteTracer, flatCallTracer, muxTracer, \
                        noopTracer and erc7562Tracer (or no tracer for the struct logger)";

/// The inspector for `opts`: the struct logger without a tracer, else the named
/// built-in tracer. Unknown names and JavaScript tracers are `-32602`.
pub(crate) fn debug_inspector(mut opts: GethDebugTracingOptions) -> RpcResult<DebugInspector> {
    // An empty name is the struct logger, as in geth.
    if opts.tracer.as_ref().is_some_and(|t| t.as_str().is_empty()) {
        opts.tracer = None;
    }
    let name = opts.tracer.as_ref().map(|t| t.as_str().to_owned());
    if let Some(GethDebugTracerType::JsTracer(code)) = &opts.tracer {
        let identifier = code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        return Err(invalid_params(if identifier {
            format!("unknown tracer {code:?}; the built-in tracers are {BUILT_IN}")
        } else {
            format!("JavaScript tracers are not supported; use a built-in tracer: {BUILT_IN}")
        }));
    }
    DebugInspector::new(opts).map_err(|e| match e {
        DebugInspectorError::InvalidTracerConfig => invalid_params(format!(
            "invalid tracerConfig for {}",
            name.as_deref().unwrap_or("the struct logger")
        )),
        DebugInspectorError::MuxInspector(e) => invalid_params(format!("muxTracer: {e}")),
        other => invalid_params(format!("{other}; the built-in tracers are {BUILT_IN}")),
    })
}

/// The error of tracing a native UTXO transaction.
pub(crate) fn native_not_traceable(hash: B256) -> String {
    format!(
        "transaction {hash} is a native UTXO transaction (type 0x62): it runs no EVM code, \
         so there is nothing to trace"
    )
}

/// Traces a call request with `inspector` over `db` (nothing is committed); the answer
/// stops at `max_bytes` ([`Bounded`]).
pub(crate) fn trace_call(
    db: &mut CallDb,
    env: &CallEnv,
    inspector: DebugInspector,
    max_bytes: usize,
) -> RpcResult<GethTrace> {
    let (result, inspector) = inspect(db, env, env.tx.clone(), Bounded::new(inspector, max_bytes));
    let result = result.map_err(|e| match e {
        CallError::Invalid(e) => server_error(e.to_string()),
        CallError::Internal(e) => internal(e),
    })?;
    inspector
        .finish()?
        .get_result(None, &env.tx, &env.block, &result, &mut RefDb::new(db))
        .map_err(internal)
}

/// Runs the next transaction of `replay`, an Ethereum one under `inspector`: its trace,
/// or `None` for a native transaction (applied, nothing to trace). The answer stops at
/// `budget` bytes ([`Bounded`]), and what it takes is taken off `budget`.
pub(crate) fn trace_next(
    replay: &mut Replay,
    inspector: DebugInspector,
    budget: &mut usize,
) -> RpcResult<Option<GethTrace>> {
    let tx = replay.next_tx();
    let tx_env = tx
        .and_then(BlockTx::as_eth)
        .map(RecoveredTx::to_tx_env)
        .unwrap_or_default();
    let context = TransactionContext {
        block_hash: Some(replay.block().hash),
        tx_index: Some(replay.position()),
        tx_hash: tx.map(BlockTx::hash),
    };
    let block_env = replay.block_env();
    let inspector = Bounded::new(inspector, *budget);
    let step = replay.trace_next(inspector, |inspector, result, state| {
        *budget = budget.saturating_sub(inspector.used());
        inspector
            .finish()?
            .get_result(
                Some(context),
                &tx_env,
                &block_env,
                result,
                &mut RefDb::new(state),
            )
            .map_err(internal)
    })?;
    match step {
        Step::Eth(trace) => trace.map(Some),
        Step::Native => Ok(None),
    }
}

/// revm's read-only database interface over a mutable one: the prestate tracer reads
/// the state before the transaction through `&self`.
pub(crate) struct RefDb<'a, D>(RefCell<&'a mut D>);

impl<'a, D> RefDb<'a, D> {
    /// Over `db`.
    pub(crate) fn new(db: &'a mut D) -> Self {
        Self(RefCell::new(db))
    }
}

impl<D: Database> DatabaseRef for RefDb<'_, D> {
    type Error = D::Error;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, D::Error> {
        self.0.borrow_mut().basic(address)
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, D::Error> {
        self.0.borrow_mut().code_by_hash(code_hash)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, D::Error> {
        self.0.borrow_mut().storage(address, index)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, D::Error> {
        self.0.borrow_mut().block_hash(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(json: serde_json::Value) -> GethDebugTracingOptions {
        serde_json::from_value(json).expect("options")
    }

    #[test]
    fn picks_built_in_tracers_and_refuses_others() {
        for ok in [
            serde_json::json!({}),
            serde_json::json!({"tracer": ""}),
            serde_json::json!({"disableStorage": true, "enableMemory": true}),
            serde_json::json!({"tracer": "callTracer", "tracerConfig": {"onlyTopCall": true}}),
            serde_json::json!({"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}),
            serde_json::json!({"tracer": "4byteTracer"}),
        ] {
            assert!(debug_inspector(opts(ok.clone())).is_ok(), "{ok}");
        }
        let unknown =
            debug_inspector(opts(serde_json::json!({"tracer": "fooTracer"}))).expect_err("unknown");
        assert_eq!(unknown.code(), -32602);
        assert!(
            unknown
                .message()
                .starts_with("unknown tracer \"fooTracer\"")
        );
        let js = debug_inspector(opts(
            serde_json::json!({"tracer": "{data: [], fault: function() {}, result: function() { return this.data; }}"}),
        ))
        .expect_err("js");
        assert_eq!(js.code(), -32602);
        assert!(
            js.message()
                .starts_with("JavaScript tracers are not supported")
        );
        let bad = debug_inspector(opts(
            serde_json::json!({"tracer": "callTracer", "tracerConfig": {"onlyTopCall": "yes"}}),
        ))
        .expect_err("bad config");
        assert_eq!(bad.message(), "invalid tracerConfig for callTracer");
    }
}
