//! Block production before reads: the threads that answer RPC run at a lower
//! scheduling priority (a higher nice value) than the block producer, so a storm of reads
//! costs the reads latency and not the chain its block time (issue #19,
//! docs/decisions.md "Reads yield to block production").
//!
//! Linux schedules threads, not processes: `setpriority(PRIO_PROCESS, tid, nice)` sets
//! one thread's nice value. Under the default scheduler a thread at nice 19 gets about
//! 1.5% of the CPU share of one at nice 0 when both want to run (weights 15 and 1024),
//! and all of it when the other is idle, so reads still use every idle core. Nice 19
//! rather than 10 (weight 110): with 64 readers on two cores, blocks of 3,000-4,000
//! transfers committed in a median of 18 ms against 34 ms at nice 10 (one run each,
//! docs/performance.md).

/// The nice value of the RPC threads (the producer and its helpers keep the process's).
pub const RPC_NICE: i32 = 19;

/// Lowers the calling thread to nice [`RPC_NICE`] (relative to nothing: the value is set,
/// not added). Raising a nice value needs no privilege. Fails only where the platform
/// refuses, which leaves the thread as it was.
pub fn lower_current_thread() -> std::io::Result<()> {
    let tid = rustix::thread::gettid();
    rustix::process::setpriority_process(Some(tid), RPC_NICE).map_err(std::io::Error::from)
}

/// The calling thread's nice value.
pub fn current_thread_nice() -> std::io::Result<i32> {
    let tid = rustix::thread::gettid();
    rustix::process::getpriority_process(Some(tid)).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowers_only_the_calling_thread() {
        let before = current_thread_nice().expect("nice");
        let lowered = std::thread::spawn(|| {
            lower_current_thread().expect("lower");
            current_thread_nice().expect("nice")
        })
        .join()
        .expect("thread");
        assert_eq!(lowered, RPC_NICE);
        assert_eq!(current_thread_nice().expect("nice"), before);
    }
}
