//! Shared helpers: the workspace's test helpers (keys, signing, contracts), the test
//! spec, a chain driver.

use alloy_consensus::{Header, TxEnvelope};
use alloy_primitives::{Address, B256, U256, map::HashMap};
use bytom2_chainspec::{ChainSpec, GenesisAccount};
use bytom2_evm_adapter::{
    BlockAttributes, BlockExecutor, BlockTx, EvmConfig, ExecuteTxError, ExecutedBlock, RecoveredTx,
    genesis_block,
};
use bytom2_utxo::{AssetId, MemoryState, StateView, StateWriter};

pub(crate) use bytom2_evm_adapter::testing::{
    contracts::{Contracts, hex, init_code, selfdestruct_init},
    tx::{Flavour, TxSpec, dev_signers as signers, sign},
};

/// The dev chain with the test contracts added to the genesis.
pub(crate) fn test_spec() -> ChainSpec {
    let mut spec = ChainSpec::dev();
    for (address, code) in Contracts::all() {
        spec.genesis.alloc.insert(
            address,
            GenesisAccount {
                balance: U256::from(1_000_000u64),
                nonce: 1,
                code: Some(code),
                ..Default::default()
            },
        );
    }
    spec
}

/// A chain in memory driven through our executor.
pub(crate) struct Chain {
    /// The spec.
    pub(crate) spec: ChainSpec,
    /// The state at the head.
    pub(crate) state: MemoryState,
    /// Head header.
    pub(crate) head: Header,
    /// Head hash.
    pub(crate) head_hash: B256,
    /// Hashes by number.
    pub(crate) hashes: HashMap<u64, B256>,
}

impl Chain {
    /// Starts at genesis.
    pub(crate) fn new(spec: ChainSpec) -> Self {
        let genesis = genesis_block(&spec).expect("genesis");
        let mut state = MemoryState::new();
        state.write_changes(genesis.changes).expect("genesis state");
        let mut hashes = HashMap::default();
        hashes.insert(0, genesis.hash);
        Self {
            spec,
            state,
            head: genesis.header,
            head_hash: genesis.hash,
            hashes,
        }
    }

    /// Attributes of the next block.
    pub(crate) fn next_attrs(&self, beneficiary: Address) -> BlockAttributes {
        BlockAttributes::child_of(
            &self.spec,
            &self.head,
            self.head_hash,
            self.head.timestamp + 2,
            beneficiary,
        )
    }

    /// Executes `txs` in a block; invalid ones are left out and their errors returned.
    pub(crate) fn mine(
        &mut self,
        attrs: BlockAttributes,
        txs: Vec<TxEnvelope>,
    ) -> (ExecutedBlock, Vec<Option<ExecuteTxError>>) {
        let txs = txs
            .into_iter()
            .map(|tx| {
                RecoveredTx::recover(tx)
                    .map(BlockTx::Eth)
                    .map_err(Into::into)
            })
            .collect();
        self.mine_recovered(attrs, txs)
    }

    /// Executes transactions of either kind in a block; invalid ones are left out.
    pub(crate) fn mine_any(
        &mut self,
        attrs: BlockAttributes,
        txs: Vec<BlockTx>,
    ) -> (ExecutedBlock, Vec<Option<ExecuteTxError>>) {
        self.mine_recovered(attrs, txs.into_iter().map(Ok).collect())
    }

    /// Executes the recovered transactions in a block, commits it, and returns each
    /// one's error (a recovery error stands in for a transaction that did not recover).
    fn mine_recovered(
        &mut self,
        attrs: BlockAttributes,
        txs: Vec<Result<BlockTx, ExecuteTxError>>,
    ) -> (ExecutedBlock, Vec<Option<ExecuteTxError>>) {
        let config = EvmConfig::from_spec(&self.spec);
        let mut exec = BlockExecutor::new(&config, attrs, &self.state, &self.hashes).unwrap();
        let errors = txs
            .into_iter()
            .map(|tx| tx.and_then(|tx| exec.execute_any(tx).map(|_| ())).err())
            .collect();
        let block = exec.finish().expect("finish block");
        self.state
            .write_changes(block.changes.clone())
            .expect("write block");
        self.head = block.header.clone();
        self.head_hash = block.hash;
        self.hashes.insert(block.header.number, block.hash);
        (block, errors)
    }

    /// BTM balance (sum of outputs).
    pub(crate) fn balance(&self, address: Address) -> U256 {
        self.state.balance(address, AssetId::BTM).expect("balance")
    }
}
