//! Request counters for the node's `/metrics`: JSON-RPC calls by method and outcome
//! (`ok` or the error code). Method names are the server's own (an unknown method counts
//! as `unknown`), so a client cannot grow the table.

use parking_lot::Mutex;
use std::{collections::BTreeMap, fmt::Write as _};

/// Calls answered, by method and outcome.
#[derive(Debug, Default)]
pub struct RpcMetrics {
    calls: Mutex<BTreeMap<(&'static str, Outcome), u64>>,
}

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Ok,
    Error(i32),
}

impl RpcMetrics {
    /// Counts one call of `method` (a registered name, or `unknown`) ending in
    /// `error` (a JSON-RPC error code) or success.
    pub fn record(&self, method: &'static str, error: Option<i32>) {
        let outcome = error.map_or(Outcome::Ok, Outcome::Error);
        *self.calls.lock().entry((method, outcome)).or_default() += 1;
    }

    /// The counters in Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP bytom2_rpc_requests_total JSON-RPC calls answered, by method and outcome.\n\
             # TYPE bytom2_rpc_requests_total counter\n",
        );
        for ((method, outcome), n) in self.calls.lock().iter() {
            let outcome = match outcome {
                Outcome::Ok => "ok".to_string(),
                Outcome::Error(code) => code.to_string(),
            };
            let _ = writeln!(
                out,
                "bytom2_rpc_requests_total{{method=\"{method}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_method_and_outcome() {
        let m = RpcMetrics::default();
        m.record("eth_call", None);
        m.record("eth_call", None);
        m.record("eth_call", Some(3));
        m.record("unknown", Some(-32601));
        let text = m.render();
        assert!(text.contains("bytom2_rpc_requests_total{method=\"eth_call\",outcome=\"ok\"} 2"));
        assert!(text.contains("bytom2_rpc_requests_total{method=\"eth_call\",outcome=\"3\"} 1"));
        assert!(text.contains("{method=\"unknown\",outcome=\"-32601\"} 1"));
    }
}
