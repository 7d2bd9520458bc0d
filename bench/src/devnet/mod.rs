//! The devnet phase (issue #21, `--only devnet`): `bytom2 devnet` (validators and a full
//! node as separate processes on this machine) measured through its full node, beside
//! the dev node in the same run.
//!
//! - **Dev node:** the harness's own throughput runs (`--block-time 1`, `--gas-limit`),
//!   then a dev node with the devnet's block time and gas limit measured exactly as the
//!   devnet is below.
//! - **Loaded devnet** (4 validators + 1 full node, 0.5 s blocks): every node restarted
//!   with `--metrics-port`; the senders funded from the development accounts through the
//!   full node; the ERC-20 token deployed through it; idle CPU; idle finality latency
//!   (one transfer at a time); BTM then ERC-20 transfers posted to the full node and
//!   timed until the last receipt is on it (finalized tx/s), with the CPU time of every
//!   node process; BTM transfers at half that capacity, open loop, for the finality
//!   latency under load; block times from the nodes' `/metrics` and logs.
//! - **Idle devnets** of 4, 7 and 10 validators: idle CPU and idle finality latency.

mod logs;
mod measure;
mod metrics;
mod net;
mod run;
mod section;

pub(crate) use run::{Opts, run};
pub(crate) use section::{TITLE, section};

/// The processes that used more than 5% of a core over `secs` seconds (name and %),
/// busiest first, leaving out this process.
pub(crate) fn busy_processes(secs: f64) -> Vec<(String, f64)> {
    let read = || -> std::collections::HashMap<u32, (String, u64)> {
        let mut out = std::collections::HashMap::new();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return out;
        };
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let name = stat
                .split_once('(')
                .and_then(|(_, r)| r.rsplit_once(')'))
                .map_or(String::new(), |(n, _)| n.to_string());
            if let Some(t) = net::cpu_ticks(pid) {
                out.insert(pid, (name, t));
            }
        }
        out
    };
    let before = read();
    std::thread::sleep(std::time::Duration::from_secs_f64(secs));
    let after = read();
    let tck = net::clock_ticks();
    let me = std::process::id();
    let mut busy: Vec<(String, f64)> = after
        .iter()
        .filter(|(pid, _)| **pid != me)
        .filter_map(|(pid, (name, t))| {
            let (_, b) = before.get(pid)?;
            let pct = t.saturating_sub(*b) as f64 / tck / secs * 100.0;
            (pct > 5.0).then(|| (format!("{name} ({pid})"), pct))
        })
        .collect();
    busy.sort_by(|a, b| b.1.total_cmp(&a.1));
    busy
}
