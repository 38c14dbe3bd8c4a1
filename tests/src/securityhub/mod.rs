//! A Security Hub CSPM emulator on loopback: the REST (restJson1) wire format of the
//! real service, and a state machine for the hub and its standards subscriptions.
//!
//! # Why one emulator for the whole service
//!
//! moto implements `EnableSecurityHub`, `DescribeHub` and `DisableSecurityHub`, but not
//! the standards calls (404), not `UpdateSecurityHubConfiguration`, not hub tags, and it
//! answers a second enable with success instead of `ResourceConflictException`. A router
//! forwarding the hub calls to moto would also share one hub per account and region
//! between every test of the process (moto runs once per process, tests run in
//! parallel): one test disabling the hub would pull it from under another. So each test
//! starts its own emulator serving the whole service, with its own hub and
//! subscriptions; the functions reach it through `AWS_ENDPOINT_URL_SECURITYHUB` (the
//! SDK's standard setting) and cannot tell it from Security Hub.
//!
//! What stays real: AWS Config. When a standard leaves `PENDING`, the emulator asks
//! moto's AWS Config (`DescribeConfigurationRecorderStatus`) whether a recorder records,
//! as Security Hub needs; if none does, the standard becomes `INCOMPLETE` with
//! `NO_AVAILABLE_CONFIGURATION_RECORDER` ([`Recording::FromMoto`]). moto's recorder is
//! one per region for the whole process, so tests that do not exercise that dependency
//! declare it instead ([`Recording::Assumed`], the default) and never touch moto's
//! recorder; the tests that do take [`crate::config_lock`].
//!
//! # The state machine
//!
//! - Hub: not subscribed → `EnableSecurityHub` → subscribed (`SECURITY_CONTROL`,
//!   `AutoEnableControls` true, tags as sent; the default standards `PENDING` unless
//!   `EnableDefaultStandards` is false). A second enable: `ResourceConflictException`.
//!   `UpdateSecurityHubConfiguration` is accepted and shows in `DescribeHub` after
//!   [`SecurityHub::setting_delay`] reads. `DisableSecurityHub` drops the hub, its tags
//!   and every subscription.
//! - Standards: `BatchEnableStandards` (1–25 per call, one call per second, else
//!   `LimitExceededException`) → `PENDING` for [`SecurityHub::pending_polls`]
//!   `GetEnabledStandards` calls → `READY`, or `INCOMPLETE` with a `StatusReasonCode`.
//!   `BatchDisableStandards` of a `PENDING` subscription is refused with the service's
//!   words ("in state PENDING, please try later"); otherwise `DELETING` for
//!   [`SecurityHub::deleting_polls`] reads, then gone, or `FAILED` ("could not be
//!   disabled") when asked for ([`SecurityHub::failing_disables`]). A standards ARN where a
//!   subscription ARN belongs is `AccessDeniedException`, as the service answers.
//! - On demand: throttling of any operation ([`SecurityHub::throttle`]), a centrally
//!   configured account (`AccessDeniedException` naming the central configuration
//!   policy), a member account, an administrator with members, a region without a
//!   standard, a standard that ends `INCOMPLETE` for another reason.
//!
//! Errors carry the type in `x-amzn-ErrorType` and `{"Code", "Message"}` in the body,
//! with the status codes of the Security Hub API reference (401 `InvalidAccessException`,
//! 403 `AccessDeniedException`, 400 `InvalidInputException`, 404
//! `ResourceNotFoundException`, 409 `ResourceConflictException`, 429
//! `LimitExceededException`). The region comes from the request's SigV4 credential
//! scope; the account is moto's default, 123456789012. The exact wording of the
//! organization refusals is the emulator's own (the functions match the service's key
//! phrases: "central configuration", "member account", "administrator").

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;

use crate::moto::Moto;

/// The account every request acts for (moto's default account).
pub const ACCOUNT: &str = "123456789012";

/// How long `BatchEnableStandards` wants between calls.
const ENABLE_INTERVAL: Duration = Duration::from_secs(1);

