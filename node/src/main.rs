//! The `bytom2` binary: `bytom2 --dev` runs a one-validator development chain with the
//! Ethereum JSON-RPC on one port.

use anyhow::Context as _;
use bytom2_chainspec::{ChainSpec, dev_accounts};
use bytom2_eth_rpc::{RpcConfig, start_server};
use bytom2_node::{Chain, DevMiner, MinerConfig, Mining, Node, NodeConfig, PoolConfig, priority};
use clap::{Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

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
    /// Block gas limit of produced blocks (and of the genesis of a new chain). Single-node
    /// chains only: a network's limit is its chain spec's genesis `gasLimit`.
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
    /// Run as a validator with this key file (`bytom2 keygen`); the chain spec's
    /// validators must include it. Without it, a chain spec with validators runs a full
    /// node.
    #[arg(long, value_name = "FILE")]
    validator_key: Option<PathBuf>,
    /// A full node's p2p key file (default `<datadir>/p2p.key`, created if missing); the
    /// chain spec's `p2p.observers` must list its public key.
    #[arg(long, value_name = "FILE")]
    p2p_key: Option<PathBuf>,
    /// p2p port.
    #[arg(long, default_value_t = 30303)]
    p2p_port: u16,
    /// p2p listen address.
    #[arg(long, default_value = "127.0.0.1")]
    p2p_host: std::net::IpAddr,
    /// Serve Prometheus metrics at `http://HOST:PORT/metrics` (0 picks a free port).
    #[arg(long, value_name = "PORT")]
    metrics_port: Option<u16>,
    /// Metrics listen address.
    #[arg(long, default_value = "127.0.0.1")]
    metrics_host: std::net::IpAddr,
    /// The address peers dial this node at (default: the p2p listen address; required
    /// when listening on 0.0.0.0).
    #[arg(long, value_name = "IP:PORT")]
    p2p_external: Option<SocketAddr>,
    /// A peer to start from, `PUBKEY@HOST:PORT` (repeatable; HOST an IP or a DNS name).
    #[arg(long, value_name = "PUBKEY@HOST:PORT")]
    bootstrap: Vec<String>,
    /// Test-only (cargo feature `equivocate`): as a validator, sign a conflicting vote
    /// after each vote, so honest nodes record evidence against this one.
    #[cfg(feature = "equivocate")]
    #[arg(long)]
    equivocate: bool,
}

