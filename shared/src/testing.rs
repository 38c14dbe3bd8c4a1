//! Test support: a loopback HTTP server standing in for the pre-signed ResponseURL, and
//! (with the `ledger` feature) SSM Parameter Store in memory for the ownership ledger.
//!
//! Compiled for this crate's tests and, with the `testing` feature, for the functions'
//! unit tests and the end-to-end tests.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[cfg(feature = "ledger")]
pub use crate::parameter_store::ParameterStore;

/// One request the server received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// HTTP method, e.g. `PUT`.
    pub method: String,
    /// Path with the query string, as sent.
    pub path_and_query: String,
    /// The `Content-Type` header, if sent (CloudFormation's URL needs it empty).
    pub content_type: Option<String>,
    /// The `Content-Length` header, if sent.
    pub content_length: Option<usize>,
    /// The body.
    pub body: Vec<u8>,
    /// When the request had been read in full.
    pub received_at: std::time::Instant,
}

#[derive(Default)]
struct State {
    /// Statuses to answer with, in order; once used up every request gets 200.
    planned: Vec<u16>,
    requests: Vec<Recorded>,
}

/// A loopback server that records every request and answers the first ones with
/// planned statuses (e.g. `[503, 503]` fails the first two PUTs), then 200.
#[derive(Clone)]
pub struct ResponseServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl ResponseServer {
    /// Starts on a free 127.0.0.1 port; runs until the runtime stops.
    pub async fn start(planned: Vec<u16>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            planned,
            requests: Vec::new(),
        }));
        let server = Self { addr, state };
        let accepting = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = accepting.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let server = server.clone();
                        async move { Ok::<_, Infallible>(server.answer(request).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        server
    }

    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        };
        let content_type = header("content-type");
        let content_length = header("content-length").and_then(|v| v.parse().ok());
        let method = request.method().to_string();
        let path_and_query = request
            .uri()
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default();
        let body = match request.into_body().collect().await {
            Ok(collected) => collected.to_bytes().to_vec(),
            Err(_) => Vec::new(),
        };
        let status = {
            let mut state = self.state.lock().expect("state lock");
            state.requests.push(Recorded {
                method,
                path_and_query,
                content_type,
                content_length,
                body,
                received_at: std::time::Instant::now(),
            });
            if state.planned.is_empty() {
                200
            } else {
                state.planned.remove(0)
            }
        };
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        response
    }

    /// The address to put in a ResponseURL.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A ResponseURL on this server with a fake signature in its query string.
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://{}/{}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=s3cr3t-signature",
            self.addr,
            path.trim_start_matches('/')
        )
    }

    /// Plans statuses for the next requests (e.g. `[503, 503]`).
    pub fn plan(&self, statuses: Vec<u16>) {
        self.state.lock().expect("state lock").planned = statuses;
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().expect("state lock").requests.clone()
    }

    /// The requests whose path starts with `/{path}`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        let prefix = format!("/{}", path.trim_start_matches('/'));
        self.requests()
            .into_iter()
            .filter(|r| r.path_and_query.split('?').next() == Some(prefix.as_str()))
            .collect()
    }
}
