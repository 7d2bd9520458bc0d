//! The runtime capabilities consensus code is generic over (Commonware's runtime traits):
//! the deterministic runtime in tests, the tokio runtime in the node.

use commonware_runtime::{Clock, Metrics, Spawner, Storage};
use rand_core::CryptoRng;

/// The runtime capabilities consensus needs.
pub trait Runtime: Clock + CryptoRng + Spawner + Storage + Metrics + Send + 'static {}
impl<T: Clock + CryptoRng + Spawner + Storage + Metrics + Send + 'static> Runtime for T {}
