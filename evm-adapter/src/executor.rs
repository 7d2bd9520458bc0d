//! The block executor: runs Ethereum transactions on revm (Prague rules) and native
//! transactions over a [`BlockState`], runs the chain's system hooks, settles the block
//! and builds its Ethereum-shaped header.

use crate::{
    BlockAttributes, BlockHashes, BlockState, BlockTx, Bytom2Context, Bytom2Evm, DbError,
    EvmConfig, ExecError, ExecuteTxError, ExecutedBlock, PendingTx, RecoveredTx, TxError,
    TxSummary,
    attributes::prague_header,
    roots::{self, RootsWorker},
    settlement::{settle, settlement_id},
    system::{SystemCall, SystemSupply},
};
use alloy_consensus::{Header, Receipt, Transaction};
use alloy_primitives::{Address, Bytes, I256, U256};
use bytom2_utxo::native::{RecoveredNative, validate_against};
use bytom2_utxo::{AssetId, StateView};
use revm::{
    ExecuteEvm, InspectEvm, Inspector,
    context::result::EVMError,
    context_interface::{
        ContextTr,
        result::{ExecutionResult, ResultAndState},
    },
};

/// Sum of the deltas of `asset`.
fn net_delta<V: StateView, H: BlockHashes>(state: &BlockState<V, H>, asset: AssetId) -> I256 {
    state
        .deltas()
        .filter(|((_, a), _)| *a == asset)
        .fold(I256::ZERO, |acc, (_, d)| acc + d)
}

type BlockEvm<V, H> = Bytom2Evm<BlockState<V, H>>;

/// The context of an inspected transaction: the block's, over a borrowed block state.
pub type InspectedContext<'a, V, H> = Bytom2Context<&'a mut BlockState<V, H>>;

/// revm's failure to run `tx` as the executor's error.
fn revm_error(err: EVMError<DbError>, tx: &RecoveredTx, base_fee: u64) -> ExecuteTxError {
    match err {
        EVMError::Transaction(e) => TxError::from_revm(e, tx.sender, tx.max_fee(), base_fee).into(),
        EVMError::Database(e) => ExecError::State(e.0).into(),
        other => ExecError::Evm(other.to_string()).into(),
    }
}

/// Executes one block's transactions in order over a parent state.
#[allow(missing_debug_implementations)]
pub struct BlockExecutor<V: StateView, H: BlockHashes> {
    attrs: BlockAttributes,
    config: EvmConfig,
    evm: BlockEvm<V, H>,
    /// Transactions included so far (they are with the roots worker).
    included: usize,
    /// Room the roots worker reserves for the block's transactions.
    capacity: usize,
    roots: Option<RootsWorker>,
    cumulative_gas: u64,
    /// BTM the EVM burned (base fees, self-destruct to self).
    evm_burned: U256,
    /// Base fees of native transactions (burned).
    native_burned: U256,
    /// Priority fees of native transactions (credited to the beneficiary as a delta).
    native_tips: U256,
    /// BTM the system hooks minted and burned.
    system: SystemSupply,
}

// === impl BlockExecutor ===

impl<V: StateView, H: BlockHashes> BlockExecutor<V, H> {
    /// Starts a block with `attrs` over `parent_state` under the rules of `config`, and
    /// runs the chain's pre-block step.
    pub fn new(
        config: &EvmConfig,
        attrs: BlockAttributes,
        parent_state: V,
        hashes: H,
    ) -> Result<Self, ExecError> {
        let gas_limit = attrs.gas_limit;
        let evm = config.evm(
            BlockState::new(parent_state, hashes),
            config.block_env(&attrs),
            config.cfg_env(),
        );
        let mut this = Self {
            attrs,
            config: config.clone(),
            evm,
            included: 0,
            // Room for a block of plain transfers, so the lists are not copied as they grow.
            capacity: usize::try_from(gas_limit / 21_000)
                .unwrap_or(usize::MAX)
                .min(1 << 15),
            roots: None,
            cumulative_gas: 0,
            evm_burned: U256::ZERO,
            native_burned: U256::ZERO,
            native_tips: U256::ZERO,
            system: SystemSupply::default(),
        };
        let hooks = this.config.hooks().clone();
        this.run_system_step(|s| hooks.pre_block(s))?;
        Ok(this)
    }

