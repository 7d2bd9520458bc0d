//! Seeded simulations: validators on the deterministic runtime and simulated p2p, with
//! lossy and jittery links, crashes and restarts. After each run: no two nodes finalized
//! different blocks at a height (safety), the honest nodes reached the same head and
//! state root (agreement), the chain advanced while at most f were faulty (liveness), and
//! every stored certificate verifies against the committee.

use crate::mock_chain::MockChain;
use alloy_primitives::Address;
use bytom2_consensus::{
    BlockLimits, Committee, CommitteeProvider, CommitteeSource, FixedCommittee, Member, PrivateKey,
    PublicKey,
    applier::Applied,
    block::digest_of,
    engine::{Channels, Config, Timeouts, start},
};
use commonware_consensus::types::Epoch;
use commonware_cryptography::{Signer as _, certificate::Provider as _};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_parallel::Sequential;
use commonware_runtime::{
    Clock, Handle, Quota, Runner as _, Spawner as _, Supervisor as _, deterministic,
};
use commonware_utils::{NZU32, NZUsize, probability};
use std::{
    num::NonZeroU64,
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
    /// Times each node's data was wiped (a fresh storage prefix each time).
    wipes: Vec<usize>,
    /// Validators that sign conflicting votes.
    equivocators: Vec<usize>,
    source: Arc<dyn CommitteeSource>,
    epoch_length: u64,
    chains: Vec<Arc<MockChain>>,
    handles: Vec<Option<Handle<()>>>,
    oracle: Oracle<PublicKey, deterministic::Context>,
}

impl Sim {
    async fn new(ctx: &deterministic::Context, n: usize, link: Link) -> Self {
        let all: Vec<_> = (0..n).collect();
        let source = Arc::new(FixedCommittee(committee_of(&all)));
        Self::with_source(ctx, n, link, source, 1_000_000).await
    }

    /// `n` nodes whose committees come from `source`, epochs of `epoch_length` blocks.
    async fn with_source(
        ctx: &deterministic::Context,
        n: usize,
        link: Link,
        source: Arc<dyn CommitteeSource>,
        epoch_length: u64,
    ) -> Self {
        let keys: Vec<PrivateKey> = (0..n as u64).map(PrivateKey::from_seed).collect();
        let publics: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
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
            wipes: vec![0; n],
            equivocators: Vec::new(),
            source,
            epoch_length,
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
        for c in 0..6u64 {
            ch.push(control.register(c, QUOTA).await.unwrap());
        }
        let mut ch = ch.into_iter();
        let channels = Channels {
            votes: ch.next().unwrap(),
            certificates: ch.next().unwrap(),
            resolver: ch.next().unwrap(),
            broadcast: ch.next().unwrap(),
            backfill: ch.next().unwrap(),
            evidence: ch.next().unwrap(),
        };
        self.chains[i].restart();
        let cfg = Config {
            chain: self.chains[i].clone(),
            provider: CommitteeProvider::new(NAMESPACE, self.source.clone(), Some(key)),
            public_key: public.clone(),
            blocker: control,
            peers: self.oracle.manager(),
            epoch_length: NonZeroU64::new(self.epoch_length).unwrap(),
            partition_prefix: format!("v{i}-w{}", self.wipes[i]),
            block_time: BLOCK_TIME,
            limits: BlockLimits::default(),
            timeouts: Timeouts::for_block_time(BLOCK_TIME),
            applied: Arc::new(Mutex::new(Applied::default())),
            status: Default::default(),
            equivocate: self.equivocators.contains(&i),
        };
        let handle =
            ctx.child("validator")
                .with_attribute("index", i)
                .spawn(move |ctx| async move {
                    let h = start(ctx, cfg, channels).await;
                    let _ = h.await;
                });
        self.handles[i] = Some(handle);
    }

    fn crash(&mut self, i: usize) {
        if let Some(h) = self.handles[i].take() {
            h.abort();
        }
    }

    /// Deletes node `i`'s data (chain and consensus storage), as `rm -rf datadir`.
    fn wipe(&mut self, i: usize) {
        self.chains[i] = Arc::new(MockChain::new());
        self.wipes[i] += 1;
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
        let verifier = CommitteeProvider::new(NAMESPACE, self.source.clone(), None);
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
                let epoch = f.finalization.proposal.round.epoch();
                assert_eq!(
                    epoch.get(),
                    f.height / self.epoch_length,
                    "the certificate's epoch contains its block"
                );
                let scheme = verifier.scoped(epoch).unwrap();
                assert!(
                    f.finalization.verify(&mut rng, &scheme, &Sequential),
                    "node {i}: the certificate of block {n} does not verify"
                );
            }
        }
    }
}

