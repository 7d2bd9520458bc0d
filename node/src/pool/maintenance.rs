//! Pool maintenance after every finalized block, made here or elsewhere: included and
//! stale transactions leave, those spending outputs the block spent go, and those the
//! proposer found permanently invalid are evicted.

use super::Mempool;
use alloy_primitives::{Address, B256};
use bytom2_utxo::OutPoint;

// === impl Mempool ===

impl Mempool {
    /// After a block: drops transactions whose nonce is below their sender's state nonce
    /// (included or replaced on chain), native transactions that spend one of the outputs
    /// the block spent (`spent`: included, or spent by another), and evicts `invalid`
    /// ones. The block's spends are looked up in the pool's index, so the cost does not
    /// grow with the number of pooled native transactions (reading every pooled input
    /// from the state held the pool lock for a read per transaction).
    pub fn prune(
        &mut self,
        state_nonce: impl Fn(Address) -> u64,
        spent: impl IntoIterator<Item = OutPoint>,
        invalid: &[B256],
    ) {
        for hash in invalid {
            self.remove(hash);
        }
        let gone: Vec<B256> = spent
            .into_iter()
            .filter_map(|op| self.spent_by.get(&op).copied())
            .collect();
        for hash in gone {
            self.remove_native(&hash);
        }
        let stale: Vec<B256> = self
            .by_sender
            .iter()
            .flat_map(|(sender, queue)| {
                let nonce = state_nonce(*sender);
                queue
                    .range(..nonce)
                    .map(|(_, p)| p.tx.hash)
                    .collect::<Vec<_>>()
            })
            .collect();
        for hash in stale {
            self.remove(&hash);
        }
    }

    /// Senders with transactions in the pool.
    pub fn senders(&self) -> Vec<Address> {
        self.by_sender.keys().copied().collect()
    }
}