    /// Runs a system step over the block state.
    fn run_system_step(
        &mut self,
        step: impl FnOnce(&mut dyn crate::SystemState) -> Result<(), ExecError>,
    ) -> Result<(), ExecError> {
        let mut call = SystemCall {
            attrs: &self.attrs,
            state: self.evm.ctx.db_mut(),
            supply: &mut self.system,
        };
        step(&mut call)
    }

    /// The rules the block runs under.
    pub fn config(&self) -> &EvmConfig {
        &self.config
    }

    /// The block being built.
    pub fn attributes(&self) -> &BlockAttributes {
        &self.attrs
    }

    /// Gas used so far.
    pub fn gas_used(&self) -> u64 {
        self.cumulative_gas
    }

    /// Number of transactions included so far.
    pub fn executed_count(&self) -> usize {
        self.included
    }

    /// The state as the next transaction would see it.
    pub fn state(&self) -> &BlockState<V, H> {
        self.evm.ctx.db_ref()
    }

    /// Mutable access to the block state (native transactions, system operations).
    pub fn state_mut(&mut self) -> &mut BlockState<V, H> {
        self.evm.ctx.db_mut()
    }

    /// Runs `tx`. On success it is part of the block (reverted or halted executions are
    /// included too: they pay for their gas and bump the nonce). An invalid transaction
    /// leaves the block as it was.
    pub fn execute(&mut self, tx: RecoveredTx) -> Result<TxSummary, ExecuteTxError> {
        self.check_gas_limit(&tx)?;
        let result = self
            .evm
            .transact(tx.to_tx_env())
            .map_err(|e| revm_error(e, &tx, self.attrs.base_fee))?;
        self.include_eth(tx, result)
    }

    /// Runs `tx` as [`Self::execute`] does, with `inspector` watching revm (tracing).
    /// Before the transaction's changes are committed, `inspect` gets the inspector,
    /// revm's result and the block state as it was before the transaction (a prestate
    /// tracer reads it); what it returns is returned with the summary. The EVM is the
    /// block's (same environment, precompiles and state), so the result is exactly what
    /// [`Self::execute`] would have produced; [`Self::execute`] itself is unchanged.
    pub fn execute_inspected<I, R>(
        &mut self,
        tx: RecoveredTx,
        inspector: I,
        inspect: impl FnOnce(I, &ResultAndState, &mut BlockState<V, H>) -> R,
    ) -> Result<(TxSummary, R), ExecuteTxError>
    where
        I: for<'a> Inspector<InspectedContext<'a, V, H>>,
    {
        self.check_gas_limit(&tx)?;
        let (result, inspector) = {
            let ctx = &mut self.evm.ctx;
            let mut evm = self.config.evm_with_inspector(
                &mut ctx.journaled_state.database,
                ctx.block.clone(),
                ctx.cfg.clone(),
                inspector,
            );
            (evm.inspect_tx(tx.to_tx_env()), evm.inspector)
        };
        let result = result.map_err(|e| revm_error(e, &tx, self.attrs.base_fee))?;
        let inspected = inspect(inspector, &result, self.evm.ctx.db_mut());
        Ok((self.include_eth(tx, result)?, inspected))
    }

    /// Refuses a transaction whose gas limit exceeds the block's or what is left of it.
    fn check_gas_limit(&self, tx: &RecoveredTx) -> Result<(), ExecuteTxError> {
        let gas_limit = tx.tx.gas_limit();
        if gas_limit > self.attrs.gas_limit {
            return Err(TxError::GasLimitExceeded.into());
        }
        let available = self.attrs.gas_limit - self.cumulative_gas;
        if gas_limit > available {
            return Err(ExecError::BlockFull {
                available,
                wanted: gas_limit,
            }
            .into());
        }
        Ok(())
    }