/// The standards every region offers here: (short id, name, enabled by default).
/// CIS 1.2.0 has the region-less `ruleset/` ARN, the others `<region>::standards/`.
pub const CATALOGUE: &[(&str, &str, bool)] = &[
    (
        "aws-foundational-security-best-practices/v/1.0.0",
        "AWS Foundational Security Best Practices v1.0.0",
        true,
    ),
    (
        "cis-aws-foundations-benchmark/v/1.2.0",
        "CIS AWS Foundations Benchmark v1.2.0",
        true,
    ),
    (
        "cis-aws-foundations-benchmark/v/1.4.0",
        "CIS AWS Foundations Benchmark v1.4.0",
        false,
    ),
    (
        "cis-aws-foundations-benchmark/v/3.0.0",
        "CIS AWS Foundations Benchmark v3.0.0",
        false,
    ),
    (
        "cis-aws-foundations-benchmark/v/5.0.0",
        "CIS AWS Foundations Benchmark v5.0.0",
        false,
    ),
    (
        "nist-800-53/v/5.0.0",
        "NIST Special Publication 800-53 Revision 5",
        false,
    ),
    ("nist-800-171/v/2.0.0", "NIST SP 800-171 Revision 2", false),
    ("pci-dss/v/3.2.1", "PCI DSS v3.2.1", false),
    ("pci-dss/v/4.0.1", "PCI DSS v4.0.1", false),
    (
        "aws-resource-tagging-standard/v/1.0.0",
        "AWS Resource Tagging Standard v1.0.0",
        false,
    ),
];

/// Whether AWS Config records, as the emulator decides when a standard leaves `PENDING`.
#[derive(Clone, Debug)]
pub enum Recording {
    /// Declared by the test: no AWS call (tests that do not exercise the dependency).
    Assumed(bool),
    /// Asked of moto's AWS Config: a recorder whose status says `recording`.
    FromMoto(aws_sdk_config::Client),
}

/// One request the emulator answered.
#[derive(Clone, Debug)]
pub struct Call {
    /// The API operation, e.g. `BatchEnableStandards`.
    pub operation: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The error type answered, if any.
    pub error: Option<String>,
    /// The JSON body received (`null` when none).
    pub body: Value,
    /// When it arrived (before its body was read).
    pub at: Instant,
}

/// A standards subscription as the emulator holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The standards ARN.
    pub standards_arn: String,
    /// `arn:<partition>:securityhub:<region>:<account>:subscription/<short id>`
    pub subscription_arn: String,
    /// `PENDING`, `READY`, `INCOMPLETE`, `DELETING` or `FAILED`.
    pub status: String,
    /// `StatusReasonCode`, with `INCOMPLETE`.
    pub reason: Option<String>,
    polls_left: u32,
}

impl Subscription {
    /// `name/v/version`
    pub fn short_id(&self) -> &str {
        short_id_of(&self.standards_arn)
    }

    fn to_json(&self) -> Value {
        let mut value = json!({
            "StandardsSubscriptionArn": self.subscription_arn,
            "StandardsArn": self.standards_arn,
            "StandardsInput": {},
            "StandardsStatus": self.status,
            "StandardsControlsUpdatable": if self.status == "READY" { "READY_FOR_UPDATES" } else { "NOT_READY_FOR_UPDATES" },
        });
        if let Some(reason) = &self.reason {
            value["StandardsStatusReason"] = json!({ "StatusReasonCode": reason });
        }
        value
    }
}

/// The hub as the emulator holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hub {
    /// `arn:<partition>:securityhub:<region>:<account>:hub/default`
    pub arn: String,
    /// ISO 8601.
    pub subscribed_at: String,
    /// What `DescribeHub` shows.
    pub auto_enable_controls: bool,
    /// What `DescribeHub` shows.
    pub control_finding_generator: String,
    /// The hub's tags.
    pub tags: BTreeMap<String, String>,
    /// Accepted changes not yet shown: (AutoEnableControls, ControlFindingGenerator, reads left).
    pending_change: Option<(Option<bool>, Option<String>, u32)>,
}

#[derive(Debug)]
struct State {
    hub: Option<Hub>,
    subscriptions: Vec<Subscription>,
    pending_polls: u32,
    deleting_polls: u32,
    setting_delay: u32,
    page_size: usize,
    centrally_configured: bool,
    administrator: Option<String>,
    members: u32,
    missing_standards: Vec<String>,
    incomplete: HashMap<String, String>,
    /// Per short id: how many more disables end `FAILED`, and with which reason code.
    failing_disables: HashMap<String, (u32, String)>,
    throttles: HashMap<String, u32>,
    last_batch_enable: Option<Instant>,
    calls: Vec<Call>,
    requests: u64,
}

struct Inner {
    state: Mutex<State>,
    recording: Mutex<Recording>,
    /// Operations held back (see [`SecurityHub::hold`]), and how many calls wait on each.
    held: tokio::sync::watch::Sender<Vec<String>>,
    waiting: Mutex<HashMap<String, usize>>,
}

/// A running emulator (one per test). Stops with the test's runtime.
#[derive(Clone)]
pub struct SecurityHub {
    addr: SocketAddr,
    inner: Arc<Inner>,
}

/// One parsed request.
struct Parsed {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    region: String,
    body: Value,
}

