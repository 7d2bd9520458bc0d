//! The timed submission client: JSON-RPC over HTTP/1.1 with as little work per request
//! as a client can do, so the load generator (on the same cores as the node) is not what
//! is measured.
//!
//! Every request body is built before timing; `connections` keep-alive connections are
//! opened before timing; each sends the next unsent body as soon as its previous answer
//! is in. An answer is only searched for its `"result"` and `"error"` members. The read
//! path uses the same connections with one body sent again and again.

use alloy_primitives::{Bytes, hex};
use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Uri, client::conn::http1, header};
use hyper_util::rt::TokioIo;
use std::{
    sync::atomic::{AtomicBool, AtomicUsize, Ordering},
    time::{Duration, Instant},
};
use tokio::net::TcpStream;

/// Request bodies ready to send.
#[derive(Debug)]
pub(crate) struct Bodies(Vec<Bytes>);

fn call(id: usize, method: &str, raw: &[u8]) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":["{}"]}}"#,
        hex::encode_prefixed(raw)
    )
}

impl Bodies {
    /// One `eth_sendRawTransaction` per body, or `batch` of them per JSON-RPC batch.
    pub(crate) fn send_raw(raws: &[Bytes], batch: Option<usize>) -> Self {
        let method = "eth_sendRawTransaction";
        Self(match batch {
            None => raws
                .iter()
                .enumerate()
                .map(|(i, raw)| call(i, method, raw).into_bytes().into())
                .collect(),
            Some(size) => raws
                .chunks(size.max(1))
                .enumerate()
                .map(|(c, chunk)| {
                    let calls: Vec<String> = chunk
                        .iter()
                        .enumerate()
                        .map(|(i, raw)| call(c * size + i, method, raw))
                        .collect();
                    format!("[{}]", calls.join(",")).into_bytes().into()
                })
                .collect(),
        })
    }
}

fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// Counts `"error"` members in an answer (an answer's results are hex strings and cannot
/// contain the word).
fn errors_in(answer: &[u8]) -> usize {
    occurrences(answer, b"\"error\"")
}

/// What the connections send.
#[derive(Debug, Clone, Copy)]
enum Load<'a> {
    /// Every body once, in order.
    Each(&'a [Bytes]),
    /// The same body again and again until the time is up.
    Repeat(&'a Bytes, Duration),
}

/// Sends every body of `bodies` to `url` over `connections` keep-alive connections.
/// Returns seconds from the first request to the last answer, and the number of
/// JSON-RPC errors (a failed HTTP exchange counts every call in its body). Blocks the
/// calling worker of the multi-threaded runtime meanwhile.
pub(crate) fn post_all(
    url: &str,
    bodies: &Bodies,
    connections: usize,
) -> anyhow::Result<(f64, usize)> {
    let connections = connections.clamp(1, bodies.0.len().max(1));
    let (secs, _, errors) = on_own_thread(url, Load::Each(&bodies.0), connections)?;
    Ok((secs, errors))
}

/// Sends the call `method(params)` (`params` a JSON array) over `connections` keep-alive
/// connections, each sending the next as soon as the last is answered, for `duration`.
/// Returns answered calls per second and the number of errors. Blocks the calling worker
/// of the multi-threaded runtime meanwhile.
pub(crate) fn repeat(
    url: &str,
    method: &str,
    params: &serde_json::Value,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<(f64, usize)> {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let body = Bytes::from(serde_json::to_vec(&body)?);
    let (secs, answered, errors) = on_own_thread(url, Load::Repeat(&body, duration), connections)?;
    Ok(((answered - errors) as f64 / secs, errors))
}

/// Runs [`drive`] on a thread of its own (a current-thread runtime): the generator then
/// takes at most one of the machine's cores from the node, and its connections never
/// wake each other across cores.
fn on_own_thread(
    url: &str,
    load: Load<'_>,
    connections: usize,
) -> anyhow::Result<(f64, usize, usize)> {
    tokio::task::block_in_place(|| {
        std::thread::scope(|s| {
            s.spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
                    .block_on(drive(url, load, connections))
            })
            .join()
            .expect("the load thread does not panic")
        })
    })
}

