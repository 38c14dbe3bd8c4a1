//! One measured run: a cold start of one implementation with its Create waiting, its warm
//! invocations, its memory.

use std::time::{Duration, Instant};

use cfn_custom_resource_kit::testing::ResponseServer;
use harness::function::Launch;
use harness::{Binary, Function, Moto};
use serde_json::{json, Value};

use crate::emulators::Emulators;
use crate::stats::{ms, Metric, Samples};
use crate::subjects::Subject;

pub(crate) const WARM_INVOCATIONS_PER_RUN: usize = 5;
/// The Lambda timeout of every benchmark invocation.
const TIMEOUT: Duration = Duration::from_secs(30);
const SERVICE_TOKEN: &str = "arn:aws:lambda:us-east-1:123456789012:function:under-test";

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Implementation {
    Rust,
    Python,
}

impl Implementation {
    pub(crate) fn launch(self, subject: &Subject) -> Launch {
        match self {
            Implementation::Rust => Binary::Shipped(subject.name).into(),
            Implementation::Python => Launch::python_peer(&subject.peer_handler()),
        }
    }

    /// Its key in the JSON report (and in request ids).
    pub(crate) fn key(self) -> &'static str {
        match self {
            Implementation::Rust => "rust",
            Implementation::Python => "python_crhelper_boto3",
        }
    }
}

/// `python 3.x.y, crhelper a.b.c, boto3 d.e.f` of the venv the peer runs in.
pub(crate) fn python_versions(launch: &Launch) -> String {
    let Launch::Command { program, .. } = launch else {
        return String::new();
    };
    let script = "import sys, importlib.metadata as m; \
        print(f\"Python {sys.version.split()[0]}, crhelper {m.version('crhelper')}, boto3 {m.version('boto3')}\")";
    std::process::Command::new(program)
        .args(["-c", script])
        .env_clear()
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "versions unknown".to_owned())
}

/// One cold start of `implementation`, then its warm invocations; adds to `samples`.
/// Every invocation's wall time comes with its own time (less the emulators').
pub(crate) async fn run_once(
    subject: &Subject,
    implementation: Implementation,
    run: usize,
    moto: &'static Moto,
    properties: &Value,
    samples: &mut Samples,
) {
    let what = format!("{} {:?} run {}", subject.name, implementation, run + 1);
    // Kept until the run ends: the process talks to them.
    let mut emulators = Emulators::start(subject, moto).await;
    let prepared = Function::prepare(implementation.launch(subject), moto, &emulators.env()).await;
    let request_id = format!("bench-{}-{run}-cold", implementation.key());
    let event = request(subject, prepared.responses(), &request_id, properties);
    let pending = prepared.queue(event, TIMEOUT);
    let function = prepared.spawn();
    let spawned = function.spawned_at.into_std();
    function.wait(pending).await;
    let put = answer(&function, &request_id, &what);
    let first_poll = function.first_poll().expect("polled").into_std();
    samples.push(Metric::FirstPoll, ms(first_poll - spawned));
    let cold = [Metric::ColdCreate, Metric::ColdCreateOwn];
    samples.push_timed(cold, put - spawned, emulators.time());

    for warm in 0..WARM_INVOCATIONS_PER_RUN {
        let request_id = format!("bench-{}-{run}-warm-{warm}", implementation.key());
        let event = request(subject, function.responses(), &request_id, properties);
        emulators.count_from_here();
        let started = Instant::now();
        function.invoke(event, TIMEOUT).await;
        let warm = [Metric::Warm, Metric::WarmOwn];
        samples.push_timed(warm, started.elapsed(), emulators.time());
        answer(&function, &request_id, &what);
    }
    let pid = function.pid().expect("running");
    let [peak, anon, file] =
        memory_mb(pid, ["VmHWM", "RssAnon", "RssFile"]).expect("VmHWM, RssAnon, RssFile");
    samples.push(Metric::PeakRss, peak);
    samples.push(Metric::AnonRss, anon);
    samples.push(Metric::FileRss, file);
    eprintln!(
        "{what}: start→poll {:.1} ms, start→PUT {:.1} ms (own {:.1} ms), peak RSS {:.1} MiB",
        samples.of(Metric::FirstPoll)[run],
        samples.of(Metric::ColdCreate)[run],
        samples.of(Metric::ColdCreateOwn)[run],
        peak
    );
}

/// A Create for `subject`, answered at `responses`.
fn request(
    subject: &Subject,
    responses: &ResponseServer,
    request_id: &str,
    properties: &Value,
) -> Value {
    let mut resource_properties = properties.clone();
    resource_properties["ServiceToken"] = json!(SERVICE_TOKEN);
    json!({
        "RequestType": "Create",
        "ServiceToken": SERVICE_TOKEN,
        "ResponseURL": responses.url(&response_path(request_id)),
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/5b1c2d3e-0000-4000-8000-000000000001",
        "RequestId": request_id,
        "LogicalResourceId": subject.logical_id,
        "ResourceType": subject.resource_type,
        "ResourceProperties": resource_properties,
    })
}

fn response_path(request_id: &str) -> String {
    format!("cfn-responses/{request_id}")
}

/// The answer PUT for `request_id`: when it arrived, and its body (which must be SUCCESS).
fn answer(function: &Function, request_id: &str, what: &str) -> Instant {
    let puts = function.responses().requests_to(&response_path(request_id));
    let Some(put) = puts.first() else {
        panic!(
            "{what}: no response PUT for {request_id}\noutput:\n{}",
            function.output()
        );
    };
    let body: Value = serde_json::from_slice(&put.body).expect("response body is JSON");
    assert_eq!(
        body["Status"],
        "SUCCESS",
        "{what}: {body}\noutput:\n{}",
        function.output()
    );
    put.received_at
}

/// `/proc/<pid>/status` figures in MiB, in the order of `fields` (e.g. `VmHWM`, the peak
/// RSS; `RssAnon`; `RssFile`), from one read of the file.
fn memory_mb<const N: usize>(pid: u32, fields: [&str; N]) -> Option<[f64; N]> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let figure = |field: &str| -> Option<f64> {
        let line = status.lines().find(|l| {
            l.strip_prefix(field)
                .is_some_and(|rest| rest.starts_with(':'))
        })?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    let mut figures = [0.0; N];
    for (slot, field) in figures.iter_mut().zip(fields) {
        *slot = figure(field)?;
    }
    Some(figures)
}
