//! Test support: a loopback HTTP server standing in for the pre-signed ResponseURL, and
//! (with the `ledger` feature) SSM Parameter Store in memory for the ownership ledger.
//!
//! Compiled for this crate's tests and, with the `testing` feature, for the functions'
//! unit tests and the end-to-end tests.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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

use crate::{
    parse_properties, CustomResource, Failure, Outcome, ReasonCode, RequestContext, RequestType,
    ResourceProperties,
};

/// How long a request made by [`create`], [`update`] and [`delete`] has.
pub const REQUEST_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// A context of `request_type` with `time` left (a `tokio::time` instant, so a test on
/// paused time waits as long as it likes) and, on Update and Delete, the physical id
/// CloudFormation would send.
pub fn context(request_type: RequestType, time: std::time::Duration) -> RequestContext {
    let physical_id = (request_type != RequestType::Create).then_some("test-TestResource-1");
    RequestContext::for_tests_of(
        request_type,
        physical_id,
        tokio::time::Instant::now() + time,
    )
}

/// `properties` parsed as the runner parses them; panics when they do not parse.
pub fn properties<P: ResourceProperties>(properties: serde_json::Value) -> P {
    parse_properties(&properties).expect("the test's properties parse")
}

/// The `INVALID_PROPERTIES` reason the runner would answer for `properties`; panics when
/// they parse, or fail with another code.
pub fn invalid<P: ResourceProperties + std::fmt::Debug>(properties: serde_json::Value) -> String {
    let failure = parse_properties::<P>(&properties).expect_err("the properties must not parse");
    assert_eq!(failure.code(), ReasonCode::InvalidProperties, "{failure}");
    failure.to_string()
}

/// A Create of `resource` with `properties`, as the runner calls it.
pub async fn create<R: CustomResource>(
    resource: &R,
    properties: serde_json::Value,
) -> Result<Outcome, Failure> {
    create_within(resource, REQUEST_TIME, properties).await
}

/// A Create of `resource` with `properties` and `time` left ([`create`] has
/// [`REQUEST_TIME`]): for tests of waits and retries that need longer, on paused time.
pub async fn create_within<R: CustomResource>(
    resource: &R,
    time: std::time::Duration,
    properties: serde_json::Value,
) -> Result<Outcome, Failure> {
    let ctx = context(RequestType::Create, time);
    resource.create(&ctx, self::properties(properties)).await
}

/// An Update of `resource` to `properties` (no old properties).
pub async fn update<R: CustomResource>(
    resource: &R,
    properties: serde_json::Value,
) -> Result<Outcome, Failure> {
    let ctx = context(RequestType::Update, REQUEST_TIME);
    resource
        .update(&ctx, self::properties(properties), None)
        .await
}

/// A Delete of `resource` with `properties` (`None`: they did not parse).
pub async fn delete<R: CustomResource>(
    resource: &R,
    properties: Option<serde_json::Value>,
) -> Result<Outcome, Failure> {
    let ctx = context(RequestType::Delete, REQUEST_TIME);
    resource
        .delete(&ctx, properties.map(self::properties))
        .await
}

/// Asserts that `result` failed with `code` and a reason containing each of `texts` (the
/// reason as sent: code, message, AWS call); returns the failure for further checks.
#[track_caller]
pub fn assert_failed<T: std::fmt::Debug>(
    result: Result<T, Failure>,
    code: ReasonCode,
    texts: &[&str],
) -> Failure {
    let failure = result.expect_err("the request must fail");
    assert_eq!(failure.code(), code, "{failure}");
    let reason = failure.to_string();
    for text in texts {
        assert!(reason.contains(text), "{text:?} is not in: {reason}");
    }
    failure
}

/// Asserts that every mock rule answered at least once.
pub fn assert_all_called(rules: &[&aws_smithy_mocks::Rule]) {
    for (index, rule) in rules.iter().enumerate() {
        assert!(rule.num_calls() > 0, "rule {index} was never used");
    }
}

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

