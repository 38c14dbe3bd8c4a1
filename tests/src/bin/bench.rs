//! `make bench`: each function in its shipped profile against its Python crhelper + boto3
//! peer (`bench/peer/`), measured in the same run, the same way, alternating.
//!
//! Per run and implementation: queue a Create on a fresh Runtime API, then spawn the
//! process (as Lambda does: the event is waiting at the first poll); measure spawn → first
//! Runtime API poll and spawn → response PUT; then warm invocations on the same process;
//! then its peak RSS (VmHWM). Rust and Python take turns (and turns at going first). Also
//! the binary sizes (x86-64, arm64). Prints median, min and max per metric and
//! implementation with the ratios, and writes JSON (`bench/results/<function>.json`).
//!
//! Then the AWS calls of one Create, one Update and one Delete of the Rust function,
//! counted at a proxy in front of moto and at the Security Hub emulator, next to the
//! fewest calls the function's contract allows (the README's "AWS calls" lists both).
//!
//! Another function joins by adding a [`Subject`] to [`SUBJECTS`] (and its peer to
//! `bench/peer/`). Benched: kms-ready, config-setup (each cold Create in an account
//! without recorder, channel or rules), securityhub-enable (each run against a fresh
//! Security Hub emulator, so every cold Create enables the hub), securityhub-standards
//! (each run against a fresh emulator with the hub enabled and no standards; a standard
//! is `READY` at the first read, so neither implementation sleeps between polls).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use harness::function::{target_dir, Launch};
use harness::{Binary, FaultProxy, Function, Moto, SecurityHub, Stack};
use serde_json::{json, Value};

/// The performance targets: the cold Create at most 1/40 of the Python peer's time, peak
/// RSS at most 8 MiB and 1/6 of the peer's, the first poll within 5 ms, arm64 ≤ 6 MiB.
const TARGET_SPEEDUP: f64 = 40.0;
const TARGET_RSS_RATIO: f64 = 6.0;
const TARGET_RSS_MB: f64 = 8.0;
const TARGET_FIRST_POLL_MS: f64 = 5.0;
const TARGET_ARM64_MB: f64 = 6.0;
const WARM_INVOCATIONS_PER_RUN: usize = 5;
/// The Lambda timeout of every benchmark invocation.
const TIMEOUT: Duration = Duration::from_secs(30);
const SERVICE_TOKEN: &str = "arn:aws:lambda:us-east-1:123456789012:function:under-test";

/// Set-up work done in moto before a run.
type Setup<T> = Pin<Box<dyn Future<Output = T>>>;

