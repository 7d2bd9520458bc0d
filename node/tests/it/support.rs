//! A deterministic chain workload shared by the tests.

use alloy_primitives::{Address, TxKind, U256};
use bytom2_chainspec::ChainSpec;
use bytom2_evm_adapter::testing::workload::{Call, Workload};
use bytom2_evm_adapter::{
    BlockAttributes, BlockExecutor, EvmConfig, ExecutedBlock, RecoveredTx, genesis_block,
};
use bytom2_node::Chain;
use bytom2_utxo::{AssetId, MemoryState, StateView, StateWriter};
use std::collections::BTreeMap;

pub(crate) const SENDERS: usize = 20;
pub(crate) const BENEFICIARY: Address = Address::repeat_byte(0xBE);

pub(crate) fn workload() -> Workload {
    Workload::new(ChainSpec::dev(), SENDERS)
}

/// The transactions of block `number`, given the state before it: an ERC-20 transfer
/// from every sender, plus a BTM transfer from every third sender.
pub(crate) fn block_txs(w: &Workload, state: &dyn StateView, number: u64) -> Vec<RecoveredTx> {
    let mut nonces: Vec<u64> = w
        .senders
        .iter()
        .map(|s| state.account(s.address()).unwrap().map_or(0, |a| a.nonce))
        .collect();
    let mut txs = w.transfers(&mut nonces, SENDERS, true, 100_000_000_000);
    for i in (number as usize % 3..SENDERS).step_by(3) {
        let to = Address::with_last_byte((number % 200) as u8);
        let nonce = nonces[i];
        nonces[i] += 1;
        let call = Call {
            to: TxKind::Call(to),
            value: U256::from(number * 1000 + i as u64),
            input: Default::default(),
            gas: 21_000,
            max_fee: 100_000_000_000,
        };
        txs.push(w.sign(i, nonce, call));
    }
    txs.into_iter()
        .map(|t| RecoveredTx::recover(t).unwrap())
        .collect()
}

/// Mines one block on a stored chain.
pub(crate) fn mine_stored(chain: &Chain, w: &Workload) -> ExecutedBlock {
    let head = chain.head();
    let number = head.header.number + 1;
    let state = chain.latest().unwrap();
    let txs = block_txs(w, &state, number);
    drop(state);
    let attrs = chain.next_attributes(number * 2, BENEFICIARY);
    let (block, rejected) = chain.execute_block(attrs, txs).unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    chain.commit(&block).unwrap();
    block
}

/// The same chain re-executed cleanly in memory.
pub(crate) struct Reference {
    pub(crate) spec: ChainSpec,
    pub(crate) state: MemoryState,
    pub(crate) headers: Vec<alloy_consensus::Header>,
    pub(crate) hashes: BTreeMap<u64, alloy_primitives::B256>,
}

impl Reference {
    pub(crate) fn new(w: &Workload) -> Self {
        let g = genesis_block(&w.spec).unwrap();
        let mut state = MemoryState::new();
        state.write_changes(g.changes).unwrap();
        let mut hashes = BTreeMap::new();
        hashes.insert(0, g.hash);
        Self {
            spec: w.spec.clone(),
            state,
            headers: vec![g.header],
            hashes,
        }
    }

    pub(crate) fn advance_to(&mut self, w: &Workload, number: u64) {
        while (self.headers.len() as u64) <= number {
            let parent = self.headers.last().unwrap().clone();
            let n = parent.number + 1;
            let attrs = BlockAttributes::child_of(
                &self.spec,
                &parent,
                self.hashes[&parent.number],
                n * 2,
                BENEFICIARY,
            );
            let txs = block_txs(w, &self.state, n);
            let config = EvmConfig::from_spec(&self.spec);
            let mut exec = BlockExecutor::new(&config, attrs, &self.state, &self.hashes).unwrap();
            for tx in txs {
                exec.execute(tx).unwrap();
            }
            let block = exec.finish().unwrap();
            self.state.write_changes(block.changes).unwrap();
            self.hashes.insert(n, block.hash);
            self.headers.push(block.header);
        }
    }

    pub(crate) fn balance(&self, a: Address) -> U256 {
        self.state.balance(a, AssetId::BTM).unwrap()
    }
}
