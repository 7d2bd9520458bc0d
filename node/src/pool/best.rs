//! The next block's transactions: each sender's executable run in nonce order, runs and
//! native transactions merged by arrival.

use super::{Mempool, native::PooledNative};
use alloy_primitives::Address;
use bytom2_evm_adapter::{BlockTx, RecoveredTx};

// === impl Mempool ===

impl Mempool {
    /// Executable transactions of both kinds for the next block, at most `max`: the
    /// Ethereum ones of [`Self::best_eth`] and the native ones, merged by arrival.
    pub fn best(&self, max: usize, state_nonce: impl Fn(Address) -> u64) -> Vec<BlockTx> {
        let eth = self.best_eth_with_arrival(max, state_nonce);
        let mut native: Vec<&PooledNative> = self.native.values().collect();
        native.sort_unstable_by_key(|p| p.arrival);
        let mut out = Vec::with_capacity(max.min(eth.len() + native.len()));
        let (mut e, mut n) = (eth.into_iter().peekable(), native.into_iter().peekable());
        while out.len() < max {
            let take_native = match (e.peek(), n.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((a, _)), Some(p)) => p.arrival < *a,
            };
            if take_native {
                let p = n.next().expect("peeked");
                out.push(BlockTx::Native(p.tx.clone()));
            } else {
                let (_, t) = e.next().expect("peeked");
                out.push(BlockTx::Eth(t));
            }
        }
        out
    }

    /// Executable Ethereum transactions, at most `max`: each sender's contiguous run from
    /// its state nonce, merged by arrival of each run's next transaction.
    pub fn best_eth(&self, max: usize, state_nonce: impl Fn(Address) -> u64) -> Vec<RecoveredTx> {
        self.best_eth_with_arrival(max, state_nonce)
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    fn best_eth_with_arrival(
        &self,
        max: usize,
        state_nonce: impl Fn(Address) -> u64,
    ) -> Vec<(u64, RecoveredTx)> {
        // (arrival of the run's head, sender, next nonce)
        let mut heads: std::collections::BinaryHeap<std::cmp::Reverse<(u64, Address, u64)>> = self
            .by_sender
            .iter()
            .filter_map(|(sender, queue)| {
                let nonce = state_nonce(*sender);
                queue
                    .get(&nonce)
                    .map(|p| std::cmp::Reverse((p.arrival, *sender, nonce)))
            })
            .collect();
        let mut out = Vec::new();
        while out.len() < max {
            let Some(std::cmp::Reverse((_, sender, nonce))) = heads.pop() else {
                break;
            };
            let queue = &self.by_sender[&sender];
            let p = &queue[&nonce];
            out.push((p.arrival, p.tx.clone()));
            if let Some(next) = queue.get(&(nonce + 1)) {
                heads.push(std::cmp::Reverse((next.arrival, sender, nonce + 1)));
            }
        }
        out
    }
}
