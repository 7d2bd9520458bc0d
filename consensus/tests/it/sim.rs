//! Seeded simulations: validators on the deterministic runtime and simulated p2p, with
//! lossy and jittery links, crashes and restarts. After each run: no two nodes finalized
//! different blocks at a height (safety), the honest nodes reached the same head and
//! state root (agreement), the chain advanced while at most f were faulty (liveness), and
//! every stored certificate verifies against the committee.

use crate::mock_chain::MockChain;
use alloy_primitives::Address;
use bytom2_consensus::{
    BlockLimits, Committee, CommitteeProvider, FixedCommittee, Member, PrivateKey, PublicKey,
    applier::Applied,
    block::digest_of,
    engine::{Channels, Config, Timeouts, start_validator},
};
use commonware_consensus::types::Epoch;
use commonware_cryptography::{Signer as _, certificate::Provider as _};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_parallel::Sequential;
use commonware_runtime::{
    Clock, Handle, Quota, Runner as _, Spawner as _, Supervisor as _, deterministic,
};
use commonware_utils::{NZU32, NZU64, NZUsize, probability};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

const NAMESPACE: &[u8] = b"bytom2-sim";
const QUOTA: Quota = Quota::per_second(NZU32!(10_000));
const BLOCK_TIME: Duration = Duration::from_millis(500);

fn good_link() -> Link {
    Link {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(5),
        success_rate: probability!(1.0),
    }
}

fn lossy_link() -> Link {
    Link {
        latency: Duration::from_millis(60),
        jitter: Duration::from_millis(40),
        success_rate: probability!(0.85),
    }
}

struct Sim {
    keys: Vec<PrivateKey>,
    committee: Arc<Committee>,
    chains: Vec<Arc<MockChain>>,
    handles: Vec<Option<Handle<()>>>,
    oracle: Oracle<PublicKey, deterministic::Context>,
}

impl Sim {
    async fn new(ctx: &deterministic::Context, n: usize, link: Link) -> Self {
        let keys: Vec<PrivateKey> = (0..n as u64).map(PrivateKey::from_seed).collect();
        let publics: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
        let committee = Arc::new(
            Committee::new(publics.iter().enumerate().map(|(i, key)| Member {
                key: key.clone(),
                fee_recipient: Address::with_last_byte(i as u8 + 1),
            }))
            .unwrap(),
        );
        let (network, oracle) = Network::new_with_peers(
            ctx.child("network"),
            simulated::Config {
                max_size: 1024 * 1024,
                max_peers_per_set: NZUsize!(n),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(3),
            },
            publics.clone(),
        )
        .await;
        network.start();
        for a in &publics {
            for b in &publics {
                if a != b {
                    oracle
                        .add_link(a.clone(), b.clone(), link.clone())
                        .await
                        .unwrap();
                }
            }
        }
        Self {
            keys,
            committee,
            chains: (0..n).map(|_| Arc::new(MockChain::new())).collect(),
            handles: (0..n).map(|_| None).collect(),
            oracle,
        }
    }

    async fn start(&mut self, ctx: &deterministic::Context, i: usize) {
        let key = self.keys[i].clone();
        let public = key.public_key();
        let control = self.oracle.control(public.clone());
        let mut ch = Vec::new();
        for c in 0..5u64 {
            ch.push(control.register(c, QUOTA).await.unwrap());
        }
        let mut ch = ch.into_iter();
        let channels = Channels {
            votes: ch.next().unwrap(),
            certificates: ch.next().unwrap(),
            resolver: ch.next().unwrap(),
            broadcast: ch.next().unwrap(),
            backfill: ch.next().unwrap(),
        };
        self.chains[i].restart();
        let cfg = Config {
            chain: self.chains[i].clone(),
            provider: CommitteeProvider::new(
                NAMESPACE,
                Arc::new(FixedCommittee(self.committee.clone())),
                Some(key),
            ),
            public_key: public.clone(),
            blocker: control,
            peers: self.oracle.manager(),
            epoch_length: NZU64!(1_000_000),
            partition_prefix: format!("v{i}"),
            block_time: BLOCK_TIME,
            limits: BlockLimits::default(),
            timeouts: Timeouts::for_block_time(BLOCK_TIME),
            applied: Arc::new(Mutex::new(Applied::default())),
        };
        let handle =
            ctx.child("validator")
                .with_attribute("index", i)
                .spawn(move |ctx| async move {
                    let h = start_validator(ctx, cfg, channels).await;
                    let _ = h.await;
                });
        self.handles[i] = Some(handle);
    }

    fn crash(&mut self, i: usize) {
        if let Some(h) = self.handles[i].take() {
            h.abort();
        }
    }

    fn heads(&self, nodes: &[usize]) -> Vec<u64> {
        nodes
            .iter()
            .map(|&i| self.chains[i].finalized().len() as u64 - 1)
            .collect()
    }

