//! Validator key files: the ed25519 key a validator signs votes with and identifies
//! itself by on the p2p network, its file format, and parsing public keys given as hex
//! (chain spec, command line).
//!
//! A key file is one line of JSON:
//!
//! ```json
//! {"type":"ed25519","privateKey":"0x<64 hex digits>","publicKey":"0x<64 hex digits>"}
//! ```
//!
//! `privateKey` is the 32-byte ed25519 seed; `publicKey` is derived from it and stored
//! so an operator can read the key's identity without tools, and is checked on load.
//! [`ValidatorKey::write`] creates the file with mode 0600 and never replaces an
//! existing file; [`ValidatorKey::read`] warns if the file is readable by group or others.
//! Every failure is a [`KeyError`] whose message names the file and the problem, and
//! never contains private key material.

use std::{
    fmt,
    fs::{File, OpenOptions},
    io::{self, Read as _, Write as _},
    path::{Path, PathBuf},
};

use alloy_primitives::hex;
use commonware_codec::{Copying, DecodeExt as _, Write as _};
use commonware_cryptography::Signer as _;
use serde::{Deserialize, Serialize};

use crate::{PrivateKey, PublicKey};

/// The `type` of an ed25519 key file, the only kind there is.
pub const KEY_TYPE_ED25519: &str = "ed25519";

/// Largest key file [`ValidatorKey::read`] accepts; a real one is about 170 bytes.
const MAX_KEY_FILE_LEN: u64 = 4096;

/// Why a validator key could not be read, written or parsed.
///
/// Variants about a file carry its path; every message is one line and names the
/// file, the field and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No file at the path.
    #[error("validator key file {} does not exist", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file exists but cannot be read (permissions, a directory, ...).
    #[error("cannot read validator key file {}: {message}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The kind of I/O failure.
        kind: io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
    /// [`ValidatorKey::write`] found a file at the path and left it alone.
    #[error(
        "validator key file {} already exists; not overwriting it (move it away to write a new key)",
        path.display()
    )]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be created or written.
    #[error("cannot write validator key file {}: {message}", path.display())]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// The kind of I/O failure.
        kind: io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
    /// The file is not a key file: not UTF-8, not JSON, too large, or an object with
    /// missing, unknown or mistyped fields.
    #[error("{} is not a validator key file: {reason}", path.display())]
    NotKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong (JSON errors include line and column).
        reason: String,
    },
    /// The key file's `type` is not [`KEY_TYPE_ED25519`].
    #[error(
        "validator key file {}: key type `{found}` is not supported (expected `{KEY_TYPE_ED25519}`)",
        path.display()
    )]
    WrongType {
        /// The file.
        path: PathBuf,
        /// The `type` it gives.
        found: String,
    },
    /// `privateKey` or `publicKey` is not 32 bytes of hex.
    #[error("validator key file {}: `{field}` {reason}", path.display())]
    BadHex {
        /// The file.
        path: PathBuf,
        /// `privateKey` or `publicKey`.
        field: &'static str,
        /// What is wrong (never the private key itself).
        reason: String,
    },
    /// The library refused the private key bytes. (Every 32-byte seed is an ed25519
    /// private key, so today only a library change can produce this.)
    #[error(
        "validator key file {}: `privateKey` is not a valid ed25519 private key: {reason}",
        path.display()
    )]
    InvalidPrivateKey {
        /// The file.
        path: PathBuf,
        /// The library's reason.
        reason: String,
    },
    /// `publicKey` is not the public key of `privateKey`.
    #[error(
        "validator key file {}: `publicKey` {found} does not match the private key, whose public key is {expected}",
        path.display()
    )]
    KeyMismatch {
        /// The file.
        path: PathBuf,
        /// The stored `publicKey`.
        found: String,
        /// The public key derived from `privateKey`.
        expected: String,
    },
    /// A public key given as text is not 32 bytes of hex.
    #[error("invalid ed25519 public key `{input}`: {reason}")]
    PublicKeyHex {
        /// The text.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// 32 bytes that do not encode a point of the ed25519 curve.
    #[error("invalid ed25519 public key {key}: not a point on the curve")]
    NotOnCurve {
        /// The bytes, as `0x` hex.
        key: String,
    },
}

/// A validator's ed25519 key pair: its consensus vote key and p2p identity.
#[derive(Clone)]
pub struct ValidatorKey {
    private: PrivateKey,
}

// === impl ValidatorKey ===

