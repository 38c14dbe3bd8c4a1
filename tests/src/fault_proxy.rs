//! A loopback HTTP proxy in front of moto (and, routed by signing service, the Security
//! Hub emulator) that injects faults into chosen AWS operations, in each protocol's own
//! wire shape. A function pointed at it (`AWS_ENDPOINT_URL[_<SERVICE>]`) sees the
//! upstream, except where a test planned otherwise:
//!
//! - [`FaultProxy::fail`] / [`FaultProxy::fail_always`]: the next calls (or every call)
//!   of an operation answered with a [`Fault`]: throttling, a 500, a 503, a connection
//!   dropped without an answer, or an answer slower than the caller waits;
//! - [`FaultProxy::stall`]: calls that never answer, as a network partition or a hung
//!   service would (the test can then kill the process mid-request, as Lambda does at
//!   its timeout);
//! - [`FaultProxy::stall_answer`]: the Nth call from now, of whatever operation, reaches
//!   the service but its answer never comes back: the call acted, the caller never
//!   learns it (a process killed there stops right after that call).
//!
//! It also records every operation ([`FaultProxy::calls`]), every fault it injected
//! ([`FaultProxy::injected`]) and times the upstream's answers ([`FaultProxy::upstream_time`]):
//! the benchmark puts one in front of moto and of the Security Hub emulator to tell the
//! emulators' time from the implementation's own.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::securityhub::{credential_scope, written};

/// What the proxy does to one call instead of forwarding it at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// The protocol's throttling error (JSON 1.1 and query `ThrottlingException` /
    /// `Throttling` 400, Security Hub `LimitExceededException` 429, S3 `SlowDown` 503).
    Throttle,
    /// A 500 (`InternalFailure`; S3 `InternalError`; Security Hub `InternalException`).
    InternalError,
    /// A 503 `ServiceUnavailable`.
    Unavailable,
    /// The connection closed (reset) before any answer: the call never reached the service.
    Reset,
    /// The call held this long before it is forwarded: longer than the caller waits, it
    /// never answers ([`FaultProxy::clear`] drops it, so it never acts late either).
    Slow(Duration),
}

/// The wire protocol of a call, told from the request itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// `X-Amz-Target` names the operation: Config, SSM, KMS.
    Json11,
    /// A form body with `Action=`: IAM, STS.
    Query,
    /// Signed for `securityhub`: routes and methods name the operation.
    RestJson1,
    /// Anything else: S3's REST API (the bucket-owner check's `GetBucketLocation`).
    RestXml,
}

#[derive(Default)]
struct State {
    /// Faults planned per operation, the next call's first.
    planned: HashMap<String, VecDeque<Fault>>,
    /// Faults every call of an operation gets once its planned ones are spent.
    always: HashMap<String, Fault>,
    /// Operations whose calls never answer.
    stalled: BTreeSet<String>,
    /// Calls arrived since the start, of every operation (never reset).
    arrived: usize,
    /// The count of [`State::arrived`] whose call's answer is held ([`FaultProxy::stall_answer`]).
    answer_stalled_at: Option<usize>,
    /// The calls whose answer the service gave and the proxy holds, by operation.
    answers_held: Vec<String>,
    /// Upstreams by signing service, for calls not to the default upstream.
    routes: BTreeMap<String, Arc<str>>,
    seen: Vec<String>,
    injected: Vec<(String, Fault)>,
    /// Time spent waiting for the upstream's answers (request sent → body read).
    upstream: Duration,
}

impl State {
    fn next_fault(&mut self, operation: &str) -> Option<Fault> {
        let planned = self
            .planned
            .get_mut(operation)
            .and_then(VecDeque::pop_front);
        let fault = planned.or_else(|| self.always.get(operation).copied())?;
        self.injected.push((operation.to_owned(), fault));
        Some(fault)
    }
}

/// The proxy; it serves until the test process ends.
#[derive(Clone)]
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    /// Bumped by [`FaultProxy::clear`]: held calls are then dropped.
    cleared: tokio::sync::watch::Sender<u64>,
}

