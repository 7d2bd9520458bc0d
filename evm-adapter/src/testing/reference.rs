//! The plain-revm reference: an in-memory account database with a chain spec's genesis,
//! and a block run on raw revm (the other side of the differential tests and benches).

use bytom2_chainspec::ChainSpec;
use revm::{
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
    bytecode::Bytecode,
    context::{BlockEnv, TxEnv},
    database::{CacheDB, EmptyDB},
    primitives::KECCAK_EMPTY,
    state::AccountInfo,
};

/// Plain revm's in-memory account database holding `spec`'s genesis allocation: the
/// reference that differential tests and benchmarks run the same transactions on.
pub fn reference_db(spec: &ChainSpec) -> CacheDB<EmptyDB> {
    let mut db = CacheDB::new(EmptyDB::default());
    for (address, account) in &spec.genesis.alloc {
        let code = account
            .code
            .clone()
            .filter(|c| !c.is_empty())
            .map(Bytecode::new_raw);
        let code_hash = code.as_ref().map_or(KECCAK_EMPTY, |c| c.hash_slow());
        let info = AccountInfo {
            balance: account.balance,
            nonce: account.nonce,
            code_hash,
            account_id: None,
            code,
        };
        db.insert_account_info(*address, info);
        for (slot, value) in &account.storage {
            db.insert_account_storage(*address, (*slot).into(), (*value).into())
                .expect("the empty database never fails");
        }
    }
    db
}

/// Runs `txs` in order on plain revm over `db` in a block with environment `block`
/// (Prague rules, `chain_id`), committing each; panics unless every one succeeds. The
/// raw-revm side of the block benchmarks.
pub fn run_reference_block(
    db: &mut CacheDB<EmptyDB>,
    block: BlockEnv,
    chain_id: u64,
    txs: impl IntoIterator<Item = TxEnv>,
) {
    let mut evm = Context::mainnet()
        .with_db(db)
        .with_block(block)
        .with_cfg({
            let mut cfg = revm::context::CfgEnv::new_with_spec(crate::SPEC_ID);
            cfg.chain_id = chain_id;
            cfg
        })
        .build_mainnet();
    for tx in txs {
        let result = evm
            .transact_commit(tx)
            .expect("raw revm runs the transaction");
        assert!(result.is_success(), "raw revm: {result:?}");
    }
}