// Parsed once at start-up: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Command-line wallet: balances, outputs, sending and issuing native assets through a
    /// node's RPC.
    Wallet(bytom2_node::wallet::WalletArgs),
    /// Write a new validator key (ed25519) to a file (mode 0600) and print its public key.
    Keygen {
        /// The key file to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Run a local network: N validators and M full nodes as separate processes.
    Devnet(bytom2_node::devnet::DevnetArgs),
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let result = match cli.command.take() {
        Some(Command::Wallet(args)) => bytom2_node::wallet::run(args),
        Some(Command::Keygen { out }) => keygen(&out),
        Some(Command::Devnet(args)) => bytom2_node::devnet::run(args),
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

fn keygen(out: &std::path::Path) -> anyhow::Result<()> {
    let key = bytom2_consensus::keys::ValidatorKey::generate();
    key.write(out)?;
    println!("{}", key.public_key_hex());
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log_level)
        .with_context(|| format!("bad --log-level {:?}", cli.log_level))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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
    // A network node checks its keys before touching the data directory.
    let network = if !is_dev && !spec.params.validators.is_empty() {
        if cli.gas_limit.is_some() {
            anyhow::bail!(
                "--gas-limit applies to a single-node chain; a network's block gas limit is its chain spec's genesis gasLimit"
            );
        }
        Some(network_config(&cli, &spec, &datadir)?)
    } else {
        if cli.validator_key.is_some() {
            anyhow::bail!("--validator-key needs a chain spec with validators (bytom2.validators)");
        }
        None
    };
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
    let miner = network.is_none().then(|| {
        DevMiner::new(
            node.clone(),
            MinerConfig {
                mining,
                gas_limit: cli.gas_limit,
                dev_keys: is_dev.then(|| dev_accounts().iter().map(|a| a.private_key).collect()),
                ..MinerConfig::default()
            },
        )
    });

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
    // A network node joins before the RPC server starts, so that the server offers
    // `dpos_*`.
    let node_metrics = Arc::new(bytom2_node::metrics::NodeMetrics::default());
    let rpc_metrics = Arc::new(bytom2_eth_rpc::RpcMetrics::default());
    if cli.metrics_port.is_some() {
        rpc_config.metrics = Some(rpc_metrics.clone());
    }
    let mut network_handle = match network {
        Some(network) if miner.is_none() => Some(bytom2_node::network::start(
            node.clone(),
            network,
            node_metrics.clone(),
        )?),
        _ => None,
    };
    if let Some(port) = cli.metrics_port {
        let addr = runtime.block_on(bytom2_node::metrics::serve(
            SocketAddr::new(cli.metrics_host, port),
            node.clone(),
            node_metrics.clone(),
            rpc_metrics.clone(),
            network_handle.as_ref().map(|h| h.metrics.clone()),
        ))?;
        println!("Metrics: http://{addr}/metrics");
    }
    let server = runtime
        .block_on(start_server(node.clone(), rpc_config))
        .context("starting the RPC server")?;

    print_banner(is_dev, chain_id, &datadir, &server.http_url());

    let (exited_tx, mut exited_rx) = tokio::sync::oneshot::channel::<()>();
    let producer = match (miner, network_handle.as_mut()) {
        (Some(miner), _) => Some(
            std::thread::Builder::new()
                .name("bytom2-producer".into())
                .spawn(move || {
                    let result = miner.run();
                    let _ = exited_tx.send(());
                    result
                })
                .context("starting the block producer")?,
        ),
        (None, Some(handle)) => {
            exited_rx = handle
                .exited
                .take()
                .expect("a new handle has its exit signal");
            None
        }
        (None, None) => unreachable!("a node without a miner is a network node"),
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
    let network_stopped = network_handle.is_some();
    if let Some(network) = network_handle {
        network.stop(SHUTDOWN_GRACE);
    }
    if let Some(producer) = producer {
        let produced = producer
            .join()
            .map_err(|_| anyhow::anyhow!("block producer panicked"))?;
        produced.context("block producer failed")?;
    }
    // A call still running on the blocking pool (a long trace, say) holds nothing the
    // data directory needs: it is not waited for.
    runtime.shutdown_timeout(Duration::ZERO);
    if !signalled {
        if network_stopped {
            anyhow::bail!("consensus stopped unexpectedly; the log above says why");
        }
        anyhow::bail!("block producer stopped unexpectedly");
    }
    tracing::info!(target: "node", "stopped");
    Ok(())
}

/// The network side's settings from the command line and the chain spec: the node's key
/// (a validator's, which must be in the committee, or a full node's, which must be an
/// observer), the p2p addresses and the committee.
fn network_config(
    cli: &Cli,
    spec: &ChainSpec,
    datadir: &std::path::Path,
) -> anyhow::Result<bytom2_node::network::NetworkConfig> {
    use bytom2_consensus::{Committee, Member, keys};
    let members = spec
        .params
        .validators
        .iter()
        .map(|v| {
            Ok(Member {
                key: keys::public_key_from_bytes(&v.public_key.0)
                    .with_context(|| format!("chain spec validator {}", v.public_key))?,
                fee_recipient: v.fee_recipient,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let committee = std::sync::Arc::new(Committee::new(members).context("chain spec validators")?);
    let observers = spec
        .params
        .p2p
        .observers
        .iter()
        .map(|k| {
            keys::public_key_from_bytes(&k.0).with_context(|| format!("chain spec observer {k}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (key, validator) = match &cli.validator_key {
        Some(path) => {
            let key = keys::ValidatorKey::read(path)?;
            anyhow::ensure!(
                committee.contains(&key.public_key()),
                "validator key {} ({}) is not in the chain spec's validators",
                key.public_key_hex(),
                path.display()
            );
            (key, true)
        }
        None => {
            let path = cli
                .p2p_key
                .clone()
                .unwrap_or_else(|| datadir.join("p2p.key"));
            let key = if path.exists() || cli.p2p_key.is_some() {
                keys::ValidatorKey::read(&path)?
            } else {
                std::fs::create_dir_all(datadir)
                    .with_context(|| format!("creating {}", datadir.display()))?;
                let key = keys::ValidatorKey::generate();
                key.write(&path)?;
                key
            };
            anyhow::ensure!(
                observers.contains(&key.public_key()),
                "full node key {} ({}) is not among the chain spec's p2p observers (bytom2.p2p.observers)",
                key.public_key_hex(),
                path.display()
            );
            (key, false)
        }
    };
    let bootstrappers = cli
        .bootstrap
        .iter()
        .map(|b| parse_bootstrap(b))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let block_time = match cli.block_time {
        Some(secs) if secs > 0.0 && secs.is_finite() => Duration::from_secs_f64(secs),
        Some(secs) => {
            anyhow::bail!("--block-time must be a positive number of seconds, got {secs}")
        }
        None => Duration::from_millis(500),
    };
    anyhow::ensure!(
        cli.p2p_port != 0,
        "--p2p-port must be a fixed port on a network (peers dial it)"
    );
    let listen = SocketAddr::new(cli.p2p_host, cli.p2p_port);
    let dialable = match cli.p2p_external {
        Some(addr) => addr,
        None if listen.ip().is_unspecified() => anyhow::bail!(
            "--p2p-host {} needs --p2p-external IP:PORT (the address peers dial)",
            listen.ip()
        ),
        None => listen,
    };
    // Before the data directory is opened: a port in use is the only thing said.
    drop(
        std::net::TcpListener::bind(listen)
            .with_context(|| format!("p2p address {listen} is not available"))?,
    );
    Ok(bytom2_node::network::NetworkConfig {
        key: key.private_key().clone(),
        validator,
        committee,
        observers,
        namespace: spec.params.p2p.namespace.clone(),
        epoch_length: std::num::NonZeroU64::new(spec.params.epoch_length)
            .context("epoch length is zero")?,
        listen,
        dialable,
        bootstrappers,
        block_time,
        storage: datadir.join("consensus"),
        worker_threads: 2,
        #[cfg(feature = "equivocate")]
        equivocate: cli.equivocate,
        #[cfg(not(feature = "equivocate"))]
        equivocate: false,
    })
}

/// Parses `PUBKEY@HOST:PORT`; a host that is not an IP address is a DNS name, resolved
/// at each dial (container names resolve only once their container runs).
fn parse_bootstrap(
    s: &str,
) -> anyhow::Result<(bytom2_consensus::PublicKey, commonware_p2p::Ingress)> {
    let (key, addr) = s
        .split_once('@')
        .with_context(|| format!("--bootstrap {s:?} is not PUBKEY@HOST:PORT"))?;
    let key = bytom2_consensus::keys::parse_public_key(key)
        .with_context(|| format!("--bootstrap {s:?}"))?;
    if let Ok(socket) = addr.parse::<SocketAddr>() {
        return Ok((key, commonware_p2p::Ingress::Socket(socket)));
    }
    let (host, port) = addr
        .rsplit_once(':')
        .with_context(|| format!("--bootstrap {s:?}: expected HOST:PORT"))?;
    let port: u16 = port
        .parse()
        .with_context(|| format!("--bootstrap {s:?}: bad port"))?;
    let host = commonware_utils::hostname::Hostname::new(host)
        .map_err(|e| anyhow::anyhow!("--bootstrap {s:?}: bad host name: {e}"))?;
    Ok((key, commonware_p2p::Ingress::Dns { host, port }))
}

fn print_banner(dev: bool, chain_id: u64, datadir: &std::path::Path, url: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "bytom2 {}", env!("CARGO_PKG_VERSION"));
    if dev {
        let _ = bytom2_node::devnet::write_dev_accounts(&mut out);
    }
    let _ = writeln!(out, "\nChain ID: {chain_id}");
    let _ = writeln!(out, "Data directory: {}", datadir.display());
    let _ = writeln!(out, "RPC URL: {url}");
    let _ = writeln!(out, "Listening on {}", url.trim_start_matches("http://"));
    let _ = out.flush();
}