/// One function under benchmark and how to exercise it.
struct Subject {
    /// Package and binary name (`functions/<name>/`).
    name: &'static str,
    /// The CloudFormation `ResourceType` of its requests.
    resource_type: &'static str,
    /// The `LogicalResourceId` of its requests.
    logical_id: &'static str,
    /// The Python crhelper + boto3 peer: `module.function` in `bench/peer/`.
    peer_handler: &'static str,
    /// Creates in moto what the Create refers to; returns the Create's properties.
    seed: fn(&'static Moto) -> Setup<Value>,
    /// The counted Update's properties, from the Create's: a change the function acts on.
    update: fn(&Value) -> Value,
    /// Talks to Security Hub: each run gets a fresh emulator, set up by this.
    security_hub: Option<fn(&SecurityHub)>,
    /// Undoes in moto what the previous run's Creates did, before each cold start.
    reset: Option<fn(&'static Moto) -> Setup<()>>,
    /// The fewest AWS calls the contract allows for the counted Create, Update and Delete
    /// (why: README, "AWS calls").
    minimum_calls: [&'static [&'static str]; 3],
}

const SUBJECTS: &[Subject] = &[
    Subject {
        name: "kms-ready",
        resource_type: "Custom::KmsReady",
        logical_id: "KeyReady",
        peer_handler: "kms_ready.handler",
        seed: seed_kms_ready,
        update: |create| with(create, json!({"MaxWaitSeconds": 60})),
        security_hub: None,
        reset: None,
        minimum_calls: [&["DescribeKey"], &["DescribeKey"], &[]],
    },
    Subject {
        name: "config-setup",
        resource_type: "Custom::ConfigSetup",
        logical_id: "ConfigSetup",
        peer_handler: "config_setup.handler",
        seed: seed_config_setup,
        update: |create| {
            let mut rules = create["ManagedRules"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            rules.push(json!({"Name": "s3-public-read", "SourceIdentifier": "S3_BUCKET_PUBLIC_READ_PROHIBITED"}));
            with(create, json!({"ManagedRules": rules}))
        },
        security_hub: None,
        reset: Some(reset_config),
        minimum_calls: [
            &[
                "GetParameter",
                "DescribeConfigurationRecorders",
                "DescribeDeliveryChannels",
                "GetRole",
                "DescribeConfigRules",
                "DescribeConfigRules",
                // The record's claim, then the singleton record (one owner per region).
                "PutParameter",
                "PutParameter",
                "PutConfigurationRecorder",
                // The bucket's owner before the channel is written; the channel read back.
                "GetBucketLocation",
                "DescribeDeliveryChannels",
                "PutDeliveryChannel",
                "StartConfigurationRecorder",
                "PutConfigRule",
                "PutConfigRule",
                "DescribeConfigurationRecorderStatus",
                "DescribeConfigRules",
            ],
            &[
                "GetParameter",
                "DescribeConfigurationRecorders",
                "DescribeDeliveryChannels",
                "GetRole",
                "DescribeConfigRules",
                "DescribeConfigRules",
                "PutParameter",
                "DescribeConfigurationRecorderStatus",
                "PutConfigRule",
                "DescribeConfigRules",
            ],
            // The record and the singleton record (does it still name this resource?);
            // the owned rules read together, each one's owner tag (a rule someone else
            // made since is left), each deletion asked for, then all read back together
            // (DELETING: accepted, never waited for). The record, then the singleton
            // record, erased.
            &[
                "GetParameter",
                "GetParameter",
                "DescribeConfigRules",
                "ListTagsForResource",
                "ListTagsForResource",
                "ListTagsForResource",
                "DeleteConfigRule",
                "DeleteConfigRule",
                "DeleteConfigRule",
                "DescribeConfigRules",
                "StopConfigurationRecorder",
                "DeleteDeliveryChannel",
                "DeleteConfigurationRecorder",
                "DeleteParameter",
                "DeleteParameter",
            ],
        ],
    },
    Subject {
        name: "securityhub-enable",
        resource_type: "Custom::SecurityHubEnable",
        logical_id: "Hub",
        peer_handler: "securityhub_enable.handler",
        seed: seed_ssm,
        update: |create| {
            with(
                create,
                json!({"ControlFindingGenerator": "STANDARD_CONTROL"}),
            )
        },
        security_hub: Some(|hub| {
            hub.setting_delay(0);
        }),
        reset: None,
        minimum_calls: [
            // The record's claim, then the singleton record (one owner per region).
            &[
                "DescribeHub",
                "GetParameter",
                "PutParameter",
                "PutParameter",
                "EnableSecurityHub",
                "DescribeHub",
            ],
            &[
                "DescribeHub",
                "GetParameter",
                "UpdateSecurityHubConfiguration",
                "DescribeHub",
            ],
            // The record and the singleton record (does it still name this resource?).
            &[
                "GetParameter",
                "GetParameter",
                "DisableSecurityHub",
                "DescribeHub",
                "DeleteParameter",
                "DeleteParameter",
            ],
        ],
    },
    Subject {
        name: "securityhub-standards",
        resource_type: "Custom::SecurityHubStandards",
        logical_id: "Standards",
        peer_handler: "securityhub_standards.handler",
        seed: seed_standards,
        update: |create| {
            let mut standards = create["Standards"].as_array().cloned().unwrap_or_default();
            standards.push(json!("nist-800-53/v/5.0.0"));
            with(create, json!({"Standards": standards}))
        },
        security_hub: Some(|hub| {
            hub.hub_enabled_before("us-east-1", "SECURITY_CONTROL", true)
                .pending_polls(0)
                .deleting_polls(0);
        }),
        reset: None,
        minimum_calls: [
            &[
                "DescribeStandards",
                "GetParameter",
                "GetEnabledStandards",
                "PutParameter",
                "BatchEnableStandards",
                "GetEnabledStandards",
            ],
            &[
                "DescribeStandards",
                "GetParameter",
                "GetEnabledStandards",
                "PutParameter",
                "BatchEnableStandards",
                "GetEnabledStandards",
            ],
            // The disable read back: gone, not FAILED ("could not be disabled").
            &[
                "GetParameter",
                "GetEnabledStandards",
                "BatchDisableStandards",
                "GetEnabledStandards",
                "DeleteParameter",
            ],
        ],
    },
];

/// `base` with the fields of `changes` replaced.
fn with(base: &Value, changes: Value) -> Value {
    let mut merged = base.clone();
    if let (Some(merged), Value::Object(changes)) = (merged.as_object_mut(), changes) {
        merged.extend(changes);
    }
    merged
}

/// The two standards a new hub enables by default (none is enabled in the bench's
/// emulator); SSM warmed (see [`seed_ssm`]).
fn seed_standards(moto: &'static Moto) -> Setup<Value> {
    Box::pin(async move {
        seed_ssm(moto).await;
        json!({"Standards": [
            "aws-foundational-security-best-practices/v/1.0.0",
            "cis-aws-foundations-benchmark/v/1.2.0",
        ]})
    })
}

/// The delivery bucket and the Config service-linked role (so neither implementation
/// creates it in a measured run); SSM warmed. The Create: recorder, channel, two rules.
fn seed_config_setup(moto: &'static Moto) -> Setup<Value> {
    Box::pin(async move {
        moto.create_bucket("bench-config-delivery").await;
        let sdk = moto.sdk_config().await;
        let _ = aws_sdk_iam::Client::new(&sdk)
            .create_service_linked_role()
            .aws_service_name("config.amazonaws.com")
            .send()
            .await;
        seed_ssm(moto).await;
        json!({
            "DeliveryBucketName": "bench-config-delivery",
            "ManagedRules": [
                {"Name": "cloudtrail-enabled", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"},
                {"Name": "root-mfa", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"},
            ],
        })
    })
}

/// No rules, channel or recorder: every cold Create starts from an account without them.
fn reset_config(moto: &'static Moto) -> Setup<()> {
    Box::pin(moto.empty_config())
}

/// A Create with default properties. moto loads its SSM backend (seconds) on the first
/// SSM call: make that call here, so no measured run pays for it.
fn seed_ssm(moto: &'static Moto) -> Setup<Value> {
    Box::pin(async move {
        let ssm = aws_sdk_ssm::Client::new(&moto.sdk_config().await);
        let _ = ssm.get_parameter().name("/bench/warm-up").send().await;
        json!({})
    })
}

/// An Enabled key: the Create waits for nothing, so the figures are start-up + one call.
fn seed_kms_ready(moto: &'static Moto) -> Setup<Value> {
    Box::pin(async move {
        let kms = aws_sdk_kms::Client::new(&moto.sdk_config().await);
        let key = kms
            .create_key()
            .send()
            .await
            .expect("moto CreateKey")
            .key_metadata
            .expect("metadata");
        json!({"KeyId": key.key_id})
    })
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Implementation {
    Rust,
    Python,
}

impl Implementation {
    fn launch(self, subject: &Subject) -> Launch {
        match self {
            Implementation::Rust => Binary::Shipped(subject.name).into(),
            Implementation::Python => Launch::python_peer(subject.peer_handler),
        }
    }

    fn key(self) -> &'static str {
        match self {
            Implementation::Rust => "rust",
            Implementation::Python => "python_crhelper_boto3",
        }
    }
}

struct Args {
    runs: usize,
    functions: Vec<String>,
    json: Option<PathBuf>,
    json_dir: Option<PathBuf>,
}

const USAGE: &str =
    "usage: bench [--runs N] [--function NAME]... [--json PATH | --json-dir DIR (writes DIR/<function>.json)]";

fn args() -> Args {
    let mut parsed = Args {
        runs: 9,
        functions: vec![],
        json: None,
        json_dir: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| panic!("{arg} needs a value; {USAGE}"))
        };
        match arg.as_str() {
            "--runs" => parsed.runs = value().parse().expect("--runs N"),
            "--function" => parsed.functions.push(value()),
            "--json" => parsed.json = Some(PathBuf::from(value())),
            "--json-dir" => parsed.json_dir = Some(PathBuf::from(value())),
            other => panic!("unknown argument {other}; {USAGE}"),
        }
    }
    assert!(parsed.runs >= 1, "--runs must be at least 1");
    for name in &parsed.functions {
        assert!(
            SUBJECTS.iter().any(|s| s.name == name),
            "no benchmark for {name}; known: {:?}",
            SUBJECTS.iter().map(|s| s.name).collect::<Vec<_>>()
        );
    }
    parsed
}

/// Median, min and max of one metric.
#[derive(Clone, Copy, Debug)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

impl Stats {
    fn of(values: &[f64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        };
        Self {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        }
    }

    fn show(self, unit: &str) -> String {
        format!(
            "{:.1} {unit} ({:.1}–{:.1})",
            self.median, self.min, self.max
        )
    }

    fn json(self, samples: &[f64]) -> Value {
        json!({"median": self.median, "min": self.min, "max": self.max, "samples": samples})
    }
}

/// Every sample of one implementation of one function.
#[derive(Default)]
struct Samples {
    to_poll_ms: Vec<f64>,
    to_put_ms: Vec<f64>,
    warm_ms: Vec<f64>,
    peak_rss_mb: Vec<f64>,
    anon_rss_mb: Vec<f64>,
    file_rss_mb: Vec<f64>,
}

/// The metrics, in table order: (JSON key, label, unit, samples).
fn metrics(s: &Samples) -> [(&'static str, &'static str, &'static str, &[f64]); 6] {
    [
        (
            "start_to_first_poll_ms",
            "process start → first Runtime API poll",
            "ms",
            s.to_poll_ms.as_slice(),
        ),
        (
            "start_to_response_put_ms",
            "process start → response PUT (Create)",
            "ms",
            s.to_put_ms.as_slice(),
        ),
        (
            "warm_invocation_ms",
            "warm invocation (Create)",
            "ms",
            s.warm_ms.as_slice(),
        ),
        (
            "peak_rss_mb",
            "peak RSS (VmHWM)",
            "MiB",
            s.peak_rss_mb.as_slice(),
        ),
        (
            "anon_rss_mb",
            "  at the end: anonymous (heap, stacks)",
            "MiB",
            s.anon_rss_mb.as_slice(),
        ),
        (
            "file_rss_mb",
            "  at the end: file-backed (code, libc)",
            "MiB",
            s.file_rss_mb.as_slice(),
        ),
    ]
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

fn size_mb(path: PathBuf) -> Option<f64> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.len() as f64 / 1_048_576.0)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The CA store as Lambda lays it out: one bundle file (`provided.al2023`:
/// `/etc/pki/tls/certs/ca-bundle.crt`), not a Debian-style hashed directory whose every
/// file the native loader would also read. Given to both implementations.
fn lambda_ca_store() -> Vec<(&'static str, String)> {
    [
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/certs/ca-certificates.crt",
    ]
    .into_iter()
    .find(|path| Path::new(path).is_file())
    .map(|path| vec![("SSL_CERT_FILE", path.to_owned())])
    .unwrap_or_default()
}

/// A CloudFormation request for `subject`, answered at `response_url`.
fn request(subject: &Subject, response_url: String, request_id: &str, properties: &Value) -> Value {
    let mut resource_properties = properties.clone();
    resource_properties["ServiceToken"] = json!(SERVICE_TOKEN);
    json!({
        "RequestType": "Create",
        "ServiceToken": SERVICE_TOKEN,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/5b1c2d3e-0000-4000-8000-000000000001",
        "RequestId": request_id,
        "LogicalResourceId": subject.logical_id,
        "ResourceType": subject.resource_type,
        "ResourceProperties": resource_properties,
    })
}

/// The answer PUT for `request_id`: when it arrived, and its body (which must be SUCCESS).
fn answer(function: &Function, request_id: &str, what: &str) -> std::time::Instant {
    let path = format!("cfn-responses/{request_id}");
    let puts = function.responses().requests_to(&path);
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

/// One cold start of `implementation`, then its warm invocations; adds to `samples`.
async fn run_once(
    subject: &Subject,
    implementation: Implementation,
    run: usize,
    moto: &'static Moto,
    properties: &Value,
    samples: &mut Samples,
) {
    let what = format!("{} {:?} run {}", subject.name, implementation, run + 1);
    if let Some(reset) = subject.reset {
        reset(moto).await;
    }
    // Kept until the run ends: the process talks to it.
    let hub = fresh_hub(subject).await;
    let mut env = lambda_ca_store();
    env.extend(hub.as_ref().map(SecurityHub::env));
    // A fresh ledger per run, as in a fresh account: moto's SSM outlives the run, and the
    // singleton records of an earlier run would make this one adopt.
    env.push(harness::fresh_ledger());
    let prepared = Function::prepare(implementation.launch(subject), moto, &env).await;
    let request_id = format!("bench-{}-{run}-cold", implementation.key());
    let url = prepared
        .responses()
        .url(&format!("cfn-responses/{request_id}"));
    let pending = prepared.queue(request(subject, url, &request_id, properties), TIMEOUT);
    let function = prepared.spawn();
    let spawned = function.spawned_at.into_std();
    function.wait(pending).await;
    let put = answer(&function, &request_id, &what);
    let first_poll = function.first_poll().expect("polled").into_std();
    samples.to_put_ms.push(ms(put - spawned));
    samples.to_poll_ms.push(ms(first_poll - spawned));

    for warm in 0..WARM_INVOCATIONS_PER_RUN {
        let request_id = format!("bench-{}-{run}-warm-{warm}", implementation.key());
        let url = function
            .responses()
            .url(&format!("cfn-responses/{request_id}"));
        let event = request(subject, url, &request_id, properties);
        let started = std::time::Instant::now();
        function.invoke(event, TIMEOUT).await;
        samples.warm_ms.push(ms(started.elapsed()));
        answer(&function, &request_id, &what);
    }
    let pid = function.pid().expect("running");
    let [peak, anon, file] =
        memory_mb(pid, ["VmHWM", "RssAnon", "RssFile"]).expect("VmHWM, RssAnon, RssFile");
    samples.peak_rss_mb.push(peak);
    samples.anon_rss_mb.push(anon);
    samples.file_rss_mb.push(file);
    eprintln!(
        "{what}: start→poll {:.1} ms, start→PUT {:.1} ms, peak RSS {:.1} MiB",
        samples.to_poll_ms[run], samples.to_put_ms[run], peak
    );
}

/// A fresh Security Hub emulator set up for `subject`, if it talks to Security Hub.
async fn fresh_hub(subject: &Subject) -> Option<SecurityHub> {
    let set_up = subject.security_hub?;
    let hub = SecurityHub::start().await;
    set_up(&hub);
    Some(hub)
}

/// The request types counted, in order.
const COUNTED: [&str; 3] = ["Create", "Update", "Delete"];

/// What one Create, Update and Delete of the Rust function asked of AWS.
struct Counted {
    /// The operations of each request type ([`COUNTED`]), in call order.
    calls: [Vec<String>; 3],
    /// moto's own time answering the Create's calls, summed (ms).
    create_moto_ms: f64,
}

/// The AWS operations the Rust function calls for one Create, one Update and one Delete
/// (in that order, on one warm process), counted at a proxy in front of moto (every JSON
/// and query protocol service) and at the Security Hub emulator.
async fn count_calls(subject: &Subject, moto: &'static Moto, properties: &Value) -> Counted {
    if let Some(reset) = subject.reset {
        reset(moto).await;
    }
    let hub = fresh_hub(subject).await;
    let proxy = FaultProxy::start(&moto.endpoint).await;
    let mut env = lambda_ca_store();
    env.push(("AWS_ENDPOINT_URL", proxy.endpoint()));
    env.extend(hub.as_ref().map(SecurityHub::env));
    env.push(harness::fresh_ledger());
    let function = Function::launch(Binary::Shipped(subject.name), moto, &env).await;
    let mut stack = Stack::new(
        &function,
        "bench-calls",
        subject.resource_type,
        subject.logical_id,
    );
    let mut counted = Counted {
        calls: Default::default(),
        create_moto_ms: 0.0,
    };
    for (index, request_type) in COUNTED.into_iter().enumerate() {
        if index > 0 {
            // Security Hub takes one BatchEnableStandards per second and account: an Update
            // sent within that second would count the service's refusal and the retry.
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        proxy.reset_calls();
        let hub_before = hub.as_ref().map_or(0, |hub| hub.calls().len());
        let response = match request_type {
            "Create" => stack.create(properties.clone()).await,
            "Update" => stack.update((subject.update)(properties)).await,
            _ => stack.delete().await,
        };
        assert_eq!(
            response.status(),
            "SUCCESS",
            "{} {request_type}: {}\noutput:\n{}",
            subject.name,
            response.body(),
            function.output()
        );
        let mut calls = proxy.calls();
        calls.extend(
            hub.iter()
                .flat_map(|hub| hub.operations().split_off(hub_before)),
        );
        counted.calls[index] = calls;
        if request_type == "Create" {
            counted.create_moto_ms = ms(proxy.upstream_time());
        }
    }
    counted
}

/// Whether `made` holds exactly the operations of `minimum`, each as many times.
fn same_calls(made: &[String], minimum: &[&str]) -> bool {
    let mut made: Vec<&str> = made.iter().map(String::as_str).collect();
    let mut minimum = minimum.to_vec();
    made.sort_unstable();
    minimum.sort_unstable();
    made == minimum
}

/// `A, B ×2, C`: each operation once, in first-call order, with its count.
fn summarize(calls: &[String]) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for call in calls {
        match seen.iter_mut().find(|(name, _)| name == call) {
            Some((_, count)) => *count += 1,
            None => seen.push((call, 1)),
        }
    }
    if seen.is_empty() {
        return "none".into();
    }
    seen.iter()
        .map(|(name, count)| match count {
            1 => (*name).to_owned(),
            n => format!("{name} ×{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `python 3.x.y, crhelper a.b.c, boto3 d.e.f` of the venv the peer runs in.
fn python_versions(launch: &Launch) -> String {
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

async fn bench(subject: &Subject, args: &Args, moto: &'static Moto) -> Value {
    let properties = (subject.seed)(moto).await;
    let rust = Implementation::Rust.launch(subject);
    let python = Implementation::Python.launch(subject);
    let versions = python_versions(&python);
    println!(
        "{} bench: {} runs each, alternating, {} warm invocations per run\n  Rust:   {}\n  Python: {} ({versions})",
        subject.name,
        args.runs,
        WARM_INVOCATIONS_PER_RUN,
        rust.describe(),
        python.describe(),
    );

    let (mut rust_samples, mut python_samples) = (Samples::default(), Samples::default());
    for run in 0..args.runs {
        let order = if run % 2 == 0 {
            [Implementation::Rust, Implementation::Python]
        } else {
            [Implementation::Python, Implementation::Rust]
        };
        for implementation in order {
            let samples = match implementation {
                Implementation::Rust => &mut rust_samples,
                Implementation::Python => &mut python_samples,
            };
            run_once(subject, implementation, run, moto, &properties, samples).await;
        }
    }

    let counted = count_calls(subject, moto, &properties).await;
    let calls = &counted.calls;

    let target = target_dir();
    let size_x86 = size_mb(target.join("lambda").join(subject.name).join("bootstrap"));
    let size_arm = size_mb(
        target
            .join("lambda-arm64")
            .join(subject.name)
            .join("bootstrap"),
    );
    let size = |s: Option<f64>| {
        s.map(|s| format!("{s:.2} MiB"))
            .unwrap_or_else(|| "n/a (not built)".into())
    };

    let row = |metric: &str, ours: &str, python: &str, ratio: &str| {
        println!("| {metric:<38} | {ours:>24} | {python:>26} | {ratio:>15} |");
    };
    println!();
    row(
        &format!("metric: median (min–max), {} runs", args.runs),
        subject.name,
        "Python crhelper + boto3",
        "Python ÷ Rust",
    );
    println!(
        "|{}|{}|{}|{}|",
        "-".repeat(40),
        "-".repeat(26),
        "-".repeat(28),
        "-".repeat(17)
    );
    let mut rust_json = serde_json::Map::new();
    let mut python_json = serde_json::Map::new();
    let mut ratios = serde_json::Map::new();
    for ((key, label, unit, ours), (_, _, _, theirs)) in metrics(&rust_samples)
        .into_iter()
        .zip(metrics(&python_samples))
    {
        let (ours_stats, theirs_stats) = (Stats::of(ours), Stats::of(theirs));
        let ratio = theirs_stats.median / ours_stats.median;
        row(
            label,
            &ours_stats.show(unit),
            &theirs_stats.show(unit),
            &format!("{ratio:.1}×"),
        );
        rust_json.insert(key.into(), ours_stats.json(ours));
        python_json.insert(key.into(), theirs_stats.json(theirs));
        ratios.insert(key.into(), json!(ratio));
    }
    row("binary size x86-64", &size(size_x86), "", "");
    row("binary size arm64", &size(size_arm), "", "");

    println!(
        "\nAWS calls of {} (one Create, Update, Delete; counted at a proxy in front of moto{}):",
        subject.name,
        if subject.security_hub.is_some() {
            " and at the Security Hub emulator"
        } else {
            ""
        }
    );
    let mut calls_json = serde_json::Map::new();
    for ((request_type, made), minimum) in COUNTED.iter().zip(calls).zip(subject.minimum_calls) {
        let minimum: Vec<String> = minimum.iter().map(|op| (*op).to_owned()).collect();
        println!(
            "  {request_type:<6} {:>2} calls (minimum {:>2}): {}",
            made.len(),
            minimum.len(),
            summarize(made)
        );
        calls_json.insert(
            request_type.to_lowercase(),
            json!({"count": made.len(), "calls": made, "minimum": minimum.len(), "minimum_calls": minimum}),
        );
    }
    println!(
        "  moto's own time answering the Create's calls: {:.1} ms (summed; a floor for any \
         implementation making them one at a time)",
        counted.create_moto_ms
    );
    calls_json.insert("create_moto_ms".into(), json!(counted.create_moto_ms));
    // The same operations as many times: fewer calls than the declared minimum would mean
    // the declaration is stale (or a call the contract needs went missing), so it misses too.
    let at_minimum = calls
        .iter()
        .zip(subject.minimum_calls)
        .all(|(made, minimum)| same_calls(made, minimum));
    let calls_line = COUNTED
        .iter()
        .zip(calls)
        .zip(subject.minimum_calls)
        .map(|((request_type, made), minimum)| {
            format!("{request_type} {}/{}", made.len(), minimum.len())
        })
        .collect::<Vec<_>>()
        .join(", ");

    let median = |samples: &[f64]| Stats::of(samples).median;
    let speedup = median(&python_samples.to_put_ms) / median(&rust_samples.to_put_ms);
    let rss_ratio = median(&python_samples.peak_rss_mb) / median(&rust_samples.peak_rss_mb);
    let first_poll = median(&rust_samples.to_poll_ms);
    let rss = median(&rust_samples.peak_rss_mb);
    let checks = [
        (
            format!("process start → first poll ≤ {TARGET_FIRST_POLL_MS} ms ({first_poll:.1} ms)"),
            Some(first_poll <= TARGET_FIRST_POLL_MS),
        ),
        (
            format!("cold Create ≥ {TARGET_SPEEDUP}× faster than the peer ({speedup:.1}×)"),
            Some(speedup >= TARGET_SPEEDUP),
        ),
        (
            format!("peak RSS ≤ {TARGET_RSS_MB} MiB ({rss:.1} MiB)"),
            Some(rss <= TARGET_RSS_MB),
        ),
        (
            format!("peak RSS ≥ {TARGET_RSS_RATIO}× smaller than the peer's ({rss_ratio:.1}×)"),
            Some(rss_ratio >= TARGET_RSS_RATIO),
        ),
        (
            format!(
                "arm64 bootstrap ≤ {TARGET_ARM64_MB} MiB ({})",
                size(size_arm)
            ),
            // Not measured (no arm64 build) is neither met nor missed.
            size_arm.map(|s| s <= TARGET_ARM64_MB),
        ),
        (
            format!("AWS calls are the contract's minimum, made/minimum ({calls_line})"),
            Some(at_minimum),
        ),
    ];
    println!();
    for (check, met) in &checks {
        let verdict = match met {
            Some(true) => "meets ",
            Some(false) => "MISSES",
            None => "n/a   ",
        };
        println!("  {verdict} {check}");
    }
    let targets_met = checks.iter().all(|(_, met)| *met == Some(true));

    json!({
        "function": subject.name,
        "runs": args.runs,
        "order": "alternating: Rust first on runs 1, 3, 5, …; Python first on runs 2, 4, …",
        "warm_invocations_per_run": WARM_INVOCATIONS_PER_RUN,
        "rust": {
            "profile": "release (cargo lambda build --release)",
            "command": rust.describe(),
            "metrics": rust_json,
            "binary_size_mb": {"x86_64": size_x86, "arm64": size_arm},
        },
        "python_crhelper_boto3": {
            "command": python.describe(),
            "versions": versions,
            "metrics": python_json,
        },
        "median": {
            "start_to_first_poll_ms": median(&rust_samples.to_poll_ms),
            "start_to_response_put_ms": median(&rust_samples.to_put_ms),
            "warm_invocation_ms": median(&rust_samples.warm_ms),
            "peak_rss_mb": median(&rust_samples.peak_rss_mb),
        },
        "binary_size_mb": {"x86_64": size_x86, "arm64": size_arm},
        "aws_calls": calls_json,
        "ratios_python_over_rust": ratios,
        "ratios": {"cold_create_speedup": speedup, "peak_rss_ratio": rss_ratio},
        "targets": {
            "start_to_first_poll_ms": TARGET_FIRST_POLL_MS,
            "cold_create_speedup": TARGET_SPEEDUP,
            "peak_rss_mb": TARGET_RSS_MB,
            "peak_rss_ratio": TARGET_RSS_RATIO,
            "arm64_bootstrap_mib": TARGET_ARM64_MB,
            "aws_calls": "at most the contract's minimum per request type",
        },
        "targets_met": targets_met,
    })
}

fn write(path: &Path, report: &Value) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create the report folder");
    }
    std::fs::write(path, serde_json::to_string_pretty(report).unwrap())
        .expect("write the JSON report");
    println!("wrote {}", path.display());
}

#[tokio::main]
async fn main() {
    let args = args();
    let subjects: Vec<&Subject> = SUBJECTS
        .iter()
        .filter(|s| args.functions.is_empty() || args.functions.iter().any(|f| f == s.name))
        .collect();
    assert!(
        args.json.is_none() || subjects.len() == 1,
        "--json takes one function (use --json-dir for several)"
    );
    let moto = Moto::shared();
    for subject in subjects {
        let report = bench(subject, &args, moto).await;
        if let Some(path) = &args.json {
            write(path, &report);
        }
        if let Some(dir) = &args.json_dir {
            write(&dir.join(format!("{}.json", subject.name)), &report);
        }
        println!();
    }
}
