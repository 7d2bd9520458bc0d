//! System hooks: value a pre-block or post-block step mints, burns or moves is settled
//! into outputs like any other delta and counted in the supply, so every balance stays
//! the sum of its outputs and every asset's supply the sum of all its outputs.

use crate::{common::*, invariants::check_ledger};
use alloy_primitives::{Address, U256, address};
use bytom2_evm_adapter::{
    BlockExecutor, BlockTx, EvmConfig, ExecError, RecoveredTx, SystemHooks, SystemState,
};
use bytom2_utxo::{AssetId, StateView, StateWriter};
use proptest::prelude::*;
use std::sync::Arc;

const SINK: Address = address!("0x0000000000000000000000000000000000005111");

/// One step of a hook.
#[derive(Debug, Clone, Copy)]
enum Step {
    Mint(u64),
    Burn { from: usize, amount: u64 },
    Transfer { from: usize, amount: u64 },
}

/// Runs `pre` before the block and `post` after it, over the dev accounts.
#[derive(Debug)]
struct Scripted {
    accounts: Vec<Address>,
    pre: Vec<Step>,
    post: Vec<Step>,
}

impl Scripted {
    fn run(&self, steps: &[Step], block: &mut dyn SystemState) -> Result<(), ExecError> {
        for step in steps {
            match *step {
                Step::Mint(amount) => block.mint_reward(SINK, U256::from(amount))?,
                Step::Burn { from, amount } => {
                    block.burn(self.accounts[from], U256::from(amount))?
                }
                Step::Transfer { from, amount } => {
                    block.transfer(self.accounts[from], SINK, AssetId::BTM, U256::from(amount))?
                }
            }
        }
        Ok(())
    }
}

impl SystemHooks for Scripted {
    fn pre_block(&self, block: &mut dyn SystemState) -> Result<(), ExecError> {
        self.run(&self.pre, block)
    }

    fn post_block(&self, block: &mut dyn SystemState) -> Result<(), ExecError> {
        self.run(&self.post, block)
    }
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (1..10_000_000u64).prop_map(Step::Mint),
        (0..3usize, 1..10_000_000u64).prop_map(|(from, amount)| Step::Burn { from, amount }),
        (0..3usize, 1..10_000_000u64).prop_map(|(from, amount)| Step::Transfer { from, amount }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn hooks_keep_the_ledger_consistent(
        pre in prop::collection::vec(step(), 0..5),
        post in prop::collection::vec(step(), 0..5),
        transfers in 0..4u64,
    ) {
        let mut chain = Chain::new(test_spec());
        let keys = signers();
        let accounts: Vec<Address> = keys.iter().map(|k| k.address()).collect();
        let supply_before = chain.state.supply(AssetId::BTM).unwrap();
        let minted: u64 = pre.iter().chain(&post).map(|s| match s { Step::Mint(a) => *a, _ => 0 }).sum();
        let hook_burned: u64 = pre.iter().chain(&post).map(|s| match s { Step::Burn { amount, .. } => *amount, _ => 0 }).sum();
        let config = EvmConfig::from_spec(&chain.spec)
            .with_hooks(Arc::new(Scripted { accounts: accounts.clone(), pre, post }));
        let attrs = chain.next_attrs(Address::repeat_byte(0xbe));
        let mut exec = BlockExecutor::new(&config, attrs, &chain.state, &chain.hashes).unwrap();
        for nonce in 0..transfers {
            let tx = sign(&keys[0], chain.spec.chain_id, &TxSpec {
                flavour: Flavour::Dynamic, nonce, to: Some(accounts[1]), value: U256::from(1000),
                input: Default::default(), gas: 21_000, max_fee: 10_000_000_000, tip: 1,
            });
            exec.execute_any(BlockTx::Eth(RecoveredTx::recover(tx).unwrap())).unwrap();
        }
        let block = exec.finish().unwrap();
        prop_assert_eq!(block.minted, U256::from(minted));
        chain.state.write_changes(block.changes.clone()).unwrap();
        check_ledger(&chain.state);
        let supply = chain.state.supply(AssetId::BTM).unwrap();
        prop_assert_eq!(supply.rewards - supply_before.rewards, U256::from(minted));
        let fee_burn = U256::from(block.header.gas_used) * U256::from(block.header.base_fee_per_gas.unwrap());
        prop_assert_eq!(supply.burned - supply_before.burned, fee_burn + U256::from(hook_burned));
        prop_assert_eq!(block.burned, fee_burn + U256::from(hook_burned));
    }
}

#[test]
fn a_hook_cannot_take_more_than_an_account_holds() {
    let chain = Chain::new(test_spec());
    let poor = Address::repeat_byte(0x42);
    assert_eq!(chain.balance(poor), U256::ZERO);
    for step in [
        Step::Burn { from: 0, amount: 1 },
        Step::Transfer { from: 0, amount: 1 },
    ] {
        let config = EvmConfig::from_spec(&chain.spec).with_hooks(Arc::new(Scripted {
            accounts: vec![poor],
            pre: Vec::new(),
            post: vec![step],
        }));
        let exec = BlockExecutor::new(
            &config,
            chain.next_attrs(Address::ZERO),
            &chain.state,
            &chain.hashes,
        )
        .unwrap();
        assert!(
            matches!(exec.finish(), Err(ExecError::System(_))),
            "{step:?}"
        );
    }
}