/// An error answer: HTTP status, error type, message.
type ApiError = (u16, &'static str, String);

type Answer = Result<Value, ApiError>;

impl SecurityHub {
    /// Starts an emulator on a free 127.0.0.1 port: no hub, standards `PENDING` for 2
    /// polls, `DELETING` for 1, settings shown after 1 read, AWS Config assumed recording.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                hub: None,
                subscriptions: Vec::new(),
                pending_polls: 2,
                deleting_polls: 1,
                setting_delay: 1,
                page_size: 4,
                centrally_configured: false,
                administrator: None,
                members: 0,
                missing_standards: Vec::new(),
                incomplete: HashMap::new(),
                failing_disables: HashMap::new(),
                throttles: HashMap::new(),
                last_batch_enable: None,
                calls: Vec::new(),
                requests: 0,
            }),
            recording: Mutex::new(Recording::Assumed(true)),
            held: tokio::sync::watch::Sender::new(Vec::new()),
            waiting: Mutex::default(),
        });
        let emulator = Self { addr, inner };
        let serving = emulator.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let emulator = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let emulator = emulator.clone();
                        async move { Ok::<_, Infallible>(emulator.answer(request).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        emulator
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SECURITYHUB`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment entry pointing a function at this emulator.
    pub fn env(&self) -> (&'static str, String) {
        ("AWS_ENDPOINT_URL_SECURITYHUB", self.endpoint())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // ---- knobs ----

    /// How many `GetEnabledStandards` calls a new subscription stays `PENDING`.
    pub fn pending_polls(&self, polls: u32) -> &Self {
        self.state().pending_polls = polls;
        self
    }

    /// How many `GetEnabledStandards` calls a disabled subscription stays `DELETING`.
    pub fn deleting_polls(&self, polls: u32) -> &Self {
        self.state().deleting_polls = polls;
        self
    }

    /// How many `DescribeHub` reads an accepted settings change takes to show.
    pub fn setting_delay(&self, reads: u32) -> &Self {
        self.state().setting_delay = reads;
        self
    }

    /// Where the AWS Config recording state comes from.
    pub fn recording(&self, recording: Recording) -> &Self {
        *self
            .inner
            .recording
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = recording;
        self
    }

    /// Asks moto's AWS Config whether a recorder records (take [`crate::config_lock`]).
    pub async fn recording_from_moto(&self, moto: &Moto) -> &Self {
        let client = aws_sdk_config::Client::new(&moto.sdk_config().await);
        self.recording(Recording::FromMoto(client))
    }

    /// Holds every call of `operation` until [`Self::release`]: two requests racing
    /// for the same thing can then be lined up exactly (both past their reads, neither
    /// served yet), as two stacks deployed at the same moment may be.
    pub fn hold(&self, operation: &str) -> &Self {
        self.inner
            .held
            .send_modify(|held| held.push(operation.to_owned()));
        self
    }

    /// Lets the held calls of `operation` (and later ones) through.
    pub fn release(&self, operation: &str) -> &Self {
        self.inner
            .held
            .send_modify(|held| held.retain(|op| op != operation));
        self
    }

    /// Waits (up to 10 s) until `count` calls of a held `operation` are waiting.
    pub async fn wait_for_held(&self, operation: &str, count: usize) {
        let started = Instant::now();
        while self
            .inner
            .waiting
            .lock()
            .unwrap()
            .get(operation)
            .copied()
            .unwrap_or_default()
            < count
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{count} held {operation} calls never arrived"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Answers the next `times` calls of `operation` with `LimitExceededException` (429).
    pub fn throttle(&self, operation: &str, times: u32) -> &Self {
        self.state().throttles.insert(operation.to_owned(), times);
        self
    }

    /// The account is governed by a central configuration policy: changes are refused.
    pub fn centrally_configured(&self, yes: bool) -> &Self {
        self.state().centrally_configured = yes;
        self
    }

    /// The account is a member of `administrator` (or of none).
    pub fn member_of(&self, administrator: Option<&str>) -> &Self {
        self.state().administrator = administrator.map(str::to_owned);
        self
    }

    /// The account is an administrator with this many member accounts.
    pub fn members(&self, count: u32) -> &Self {
        self.state().members = count;
        self
    }

    /// This region does not offer the standard `short_id`.
    pub fn without_standard(&self, short_id: &str) -> &Self {
        self.state().missing_standards.push(short_id.to_owned());
        self
    }

    /// `short_id` leaves `PENDING` as `INCOMPLETE` with `reason`, whatever AWS Config does.
    pub fn incomplete(&self, short_id: &str, reason: &str) -> &Self {
        self.state()
            .incomplete
            .insert(short_id.to_owned(), reason.to_owned());
        self
    }

    /// The next `times` disables of `short_id` end `FAILED` with `reason` instead of
    /// gone: StandardsSubscription, "FAILED - The standard could not be disabled. One or
    /// more errors (StandardsStatusReason) occurred when AWS Security Hub CSPM attempted
    /// to disable the standard."
    pub fn failing_disables(&self, short_id: &str, times: u32, reason: &str) -> &Self {
        self.state()
            .failing_disables
            .insert(short_id.to_owned(), (times, reason.to_owned()));
        self
    }

    /// A hub enabled before the test (someone else's), in `region`.
    pub fn hub_enabled_before(&self, region: &str, generator: &str, auto_enable: bool) -> &Self {
        self.state().hub = Some(Hub {
            arn: hub_arn(region),
            subscribed_at: "2024-03-01T08:00:00.000Z".into(),
            auto_enable_controls: auto_enable,
            control_finding_generator: generator.into(),
            tags: BTreeMap::new(),
            pending_change: None,
        });
        self
    }

    /// A standard enabled and `READY` before the test (someone else's), in `region`.
    pub fn standard_enabled_before(&self, region: &str, short_id: &str) -> &Self {
        let mut state = self.state();
        let subscription = Subscription {
            standards_arn: standards_arn(region, short_id),
            subscription_arn: subscription_arn(region, short_id),
            status: "READY".into(),
            reason: None,
            polls_left: 0,
        };
        state.subscriptions.push(subscription);
        self
    }

    // ---- what a test reads back ----

    /// The hub, if subscribed.
    pub fn hub(&self) -> Option<Hub> {
        self.state().hub.clone()
    }

    /// Every subscription, in the order they were made.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.state().subscriptions.clone()
    }

    /// The status of `short_id`'s subscription, if there is one.
    pub fn status_of(&self, short_id: &str) -> Option<String> {
        self.subscriptions()
            .into_iter()
            .find(|s| s.short_id() == short_id)
            .map(|s| s.status)
    }

    /// Every request answered so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The operations called so far, in order.
    pub fn operations(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.operation).collect()
    }

    // ---- serving ----

    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let arrived = Instant::now();
        let parsed = parse(request).await;
        let operation = operation_of(&parsed.method, &parsed.path);
        let mut held = self.inner.held.subscribe();
        if held.borrow().iter().any(|op| op == operation) {
            *self
                .inner
                .waiting
                .lock()
                .unwrap()
                .entry(operation.to_owned())
                .or_default() += 1;
            let _ = held
                .wait_for(|held| !held.iter().any(|op| op == operation))
                .await;
        }
        let recording = if operation == "GetEnabledStandards" {
            self.config_records().await
        } else {
            true
        };
        let answer = {
            let mut state = self.state();
            state.requests += 1;
            let throttled = match state.throttles.get_mut(operation) {
                Some(left) if *left > 0 => {
                    *left -= 1;
                    true
                }
                _ => false,
            };
            if throttled {
                Err((429, "LimitExceededException", "Rate exceeded".to_owned()))
            } else {
                state.handle(operation, &parsed, recording, arrived)
            }
        };
        let request_id = format!(
            "5e1b0c2d-0000-4000-8000-{:012x}",
            self.state().requests & 0xffff_ffff_ffff
        );
        let (status, error, body) = match answer {
            Ok(body) => (200, None, body),
            Err((status, code, message)) => (
                status,
                Some(code.to_owned()),
                json!({"Code": code, "Message": message}),
            ),
        };
        self.state().calls.push(Call {
            operation: operation.to_owned(),
            status,
            error: error.clone(),
            body: parsed.body.clone(),
            at: arrived,
        });
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = StatusCode::from_u16(status).expect("status");
        let headers = response.headers_mut();
        headers.insert("content-type", "application/json".parse().expect("header"));
        headers.insert("x-amzn-requestid", request_id.parse().expect("header"));
        if let Some(code) = error {
            headers.insert("x-amzn-errortype", code.parse().expect("header"));
        }
        response
    }

    /// Whether AWS Config records, per [`Recording`].
    async fn config_records(&self) -> bool {
        let recording = self
            .inner
            .recording
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        match recording {
            Recording::Assumed(records) => records,
            Recording::FromMoto(client) => client
                .describe_configuration_recorder_status()
                .send()
                .await
                .map(|output| {
                    output
                        .configuration_recorders_status()
                        .iter()
                        .any(|status| status.recording())
                })
                .unwrap_or(false),
        }
    }
}

fn operation_of(method: &Method, path: &str) -> &'static str {
    match (method.as_str(), path) {
        ("POST", "/accounts") => "EnableSecurityHub",
        ("GET", "/accounts") => "DescribeHub",
        ("PATCH", "/accounts") => "UpdateSecurityHubConfiguration",
        ("DELETE", "/accounts") => "DisableSecurityHub",
        ("GET", "/standards") => "DescribeStandards",
        ("POST", "/standards/get") => "GetEnabledStandards",
        ("POST", "/standards/register") => "BatchEnableStandards",
        ("POST", "/standards/deregister") => "BatchDisableStandards",
        ("POST", p) if p.starts_with("/tags/") => "TagResource",
        ("GET", p) if p.starts_with("/tags/") => "ListTagsForResource",
        ("DELETE", p) if p.starts_with("/tags/") => "UntagResource",
        _ => "Unknown",
    }
}

async fn parse(request: Request<Incoming>) -> Parsed {
    let method = request.method().clone();
    let path = percent_decode(request.uri().path());
    let query = request
        .uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect();
    let region = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(region_of_credential_scope)
        .unwrap_or_else(|| "us-east-1".to_owned());
    let bytes = request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Parsed {
        method,
        path,
        query,
        region,
        body,
    }
}

/// The region of a SigV4 `Authorization` header (`Credential=<key>/<date>/<region>/...`).
fn region_of_credential_scope(authorization: &str) -> Option<String> {
    let scope = authorization.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    scope.split('/').nth(2).map(str::to_owned)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The partition of a region.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The standards ARN of `short_id` in `region` (CIS 1.2.0: the region-less `ruleset/` form).
pub fn standards_arn(region: &str, short_id: &str) -> String {
    let partition = partition_of(region);
    if short_id == "cis-aws-foundations-benchmark/v/1.2.0" {
        format!("arn:{partition}:securityhub:::ruleset/{short_id}")
    } else {
        format!("arn:{partition}:securityhub:{region}::standards/{short_id}")
    }
}

/// The subscription ARN of `short_id` in `region`.
pub fn subscription_arn(region: &str, short_id: &str) -> String {
    let partition = partition_of(region);
    format!("arn:{partition}:securityhub:{region}:{ACCOUNT}:subscription/{short_id}")
}

/// The hub ARN in `region`.
pub fn hub_arn(region: &str) -> String {
    let partition = partition_of(region);
    format!("arn:{partition}:securityhub:{region}:{ACCOUNT}:hub/default")
}

fn short_id_of(arn: &str) -> &str {
    arn.split_once(":standards/")
        .or_else(|| arn.split_once(":ruleset/"))
        .or_else(|| arn.split_once(":subscription/"))
        .map_or(arn, |(_, id)| id)
}

/// Now as ISO 8601 with milliseconds (`2026-01-15T09:30:00.000Z`).
fn iso8601_now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

fn not_subscribed() -> ApiError {
    (
        401,
        "InvalidAccessException",
        format!("Account {ACCOUNT} is not subscribed to AWS Security Hub"),
    )
}

fn central_configuration(operation: &str) -> ApiError {
    (
        403,
        "AccessDeniedException",
        format!(
            "{operation} is not allowed: account {ACCOUNT} is managed by a central configuration policy of the Security Hub delegated administrator; change the configuration policy instead"
        ),
    )
}

fn invalid_input(message: String) -> ApiError {
    (400, "InvalidInputException", message)
}

impl State {
    fn handle(
        &mut self,
        operation: &str,
        request: &Parsed,
        recording: bool,
        arrived: Instant,
    ) -> Answer {
        match operation {
            "EnableSecurityHub" => self.enable_security_hub(request),
            "DescribeHub" => self.describe_hub(request),
            "UpdateSecurityHubConfiguration" => self.update_configuration(request),
            "DisableSecurityHub" => self.disable_security_hub(),
            "DescribeStandards" => self.describe_standards(request),
            "GetEnabledStandards" => self.get_enabled_standards(request, recording),
            "BatchEnableStandards" => self.batch_enable_standards(request, arrived),
            "BatchDisableStandards" => self.batch_disable_standards(request),
            "TagResource" | "ListTagsForResource" | "UntagResource" => {
                self.tags(operation, request)
            }
            _ => Err((
                404,
                "UnknownOperationException",
                format!(
                    "{} {} is not an operation of this emulator",
                    request.method, request.path
                ),
            )),
        }
    }

    fn hub_mut(&mut self) -> Result<&mut Hub, ApiError> {
        self.hub.as_mut().ok_or_else(not_subscribed)
    }

    fn enable_security_hub(&mut self, request: &Parsed) -> Answer {
        if self.hub.is_some() {
            return Err((
                409,
                "ResourceConflictException",
                format!("Account {ACCOUNT} is already subscribed to Security Hub"),
            ));
        }
        let body = &request.body;
        let generator = match body.get("ControlFindingGenerator").and_then(Value::as_str) {
            None => "SECURITY_CONTROL".to_owned(),
            Some(g @ ("SECURITY_CONTROL" | "STANDARD_CONTROL")) => g.to_owned(),
            Some(other) => {
                return Err(invalid_input(format!(
                    "Invalid ControlFindingGenerator: {other}"
                )))
            }
        };
        let tags = string_map(body.get("Tags"));
        self.hub = Some(Hub {
            arn: hub_arn(&request.region),
            subscribed_at: iso8601_now(),
            auto_enable_controls: true,
            control_finding_generator: generator,
            tags,
            pending_change: None,
        });
        let defaults = body
            .get("EnableDefaultStandards")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if defaults {
            for (short_id, _, by_default) in CATALOGUE {
                if *by_default {
                    self.subscribe(&request.region, short_id);
                }
            }
        }
        Ok(json!({}))
    }

    fn describe_hub(&mut self, request: &Parsed) -> Answer {
        let hub = self.hub_mut()?;
        if let Some((_, asked)) = request.query.iter().find(|(k, _)| k == "HubArn") {
            if *asked != hub.arn {
                return Err((
                    404,
                    "ResourceNotFoundException",
                    format!("The request was rejected because no hub was found with ARN {asked}."),
                ));
            }
        }
        if let Some((auto, generator, reads)) = hub.pending_change.take() {
            if reads <= 1 {
                if let Some(auto) = auto {
                    hub.auto_enable_controls = auto;
                }
                if let Some(generator) = generator {
                    hub.control_finding_generator = generator;
                }
            } else {
                hub.pending_change = Some((auto, generator, reads - 1));
            }
        }
        Ok(json!({
            "HubArn": hub.arn,
            "SubscribedAt": hub.subscribed_at,
            "AutoEnableControls": hub.auto_enable_controls,
            "ControlFindingGenerator": hub.control_finding_generator,
        }))
    }

    fn update_configuration(&mut self, request: &Parsed) -> Answer {
        self.hub_mut()?;
        if self.centrally_configured {
            return Err(central_configuration("UpdateSecurityHubConfiguration"));
        }
        let auto = request
            .body
            .get("AutoEnableControls")
            .and_then(Value::as_bool);
        let generator = match request
            .body
            .get("ControlFindingGenerator")
            .and_then(Value::as_str)
        {
            None => None,
            Some(g @ ("SECURITY_CONTROL" | "STANDARD_CONTROL")) => Some(g.to_owned()),
            Some(other) => {
                return Err(invalid_input(format!(
                    "Invalid ControlFindingGenerator: {other}"
                )))
            }
        };
        if let (Some(administrator), Some(_)) = (&self.administrator, &generator) {
            return Err((
                401,
                "InvalidAccessException",
                format!(
                    "Account {ACCOUNT} is a member account of administrator {administrator}: ControlFindingGenerator can only be updated in the administrator account"
                ),
            ));
        }
        let delay = self.setting_delay;
        let hub = self.hub_mut()?;
        if delay == 0 {
            if let Some(auto) = auto {
                hub.auto_enable_controls = auto;
            }
            if let Some(generator) = generator {
                hub.control_finding_generator = generator;
            }
        } else {
            let (old_auto, old_generator) = hub
                .pending_change
                .take()
                .map(|(a, g, _)| (a, g))
                .unwrap_or_default();
            hub.pending_change = Some((auto.or(old_auto), generator.or(old_generator), delay));
        }
        Ok(json!({}))
    }

    fn disable_security_hub(&mut self) -> Answer {
        self.hub_mut()?;
        if self.centrally_configured {
            return Err(central_configuration("DisableSecurityHub"));
        }
        if let Some(administrator) = &self.administrator {
            return Err((
                401,
                "InvalidAccessException",
                format!(
                    "Account {ACCOUNT} is a member account of administrator {administrator}. Disassociate it from the administrator account before disabling Security Hub"
                ),
            ));
        }
        if self.members > 0 {
            return Err(invalid_input(format!(
                "Account {ACCOUNT} is the Security Hub administrator account for {} member accounts. Disassociate and delete the member accounts before disabling Security Hub",
                self.members
            )));
        }
        self.hub = None;
        self.subscriptions.clear();
        Ok(json!({}))
    }

    fn offered(&self, region: &str) -> Vec<(String, &'static str, bool)> {
        CATALOGUE
            .iter()
            .filter(|(id, _, _)| !self.missing_standards.iter().any(|m| m == id))
            .map(|(id, name, by_default)| (standards_arn(region, id), *name, *by_default))
            .collect()
    }

    fn page<T: Clone>(
        &self,
        items: &[T],
        token: Option<&str>,
        max: Option<usize>,
    ) -> Result<(Vec<T>, Option<String>), ApiError> {
        let start = match token {
            None => 0,
            Some(token) => token
                .strip_prefix("page-")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n <= items.len())
                .ok_or_else(|| invalid_input(format!("Invalid NextToken: {token}")))?,
        };
        let size = max.unwrap_or(self.page_size).clamp(1, 100);
        let end = (start + size).min(items.len());
        let next = (end < items.len()).then(|| format!("page-{end}"));
        Ok((items[start..end].to_vec(), next))
    }

    fn describe_standards(&mut self, request: &Parsed) -> Answer {
        self.hub_mut()?;
        let query = |name: &str| {
            request
                .query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let offered = self.offered(&request.region);
        let max = query("MaxResults").and_then(|m| m.parse().ok());
        let (page, next) = self.page(&offered, query("NextToken"), max)?;
        let standards: Vec<Value> = page
            .iter()
            .map(|(arn, name, by_default)| {
                json!({
                    "StandardsArn": arn,
                    "Name": name,
                    "Description": format!("{name} (emulated)"),
                    "EnabledByDefault": by_default,
                    "StandardsManagedBy": {"Company": "AWS", "Product": "Security Hub"},
                })
            })
            .collect();
        let mut body = json!({ "Standards": standards });
        if let Some(next) = next {
            body["NextToken"] = json!(next);
        }
        Ok(body)
    }

    /// Moves every subscription one poll along its life: `PENDING` and `DELETING` are
    /// shown for their polls, then `PENDING` becomes `READY` or `INCOMPLETE` and
    /// `DELETING` is gone (or `FAILED`, see [`SecurityHub::failing_disables`]).
    fn tick(&mut self, recording: bool) {
        let failing = &mut self.failing_disables;
        self.subscriptions.retain_mut(|s| {
            if !(s.status == "DELETING" && s.polls_left == 0) {
                return true;
            }
            match failing.get_mut(s.short_id()) {
                Some((times, reason)) if *times > 0 => {
                    *times -= 1;
                    s.status = "FAILED".into();
                    s.reason = Some(reason.clone());
                    true
                }
                _ => false,
            }
        });
        for subscription in &mut self.subscriptions {
            match subscription.status.as_str() {
                "PENDING" | "DELETING" if subscription.polls_left > 0 => {
                    subscription.polls_left -= 1;
                }
                "PENDING" => {
                    let reason = self
                        .incomplete
                        .get(subscription.short_id())
                        .cloned()
                        .or_else(|| {
                            (!recording).then(|| "NO_AVAILABLE_CONFIGURATION_RECORDER".to_owned())
                        });
                    subscription.status = if reason.is_some() {
                        "INCOMPLETE".into()
                    } else {
                        "READY".into()
                    };
                    subscription.reason = reason;
                }
                _ => {}
            }
        }
    }

    fn get_enabled_standards(&mut self, request: &Parsed, recording: bool) -> Answer {
        self.hub_mut()?;
        let token = request.body.get("NextToken").and_then(Value::as_str);
        if token.is_none() {
            self.tick(recording);
        }
        let wanted: Option<Vec<String>> = request
            .body
            .get("StandardsSubscriptionArns")
            .and_then(Value::as_array)
            .map(|arns| {
                arns.iter()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect()
            });
        let visible: Vec<Subscription> = self
            .subscriptions
            .iter()
            .filter(|s| {
                wanted
                    .as_ref()
                    .is_none_or(|w| w.contains(&s.subscription_arn))
            })
            .cloned()
            .collect();
        let max = request
            .body
            .get("MaxResults")
            .and_then(Value::as_u64)
            .map(|m| m as usize);
        let (page, next) = self.page(&visible, token, max)?;
        let mut body = json!({
            "StandardsSubscriptions": page.iter().map(Subscription::to_json).collect::<Vec<_>>()
        });
        if let Some(next) = next {
            body["NextToken"] = json!(next);
        }
        Ok(body)
    }

    fn subscribe(&mut self, region: &str, short_id: &str) -> Subscription {
        let arn = standards_arn(region, short_id);
        if let Some(existing) = self.subscriptions.iter().find(|s| s.standards_arn == arn) {
            return existing.clone();
        }
        let subscription = Subscription {
            standards_arn: arn,
            subscription_arn: subscription_arn(region, short_id),
            status: "PENDING".into(),
            reason: None,
            polls_left: self.pending_polls,
        };
        self.subscriptions.push(subscription.clone());
        subscription
    }

    fn batch_enable_standards(&mut self, request: &Parsed, arrived: Instant) -> Answer {
        self.hub_mut()?;
        if self.centrally_configured {
            return Err(central_configuration("BatchEnableStandards"));
        }
        if self
            .last_batch_enable
            .is_some_and(|last| arrived.duration_since(last) < ENABLE_INTERVAL)
        {
            return Err((429, "LimitExceededException", "Rate exceeded".into()));
        }
        self.last_batch_enable = Some(arrived);
        let requests = request
            .body
            .get("StandardsSubscriptionRequests")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if requests.is_empty() || requests.len() > 25 {
            return Err(invalid_input(format!(
                "StandardsSubscriptionRequests must have 1 to 25 items, got {}",
                requests.len()
            )));
        }
        let offered = self.offered(&request.region);
        let mut ids = Vec::new();
        let mut invalid = Vec::new();
        for item in &requests {
            let arn = item
                .get("StandardsArn")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if offered.iter().any(|(offered, _, _)| offered == arn) {
                ids.push(short_id_of(arn).to_owned());
            } else {
                invalid.push(json!({ "StandardsArn": arn }).to_string());
            }
        }
        if !invalid.is_empty() {
            return Err(invalid_input(format!(
                "Invalid StandardsSubscriptionRequest(s): [{}]",
                invalid.join(",")
            )));
        }
        let deleting: Vec<String> = ids
            .iter()
            .filter_map(|id| {
                self.subscriptions
                    .iter()
                    .find(|s| s.short_id() == id && s.status == "DELETING")
                    .map(|s| format!("\"{}\"", s.subscription_arn))
            })
            .collect();
        if !deleting.is_empty() {
            return Err(invalid_input(format!(
                "StandardsSubscription(s) in state DELETING, please try later: [{}]",
                deleting.join(",")
            )));
        }
        let made: Vec<Value> = ids
            .iter()
            .map(|id| self.subscribe(&request.region, id).to_json())
            .collect();
        Ok(json!({ "StandardsSubscriptions": made }))
    }

    fn batch_disable_standards(&mut self, request: &Parsed) -> Answer {
        self.hub_mut()?;
        if self.centrally_configured {
            return Err(central_configuration("BatchDisableStandards"));
        }
        let arns: Vec<String> = request
            .body
            .get("StandardsSubscriptionArns")
            .and_then(Value::as_array)
            .map(|arns| {
                arns.iter()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if arns.is_empty() || arns.len() > 25 {
            return Err(invalid_input(format!(
                "StandardsSubscriptionArns must have 1 to 25 items, got {}",
                arns.len()
            )));
        }
        if let Some(standards) = arns
            .iter()
            .find(|arn| arn.contains("::standards/") || arn.contains(":::ruleset/"))
        {
            return Err((
                403,
                "AccessDeniedException",
                format!(
                    "User: arn:aws:sts::{ACCOUNT}:assumed-role/under-test/under-test is not authorized to perform: securityhub:BatchDisableStandards on resource: {standards}"
                ),
            ));
        }
        let unknown: Vec<&String> = arns
            .iter()
            .filter(|arn| {
                !self
                    .subscriptions
                    .iter()
                    .any(|s| &s.subscription_arn == *arn)
            })
            .collect();
        if !unknown.is_empty() {
            return Err(invalid_input(format!(
                "The standards subscription(s) do not exist: {unknown:?}"
            )));
        }
        let pending: Vec<String> = self
            .subscriptions
            .iter()
            .filter(|s| arns.contains(&s.subscription_arn) && s.status == "PENDING")
            .map(|s| format!("\"{}\"", s.subscription_arn))
            .collect();
        if !pending.is_empty() {
            return Err(invalid_input(format!(
                "StandardsSubscription(s) in state PENDING, please try later: [{}]",
                pending.join(",")
            )));
        }
        let polls = self.deleting_polls;
        let mut changed = Vec::new();
        for subscription in &mut self.subscriptions {
            if arns.contains(&subscription.subscription_arn) && subscription.status != "DELETING" {
                subscription.status = "DELETING".into();
                subscription.reason = None;
                subscription.polls_left = polls;
            }
            if arns.contains(&subscription.subscription_arn) {
                changed.push(subscription.to_json());
            }
        }
        Ok(json!({ "StandardsSubscriptions": changed }))
    }

    fn tags(&mut self, operation: &str, request: &Parsed) -> Answer {
        let arn = request.path.trim_start_matches("/tags/").to_owned();
        let hub = self.hub_mut()?;
        if arn != hub.arn {
            return Err((
                404,
                "ResourceNotFoundException",
                format!("The request was rejected because no resource was found with ARN {arn}."),
            ));
        }
        match operation {
            "TagResource" => {
                let tags = string_map(request.body.get("Tags"));
                if tags.is_empty() {
                    return Err(invalid_input("Tags must not be empty".into()));
                }
                hub.tags.extend(tags);
                Ok(json!({}))
            }
            "UntagResource" => {
                for (key, value) in &request.query {
                    if key == "tagKeys" {
                        hub.tags.remove(value);
                    }
                }
                Ok(json!({}))
            }
            _ => Ok(json!({ "Tags": hub.tags })),
        }
    }
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|map: &Map<String, Value>| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
