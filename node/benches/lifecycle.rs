//! Proposing against verifying a block of 10,000 ERC-20 transfers from 1,000 senders
//! (issue #20: verifying may cost no more than proposing).
//!
//! - `propose`: the proposer's [`Node::propose`] from a pool holding the block's
//!   transactions (selection, execution, settlement, roots; nothing committed).
//! - `verify_known`: another node's [`Node::verify`] of that block with the transactions
//!   already in its pool (as after gossip): decoding, execution, settlement, roots and
//!   the header comparison.
//! - `verify_unknown`: the same with an empty pool: every signature is recovered too
//!   (on every core).
//!
//! Admission and the commits that advance both nodes are not timed.
//!
//! Run: `cargo bench -p bytom2-node --bench lifecycle`.

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes};
use bytom2_chainspec::ChainSpec;
use bytom2_eth_rpc::EthBackend;
use bytom2_evm_adapter::testing::workload::Workload;
use bytom2_node::{Chain, Node, NodeConfig};
use criterion::{Criterion, criterion_group, criterion_main};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

/// The binary's allocator, so that the figures are the node's (raw revm gets it too).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const SENDERS: usize = 1_000;
const TXS: usize = 10_000;
const BENEFICIARY: Address = Address::repeat_byte(0xBE);

/// What a sample times.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Propose,
    VerifyKnown,
    VerifyUnknown,
}

struct Pair {
    w: Workload,
    nonces: Vec<u64>,
    proposer: Arc<Node>,
    verifier: Arc<Node>,
    _dirs: [tempfile::TempDir; 2],
}

impl Pair {
    fn new() -> Self {
        let mut spec = ChainSpec::dev();
        spec.genesis.gas_limit = 1_000_000_000;
        let w = Workload::new(spec, SENDERS);
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let node = |dir: &tempfile::TempDir| {
            Node::new(
                Chain::open(dir.path(), w.spec.clone()).unwrap(),
                NodeConfig::default(),
            )
        };
        let (proposer, verifier) = (node(&dirs[0]), node(&dirs[1]));
        Self {
            nonces: vec![0; SENDERS],
            w,
            proposer,
            verifier,
            _dirs: dirs,
        }
    }

    /// One block: proposed, verified, finalized on both; the time of `part`.
    fn round(&mut self, part: Part) -> Duration {
        let raw: Vec<Bytes> = self
            .w
            .transfers(&mut self.nonces, TXS, true, 1_000_000_000_000)
            .iter()
            .map(|t| t.encoded_2718().into())
            .collect();
        for r in &raw {
            self.proposer.send_raw_transaction(r.clone()).unwrap();
            if part == Part::VerifyKnown {
                self.verifier.send_raw_transaction(r.clone()).unwrap();
            }
        }
        let head = self.proposer.chain().head();
        let attrs = self
            .proposer
            .chain()
            .next_attributes(head.header.timestamp + 1, BENEFICIARY);
        let start = Instant::now();
        let proposal = self.proposer.propose(attrs).unwrap();
        let proposed = start.elapsed();
        assert_eq!(proposal.block.transactions.len(), TXS);
        let block = proposal.block.to_block();
        let start = Instant::now();
        let verified = self.verifier.verify(&block).unwrap();
        let verify = start.elapsed();
        assert_eq!(verified.hash, proposal.block.hash);
        self.proposer
            .finalize(proposal.block, None, &proposal.rejected)
            .unwrap();
        self.verifier.finalize(verified, None, &[]).unwrap();
        match part {
            Part::Propose => proposed,
            Part::VerifyKnown | Part::VerifyUnknown => verify,
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("erc20_block_10k_lifecycle");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    for (name, part) in [
        ("propose", Part::Propose),
        ("verify_known", Part::VerifyKnown),
        ("verify_unknown", Part::VerifyUnknown),
    ] {
        let mut pair = Pair::new();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| pair.round(part)).sum())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
