//! The `bytom2` binary: `bytom2 --dev` runs a one-validator development chain with the
//! Ethereum JSON-RPC on one port.

use anyhow::Context as _;
use bytom2_chainspec::{ChainSpec, dev_accounts};
use bytom2_eth_rpc::{RpcConfig, start_server};
use bytom2_node::{Chain, DevMiner, MinerConfig, Mining, Node, NodeConfig, PoolConfig, priority};
use clap::{Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

/// jemalloc instead of glibc malloc, as reth does: RPC handling and block execution make
/// many small, short-lived allocations across threads (see docs/performance.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// How long a shutdown waits for RPC calls in progress to answer.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// bytom2: an EVM-compatible UTXO chain.
#[derive(Debug, Parser)]
#[command(
    name = "bytom2",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// A tool instead of the node.
    #[command(subcommand)]
    command: Option<Command>,
    /// Run a one-validator development chain (dev chain spec, pre-funded test accounts,
    /// a fresh temporary data directory unless --datadir is given).
    #[arg(long)]
    dev: bool,
    /// RPC port (HTTP and WebSocket); 0 picks a free port and prints it.
    #[arg(long, default_value_t = 8545)]
    port: u16,
    /// RPC listen address.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Data directory (created if missing). Restarting on it continues the same chain.
    #[arg(long)]
    datadir: Option<PathBuf>,
    /// Mine a block every SECONDS; without it a block is mined as soon as transactions
    /// arrive.
    #[arg(long, value_name = "SECONDS")]
    block_time: Option<f64>,
    /// Chain spec JSON (geth genesis shape plus the bytom2 section) instead of the dev spec.
    #[arg(long, value_name = "FILE")]
    chain: Option<PathBuf>,
    /// Block gas limit of produced blocks (and of the genesis of a new chain).
    #[arg(long)]
    gas_limit: Option<u64>,
    /// Log level or filter (error, warn, info, debug, trace, or a tracing filter).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Largest number of transactions in the mempool.
    #[arg(long, default_value_t = 100_000)]
    max_pool_txs: usize,
    /// The `web3_clientVersion` answer (default `bytom2/v<version>/<os>-<arch>`). Hardhat's
    /// network-helpers run only against a version starting with `hardhat`, `anvil` or
    /// `zksync` (docs/dev-node.md); with --dev, `anvil/bytom2` lets them run.
    #[arg(long, value_name = "STRING")]
    client_version: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Command-line wallet: balances, outputs, sending and issuing native assets through a
    /// node's RPC.
    Wallet(bytom2_node::wallet::WalletArgs),
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let result = match cli.command.take() {
        Some(Command::Wallet(args)) => bytom2_node::wallet::run(args),
        None => run(cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bytom2: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log_level)
        .with_context(|| format!("bad --log-level {:?}", cli.log_level))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let mut spec = match (&cli.chain, cli.dev) {
        (Some(path), _) => ChainSpec::from_file(path).context("bad chain spec")?,
        (None, true) => ChainSpec::dev(),
        (None, false) => anyhow::bail!("pass --dev for a development chain or --chain FILE"),
    };
    let chain_id = spec.chain_id;
    let is_dev = cli.dev;

    let (datadir, _temp) = match &cli.datadir {
        Some(dir) => (dir.clone(), None),
        None if is_dev => {
            let temp = tempfile::Builder::new()
                .prefix("bytom2-dev-")
                .tempdir()
                .context("creating a temporary data directory")?;
            (temp.path().to_path_buf(), Some(temp))
        }
        None => anyhow::bail!("--datadir is required without --dev"),
    };
    // --gas-limit shapes the genesis of a new chain only; an existing chain keeps its
    // genesis and produces blocks with the new limit.
    if let Some(limit) = cli.gas_limit
        && !Chain::exists(&datadir)
    {
        spec.genesis.gas_limit = limit;
    }
    let chain = Chain::open(&datadir, spec)
        .with_context(|| format!("opening data directory {}", datadir.display()))?;

    let mining = match cli.block_time {
        Some(secs) if secs > 0.0 && secs.is_finite() => {
            Mining::Interval(Duration::from_secs_f64(secs))
        }
        Some(secs) => {
            anyhow::bail!("--block-time must be a positive number of seconds, got {secs}")
        }
        None => Mining::Auto,
    };
    let config = NodeConfig {
        pool: PoolConfig {
            max_count: cli.max_pool_txs,
            ..PoolConfig::default()
        },
        ..NodeConfig::default()
    };
    let node = Node::new(chain, config);
    let miner = DevMiner::new(
        node.clone(),
        MinerConfig {
            mining,
            gas_limit: cli.gas_limit,
            dev_keys: is_dev.then(|| dev_accounts().iter().map(|a| a.private_key).collect()),
            ..MinerConfig::default()
        },
    );

    // Every RPC thread (async workers and the blocking pool) runs below the producer's
    // priority: reads wait for the block, not the other way round (module `priority`).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bytom2-rpc")
        .on_thread_start(|| {
            if let Err(e) = priority::lower_current_thread() {
                tracing::debug!(target: "node", error = %e, "cannot lower an RPC thread's priority");
            }
        })
        .build()
        .context("starting the async runtime")?;
    // Handlers first: a signal that arrives once the address is printed must find them.
    let (mut term, mut int) = runtime
        .block_on(async {
            use tokio::signal::unix::{SignalKind, signal};
            Ok::<_, std::io::Error>((
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
            ))
        })
        .context("installing signal handlers")?;
    let addr = SocketAddr::new(cli.host, cli.port);
    let mut rpc_config = RpcConfig::new(addr);
    if let Some(version) = cli.client_version.clone() {
        rpc_config.client_version = version;
    }
    let server = runtime
        .block_on(start_server(node.clone(), rpc_config))
        .context("starting the RPC server")?;

    print_banner(is_dev, chain_id, &datadir, &server.http_url());

    let (exited_tx, exited_rx) = tokio::sync::oneshot::channel::<()>();
    let producer = {
        let miner = miner.clone();
        std::thread::Builder::new()
            .name("bytom2-producer".into())
            .spawn(move || {
                let result = miner.run();
                let _ = exited_tx.send(());
                result
            })
            .context("starting the block producer")?
    };

    // Run until a signal, or until the producer stops on its own (a storage failure).
    let signalled = runtime.block_on(async {
        tokio::select! {
            _ = int.recv() => true,
            _ = term.recv() => true,
            _ = exited_rx => false,
        }
    });
    if signalled {
        tracing::info!(target: "node", "shutting down");
    }
    // Stop taking requests first; then the producer finishes the block in progress and a
    // development method that mines many blocks stops after the one it is mining.
    server.stop();
    node.shutdown();
    let stopped = runtime.block_on(async {
        // The timer needs the runtime: it is made inside it.
        tokio::time::timeout(SHUTDOWN_GRACE, server.stopped()).await
    });
    if stopped.is_err() {
        tracing::warn!(target: "node", "RPC calls still running at shutdown are abandoned");
    }
    let produced = producer
        .join()
        .map_err(|_| anyhow::anyhow!("block producer panicked"))?;
    produced.context("block producer failed")?;
    // A call still running on the blocking pool (a long trace, say) holds nothing the
    // data directory needs: it is not waited for.
    runtime.shutdown_timeout(Duration::ZERO);
    if !signalled {
        anyhow::bail!("block producer stopped unexpectedly");
    }
    tracing::info!(target: "node", "stopped");
    Ok(())
}

fn print_banner(dev: bool, chain_id: u64, datadir: &std::path::Path, url: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "bytom2 {}", env!("CARGO_PKG_VERSION"));
    if dev {
        let _ = writeln!(
            out,
            "\nAvailable Accounts (10,000 BTM each)\n=================="
        );
        for (i, a) in dev_accounts().iter().enumerate() {
            let _ = writeln!(out, "({i}) {}", a.address);
        }
        let _ = writeln!(out, "\nPrivate Keys\n==================");
        for (i, a) in dev_accounts().iter().enumerate() {
            let _ = writeln!(out, "({i}) {}", a.private_key);
        }
        let _ = writeln!(out, "\nMnemonic: {}", bytom2_chainspec::DEV_MNEMONIC);
    }
    let _ = writeln!(out, "\nChain ID: {chain_id}");
    let _ = writeln!(out, "Data directory: {}", datadir.display());
    let _ = writeln!(out, "RPC URL: {url}");
    let _ = writeln!(out, "Listening on {}", url.trim_start_matches("http://"));
    let _ = out.flush();
}
