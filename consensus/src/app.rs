//! The application consensus drives (Commonware marshal's [`Application`], used through
//! the `Inline` wrapper, so a validator votes for a block only after [`Chain::verify`]
//! accepted it): the leader proposes a child of the parent the engine names, paced to
//! the target block time; every validator verifies the leader's block before voting.
//!
//! Both first make sure the parent is executable here: a validator that missed a
//! proposal, or restarted (held blocks live in memory), verifies the unfinalized
//! ancestors it lacks, oldest first.

use crate::{
    block::ConsensusBlock,
    chain::{Chain, ChainError},
    committee::{CommitteeProvider, PublicKey, Scheme},
};
use alloy_primitives::{Address, B256};
use commonware_consensus::{
    Application,
    marshal::ancestry::Ancestry,
    simplex::types::Context,
    types::{Epoch, Round},
};
use commonware_cryptography::{Digested, keccak256::Digest};
use commonware_p2p::Blocker;
use commonware_runtime::{Clock, Metrics, Spawner};
use futures::StreamExt;
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tracing::{debug, info, warn};

/// Unfinalized ancestors verified at most to reach a parent (beyond, the proposal waits
/// for the finalized chain to catch up through marshal).
pub const MAX_CATCH_UP: usize = 256;

/// A block timestamp further ahead of this node's clock than this waits until it is not.
pub const MAX_FUTURE_DRIFT: Duration = Duration::from_secs(2);

/// Local arrival times of recent blocks kept for pacing.
const SEEN_KEPT: usize = 1024;

/// The marshal application over a [`Chain`].
pub struct App<C: Chain, B> {
    chain: Arc<C>,
    provider: CommitteeProvider,
    blocker: B,
    block_time: Duration,
    /// When this node first held each recent block (local clock; pacing only, never
    /// consensus data).
    seen: Arc<Mutex<BTreeMap<B256, SystemTime>>>,
}

impl<C: Chain, B> std::fmt::Debug for App<C, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("block_time", &self.block_time)
            .finish_non_exhaustive()
    }
}

impl<C: Chain, B: Clone> Clone for App<C, B> {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            provider: self.provider.clone(),
            blocker: self.blocker.clone(),
            block_time: self.block_time,
            seen: self.seen.clone(),
        }
    }
}

impl<C: Chain, B> App<C, B> {
    /// An application proposing blocks about `block_time` apart.
    pub fn new(
        chain: Arc<C>,
        provider: CommitteeProvider,
        blocker: B,
        block_time: Duration,
    ) -> Self {
        Self {
            chain,
            provider,
            blocker,
            block_time,
            seen: Default::default(),
        }
    }

    fn fee_recipient(&self, epoch: Epoch, leader: &PublicKey) -> Option<Address> {
        self.provider.committee(epoch)?.fee_recipient(leader)
    }

    fn mark_seen(&self, hash: B256, at: SystemTime) {
        let mut seen = self.seen.lock().expect("not poisoned");
        seen.entry(hash).or_insert(at);
        if seen.len() > SEEN_KEPT {
            // Forget the oldest arrivals.
            let mut oldest: Vec<_> = seen.iter().map(|(h, t)| (*t, *h)).collect();
            oldest.sort();
            for (_, h) in oldest.into_iter().take(SEEN_KEPT / 2) {
                seen.remove(&h);
            }
        }
    }
}

/// Runs `f` on the runtime's blocking pool and waits for it.
async fn blocking<E: Spawner, T: Send + 'static>(
    ctx: E,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    ctx.shared(true)
        .spawn(move |_| async move { f() })
        .await
        .ok()
}

