//! Test and benchmark helpers (feature `test-utils`).

use bytom2_chainspec::ChainSpec;
use revm::{
    bytecode::Bytecode,
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
