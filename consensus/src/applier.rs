//! Applies finalized blocks to the node, exactly once and in order.
//!
//! Marshal delivers finalized blocks in height order without gaps, at least once (a
//! restart redelivers what was not acknowledged). The applier commits each through
//! [`Chain::finalize`] with its [`Finality`] and acknowledges only after the commit
//! returned, so marshal's processed height never passes the node's head; a block at or
//! below the head is a redelivery and is acknowledged without work.
//!
//! A finalized block the node cannot apply means more than a third of the committee is
//! faulty or execution is not deterministic: the applier stops (dropping marshal's
//! acknowledgement stops marshal too) rather than skip it.

use crate::{block::ConsensusBlock, chain::Chain, committee::Scheme, finality::Finality};
use commonware_actor::Feedback;
use commonware_consensus::{
    Heightable, Reporter,
    marshal::{Update, core::Mailbox, standard::Standard},
    types::Height,
};
use commonware_runtime::{Handle, Spawner};
use commonware_utils::Acknowledgement as _;
use futures::{StreamExt, channel::mpsc};
use std::sync::{Arc, Mutex};
use tracing::{error, info, warn};

/// Marshal's mailbox for this crate's blocks.
pub type Marshal = Mailbox<Scheme, Standard<ConsensusBlock>>;

/// What the applier has done, for status reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Newest block applied.
    pub height: u64,
    /// Newest finalized height marshal announced (may be ahead while catching up).
    pub tip: u64,
}

/// Receives marshal's updates (the reporter half).
#[derive(Clone, Debug)]
pub struct ApplierMailbox(mpsc::UnboundedSender<Update<ConsensusBlock>>);

impl Reporter for ApplierMailbox {
    type Activity = Update<ConsensusBlock>;

    fn report(&mut self, update: Self::Activity) -> Feedback {
        // Marshal bounds the blocks awaiting acknowledgement, so this queue is bounded.
        match self.0.unbounded_send(update) {
            Ok(()) => Feedback::Ok,
            Err(_) => Feedback::Closed,
        }
    }
}

/// Called after each block is applied (height): epoch switches, status.
pub type OnApplied = Box<dyn FnMut(&ConsensusBlock) + Send>;

/// The applier actor.
pub struct Applier<C: Chain> {
    chain: Arc<C>,
    updates: mpsc::UnboundedReceiver<Update<ConsensusBlock>>,
    applied: Arc<Mutex<Applied>>,
    on_applied: Option<OnApplied>,
}

impl<C: Chain> std::fmt::Debug for Applier<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applier").finish_non_exhaustive()
    }
}

impl<C: Chain> Applier<C> {
    /// An applier over `chain`, and the reporter marshal delivers to.
    pub fn new(chain: Arc<C>, applied: Arc<Mutex<Applied>>) -> (Self, ApplierMailbox) {
        let (tx, rx) = mpsc::unbounded();
        let head = chain.head().number;
        applied.lock().expect("not poisoned").height = head;
        (
            Self {
                chain,
                updates: rx,
                applied,
                on_applied: None,
            },
            ApplierMailbox(tx),
        )
    }

    /// Calls `f` after each applied block.
    pub fn on_applied(mut self, f: OnApplied) -> Self {
        self.on_applied = Some(f);
        self
    }

    /// Runs until marshal stops or a block cannot be applied.
    pub fn start<E: Spawner>(self, ctx: E, marshal: Marshal) -> Handle<()> {
        ctx.spawn(move |ctx| self.run(ctx, marshal))
    }

    async fn run<E: Spawner>(mut self, ctx: E, marshal: Marshal) {
        let mut tip = 0u64;
        let mut cover: Option<Finality> = None;
        // Blocks delivered while an earlier one waits for its finalization.
        let mut backlog = std::collections::VecDeque::new();
        loop {
            let update = match backlog.pop_front() {
                Some((block, ack)) => Update::Block(block, ack),
                None => match self.updates.next().await {
                    Some(update) => update,
                    None => return,
                },
            };
            let (block, ack) = match update {
                Update::Tip(_, height, _) => {
                    tip = tip.max(height.get());
                    self.applied.lock().expect("not poisoned").tip = tip;
                    continue;
                }
                Update::Block(block, ack) => (block, ack),
            };
            let number = block.height().get();
            let head = self.chain.head();
            if number <= head.number {
                ack.acknowledge();
                continue;
            }
            if number != head.number + 1 {
                error!(
                    number,
                    head = head.number,
                    "finalized block out of order; stopping"
                );
                return;
            }
            // A crash while marshal synced its two archives can leave a finalized block
            // stored without its finalization: such a block waits for a finalization of
            // a descendant (peers keep finalizing; marshal announces each new tip).
            let finality = loop {
                if let Some(f) = Self::finality(&marshal, number, tip, &mut cover).await {
                    break f;
                }
                warn!(
                    number,
                    tip, "no finalization covers a delivered block yet; waiting for a newer one"
                );
                match self.updates.next().await {
                    None => return,
                    Some(Update::Tip(_, height, _)) => {
                        tip = tip.max(height.get());
                        self.applied.lock().expect("not poisoned").tip = tip;
                    }
                    Some(Update::Block(later, later_ack)) => backlog.push_back((later, later_ack)),
                }
            };
            let chain = self.chain.clone();
            let b = block.inner().clone();
            let bytes = finality.to_bytes();
            let result = ctx
                .child("finalize")
                .shared(true)
                .spawn(move |_| async move { chain.finalize(b.block(), &bytes) })
                .await;
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    error!(number, hash = %block.inner().hash(), %e, "cannot apply a finalized block; stopping");
                    return;
                }
                Err(e) => {
                    warn!(?e, "apply task stopped");
                    return;
                }
            }
            ack.acknowledge();
            {
                let mut applied = self.applied.lock().expect("not poisoned");
                applied.height = number;
                applied.tip = applied.tip.max(number);
            }
            if let Some(f) = self.on_applied.as_mut() {
                f(block.inner());
            }
            info!(
                number,
                hash = %block.inner().hash(),
                txs = block.inner().block().transactions.len(),
                direct = finality.is_direct(number),
                "finalized block applied"
            );
        }
    }

    /// The block's own finalization, or the newest one covering it.
    /// `cover` keeps the last descendant's finalization found, so a run of blocks
    /// finalized through one descendant costs one search.
    async fn finality(
        marshal: &Marshal,
        number: u64,
        tip: u64,
        cover: &mut Option<Finality>,
    ) -> Option<Finality> {
        if let Some(finalization) = marshal.get_finalization(Height::new(number)).await {
            return Some(Finality {
                height: number,
                finalization,
            });
        }
        if let Some(c) = cover.as_ref().filter(|c| c.height > number) {
            return Some(c.clone());
        }
        // Finalized through a descendant: the first finalization above it covers it.
        for height in (number + 1)..=tip.max(number + 1) {
            if let Some(finalization) = marshal.get_finalization(Height::new(height)).await {
                let found = Finality {
                    height,
                    finalization,
                };
                *cover = Some(found.clone());
                return Some(found);
            }
        }
        None
    }
}