impl ValidatorKey {
    /// A new key from the operating system's entropy source.
    ///
    /// # Panics
    ///
    /// If the operating system cannot provide randomness.
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        rand_core::Rng::fill_bytes(&mut commonware_utils::sys_rng(), &mut seed);
        let private = PrivateKey::decode(Copying(&seed)).expect("every 32-byte seed is a key");
        wipe(&mut seed);
        Self { private }
    }

    /// The public key: the validator's identity in the committee and on the network.
    pub fn public_key(&self) -> PublicKey {
        self.private.public_key()
    }

    /// The public key's 32 bytes.
    pub fn public_key_bytes(&self) -> [u8; 32] {
        let encoded = commonware_codec::Encode::encode(&self.public_key());
        let mut out = [0u8; 32];
        out.copy_from_slice(&encoded[..32]);
        out
    }

    /// The public key as `0x` and 64 lowercase hex digits, as chain specs list it.
    pub fn public_key_hex(&self) -> String {
        hex::encode_prefixed(self.public_key())
    }

    /// The private key, for the signing scheme and the p2p handshake.
    pub fn private_key(&self) -> &PrivateKey {
        &self.private
    }

    /// Writes the key to a new file at `path` with mode 0600 (owner read and write).
    ///
    /// Never replaces a file: if `path` exists the result is [`KeyError::Exists`] and the
    /// file is untouched. The parent directory must exist. A file left half-written by a
    /// failed write is removed.
    pub fn write(&self, path: &Path) -> Result<(), KeyError> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => KeyError::Exists {
                path: path.to_owned(),
            },
            _ => unwritable(path, &e),
        })?;

        let mut seed = self.seed();
        let file_json = KeyFileJson {
            key_type: KEY_TYPE_ED25519.to_owned(),
            private_key: hex::encode_prefixed(seed),
            public_key: self.public_key_hex(),
        };
        wipe(&mut seed);
        let mut text = serde_json::to_string(&file_json).expect("a struct of strings");
        file_json.wipe();
        text.push('\n');
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all());
        wipe_string(text);
        if let Err(e) = written {
            drop(file);
            // Best effort: a truncated key file would block the next attempt.
            let _ = std::fs::remove_file(path);
            return Err(unwritable(path, &e));
        }
        Ok(())
    }

    /// Reads and checks a key file written by [`ValidatorKey::write`] (or by hand in
    /// the same format).
    ///
    /// Checks the JSON shape (no unknown fields), the `type`, that both keys are 32 bytes
    /// of hex (`0x` optional) and that `publicKey` is the private key's public key. A
    /// file readable by group or others is loaded with a warning.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let file = File::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => KeyError::Missing {
                path: path.to_owned(),
            },
            _ => unreadable(path, &e),
        })?;
        // Checked before reading, warned about only once the file proved to be a key.
        #[cfg(unix)]
        let shared = is_shared(&file);

        let mut bytes = Vec::new();
        file.take(MAX_KEY_FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| unreadable(path, &e))?;
        let not_key_file = |reason: String| KeyError::NotKeyFile {
            path: path.to_owned(),
            reason,
        };
        if bytes.len() as u64 > MAX_KEY_FILE_LEN {
            wipe(&mut bytes);
            return Err(not_key_file(format!(
                "larger than {MAX_KEY_FILE_LEN} bytes"
            )));
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                wipe(&mut e.into_bytes());
                return Err(not_key_file("not UTF-8 text".to_owned()));
            }
        };
        // serde would also take a struct from an array of three strings.
        let parsed = if text.trim_start().starts_with('{') {
            serde_json::from_str::<KeyFileJson>(&text).map_err(|e| e.to_string())
        } else {
            Err("expected a JSON object".to_owned())
        };
        wipe_string(text);
        let file_json = parsed.map_err(not_key_file)?;
        let result = Self::from_file_json(path, &file_json);
        file_json.wipe();
        #[cfg(unix)]
        if let (Ok(_), Some(mode)) = (&result, shared) {
            tracing::warn!(
                target: "consensus::keys",
                path = %path.display(),
                mode = format_args!("{mode:o}"),
                "validator key file is readable by group or others; restrict it with chmod 600"
            );
        }
        result
    }

    /// Checks a parsed key file and builds the key.
    fn from_file_json(path: &Path, file_json: &KeyFileJson) -> Result<Self, KeyError> {
        if file_json.key_type != KEY_TYPE_ED25519 {
            return Err(KeyError::WrongType {
                path: path.to_owned(),
                found: file_json.key_type.clone(),
            });
        }
        let bad_hex = |field, reason| KeyError::BadHex {
            path: path.to_owned(),
            field,
            reason,
        };
        let mut seed =
            decode_hex32(&file_json.private_key).map_err(|r| bad_hex("privateKey", r))?;
        let stored = decode_hex32(&file_json.public_key).map_err(|r| bad_hex("publicKey", r))?;
        let decoded = PrivateKey::decode(Copying(&seed));
        wipe(&mut seed);
        let private = decoded.map_err(|e| KeyError::InvalidPrivateKey {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let key = Self { private };
        let expected = key.public_key();
        if expected.as_ref() != stored.as_slice() {
            return Err(KeyError::KeyMismatch {
                path: path.to_owned(),
                found: hex::encode_prefixed(stored),
                expected: hex::encode_prefixed(expected),
            });
        }
        Ok(key)
    }

    /// The 32-byte private seed; wipe it after use.
    fn seed(&self) -> [u8; 32] {
        let mut seed = [0u8; 32];
        self.private.write(&mut &mut seed[..]);
        seed
    }
}

impl From<PrivateKey> for ValidatorKey {
    fn from(private: PrivateKey) -> Self {
        Self { private }
    }
}

impl fmt::Debug for ValidatorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatorKey")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

/// Parses a public key given as `0x` and 64 hex digits (`0x` optional), checking that
/// it is a point of the ed25519 curve.
pub fn parse_public_key(input: &str) -> Result<PublicKey, KeyError> {
    let bytes = decode_hex32(input).map_err(|reason| KeyError::PublicKeyHex {
        input: input.to_owned(),
        reason,
    })?;
    public_key_from_bytes(&bytes)
}

/// The public key encoded by `bytes`, if they are a point of the ed25519 curve (as a
/// chain spec's `publicKey`, which the chain spec crate checks only for length).
pub fn public_key_from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
    PublicKey::decode(Copying(bytes)).map_err(|_| KeyError::NotOnCurve {
        key: hex::encode_prefixed(bytes),
    })
}

