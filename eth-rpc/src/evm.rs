//! Running a call request on revm over the archive state of a block: the environment
//! (geth's `CallDefaults`/`ToMessage` rules), state and block overrides, and the
//! mapping of revm's outcomes to geth's errors.

use crate::{
    backend::BoxedState,
    ctx::{BackendHashes, EthCtx},
    error::{RpcResult, server_error},
    overlay::OverlayDb,
};
use alloy_eips::BlockId;
use alloy_primitives::{Bytes, TxKind, U256};
use alloy_rpc_types_eth::{BlockOverrides, TransactionRequest, state::StateOverride};
use bytom2_evm_adapter::{BlockAttributes, BlockState, Bytom2Context, DbError, EvmConfig, TxError};
use revm::{
    ExecuteEvm, InspectEvm, Inspector,
    context::{BlockEnv, CfgEnv, TxEnv, either::Either, result::EVMError},
    context_interface::result::{ExecutionResult, HaltReason, OutOfGasError, ResultAndState},
    interpreter::{InstructionResult, Interpreter, interpreter::EthInterpreter},
};
use std::sync::Arc;

/// The database calls run on: the block's archive state with the request's overrides.
pub(crate) type CallDb = OverlayDb<BlockState<BoxedState, BackendHashes>>;

/// Everything a call needs besides the database.
#[derive(Debug, Clone)]
pub(crate) struct CallEnv {
    /// The chain's execution rules.
    pub(crate) evm: Arc<EvmConfig>,
    /// The block the call runs in (the header of the state's block, overridden).
    pub(crate) block: BlockEnv,
    /// Prague rules with the call relaxations (no nonce check, no block gas limit,
    /// no base-fee check when no fee is given, no EOA check).
    pub(crate) cfg: CfgEnv,
    /// The transaction.
    pub(crate) tx: TxEnv,
}

/// Builds the database and environment of a call request at `block` (default latest).
pub(crate) fn prepare(
    ctx: &EthCtx,
    request: &TransactionRequest,
    block: Option<BlockId>,
    state_overrides: Option<StateOverride>,
    block_overrides: Option<BlockOverrides>,
) -> RpcResult<(CallDb, CallEnv)> {
    // Without a block, or at `pending`, the call runs on the head state in the
    // environment of the next block (number, timestamp now, base fee), as anvil does:
    // an estimate then covers code that depends on `block.timestamp`.
    let next_block = matches!(
        block,
        None | Some(BlockId::Number(alloy_eips::BlockNumberOrTag::Pending))
    );
    let number = ctx.state_block(block)?;
    let header = ctx.existing_block(number)?.header.clone();
    let state = ctx.state_at(number)?;
    let mut db =
        OverlayDb::new(BlockState::new(state, ctx.hashes()).with_code_cache(ctx.code.clone()));
    if let Some(overrides) = state_overrides {
        db.apply_state_overrides(overrides)?;
    }
    let mut block_env = ctx.evm.block_env(&BlockAttributes::of_header(&header));
    if next_block {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        block_env.number = U256::from(header.number + 1);
        block_env.timestamp = U256::from(now.max(header.timestamp));
        block_env.basefee = ctx.backend.next_base_fee();
        block_env.gas_limit = ctx.backend.next_gas_limit();
        block_env.beneficiary = ctx.backend.next_beneficiary();
    }
    if let Some(o) = block_overrides {
        apply_block_overrides(&mut block_env, &mut db, o);
    }
    let (tx, zero_fees) = tx_env(ctx, request, block_env.basefee)?;
    let mut cfg = ctx.evm.cfg_env();
    cfg.disable_nonce_check = true;
    cfg.disable_block_gas_limit = true;
    cfg.disable_eip3607 = true;
    cfg.disable_base_fee = zero_fees;
    Ok((
        db,
        CallEnv {
            evm: ctx.evm.clone(),
            block: block_env,
            cfg,
            tx,
        },
    ))
}

fn apply_block_overrides(env: &mut BlockEnv, db: &mut CallDb, o: BlockOverrides) {
    if let Some(n) = o.number {
        env.number = n;
    }
    if let Some(t) = o.time {
        env.timestamp = U256::from(t);
    }
    if let Some(g) = o.gas_limit {
        env.gas_limit = g;
    }
    if let Some(c) = o.coinbase {
        env.beneficiary = c;
    }
    if let Some(r) = o.random {
        env.prevrandao = Some(r);
    }
    if let Some(b) = o.base_fee {
        env.basefee = b.saturating_to();
    }
    if let Some(d) = o.difficulty {
        env.difficulty = d;
    }
    if let Some(hashes) = o.block_hash {
        db.block_hashes.extend(hashes);
    }
}

