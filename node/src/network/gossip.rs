//! Transaction gossip: a transaction this node admits (from `eth_sendRawTransaction`,
//! `utxo_sendRawTransaction` or a peer) goes to every connected peer once, in batches;
//! a batch from a peer is admitted transaction by transaction through the pool, and what
//! is new here is gossiped on in turn. So a transaction sent to any node reaches every
//! validator's pool, and whichever leader comes next includes it.
//!
//! Bounds: the p2p channel's per-peer quota limits batches per second, a batch holds at
//! most [`MAX_BATCH_TXS`] transactions and [`MAX_BATCH_BYTES`], and hashes seen recently
//! are not admitted again. A batch that does not decode blocks its sender.

use crate::Node;
use alloy_primitives::{B256, keccak256};
use bytes::Bytes;
use bytom2_consensus::PublicKey;
use commonware_codec::{Decode as _, Encode as _, RangeCfg};
use commonware_p2p::{Blocker, Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use futures::{FutureExt as _, future::Either};
use std::{
    collections::{HashSet, VecDeque},
    sync::Arc,
    time::Duration,
};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Most transactions in one gossip message.
pub(crate) const MAX_BATCH_TXS: usize = 512;
/// Most bytes of transactions in one gossip message.
pub(crate) const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// How long a transaction waits for others to share its message.
const BATCH_DELAY: Duration = Duration::from_millis(20);
/// Hashes remembered as seen.
const SEEN: usize = 1 << 16;

/// Recently seen transaction hashes, oldest forgotten first.
#[derive(Debug, Default)]
struct Seen {
    set: HashSet<B256>,
    order: VecDeque<B256>,
}

impl Seen {
    /// Records `hash`; false if it was already there.
    fn insert(&mut self, hash: B256) -> bool {
        if !self.set.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > SEEN
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

/// Runs the gossip of transactions this node admits (`outbound`) and of peers' batches.
pub(crate) async fn run<E, S, R, B>(
    ctx: E,
    node: Arc<Node>,
    mut outbound: mpsc::Receiver<Bytes>,
    (mut sender, mut receiver): (S, R),
    mut blocker: B,
) where
    E: Clock + Spawner,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
    B: Blocker<PublicKey = PublicKey>,
{
    let max_tx = node.config().pool.max_tx_size;
    let cfg = (
        RangeCfg::from(1..=MAX_BATCH_TXS),
        RangeCfg::from(1..=max_tx),
    );
    let mut seen = Seen::default();
    let mut batch: Vec<Bytes> = Vec::new();
    let mut batch_bytes = 0usize;
    loop {
        let flush = if batch.is_empty() {
            Either::Left(futures::future::pending::<()>())
        } else {
            Either::Right(ctx.sleep(BATCH_DELAY))
        };
        futures::select! {
            tx = outbound.recv().fuse() => {
                let Some(tx) = tx else { return };
                if tx.len() > MAX_BATCH_BYTES {
                    continue;
                }
                seen.insert(keccak256(&tx));
                if batch_bytes + tx.len() > MAX_BATCH_BYTES {
                    send(&mut sender, std::mem::take(&mut batch));
                    batch_bytes = 0;
                }
                batch_bytes += tx.len();
                batch.push(tx);
                if batch.len() >= MAX_BATCH_TXS {
                    send(&mut sender, std::mem::take(&mut batch));
                    batch_bytes = 0;
                }
            }
            _ = flush.fuse() => {
                send(&mut sender, std::mem::take(&mut batch));
                batch_bytes = 0;
            }
            message = receiver.recv().fuse() => {
                let Ok((peer, bytes)) = message else { return };
                let txs = match Vec::<Bytes>::decode_cfg(bytes, &cfg) {
                    Ok(txs) => txs,
                    Err(e) => {
                        warn!(target: "node::gossip", %peer, %e, "malformed transaction batch; blocking the peer");
                        blocker.block(peer);
                        continue;
                    }
                };
                let fresh: Vec<Bytes> = txs.into_iter().filter(|tx| seen.insert(keccak256(tx))).collect();
                if fresh.is_empty() {
                    continue;
                }
                // Signature recovery is CPU work: off the async threads.
                let node = node.clone();
                let admitted = ctx
                    .child("admit")
                    .shared(true)
                    .spawn(move |_| async move {
                        let mut admitted = 0usize;
                        for tx in fresh {
                            if node.admit_raw(tx.into()).is_ok() {
                                admitted += 1;
                            }
                        }
                        admitted
                    })
                    .await
                    .unwrap_or(0);
                debug!(target: "node::gossip", %peer, admitted, "admitted gossiped transactions");
            }
        }
    }
}

fn send<S: Sender<PublicKey = PublicKey>>(sender: &mut S, batch: Vec<Bytes>) {
    if batch.is_empty() {
        return;
    }
    let count = batch.len();
    let sent = sender.send(Recipients::All, batch.encode(), false);
    debug!(target: "node::gossip", count, peers = sent.len(), "gossiped transactions");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_forgets_the_oldest() {
        let mut seen = Seen::default();
        assert!(seen.insert(B256::with_last_byte(1)));
        assert!(!seen.insert(B256::with_last_byte(1)));
        for i in 0..SEEN as u64 + 1 {
            seen.insert(keccak256(i.to_be_bytes()));
        }
        assert!(seen.insert(B256::with_last_byte(1)));
        assert!(seen.set.len() <= SEEN);
    }
}
