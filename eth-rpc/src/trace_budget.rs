//! [`Bounded`]: a tracer wrapped so that its answer stops growing at a size limit while
//! it is being built ([`RpcConfig::max_trace_bytes`](crate::RpcConfig::max_trace_bytes)),
//! instead of being built whole and refused after.
//!
//! Each step the struct logger would record is charged the bytes it adds to the JSON
//! answer (an estimate from the step's stack, memory, return data and storage access, as
//! the tracing options enable them); each call frame and log, what it adds to a call
//! tracer's answer. Once the total passes the limit the wrapped tracer is not shown any
//! more steps (the transaction still runs to its end: a replay must match the block),
//! and the trace is an error.

use crate::error::{RpcResult, server_error};
use alloy_primitives::{Address, Log, U256};
use alloy_rpc_types_trace::geth::GethDefaultTracingOptions;
use revm::{
    Inspector,
    handler::FrameResult,
    interpreter::{
        CallInputs, CallOutcome, CreateInputs, CreateOutcome, FrameInput, Interpreter,
        interpreter_types::{Jumps, MemoryTr, ReturnData},
    },
};
use revm_inspectors::tracing::DebugInspector;

/// Bytes of a struct log without its stack, memory, return data and storage: `pc`,
/// `op`, `gas`, `gasCost`, `depth`, `refund` and the punctuation around them.
const STEP_BYTES: usize = 100;
/// Bytes of a call frame without its input, output and logs.
const FRAME_BYTES: usize = 250;
/// Bytes of one storage entry of a struct log (two 32-byte words as hex).
const SLOT_BYTES: usize = 140;

/// What the struct logger records per step (nothing for the other tracers).
#[derive(Debug, Clone, Copy, Default)]
struct StepCost {
    steps: bool,
    stack: bool,
    memory: bool,
    storage: bool,
    return_data: bool,
    /// geth's `limit`: at most this many steps are recorded (0: no limit).
    limit: u64,
}

impl StepCost {
    fn of(inspector: &DebugInspector) -> Self {
        match inspector {
            DebugInspector::Default(_, opts) => Self::struct_logger(opts),
            _ => Self::default(),
        }
    }

    fn struct_logger(opts: &GethDefaultTracingOptions) -> Self {
        Self {
            steps: true,
            stack: opts.disable_stack != Some(true),
            memory: opts.enable_memory == Some(true) || opts.disable_memory == Some(false),
            storage: opts.disable_storage != Some(true),
            return_data: opts.enable_return_data == Some(true),
            limit: opts.limit.unwrap_or(0),
        }
    }
}

/// A tracer whose answer is bounded while it is built.
#[derive(Debug)]
pub(crate) struct Bounded<I> {
    /// The wrapped tracer.
    pub(crate) inner: I,
    cost: StepCost,
    limit: usize,
    used: usize,
    steps: u64,
    over: bool,
}

impl Bounded<DebugInspector> {
    /// `inner` with an answer of at most `limit` bytes.
    pub(crate) fn new(inner: DebugInspector, limit: usize) -> Self {
        Self {
            cost: StepCost::of(&inner),
            inner,
            limit,
            used: 0,
            steps: 0,
            over: false,
        }
    }
}

impl<I> Bounded<I> {
    /// The wrapped tracer, or the error of an answer over the limit.
    pub(crate) fn finish(self) -> RpcResult<I> {
        if self.over {
            return Err(server_error(format!(
                "trace exceeds the size limit of {} bytes; trace less (disableStack, \
                 disableStorage, the struct logger's limit, or a call tracer)",
                self.limit
            )));
        }
        Ok(self.inner)
    }

    /// Bytes charged so far.
    pub(crate) fn used(&self) -> usize {
        self.used
    }

    fn charge(&mut self, bytes: usize) {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.limit {
            self.over = true;
        }
    }

    /// Whether the next step is shown to the wrapped tracer.
    fn records_steps(&self) -> bool {
        !self.over
    }

    fn step_bytes(&self, interp: &Interpreter) -> usize {
        let c = self.cost;
        let mut bytes = STEP_BYTES;
        if c.stack {
            // Each item as a minimal hex quantity in quotes, with a comma.
            bytes += interp
                .stack
                .data()
                .iter()
                .map(|v| 6 + (U256::BITS - v.leading_zeros()).div_ceil(4))
                .sum::<usize>();
        }
        if c.memory {
            // Each 32-byte word as 64 hex digits in quotes, with a comma.
            bytes += interp.memory.size() / 32 * 67;
        }
        if c.return_data {
            bytes += interp.return_data.buffer().len() * 2;
        }
        // SLOAD and SSTORE show the storage touched.
        if c.storage && matches!(interp.bytecode.opcode(), 0x54 | 0x55) {
            bytes += SLOT_BYTES;
        }
        bytes
    }
}

impl<CTX, I: Inspector<CTX>> Inspector<CTX> for Bounded<I> {
    fn initialize_interp(&mut self, interp: &mut Interpreter, context: &mut CTX) {
        self.inner.initialize_interp(interp, context);
    }

    fn step(&mut self, interp: &mut Interpreter, context: &mut CTX) {
        if self.records_steps() {
            self.inner.step(interp, context);
        }
    }

    fn step_end(&mut self, interp: &mut Interpreter, context: &mut CTX) {
        if !self.records_steps() {
            return;
        }
        self.inner.step_end(interp, context);
        if self.cost.steps && (self.cost.limit == 0 || self.steps < self.cost.limit) {
            self.steps += 1;
            let bytes = self.step_bytes(interp);
            self.charge(bytes);
        }
    }

    fn log(&mut self, context: &mut CTX, log: Log) {
        self.charge(FRAME_BYTES + log.data.data.len() * 2 + log.topics().len() * 70);
        self.inner.log(context, log);
    }

    fn log_full(&mut self, interp: &mut Interpreter, context: &mut CTX, log: Log) {
        self.charge(FRAME_BYTES + log.data.data.len() * 2 + log.topics().len() * 70);
        self.inner.log_full(interp, context, log);
    }

    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.charge(FRAME_BYTES + inputs.input.len() * 2);
        self.inner.call(context, inputs)
    }

    fn call_end(&mut self, context: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        self.charge(outcome.result.output.len() * 2);
        self.inner.call_end(context, inputs, outcome);
    }

    fn create(&mut self, context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        self.charge(FRAME_BYTES + inputs.init_code().len() * 2);
        self.inner.create(context, inputs)
    }

    fn create_end(
        &mut self,
        context: &mut CTX,
        inputs: &CreateInputs,
        outcome: &mut CreateOutcome,
    ) {
        self.charge(outcome.result.output.len() * 2);
        self.inner.create_end(context, inputs, outcome);
    }

    fn frame_start(
        &mut self,
        context: &mut CTX,
        frame_input: &mut FrameInput,
    ) -> Option<FrameResult> {
        self.inner.frame_start(context, frame_input)
    }

    fn frame_end(
        &mut self,
        context: &mut CTX,
        frame_input: &FrameInput,
        frame_result: &mut FrameResult,
    ) {
        self.inner.frame_end(context, frame_input, frame_result);
    }

    fn selfdestruct(&mut self, contract: Address, target: Address, value: U256) {
        self.charge(FRAME_BYTES);
        self.inner.selfdestruct(contract, target, value);
    }
}
