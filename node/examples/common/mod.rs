//! Timing shared by the examples: wall, this thread's CPU and the process's CPU time.

use rustix::time::{ClockId, clock_gettime};
use std::time::{Duration, Instant};

/// CPU time consumed so far by `clock` (this thread's or the whole process's).
fn cpu(clock: ClockId) -> Duration {
    let ts = clock_gettime(clock);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Wall, this thread's CPU and the process's CPU time at one instant.
#[derive(Clone, Copy)]
pub(crate) struct Stamp(pub(crate) Instant, pub(crate) Duration, pub(crate) Duration);

impl Stamp {
    pub(crate) fn now() -> Self {
        Self(
            Instant::now(),
            cpu(ClockId::ThreadCPUTime),
            cpu(ClockId::ProcessCPUTime),
        )
    }

    /// `wall / thread cpu / process cpu` since `earlier`, in milliseconds.
    pub(crate) fn since(self, earlier: Self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        format!(
            "{:.1}/{:.1}/{:.1}",
            ms(self.0 - earlier.0),
            ms(self.1 - earlier.1),
            ms(self.2 - earlier.2)
        )
    }
}
