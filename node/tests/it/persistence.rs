//! Commit, close, reopen: same head, root and balances; past states readable.

use crate::support::*;
use bytom2_chainspec::ChainSpec;
use bytom2_node::{Chain, NodeError};
use bytom2_utxo::{AssetId, StateView};

#[test]
fn reopen_keeps_head_state_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let w = workload();
    let chain = Chain::open(dir.path(), w.spec.clone()).unwrap();
    let mut balances_at = Vec::new();
    let watched = w.senders[0].address();
    balances_at.push(
        chain
            .latest()
            .unwrap()
            .balance(watched, AssetId::BTM)
            .unwrap(),
    );
    for _ in 0..5 {
        mine_stored(&chain, &w);
        balances_at.push(
            chain
                .latest()
                .unwrap()
                .balance(watched, AssetId::BTM)
                .unwrap(),
        );
    }
    let head = chain.head();
    let root = chain.latest().unwrap().commitment().unwrap().root();
    assert_eq!(root, head.header.state_root);
    drop(chain);

    let chain = Chain::open(dir.path(), w.spec.clone()).unwrap();
    assert_eq!(chain.head().hash, head.hash);
    assert_eq!(chain.latest().unwrap().commitment().unwrap().root(), root);
    for (n, expected) in balances_at.iter().enumerate() {
        let past = chain.db().state_at(n as u64).unwrap();
        assert_eq!(
            past.balance(watched, AssetId::BTM).unwrap(),
            *expected,
            "balance at block {n}"
        );
    }
    // Balances strictly fell: the sender paid gas in every block.
    assert!(balances_at.windows(2).all(|w| w[1] < w[0]));

    // The chain goes on from where it stopped and matches a clean re-execution.
    mine_stored(&chain, &w);
    let mut reference = Reference::new(&w);
    reference.advance_to(&w, 6);
    assert_eq!(chain.head().hash, reference.hashes[&6]);
    assert_eq!(
        chain
            .latest()
            .unwrap()
            .balance(watched, AssetId::BTM)
            .unwrap(),
        reference.balance(watched)
    );
}

#[test]
fn another_chain_in_the_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Chain::open(dir.path(), ChainSpec::dev()).unwrap());
    let err = Chain::open(dir.path(), workload().spec).unwrap_err();
    assert!(matches!(err, NodeError::SpecMismatch { .. }), "{err}");
    // Without the fingerprint file the genesis hashes are compared instead.
    std::fs::remove_file(dir.path().join(bytom2_node::SPEC_FINGERPRINT_FILE)).unwrap();
    let err = Chain::open(dir.path(), workload().spec).unwrap_err();
    assert!(matches!(err, NodeError::GenesisMismatch { .. }), "{err}");
    // And the right spec still opens, restoring the fingerprint.
    drop(Chain::open(dir.path(), ChainSpec::dev()).unwrap());
    assert!(dir.path().join(bytom2_node::SPEC_FINGERPRINT_FILE).exists());
}
