//! `bytom2 devnet`: a whole network on this machine in one command. It writes a chain
//! spec (the development chain's accounts and contracts, N genesis validators, M full
//! nodes as p2p observers) and a key per node into a directory, starts every node as a
//! separate `bytom2` process on 127.0.0.1 with its own ports, prints each RPC URL and the
//! funded development accounts, and stops them all on Ctrl-C or SIGTERM.
//!
//! Layout of the directory:
//! - `spec.json`: the chain spec;
//! - `validator-<i>/key.json`, `full-<j>/p2p.key`: the node keys (mode 0600);
//! - `<node>/data/`: each node's data directory; `<node>/node.log`: its output;
//! - `nodes.json`: each node's role, public key, ports, process id and command line (so
//!   scripts can stop, restart or inspect one node).
//!
//! Run again on the same directory, it restarts the same network from its data.

use anyhow::Context as _;
use bytom2_chainspec::{ChainSpec, DEV_MNEMONIC, GenesisValidator, ONE_BTM, dev_accounts};
use bytom2_consensus::keys::ValidatorKey;
use serde::{Deserialize, Serialize};
use std::{
    io::Write as _,
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// `bytom2 devnet` options.
#[derive(Debug, Clone, clap::Args)]
pub struct DevnetArgs {
    /// Directory for the spec, keys, data and logs (created if missing; an existing
    /// devnet there is restarted).
    #[arg(long, default_value = "devnet")]
    pub dir: PathBuf,
    /// Number of validators.
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Number of full nodes.
    #[arg(long, default_value_t = 1)]
    pub full_nodes: usize,
    /// Target block interval in seconds.
    #[arg(long, default_value_t = 0.5)]
    pub block_time: f64,
    /// First RPC port: full nodes get the first ones (so the first full node answers on
    /// the default 8545), validators the next; 0 picks free ports.
    #[arg(long, default_value_t = 8545)]
    pub rpc_port: u16,
    /// First p2p port (0 picks free ports).
    #[arg(long, default_value_t = 30300)]
    pub p2p_port: u16,
    /// Blocks per epoch of a new devnet.
    #[arg(long, default_value_t = 1_800)]
    pub epoch_length: u64,
    /// Block gas limit of a new devnet (its genesis `gasLimit`; every block keeps it).
    /// Default: the development chain's 30,000,000.
    #[arg(long)]
    pub gas_limit: Option<u64>,
    /// Log level of the nodes.
    #[arg(long, default_value = "info")]
    pub log_level: String,
    /// Write the spec and keys and exit without starting anything.
    #[arg(long)]
    pub init_only: bool,
}

/// One node of the devnet, as recorded in `nodes.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevnetNode {
    /// `validator-<i>` or `full-<j>`.
    pub name: String,
    /// `validator` or `full`.
    pub role: String,
    /// Its p2p (and, for a validator, consensus) public key.
    pub public_key: String,
    /// RPC URL.
    pub rpc_url: String,
    /// RPC port.
    pub rpc_port: u16,
    /// p2p port.
    pub p2p_port: u16,
    /// Process id while running.
    pub pid: Option<u32>,
    /// The `bytom2` arguments that start it.
    pub args: Vec<String>,
    /// Its output.
    pub log: PathBuf,
}

