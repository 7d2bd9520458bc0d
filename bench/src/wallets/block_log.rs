//! bytom2's block times, read from the `built block` lines of its log: each block's
//! transactions, execute and commit times, and their medians and maxima over a run.

/// Block times from the node's log over a run's blocks.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockTimes {
    pub(crate) blocks: usize,
    pub(crate) median_txs: f64,
    pub(crate) execute_median_ms: f64,
    pub(crate) execute_max_ms: f64,
    pub(crate) commit_median_ms: f64,
    pub(crate) commit_max_ms: f64,
    /// Sums over the run's blocks, per 1,000 transactions (comparable across block sizes).
    pub(crate) execute_per_k_ms: f64,
    pub(crate) commit_per_k_ms: f64,
    /// Every block of the run: (transactions, execute ms, commit ms).
    pub(crate) each: Vec<(usize, f64, f64)>,
}

/// One `built block` line of the node's log: (number, txs, execute ms, commit ms).
pub(super) type BlockLine = (u64, usize, f64, f64);

/// The `built block` lines of a bytom2 log (`--log-level info`), colours removed.
pub(super) fn parse_blocks(log: &str) -> Vec<BlockLine> {
    log.lines()
        .filter(|l| l.contains("built block"))
        .filter_map(|line| {
            let plain = strip_ansi(line);
            let field = |name: &str| {
                plain
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
                    .map(str::to_string)
            };
            Some((
                field("number")?.parse().ok()?,
                field("txs")?.parse().ok()?,
                field("execute_ms")?.parse().ok()?,
                field("commit_ms")?.parse().ok()?,
            ))
        })
        .collect()
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Medians and maxima over the non-empty blocks numbered `from..=to`.
pub(super) fn block_times(blocks: &[BlockLine], (from, to): (u64, u64)) -> Option<BlockTimes> {
    let run: Vec<&BlockLine> = blocks
        .iter()
        .filter(|b| (from..=to).contains(&b.0) && b.1 > 0)
        .collect();
    if run.is_empty() {
        return None;
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let execute: Vec<f64> = run.iter().map(|b| b.2).collect();
    let commit: Vec<f64> = run.iter().map(|b| b.3).collect();
    let txs: usize = run.iter().map(|b| b.1).sum();
    let per_k = |v: &[f64]| v.iter().sum::<f64>() * 1000.0 / txs as f64;
    Some(BlockTimes {
        blocks: run.len(),
        median_txs: median(run.iter().map(|b| b.1 as f64).collect()),
        execute_median_ms: median(execute.clone()),
        execute_max_ms: max(&execute),
        commit_median_ms: median(commit.clone()),
        commit_max_ms: max(&commit),
        execute_per_k_ms: per_k(&execute),
        commit_per_k_ms: per_k(&commit),
        each: run.iter().map(|b| (b.1, b.2, b.3)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_block_lines_with_and_without_colours() {
        let log = "2026-12-03T10:00:00.000Z  INFO node::producer: built block number=7 txs=4970 gas_used=1 built_ahead=false select_ms=1.0 execute_ms=15.5 commit_ms=8.25\n\
\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m built block \u{1b}[3mnumber\u{1b}[0m\u{1b}[2m=\u{1b}[0m8 \u{1b}[3mtxs\u{1b}[0m\u{1b}[2m=\u{1b}[0m3 \u{1b}[3mexecute_ms\u{1b}[0m\u{1b}[2m=\u{1b}[0m1.5 \u{1b}[3mcommit_ms\u{1b}[0m\u{1b}[2m=\u{1b}[0m2\n\
something else\n";
        let blocks = parse_blocks(log);
        assert_eq!(blocks, vec![(7, 4970, 15.5, 8.25), (8, 3, 1.5, 2.0)]);
        let t = block_times(&blocks, (8, 8)).expect("one block");
        assert_eq!(t.blocks, 1);
        assert_eq!(t.execute_median_ms, 1.5);
        assert!(block_times(&blocks, (9, 10)).is_none());
    }
}
