//! `/metrics` and `/healthz` over HTTP/1.1 (hyper on the daemon's tokio
//! runtime).
//!
//! - `GET /metrics`: the Prometheus text exposition (SPEC §7).
//! - `GET /healthz`: `200 {"status":"ok"}`, or `503` with the current
//!   problems as JSON ([`Health`]).
//!
//! The listener binds `metrics.listen`, loopback by default (SPEC §8). A
//! bind failure is reported at startup, before anything is read.

use super::{Health, Metrics};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

/// Content type of the Prometheus text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Binds `addr` (`host:port`; port 0 picks a free one).
pub fn bind(addr: &str) -> std::io::Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr)?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Serves `/metrics` and `/healthz` on `listener` until the task is
/// dropped. Must run inside a tokio runtime.
pub async fn serve(listener: std::net::TcpListener, metrics: Metrics, health: Health) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            crate::error!("metrics: cannot serve: {e}");
            return;
        }
    };
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors and the like: back off, keep serving.
                crate::warn!("metrics: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let metrics = metrics.clone();
        let health = health.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let r = respond(&req, &metrics, &health);
                async move { Ok::<_, Infallible>(r) }
            });
            // A client that never finishes its headers cannot hold a task.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

/// The local address a bound listener serves on.
pub fn local_addr(l: &std::net::TcpListener) -> Option<SocketAddr> {
    l.local_addr().ok()
}

fn respond(req: &Request<Incoming>, metrics: &Metrics, health: &Health) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
    }
    match req.uri().path() {
        "/metrics" => {
            let mut r = Response::new(Full::new(Bytes::from(metrics.render())));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(PROMETHEUS_TEXT));
            r
        }
        "/healthz" => {
            let (ok, body) = health.report();
            let mut r = Response::new(Full::new(Bytes::from(body + "\n")));
            if !ok {
                *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            }
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        "/" => plain(StatusCode::OK, "picket: see /metrics and /healthz\n"),
        _ => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_metrics_and_health() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let l = bind("127.0.0.1:0").unwrap();
        let addr = local_addr(&l).unwrap();
        let m = Metrics::new();
        let h = Health::new();
        rt.spawn(serve(l, m.clone(), h.clone()));
        let r = get(addr, "/metrics");
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        assert!(r.contains("text/plain; version=0.0.4"), "{r}");
        assert!(r.contains("picket_build_info"), "{r}");
        assert!(get(addr, "/healthz").contains("{\"status\":\"ok\"}"));
        h.set("sink/x", "down");
        let r = get(addr, "/healthz");
        assert!(r.starts_with("HTTP/1.1 503"), "{r}");
        assert!(r.contains("\"sink/x\":\"down\""), "{r}");
        assert!(get(addr, "/nope").starts_with("HTTP/1.1 404"));
    }
}
