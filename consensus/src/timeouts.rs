//! How long the engine waits for a leader, a certificate or a fetch, derived from the
//! target block time.

use std::time::Duration;

/// Engine timeouts.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// How long a view waits for its leader's proposal.
    pub leader: Duration,
    /// How long a view waits for a certificate (more than `leader`).
    pub certification: Duration,
    /// How often a stuck view re-broadcasts its nullify vote.
    pub retry: Duration,
    /// How long a fetch from a peer may take.
    pub fetch: Duration,
}

impl Timeouts {
    /// Timeouts for a target block time.
    pub fn for_block_time(block_time: Duration) -> Self {
        let leader = (block_time * 4).max(Duration::from_secs(1));
        Self {
            leader,
            certification: leader * 2,
            retry: Duration::from_secs(5),
            fetch: Duration::from_secs(2),
        }
    }
}
