//! The network side of the `bytom2` binary from the command line: `keygen`, and the one-line
//! failures of a validator or full node (bad key file, key not in the committee, full node
//! key not an observer, p2p port in use).

use std::{
    net::TcpListener,
    os::unix::fs::PermissionsExt as _,
    path::Path,
    process::{Command, Output},
};

const BIN: &str = env!("CARGO_BIN_EXE_bytom2");

fn bytom2(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// The single line a failing run printed on stderr.
fn one_line_error(out: &Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

/// `bytom2 devnet --init-only` in `dir` (1 validator, 1 full node).
fn init_devnet(dir: &Path) -> serde_json::Value {
    let out = bytom2(&[
        "devnet",
        "--dir",
        dir.to_str().unwrap(),
        "--validators",
        "1",
        "--full-nodes",
        "1",
        "--rpc-port",
        "0",
        "--p2p-port",
        "0",
        "--init-only",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(dir.join("nodes.json")).unwrap()).unwrap()
}

#[test]
fn keygen_writes_a_private_key_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.json");
    let out = bytom2(&["keygen", "--out", path.to_str().unwrap()]);
    assert!(out.status.success());
    let public = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(public.starts_with("0x") && public.len() == 66, "{public}");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(file.contains(&public));
    // Never overwritten.
    let again = bytom2(&["keygen", "--out", path.to_str().unwrap()]);
    let err = one_line_error(&again);
    assert!(err.contains("key.json"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), file);
}

#[test]
fn bad_keys_and_ports_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = init_devnet(dir.path());
    let spec = dir.path().join("spec.json");
    let spec = spec.to_str().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let base = [
        "--chain",
        spec,
        "--datadir",
        data,
        "--port",
        "0",
        "--p2p-port",
        "0",
    ];
    let with = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        bytom2(&args)
    };

    // A validator key file that is missing.
    let missing = dir.path().join("missing.json");
    let err = one_line_error(&with(&["--validator-key", missing.to_str().unwrap()]));
    assert!(err.contains("missing.json"), "{err}");

    // Not a key.
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "not a key").unwrap();
    let err = one_line_error(&with(&["--validator-key", garbage.to_str().unwrap()]));
    assert!(err.contains("garbage.json"), "{err}");

    // A valid key that is not in the committee.
    let outsider = dir.path().join("outsider.json");
    assert!(
        bytom2(&["keygen", "--out", outsider.to_str().unwrap()])
            .status
            .success()
    );
    let err = one_line_error(&with(&["--validator-key", outsider.to_str().unwrap()]));
    assert!(err.contains("not in the chain spec's validators"), "{err}");

    // A full node whose key is not an observer.
    let err = one_line_error(&with(&["--p2p-key", outsider.to_str().unwrap()]));
    assert!(err.contains("observers"), "{err}");

    // The p2p port in use.
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let key = nodes[1]["args"]
        .as_array()
        .unwrap()
        .windows(2)
        .find(|w| w[0] == "--validator-key")
        .map(|w| w[1].as_str().unwrap().to_string())
        .unwrap();
    let mut args: Vec<&str> = vec!["--chain", spec, "--datadir", data, "--port", "0"];
    args.extend_from_slice(&["--validator-key", &key, "--p2p-port", &port]);
    let err = one_line_error(&bytom2(&args));
    assert!(err.contains("p2p address") && err.contains(&port), "{err}");
}

#[test]
fn devnet_gas_limit_is_the_genesis_of_a_new_devnet_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let init = |extra: &[&str]| {
        let mut args = vec![
            "devnet",
            "--dir",
            path,
            "--validators",
            "1",
            "--full-nodes",
            "0",
            "--rpc-port",
            "0",
            "--p2p-port",
            "0",
            "--init-only",
        ];
        args.extend_from_slice(extra);
        bytom2(&args)
    };
    let out = init(&["--gas-limit", "100000000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("spec.json")).unwrap())
            .unwrap();
    let limit = spec["gasLimit"].as_str().unwrap();
    assert_eq!(u64::from_str_radix(&limit[2..], 16).unwrap(), 100_000_000);

    // The same limit (or none) restarts it; another one cannot change its genesis.
    assert!(init(&["--gas-limit", "100000000"]).status.success());
    assert!(init(&[]).status.success());
    let err = one_line_error(&init(&["--gas-limit", "60000000"]));
    assert!(err.contains("gas limit 100000000"), "{err}");

    // A network node takes its limit from the spec, not from --gas-limit.
    let spec_path = dir.path().join("spec.json");
    let data = dir.path().join("data");
    let err = one_line_error(&bytom2(&[
        "--chain",
        spec_path.to_str().unwrap(),
        "--datadir",
        data.to_str().unwrap(),
        "--gas-limit",
        "60000000",
    ]));
    assert!(err.contains("gasLimit"), "{err}");
}
