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

/// Submits at a steady `rate` for `secs`; returns (p50, p99) inclusion latency in ms.
pub(super) async fn latency(
    ctx: &Ctx,
    client: &HttpClient,
    chain_id: u64,
    rate: f64,
    secs: f64,
) -> anyhow::Result<(f64, f64)> {
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let start = load::nonces(client, &addrs, "pending").await?;
    let count = ((rate * secs) as usize).clamp(ctx.keys.len(), 20_000);
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
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            anyhow::Ok(())
        })
    };
    let t0 = Instant::now();
    let submitted: Vec<Instant> = stream::iter(raws.iter().enumerate())
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
    let targets: Vec<u64> = start.iter().map(|n| n + per_sender as u64).collect();
    load::wait_mined(client, &addrs, &targets, Duration::from_secs(300)).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    watcher.await??;
    let seen = seen.lock().await;
    let mut lat: Vec<f64> = hashes
        .iter()
        .zip(&submitted)
        .filter_map(|(h, s)| {
            seen.get(h)
                .map(|t| t.saturating_duration_since(*s).as_secs_f64() * 1000.0)
        })
        .collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok((pct(0.5), pct(0.99)))
}
