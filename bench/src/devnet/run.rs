//! The devnet phase: the dev node (the harness's own throughput runs, and the devnet's
//! measurements at the devnet's block time and gas limit), a 4-validator devnet under
//! load through its full node, and idle devnets of several committee sizes.

use super::{
    logs::{self, BlockFlow},
    measure::{self, Idle, KindRun, Latency, OpenLoop, Target},
    net::Devnet,
};
use crate::{
    load::{self, Kind},
    nodes::NodeProc,
    phases::{self, Ctx, Throughput, Which},
};
use alloy_primitives::U256;
use std::{path::PathBuf, time::Duration};

/// What the devnet phase is asked to do.
#[derive(Debug, Clone)]
pub(crate) struct Opts {
    /// Validators of the loaded devnet.
    pub(crate) validators: usize,
    /// Committee sizes of the idle devnets.
    pub(crate) sweep: Vec<usize>,
    /// Transfers timed one at a time for the idle finality latency.
    pub(crate) idle_samples: usize,
    /// Seconds of idle CPU measurement.
    pub(crate) idle_seconds: f64,
    /// Seconds of the open-loop load at half the measured capacity.
    pub(crate) half_seconds: f64,
    /// Block time of the devnets (s).
    pub(crate) block_time: f64,
    /// Restart the loaded devnet's nodes with `--metrics-port` to read their block
    /// histograms.
    pub(crate) metrics: bool,
    /// Skip the dev node runs.
    pub(crate) skip_dev: bool,
    /// `--log-level` of the devnets' nodes.
    pub(crate) log_level: String,
}

/// Block gas limit of the devnets and of the dev node measured like them (`bytom2 devnet
/// --gas-limit`): high enough that no workload here fills a block (ERC-20 transfers at
/// 0.5 s blocks would need over 5,000 tx/s), where the development chain's default of
/// 30,000,000 caps ERC-20 transfers at about 1,740 tx/s.
pub(crate) const DEVNET_GAS_LIMIT: u64 = 100_000_000;

/// Everything measured on one network (or one dev node).
#[derive(Debug, Clone, Default)]
pub(crate) struct NetResults {
    pub(crate) label: String,
    pub(crate) validators: usize,
    /// Idle CPU of each node process (% of one core), the blocks made meanwhile and
    /// the block histograms.
    pub(crate) idle_cpu: Vec<(String, f64)>,
    pub(crate) idle_window: Option<Idle>,
    pub(crate) idle: Option<Latency>,
    pub(crate) btm: Option<KindRun>,
    pub(crate) erc20: Option<KindRun>,
    pub(crate) half: Option<OpenLoop>,
    /// Block flow from the logs while idle, during the BTM and ERC-20 runs and during
    /// the open-loop load.
    pub(crate) flow_idle: Option<BlockFlow>,
    pub(crate) flow_btm: Option<BlockFlow>,
    pub(crate) flow_erc20: Option<BlockFlow>,
    pub(crate) flow_half: Option<BlockFlow>,
    /// First block of the measurements (after start-up, restarts and funding), and the
    /// flow from there to the end.
    pub(crate) measured_from: u64,
    pub(crate) flow_all: Option<BlockFlow>,
    /// Per node: (name, warnings and errors logged, a few distinct ones).
    pub(crate) warnings: Vec<(String, usize, Vec<String>)>,
    /// Sub-phases that failed.
    pub(crate) failures: Vec<String>,
    /// Where the node logs were kept.
    pub(crate) logs: Option<PathBuf>,
    /// Funding transfers sent through the full node.
    pub(crate) funding_txs: usize,
}

impl NetResults {
    /// Sum of the nodes' idle CPU (% of one core).
    pub(crate) fn idle_cpu_total(&self) -> f64 {
        self.idle_cpu.iter().map(|c| c.1).sum()
    }
}