/// Serves `answer` on a free 127.0.0.1 port, each connection on its own task, until the
/// runtime stops; returns the address. The one accept loop of every loopback stand-in
/// (the ResponseURL here; the Runtime API, the fault proxy and the emulators in the harness).
pub async fn serve_loopback<A, F>(answer: A) -> SocketAddr
where
    A: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let answered = answer(request);
                    async move { Ok::<_, Infallible>(answered.await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Records `request` and answers it with the next planned status (200 once none is left).
async fn record(state: Arc<Mutex<State>>, request: Request<Incoming>) -> Response<Full<Bytes>> {
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
        let mut state = state.lock().expect("state lock");
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
        let state = Arc::new(Mutex::new(State {
            planned,
            requests: Vec::new(),
        }));
        let answering = Arc::clone(&state);
        let addr = serve_loopback(move |request| record(Arc::clone(&answering), request)).await;
        Self { addr, state }
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

/// The codes any resource calling `services` may answer: what the runner itself answers
/// (`INVALID_PROPERTIES`, `ACCESS_DENIED`, `TIMEOUT`, `INTERNAL`), what the generic
/// classification of an AWS error gives, and what those services' error tables give.
/// A resource adds the codes its own code constructs.
fn codes_the_kit_answers(services: &[&str]) -> Vec<ReasonCode> {
    let mut codes = vec![
        ReasonCode::InvalidProperties,
        ReasonCode::AccessDenied,
        ReasonCode::OrgManaged,
        ReasonCode::NotFound,
        ReasonCode::Conflict,
        ReasonCode::LimitExceeded,
        ReasonCode::Throttled,
        ReasonCode::ServiceError,
        ReasonCode::Timeout,
        ReasonCode::Internal,
    ];
    for service in services {
        codes.extend(
            crate::failure::error_table(service)
                .iter()
                .map(|rule| rule.reason),
        );
    }
    codes.sort_by_key(|c| c.as_str());
    codes.dedup();
    codes
}

/// Checks that `docs/runbook.md` (in `workspace`) holds exactly [`crate::render_runbook`]'s section for `title`,
/// between `<!-- runbook: title -->` and `<!-- end runbook: title -->`. With
/// `RUNBOOK_WRITE=1` in the environment it writes the section instead.
fn check_runbook_section(workspace: &Path, title: &str, remedies: &[crate::Remedy]) {
    let path = workspace.join("docs/runbook.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (start, end) = (
        format!("<!-- runbook: {title} -->\n"),
        format!("<!-- end runbook: {title} -->"),
    );
    // What a FAILED reason of each code ends with: the resource's entry, else the common one.
    let all: Vec<crate::Remedy> = ReasonCode::ALL
        .into_iter()
        .filter_map(|code| crate::runbook::remedy_for(remedies, code))
        .copied()
        .collect();
    let wanted = crate::render_runbook(title, &all);
    let found = text.find(&start).and_then(|i| {
        text[i + start.len()..]
            .find(&end)
            .map(|j| (i, i + start.len() + j))
    });
    if std::env::var("RUNBOOK_WRITE").is_ok_and(|v| v == "1") {
        let section = format!("{start}{wanted}{end}");
        let text = match found {
            Some((i, j)) => format!("{}{section}{}", &text[..i], &text[j + end.len()..]),
            None => format!("{}\n{section}\n", text.trim_end()),
        };
        std::fs::write(&path, text).expect("write docs/runbook.md");
        return;
    }
    let (i, j) = found.unwrap_or_else(|| {
        panic!("docs/runbook.md has no section {title}; run the tests with RUNBOOK_WRITE=1")
    });
    assert_eq!(
        &text[i + start.len()..j],
        wanted,
        "docs/runbook.md's section {title} differs from the code's table; run the tests with RUNBOOK_WRITE=1"
    );
}

/// The codes a crate's own code constructs (`ReasonCode::X` in `src/**/*.rs` of its folder;
/// files and folders named for tests aside).
fn codes_in_source(crate_dir: &Path) -> Vec<ReasonCode> {
    fn scan(dir: &std::path::Path, codes: &mut Vec<ReasonCode>) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("a source file").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.contains("tests") {
                continue;
            }
            if path.is_dir() {
                scan(&path, codes);
            } else if name.ends_with(".rs") {
                let text = std::fs::read_to_string(&path).expect("readable source");
                codes.extend(
                    ReasonCode::ALL
                        .into_iter()
                        .filter(|code| text.contains(&format!("ReasonCode::{code:?}"))),
                );
            }
        }
    }
    let mut codes = Vec::new();
    scan(&crate_dir.join("src"), &mut codes);
    codes.sort_by_key(|c| c.as_str());
    codes.dedup();
    codes
}

/// Asserts that `runbook` with [`crate::COMMON_REMEDIES`] documents exactly the codes
/// the resource can answer: those of [`codes_the_kit_answers`] for `services` and of
/// [`codes_in_source`] for each of `crate_dirs`; every code once, none that cannot happen.
fn assert_runbook_covers(crate_dirs: &[PathBuf], services: &[&str], runbook: &[crate::Remedy]) {
    let mut possible = codes_the_kit_answers(services);
    for dir in crate_dirs {
        possible.extend(codes_in_source(dir));
    }
    possible.sort_by_key(|c| c.as_str());
    possible.dedup();
    let mut own: Vec<ReasonCode> = runbook.iter().map(|r| r.code).collect();
    own.sort_by_key(|c| c.as_str());
    let before = own.len();
    own.dedup();
    assert_eq!(
        before,
        own.len(),
        "a code documented twice in the resource's runbook"
    );
    // The resource's entry for a common code replaces the common one.
    let mut documented = own;
    documented.extend(crate::COMMON_REMEDIES.iter().map(|r| r.code));
    documented.sort_by_key(|c| c.as_str());
    documented.dedup();
    assert_eq!(
        documented, possible,
        "documented codes vs the codes the resource can answer"
    );
}

/// A resource's runbook test: the table lists every code the resource can answer once
/// and no other, and `docs/runbook.md`'s section `title` says what the table says.
/// `workspace` holds `docs/`; `crates`, relative to it, are the folders of the crates whose
/// code answers for the resource; `services` are the services it calls.
pub fn check_runbook(
    workspace: &Path,
    crates: &[&str],
    services: &[&str],
    title: &str,
    runbook: &[crate::Remedy],
) {
    let crate_dirs: Vec<PathBuf> = crates.iter().map(|dir| workspace.join(dir)).collect();
    assert_runbook_covers(&crate_dirs, services, runbook);
    check_runbook_section(workspace, title, runbook);
}

/// Every sample event under `events/<function>/` (in `workspace`) is a request of
/// `resource_type` named `<request-type>[-<variant>].json` whose properties (and old
/// properties) parse, unless the name ends in `bad-properties`; `create`, `update` and
/// `delete` are there.
pub fn check_sample_events<P: ResourceProperties + std::fmt::Debug>(
    workspace: &Path,
    function: &str,
    resource_type: &str,
) {
    let dir = workspace.join("events").join(function);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let mut event: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // An SNS-backed resource's event: the request is the record's message.
        if let Some(message) = event["Records"][0]["Sns"]["Message"].as_str() {
            event = serde_json::from_str(message).expect("an SNS message holding a request");
        }
        let request_type = name.split('-').next().unwrap();
        assert_eq!(
            event["RequestType"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no RequestType"))
                .to_lowercase(),
            request_type,
            "{name}"
        );
        assert_eq!(event["ResourceType"], resource_type, "{name}");
        let parsed = parse_properties::<P>(&event["ResourceProperties"]);
        if name.ends_with("bad-properties") {
            assert_eq!(
                parsed.unwrap_err().code(),
                ReasonCode::InvalidProperties,
                "{name}"
            );
        } else {
            parsed.unwrap_or_else(|failure| panic!("{name}: {failure}"));
        }
        if let Some(old) = event.get("OldResourceProperties") {
            parse_properties::<P>(old).unwrap();
        }
        names.push(name);
    }
    for needed in ["create", "update", "delete"] {
        assert!(
            names.iter().any(|n| n == needed),
            "{needed}.json is missing"
        );
    }
}
