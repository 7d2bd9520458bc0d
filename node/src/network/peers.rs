//! Who this node hears from: every node announces its finalized height to its peers
//! every [`ANNOUNCE_EVERY`] on a small channel; `dpos_status` lists the peers heard from
//! recently with their heights.

use crate::Node;
use bytom2_consensus::PublicKey;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::Clock;
use futures::{FutureExt as _, future::Either};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

/// How often a node announces its height.
pub(crate) const ANNOUNCE_EVERY: Duration = Duration::from_secs(2);
/// A peer not heard from for this long is not listed.
const FORGET_AFTER: Duration = Duration::from_secs(10);

/// Peers' last announced heights.
#[derive(Clone, Debug, Default)]
pub(crate) struct Peers(Arc<Mutex<BTreeMap<PublicKey, (u64, SystemTime)>>>);

impl Peers {
    /// Peers heard from recently, with their finalized heights.
    pub(crate) fn recent(&self) -> Vec<(PublicKey, u64)> {
        let now = SystemTime::now();
        self.0
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|(_, (_, at))| now.duration_since(*at).unwrap_or_default() < FORGET_AFTER)
            .map(|(k, (h, _))| (k.clone(), *h))
            .collect()
    }
}

/// Announces this node's height and records the peers'.
pub(crate) async fn run<E: Clock, S, R>(
    ctx: E,
    node: Arc<Node>,
    peers: Peers,
    (mut sender, mut receiver): (S, R),
) where
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    loop {
        let height = node.chain().head().header.number;
        sender.send(Recipients::All, height.to_be_bytes().to_vec(), false);
        let deadline = ctx.sleep(ANNOUNCE_EVERY);
        futures::pin_mut!(deadline);
        loop {
            match futures::future::select(deadline.as_mut(), receiver.recv().boxed()).await {
                Either::Left(_) => break,
                Either::Right((Ok((peer, bytes)), _)) => {
                    // Anything but 8 bytes is ignored (the quota bounds the rate).
                    if let Ok(b) = <[u8; 8]>::try_from(bytes.as_ref()) {
                        peers
                            .0
                            .lock()
                            .expect("not poisoned")
                            .insert(peer, (u64::from_be_bytes(b), SystemTime::now()));
                    }
                }
                Either::Right((Err(_), _)) => return,
            }
        }
    }
}
