//! Inclusion latency: transfers submitted at a steady rate, each timed from its submission
//! until a block holding it is seen.

use super::ctx::Ctx;
use crate::load::{self, Kind};
use alloy_primitives::{Address, keccak256};
use futures::{StreamExt, stream};
use jsonrpsee::http_client::HttpClient;
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

/// An open-loop run of BTM transfers: presigned, submitted each at its scheduled time
/// whatever the node answers, and timed from submission until a watcher (polling the head
/// and reading each new block's transaction hashes) sees a block holding it. Steps:
/// [`OpenLoopRun::start`], [`OpenLoopRun::submit`], wait for [`OpenLoopRun::targets`] to
/// be mined, [`OpenLoopRun::finish`]; callers take their own readings in between.
pub(crate) struct OpenLoopRun {
    raws: Vec<alloy_primitives::Bytes>,
    hashes: Vec<String>,
    /// The senders and the nonce each reaches once every transfer is mined.
    pub(crate) addrs: Vec<Address>,
    pub(crate) targets: Vec<u64>,
    seen: Arc<tokio::sync::Mutex<HashMap<String, Instant>>>,
    done: Arc<std::sync::atomic::AtomicBool>,
    watcher: tokio::task::JoinHandle<anyhow::Result<()>>,
    submitted: Vec<Instant>,
}

impl OpenLoopRun {
    /// Signs `rate × secs` transfers (at least one per sender, at most `cap`) and starts
    /// the watcher, which polls every `poll`.
    pub(crate) async fn start(
        ctx: &Ctx,
        client: &HttpClient,
        chain_id: u64,
        rate: f64,
        secs: f64,
        cap: usize,
        poll: Duration,
    ) -> anyhow::Result<Self> {
        let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
        let start = load::nonces(client, &addrs, "pending").await?;
        let count = ((rate * secs) as usize).clamp(ctx.keys.len(), cap);
        let per_sender = count.div_ceil(ctx.keys.len());
        let (raws, _) = load::presign(&ctx.keys, &start, per_sender, Kind::Native, chain_id);
        let hashes: Vec<String> = raws
            .iter()
            .map(|r| format!("{:#x}", keccak256(r)))
            .collect();
        let seen: Arc<tokio::sync::Mutex<HashMap<String, Instant>>> = Arc::default();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let watcher = {
            let (client, seen, done) = (client.clone(), seen.clone(), done.clone());
            tokio::spawn(async move {
                let mut next: u64 = load::block_number(&client).await? + 1;
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    let head = load::block_number(&client).await?;
                    while next <= head {
                        let hashes = load::block_tx_hashes(&client, next).await?;
                        let now = Instant::now();
                        let mut seen = seen.lock().await;
                        for h in hashes {
                            seen.entry(h).or_insert(now);
                        }
                        next += 1;
                    }
                    tokio::time::sleep(poll).await;
                }
                anyhow::Ok(())
            })
        };
        let targets = start.iter().map(|n| n + per_sender as u64).collect();
        Ok(Self {
            raws,
            hashes,
            addrs,
            targets,
            seen,
            done,
            watcher,
            submitted: Vec::new(),
        })
    }

    /// Number of transfers.
    pub(crate) fn len(&self) -> usize {
        self.raws.len()
    }

    /// Submits transfer `i` at `i / rate` seconds from now; returns the seconds the
    /// submissions took.
    pub(crate) async fn submit(&mut self, client: &HttpClient, rate: f64) -> f64 {
        let t0 = Instant::now();
        self.submitted = stream::iter(self.raws.iter().enumerate())
            .map(|(i, raw)| async move {
                let at = t0 + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(at.into()).await;
                let sent = Instant::now();
                let _ = load::send(client, raw).await;
                sent
            })
            .buffered(4096)
            .collect()
            .await;
        t0.elapsed().as_secs_f64()
    }

    /// Stops the watcher (after a last 100 ms) and returns each seen transfer's latency
    /// in ms, in submission order.
    pub(crate) async fn finish(self) -> anyhow::Result<Vec<f64>> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.done.store(true, std::sync::atomic::Ordering::SeqCst);
        self.watcher.await??;
        let seen = self.seen.lock().await;
        Ok(self
            .hashes
            .iter()
            .zip(&self.submitted)
            .filter_map(|(h, s)| {
                seen.get(h)
                    .map(|t| t.saturating_duration_since(*s).as_secs_f64() * 1000.0)
            })
            .collect())
    }
}

/// Submits at a steady `rate` for `secs`; returns (p50, p99) inclusion latency in ms.
pub(super) async fn latency(
    ctx: &Ctx,
    client: &HttpClient,
    chain_id: u64,
    rate: f64,
    secs: f64,
) -> anyhow::Result<(f64, f64)> {
    let mut run = OpenLoopRun::start(
        ctx,
        client,
        chain_id,
        rate,
        secs,
        20_000,
        Duration::from_millis(10),
    )
    .await?;
    run.submit(client, rate).await;
    load::wait_mined(client, &run.addrs, &run.targets, Duration::from_secs(300)).await?;
    let mut lat = run.finish().await?;
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok((pct(0.5), pct(0.99)))
}
