//! Native UTXO transactions (DESIGN.md section 3, `docs/native-transactions.md`):
//! explicit inputs, outputs of any asset, an optional issuance, one secp256k1 signature
//! per distinct signer over a sighash that commits to the chain id.
//!
//! - [`tx`]: the transaction, its EIP-2718 envelope (type [`NATIVE_TX_TYPE`]), sighash
//!   and hash;
//! - [`assets`]: asset definitions, asset ids, the ERC-20 address of each asset and the
//!   state layout of the asset registry;
//! - [`validate`]: the rules, stateless ([`NativeTx::check`]) and against a state
//!   ([`validate_against`]).

pub mod assets;
mod tx;
mod validate;

pub use tx::{Issuance, NATIVE_TX_TYPE, NativeTx, RecoveredNative};
pub use validate::{NativeLimits, NativeTxError, ValidatedNative, validate_against};
