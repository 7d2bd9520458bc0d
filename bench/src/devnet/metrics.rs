//! The nodes' block-time histograms from `/metrics` (`--metrics-port`): sums and counts
//! of `bytom2_block_{propose,verify,commit}_seconds` and
//! `bytom2_finality_latency_seconds`, read before and after a run.

use std::{
    io::{Read, Write},
    time::Duration,
};

/// The histograms read.
pub(crate) const HISTOGRAMS: [&str; 4] = [
    "bytom2_block_propose_seconds",
    "bytom2_block_verify_seconds",
    "bytom2_block_commit_seconds",
    "bytom2_finality_latency_seconds",
];

/// (sum in seconds, count) of each of [`HISTOGRAMS`].
pub(crate) type Snapshot = [(f64, u64); 4];

/// GET `url` (`http://127.0.0.1:PORT/metrics`) and read the histograms' sums and counts.
pub(crate) fn scrape(url: &str) -> Option<Snapshot> {
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()?
        .to_string();
    let mut s = std::net::TcpStream::connect(&addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(
        format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some(parse(&text))
}

fn parse(text: &str) -> Snapshot {
    let mut out = [(0.0, 0u64); 4];
    for line in text.lines() {
        let Some((name, value)) = line.split_once(' ') else {
            continue;
        };
        for (i, h) in HISTOGRAMS.iter().enumerate() {
            if name == format!("{h}_sum") {
                out[i].0 = value.trim().parse().unwrap_or(0.0);
            } else if name == format!("{h}_count") {
                out[i].1 = value.trim().parse().unwrap_or(0);
            }
        }
    }
    out
}

/// Per histogram: (observations, mean ms) between two snapshots.
pub(crate) fn delta(before: &Snapshot, after: &Snapshot) -> [(u64, f64); 4] {
    let mut out = [(0u64, f64::NAN); 4];
    for i in 0..4 {
        let n = after[i].1.saturating_sub(before[i].1);
        let sum = after[i].0 - before[i].0;
        out[i] = (
            n,
            if n > 0 {
                sum * 1000.0 / n as f64
            } else {
                f64::NAN
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sums_and_counts() {
        let text = "# TYPE bytom2_block_verify_seconds histogram\n\
bytom2_block_verify_seconds_sum 1.5\n\
bytom2_block_verify_seconds_count 3\n\
bytom2_block_verify_seconds_bucket{le=\"0.001\"} 0\n\
bytom2_block_commit_seconds_sum 0.25\n\
bytom2_block_commit_seconds_count 5\n";
        let s = parse(text);
        assert_eq!(s[1], (1.5, 3));
        assert_eq!(s[2], (0.25, 5));
        let d = delta(&[(0.0, 0); 4], &s);
        assert_eq!(d[1], (3, 500.0));
        assert!(d[0].1.is_nan());
    }
}
