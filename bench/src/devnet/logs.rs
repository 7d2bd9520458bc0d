//! What the devnet nodes' logs (`--log-level info`) say about a run: each validator's
//! `proposed block` lines (number, txs) and the full node's `finalized block applied`
//! lines, with their timestamps; and the warnings and errors every node logged.

use std::collections::BTreeMap;

/// One block line: (seconds since midnight UTC, block number, transactions, view; the
/// view is 0 where the line has none).
pub(crate) type Line = (f64, u64, usize, u64);

/// Seconds since midnight of a line's leading RFC 3339 timestamp
/// (`2026-12-03T16:50:00.123456Z`).
fn time_of(line: &str) -> Option<f64> {
    let stamp = line.split_whitespace().next()?;
    let clock = stamp.split_once('T')?.1.trim_end_matches('Z');
    let mut parts = clock.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + s)
}

/// The event's field `name` (the last `name=` in the line: span fields come first).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split_whitespace()
        .rev()
        .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
}

/// The lines of `log` holding `message`, as (time, number, txs, view).
pub(crate) fn block_lines(log: &str, message: &str) -> Vec<Line> {
    log.lines()
        .filter(|l| l.contains(message))
        .filter_map(|l| {
            Some((
                time_of(l)?,
                field(l, "number")?.parse().ok()?,
                field(l, "txs")?.parse().ok()?,
                field(l, "view").and_then(|v| v.parse().ok()).unwrap_or(0),
            ))
        })
        .collect()
}

/// How blocks flowed during a run, from the logs.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockFlow {
    /// Blocks applied on the full node in the run's range, and those holding transactions.
    pub(crate) blocks: usize,
    pub(crate) busy_blocks: usize,
    pub(crate) median_txs: f64,
    pub(crate) max_txs: usize,
    /// Between consecutive blocks applied on the full node (ms): median and max.
    pub(crate) interval_median_ms: f64,
    pub(crate) interval_max_ms: f64,
    /// From the leader's `proposed block` line (logged once it is built) to the full
    /// node's `finalized block applied` line of the same block (ms): median and max.
    pub(crate) to_full_median_ms: f64,
    pub(crate) to_full_max_ms: f64,
    /// Heights proposed more than once (a view that did not finalize its block).
    pub(crate) reproposed: usize,
    /// Views between consecutive finalized blocks that finalized none (nullified: the
    /// leader's block was not notarized in time, or no block came), and the longest
    /// interval between blocks around such a view (ms).
    pub(crate) skipped_views: u64,
    pub(crate) skipped_interval_max_ms: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The flow of blocks `from..=to` (full node's applied lines; every validator's
/// proposals).
pub(crate) fn block_flow(full: &[Line], proposed: &[Line], (from, to): (u64, u64)) -> BlockFlow {
    let applied: Vec<&Line> = full.iter().filter(|l| (from..=to).contains(&l.1)).collect();
    let mut by_height: BTreeMap<u64, Vec<&Line>> = BTreeMap::new();
    for p in proposed.iter().filter(|l| (from..=to).contains(&l.1)) {
        by_height.entry(p.1).or_default().push(p);
    }
    let intervals: Vec<f64> = applied
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * 1000.0)
        .collect();
    // The last proposal of a height with the same transaction count built its block.
    let builder = |a: &Line| -> Option<Line> {
        by_height
            .get(&a.1)?
            .iter()
            .rev()
            .find(|p| p.2 == a.2)
            .map(|p| **p)
    };
    let to_full: Vec<f64> = applied
        .iter()
        .filter_map(|a| Some((a.0 - builder(a)?.0) * 1000.0))
        .collect();
    let (mut skipped_views, mut skipped_interval_max_ms) = (0, f64::NAN);
    for w in applied.windows(2) {
        if let (Some(a), Some(b)) = (builder(w[0]), builder(w[1]))
            && a.3 > 0
            && b.3 > a.3 + 1
        {
            skipped_views += b.3 - a.3 - 1;
            skipped_interval_max_ms = skipped_interval_max_ms.max((w[1].0 - w[0].0) * 1000.0);
        }
    }
    BlockFlow {
        blocks: applied.len(),
        busy_blocks: applied.iter().filter(|l| l.2 > 0).count(),
        median_txs: median(
            applied
                .iter()
                .filter(|l| l.2 > 0)
                .map(|l| l.2 as f64)
                .collect(),
        ),
        max_txs: applied.iter().map(|l| l.2).max().unwrap_or(0),
        interval_median_ms: median(intervals.clone()),
        interval_max_ms: intervals.iter().copied().fold(f64::NAN, f64::max),
        to_full_median_ms: median(to_full.clone()),
        to_full_max_ms: to_full.iter().copied().fold(f64::NAN, f64::max),
        reproposed: by_height.values().filter(|v| v.len() > 1).count(),
        skipped_views,
        skipped_interval_max_ms,
    }
}

/// Warnings and errors in `log`: their count and up to `keep` distinct messages (the
/// text after the level and target, numbers and hashes left as they are).
pub(crate) fn warnings(log: &str, keep: usize) -> (usize, Vec<String>) {
    let mut count = 0;
    let mut distinct: Vec<String> = Vec::new();
    for line in log.lines() {
        let level = line.split_whitespace().nth(1).unwrap_or("");
        if level != "WARN" && level != "ERROR" {
            continue;
        }
        count += 1;
        let text: String = line
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ");
        // Distinct by the first few words (the message without its fields).
        let key: String = text
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join(" ");
        if distinct.len() < keep && !distinct.iter().any(|d| d.starts_with(&key)) {
            distinct.push(text.chars().take(300).collect());
        }
    }
    (count, distinct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_block_lines_and_flow() {
        let full = "2026-12-03T16:50:00.100000Z  INFO bytom2_consensus::applier: finalized block applied number=5 hash=0xab txs=10 direct=true\n\
2026-12-03T16:50:00.700000Z  INFO bytom2_consensus::applier: finalized block applied number=6 hash=0xcd txs=0 direct=true\n";
        let v = "2026-12-03T16:49:59.900000Z  INFO bytom2_consensus::app: proposed block number=5 hash=0xab txs=10 view=7\n\
2026-12-03T16:50:00.500000Z  WARN bytom2_consensus::app: could not build a block e=x\n\
2026-12-03T16:50:00.600000Z  INFO simplex.voter.view{epoch=0 view=9}: bytom2_consensus::app: proposed block number=6 hash=0xcd txs=0 view=9\n";
        let applied = block_lines(full, "finalized block applied");
        assert_eq!(applied.len(), 2);
        assert_eq!(applied[0].1, 5);
        let proposed = block_lines(v, "proposed block");
        let flow = block_flow(&applied, &proposed, (5, 6));
        assert_eq!(flow.blocks, 2);
        assert_eq!(flow.busy_blocks, 1);
        assert!((flow.interval_median_ms - 600.0).abs() < 1e-6);
        assert!((flow.to_full_max_ms - 200.0).abs() < 1e-6);
        assert_eq!(proposed[1].3, 9);
        assert_eq!(flow.skipped_views, 1);
        assert_eq!(warnings(v, 3).0, 1);
    }
}