/// The JSON of a key file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeyFileJson {
    #[serde(rename = "type")]
    key_type: String,
    private_key: String,
    public_key: String,
}

impl KeyFileJson {
    /// Overwrites the private key text before the memory is freed.
    fn wipe(self) {
        wipe_string(self.private_key);
    }
}

/// Decodes exactly 32 bytes of hex, `0x` optional. The reason never echoes the input,
/// which may be a private key.
fn decode_hex32(s: &str) -> Result<[u8; 32], String> {
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("is not hex".to_owned());
    }
    if digits.len() != 64 {
        return Err(format!(
            "has {} hex digits; expected 64 (32 bytes)",
            digits.len()
        ));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(digits, &mut out).map_err(|e| format!("is not hex: {e}"))?;
    Ok(out)
}

/// The file's mode if group or others may read it.
#[cfg(unix)]
fn is_shared(file: &File) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = file.metadata().ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

fn unreadable(path: &Path, e: &io::Error) -> KeyError {
    KeyError::Unreadable {
        path: path.to_owned(),
        kind: e.kind(),
        message: e.to_string(),
    }
}

fn unwritable(path: &Path, e: &io::Error) -> KeyError {
    KeyError::Unwritable {
        path: path.to_owned(),
        kind: e.kind(),
        message: e.to_string(),
    }
}

/// Zeroes a buffer that held key material (best effort: copies made by libraries on
/// the way are out of reach).
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