/// The transaction of a call request; also whether it carries no fee at all (then the
/// base-fee check is off, as in geth).
fn tx_env(ctx: &EthCtx, req: &TransactionRequest, base_fee: u64) -> RpcResult<(TxEnv, bool)> {
    let cap = ctx.config.gas_cap;
    let gas = match (req.gas, cap) {
        (Some(g), 0) => g,
        (Some(g), cap) => g.min(cap),
        (None, 0) => u64::MAX / 2,
        (None, cap) => cap,
    };
    if req.gas_price.is_some()
        && (req.max_fee_per_gas.is_some() || req.max_priority_fee_per_gas.is_some())
    {
        return Err(server_error(
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
        ));
    }
    let dynamic = req.max_fee_per_gas.is_some() || req.max_priority_fee_per_gas.is_some();
    let (gas_price, priority) = if dynamic {
        let tip = req.max_priority_fee_per_gas.unwrap_or(0);
        let max_fee = req
            .max_fee_per_gas
            .unwrap_or_else(|| u128::from(base_fee).saturating_add(tip));
        (max_fee, Some(tip))
    } else {
        (req.gas_price.unwrap_or(0), None)
    };
    let zero_fees = gas_price == 0 && priority.unwrap_or(0) == 0;
    let data = req
        .input
        .clone()
        .try_into_unique_input()
        .map_err(|e| server_error(e.to_string()))?
        .unwrap_or_default();
    let tx_type = if req.authorization_list.is_some() {
        4
    } else if dynamic {
        2
    } else if req.access_list.is_some() {
        1
    } else {
        0
    };
    let mut tx = TxEnv {
        tx_type,
        caller: req.from.unwrap_or_default(),
        gas_limit: gas,
        gas_price,
        kind: req.to.unwrap_or(TxKind::Create),
        value: req.value.unwrap_or_default(),
        data,
        nonce: req.nonce.unwrap_or_default(),
        chain_id: Some(req.chain_id.unwrap_or(ctx.chain_id)),
        access_list: req.access_list.clone().unwrap_or_default(),
        gas_priority_fee: priority,
        ..Default::default()
    };
    if let Some(auths) = &req.authorization_list {
        tx.authorization_list = auths.iter().cloned().map(Either::Left).collect();
    }
    Ok((tx, zero_fees))
}

/// How a call ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// It succeeded: output, gas used, gas refunded.
    Success {
        /// Return data.
        output: Bytes,
        /// Gas used (after refund).
        gas_used: u64,
        /// Gas refunded.
        refunded: u64,
    },
    /// It reverted with this data.
    Revert {
        /// Revert data.
        output: Bytes,
        /// Gas used.
        gas_used: u64,
    },
    /// It halted (out of gas, invalid opcode, …): geth's message.
    Halt {
        /// geth's text of the halt reason.
        message: String,
        /// Whether it ran out of gas.
        out_of_gas: bool,
        /// Gas used (all of it).
        gas_used: u64,
    },
}

/// A call that could not run: the transaction is invalid (geth's message) or the node
/// failed.
#[derive(Debug)]
pub(crate) enum CallError {
    /// Invalid transaction (nonce, funds, fees, intrinsic gas …).
    Invalid(TxError),
    /// Internal failure.
    Internal(String),
}

/// Converts revm's result of one transaction.
pub(crate) fn outcome(
    result: Result<ExecutionResult, EVMError<DbError>>,
    tx: &TxEnv,
    base_fee: u64,
) -> Result<Outcome, CallError> {
    let result = result.map_err(|e| call_error(e, tx, base_fee))?;
    let gas_used = result.tx_gas_used();
    let refunded = result.gas().inner_refunded();
    Ok(match result {
        ExecutionResult::Success { output, .. } => Outcome::Success {
            output: output.into_data(),
            gas_used,
            refunded,
        },
        ExecutionResult::Revert { output, .. } => Outcome::Revert { output, gas_used },
        ExecutionResult::Halt { reason, .. } => Outcome::Halt {
            out_of_gas: matches!(reason, HaltReason::OutOfGas(_)),
            message: halt_message(&reason),
            gas_used,
        },
    })
}

/// revm's failure to run `tx` as a [`CallError`].
pub(crate) fn call_error(err: EVMError<DbError>, tx: &TxEnv, base_fee: u64) -> CallError {
    match err {
        EVMError::Transaction(e) => {
            CallError::Invalid(TxError::from_revm(e, tx.caller, tx.gas_price, base_fee))
        }
        EVMError::Database(e) => CallError::Internal(e.to_string()),
        other => CallError::Internal(other.to_string()),
    }
}

// === impl Outcome ===

