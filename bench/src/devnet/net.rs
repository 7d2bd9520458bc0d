//! Starting and stopping `bytom2 devnet` (N validators and M full nodes as processes of
//! their own, listed in `DIR/nodes.json`), restarting its nodes with `--metrics-port`,
//! and the CPU time of processes from `/proc/<pid>/stat`.

use crate::{load, nodes::free_port};
use anyhow::{Context, bail};
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// One node of a running devnet.
#[derive(Debug, Clone)]
pub(crate) struct NetNode {
    /// `validator-<i>` or `full-<j>`.
    pub(crate) name: String,
    /// `validator` or `full`.
    pub(crate) role: String,
    pub(crate) rpc_url: String,
    /// The process now serving it.
    pub(crate) pid: u32,
    /// The `bytom2` arguments that start it (from `nodes.json`).
    args: Vec<String>,
    pub(crate) log: PathBuf,
    /// `http://127.0.0.1:PORT/metrics` once restarted with `--metrics-port`.
    pub(crate) metrics_url: Option<String>,
}

/// A running `bytom2 devnet` with its directory; stops everything it started (by PID)
/// when dropped.
#[derive(Debug)]
pub(crate) struct Devnet {
    bin: PathBuf,
    devnet: Option<Child>,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) nodes: Vec<NetNode>,
    /// The pids `bytom2 devnet` started (from `nodes.json`), checked after it stopped.
    original_pids: Vec<u32>,
    /// Nodes the harness restarted itself (with `--metrics-port`).
    restarted: Vec<Child>,
    pub(crate) validators: usize,
}

/// Sends `signal` (`TERM`, `KILL`) to `pid`.
fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Whether `pid` is a live process (not gone and not a zombie).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Waits up to `timeout` for `pid` to stop.
fn wait_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    !alive(pid)
}

/// User plus system CPU ticks of `pid` so far (all its threads), from `/proc/<pid>/stat`.
pub(crate) fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 if that fails).
pub(crate) fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds of each pid between two readings.
pub(crate) fn cpu_seconds(before: &[Option<u64>], after: &[Option<u64>]) -> Vec<f64> {
    let tck = clock_ticks();
    before
        .iter()
        .zip(after)
        .map(|(b, a)| match (b, a) {
            (Some(b), Some(a)) => a.saturating_sub(*b) as f64 / tck,
            _ => f64::NAN,
        })
        .collect()
}

impl Devnet {
    /// `bytom2 devnet --dir <fresh temp dir> --validators N --full-nodes M --block-time
    /// T --gas-limit G --rpc-port 0 --p2p-port 0 --log-level LEVEL`; returns once every
    /// node answers RPC and the full node has applied a finalized block.
    pub(crate) fn start(
        bin: &Path,
        validators: usize,
        full_nodes: usize,
        block_time: f64,
        gas_limit: u64,
        log_level: &str,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("bytom2-bench-devnet-")
            .tempdir()?;
        let out = std::fs::File::create(dir.path().join("devnet.out"))?;
        let devnet = Command::new(bin)
            .arg("devnet")
            .args(["--dir", &dir.path().to_string_lossy()])
            .args(["--validators", &validators.to_string()])
            .args(["--full-nodes", &full_nodes.to_string()])
            .args(["--block-time", &block_time.to_string()])
            .args(["--gas-limit", &gas_limit.to_string()])
            .args(["--rpc-port", "0", "--p2p-port", "0"])
            .args(["--log-level", log_level])
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("starting bytom2 devnet")?;
        let mut net = Self {
            bin: bin.to_path_buf(),
            devnet: Some(devnet),
            dir,
            nodes: Vec::new(),
            original_pids: Vec::new(),
            restarted: Vec::new(),
            validators,
        };
        // Dropped (everything stopped) on any failure below.
        net.wait_started(validators + full_nodes)?;
        Ok(net)
    }