/// Everything the devnet phase measured.
#[derive(Debug, Clone, Default)]
pub(crate) struct DevnetResults {
    /// The harness's own dev-node throughput runs (`--block-time 1`, its gas limit):
    /// BTM and ERC-20 single requests, mined tx/s.
    pub(crate) dev_harness: Option<Result<(Throughput, Throughput), String>>,
    /// The dev node with the devnet's block time and gas limit, measured like the devnet.
    pub(crate) dev_same: Option<NetResults>,
    /// The loaded devnet.
    pub(crate) main: Option<NetResults>,
    /// Idle devnets by committee size.
    pub(crate) sweep: Vec<NetResults>,
    /// `uptime` before and after.
    pub(crate) load_before: String,
    pub(crate) load_after: String,
}

fn uptime() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| {
            let f: Vec<&str> = s.split_whitespace().collect();
            format!(
                "load average {} {} {} (1, 5, 15 min)",
                f.first().unwrap_or(&""),
                f.get(1).unwrap_or(&""),
                f.get(2).unwrap_or(&"")
            )
        })
        .unwrap_or_default()
}

/// Runs the devnet phase.
pub(crate) async fn run(ctx: &Ctx, opts: &Opts) -> DevnetResults {
    let mut r = DevnetResults {
        load_before: uptime(),
        ..Default::default()
    };
    eprintln!("[devnet] machine: {}", r.load_before);
    if !opts.skip_dev {
        r.dev_harness = Some(dev_harness(ctx).await.map_err(|e| {
            eprintln!("[devnet] the dev node's harness runs failed: {e:#}");
            format!("{e:#}")
        }));
        r.dev_same = Some(dev_same(ctx, opts).await);
    }
    r.main = Some(loaded(ctx, opts).await);
    for &n in &opts.sweep {
        r.sweep.push(idle_net(ctx, opts, n).await);
    }
    r.load_after = uptime();
    r
}

/// The harness's dev-node throughput runs, as `--bytom2-only` does them.
async fn dev_harness(ctx: &Ctx) -> anyhow::Result<(Throughput, Throughput)> {
    let (node, _) = phases::start(ctx, Which::Bytom2, Some(1.0), "devnet-cmp", None)?;
    let result = async {
        let client = load::client(&node.url)?;
        let token = phases::setup_token(ctx, &client, ctx.chain_id, true).await?;
        let btm = phases::throughput(
            ctx,
            &client,
            &node.url,
            ctx.chain_id,
            Kind::Native,
            None,
            ctx.runs,
        )
        .await?;
        eprintln!("[dev node] BTM: {:.0} tx/s mined", btm.mined_tps());
        let erc20 = phases::throughput(
            ctx,
            &client,
            &node.url,
            ctx.chain_id,
            Kind::Erc20(token),
            None,
            ctx.runs,
        )
        .await?;
        eprintln!("[dev node] ERC-20: {:.0} tx/s mined", erc20.mined_tps());
        anyhow::Ok((btm, erc20))
    }
    .await;
    node.stop();
    result
}

/// The dev node with the devnet's block time and gas limit, measured as the devnet is.
async fn dev_same(ctx: &Ctx, opts: &Opts) -> NetResults {
    let mut r = NetResults {
        label: format!(
            "dev node, `--block-time {}`, gas limit {DEVNET_GAS_LIMIT}",
            opts.block_time
        ),
        ..Default::default()
    };
    let node = match NodeProc::bytom2(
        &ctx.bytom2,
        &ctx.spec_path,
        &ctx.scratch.join("bytom2-devnet-same"),
        DEVNET_GAS_LIMIT,
        Some(opts.block_time),
        &ctx.node_log_level,
        None,
    ) {
        Ok(n) => n,
        Err(e) => {
            r.failures.push(format!("start: {e:#}"));
            return r;
        }
    };
    let target = Target {
        url: node.url.clone(),
        procs: vec![("dev node".into(), node.pid(), None)],
    };
    if let Err(e) = measure_loaded(ctx, opts, &target, &mut r, "dev node").await {
        r.failures.push(format!("{e:#}"));
    }
    node.stop();
    r
}

