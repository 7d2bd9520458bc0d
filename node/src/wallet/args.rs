//! The command line of `bytom2 wallet` (clap).

use super::keys::KeyArgs;
use clap::{Args, Subcommand};

/// The node RPC the wallet talks to unless told otherwise.
pub const DEFAULT_RPC_URL: &str = "http://127.0.0.1:8545";

/// `bytom2 wallet`: a command-line wallet for native assets and transactions.
#[derive(Debug, Args)]
pub struct WalletArgs {
    /// JSON-RPC URL of the node.
    #[arg(
        long,
        global = true,
        env = "BYTOM2_RPC_URL",
        hide_env_values = true,
        default_value = DEFAULT_RPC_URL,
        help_heading = "Node"
    )]
    pub rpc_url: String,
    /// The key (needed to send and issue, and by `balance`/`utxos` without ADDRESS).
    #[command(flatten)]
    pub keys: KeyArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: WalletCommand,
}

/// The wallet's subcommands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Print the key's address.
    Address,
    /// Balances of every asset, in the asset's units.
    Balance {
        /// Whose balances (default: the key's address).
        address: Option<String>,
    },
    /// Unspent outputs, oldest first.
    Utxos {
        /// Whose outputs (default: the key's address).
        address: Option<String>,
        /// Only outputs of this asset (32-byte asset id, or BTM).
        #[arg(long, value_name = "ID")]
        asset: Option<String>,
    },
    /// Send an asset with a native transaction; prints its hash.
    Send(SendArgs),
    /// Create a new asset (issuer: the key's address) and issue an amount of it, or issue
    /// more of an asset the key issues; prints the transaction hash.
    Issue(IssueArgs),
    /// Decode a raw transaction (native or Ethereum) into JSON. Needs no node.
    Decode {
        /// The transaction, hex (0x optional).
        raw: String,
    },
}

/// Arguments of `bytom2 wallet send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Recipient address.
    #[arg(long, value_name = "ADDRESS")]
    pub to: String,
    /// Amount in the asset's units ("1.5"), or whole base units ("1500wei").
    #[arg(long)]
    pub amount: String,
    /// Asset to send (32-byte asset id); BTM when omitted.
    #[arg(long, value_name = "ID")]
    pub asset: Option<String>,
    /// What to do with the signed transaction.
    #[command(flatten)]
    pub submit: SubmitArgs,
}

/// Arguments of `bytom2 wallet issue`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Issue more of this existing asset (32-byte asset id); the key must be its issuer.
    #[arg(
        long,
        value_name = "ID",
        conflicts_with_all = ["name", "symbol", "decimals", "data"],
        required_unless_present = "name"
    )]
    pub asset: Option<String>,
    /// Name of a new asset (1 to 64 bytes).
    #[arg(long, requires_all = ["symbol", "decimals"])]
    pub name: Option<String>,
    /// Ticker symbol of a new asset (1 to 16 bytes).
    #[arg(long, requires = "name")]
    pub symbol: Option<String>,
    /// Decimals of a new asset (at most 36).
    #[arg(long, requires = "name")]
    pub decimals: Option<u8>,
    /// Free-form data of a new asset, hex (at most 1024 bytes).
    #[arg(long, value_name = "HEX", requires = "name")]
    pub data: Option<String>,
    /// Amount to issue, in the asset's units or base units ("1500wei"); 0 only creates.
    #[arg(long)]
    pub amount: String,
    /// Who receives the issued amount (default: the key's address).
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,
    /// What to do with the signed transaction.
    #[command(flatten)]
    pub submit: SubmitArgs,
}

/// What `send` and `issue` do with the transaction they sign.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Print the signed raw transaction instead of submitting it.
    #[arg(long)]
    pub dry_run: bool,
    /// After submitting, wait (up to --wait-timeout) until the transaction is in a block.
    #[arg(long, conflicts_with = "dry_run")]
    pub wait: bool,
    /// Longest --wait, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub wait_timeout: u64,
}