    /// Commits revm's result of the Ethereum transaction `tx` and adds it to the block.
    fn include_eth(
        &mut self,
        tx: RecoveredTx,
        result: ResultAndState,
    ) -> Result<TxSummary, ExecuteTxError> {
        let net = self
            .evm
            .ctx
            .db_mut()
            .commit_evm_state(result.state)
            .map_err(ExecError::State)?;
        let exec = result.result;
        let gas_used = exec.tx_gas_used();
        self.cumulative_gas += gas_used;
        // Value leaves BTM supply only by burning: the base fee, and what the EVM burns
        // itself (Prague: a contract created in this transaction self-destructing to its
        // own address). Anything else is a bug in the state mapping.
        let base_fee_burn = U256::from(gas_used) * U256::from(self.attrs.base_fee);
        if net.is_positive() || net.unsigned_abs() < base_fee_burn {
            return Err(ExecError::NotConserved {
                net: net.to_string(),
                burned: base_fee_burn,
            }
            .into());
        }
        self.evm_burned += net.unsigned_abs();
        let contract_address = match &exec {
            ExecutionResult::Success { .. } if tx.tx.kind().is_create() => exec.created_address(),
            _ => None,
        };
        let success = exec.is_success();
        let output = match &exec {
            ExecutionResult::Success { output, .. } => output.data().clone(),
            ExecutionResult::Revert { output, .. } => output.clone(),
            ExecutionResult::Halt { .. } => Bytes::new(),
        };
        let receipt = Receipt {
            status: success.into(),
            cumulative_gas_used: self.cumulative_gas,
            logs: exec.into_logs(),
        };
        let effective_gas_price = tx.effective_gas_price(self.attrs.base_fee);
        tracing::debug!(target: "evm::executor", hash = %tx.hash, gas_used, success, "executed transaction");
        let summary = TxSummary {
            hash: tx.hash,
            gas_used,
            success,
        };
        self.include(
            BlockTx::Eth(tx),
            receipt,
            (gas_used, effective_gas_price),
            contract_address,
            output,
            None,
        );
        Ok(summary)
    }

    /// Adds an executed transaction to the block (its receipt goes to the roots worker).
    fn include(
        &mut self,
        tx: BlockTx,
        receipt: Receipt,
        (gas_used, effective_gas_price): (u64, u128),
        contract_address: Option<Address>,
        output: Bytes,
        native_fee: Option<U256>,
    ) {
        let capacity = self.capacity;
        self.roots
            .get_or_insert_with(|| RootsWorker::spawn(capacity))
            .push(
                tx,
                receipt,
                PendingTx {
                    gas_used,
                    effective_gas_price,
                    contract_address,
                    output,
                    native_fee,
                },
            );
        self.included += 1;
    }

    /// Runs a transaction of either kind.
    pub fn execute_any(&mut self, tx: BlockTx) -> Result<TxSummary, ExecuteTxError> {
        match tx {
            BlockTx::Eth(t) => self.execute(t),
            BlockTx::Native(t) => self.execute_native(t),
        }
    }

    /// Runs a native transaction: checks every rule against the block's state (inputs
    /// unspent now, owners' pending negative deltas still covered), spends and creates
    /// its outputs, burns the base fee of its native gas and credits the rest of the fee
    /// to the beneficiary. An invalid transaction leaves the block as it was.
    pub fn execute_native(&mut self, tx: RecoveredNative) -> Result<TxSummary, ExecuteTxError> {
        let base_fee = self.attrs.base_fee;
        let state = self.evm.ctx.db_mut();
        let v = validate_against(
            &state.cache,
            &tx,
            self.config.chain_id(),
            self.config.fees(),
            base_fee,
            self.config.native_limits(),
        )?;
        let available = self.attrs.gas_limit - self.cumulative_gas;
        if v.gas > available {
            return Err(ExecError::BlockFull {
                available,
                wanted: v.gas,
            }
            .into());
        }
        state.check_settlement_cover(&v.spent)?;
        let tx_index = u32::try_from(self.included)
            .map_err(|_| ExecError::Evm("too many transactions".into()))?;
        state
            .apply_native(&tx, &v, self.attrs.number, tx_index)
            .map_err(ExecError::State)?;
        let burn = U256::from(base_fee) * U256::from(v.gas);
        let tip = v.fee - burn;
        state.add_delta(self.attrs.beneficiary, AssetId::BTM, I256::from_raw(tip));
        self.native_burned += burn;
        self.native_tips += tip;
        self.cumulative_gas += v.gas;
        let receipt = Receipt {
            status: true.into(),
            cumulative_gas_used: self.cumulative_gas,
            logs: Vec::new(),
        };
        let price = u128::try_from(v.fee / U256::from(v.gas.max(1))).unwrap_or(u128::MAX);
        let summary = TxSummary {
            hash: tx.hash,
            gas_used: v.gas,
            success: true,
        };
        tracing::debug!(target: "evm::executor", hash = %tx.hash, gas_used = v.gas, "executed native transaction");
        self.include(
            BlockTx::Native(tx),
            receipt,
            (v.gas, price),
            None,
            Bytes::new(),
            Some(v.fee),
        );
        Ok(summary)
    }