/// The senders' funding on the devnet: 100 BTM each from the development accounts.
fn funding() -> U256 {
    U256::from(100u64) * U256::from(10u64).pow(U256::from(18))
}

/// The loaded devnet: `opts.validators` validators and a full node.
async fn loaded(ctx: &Ctx, opts: &Opts) -> NetResults {
    let mut r = NetResults {
        label: format!("devnet, {} validators + 1 full node", opts.validators),
        validators: opts.validators,
        ..Default::default()
    };
    let mut net = match Devnet::start(
        &ctx.bytom2,
        opts.validators,
        1,
        opts.block_time,
        DEVNET_GAS_LIMIT,
        &opts.log_level,
    ) {
        Ok(n) => n,
        Err(e) => {
            r.failures.push(format!("start: {e:#}"));
            return r;
        }
    };
    eprintln!(
        "[devnet] {} validators + 1 full node up in {}",
        opts.validators,
        net.dir.path().display()
    );
    let result = async {
        net.wait_height(2, Duration::from_secs(60)).await?;
        if opts.metrics {
            net.restart_with_metrics().await?;
            eprintln!("[devnet] every node restarted with --metrics-port");
        }
        let target = Target {
            url: net.full().rpc_url.clone(),
            procs: net
                .nodes
                .iter()
                .map(|n| (n.name.clone(), n.pid, n.metrics_url.clone()))
                .collect(),
        };
        let client = load::client(&target.url)?;
        r.funding_txs = measure::fund_senders(ctx, &client, ctx.chain_id, 10, funding()).await?;
        eprintln!(
            "[devnet] {} senders funded through the full node ({} transfers)",
            ctx.keys.len(),
            r.funding_txs
        );
        measure_loaded(ctx, opts, &target, &mut r, "devnet").await
    }
    .await;
    if let Err(e) = result {
        eprintln!("[devnet] failed: {e:#}");
        r.failures.push(format!("{e:#}"));
    }
    read_logs(&net, &mut r);
    r.logs = net.keep_logs("loaded");
    net.stop();
    r
}

