//! The signing key: from a private key, an Ethereum V3 keystore file or a BIP-39
//! mnemonic. Error messages name the problem and never echo a secret.

use alloy_primitives::{B256, hex};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};
use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use std::path::{Path, PathBuf};

/// Where the wallet's key comes from: at most one of `--private-key`, `--keystore` and
/// `--mnemonic`.
#[derive(Clone, Default, Args)]
pub struct KeyArgs {
    /// Private key: 32 bytes of hex, with or without 0x.
    #[arg(
        long,
        global = true,
        help_heading = "Key",
        env = "BYTOM2_PRIVATE_KEY",
        hide_env_values = true
    )]
    pub private_key: Option<String>,
    /// Ethereum V3 keystore file (geth, MetaMask export, `cast wallet`).
    #[arg(long, global = true, help_heading = "Key", value_name = "FILE")]
    pub keystore: Option<PathBuf>,
    /// Password of the keystore.
    #[arg(
        long,
        global = true,
        help_heading = "Key",
        env = "BYTOM2_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// File holding the password of the keystore (one trailing newline is ignored).
    #[arg(
        long,
        global = true,
        help_heading = "Key",
        value_name = "FILE",
        conflicts_with = "password"
    )]
    pub password_file: Option<PathBuf>,
    /// BIP-39 mnemonic (English); the key is at m/44'/60'/0'/0/INDEX.
    #[arg(
        long,
        global = true,
        help_heading = "Key",
        env = "BYTOM2_MNEMONIC",
        hide_env_values = true
    )]
    pub mnemonic: Option<String>,
    /// Account index of --mnemonic.
    #[arg(long, global = true, help_heading = "Key", value_name = "N")]
    pub mnemonic_index: Option<u32>,
}

// Secrets stay out of debug output.
impl std::fmt::Debug for KeyArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |o: &Option<String>| o.as_ref().map(|_| "<hidden>");
        f.debug_struct("KeyArgs")
            .field("private_key", &hidden(&self.private_key))
            .field("keystore", &self.keystore)
            .field("password", &hidden(&self.password))
            .field("password_file", &self.password_file)
            .field("mnemonic", &hidden(&self.mnemonic))
            .field("mnemonic_index", &self.mnemonic_index)
            .finish()
    }
}

impl KeyArgs {
    /// Whether any key source is given.
    pub fn is_given(&self) -> bool {
        self.private_key.is_some() || self.keystore.is_some() || self.mnemonic.is_some()
    }

    /// Loads the key. `Ok(None)` when no source is given.
    pub(crate) fn load(&self) -> anyhow::Result<Option<PrivateKeySigner>> {
        let given = [
            self.private_key.is_some(),
            self.keystore.is_some(),
            self.mnemonic.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            bail!("pass only one of --private-key, --keystore and --mnemonic");
        }
        if self.mnemonic_index.is_some() && self.mnemonic.is_none() {
            bail!("--mnemonic-index needs --mnemonic");
        }
        if (self.password.is_some() || self.password_file.is_some()) && self.keystore.is_none() {
            bail!("--password and --password-file need --keystore");
        }
        if let Some(key) = &self.private_key {
            return from_private_key(key).map(Some);
        }
        if let Some(path) = &self.keystore {
            let password = match (&self.password, &self.password_file) {
                (Some(p), _) => p.clone(),
                (None, Some(file)) => read_password_file(file)?,
                (None, None) => bail!("--keystore needs --password or --password-file"),
            };
            return from_keystore(path, &password).map(Some);
        }
        if let Some(phrase) = &self.mnemonic {
            return from_mnemonic(phrase, self.mnemonic_index.unwrap_or(0)).map(Some);
        }
        Ok(None)
    }
}

/// A key from 64 hex digits, with or without `0x`.
pub(crate) fn from_private_key(s: &str) -> anyhow::Result<PrivateKeySigner> {
    let s = s.trim();
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if digits.len() != 64 {
        bail!(
            "invalid private key: expected 32 bytes (64 hex digits, 0x optional), got {} \
             characters",
            digits.len()
        );
    }
    let bytes: [u8; 32] = hex::decode_to_array(digits)
        .map_err(|_| anyhow!("invalid private key: not hexadecimal"))?;
    PrivateKeySigner::from_bytes(&B256::from(bytes)).map_err(|_| {
        anyhow!("invalid private key: not a valid secp256k1 secret (zero or too large)")
    })
}

fn read_password_file(path: &Path) -> anyhow::Result<String> {
    let raw = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read password file {}", path.display()))?;
    let trimmed = raw
        .strip_suffix("\r\n")
        .or_else(|| raw.strip_suffix('\n'))
        .unwrap_or(&raw);
    Ok(trimmed.to_string())
}

/// A key from an Ethereum V3 keystore file (scrypt or pbkdf2).
pub(crate) fn from_keystore(path: &Path, password: &str) -> anyhow::Result<PrivateKeySigner> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read keystore {shown}"))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow!("invalid keystore {shown}: not JSON ({e})"))?;
    if json.get("crypto").or_else(|| json.get("Crypto")).is_none() {
        bail!("invalid keystore {shown}: no \"crypto\" section (not a V3 keystore)");
    }
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| {
        let e = e.to_string();
        if e.contains("Mac Mismatch") {
            anyhow!("cannot decrypt keystore {shown}: wrong password")
        } else {
            anyhow!("invalid keystore {shown}: {e}")
        }
    })
}

