//! `bytom2-bench`: measures bytom2 and Foundry's anvil on the same machine in the same run
//! and prints ratios (issue #4). Benchmarks report; they never fail on a number.
//!
//! Phases: end-to-end throughput (BTM and ERC-20 transfers, single requests and batches),
//! inclusion latency at half capacity, the read path (64 concurrent clients), peak memory
//! and data size, start-up time; on bytom2 alone, native (type 0x62) against Ethereum BTM
//! transfers (issue #5); wallets that poll receipts and explorers that read while blocks
//! are made (issue #19, `--only wallets`); a BFT devnet of validators and a full node
//! against the dev node (issue #21, `--only devnet`). Run through `bench/run.sh`.

mod devnet;
mod load;
mod native;
mod nodes;
mod phases;
mod report;
mod wallets;
mod wire;

use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};
use anyhow::Context;
use bytom2_chainspec::{ChainSpec, DEV_MNEMONIC, GenesisAccount};
use clap::Parser;
use std::path::PathBuf;

/// Command line.
#[derive(Debug, Parser)]
struct Args {
    /// The bytom2 binary (build it with --release).
    #[arg(long, default_value = "target/release/bytom2")]
    bytom2: PathBuf,
    /// The anvil binary (npm @foundry-rs/anvil-linux-amd64, pinned in tests/package.json).
    #[arg(
        long,
        default_value = "tests/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
    )]
    anvil: PathBuf,
    /// Transactions per throughput workload.
    #[arg(long, default_value_t = 20_000)]
    txs: usize,
    /// Distinct senders.
    #[arg(long, default_value_t = 200)]
    senders: usize,
    /// Transactions of each steady-state run (single requests, BTM then ERC-20, one run
    /// each on a fresh node); 0 skips the phase.
    #[arg(long, default_value_t = 100_000)]
    steady_txs: usize,
    /// Requests in flight while submitting.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Block gas limit of both nodes (high enough that neither is capped).
    #[arg(long, default_value_t = 2_000_000_000)]
    gas_limit: u64,
    /// Seconds each read-path method is measured.
    #[arg(long, default_value_t = 5)]
    read_seconds: u64,
    /// Only measure bytom2 (for profiling); no report is written.
    #[arg(long)]
    bytom2_only: bool,
    /// Run one phase only: `native` (native vs Ethereum transfers on bytom2); its section
    /// of the report is replaced in `--out`.
    #[arg(long, value_enum)]
    only: Option<Only>,
    /// Runs of each throughput workload on each node; the run with the median mined rate
    /// is reported (with 1-second blocks one run can gain or lose up to a block time).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// `--log-level` of the bytom2 nodes started (their log goes to stderr); `info`
    /// shows how long each block took to build and commit.
    #[arg(long, default_value = "warn")]
    node_log_level: String,
    /// Where to write the markdown report.
    #[arg(long, default_value = "bench/RESULTS.md")]
    out: PathBuf,
    /// `--only devnet`: validators of the devnet under load (plus 1 full node).
    #[arg(long, default_value_t = 4)]
    devnet_validators: usize,
    /// `--only devnet`: committee sizes of the idle devnets (idle CPU and finality).
    #[arg(long, value_delimiter = ',', default_value = "4,7,10")]
    devnet_sweep: Vec<usize>,
    /// `--only devnet`: block time of the devnets (s).
    #[arg(long, default_value_t = 0.5)]
    devnet_block_time: f64,
    /// `--only devnet`: transfers timed one at a time for the idle finality latency.
    #[arg(long, default_value_t = 50)]
    devnet_idle_samples: usize,
    /// `--only devnet`: seconds of each idle CPU measurement.
    #[arg(long, default_value_t = 20.0)]
    devnet_idle_seconds: f64,
    /// `--only devnet`: seconds of the open-loop load at half the measured capacity.
    #[arg(long, default_value_t = 20.0)]
    devnet_half_seconds: f64,
    /// `--only devnet`: do not restart the loaded devnet's nodes with `--metrics-port`.
    #[arg(long)]
    devnet_no_metrics: bool,
    /// `--only devnet`: skip the dev node's runs.
    #[arg(long)]
    devnet_skip_dev: bool,
    /// `--only devnet`: `--log-level` of the devnets' nodes (their logs are kept under
    /// the system temp dir as `bytom2-bench-devnet-*`).
    #[arg(long, default_value = "info")]
    devnet_log_level: String,
}

/// Phases that can run alone.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Only {
    /// Native vs Ethereum BTM transfers on bytom2.
    Native,
    /// The read path on both nodes (printed, not written to the report).
    Reads,
    /// Wallets polling receipts and readers during block production, on both nodes
    /// (issue #19); its section of the report is replaced in `--out`.
    Wallets,
    /// `bytom2 devnet` (validators and a full node) measured through its full node,
    /// beside the dev node (issue #21); its section of the report is replaced in `--out`.
    Devnet,
}

