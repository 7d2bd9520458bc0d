//! How the single-node miner makes blocks: its mode ([`Mining`]), its settings
//! ([`MinerConfig`]), and what the development methods change of the next blocks
//! ([`Production`]: fee recipient, gas limit, the clock and one-off overrides).

use alloy_primitives::{Address, B256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How blocks are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mining {
    /// A block as soon as transactions arrive, holding every executable one.
    Auto,
    /// A block every interval, empty or not.
    Interval(Duration),
    /// Only on request (`evm_mine`; development nodes).
    Manual,
}

/// The miner's settings.
#[derive(Debug, Clone)]
pub struct MinerConfig {
    /// Block production mode.
    pub mining: Mining,
    /// Fee recipient of produced blocks.
    pub beneficiary: Address,
    /// Gas limit of produced blocks (`None`: keep the parent's).
    pub gas_limit: Option<u64>,
    /// A development node: the dev methods are served and `eth_sendTransaction` signs
    /// with these secret keys (`None`: not a development node).
    pub dev_keys: Option<Vec<B256>>,
}

impl Default for MinerConfig {
    fn default() -> Self {
        Self {
            mining: Mining::Auto,
            beneficiary: Address::ZERO,
            gas_limit: None,
            dev_keys: None,
        }
    }
}

/// Seconds since the epoch by the wall clock.
fn wall_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// How the next blocks are made: mode, fee recipient, gas limit and the clock.
#[derive(Debug, Clone)]
pub(crate) struct Production {
    pub(crate) mining: Mining,
    pub(crate) beneficiary: Address,
    pub(crate) gas_limit: Option<u64>,
    /// Seconds added to the wall clock for block timestamps.
    pub(crate) time_offset: i64,
    /// The next block's timestamp, once.
    pub(crate) next_timestamp: Option<u64>,
    /// The next block's base fee, once.
    pub(crate) next_base_fee: Option<u64>,
    /// The next block's `prevRandao`, once.
    pub(crate) next_prev_randao: Option<B256>,
}

impl Production {
    pub(crate) fn new(config: &MinerConfig) -> Self {
        Self {
            mining: config.mining,
            beneficiary: config.beneficiary,
            gas_limit: config.gas_limit,
            time_offset: 0,
            next_timestamp: None,
            next_base_fee: None,
            next_prev_randao: None,
        }
    }

    /// The timestamp the clock gives now.
    pub(crate) fn clock(&self) -> u64 {
        u64::try_from(wall_clock().saturating_add(self.time_offset)).unwrap_or(0)
    }

    /// The timestamp the clock will give `after` from now.
    pub(crate) fn clock_in(&self, after: Duration) -> u64 {
        let then = SystemTime::now() + after;
        let secs = then
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        u64::try_from(secs.saturating_add(self.time_offset)).unwrap_or(0)
    }

    /// Moves the clock so that it reads `timestamp` now.
    pub(crate) fn follow_on_from(&mut self, timestamp: u64) {
        let t = i64::try_from(timestamp).unwrap_or(i64::MAX);
        self.time_offset = t.saturating_sub(wall_clock());
    }
}
