//! The block explorer: a static page (HTML, CSS, JavaScript, no build step) embedded in
//! the binary and served on the RPC port (docs/explorer.md).
//!
//! [`ExplorerLayer`] sits in the HTTP middleware chain and answers a plain `GET` (or
//! `HEAD`) of one of its few paths itself; every other request (JSON-RPC `POST`s,
//! WebSocket upgrades of `GET /`, CORS preflights, other paths) goes to jsonrpsee
//! unchanged. The page reads the chain with JSON-RPC `POST`s to its own origin.

use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};
use tower::{Layer, Service};

/// What the page may do: its own scripts, styles and JSON-RPC calls, nothing else (no
/// inline script, no framing, no form posts).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("../explorer/index.html");
const EXPLORER_JS: &str = include_str!("../explorer/explorer.js");
const EXPLORER_CSS: &str = include_str!("../explorer/explorer.css");
const FAVICON_SVG: &str = include_str!("../explorer/favicon.svg");

/// One embedded file.
#[derive(Debug, Clone, Copy)]
struct Asset {
    content_type: &'static str,
    body: &'static str,
}

/// The embedded file at `path`, if any.
fn asset(path: &str) -> Option<Asset> {
    let (content_type, body) = match path {
        "/" | "/index.html" => ("text/html; charset=utf-8", INDEX_HTML),
        "/explorer.js" => ("text/javascript; charset=utf-8", EXPLORER_JS),
        "/explorer.css" => ("text/css; charset=utf-8", EXPLORER_CSS),
        "/favicon.svg" => ("image/svg+xml", FAVICON_SVG),
        _ => return None,
    };
    Some(Asset { content_type, body })
}

/// The explorer's answer to `req`, or `None` when jsonrpsee should answer it: only
/// `GET`/`HEAD` of an embedded path without an `Upgrade` header (a WebSocket handshake
/// is a `GET /` with `Upgrade: websocket`).
fn respond<B>(req: &HttpRequest<B>) -> Option<HttpResponse> {
    if !(req.method() == "GET" || req.method() == "HEAD") || req.headers().contains_key("upgrade") {
        return None;
    }
    let asset = asset(req.uri().path())?;
    let response = HttpResponse::<()>::builder()
        .status(200)
        .header("content-type", asset.content_type)
        .header("content-security-policy", CONTENT_SECURITY_POLICY)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("cache-control", "no-cache")
        .body(HttpBody::from(asset.body))
        .expect("static headers are valid");
    Some(response)
}

/// Tower layer that serves the explorer in front of jsonrpsee.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ExplorerLayer;

impl<S> Layer<S> for ExplorerLayer {
    type Service = Explorer<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Explorer { inner }
    }
}

/// The service of [`ExplorerLayer`]: the embedded files, else `inner`.
#[derive(Debug, Clone)]
pub(crate) struct Explorer<S> {
    inner: S,
}

// === impl Explorer ===

impl<S, B> Service<HttpRequest<B>> for Explorer<S>
where
    S: Service<HttpRequest<B>, Response = HttpResponse>,
    S::Error: Send + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: HttpRequest<B>) -> Self::Future {
        match respond(&req) {
            Some(response) => Box::pin(std::future::ready(Ok(response))),
            None => Box::pin(self.inner.call(req)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, upgrade: bool) -> HttpRequest<()> {
        let mut builder = HttpRequest::<()>::builder().method(method).uri(path);
        if upgrade {
            builder = builder
                .header("upgrade", "websocket")
                .header("connection", "Upgrade");
        }
        builder.body(()).expect("request")
    }

    #[test]
    fn serves_its_files_with_types_and_policy() {
        for (path, ty) in [
            ("/", "text/html; charset=utf-8"),
            ("/?x=1", "text/html; charset=utf-8"),
            ("/index.html", "text/html; charset=utf-8"),
            ("/explorer.js", "text/javascript; charset=utf-8"),
            ("/explorer.css", "text/css; charset=utf-8"),
            ("/favicon.svg", "image/svg+xml"),
        ] {
            let r = respond(&request("GET", path, false)).expect(path);
            assert_eq!(r.headers()["content-type"], ty, "{path}");
            let csp = r.headers()["content-security-policy"]
                .to_str()
                .expect("ascii");
            assert!(
                csp.contains("script-src 'self'") && !csp.contains("unsafe"),
                "{csp}"
            );
        }
        assert!(respond(&request("HEAD", "/", false)).is_some());
    }

    #[test]
    fn leaves_everything_else_to_jsonrpsee() {
        assert!(respond(&request("POST", "/", false)).is_none());
        assert!(respond(&request("OPTIONS", "/", false)).is_none());
        assert!(
            respond(&request("GET", "/", true)).is_none(),
            "WebSocket upgrade"
        );
        assert!(respond(&request("GET", "/health", false)).is_none());
        assert!(respond(&request("GET", "/../Cargo.toml", false)).is_none());
    }

    #[test]
    fn page_loads_only_its_own_files() {
        assert!(INDEX_HTML.contains(r#"<script src="explorer.js""#));
        assert!(INDEX_HTML.contains(r#"href="explorer.css""#));
        assert!(!INDEX_HTML.contains("<script>"), "no inline script");
        assert!(
            !EXPLORER_JS.contains("innerHTML"),
            "data goes in with textContent"
        );
    }
}
