//! Starting and stopping the two nodes under test.

use anyhow::{Context, bail};
use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A node process under test.
#[derive(Debug)]
pub(crate) struct NodeProc {
    pub(crate) name: &'static str,
    child: Child,
    pub(crate) url: String,
    /// Seconds from spawn to the first answered `eth_chainId`.
    pub(crate) startup: f64,
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_ready(url: &str, started: Instant) -> anyhow::Result<f64> {
    let deadline = started + Duration::from_secs(30);
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let addr = url.trim_start_matches("http://").to_string();
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
            use std::io::{Read, Write};
            let req = format!(
                "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            if s.write_all(req.as_bytes()).is_ok() {
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                if out.contains("\"result\"") {
                    return Ok(started.elapsed().as_secs_f64());
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    bail!("node at {url} did not answer within 30 s")
}

impl NodeProc {
    /// `bytom2 --chain spec --datadir dir` on a free port.
    pub(crate) fn bytom2(
        bin: &Path,
        spec: &Path,
        datadir: &Path,
        gas_limit: u64,
        block_time: Option<f64>,
        log_level: &str,
        log: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut cmd = Command::new(bin);
        cmd.args([
            "--chain",
            &spec.to_string_lossy(),
            "--datadir",
            &datadir.to_string_lossy(),
        ])
        .args([
            "--port",
            &port.to_string(),
            "--gas-limit",
            &gas_limit.to_string(),
            "--log-level",
            // A logged run needs the producer's `built block` lines (info); a level given
            // with `--node-log-level` other than the default `warn` is used as it is.
            if log.is_some() && log_level == "warn" {
                "info"
            } else {
                log_level
            },
        ])
        .args(["--max-pool-txs", "200000"]);
        if let Some(t) = block_time {
            cmd.args(["--block-time", &t.to_string()]);
        }
        if let Some(path) = log {
            // The logged runs also use the development methods (automine off, `evm_mine`).
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            cmd.arg("--dev").env("NO_COLOR", "1").stderr(file);
        }
        Self::spawn("bytom2", cmd, port)
    }

    /// `anvil` with `accounts` dev accounts of the test mnemonic on a free port.
    pub(crate) fn anvil(
        bin: &Path,
        accounts: usize,
        gas_limit: u64,
        block_time: Option<f64>,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut cmd = Command::new(bin);
        cmd.args([
            "--port",
            &port.to_string(),
            "--accounts",
            &accounts.to_string(),
            "--balance",
            "1000000",
        ])
        .args(["--gas-limit", &gas_limit.to_string(), "--silent"]);
        if let Some(t) = block_time {
            cmd.args(["--block-time", &t.to_string()]);
        }
        Self::spawn("anvil", cmd, port)
    }

    fn spawn(name: &'static str, mut cmd: Command, port: u16) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        // Drain stdout so the node never blocks on a full pipe.
        let stdout = child.stdout.take().context("stdout")?;
        std::thread::spawn(move || for _ in BufReader::new(stdout).lines() {});
        let url = format!("http://127.0.0.1:{port}");
        let startup = wait_ready(&url, started)?;
        Ok(Self {
            name,
            child,
            url,
            startup,
        })
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident set size (VmHWM) in MiB.
    pub(crate) fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// Stops the process by its PID (SIGTERM, then SIGKILL).
    pub(crate) fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