fn keys(count: usize) -> anyhow::Result<Vec<PrivateKeySigner>> {
    (0..count as u32)
        .map(|i| {
            MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(i)?
                .build()
                .context("deriving a key")
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let keys = keys(args.senders)?;
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = args.gas_limit;
    let btm = alloy_primitives::U256::from(1_000_000u64)
        * alloy_primitives::U256::from(10u64).pow(alloy_primitives::U256::from(18));
    for k in &keys {
        spec.genesis
            .alloc
            .insert(k.address(), GenesisAccount::with_balance(btm));
    }
    let dir = tempfile::tempdir()?;
    let spec_path = dir.path().join("bench-genesis.json");
    std::fs::write(&spec_path, spec.to_json())?;
    let ctx = phases::Ctx {
        bytom2: args.bytom2.clone(),
        anvil: args.anvil.clone(),
        spec_path,
        chain_id: spec.chain_id,
        keys,
        txs: args.txs,
        steady_txs: args.steady_txs,
        concurrency: args.concurrency,
        gas_limit: args.gas_limit,
        read_seconds: args.read_seconds,
        scratch: dir.path().to_path_buf(),
        runs: args.runs,
        node_log_level: args.node_log_level.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(Only::Reads) = args.only {
        for (name, reads) in runtime.block_on(phases::reads_only(&ctx))? {
            for (label, rate) in reads {
                println!("{name} {label}: {rate:.0} req/s");
            }
        }
        return Ok(());
    }
    if let Some(Only::Wallets) = args.only {
        let r = runtime.block_on(wallets::run(&ctx))?;
        let section = wallets::section(&args_summary(&args), &r);
        return replace_section(&args.out, wallets::TITLE, &section);
    }
    if let Some(Only::Devnet) = args.only {
        let opts = devnet::Opts {
            validators: args.devnet_validators,
            sweep: args.devnet_sweep.clone(),
            idle_samples: args.devnet_idle_samples,
            idle_seconds: args.devnet_idle_seconds,
            half_seconds: args.devnet_half_seconds,
            block_time: args.devnet_block_time,
            metrics: !args.devnet_no_metrics,
            skip_dev: args.devnet_skip_dev,
            log_level: args.devnet_log_level.clone(),
        };
        let busy = |when: &str| {
            let list = devnet::busy_processes(3.0);
            let text = if list.is_empty() {
                "none".to_string()
            } else {
                list.iter()
                    .map(|(n, p)| format!("{n} {p:.0}%"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            eprintln!("[devnet] other processes above 5% of a core {when}: {text}");
            format!("other processes above 5% of a core over 3 s {when}: {text}")
        };
        let before = busy("before");
        let r = runtime.block_on(devnet::run(&ctx, &opts));
        let after = busy("after");
        let setup = format!(
            "{} transactions per run from {} senders, {} requests in flight, {} runs of each workload (median reported)",
            args.txs, args.senders, args.concurrency, args.runs
        );
        let section = devnet::section(&setup, &opts, &r, &format!("{before}; {after}."));
        return replace_section(&args.out, devnet::TITLE, &section);
    }
    if let Some(Only::Native) = args.only {
        let r = runtime
            .block_on(phases::native_vs_eth(&ctx))
            .map_err(|e| format!("{e:#}"));
        let section = report::native_section(&args_summary(&args), &r);
        replace_section(&args.out, report::NATIVE_TITLE, &section)?;
        return r.map(|_| ()).map_err(|e| anyhow::anyhow!(e));
    }
    if args.bytom2_only {
        let r = runtime.block_on(phases::run_bytom2(&ctx))?;
        eprintln!("{r:#?}");
        return Ok(());
    }
    let results = runtime.block_on(phases::run_all(&ctx))?;
    let mut md = report::markdown(&args_summary(&args), &results);
    // Wallets and explorers (issue #19), on fresh nodes of their own.
    match runtime.block_on(wallets::run(&ctx)) {
        Ok(w) => {
            let section = wallets::section(&args_summary(&args), &w);
            md = report::splice(&md, wallets::TITLE, &section);
        }
        Err(e) => eprintln!("the wallets phase failed: {e:#}"),
    }
    // The devnet section (`--only devnet`) is kept from the previous report.
    let old = std::fs::read_to_string(&args.out).unwrap_or_default();
    if let Some(start) = old.find(devnet::TITLE) {
        let rest = &old[start + devnet::TITLE.len()..];
        let end = rest
            .find("\n## ")
            .map_or(old.len(), |e| start + devnet::TITLE.len() + e);
        md = report::splice(&md, devnet::TITLE, &old[start..end]);
    }
    println!("{md}");
    std::fs::write(&args.out, md).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

/// Prints `section` and puts it in place of the section titled `title` of the report at
/// `out`.
fn replace_section(out: &std::path::Path, title: &str, section: &str) -> anyhow::Result<()> {
    println!("{section}");
    let old = std::fs::read_to_string(out).unwrap_or_default();
    std::fs::write(out, report::splice(&old, title, section))
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!("updated the section {title:?} of {}", out.display());
    Ok(())
}

fn args_summary(a: &Args) -> String {
    format!(
        "{} transactions per workload from {} senders, {} requests in flight, block gas limit {} on both nodes, `--block-time 1`, {} runs of each throughput workload (median reported)",
        a.txs, a.senders, a.concurrency, a.gas_limit, a.runs
    )
}