/// The common measurements on a node serving the load: token, idle CPU, idle finality,
/// BTM then ERC-20 finalized runs, then BTM at half the BTM capacity.
async fn measure_loaded(
    ctx: &Ctx,
    opts: &Opts,
    target: &Target,
    r: &mut NetResults,
    tag: &str,
) -> anyhow::Result<()> {
    let client = load::client(&target.url)?;
    r.measured_from = load::block_number(&client).await? + 1;
    let token = phases::setup_token(ctx, &client, ctx.chain_id, true).await?;
    // Let the set-up's blocks settle before the idle measurements.
    measure::wait_base_fee(&client, 2_000_000_000, Duration::from_secs(60)).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = measure::idle(&client, target, opts.idle_seconds).await?;
    r.idle_cpu = idle.cpu.clone();
    r.idle_window = Some(idle);
    eprintln!(
        "[{tag}] idle CPU {:.1}% of one core ({})",
        r.idle_cpu_total(),
        r.idle_cpu
            .iter()
            .map(|(n, c)| format!("{n} {c:.1}%"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let idle = measure::idle_latency(
        &client,
        ctx.chain_id,
        &ctx.keys,
        opts.idle_samples,
        opts.block_time,
    )
    .await?;
    eprintln!(
        "[{tag}] idle finality p50 {:.0} ms p99 {:.0} ms",
        idle.p50_ms, idle.p99_ms
    );
    r.idle = Some(idle);
    match measure::finalized_runs(ctx, &client, target, ctx.chain_id, Kind::Native, "BTM").await {
        Ok(b) => r.btm = Some(b),
        Err(e) => r.failures.push(format!("BTM transfers: {e:#}")),
    }
    match measure::finalized_runs(
        ctx,
        &client,
        target,
        ctx.chain_id,
        Kind::Erc20(token),
        "ERC-20",
    )
    .await
    {
        Ok(b) => r.erc20 = Some(b),
        Err(e) => r.failures.push(format!("ERC-20 transfers: {e:#}")),
    }
    let capacity = r.btm.as_ref().map_or(0.0, KindRun::tps);
    if capacity > 0.0 {
        let rate = capacity / 2.0;
        match measure::open_loop(ctx, &client, target, ctx.chain_id, rate, opts.half_seconds).await
        {
            Ok(h) => {
                eprintln!(
                    "[{tag}] at {rate:.0} tx/s offered ({:.0} kept): finality p50 {:.0} ms p99 {:.0} ms",
                    h.achieved, h.latency.p50_ms, h.latency.p99_ms
                );
                r.half = Some(h);
            }
            Err(e) => r.failures.push(format!("half capacity: {e:#}")),
        }
    }
    Ok(())
}

/// Block flow and warnings from the devnet's logs.
fn read_logs(net: &Devnet, r: &mut NetResults) {
    let mut proposed = Vec::new();
    let mut full = Vec::new();
    for n in &net.nodes {
        let text = std::fs::read_to_string(&n.log).unwrap_or_default();
        if n.role == "full" {
            full = logs::block_lines(&text, "finalized block applied");
        } else {
            proposed.extend(logs::block_lines(&text, "proposed block"));
        }
        let (count, distinct) = logs::warnings(&text, 4);
        r.warnings.push((n.name.clone(), count, distinct));
    }
    let flow = |range: (u64, u64)| logs::block_flow(&full, &proposed, range);
    r.flow_idle = r.idle_window.as_ref().map(|w| flow(w.range));
    r.flow_btm = r.btm.as_ref().map(|b| flow(b.range));
    r.flow_erc20 = r.erc20.as_ref().map(|b| flow(b.range));
    r.flow_half = r.half.as_ref().map(|h| flow(h.range));
    if r.measured_from > 0 {
        r.flow_all = Some(flow((r.measured_from, u64::MAX)));
    }
}

/// An idle devnet of `validators` validators and a full node: idle CPU, then idle
/// finality latency with the development accounts (funded at genesis).
async fn idle_net(ctx: &Ctx, opts: &Opts, validators: usize) -> NetResults {
    let mut r = NetResults {
        label: format!("devnet, {validators} validators + 1 full node, idle"),
        validators,
        ..Default::default()
    };
    let mut net = match Devnet::start(
        &ctx.bytom2,
        validators,
        1,
        opts.block_time,
        DEVNET_GAS_LIMIT,
        &opts.log_level,
    ) {
        Ok(n) => n,
        Err(e) => {
            r.failures.push(format!("start: {e:#}"));
            return r;
        }
    };
    let result = async {
        net.wait_height(3, Duration::from_secs(120)).await?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let target = Target {
            url: net.full().rpc_url.clone(),
            procs: net
                .nodes
                .iter()
                .map(|n| (n.name.clone(), n.pid, None))
                .collect(),
        };
        let client = load::client(&target.url)?;
        r.measured_from = load::block_number(&client).await? + 1;
        let idle = measure::idle(&client, &target, opts.idle_seconds).await?;
        r.idle_cpu = idle.cpu.clone();
        r.idle_window = Some(idle);
        let keys = &ctx.keys[..ctx.keys.len().min(10)];
        let idle = measure::idle_latency(
            &client,
            ctx.chain_id,
            keys,
            opts.idle_samples,
            opts.block_time,
        )
        .await?;
        eprintln!(
            "[devnet {validators}v] idle CPU {:.1}% of one core, idle finality p50 {:.0} ms p99 {:.0} ms",
            r.idle_cpu_total(),
            idle.p50_ms,
            idle.p99_ms
        );
        r.idle = Some(idle);
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = result {
        eprintln!("[devnet {validators}v] failed: {e:#}");
        r.failures.push(format!("{e:#}"));
    }
    read_logs(&net, &mut r);
    r.logs = net.keep_logs("idle");
    net.stop();
    r
}