    fn wait_started(&mut self, n: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        let out = self.dir.path().join("devnet.out");
        loop {
            if let Some(status) = self
                .devnet
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                bail!(
                    "bytom2 devnet exited ({status}): {}",
                    std::fs::read_to_string(&out).unwrap_or_default()
                );
            }
            // The banner comes once every node's RPC port is open.
            if std::fs::read_to_string(&out)
                .unwrap_or_default()
                .contains("Press Ctrl-C")
            {
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "bytom2 devnet did not start within 120 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let text = std::fs::read_to_string(self.dir.path().join("nodes.json"))?;
        let list: Vec<Value> = serde_json::from_str(&text).context("nodes.json")?;
        for v in &list {
            let s = |k: &str| v[k].as_str().map(str::to_string).unwrap_or_default();
            let pid = v["pid"]
                .as_u64()
                .context("nodes.json: a node without pid")? as u32;
            self.original_pids.push(pid);
            self.nodes.push(NetNode {
                name: s("name"),
                role: s("role"),
                rpc_url: s("rpcUrl"),
                pid,
                args: v["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect(),
                log: PathBuf::from(s("log")),
                metrics_url: None,
            });
        }
        anyhow::ensure!(
            self.nodes.len() == n,
            "nodes.json lists {} nodes",
            self.nodes.len()
        );
        Ok(())
    }

    /// The first full node (where the load goes).
    pub(crate) fn full(&self) -> &NetNode {
        self.nodes
            .iter()
            .find(|n| n.role == "full")
            .expect("a devnet with a full node")
    }

    /// Waits until the full node has applied block `height`.
    pub(crate) async fn wait_height(&self, height: u64, timeout: Duration) -> anyhow::Result<()> {
        let client = load::client(&self.full().rpc_url)?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(h) = load::block_number(&client).await
                && h >= height
            {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the full node did not reach block {height} within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Restarts every node, one at a time, with its own arguments plus `--metrics-port`
    /// (the process is then the harness's child; its output still goes to its
    /// `node.log`). Each validator must catch up with the full node before the next goes
    /// down, so the committee never loses its quorum.
    pub(crate) async fn restart_with_metrics(&mut self) -> anyhow::Result<()> {
        let full_client = load::client(&self.full().rpc_url)?;
        for i in 0..self.nodes.len() {
            let node = self.nodes[i].clone();
            let port = free_port()?;
            signal(node.pid, "TERM");
            if !wait_gone(node.pid, Duration::from_secs(20)) {
                signal(node.pid, "KILL");
                wait_gone(node.pid, Duration::from_secs(5));
            }
            let log = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&node.log)?;
            let child = Command::new(&self.bin)
                .args(&node.args)
                .args(["--metrics-port", &port.to_string()])
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("restarting {}", node.name))?;
            self.nodes[i].pid = child.id();
            self.nodes[i].metrics_url = Some(format!("http://127.0.0.1:{port}/metrics"));
            self.restarted.push(child);
            let client = load::client(&node.rpc_url)?;
            let target = load::block_number(&full_client).await.unwrap_or(0);
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Ok(h) = load::block_number(&client).await
                    && h >= target
                {
                    break;
                }
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "{} did not catch up with block {target} within 60 s after a restart",
                    node.name
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        // The network makes blocks again with every node back.
        let head = load::block_number(&full_client).await?;
        self.wait_height(head + 3, Duration::from_secs(60)).await
    }

    /// Copies the nodes' logs and `nodes.json` to `bytom2-bench-devnet-<tag>-<N>v` under
    /// the system temp dir (the devnet's own directory goes with it).
    pub(crate) fn keep_logs(&self, tag: &str) -> Option<PathBuf> {
        let kept =
            std::env::temp_dir().join(format!("bytom2-bench-devnet-{tag}-{}v", self.validators));
        let _ = std::fs::remove_dir_all(&kept);
        std::fs::create_dir_all(&kept).ok()?;
        for n in &self.nodes {
            let _ = std::fs::copy(&n.log, kept.join(format!("{}.log", n.name)));
        }
        let _ = std::fs::copy(self.dir.path().join("nodes.json"), kept.join("nodes.json"));
        Some(kept)
    }

    /// Stops the restarted nodes, then `bytom2 devnet` (which stops the nodes it
    /// started), then whatever of those is still running, each by its PID.
    pub(crate) fn stop(&mut self) {
        for child in &self.restarted {
            signal(child.id(), "TERM");
        }
        for mut child in self.restarted.drain(..) {
            if !wait_gone(child.id(), Duration::from_secs(15)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        if let Some(mut devnet) = self.devnet.take() {
            signal(devnet.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = devnet.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if let Ok(None) = devnet.try_wait() {
                let _ = devnet.kill();
            }
            let _ = devnet.wait();
        }
        for &pid in &self.original_pids {
            // Only a node of this devnet (its command line names the directory).
            let ours = std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.contains(&*self.dir.path().to_string_lossy()));
            if ours && alive(pid) {
                signal(pid, "TERM");
                if !wait_gone(pid, Duration::from_secs(10)) {
                    signal(pid, "KILL");
                }
            }
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        self.stop();
    }
}