/// Opens `connections` connections, then sends `load` over them. Returns seconds from
/// the first request to the last answer, calls answered and errors.
async fn drive(
    url: &str,
    load: Load<'_>,
    connections: usize,
) -> anyhow::Result<(f64, usize, usize)> {
    let uri: Uri = url.parse().with_context(|| format!("bad node URL {url}"))?;
    let authority = uri.authority().context("node URL has no host")?.clone();
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections.max(1) {
        let stream = TcpStream::connect(authority.as_str())
            .await
            .with_context(|| format!("connecting to {authority}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        senders.push(sender);
    }
    let next = AtomicUsize::new(0);
    let answered = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let reported = AtomicBool::new(false);
    let (next, answered, errors, reported, authority) =
        (&next, &answered, &errors, &reported, &authority);
    let started = Instant::now();
    let workers = senders.into_iter().map(|mut sender| async move {
        loop {
            let body = match load {
                Load::Each(bodies) => match bodies.get(next.fetch_add(1, Ordering::Relaxed)) {
                    Some(body) => body,
                    None => return,
                },
                Load::Repeat(body, duration) => {
                    if started.elapsed() >= duration {
                        return;
                    }
                    body
                }
            };
            let calls = occurrences(body, b"\"method\"").max(1);
            let request = Request::post("/")
                .header(header::HOST, authority.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .body(Full::new(body.0.clone()))
                .expect("a valid request");
            // A keep-alive connection takes the next request once it has settled the last.
            let answer = match sender.ready().await {
                Ok(()) => sender.send_request(request).await,
                Err(e) => Err(e),
            };
            let answer = match answer {
                Ok(response) => response.into_body().collect().await.map(|b| b.to_bytes()),
                Err(e) => Err(e),
            };
            answered.fetch_add(calls, Ordering::Relaxed);
            let failed = match &answer {
                // An answer without any result (an HTTP error page, say) fails every call.
                Ok(answer) if occurrences(answer, b"\"result\"") == 0 => calls,
                Ok(answer) => errors_in(answer),
                Err(_) => calls,
            };
            if failed > 0 {
                errors.fetch_add(failed, Ordering::Relaxed);
                if !reported.swap(true, Ordering::Relaxed) {
                    match &answer {
                        Ok(a) => eprintln!(
                            "first error: {}",
                            String::from_utf8_lossy(&a[..a.len().min(400)])
                        ),
                        Err(e) => eprintln!("first error: {e}"),
                    }
                }
                if answer.is_err() {
                    return;
                }
            }
        }
    });
    futures::future::join_all(workers).await;
    Ok((
        started.elapsed().as_secs_f64(),
        answered.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json_rpc_calls() {
        let raws = vec![Bytes::from(vec![0x02, 0xab]), Bytes::from(vec![0x62])];
        let single = Bodies::send_raw(&raws, None);
        let first: serde_json::Value = serde_json::from_slice(&single.0[0]).unwrap();
        assert_eq!(first["method"], "eth_sendRawTransaction");
        assert_eq!(first["params"][0], "0x02ab");
        assert_eq!(single.0.len(), 2);
        let batch = Bodies::send_raw(&raws, Some(100));
        assert_eq!(batch.0.len(), 1);
        let calls: serde_json::Value = serde_json::from_slice(&batch.0[0]).unwrap();
        assert_eq!(calls[1]["params"][0], "0x62");
        assert_eq!(calls[1]["id"], 1);
    }

    #[test]
    fn errors_are_counted_per_call() {
        let answer = br#"[{"jsonrpc":"2.0","id":0,"result":"0x12"},{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"nonce too low"}}]"#;
        assert_eq!(errors_in(answer), 1);
        assert_eq!(errors_in(br#"{"jsonrpc":"2.0","id":0,"result":"0x12"}"#), 0);
    }
}