/// Picks `n` ports: consecutive from `base`, or free ones if `base` is 0.
fn ports(base: u16, n: usize) -> anyhow::Result<Vec<u16>> {
    if base != 0 {
        return (0..n)
            .map(|i| u16::try_from(usize::from(base) + i).context("port number above 65535"))
            .collect();
    }
    // Hold them all until every one is picked, so none is picked twice.
    let listeners: Vec<_> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .context("finding free ports")?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

/// Writes (or reads back) the devnet's spec and keys; returns the nodes to start.
fn prepare(args: &DevnetArgs) -> anyhow::Result<Vec<DevnetNode>> {
    let dir = &args.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let spec_path = dir.join("spec.json");
    let existing = spec_path.exists();
    let mut validator_keys = Vec::new();
    let mut full_keys = Vec::new();
    for i in 0..args.validators {
        let path = dir.join(format!("validator-{i}")).join("key.json");
        validator_keys.push((path.clone(), load_or_create(&path, existing)?));
    }
    for j in 0..args.full_nodes {
        let path = dir.join(format!("full-{j}")).join("p2p.key");
        full_keys.push((path.clone(), load_or_create(&path, existing)?));
    }
    if existing {
        let spec = ChainSpec::from_file(&spec_path).context("bad devnet spec.json")?;
        if let Some(limit) = args.gas_limit {
            anyhow::ensure!(
                spec.genesis.gas_limit == limit,
                "{} holds a devnet with gas limit {}; its genesis cannot change (use another --dir)",
                dir.display(),
                spec.genesis.gas_limit
            );
        }
        anyhow::ensure!(
            spec.params.validators.len() == args.validators,
            "{} holds a devnet of {} validators; pass --validators {} or use another --dir",
            dir.display(),
            spec.params.validators.len(),
            spec.params.validators.len()
        );
    } else {
        let mut spec = ChainSpec::dev();
        spec.params.epoch_length = args.epoch_length;
        if let Some(limit) = args.gas_limit {
            spec.genesis.gas_limit = limit;
        }
        spec.params.validators = validator_keys
            .iter()
            .enumerate()
            .map(|(i, (_, key))| GenesisValidator {
                public_key: alloy_primitives::B256::from(key.public_key_bytes()),
                fee_recipient: dev_accounts()[i % dev_accounts().len()].address,
                stake: ONE_BTM * alloy_primitives::U256::from(10_000u64),
            })
            .collect();
        spec.params.p2p.namespace = "bytom2-devnet".into();
        spec.params.p2p.observers = full_keys
            .iter()
            .map(|(_, k)| alloy_primitives::B256::from(k.public_key_bytes()))
            .collect();
        spec.validate().context("devnet spec")?;
        std::fs::write(&spec_path, spec.to_json())
            .with_context(|| format!("writing {}", spec_path.display()))?;
    }

    let n = args.validators + args.full_nodes;
    let rpc = ports(args.rpc_port, n)?;
    let p2p = ports(args.p2p_port, n)?;
    let block_time = format!("{}", args.block_time);
    // Every node starts from the validators.
    let bootstrap: Vec<String> = validator_keys
        .iter()
        .enumerate()
        .map(|(i, (_, k))| {
            format!(
                "{}@127.0.0.1:{}",
                k.public_key_hex(),
                p2p[args.full_nodes + i]
            )
        })
        .collect();
    let mut nodes = Vec::new();
    let mut add =
        |name: String, role: &str, key: &ValidatorKey, key_arg: (&str, &Path), k: usize| {
            let node_dir = dir.join(&name);
            let mut a = vec![
                "--chain".to_string(),
                spec_path.display().to_string(),
                "--datadir".into(),
                node_dir.join("data").display().to_string(),
                key_arg.0.into(),
                key_arg.1.display().to_string(),
                "--port".into(),
                rpc[k].to_string(),
                "--p2p-port".into(),
                p2p[k].to_string(),
                "--block-time".into(),
                block_time.clone(),
                "--log-level".into(),
                args.log_level.clone(),
            ];
            for b in &bootstrap {
                a.push("--bootstrap".into());
                a.push(b.clone());
            }
            nodes.push(DevnetNode {
                name,
                role: role.into(),
                public_key: key.public_key_hex(),
                rpc_url: format!("http://127.0.0.1:{}", rpc[k]),
                rpc_port: rpc[k],
                p2p_port: p2p[k],
                pid: None,
                args: a,
                log: node_dir.join("node.log"),
            });
        };
    for (j, (path, key)) in full_keys.iter().enumerate() {
        add(format!("full-{j}"), "full", key, ("--p2p-key", path), j);
    }
    for (i, (path, key)) in validator_keys.iter().enumerate() {
        add(
            format!("validator-{i}"),
            "validator",
            key,
            ("--validator-key", path),
            args.full_nodes + i,
        );
    }
    Ok(nodes)
}

fn load_or_create(path: &Path, existing: bool) -> anyhow::Result<ValidatorKey> {
    if path.exists() {
        return Ok(ValidatorKey::read(path)?);
    }
    anyhow::ensure!(
        !existing,
        "{} is missing from an existing devnet",
        path.display()
    );
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let key = ValidatorKey::generate();
    key.write(path)?;
    Ok(key)
}

fn write_nodes(dir: &Path, nodes: &[DevnetNode]) -> anyhow::Result<()> {
    let path = dir.join("nodes.json");
    let json = serde_json::to_string_pretty(nodes)?;
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))
}

fn spawn(exe: &Path, node: &DevnetNode) -> anyhow::Result<Child> {
    if let Some(parent) = node.log.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&node.log)
        .with_context(|| format!("opening {}", node.log.display()))?;
    Command::new(exe)
        .args(&node.args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", node.name))
}