    /// Runs the chain's post-block step, settles the block and builds its header.
    pub fn finish(mut self) -> Result<ExecutedBlock, ExecError> {
        let hooks = self.config.hooks().clone();
        self.run_system_step(|s| hooks.post_block(s))?;
        let Self {
            attrs,
            evm,
            roots,
            cumulative_gas,
            evm_burned,
            native_burned,
            native_tips,
            system,
            ..
        } = self;
        let burned = evm_burned + native_burned + system.burned;
        let mut state = evm.ctx.journaled_state.database;

        // BTM is conserved by the EVM except for what it burned; native transactions
        // add their priority fees to the beneficiary's delta; system steps mint rewards
        // and burn slashed stake.
        let net = net_delta(&state, AssetId::BTM);
        let expected = I256::from_raw(native_tips) - I256::from_raw(evm_burned)
            + I256::from_raw(system.minted)
            - I256::from_raw(system.burned);
        if net != expected {
            return Err(ExecError::NotConserved {
                net: net.to_string(),
                burned: evm_burned,
            });
        }
        // Other assets move in the EVM only by token transfers, and appear by issuance.
        let assets: std::collections::BTreeSet<AssetId> = state
            .deltas()
            .map(|((_, a), _)| a)
            .chain(state.evm_issued.keys().copied())
            .filter(|a| !a.is_btm())
            .collect();
        for asset in assets {
            let net = net_delta(&state, asset);
            let issued = state.evm_issued.get(&asset).copied().unwrap_or_default();
            if net != I256::from_raw(issued) {
                return Err(ExecError::AssetNotConserved {
                    asset,
                    net: net.to_string(),
                    issued,
                });
            }
        }

        let id = settlement_id(attrs.number, attrs.parent_hash);
        let deltas: Vec<_> = state.deltas().collect();
        let settlement = settle(&mut state.cache, deltas, id, attrs.number)?;
        if !burned.is_zero() || !system.minted.is_zero() {
            let mut supply = state.cache.supply(AssetId::BTM)?;
            supply.burned += burned;
            supply.rewards += system.minted;
            state.cache.set_supply(AssetId::BTM, supply)?;
        }

        let mut commitment = state.cache.base().commitment()?;
        let changes = state.cache.into_changes();

        // The tries were built while the transactions ran, and the roots thread may still
        // be adding the last ones: the commitment is computed meanwhile (on every core,
        // the roots thread's included) rather than after waiting for it.
        commitment.apply(&changes);
        let roots = roots.map_or_else(roots::empty, RootsWorker::finish);
        let roots::Roots {
            transactions_root,
            receipts_root,
            logs_bloom,
            transactions: executed,
        } = roots;
        let header = Header {
            parent_hash: attrs.parent_hash,
            beneficiary: attrs.beneficiary,
            state_root: commitment.root(),
            transactions_root,
            receipts_root,
            logs_bloom,
            number: attrs.number,
            gas_limit: attrs.gas_limit,
            gas_used: cumulative_gas,
            timestamp: attrs.timestamp,
            extra_data: attrs.extra_data.clone(),
            mix_hash: attrs.prev_randao,
            base_fee_per_gas: Some(attrs.base_fee),
            ..prague_header()
        };
        let hash = header.hash_slow();
        Ok(ExecutedBlock {
            header,
            hash,
            transactions: executed,
            changes,
            commitment,
            settlement,
            burned,
            minted: system.minted,
        })
    }
}
