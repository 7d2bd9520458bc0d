//! `bytom2 wallet`: a command-line wallet that talks to a node's JSON-RPC over HTTP
//! (`docs/wallet.md` is the user guide).
//!
//! - [`WalletArgs`]/[`WalletCommand`]: the command line (clap);
//! - [`run`]: runs one command: loads the key (private key, V3 keystore or mnemonic),
//!   reads balances, outputs and assets through the `utxo_*` RPC, builds, signs and
//!   submits native transactions (type `0x62`, `docs/native-transactions.md`), decodes
//!   raw transactions.
//!
//! Coin selection (oldest first, change back to the sender, fee = base fee × native gas)
//! is in `select`; decimal amounts in `amount`.

mod amount;
mod args;
mod commands;
mod decode;
mod keys;
mod rpc;
mod select;

pub use args::{DEFAULT_RPC_URL, IssueArgs, SendArgs, SubmitArgs, WalletArgs, WalletCommand};
pub use commands::run;
pub use keys::KeyArgs;