impl Outcome {
    /// Gas the execution used.
    pub(crate) fn gas_used(&self) -> u64 {
        match self {
            Self::Success { gas_used, .. }
            | Self::Revert { gas_used, .. }
            | Self::Halt { gas_used, .. } => *gas_used,
        }
    }

    /// Whether it succeeded.
    pub(crate) fn is_success(&self) -> bool {
        matches!(self, Self::Success { .. })
    }

    /// geth's error text of a failed execution (`None` on success).
    pub(crate) fn error_message(&self) -> Option<String> {
        match self {
            Self::Success { .. } => None,
            Self::Revert { .. } => Some("execution reverted".to_string()),
            Self::Halt { message, .. } => Some(message.clone()),
        }
    }
}

/// Runs `tx` once on a fresh EVM over `db` (nothing is committed).
pub(crate) fn run(db: &mut CallDb, env: &CallEnv, tx: TxEnv) -> Result<Outcome, CallError> {
    let mut evm = env.evm.evm(db, env.block.clone(), env.cfg.clone());
    let result = evm.transact_one(tx.clone());
    outcome(result, &tx, env.block.basefee)
}

/// Runs `tx` like [`run`] while it executes at most `steps` opcodes (over every frame);
/// `None` once it reaches that many, its result dropped. An answer is the same as
/// [`run`]'s: counting opcodes does not change the execution.
pub(crate) fn run_bounded(
    db: &mut CallDb,
    env: &CallEnv,
    tx: TxEnv,
    steps: u64,
) -> Option<Result<Outcome, CallError>> {
    let (result, budget) = inspect(db, env, tx.clone(), StepBudget::new(steps));
    if budget.exceeded {
        return None;
    }
    Some(match result {
        Ok(done) => outcome(Ok(done.result), &tx, env.block.basefee),
        Err(e) => Err(e),
    })
}

/// Counts opcodes down from a budget; once it is spent, halts every frame at its next
/// opcode (a halted frame's caller goes on, so each is halted in turn).
#[derive(Debug)]
struct StepBudget {
    left: u64,
    exceeded: bool,
}

impl StepBudget {
    fn new(steps: u64) -> Self {
        Self {
            left: steps,
            exceeded: false,
        }
    }
}

impl<CTX> Inspector<CTX, EthInterpreter> for StepBudget {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        if self.left == 0 {
            self.exceeded = true;
            interp.halt(InstructionResult::OutOfGas);
        } else {
            self.left -= 1;
        }
    }
}

/// Runs `tx` once under `inspector` on a fresh EVM over `db` (nothing is committed):
/// revm's result with the state changes, and the inspector.
pub(crate) fn inspect<I>(
    db: &mut CallDb,
    env: &CallEnv,
    tx: TxEnv,
    inspector: I,
) -> (Result<ResultAndState, CallError>, I)
where
    I: for<'a> Inspector<Bytom2Context<&'a mut CallDb>>,
{
    let mut evm = env
        .evm
        .evm_with_inspector(db, env.block.clone(), env.cfg.clone(), inspector);
    let result = evm
        .inspect_tx(tx.clone())
        .map_err(|e| call_error(e, &tx, env.block.basefee));
    (result, evm.inspector)
}

/// geth's text of a halt (`core/vm/errors.go`).
fn halt_message(reason: &HaltReason) -> String {
    match reason {
        HaltReason::OutOfGas(OutOfGasError::InvalidOperand) => "invalid operand".into(),
        HaltReason::OutOfGas(_) => "out of gas".into(),
        HaltReason::OpcodeNotFound | HaltReason::NotActivated => "invalid opcode".into(),
        HaltReason::InvalidFEOpcode => "invalid opcode: INVALID".into(),
        HaltReason::InvalidJump => "invalid jump destination".into(),
        HaltReason::StackUnderflow => "stack underflow".into(),
        HaltReason::StackOverflow => "stack limit reached 1024".into(),
        HaltReason::OutOfOffset => "return data out of bounds".into(),
        HaltReason::CreateCollision => "contract address collision".into(),
        HaltReason::NonceOverflow => "nonce uint64 overflow".into(),
        HaltReason::CreateContractSizeLimit => "max code size exceeded".into(),
        HaltReason::CreateContractStartingWithEF => "invalid code: must not begin with 0xef".into(),
        HaltReason::CreateInitCodeSizeLimit => "max initcode size exceeded".into(),
        HaltReason::StateChangeDuringStaticCall | HaltReason::CallNotAllowedInsideStatic => {
            "write protection".into()
        }
        HaltReason::OutOfFunds => "insufficient balance for transfer".into(),
        HaltReason::CallTooDeep => "max call depth exceeded".into(),
        HaltReason::PrecompileErrorWithContext(msg) => msg.clone(),
        other => format!("{other:?}"),
    }
}