    /// Waits (simulated time) until every node in `nodes` finalized `height`; false on
    /// timeout.
    async fn wait_for(
        &self,
        ctx: &deterministic::Context,
        nodes: &[usize],
        height: u64,
        timeout: Duration,
    ) -> bool {
        let deadline = ctx.current() + timeout;
        while ctx.current() < deadline {
            if self.heads(nodes).iter().all(|h| *h >= height) {
                return true;
            }
            ctx.sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Safety across all nodes, and that every stored certificate verifies.
    fn check_safety(&self) {
        let chains: Vec<_> = self.chains.iter().map(|c| c.finalized()).collect();
        let longest = chains.iter().map(Vec::len).max().unwrap();
        for h in 0..longest {
            let mut seen = None;
            for (i, c) in chains.iter().enumerate() {
                if let Some(entry) = c.get(h) {
                    match seen {
                        None => seen = Some((i, *entry)),
                        Some((j, e)) => assert_eq!(
                            e, *entry,
                            "nodes {j} and {i} finalized different blocks at height {h}"
                        ),
                    }
                }
            }
        }
        let verifier = CommitteeProvider::new(
            NAMESPACE,
            Arc::new(FixedCommittee(self.committee.clone())),
            None,
        );
        let scheme = verifier.scoped(Epoch::zero()).unwrap();
        let mut rng = rand_core_rng();
        for (i, c) in self.chains.iter().enumerate() {
            let blocks = c.finalized();
            for n in 1..blocks.len() as u64 {
                let f = c
                    .certificate(n)
                    .expect("every finalized block has a certificate");
                assert!(f.height >= n);
                if f.is_direct(n) {
                    assert_eq!(
                        f.finalization.proposal.payload,
                        digest_of(blocks[n as usize].0)
                    );
                } else {
                    let covered = blocks.get(f.height as usize).map(|b| digest_of(b.0));
                    if let Some(d) = covered {
                        assert_eq!(f.finalization.proposal.payload, d);
                    }
                }
                assert!(
                    f.finalization.verify(&mut rng, &scheme, &Sequential),
                    "node {i}: the certificate of block {n} does not verify"
                );
            }
        }
    }
}

fn rand_core_rng() -> impl rand_core::CryptoRng {
    commonware_utils::test_rng()
}

fn runner(seed: u64) -> deterministic::Runner {
    deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(3_600))),
    )
}

/// Runs `n` validators over `link` until all reach `target`; returns the final state.
fn run_all_online(seed: u64, n: usize, link: Link, target: u64) -> String {
    runner(seed).start(|ctx| async move {
        let mut sim = Sim::new(&ctx, n, link).await;
        for i in 0..n {
            sim.start(&ctx, i).await;
        }
        let all: Vec<_> = (0..n).collect();
        assert!(
            sim.wait_for(&ctx, &all, target, Duration::from_secs(600))
                .await,
            "seed {seed}: heads {:?} did not reach {target}",
            sim.heads(&all)
        );
        sim.check_safety();
        ctx.auditor().state()
    })
}

#[test]
fn four_validators_finalize_on_good_links() {
    for seed in 0..3 {
        run_all_online(seed, 4, good_link(), 20);
    }
}

#[test]
fn validators_finalize_over_lossy_jittery_links() {
    for seed in 0..3 {
        run_all_online(seed, 4, lossy_link(), 15);
    }
    for seed in 0..2 {
        run_all_online(100 + seed, 7, lossy_link(), 10);
    }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let a = run_all_online(42, 4, lossy_link(), 8);
    let b = run_all_online(42, 4, lossy_link(), 8);
    assert_eq!(a, b);
}

#[test]
fn f_crashed_validators_do_not_stop_the_chain() {
    // 1 of 4 and 2 of 7 never start.
    for (seed, n, down) in [(7u64, 4usize, 1usize), (8, 7, 2)] {
        runner(seed).start(|ctx| async move {
            let mut sim = Sim::new(&ctx, n, good_link()).await;
            for i in down..n {
                sim.start(&ctx, i).await;
            }
            let up: Vec<_> = (down..n).collect();
            assert!(
                sim.wait_for(&ctx, &up, 10, Duration::from_secs(600)).await,
                "heads {:?}",
                sim.heads(&up)
            );
            sim.check_safety();
        });
    }
}

#[test]
fn a_crashed_validator_restarts_and_catches_up() {
    for seed in 0..2 {
        runner(seed).start(|ctx| async move {
            let mut sim = Sim::new(&ctx, 4, lossy_link()).await;
            for i in 0..4 {
                sim.start(&ctx, i).await;
            }
            let all: Vec<_> = (0..4).collect();
            assert!(sim.wait_for(&ctx, &all, 5, Duration::from_secs(300)).await);
            sim.crash(3);
            let others = [0, 1, 2];
            let before = sim.heads(&[3])[0];
            assert!(
                sim.wait_for(&ctx, &others, before + 10, Duration::from_secs(300))
                    .await,
                "the others stalled: {:?}",
                sim.heads(&others)
            );
            sim.start(&ctx, 3).await;
            let target = sim.heads(&others).into_iter().max().unwrap() + 3;
            assert!(
                sim.wait_for(&ctx, &all, target, Duration::from_secs(600))
                    .await,
                "the restarted node did not catch up: {:?}",
                sim.heads(&all)
            );
            sim.check_safety();
        });
    }
}

#[test]
fn without_a_quorum_the_chain_halts_without_forking_and_resumes() {
    runner(5).start(|ctx| async move {
        let mut sim = Sim::new(&ctx, 4, good_link()).await;
        for i in 0..4 {
            sim.start(&ctx, i).await;
        }
        let all: Vec<_> = (0..4).collect();
        assert!(sim.wait_for(&ctx, &all, 5, Duration::from_secs(300)).await);
        sim.crash(2);
        sim.crash(3);
        ctx.sleep(Duration::from_secs(5)).await;
        let stalled = sim.heads(&[0, 1]).into_iter().max().unwrap();
        ctx.sleep(Duration::from_secs(30)).await;
        assert_eq!(
            sim.heads(&[0, 1]).into_iter().max().unwrap(),
            stalled,
            "two of four finalized without a quorum"
        );
        sim.check_safety();
        sim.start(&ctx, 2).await;
        assert!(
            sim.wait_for(&ctx, &[0, 1, 2], stalled + 5, Duration::from_secs(600))
                .await,
            "the chain did not resume: {:?}",
            sim.heads(&[0, 1, 2])
        );
        sim.check_safety();
    });
}
