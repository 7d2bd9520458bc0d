//! The `bytom2` binary: start-up, clear failures, graceful stop, restart on a data dir.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_bytom2");

/// Starts the binary and waits for its "Listening on" line; returns the child and address.
fn start(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut addr = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("Listening on ") {
            addr = Some(rest.trim().to_string());
            break;
        }
    }
    (child, addr.expect("node printed its address"))
}

fn rpc(addr: &str, method: &str) -> String {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":[]}}"#);
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    // SIGTERM by PID.
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap()
}

#[test]
fn dev_node_answers_quickly_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (mut child, addr) = start(&[
        "--dev",
        "--port",
        "0",
        "--datadir",
        dir.path().to_str().unwrap(),
    ]);
    let reply = rpc(&addr, "eth_chainId");
    let elapsed = started.elapsed();
    assert!(reply.contains(r#""result":"0x4a38""#), "{reply}");
    // Reported, not asserted as a timing bound: debug builds on a loaded CI machine vary.
    eprintln!("first RPC answer after {elapsed:?}");
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status:?}");

    // Restart on the same data directory: same chain, same head.
    let (mut child, addr) = start(&[
        "--dev",
        "--port",
        "0",
        "--datadir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(rpc(&addr, "eth_blockNumber").contains(r#""result":"0x0""#));
    assert!(terminate(&mut child).success());
}

#[test]
fn port_in_use_is_one_clear_line() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(BIN)
        .args(["--dev", "--port", &port, "--log-level", "error"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot listen") && stderr.contains(&port),
        "{stderr}"
    );
}

#[test]
fn bad_chain_spec_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("genesis.json");
    std::fs::write(
        &spec,
        "{\n  \"config\": { \"chainId\": 5 },\n  \"alloc\": { \"0xzz\": {} }\n}\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "--chain",
            spec.to_str().unwrap(),
            "--datadir",
            dir.path().join("d").to_str().unwrap(),
            "--port",
            "0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("alloc") && stderr.contains("line 3"),
        "{stderr}"
    );
}

#[test]
fn unusable_data_directory_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let out = Command::new(BIN)
        .args(["--dev", "--port", "0", "--datadir", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not-a-dir"), "{stderr}");
    let _ = Duration::ZERO;
}