/// Waits until `port` accepts connections.
fn wait_rpc(port: u16, child: &mut Child, name: &str, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("{name} exited ({status}) during start-up; see its node.log");
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{name} did not open its RPC port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends SIGTERM to `pid`.
fn terminate(pid: u32) {
    let _ = rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).expect("a child's pid is positive"),
        rustix::process::Signal::TERM,
    );
}

/// Runs `bytom2 devnet`.
pub fn run(args: DevnetArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.validators >= 1, "--validators must be at least 1");
    anyhow::ensure!(
        args.block_time > 0.0 && args.block_time.is_finite(),
        "--block-time must be a positive number of seconds"
    );
    let exe = std::env::current_exe().context("locating the bytom2 binary")?;
    let mut nodes = prepare(&args)?;
    if args.init_only {
        write_nodes(&args.dir, &nodes)?;
        println!("devnet written to {}", args.dir.display());
        return Ok(());
    }
    // Signals first: Ctrl-C during start-up stops what was started.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook_consts::SIGINT, signal_hook_consts::SIGTERM] {
        let _ = signal_flag(signal, stop.clone());
    }
    let mut children: Vec<(String, Child)> = Vec::new();
    let started = (|| -> anyhow::Result<()> {
        for node in nodes.iter_mut() {
            let child = spawn(&exe, node)?;
            node.pid = Some(child.id());
            children.push((node.name.clone(), child));
        }
        write_nodes(&args.dir, &nodes)?;
        for (node, (_, child)) in nodes.iter().zip(children.iter_mut()) {
            wait_rpc(node.rpc_port, child, &node.name, Duration::from_secs(60))?;
        }
        Ok(())
    })();
    if let Err(e) = started {
        stop_all(&mut children);
        return Err(e);
    }
    print_banner(&args, &nodes);
    // Runs until a signal; a node that exits on its own is reported once (the others
    // keep running: scripts may stop and restart nodes through nodes.json).
    let mut reported = vec![false; children.len()];
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        for (i, (name, child)) in children.iter_mut().enumerate() {
            if !reported[i]
                && let Ok(Some(status)) = child.try_wait()
            {
                reported[i] = true;
                eprintln!("{name} exited ({status}); see {}", nodes[i].log.display());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("stopping the devnet");
    stop_all(&mut children);
    Ok(())
}

fn stop_all(children: &mut [(String, Child)]) {
    for (_, child) in children.iter() {
        terminate(child.id());
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    for (name, child) in children.iter_mut() {
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() >= deadline => {
                    eprintln!("{name} did not stop; killing it");
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

fn print_banner(args: &DevnetArgs, nodes: &[DevnetNode]) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "bytom2 devnet: {} validators, {} full nodes, {} s blocks ({})",
        args.validators,
        args.full_nodes,
        args.block_time,
        args.dir.display()
    );
    let _ = writeln!(out);
    for node in nodes {
        let _ = writeln!(
            out,
            "{:<12} {:<9} RPC {}  p2p 127.0.0.1:{}  pid {}  key {}",
            node.name,
            node.role,
            node.rpc_url,
            node.p2p_port,
            node.pid.unwrap_or_default(),
            node.public_key
        );
    }
    let _ = write_dev_accounts(&mut out);
    let _ = writeln!(out, "\nPress Ctrl-C to stop the devnet.");
    let _ = out.flush();
}

/// Prints the funded development accounts, their keys and the mnemonic (as `--dev`
/// and `devnet` show them).
pub fn write_dev_accounts(out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "\nAvailable Accounts (10,000 BTM each)\n=================="
    )?;
    for (i, a) in dev_accounts().iter().enumerate() {
        writeln!(out, "({i}) {}", a.address)?;
    }
    writeln!(out, "\nPrivate Keys\n==================")?;
    for (i, a) in dev_accounts().iter().enumerate() {
        writeln!(out, "({i}) {}", a.private_key)?;
    }
    writeln!(out, "\nMnemonic: {DEV_MNEMONIC}")
}

/// Minimal signal flags (SIGINT, SIGTERM) without a signal-handling dependency: a
/// tokio runtime on a helper thread waits for the signals.
fn signal_flag(
    signal: i32,
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal as listen};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut stream = runtime.block_on(async { listen(SignalKind::from_raw(signal)) })?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            stream.recv().await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
    });
    Ok(())
}

mod signal_hook_consts {
    pub(super) const SIGINT: i32 = 2;
    pub(super) const SIGTERM: i32 = 15;
}