/// Zeroes a string that held key material and frees it.
fn wipe_string(s: String) {
    wipe(&mut s.into_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed key for deterministic tests.
    fn key(seed: u64) -> ValidatorKey {
        ValidatorKey::from(PrivateKey::from_seed(seed))
    }

    /// Writes `text` to `name` in `dir` and returns the path.
    fn file_with(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A key file's JSON with the given fields.
    fn key_json(key_type: &str, private_key: &str, public_key: &str) -> String {
        format!(
            r#"{{"type":"{key_type}","privateKey":"{private_key}","publicKey":"{public_key}"}}"#
        )
    }

    /// The private key of `key` as the file writes it.
    fn private_hex(key: &ValidatorKey) -> String {
        hex::encode_prefixed(key.seed())
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("validator.key");
        let original = ValidatorKey::generate();
        original.write(&path).unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("}\n") && text.lines().count() == 1, "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["type"], "ed25519");
        assert_eq!(json["publicKey"], original.public_key_hex());
        assert_eq!(json["privateKey"], private_hex(&original));

        let read = ValidatorKey::read(&path).unwrap();
        assert_eq!(read.public_key(), original.public_key());
        assert_eq!(read.private_key().public_key(), original.public_key());
        assert_eq!(read.seed(), original.seed());
    }

    #[test]
    fn generated_keys_differ_and_hex_is_canonical() {
        let (a, b) = (ValidatorKey::generate(), ValidatorKey::generate());
        assert_ne!(a.public_key(), b.public_key());
        let hex = a.public_key_hex();
        assert_eq!(hex.len(), 66);
        assert!(hex.starts_with("0x"));
        assert_eq!(hex, hex.to_lowercase());
        assert_eq!(parse_public_key(&hex).unwrap(), a.public_key());
        // Debug shows the public key only.
        let debug = format!("{a:?}");
        assert!(debug.contains(&hex), "{debug}");
        assert!(!debug.contains(&private_hex(&a)[2..]), "{debug}");
    }

    #[cfg(unix)]
    #[test]
    fn written_file_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("validator.key");
        key(1).write(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("validator.key");
        key(1).write(&path).unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = key(2).write(&path).unwrap_err();
        assert_eq!(err, KeyError::Exists { path: path.clone() });
        assert!(err.to_string().contains("already exists"), "{err}");
        assert!(err.to_string().contains("validator.key"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(
            ValidatorKey::read(&path).unwrap().public_key(),
            key(1).public_key()
        );
    }

    #[test]
    fn write_into_missing_directory_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/validator.key");
        let err = key(1).write(&path).unwrap_err();
        assert!(
            matches!(
                &err,
                KeyError::Unwritable {
                    kind: io::ErrorKind::NotFound,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn reading_a_shared_file_only_warns() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(3);
        let path = file_with(
            &dir,
            "shared.key",
            &key_json("ed25519", &private_hex(&k), &k.public_key_hex()),
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        assert_eq!(
            ValidatorKey::read(&path).unwrap().public_key(),
            k.public_key()
        );
    }

    #[test]
    fn missing_and_unreadable_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.key");
        let err = ValidatorKey::read(&missing).unwrap_err();
        assert_eq!(err, KeyError::Missing { path: missing });
        assert!(err.to_string().contains("missing.key"), "{err}");
        assert!(err.to_string().contains("does not exist"), "{err}");

        // A directory opens but does not read.
        let err = ValidatorKey::read(dir.path()).unwrap_err();
        assert!(matches!(&err, KeyError::Unreadable { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("cannot read validator key file"),
            "{err}"
        );

        // No permission (root reads anything, so only checked when it bites).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let path = dir.path().join("locked.key");
            key(1).write(&path).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
            if File::open(&path).is_err() {
                let err = ValidatorKey::read(&path).unwrap_err();
                assert!(
                    matches!(
                        &err,
                        KeyError::Unreadable {
                            kind: io::ErrorKind::PermissionDenied,
                            ..
                        }
                    ),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn not_a_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(1);
        let cases = [
            ("empty", String::new(), "expected a JSON object"),
            ("text", "hello".to_owned(), "expected a JSON object"),
            (
                "array",
                format!(
                    r#"["ed25519","{}","{}"]"#,
                    private_hex(&k),
                    k.public_key_hex()
                ),
                "expected a JSON object",
            ),
            (
                "truncated",
                r#"{"type":"ed25519""#.to_owned(),
                "EOF while parsing",
            ),
            (
                "number",
                r#"{"type":1}"#.to_owned(),
                "invalid type: integer",
            ),
            (
                "no-public",
                format!(r#"{{"type":"ed25519","privateKey":"{}"}}"#, private_hex(&k)),
                "missing field `publicKey`",
            ),
            (
                "extra",
                format!(
                    r#"{{"type":"ed25519","privateKey":"{}","publicKey":"{}","seed":1}}"#,
                    private_hex(&k),
                    k.public_key_hex()
                ),
                "unknown field `seed`",
            ),
            ("huge", " ".repeat(5000), "larger than 4096 bytes"),
        ];
        for (name, text, needle) in cases {
            let path = file_with(&dir, name, &text);
            let err = ValidatorKey::read(&path).unwrap_err();
            assert!(matches!(&err, KeyError::NotKeyFile { .. }), "{name}: {err}");
            let msg = err.to_string();
            assert!(msg.contains(needle), "{name}: {msg}");
            assert!(msg.contains(name), "{name}: {msg}");
            assert_eq!(msg.lines().count(), 1, "{msg}");
        }

        let path = dir.path().join("binary");
        std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        let err = ValidatorKey::read(&path).unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    #[test]
    fn wrong_type() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(1);
        let path = file_with(
            &dir,
            "bls.key",
            &key_json("bls12381", &private_hex(&k), &k.public_key_hex()),
        );
        let err = ValidatorKey::read(&path).unwrap_err();
        assert_eq!(
            err,
            KeyError::WrongType {
                path,
                found: "bls12381".to_owned()
            }
        );
        assert!(
            err.to_string().contains("`bls12381` is not supported"),
            "{err}"
        );
    }

    #[test]
    fn bad_hex() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(1);
        let (private, public) = (private_hex(&k), k.public_key_hex());
        let short = &private[..private.len() - 2];
        let not_hex = format!("{}zz", &private[..private.len() - 2]);
        let cases = [
            (
                "privateKey",
                key_json("ed25519", short, &public),
                "has 62 hex digits",
            ),
            (
                "privateKey",
                key_json("ed25519", &not_hex, &public),
                "is not hex",
            ),
            (
                "publicKey",
                key_json("ed25519", &private, &format!("{public}00")),
                "has 66 hex digits",
            ),
            (
                "publicKey",
                key_json("ed25519", &private, "0x"),
                "has 0 hex digits",
            ),
        ];
        for (i, (field, text, needle)) in cases.into_iter().enumerate() {
            let path = file_with(&dir, &format!("{i}.key"), &text);
            let err = ValidatorKey::read(&path).unwrap_err();
            assert!(
                matches!(&err, KeyError::BadHex { field: f, .. } if *f == field),
                "{i}: {err}"
            );
            let msg = err.to_string();
            assert!(msg.contains(needle), "{i}: {msg}");
            assert!(msg.contains(&format!("`{field}`")), "{i}: {msg}");
            // The private key is never echoed.
            assert!(!msg.contains(&private[2..40]), "{i}: {msg}");
        }

        // Without `0x` and in upper case is fine.
        let path = file_with(
            &dir,
            "upper.key",
            &key_json("ed25519", &private[2..].to_uppercase(), &public[2..]),
        );
        assert_eq!(
            ValidatorKey::read(&path).unwrap().public_key(),
            k.public_key()
        );
    }

    #[test]
    fn mismatched_public_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (k, other) = (key(1), key(2));
        let path = file_with(
            &dir,
            "mismatch.key",
            &key_json("ed25519", &private_hex(&k), &other.public_key_hex()),
        );
        let err = ValidatorKey::read(&path).unwrap_err();
        assert_eq!(
            err,
            KeyError::KeyMismatch {
                path,
                found: other.public_key_hex(),
                expected: k.public_key_hex(),
            }
        );
        assert!(
            err.to_string().contains("does not match the private key"),
            "{err}"
        );
        assert!(!err.to_string().contains(&private_hex(&k)[2..]), "{err}");
    }

    #[test]
    fn parses_public_keys() {
        let k = key(5);
        let hex = k.public_key_hex();
        assert_eq!(parse_public_key(&hex).unwrap(), k.public_key());
        assert_eq!(parse_public_key(&hex[2..]).unwrap(), k.public_key());
        let bytes: [u8; 32] = k.public_key().as_ref().try_into().unwrap();
        assert_eq!(public_key_from_bytes(&bytes).unwrap(), k.public_key());

        let err = parse_public_key("0x1234").unwrap_err();
        assert!(matches!(&err, KeyError::PublicKeyHex { .. }), "{err}");
        assert!(err.to_string().contains("`0x1234`"), "{err}");
        assert!(matches!(
            parse_public_key(&format!("0x{}", "g".repeat(64))),
            Err(KeyError::PublicKeyHex { .. })
        ));

        let err = public_key_from_bytes(&NOT_ON_CURVE).unwrap_err();
        assert_eq!(
            err,
            KeyError::NotOnCurve {
                key: hex::encode_prefixed(NOT_ON_CURVE)
            }
        );
        assert!(
            err.to_string().contains("not a point on the curve"),
            "{err}"
        );
        assert!(matches!(
            parse_public_key(&hex::encode_prefixed(NOT_ON_CURVE)),
            Err(KeyError::NotOnCurve { .. })
        ));
    }

    /// y = 2: (y² - 1) / (d·y² + 1) has no square root mod 2^255 - 19, so no point has it.
    const NOT_ON_CURVE: [u8; 32] = {
        let mut b = [0u8; 32];
        b[0] = 2;
        b
    };
}
