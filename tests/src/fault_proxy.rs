//! A loopback HTTP proxy in front of moto that can stall chosen AWS JSON operations
//! (those named by the `X-Amz-Target` header), as a network partition or a hung
//! service would. A function pointed at it (`AWS_ENDPOINT_URL_<SERVICE>`) sees moto,
//! except that a stalled call never answers: the test can then kill the process
//! mid-request, as Lambda does at its timeout.
//!
//! It also times the upstream's answers, call by call ([`FaultProxy::upstream_time`]):
//! the benchmark puts one in front of moto and of the Security Hub emulator to tell the
//! emulators' time from the implementation's own.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cfn_custom_resource_kit::testing::serve_loopback;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

#[derive(Default)]
struct State {
    stalled: BTreeSet<String>,
    seen: Vec<String>,
    /// Time spent waiting for the upstream's answers (request sent → body read).
    upstream: Duration,
}

/// The proxy; it serves until the test process ends.
#[derive(Clone)]
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// Starts on a free 127.0.0.1 port, forwarding to `upstream` (`http://127.0.0.1:port`).
    pub async fn start(upstream: &str) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let upstream: Arc<str> = upstream.trim_end_matches('/').into();
        let serving = Arc::clone(&state);
        let addr = serve_loopback(move |request| {
            let state = Arc::clone(&serving);
            let client = client.clone();
            let upstream = Arc::clone(&upstream);
            async move { forward(&state, request, &client, &upstream).await }
        })
        .await;
        Self { addr, state }
    }

    /// `http://127.0.0.1:<port>`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Calls to `operation` (e.g. `PutDeliveryChannel`) hang from now on.
    pub fn stall(&self, operation: &str) {
        self.state
            .lock()
            .unwrap()
            .stalled
            .insert(operation.to_owned());
    }

    /// Calls to `operation` arriving from now on are forwarded again (those already
    /// stalled stay stalled).
    pub fn release(&self, operation: &str) {
        self.state.lock().unwrap().stalled.remove(operation);
    }

    /// Every operation that arrived, in order (`Service.Operation` targets shortened to
    /// the operation; query-protocol calls by their `Action`).
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Forgets the calls seen so far (and the upstream time).
    pub fn reset_calls(&self) {
        let mut state = self.state.lock().unwrap();
        state.seen.clear();
        state.upstream = Duration::ZERO;
    }

    /// How long the upstream took to answer the calls seen so far, summed: a lower
    /// bound of any client's time for them when it calls one at a time.
    pub fn upstream_time(&self) -> Duration {
        self.state.lock().unwrap().upstream
    }

    /// Whether a call to `operation` arrived.
    pub fn saw(&self, operation: &str) -> bool {
        self.state
            .lock()
            .unwrap()
            .seen
            .iter()
            .any(|op| op == operation)
    }
}

/// Forwards `request` to `upstream` unless its operation is stalled, counting the
/// upstream's time.
async fn forward(
    state: &Mutex<State>,
    request: Request<Incoming>,
    client: &reqwest::Client,
    upstream: &str,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let operation = operation_of(&parts.uri, &parts.headers, &body);
    let stalled = {
        let mut state = state.lock().unwrap();
        state.seen.push(operation.clone());
        state.stalled.contains(&operation)
    };
    if stalled {
        std::future::pending::<()>().await;
    }
    let url = format!(
        "{upstream}{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut outgoing = client.request(parts.method.clone(), url).body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            outgoing = outgoing.header(name, value);
        }
    }
    let sent = Instant::now();
    match outgoing.send().await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status());
            for (name, value) in answer.headers() {
                if name != "content-length" && name != "transfer-encoding" {
                    response = response.header(name, value);
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            state.lock().unwrap().upstream += sent.elapsed();
            response.body(Full::new(bytes)).expect("response")
        }
        Err(error) => Response::builder()
            .status(502)
            .body(Full::new(Bytes::from(error.to_string())))
            .expect("response"),
    }
}

/// The AWS operation a request calls: the `X-Amz-Target` of JSON protocols, the
/// `Action` of query protocols (IAM, STS), or S3's `GetBucketLocation` (`GET /<bucket>?location`).
fn operation_of(uri: &hyper::Uri, headers: &hyper::HeaderMap, body: &[u8]) -> String {
    if uri.query() == Some("location") {
        return "GetBucketLocation".to_owned();
    }
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|target| target.rsplit('.').next())
        .filter(|operation| !operation.is_empty());
    if let Some(operation) = target {
        return operation.to_owned();
    }
    let body = String::from_utf8_lossy(body);
    body.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map_or_else(
            || format!("unknown: {}", body.chars().take(60).collect::<String>()),
            str::to_owned,
        )
}