/// What the proxy's service answers: `Err` closes the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl FaultProxy {
    /// Starts on a free 127.0.0.1 port, forwarding to `upstream` (`http://127.0.0.1:port`).
    pub async fn start(upstream: &str) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let cleared = tokio::sync::watch::Sender::new(0);
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let upstream: Arc<str> = upstream.trim_end_matches('/').into();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let proxy = Self {
            addr,
            state,
            cleared,
        };
        let serving = proxy.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                // A connection closed without an answer is reset (RST), as a dropped
                // connection looks to the client.
                let _ = stream.set_zero_linger();
                let (proxy, client, upstream) =
                    (serving.clone(), client.clone(), Arc::clone(&upstream));
                let service = service_fn(move |request| {
                    let (proxy, client, upstream) =
                        (proxy.clone(), client.clone(), Arc::clone(&upstream));
                    async move { proxy.answer(request, &client, &upstream).await }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        proxy
    }

    /// `http://127.0.0.1:<port>`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends the calls signed for `service` (e.g. `securityhub`) to `upstream` instead.
    pub fn route(&self, service: &str, upstream: &str) -> &Self {
        self.state()
            .routes
            .insert(service.to_owned(), upstream.trim_end_matches('/').into());
        self
    }

    /// The next `times` calls of `operation` (after those already planned) get `fault`.
    pub fn fail(&self, operation: &str, fault: Fault, times: u32) -> &Self {
        let mut state = self.state();
        let planned = state.planned.entry(operation.to_owned()).or_default();
        planned.extend(std::iter::repeat_n(fault, times as usize));
        self
    }

    /// Every call of `operation` gets `fault` (once the planned ones are spent).
    pub fn fail_always(&self, operation: &str, fault: Fault) -> &Self {
        self.state().always.insert(operation.to_owned(), fault);
        self
    }

    /// No more faults: calls are forwarded again, and calls held by [`Fault::Slow`] are
    /// dropped unanswered (never forwarded late). Stalls stay.
    pub fn clear(&self) {
        let mut state = self.state();
        state.planned.clear();
        state.always.clear();
        self.cleared.send_modify(|generation| *generation += 1);
    }

    /// Every fault injected so far, in order, with its operation.
    pub fn injected(&self) -> Vec<(String, Fault)> {
        self.state().injected.clone()
    }

    /// Calls to `operation` (e.g. `PutDeliveryChannel`) hang from now on.
    pub fn stall(&self, operation: &str) {
        self.state().stalled.insert(operation.to_owned());
    }

    /// Calls to `operation` arriving from now on are forwarded again (those already
    /// stalled stay stalled).
    pub fn release(&self, operation: &str) {
        self.state().stalled.remove(operation);
    }

    /// Every operation that arrived, in order (`Service.Operation` targets shortened to
    /// the operation; query-protocol calls by their `Action`; REST calls by the
    /// operation their method and path name).
    pub fn calls(&self) -> Vec<String> {
        self.state().seen.clone()
    }

    /// Forgets the calls seen so far (and the upstream time).
    pub fn reset_calls(&self) {
        let mut state = self.state();
        state.seen.clear();
        state.upstream = Duration::ZERO;
    }

    /// How long the upstream took to answer the calls seen so far, summed: a lower
    /// bound of any client's time for them when it calls one at a time.
    pub fn upstream_time(&self) -> Duration {
        self.state().upstream
    }

    /// The `n`th call from now (1: the next one), of whatever operation, is forwarded,
    /// and its answer held forever: the service acted, the caller never hears of it.
    /// Replaces a stall planned so before; calls after it are forwarded as usual.
    pub fn stall_answer(&self, n: usize) {
        assert!(n >= 1, "the first call from now is 1");
        let mut state = self.state();
        state.answer_stalled_at = Some(state.arrived + n);
    }

    /// The operations whose answers the service gave and [`FaultProxy::stall_answer`]
    /// holds, in order.
    pub fn answers_held(&self) -> Vec<String> {
        self.state().answers_held.clone()
    }

    /// Whether a call to `operation` arrived.
    pub fn saw(&self, operation: &str) -> bool {
        self.state().seen.iter().any(|op| op == operation)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers one call: its planned fault, or the upstream's answer (timed).
    async fn answer(
        &self,
        request: Request<Incoming>,
        client: &reqwest::Client,
        default_upstream: &str,
    ) -> Result<Response<Full<Bytes>>, Dropped> {
        let (parts, body) = request.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let service = credential_scope(&parts.headers).map(|(_, service)| service);
        let protocol = protocol_of(&parts.headers, &body, service.as_deref());
        let operation = operation_of(protocol, &parts.method, &parts.uri, &parts.headers, &body);
        let (fault, stalled, hold_answer, upstream) = {
            let mut state = self.state();
            state.seen.push(operation.clone());
            state.arrived += 1;
            let hold_answer = state.answer_stalled_at == Some(state.arrived);
            let upstream = service
                .and_then(|service| state.routes.get(&service).cloned())
                .unwrap_or_else(|| default_upstream.into());
            let stalled = state.stalled.contains(&operation);
            let fault = state.next_fault(&operation);
            (fault, stalled, hold_answer, upstream)
        };
        if stalled {
            std::future::pending::<()>().await;
        }
        match fault {
            None => {}
            Some(Fault::Reset) => return Err(Dropped),
            Some(Fault::Slow(delay)) => {
                let mut cleared = self.cleared.subscribe();
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    _ = cleared.changed() => return Err(Dropped),
                }
            }
            Some(fault) => return Ok(error_answer(protocol, fault)),
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
        Ok(match outgoing.send().await {
            Ok(answer) => {
                let mut response = Response::builder().status(answer.status());
                for (name, value) in answer.headers() {
                    if name != "content-length" && name != "transfer-encoding" {
                        response = response.header(name, value);
                    }
                }
                let bytes = answer.bytes().await.unwrap_or_default();
                {
                    let mut state = self.state();
                    state.upstream += sent.elapsed();
                    if hold_answer {
                        state.answers_held.push(operation);
                    }
                }
                if hold_answer {
                    std::future::pending::<()>().await;
                }
                response.body(Full::new(bytes)).expect("response")
            }
            Err(error) => Response::builder()
                .status(502)
                .body(Full::new(Bytes::from(error.to_string())))
                .expect("response"),
        })
    }
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a planned fault")
    }
}