/// The committee of validators `indexes` (validator i's key is seeded with i).
fn committee_of(indexes: &[usize]) -> Arc<Committee> {
    Arc::new(
        Committee::new(indexes.iter().map(|&i| Member {
            key: PrivateKey::from_seed(i as u64).public_key(),
            fee_recipient: Address::with_last_byte(i as u8 + 1),
        }))
        .unwrap(),
    )
}

/// Committee `before` until epoch `switch`, `after` from it on.
struct Rotating {
    before: Arc<Committee>,
    after: Arc<Committee>,
    switch: u64,
}

impl CommitteeSource for Rotating {
    fn committee(&self, epoch: Epoch) -> Option<Arc<Committee>> {
        Some(if epoch.get() < self.switch {
            self.before.clone()
        } else {
            self.after.clone()
        })
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
    for seed in 0..10 {
        run_all_online(seed, 4, lossy_link(), 15);
    }
    for seed in 0..5 {
        run_all_online(100 + seed, 7, lossy_link(), 10);
    }
}

/// Many more seeds: `cargo test -p bytom2-consensus --test it soak -- --ignored`.
#[test]
#[ignore = "soak: minutes"]
fn soak_many_seeds() {
    for seed in 1_000..1_100 {
        run_all_online(seed, 4, lossy_link(), 15);
        run_all_online(seed, 7, lossy_link(), 10);
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

#[test]
fn epochs_switch_engines_and_a_changed_committee_takes_over() {
    for seed in 0..2 {
        runner(seed).start(|ctx| async move {
            // Validators 0-3 vote in epochs 0 and 1; from epoch 2, 4 replaces 3. Node 4
            // follows the certificates until its first epoch, node 3 after its last.
            let source = Arc::new(Rotating {
                before: committee_of(&[0, 1, 2, 3]),
                after: committee_of(&[0, 1, 2, 4]),
                switch: 2,
            });
            let mut sim = Sim::with_source(&ctx, 5, good_link(), source, 10).await;
            for i in 0..5 {
                sim.start(&ctx, i).await;
            }
            let all: Vec<_> = (0..5).collect();
            assert!(
                sim.wait_for(&ctx, &all, 45, Duration::from_secs(900)).await,
                "seed {seed}: heads {:?}",
                sim.heads(&all)
            );
            sim.check_safety();
            // Blocks of epoch 2 onwards are paid to the new committee's leaders only.
            let chain = &sim.chains[0];
            for n in 20..=45u64 {
                let f = chain.certificate(n).unwrap();
                assert!(f.finalization.proposal.round.epoch().get() >= 2);
            }
        });
    }
}

#[test]
fn a_validator_keeps_up_across_epochs_after_a_restart() {
    runner(3).start(|ctx| async move {
        let all: Vec<_> = (0..4).collect();
        let source = Arc::new(FixedCommittee(committee_of(&all)));
        let mut sim = Sim::with_source(&ctx, 4, lossy_link(), source, 8).await;
        for i in 0..4 {
            sim.start(&ctx, i).await;
        }
        assert!(sim.wait_for(&ctx, &all, 4, Duration::from_secs(300)).await);
        sim.crash(1);
        assert!(
            sim.wait_for(&ctx, &[0, 2, 3], 30, Duration::from_secs(600))
                .await
        );
        sim.start(&ctx, 1).await;
        assert!(
            sim.wait_for(&ctx, &all, 40, Duration::from_secs(600)).await,
            "heads {:?}",
            sim.heads(&all)
        );
        sim.check_safety();
    });
}

#[test]
fn an_equivocating_validator_leaves_evidence_on_every_honest_node() {
    runner(11).start(|ctx| async move {
        let mut sim = Sim::new(&ctx, 4, good_link()).await;
        sim.equivocators = vec![0];
        for i in 0..4 {
            sim.start(&ctx, i).await;
        }
        // Honest nodes block the equivocator once they hold its two votes; the chain
        // goes on without it.
        let honest = [1, 2, 3];
        assert!(
            sim.wait_for(&ctx, &honest, 12, Duration::from_secs(300))
                .await,
            "heads {:?}, evidence {:?}",
            sim.heads(&honest),
            (0..4)
                .map(|i| sim.chains[i].evidence().len())
                .collect::<Vec<_>>()
        );
        // Let the last votes and the evidence gossip land.
        ctx.sleep(Duration::from_secs(2)).await;
        sim.check_safety();
        let equivocator = sim.keys[0].public_key();
        let verifier = CommitteeProvider::new(NAMESPACE, sim.source.clone(), None);
        for i in 1..4 {
            let evidence = sim.chains[i].evidence();
            assert!(!evidence.is_empty(), "honest node {i} kept no evidence");
            for e in evidence {
                assert_eq!(e.validator, equivocator, "only the equivocator is accused");
                let again = bytom2_consensus::evidence::Evidence::from_bytes(
                    &mut rand_core_rng(),
                    NAMESPACE,
                    &e.data,
                    |epoch| verifier.committee(Epoch::new(epoch)),
                )
                .expect("stored evidence verifies from its bytes");
                assert_eq!(again, e);
            }
        }
    });
}

#[test]
fn a_validator_whose_data_was_deleted_resyncs_from_genesis() {
    runner(21).start(|ctx| async move {
        let all: Vec<_> = (0..4).collect();
        let source = Arc::new(FixedCommittee(committee_of(&all)));
        let mut sim = Sim::with_source(&ctx, 4, good_link(), source, 10).await;
        for i in 0..4 {
            sim.start(&ctx, i).await;
        }
        assert!(sim.wait_for(&ctx, &all, 25, Duration::from_secs(300)).await);
        sim.crash(2);
        sim.wipe(2);
        sim.start(&ctx, 2).await;
        let target = sim.heads(&[0, 1, 3]).into_iter().max().unwrap() + 3;
        assert!(
            sim.wait_for(&ctx, &all, target, Duration::from_secs(600))
                .await,
            "heads {:?}",
            sim.heads(&all)
        );
        sim.check_safety();
    });
}

#[test]
fn garbage_on_every_channel_gets_the_sender_blocked_and_changes_nothing() {
    runner(31).start(|ctx| async move {
        // Five peers on the network, four in the committee: the fifth sends garbage.
        let committee: Vec<_> = (0..4).collect();
        let source = Arc::new(FixedCommittee(committee_of(&committee)));
        let mut sim = Sim::with_source(&ctx, 5, good_link(), source, 1_000_000).await;
        for i in 0..4 {
            sim.start(&ctx, i).await;
        }
        assert!(
            sim.wait_for(&ctx, &committee, 3, Duration::from_secs(120))
                .await
        );
        let attacker = sim.keys[4].public_key();
        let control = sim.oracle.control(attacker.clone());
        let mut senders = Vec::new();
        for c in 0..6u64 {
            senders.push(control.register(c, QUOTA).await.unwrap().0);
        }
        for round in 0..20u8 {
            for (c, sender) in senders.iter_mut().enumerate() {
                // Sub-channel 0 (epoch 0) first on the multiplexed simplex channels.
                let mut msg = if c < 3 { vec![0u8] } else { Vec::new() };
                msg.extend(std::iter::repeat_n(0xa5 ^ round, 64 + usize::from(round)));
                let _ = commonware_p2p::Sender::send(
                    sender,
                    commonware_p2p::Recipients::All,
                    msg,
                    false,
                );
            }
            ctx.sleep(Duration::from_millis(50)).await;
        }
        let before = sim.heads(&committee).into_iter().min().unwrap();
        assert!(
            sim.wait_for(&ctx, &committee, before + 5, Duration::from_secs(120))
                .await,
            "the chain stalled: {:?}",
            sim.heads(&committee)
        );
        sim.check_safety();
        let blocked = sim.oracle.blocked().await.unwrap();
        for (i, key) in sim.keys[..4].iter().enumerate() {
            let by = key.public_key();
            assert!(
                blocked
                    .iter()
                    .any(|(from, to)| *from == by && *to == attacker),
                "validator {i} did not block the sender of garbage: {blocked:?}"
            );
            assert!(
                !blocked
                    .iter()
                    .any(|(from, to)| *from == by && *to != attacker),
                "validator {i} blocked an honest peer: {blocked:?}"
            );
        }
    });
}

#[test]
fn a_leader_proposing_invalid_blocks_is_blocked_and_the_chain_goes_on() {
    runner(41).start(|ctx| async move {
        let mut sim = Sim::new(&ctx, 4, good_link()).await;
        for i in 0..4 {
            sim.start(&ctx, i).await;
        }
        let all: Vec<_> = (0..4).collect();
        assert!(sim.wait_for(&ctx, &all, 3, Duration::from_secs(120)).await);
        sim.chains[0].corrupt();
        let honest = [1, 2, 3];
        let before = sim.heads(&honest).into_iter().max().unwrap();
        assert!(
            sim.wait_for(&ctx, &honest, before + 12, Duration::from_secs(300))
                .await,
            "heads {:?}",
            sim.heads(&honest)
        );
        sim.check_safety();
        let bad = sim.keys[0].public_key();
        let blocked = sim.oracle.blocked().await.unwrap();
        for i in honest {
            let by = sim.keys[i].public_key();
            assert!(
                blocked.iter().any(|(from, to)| *from == by && *to == bad),
                "validator {i} did not block the leader of an invalid block: {blocked:?}"
            );
        }
        // No invalid block was finalized anywhere.
        for i in honest {
            for (n, (_, root)) in sim.chains[i].finalized().iter().enumerate().skip(1) {
                assert_ne!(
                    *root,
                    alloy_primitives::keccak256(b"not the state"),
                    "block {n}"
                );
            }
        }
    });
}
