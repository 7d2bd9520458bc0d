//! What the phases measure: one throughput run ([`Throughput`]), everything measured on one
//! node ([`NodeResults`]) and the native vs Ethereum comparison ([`NativeVsEth`]); the
//! report is written from these.

/// One throughput run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Throughput {
    pub(crate) txs: usize,
    pub(crate) submit_s: f64,
    pub(crate) mined_s: f64,
    pub(crate) errors: usize,
    pub(crate) sign_rate: f64,
    /// Mined tx/s of every run of this workload, in order (this one is their median).
    pub(crate) mined_runs: Vec<f64>,
}

impl Throughput {
    /// One run of `txs` transactions submitted in `submit_s` seconds (with `errors`)
    /// and all mined by now, timed from `started`.
    pub(crate) fn measured(
        txs: usize,
        submit_s: f64,
        started: std::time::Instant,
        errors: usize,
        sign_rate: f64,
    ) -> Self {
        Self {
            txs,
            submit_s,
            mined_s: started.elapsed().as_secs_f64(),
            errors,
            sign_rate,
            mined_runs: Vec::new(),
        }
    }

    pub(crate) fn submitted_tps(&self) -> f64 {
        self.txs as f64 / self.submit_s
    }
    pub(crate) fn mined_tps(&self) -> f64 {
        self.txs as f64 / self.mined_s
    }

    /// The run with the median mined rate of `runs` (at least one), with every run's
    /// rate in order and the errors of all of them.
    pub(crate) fn median_of(mut runs: Vec<Throughput>) -> Throughput {
        let mined_runs: Vec<f64> = runs.iter().map(Throughput::mined_tps).collect();
        let errors = runs.iter().map(|t| t.errors).sum();
        runs.sort_by(|a, b| a.mined_tps().total_cmp(&b.mined_tps()));
        let mut median = runs.swap_remove(runs.len() / 2);
        median.mined_runs = mined_runs;
        median.errors = errors;
        median
    }

    /// Every run's mined rate, as "a, b, c".
    pub(crate) fn runs_text(&self) -> String {
        self.mined_runs
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Everything measured on one node.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeResults {
    pub(crate) name: &'static str,
    pub(crate) startup_s: f64,
    pub(crate) generator_rps: f64,
    pub(crate) btm: Throughput,
    pub(crate) btm_batch: Throughput,
    pub(crate) erc20: Throughput,
    pub(crate) erc20_batch: Throughput,
    pub(crate) latency_offered_tps: f64,
    pub(crate) latency_p50_ms: f64,
    pub(crate) latency_p99_ms: f64,
    pub(crate) reads: Vec<(&'static str, f64)>,
    pub(crate) peak_rss_mib: f64,
    pub(crate) data_mib: Option<f64>,
    /// Steady state: one long run of single-request BTM transfers, then ERC-20 transfers,
    /// on a fresh node (`None` when `--steady-txs 0`).
    pub(crate) steady: Option<(Throughput, Throughput)>,
    /// bytom2 only: native vs Ethereum transfers (or why the phase failed).
    pub(crate) native: Option<Result<NativeVsEth, String>>,
}

/// Native vs Ethereum BTM transfers on one bytom2 node (issue #5).
#[derive(Debug, Clone, Default)]
pub(crate) struct NativeVsEth {
    /// Ethereum transfers (21,000 gas) before the native run.
    pub(crate) eth: Throughput,
    /// Native 1-in-2-out transfers, each spending its own prepared output.
    pub(crate) native: Throughput,
    /// Ethereum transfers again, after the native run.
    pub(crate) eth_after: Throughput,
    /// Mean native gas of one native transfer.
    pub(crate) native_gas: f64,
    /// Mean envelope size of one native transfer (bytes).
    pub(crate) native_bytes: f64,
    /// Seconds spent splitting the senders' outputs (not timed).
    pub(crate) setup_s: f64,
    /// Setup transactions (split outputs).
    pub(crate) setup_txs: usize,
    /// Native transfers included per block, in order.
    pub(crate) native_per_block: Vec<usize>,
}

impl NativeVsEth {
    /// Mean of the two Ethereum runs (mined tx/s).
    pub(crate) fn eth_mined_tps(&self) -> f64 {
        (self.eth.mined_tps() + self.eth_after.mined_tps()) / 2.0
    }
}