/// A key from a BIP-39 mnemonic at `m/44'/60'/0'/0/index`.
pub(crate) fn from_mnemonic(phrase: &str, index: u32) -> anyhow::Result<PrivateKeySigner> {
    let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
    MnemonicBuilder::<English>::default()
        .phrase(phrase)
        .index(index)
        .map_err(|e| anyhow!("invalid --mnemonic-index {index}: {e}"))?
        .build()
        .map_err(|e| anyhow!("invalid mnemonic: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, address};
    use bytom2_chainspec::{DEV_MNEMONIC, dev_accounts};

    const DEV0: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const DEV0_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    fn args() -> KeyArgs {
        KeyArgs::default()
    }

    #[test]
    fn private_key_with_and_without_prefix() {
        assert_eq!(from_private_key(DEV0_KEY).unwrap().address(), DEV0);
        assert_eq!(from_private_key(&DEV0_KEY[2..]).unwrap().address(), DEV0);
        let a = KeyArgs {
            private_key: Some(DEV0_KEY.into()),
            ..args()
        };
        assert_eq!(a.load().unwrap().unwrap().address(), DEV0);
        assert!(args().load().unwrap().is_none());
    }

    #[test]
    fn bad_private_keys_name_the_problem_without_echoing_it() {
        for (key, why) in [
            ("0x1234", "expected 32 bytes"),
            ("", "expected 32 bytes"),
            (&"zz".repeat(32), "not hexadecimal"),
            (&"00".repeat(32), "not a valid secp256k1 secret"),
            (&"ff".repeat(32), "not a valid secp256k1 secret"),
        ] {
            let e = from_private_key(key).unwrap_err().to_string();
            assert!(e.starts_with("invalid private key: "), "{e}");
            assert!(e.contains(why), "{e}");
            if key.len() > 8 {
                assert!(!e.contains(key), "the key is not echoed: {e}");
            }
        }
    }

    #[test]
    fn mnemonic_follows_the_bip44_ethereum_path() {
        assert_eq!(from_mnemonic(DEV_MNEMONIC, 0).unwrap().address(), DEV0);
        for (i, a) in dev_accounts().iter().enumerate().take(3) {
            let got = from_mnemonic(DEV_MNEMONIC, i as u32).unwrap();
            assert_eq!(got.address(), a.address);
        }
        let a = KeyArgs {
            mnemonic: Some(format!("  {}  ", DEV_MNEMONIC.replace(' ', "   "))),
            mnemonic_index: Some(1),
            ..args()
        };
        assert_eq!(
            a.load().unwrap().unwrap().address(),
            dev_accounts()[1].address
        );
        let e = from_mnemonic("test test nope", 0).unwrap_err().to_string();
        assert!(e.starts_with("invalid mnemonic: "), "{e}");
        let e = from_mnemonic(DEV_MNEMONIC, 1 << 31)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid --mnemonic-index"), "{e}");
    }

    #[test]
    fn keystore_with_password_or_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let secret = from_private_key(DEV0_KEY).unwrap().to_bytes();
        let mut rng = rand_08::thread_rng();
        let (_, uuid) = PrivateKeySigner::encrypt_keystore(
            dir.path(),
            &mut rng,
            secret,
            "hunter2",
            Some("key.json"),
        )
        .unwrap();
        assert_eq!(uuid.len(), 36);
        let path = dir.path().join("key.json");
        let pw_file = dir.path().join("pw");
        std::fs::write(&pw_file, "hunter2\n").unwrap();

        let with_password = KeyArgs {
            keystore: Some(path.clone()),
            password: Some("hunter2".into()),
            ..args()
        };
        assert_eq!(with_password.load().unwrap().unwrap().address(), DEV0);
        let with_file = KeyArgs {
            keystore: Some(path.clone()),
            password_file: Some(pw_file),
            ..args()
        };
        assert_eq!(with_file.load().unwrap().unwrap().address(), DEV0);

        let wrong = KeyArgs {
            password: Some("hunter3".into()),
            ..with_password.clone()
        };
        let e = wrong.load().unwrap_err().to_string();
        assert!(e.ends_with("wrong password"), "{e}");
        let none = KeyArgs {
            password: None,
            ..with_password.clone()
        };
        assert_eq!(
            none.load().unwrap_err().to_string(),
            "--keystore needs --password or --password-file"
        );
        let missing = KeyArgs {
            keystore: Some(dir.path().join("nope.json")),
            ..with_password.clone()
        };
        assert!(
            missing
                .load()
                .unwrap_err()
                .to_string()
                .starts_with("cannot read keystore")
        );
        std::fs::write(dir.path().join("bad.json"), "{}").unwrap();
        let bad = KeyArgs {
            keystore: Some(dir.path().join("bad.json")),
            ..with_password
        };
        assert!(
            bad.load()
                .unwrap_err()
                .to_string()
                .contains("not a V3 keystore")
        );
    }

    #[test]
    fn conflicting_sources_are_refused() {
        let a = KeyArgs {
            private_key: Some(DEV0_KEY.into()),
            mnemonic: Some(DEV_MNEMONIC.into()),
            ..args()
        };
        assert!(a.load().unwrap_err().to_string().contains("only one of"));
        let a = KeyArgs {
            mnemonic_index: Some(2),
            ..args()
        };
        assert_eq!(
            a.load().unwrap_err().to_string(),
            "--mnemonic-index needs --mnemonic"
        );
    }
}