impl<C: Chain, B> App<C, B>
where
    B: Blocker<PublicKey = PublicKey> + Sync,
{
    /// Makes `parent` executable here: if it is neither held nor finalized, verifies the
    /// unfinalized ancestors this node lacks, oldest first. `ancestry` yields `parent`'s
    /// ancestors, newest first. Returns `Ok(false)` when the ancestry conflicts with the
    /// finalized chain (a permanent failure).
    async fn catch_up<E: Spawner + Clock>(
        &self,
        ctx: &E,
        parent: &Digested<ConsensusBlock>,
        mut ancestry: impl Ancestry<ConsensusBlock>,
    ) -> Result<bool, ChainError> {
        let hash = parent.inner().hash();
        if self.chain.holds(&hash) {
            return Ok(true);
        }
        let head = self.chain.head();
        let mut missing = vec![parent.inner().clone()];
        loop {
            let oldest = missing.last().expect("never empty");
            if oldest.number() <= head.number {
                // It claims a finalized height: it must be the finalized block itself.
                return Ok(self
                    .chain
                    .finalized_block(oldest.number())
                    .map(|b| b.hash_slow())
                    == Some(oldest.hash()));
            }
            if self.chain.holds(&oldest.header().parent_hash) {
                break;
            }
            if missing.len() >= MAX_CATCH_UP {
                return Err(ChainError::UnknownParent(oldest.header().parent_hash));
            }
            match ancestry.next().await {
                Some(b) => missing.push(b.inner().clone()),
                None => return Err(ChainError::UnknownParent(oldest.header().parent_hash)),
            }
        }
        debug!(count = missing.len(), "verifying unfinalized ancestors");
        let hashes: Vec<B256> = missing.iter().map(ConsensusBlock::hash).collect();
        let chain = self.chain.clone();
        let result = blocking(ctx.child("execute"), move || {
            for b in missing.iter().rev() {
                if !chain.holds(&b.hash()) {
                    chain.verify(b.block())?;
                }
            }
            Ok(())
        })
        .await
        .unwrap_or_else(|| Err(ChainError::Node("verification task stopped".into())));
        match result {
            Ok(()) => {
                // Arrived now, as far as pacing a child of them goes.
                let now = ctx.current();
                for hash in hashes {
                    self.mark_seen(hash, now);
                }
                Ok(true)
            }
            Err(ChainError::Invalid(e)) => {
                warn!(%e, "an ancestor of a notarized block is invalid");
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

impl<E, C, B> Application<E> for App<C, B>
where
    E: Clock + Spawner + Metrics,
    C: Chain,
    B: Blocker<PublicKey = PublicKey> + Sync,
{
    type SigningScheme = Scheme;
    type Context = Context<Digest, PublicKey>;
    type Block = ConsensusBlock;
    type Input = ();

    async fn propose(
        &mut self,
        (ctx, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> Option<Digested<Self::Block>> {
        let parent = ancestry.next().await?;
        match self.catch_up(&ctx, &parent, ancestry).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                debug!(%e, "cannot propose yet");
                return None;
            }
        }
        let Some(beneficiary) = self.fee_recipient(context.round.epoch(), &context.leader) else {
            warn!(round = ?context.round, "no committee for the round's epoch");
            return None;
        };
        // Pace: about one block per block time after the parent arrived here.
        let parent_hash = parent.inner().hash();
        let arrived = self
            .seen
            .lock()
            .expect("not poisoned")
            .get(&parent_hash)
            .copied();
        if let Some(arrived) = arrived {
            ctx.sleep_until(arrived + self.block_time).await;
        }
        let now = ctx.current();
        let timestamp = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let chain = self.chain.clone();
        let parent_block = parent.inner().clone();
        let built = blocking(ctx.child("execute"), move || {
            chain.propose(parent_block.block(), timestamp, beneficiary)
        })
        .await?;
        match built {
            Ok(block) => {
                let block = ConsensusBlock::new(block);
                let hash = block.hash();
                self.mark_seen(hash, ctx.current());
                info!(
                    number = block.number(),
                    %hash,
                    txs = block.block().transactions.len(),
                    view = %context.round.view(),
                    "proposed block"
                );
                Some(Digested::precomputed(block, crate::block::digest_of(hash)))
            }
            Err(e) => {
                warn!(%e, "could not build a block");
                None
            }
        }
    }

    async fn verify(
        &mut self,
        (ctx, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            return false;
        };
        let Some(parent) = ancestry.next().await else {
            return false;
        };
        let block = block.inner().clone();
        let round: Round = context.round;
        // The block pays its leader's fee recipient.
        let Some(beneficiary) = self.fee_recipient(round.epoch(), &context.leader) else {
            // No committee yet: abstain (stay pending) rather than judge.
            futures::future::pending::<()>().await;
            return false;
        };
        if block.header().beneficiary != beneficiary {
            warn!(number = block.number(), leader = %context.leader, "block pays another fee recipient");
            self.blocker.block(context.leader.clone());
            return false;
        }
        // A timestamp ahead of this node's clock waits (it may be this clock that lags).
        let ts = UNIX_EPOCH + Duration::from_secs(block.header().timestamp);
        if ts > ctx.current() + MAX_FUTURE_DRIFT {
            ctx.sleep_until(ts - MAX_FUTURE_DRIFT).await;
        }
        match self.catch_up(&ctx, &parent, ancestry).await {
            Ok(true) => {}
            Ok(false) => return false,
            Err(e) => {
                // Nothing known: abstain.
                debug!(%e, "cannot verify yet");
                futures::future::pending::<()>().await;
            }
        }
        let chain = self.chain.clone();
        let b = block.clone();
        let Some(result) = blocking(ctx.child("execute"), move || chain.verify(b.block())).await
        else {
            futures::future::pending::<()>().await;
            return false;
        };
        match result {
            Ok(()) => {
                self.mark_seen(block.hash(), ctx.current());
                true
            }
            Err(ChainError::Invalid(e)) => {
                warn!(number = block.number(), hash = %block.hash(), leader = %context.leader, %e, "rejected block");
                self.blocker.block(context.leader.clone());
                false
            }
            Err(e) => {
                warn!(number = block.number(), %e, "cannot verify block; abstaining");
                futures::future::pending::<()>().await;
                false
            }
        }
    }
}
