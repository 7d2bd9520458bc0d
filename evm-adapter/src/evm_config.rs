//! [`EvmConfig`]: built once from the chain spec, the only place that makes revm's
//! configuration and block environment, the EVM, and the precompile set. The executor,
//! `eth_call`, `eth_estimateGas`, tracing and replay all build their EVMs here.

use crate::{BlockAttributes, Bytom2Precompiles, NoHooks, SystemHooks, SystemPrecompile};
use bytom2_chainspec::{ChainSpec, FeeParams};
use bytom2_utxo::native::NativeLimits;
use revm::{
    Context, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv, Evm, TxEnv},
    context_interface::block::BlobExcessGasAndPrice,
    database_interface::Database,
    handler::{EthFrame, instructions::EthInstructions},
    interpreter::interpreter::EthInterpreter,
    primitives::{U256, hardfork::SpecId},
};
use std::sync::Arc;

/// The hard fork bytom2 executes under.
pub const SPEC_ID: SpecId = SpecId::PRAGUE;

/// revm's context over a database `DB`.
pub type Bytom2Context<DB> = Context<BlockEnv, TxEnv, CfgEnv, DB>;

/// The EVM bytom2 runs: mainnet handler and instructions, [`Bytom2Precompiles`], and an
/// inspector `I` (`()` when nothing watches).
pub type Bytom2Evm<DB, I = ()> = Evm<
    Bytom2Context<DB>,
    I,
    EthInstructions<EthInterpreter, Bytom2Context<DB>>,
    Bytom2Precompiles,
    EthFrame<EthInterpreter>,
>;

/// The execution rules of one chain (module docs). Cheap to clone.
#[derive(Debug, Clone)]
pub struct EvmConfig {
    chain_id: u64,
    spec_id: SpecId,
    fees: FeeParams,
    limits: NativeLimits,
    precompiles: Bytom2Precompiles,
    hooks: Arc<dyn SystemHooks>,
}

impl EvmConfig {
    /// The rules of `spec`: its chain id, Prague, its native-transaction gas schedule
    /// and dust limit, every [`SystemPrecompile`], no system hooks.
    pub fn from_spec(spec: &ChainSpec) -> Self {
        Self {
            chain_id: spec.chain_id,
            spec_id: SPEC_ID,
            fees: spec.params.fees.clone(),
            limits: NativeLimits {
                min_output_amount: spec.params.min_output_amount,
                ..NativeLimits::default()
            },
            precompiles: Bytom2Precompiles::new(SPEC_ID, SystemPrecompile::ALL),
            hooks: Arc::new(NoHooks),
        }
    }

    /// These rules with `hooks` as the pre-block and post-block steps.
    pub fn with_hooks(mut self, hooks: Arc<dyn SystemHooks>) -> Self {
        self.hooks = hooks;
        self
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The hard fork.
    pub fn spec_id(&self) -> SpecId {
        self.spec_id
    }

    /// The fee parameters (EIP-1559 and the native gas schedule).
    pub fn fees(&self) -> &FeeParams {
        &self.fees
    }

    /// The rules of native transactions.
    pub fn native_limits(&self) -> &NativeLimits {
        &self.limits
    }

    /// The system hooks.
    pub fn hooks(&self) -> &Arc<dyn SystemHooks> {
        &self.hooks
    }

    /// The precompile set.
    pub fn precompiles(&self) -> &Bytom2Precompiles {
        &self.precompiles
    }

    /// revm's configuration: the hard fork and the chain id.
    pub fn cfg_env(&self) -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(self.spec_id);
        cfg.chain_id = self.chain_id;
        cfg
    }

    /// revm's block environment of a block with `attrs`.
    pub fn block_env(&self, attrs: &BlockAttributes) -> BlockEnv {
        BlockEnv {
            number: U256::from(attrs.number),
            beneficiary: attrs.beneficiary,
            timestamp: U256::from(attrs.timestamp),
            gas_limit: attrs.gas_limit,
            basefee: attrs.base_fee,
            difficulty: U256::ZERO,
            prevrandao: Some(attrs.prev_randao),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice::new(0, 1)),
            slot_num: 0,
        }
    }

    /// An EVM over `db` in `block` with `cfg` (from [`Self::cfg_env`], possibly relaxed
    /// by a call: no base fee, no nonce check).
    pub fn evm<DB: Database>(&self, db: DB, block: BlockEnv, cfg: CfgEnv) -> Bytom2Evm<DB> {
        Context::mainnet()
            .with_db(db)
            .with_block(block)
            .with_cfg(cfg)
            .build_mainnet()
            .with_precompiles(self.precompiles.clone())
    }

    /// [`Self::evm`] with `inspector` watching.
    pub fn evm_with_inspector<DB: Database, I>(
        &self,
        db: DB,
        block: BlockEnv,
        cfg: CfgEnv,
        inspector: I,
    ) -> Bytom2Evm<DB, I> {
        Context::mainnet()
            .with_db(db)
            .with_block(block)
            .with_cfg(cfg)
            .build_mainnet_with_inspector(inspector)
            .with_precompiles(self.precompiles.clone())
    }
}
