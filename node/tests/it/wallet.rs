//! `bytom2 wallet` as a user runs it: the real binary against a real `bytom2 --dev` node
//! (send, balance, utxos, issue, keystore, dry run and decode, error messages), and the
//! errors that need no node.

use alloy_signer_local::PrivateKeySigner;
use bytom2_chainspec::{DEV_MNEMONIC, dev_accounts};
use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Output, Stdio},
};

const BIN: &str = env!("CARGO_BIN_EXE_bytom2");
const DEV0_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// A `bytom2 --dev --port 0` node, stopped by PID on drop.
struct DevNode {
    child: Child,
    url: String,
}

impl DevNode {
    fn start() -> Self {
        let mut child = Command::new(BIN)
            .args(["--dev", "--port", "0", "--log-level", "error"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut url = None;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("RPC URL: ") {
                url = Some(rest.trim().to_string());
                break;
            }
        }
        let url = url.expect("node printed its RPC URL");
        Self { child, url }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Runs `bytom2 wallet --rpc-url URL ARGS…` with no key in the environment.
fn wallet(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("wallet")
        .args(["--rpc-url", url])
        .args(args)
        .env_remove("BYTOM2_PRIVATE_KEY")
        .env_remove("BYTOM2_PASSWORD")
        .env_remove("BYTOM2_MNEMONIC")
        .env_remove("BYTOM2_RPC_URL")
        .output()
        .unwrap()
}

/// The stdout of a run that must succeed.
fn ok(url: &str, args: &[&str]) -> String {
    let out = wallet(url, args);
    assert!(
        out.status.success(),
        "wallet {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The one stderr line of a run that must fail.
fn fails(url: &str, args: &[&str]) -> String {
    let out = wallet(url, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "wallet {args:?} succeeded");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("bytom2: "), "{stderr}");
    stderr
}

/// The line of `balance` output for `symbol`, if any.
fn balance_line(balance: &str, symbol: &str) -> Option<String> {
    balance
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(symbol))
        .map(str::to_string)
}

fn hash_line(out: &str) -> String {
    let line = out.lines().next().unwrap_or_default().to_string();
    assert!(line.starts_with("0x") && line.len() == 66, "{out}");
    line
}

fn make_keystore(dir: &Path, key: &PrivateKeySigner) -> (String, String) {
    let mut rng = rand_08::thread_rng();
    PrivateKeySigner::encrypt_keystore(
        dir,
        &mut rng,
        key.to_bytes(),
        "correct horse",
        Some("fresh.json"),
    )
    .unwrap();
    std::fs::write(dir.join("pw"), "correct horse\n").unwrap();
    (
        dir.join("fresh.json").display().to_string(),
        dir.join("pw").display().to_string(),
    )
}

#[test]
fn errors_without_a_node_are_one_line() {
    // Nothing listens on port 1.
    let url = "http://127.0.0.1:1";
    let e = fails(
        url,
        &[
            "--private-key",
            "0x1234",
            "send",
            "--to",
            "0x01",
            "--amount",
            "1",
        ],
    );
    assert!(e.contains("invalid private key: expected 32 bytes"), "{e}");
    let e = fails(url, &["--private-key", &"zz".repeat(32), "address"]);
    assert!(e.contains("invalid private key: not hexadecimal"), "{e}");
    let e = fails(url, &["balance"]);
    assert!(e.contains("no address"), "{e}");
    let e = fails(url, &["send", "--to", "0x01", "--amount", "1"]);
    assert!(e.contains("no key"), "{e}");
    let e = fails(
        url,
        &["balance", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
    );
    assert!(
        e.contains("cannot reach the node at http://127.0.0.1:1"),
        "{e}"
    );
    let e = fails(url, &["balance", "0xnope"]);
    assert!(e.contains("invalid address \"0xnope\""), "{e}");
    let e = fails(url, &["decode", "0x6201"]);
    assert!(e.contains("invalid native transaction"), "{e}");
    let e = fails(url, &["decode", "not hex"]);
    assert!(e.contains("invalid raw transaction"), "{e}");
    let e = fails(url, &["--mnemonic", "test test", "address"]);
    assert!(e.contains("invalid mnemonic"), "{e}");

    // Key sources that need no node.
    let dev = dev_accounts();
    let addr = ok(url, &["--private-key", DEV0_KEY, "address"]);
    assert_eq!(addr.trim(), dev[0].address.to_string());
    let addr = ok(
        url,
        &[
            "address",
            "--mnemonic",
            DEV_MNEMONIC,
            "--mnemonic-index",
            "2",
        ],
    );
    assert_eq!(addr.trim(), dev[2].address.to_string());
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKeySigner::random();
    let (ks, pw) = make_keystore(dir.path(), &key);
    let addr = ok(url, &["--keystore", &ks, "--password-file", &pw, "address"]);
    assert_eq!(addr.trim(), key.address().to_string());
    let e = fails(url, &["--keystore", &ks, "--password", "wrong", "address"]);
    assert!(e.contains("wrong password"), "{e}");
}

#[test]
fn send_balance_issue_and_errors_against_a_dev_node() {
    let node = DevNode::start();
    let url = node.url.as_str();
    let dev = dev_accounts();
    let dev0 = dev[0].address.to_string();
    let dev1 = dev[1].address.to_string();
    let fresh = PrivateKeySigner::random();
    let fresh_addr = fresh.address().to_string();
    let dev0_key = ["--private-key", DEV0_KEY];

    // 1.5 BTM from dev account 0 to a fresh address.
    let out = ok(
        url,
        &[
            &dev0_key[..],
            &["send", "--to", &fresh_addr, "--amount", "1.5", "--wait"],
        ]
        .concat(),
    );
    hash_line(&out);
    let balance = ok(url, &["balance", &fresh_addr]);
    let line = balance_line(&balance, "BTM").unwrap();
    assert!(line.starts_with("1.5 BTM "), "{balance}");
    let utxos = ok(url, &["utxos", &fresh_addr]);
    assert_eq!(utxos.lines().count(), 1, "{utxos}");
    assert!(utxos.contains("1.5 BTM"), "{utxos}");
    // The sender paid the amount and a fee, and got change.
    let balance = ok(url, &[&dev0_key[..], &["balance"]].concat());
    let line = balance_line(&balance, "BTM").unwrap();
    assert!(line.starts_with("9998.49"), "{balance}");

    // A new asset, from the same account through its mnemonic, issued to itself.
    let mnemonic = ["--mnemonic", DEV_MNEMONIC];
    // Creating "Gold" through the mnemonic, issuing `amount`.
    let create_gold = |amount: &'static str| -> Vec<&'static str> {
        let definition = [
            "--name",
            "Gold",
            "--symbol",
            "GLD",
            "--decimals",
            "8",
            "--data",
            "0x01",
        ];
        [
            &mnemonic[..],
            &["issue"],
            &definition,
            &["--amount", amount],
        ]
        .concat()
    };
    let out = ok(url, &[&create_gold("1000")[..], &["--wait"]].concat());
    hash_line(&out);
    let asset_line = out.lines().nth(1).unwrap();
    let asset = asset_line.split_whitespace().nth(1).unwrap().to_string();
    assert!(
        asset_line.starts_with("asset 0x") && asset.len() == 66,
        "{out}"
    );
    let balance = ok(url, &["balance", &dev0]);
    assert!(
        balance_line(&balance, "GLD")
            .unwrap()
            .starts_with("1000.0 GLD"),
        "{balance}"
    );
    // Creating it again is refused.
    let e = fails(url, &create_gold("1"));
    assert!(e.contains(&format!("asset {asset} already exists")), "{e}");

    // Some of it to the fresh address; then more issued straight to it.
    ok(
        url,
        &[
            &mnemonic[..],
            &[
                "send",
                "--asset",
                &asset,
                "--to",
                &fresh_addr,
                "--amount",
                "12.5",
                "--wait",
            ],
        ]
        .concat(),
    );
    ok(
        url,
        &[
            &dev0_key[..],
            &[
                "issue",
                "--asset",
                &asset,
                "--amount",
                "1",
                "--to",
                &fresh_addr,
                "--wait",
            ],
        ]
        .concat(),
    );
    let balance = ok(url, &["balance", &fresh_addr]);
    let gld = balance_line(&balance, "GLD").unwrap();
    assert!(
        gld.starts_with("13.5 GLD ") && gld.ends_with(&asset),
        "{balance}"
    );
    let balance = ok(url, &["balance", &dev0]);
    assert!(
        balance_line(&balance, "GLD")
            .unwrap()
            .starts_with("987.5 GLD"),
        "{balance}"
    );
    let utxos = ok(url, &["utxos", &fresh_addr, "--asset", &asset]);
    assert_eq!(utxos.lines().count(), 2, "{utxos}");

    // The fresh key from a keystore: GLD and BTM back to dev account 1.
    let dir = tempfile::tempdir().unwrap();
    let (ks, pw) = make_keystore(dir.path(), &fresh);
    let fresh_key = ["--keystore", ks.as_str(), "--password-file", pw.as_str()];
    ok(
        url,
        &[
            &fresh_key[..],
            &[
                "send", "--asset", &asset, "--to", &dev1, "--amount", "2.5", "--wait",
            ],
        ]
        .concat(),
    );
    ok(
        url,
        &[
            &fresh_key[..],
            &[
                "send",
                "--to",
                &dev1,
                "--amount",
                "1500000000000000wei",
                "--wait",
            ],
        ]
        .concat(),
    );
    let balance = ok(url, &["balance", &fresh_addr]);
    assert!(
        balance_line(&balance, "GLD")
            .unwrap()
            .starts_with("11.0 GLD"),
        "{balance}"
    );
    let btm = balance_line(&balance, "BTM").unwrap();
    assert!(btm.starts_with("1.49"), "{balance}");
    let balance = ok(url, &["balance", &dev1]);
    assert!(
        balance_line(&balance, "GLD")
            .unwrap()
            .starts_with("2.5 GLD"),
        "{balance}"
    );

    // A dry run prints a transaction that decodes to the fresh key's signature.
    let raw = ok(
        url,
        &[
            &fresh_key[..],
            &["send", "--to", &dev1, "--amount", "0.1", "--dry-run"],
        ]
        .concat(),
    );
    let decoded = ok(url, &["decode", raw.trim()]);
    let json: serde_json::Value = serde_json::from_str(&decoded).unwrap();
    assert_eq!(json["kind"], "native");
    assert_eq!(
        json["signers"][0].as_str().unwrap().to_lowercase(),
        fresh_addr.to_lowercase()
    );
    assert_eq!(json["outputs"][0]["amount"], "100000000000000000");
    // Nothing was sent.
    let balance = ok(url, &["balance", &dev1]);
    assert!(
        balance_line(&balance, "BTM")
            .unwrap()
            .starts_with("10000.001"),
        "{balance}"
    );

    // Errors name the problem.
    let e = fails(
        url,
        &[&fresh_key[..], &["send", "--to", &dev1, "--amount", "100"]].concat(),
    );
    assert!(
        e.contains("insufficient funds: have 1.49")
            && e.contains("BTM, need 100.0")
            && e.contains("BTM (amount + fee)"),
        "{e}"
    );
    let e = fails(
        url,
        &[
            &fresh_key[..],
            &["send", "--asset", &asset, "--to", &dev1, "--amount", "1000"],
        ]
        .concat(),
    );
    assert!(
        e.contains("insufficient funds: have 11.0 GLD, need 1000.0 GLD"),
        "{e}"
    );
    let unknown = format!("0x{}", "12".repeat(32));
    let e = fails(
        url,
        &[
            &dev0_key[..],
            &["send", "--asset", &unknown, "--to", &dev1, "--amount", "1"],
        ]
        .concat(),
    );
    assert!(e.contains(&format!("unknown asset {unknown}")), "{e}");
    let e = fails(
        url,
        &[
            &fresh_key[..],
            &["issue", "--asset", &asset, "--amount", "1"],
        ]
        .concat(),
    );
    assert!(e.contains("only the issuer"), "{e}");
    let e = fails(
        url,
        &[
            "--private-key",
            "0x1234",
            "send",
            "--to",
            &dev1,
            "--amount",
            "1",
        ],
    );
    assert!(e.contains("invalid private key"), "{e}");
    let e = fails(
        url,
        &[&dev0_key[..], &["send", "--to", &dev1, "--amount", "1.5.1"]].concat(),
    );
    assert!(e.contains("invalid amount \"1.5.1\""), "{e}");
    let e = fails(
        url,
        &[
            &dev0_key[..],
            &[
                "send",
                "--asset",
                &asset,
                "--to",
                &dev1,
                "--amount",
                "0.000000001",
            ],
        ]
        .concat(),
    );
    assert!(e.contains("GLD has 8 decimals"), "{e}");
}
