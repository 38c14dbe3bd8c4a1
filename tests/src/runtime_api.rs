//! The Lambda Runtime API, served on loopback: what a real function polls in AWS.
//!
//! Implements `GET /2018-06-01/runtime/invocation/next`, `POST .../{id}/response`,
//! `POST .../{id}/error` and `POST /2018-06-01/runtime/init/error`, with the headers
//! `lambda_runtime` reads (request id, deadline, function ARN, trace id).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cfn_custom_resource_kit::testing::serve_loopback;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// What the function reported for one invocation.
#[derive(Clone, Debug, PartialEq)]
pub enum InvocationResult {
    /// `POST .../response`: the handler's return value.
    Response(Value),
    /// `POST .../error`: the error the handler returned to Lambda.
    Error(Value),
}

struct Queued {
    id: String,
    /// The event as sent: JSON, or any bytes (a malformed event).
    payload: Vec<u8>,
    deadline_ms: u64,
}

struct State {
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<InvocationResult>>>,
    first_poll: Mutex<Option<Instant>>,
    init_error: Mutex<Option<String>>,
}

/// A Runtime API endpoint for one function process.
#[derive(Clone)]
pub struct RuntimeApi {
    addr: SocketAddr,
    sender: mpsc::UnboundedSender<Queued>,
    state: Arc<State>,
}

impl RuntimeApi {
    /// Starts on a free 127.0.0.1 port.
    pub async fn start() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            queue: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::default(),
            first_poll: Mutex::default(),
            init_error: Mutex::default(),
        });
        let serving = Arc::clone(&state);
        let addr = serve_loopback(move |request| {
            let state = Arc::clone(&serving);
            async move { route(&state, request).await }
        })
        .await;
        Self {
            addr,
            sender,
            state,
        }
    }

    /// `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an invocation whose Lambda deadline is `timeout` from now.
    pub fn invoke(
        &self,
        id: &str,
        payload: Value,
        timeout: Duration,
    ) -> oneshot::Receiver<InvocationResult> {
        self.invoke_raw(id, serde_json::to_vec(&payload).unwrap(), timeout)
    }

    /// Queues an invocation whose event is `payload` as it is, JSON or not.
    pub fn invoke_raw(
        &self,
        id: &str,
        payload: Vec<u8>,
        timeout: Duration,
    ) -> oneshot::Receiver<InvocationResult> {
        let (tx, rx) = oneshot::channel();
        self.state.waiting.lock().unwrap().insert(id.to_owned(), tx);
        let deadline = SystemTime::now() + timeout;
        let deadline_ms = deadline.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        self.sender
            .send(Queued {
                id: id.to_owned(),
                payload,
                deadline_ms,
            })
            .expect("runtime api queue");
        rx
    }

    /// When the function first asked for an event.
    pub fn first_poll(&self) -> Option<Instant> {
        *self.state.first_poll.lock().unwrap()
    }

    /// What the function reported to `/runtime/init/error`, if anything.
    pub fn init_error(&self) -> Option<String> {
        self.state.init_error.lock().unwrap().clone()
    }
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

async fn route(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        (Method::GET, ["2018-06-01", "runtime", "invocation", "next"]) => {
            state
                .first_poll
                .lock()
                .unwrap()
                .get_or_insert_with(Instant::now);
            let next = state.queue.lock().await.recv().await;
            let Some(next) = next else {
                return reply(StatusCode::GONE, Vec::new());
            };
            let mut response = reply(StatusCode::OK, next.payload);
            let headers = response.headers_mut();
            headers.insert("lambda-runtime-aws-request-id", next.id.parse().unwrap());
            headers.insert(
                "lambda-runtime-deadline-ms",
                next.deadline_ms.to_string().parse().unwrap(),
            );
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:under-test"
                    .parse()
                    .unwrap(),
            );
            headers.insert(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000;Sampled=0"
                    .parse()
                    .unwrap(),
            );
            response
        }
        (
            Method::POST,
            ["2018-06-01", "runtime", "invocation", id, outcome @ ("response" | "error")],
        ) => {
            let value = serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
            let result = if *outcome == "response" {
                InvocationResult::Response(value)
            } else {
                InvocationResult::Error(value)
            };
            if let Some(waiter) = state.waiting.lock().unwrap().remove(*id) {
                let _ = waiter.send(result);
            }
            reply(StatusCode::ACCEPTED, b"{\"status\":\"OK\"}".to_vec())
        }
        (Method::POST, ["2018-06-01", "runtime", "init", "error"]) => {
            *state.init_error.lock().unwrap() = Some(String::from_utf8_lossy(&body).into_owned());
            reply(StatusCode::ACCEPTED, b"{\"status\":\"OK\"}".to_vec())
        }
        _ => reply(StatusCode::NOT_FOUND, Vec::new()),
    }
}
