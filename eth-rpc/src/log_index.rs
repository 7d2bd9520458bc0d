//! [`LogIndex`]: a block's logs by address and by topic, so that a log query touches
//! only the logs that can match. On a busy chain the header bloom lets almost every
//! block through (a block of thousands of token transfers sets most of its bits), and
//! scanning every log of a hundred such blocks for one sender's transfers was most of
//! the read load that slowed block production (issue #19).

use alloy_primitives::{Address, B256, Log, map::HashMap};
use alloy_rpc_types_eth::Filter;

/// Where each log of a block sits, and which logs each address and topic names.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogIndex {
    /// Every log as (transaction index, position in its receipt), in block order; a
    /// log's place in this list is its block-wide number.
    logs: Vec<(u32, u32)>,
    /// Block-wide numbers of the logs each address emitted, ascending.
    by_address: HashMap<Address, Vec<u32>>,
    /// Per topic position, the block-wide numbers of the logs with each topic there.
    by_topic: [HashMap<B256, Vec<u32>>; 4],
}

impl LogIndex {
    /// The index of a block's logs, given per transaction in block order.
    pub(crate) fn new<'a>(per_tx: impl IntoIterator<Item = &'a [Log]>) -> Self {
        let mut index = Self::default();
        for (tx, logs) in per_tx.into_iter().enumerate() {
            for (position, log) in logs.iter().enumerate() {
                let n = index.logs.len() as u32;
                index.logs.push((tx as u32, position as u32));
                index.by_address.entry(log.address).or_default().push(n);
                for (slot, topic) in log.topics().iter().take(4).enumerate() {
                    index.by_topic[slot].entry(*topic).or_default().push(n);
                }
            }
        }
        index
    }

    /// The logs that may match `filter`, as (transaction index, position), in block
    /// order: those named by its most selective constraint (its addresses, or the
    /// topics of one position), every log when it constrains nothing. The caller still
    /// checks each against the whole filter.
    pub(crate) fn candidates(&self, filter: &Filter) -> Vec<(u32, u32)> {
        let mut sets: Vec<Vec<&Vec<u32>>> = Vec::new();
        if !filter.address.is_empty() {
            sets.push(
                filter
                    .address
                    .iter()
                    .filter_map(|a| self.by_address.get(a))
                    .collect(),
            );
        }
        for (slot, topics) in filter.topics.iter().enumerate() {
            if !topics.is_empty() {
                sets.push(
                    topics
                        .iter()
                        .filter_map(|t| self.by_topic[slot].get(t))
                        .collect(),
                );
            }
        }
        let Some(lists) = sets
            .into_iter()
            .min_by_key(|lists| lists.iter().map(|l| l.len()).sum::<usize>())
        else {
            return self.logs.clone();
        };
        let mut numbers: Vec<u32> = lists.into_iter().flatten().copied().collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers.into_iter().map(|n| self.logs[n as usize]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::LogData;
    use bytom2_utxo::StoredReceipt;
    use proptest::prelude::*;

    fn receipts(logs: &[Vec<(u8, Vec<u8>)>]) -> Vec<StoredReceipt> {
        logs.iter()
            .map(|tx| StoredReceipt {
                tx_type: 2,
                success: true,
                cumulative_gas_used: 0,
                logs: tx
                    .iter()
                    .map(|(a, topics)| Log {
                        address: Address::repeat_byte(*a),
                        data: LogData::new_unchecked(
                            topics.iter().map(|t| B256::repeat_byte(*t)).collect(),
                            Default::default(),
                        ),
                    })
                    .collect(),
                native_fee: None,
            })
            .collect()
    }

    proptest! {
        /// Candidates checked against the filter are exactly the logs a scan of every
        /// log finds, in the same order.
        #[test]
        fn candidates_find_what_a_scan_finds(
            logs in proptest::collection::vec(
                proptest::collection::vec((0u8..4, proptest::collection::vec(0u8..4, 0..4)), 0..4),
                0..8,
            ),
            addresses in proptest::collection::vec(0u8..5, 0..3),
            topics in proptest::collection::vec(proptest::collection::vec(0u8..5, 0..3), 0..4),
        ) {
            let receipts = receipts(&logs);
            let mut filter = Filter::new()
                .address(addresses.iter().map(|a| Address::repeat_byte(*a)).collect::<Vec<_>>());
            for (slot, set) in topics.iter().enumerate() {
                let set: Vec<B256> = set.iter().map(|t| B256::repeat_byte(*t)).collect();
                filter.topics[slot] = set.into();
            }
            let scan: Vec<(u32, u32)> = receipts
                .iter()
                .enumerate()
                .flat_map(|(tx, r)| {
                    r.logs.iter().enumerate().map(move |(p, l)| (tx as u32, p as u32, l))
                })
                .filter(|(_, _, l)| filter.matches(l))
                .map(|(tx, p, _)| (tx, p))
                .collect();
            let index = LogIndex::new(receipts.iter().map(|r| r.logs.as_slice()));
            let found: Vec<(u32, u32)> = index
                .candidates(&filter)
                .into_iter()
                .filter(|(tx, p)| filter.matches(&receipts[*tx as usize].logs[*p as usize]))
                .collect();
            prop_assert_eq!(found, scan);
        }
    }
}