impl std::error::Error for Dropped {}

fn protocol_of(headers: &HeaderMap, body: &[u8], service: Option<&str>) -> Protocol {
    if headers.contains_key("x-amz-target") {
        Protocol::Json11
    } else if action_of(body).is_some() {
        Protocol::Query
    } else if service == Some("securityhub") {
        Protocol::RestJson1
    } else {
        Protocol::RestXml
    }
}

fn action_of(body: &[u8]) -> Option<String> {
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_owned)
}

/// The AWS operation a request calls: the `X-Amz-Target` of JSON protocols, the
/// `Action` of query protocols (IAM, STS), Security Hub's by method and path, or S3's
/// `GetBucketLocation` (`GET /<bucket>?location`).
fn operation_of(
    protocol: Protocol,
    method: &hyper::Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> String {
    let named = match protocol {
        Protocol::Json11 => headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .and_then(|target| target.rsplit('.').next())
            .filter(|operation| !operation.is_empty())
            .map(str::to_owned),
        Protocol::Query => action_of(body),
        Protocol::RestJson1 => {
            Some(crate::securityhub::operation_of(method, uri.path()).to_owned())
        }
        Protocol::RestXml => {
            (uri.query() == Some("location")).then(|| "GetBucketLocation".to_owned())
        }
    };
    named.unwrap_or_else(|| {
        let body = String::from_utf8_lossy(body);
        format!(
            "unknown: {method} {uri} {}",
            body.chars().take(60).collect::<String>()
        )
    })
}

/// `fault` as the service answers it in `protocol`'s shape. The codes and statuses are
/// the APIs' common errors: "InternalFailure: The request processing has failed because
/// of an unknown error, exception or failure. HTTP Status Code: 500", "ServiceUnavailable:
/// The request has failed due to a temporary failure of the server. HTTP Status Code:
/// 503", "ThrottlingException: The request was denied due to request throttling. HTTP
/// Status Code: 400" (query services say `Throttling`); Security Hub throttles with
/// `LimitExceededException` (429) and fails with `InternalException` (500); S3 answers
/// `SlowDown` ("SlowDown errors can occur when a high request rate triggers one of these
/// mechanisms", 503) and `InternalError` ("If Amazon S3 returns an InternalError
/// response, retry the request.", 500).
fn error_answer(protocol: Protocol, fault: Fault) -> Response<Full<Bytes>> {
    let (status, code, message) = match (protocol, fault) {
        (Protocol::Json11, Fault::Throttle) => (400, "ThrottlingException", "Rate exceeded"),
        (Protocol::Query, Fault::Throttle) => (400, "Throttling", "Rate exceeded"),
        (Protocol::RestJson1, Fault::Throttle) => (429, "LimitExceededException", "Rate exceeded"),
        (Protocol::RestXml, Fault::Throttle) => {
            (503, "SlowDown", "Please reduce your request rate.")
        }
        (Protocol::RestJson1, Fault::InternalError) => {
            (500, "InternalException", "Internal server error.")
        }
        (Protocol::RestXml, Fault::InternalError) => (
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
        (_, Fault::InternalError) => (
            500,
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        ),
        (_, _) => (
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        ),
    };
    let request_id = "fa017ed0-0000-4000-8000-000000000000";
    let (content_type, body) = match protocol {
        Protocol::Json11 => (
            "application/x-amz-json-1.1",
            serde_json::json!({"__type": code, "message": message}).to_string(),
        ),
        Protocol::RestJson1 => return written(Err((status, code, message.to_owned())), request_id),
        Protocol::Query => {
            let kind = if status < 500 { "Sender" } else { "Receiver" };
            (
                "text/xml",
                format!("<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"),
            )
        }
        Protocol::RestXml => (
            "application/xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"),
        ),
    };
    let mut response = Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-requestid", request_id);
    if protocol == Protocol::Json11 {
        response = response.header("x-amzn-errortype", code);
    }
    response
        .body(Full::new(Bytes::from(body)))
        .expect("response")
}
