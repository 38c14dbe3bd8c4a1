//! `make demo`: the lifecycles of KmsReady, ConfigSetup and the Security Hub pair, played through the real
//! binaries against moto on loopback, printing each response CloudFormation would
//! receive and the state read back from the emulator; then `baseline verify` against the
//! baseline the functions set up, clean and after a control was turned off by hand.
//!
//! Exits non-zero when an answer differs from the one expected, so the demo is also a
//! smoke test of a fresh checkout.

use std::path::Path;
use std::process::ExitCode;

use aws_sdk_kms::Client;
use harness::baseline::{
    create_logs_key, stop_recorder, template_resources, verify_args, TEMPLATE_STACK,
};
use harness::cloudformation::baseline_managed_rules;
use harness::{key_policy_allowing, run_baseline, Binary, Function, Moto, SecurityHub, Stack};
use serde_json::{json, Value};

/// The Config delivery bucket the demo creates in moto.
const CONFIG_BUCKET: &str = "security-baseline-config";

struct Demo {
    requests: u32,
    /// `baseline verify` runs checked.
    runs: u32,
    mismatches: u32,
}

/// A request the demo plays, as CloudFormation would send it.
enum Request {
    Create(Value),
    Update(Value),
    /// The Delete of what the stack holds.
    Delete,
}

impl Demo {
    /// Plays `request` on `stack` and shows what CloudFormation received.
    async fn play(&mut self, stack: &mut Stack<'_>, step: &str, request: Request, expected: &str) {
        let (properties, response) = match request {
            Request::Create(properties) => (properties.clone(), stack.create(properties).await),
            Request::Update(properties) => (properties.clone(), stack.update(properties).await),
            Request::Delete => (stack.properties.clone(), stack.delete().await),
        };
        self.requests += 1;
        println!("\n── {step}");
        println!("   properties: {}", without_token(&properties));
        println!(
            "   CloudFormation received ({} PUT{}):",
            response.puts.len(),
            if response.puts.len() == 1 { "" } else { "s" }
        );
        let pretty = serde_json::to_string_pretty(response.body()).unwrap_or_default();
        for line in pretty.lines() {
            println!("     {line}");
        }
        let verdict =
            self.verdict(response.reason().starts_with(expected) || response.status() == expected);
        println!("   expected {expected}: {verdict}");
    }

    /// Runs `baseline ARGS` (it prints the command and its output) and checks that it
    /// exits `code` and prints `expected`.
    async fn run(
        &mut self,
        moto: &Moto,
        hub: &SecurityHub,
        args: &[&str],
        code: i32,
        expected: &str,
    ) {
        self.runs += 1;
        let ran = run_baseline(moto, Path::new("."), &[hub.env()], args).await;
        let verdict = self.verdict(ran.code == code && ran.stdout.contains(expected));
        println!(
            "exit code {}; expected {code} and {expected:?}: {verdict}",
            ran.code
        );
    }

    /// Counts an answer that differs from the expected one.
    fn verdict(&mut self, as_expected: bool) -> &'static str {
        if as_expected {
            "as expected"
        } else {
            self.mismatches += 1;
            "UNEXPECTED"
        }
    }
}

/// A resource `logical_id` of `resource_type` in the template's stack.
fn baseline_stack<'a>(function: &'a Function, resource_type: &str, logical_id: &str) -> Stack<'a> {
    Stack::new(function, TEMPLATE_STACK, resource_type, logical_id)
}

fn without_token(properties: &Value) -> Value {
    let mut shown = properties.clone();
    if let Some(map) = shown.as_object_mut() {
        map.remove("ServiceToken");
    }
    shown
}

#[tokio::main]
async fn main() -> ExitCode {
    let shipped = std::env::args().any(|a| a == "--shipped");
    let binary = build("kms-ready", shipped);
    println!(
        "KmsReady demo: {} against moto on loopback",
        binary.path().display()
    );
    let moto = Moto::shared();
    println!("moto server: {}", moto.endpoint);
    let function = Function::start(binary, moto, &[]).await;
    let kms = Client::new(&moto.sdk_config().await);

    let policy = key_policy_allowing("logs.us-east-1.amazonaws.com");
    let key = kms
        .create_key()
        .description("baseline logs key")
        .policy(policy)
        .send()
        .await;
    let key = key.expect("moto CreateKey").key_metadata.expect("metadata");
    kms.create_alias()
        .alias_name("alias/baseline-logs")
        .target_key_id(&key.key_id)
        .send()
        .await
        .expect("CreateAlias");
    println!(
        "created key {} (alias/baseline-logs) in moto",
        key.arn.as_deref().unwrap_or_default()
    );

    let mut demo = Demo {
        requests: 0,
        runs: 0,
        mismatches: 0,
    };
    let mut stack = baseline_stack(&function, "Custom::KmsReady", "LogsKeyReady");

    let create = json!({"KeyId": "alias/baseline-logs"});
    demo.play(
        &mut stack,
        "Create: wait until alias/baseline-logs is Enabled",
        Request::Create(create),
        "SUCCESS",
    )
    .await;

    let update = json!({"KeyId": "alias/baseline-logs", "MaxWaitSeconds": "120", "RequiredServicePrincipals": ["logs.us-east-1.amazonaws.com"]});
    demo.play(
        &mut stack,
        "Update: also require that CloudWatch Logs may use the key",
        Request::Update(update),
        "SUCCESS",
    )
    .await;

    demo.play(
        &mut stack,
        "Delete: nothing to undo",
        Request::Delete,
        "SUCCESS",
    )
    .await;

    let disabled = kms
        .create_key()
        .description("disabled key")
        .send()
        .await
        .expect("CreateKey")
        .key_metadata
        .expect("metadata");
    kms.disable_key()
        .key_id(&disabled.key_id)
        .send()
        .await
        .expect("DisableKey");
    let mut failing = baseline_stack(&function, "Custom::KmsReady", "DisabledKeyReady");
    failing.stack_id = stack.stack_id.clone();
    let bad = json!({"KeyId": disabled.key_id});
    demo.play(
        &mut failing,
        "Create on a Disabled key: an honest failure, at once",
        Request::Create(bad),
        "[NOT_ACTIVE]",
    )
    .await;

    demo.play(
        &mut failing,
        "Delete after the failed Create (stack rollback)",
        Request::Delete,
        "SUCCESS",
    )
    .await;

    trail_key(&mut demo, &function, &kms, &stack.stack_id).await;
    config_setup(&mut demo, moto, shipped).await;
    security_hub(&mut demo, moto, shipped).await;
    verify(&mut demo, moto, &kms, shipped).await;

    println!();
    let answers = demo.requests + demo.runs;
    if demo.mismatches == 0 {
        println!(
            "demo: {} requests and {} verify runs, {answers} answers as expected",
            demo.requests, demo.runs
        );
        ExitCode::SUCCESS
    } else {
        println!(
            "demo: {} of {answers} answers differ from the expected ones",
            demo.mismatches
        );
        ExitCode::FAILURE
    }
}

/// The template's trail key: KmsReady for `cloudtrail.amazonaws.com` succeeds with
/// CloudTrail's documented key policy (only `kms:GenerateDataKey*` and `kms:DescribeKey`
/// for CloudTrail) and fails, naming the principal and the missing action, with a policy
/// that lacks the DescribeKey statement.
async fn trail_key(demo: &mut Demo, function: &Function, kms: &Client, stack_id: &str) {
    let trail = "arn:aws:cloudtrail:us-east-1:123456789012:trail/security-baseline";
    let encrypt = json!({"Sid": "AllowCloudTrailToEncryptLogs", "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceArn": trail},
                      "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:123456789012:trail/*"}}});
    let describe = json!({"Sid": "AllowCloudTrailToDescribeKey", "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:DescribeKey", "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceArn": trail}}});
    let root = json!({"Sid": "AccountAdministers", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"});
    for (statements, logical_id, title, expected) in [
        (
            vec![root.clone(), encrypt.clone(), describe],
            "TrailKeyReady",
            "Create: the trail key with CloudTrail's documented policy, checked for cloudtrail.amazonaws.com",
            "SUCCESS",
        ),
        (
            vec![root, encrypt],
            "TrailKeyWithoutDescribeReady",
            "Create: a trail key whose policy lacks CloudTrail's DescribeKey statement",
            "[NOT_ACTIVE]",
        ),
    ] {
        let policy = json!({"Version": "2012-10-17", "Statement": statements});
        let key = kms
            .create_key()
            .description("baseline trail key")
            .policy(policy.to_string())
            .send()
            .await
            .expect("moto CreateKey")
            .key_metadata
            .expect("metadata");
        let mut stack = baseline_stack(function, "Custom::KmsReady", logical_id);
        stack.stack_id = stack_id.to_owned();
        let create = json!({"KeyId": key.key_id, "RequiredServicePrincipals": ["cloudtrail.amazonaws.com"]});
        demo.play(&mut stack, title, Request::Create(create), expected).await;
        stack.delete().await;
    }
}

/// ConfigSetup: an honest failure and its rollback, then six managed rules recording.
async fn config_setup(demo: &mut Demo, moto: &Moto, shipped: bool) {
    let binary = build("config-setup", shipped);
    println!("\n\nConfigSetup demo: {}", binary.path().display());
    let function = Function::start(binary, moto, &[]).await;
    let config = aws_sdk_config::Client::new(&moto.sdk_config().await);
    moto.create_bucket(CONFIG_BUCKET).await;
    println!("created bucket {CONFIG_BUCKET} in moto");

    let mut failing = baseline_stack(&function, "Custom::ConfigSetup", "ConfigSetup");
    let missing = json!({"DeliveryBucketName": "no-such-config-bucket"});
    demo.play(
        &mut failing,
        "Create with a delivery bucket that does not exist: an honest failure",
        Request::Create(missing),
        "[NOT_FOUND]",
    )
    .await;
    demo.play(
        &mut failing,
        "Delete after the failed Create: removes the recorder that Create had made",
        Request::Delete,
        "SUCCESS",
    )
    .await;

    let mut stack = baseline_stack(&function, "Custom::ConfigSetup", "ConfigSetup");
    let create =
        json!({"DeliveryBucketName": CONFIG_BUCKET, "ManagedRules": baseline_managed_rules()});
    demo.play(
        &mut stack,
        "Create: recorder, channel, six managed rules, verified recording",
        Request::Create(create),
        "SUCCESS",
    )
    .await;
    show_config_state(&config).await;

    demo.play(
        &mut stack,
        "Delete: rules, channel and recorder it created",
        Request::Delete,
        "SUCCESS",
    )
    .await;
    show_config_state(&config).await;
}

async fn show_config_state(config: &aws_sdk_config::Client) {
    let status = config
        .describe_configuration_recorder_status()
        .send()
        .await
        .map(|o| o.configuration_recorders_status.unwrap_or_default())
        .unwrap_or_default();
    let rules = config
        .describe_config_rules()
        .send()
        .await
        .map(|o| o.config_rules.unwrap_or_default())
        .unwrap_or_default();
    println!("   read back from moto:");
    if status.is_empty() {
        println!("     no configuration recorder");
    }
    for recorder in status {
        println!(
            "     recorder {} recording={}",
            recorder.name.unwrap_or_default(),
            recorder.recording
        );
    }
    let names: Vec<String> = rules
        .into_iter()
        .map(|r| {
            format!(
                "{} ({})",
                r.config_rule_name.unwrap_or_default(),
                r.config_rule_state
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default()
            )
        })
        .collect();
    println!("     {} rule(s) {}", names.len(), names.join(", "));
}

/// The shipped (`--shipped`) or the debug build of function `name`.
fn build(name: &'static str, shipped: bool) -> Binary {
    if shipped {
        Binary::Shipped(name)
    } else {
        Binary::Debug(name)
    }
}

/// Security Hub: the hub, standards before AWS Config records (an honest `NOT_ACTIVE`),
/// the repair once ConfigSetup makes Config record, and Delete. Security Hub is served
/// by the harness's emulator (moto lacks the standards calls); Config is moto's.
async fn security_hub(demo: &mut Demo, moto: &Moto, shipped: bool) {
    let hub = SecurityHub::start().await;
    hub.recording_from_moto(moto).await;
    println!(
        "\n\nSecurity Hub demo: the harness's Security Hub emulator at {}",
        hub.endpoint()
    );
    let env = [hub.env()];
    let enable_fn = Function::start(build("securityhub-enable", shipped), moto, &env).await;
    let standards_fn = Function::start(build("securityhub-standards", shipped), moto, &env).await;
    let config_fn = Function::start(build("config-setup", shipped), moto, &[]).await;

    let mut enable = baseline_stack(&enable_fn, "Custom::SecurityHubEnable", "SecurityHub");
    let hub_properties =
        json!({"ControlFindingGenerator": "SECURITY_CONTROL", "Tags": {"Team": "security"}});
    demo.play(
        &mut enable,
        "Create: enable Security Hub CSPM",
        Request::Create(hub_properties),
        "SUCCESS",
    )
    .await;

    let mut standards = baseline_stack(&standards_fn, "Custom::SecurityHubStandards", "Standards");
    let wanted = json!({"Standards": ["aws-foundational-security-best-practices/v/1.0.0", "cis-aws-foundations-benchmark/v/1.2.0"]});
    demo.play(
        &mut standards,
        "Create standards before AWS Config records: an honest failure",
        Request::Create(wanted.clone()),
        "[NOT_ACTIVE]",
    )
    .await;

    let mut config = baseline_stack(&config_fn, "Custom::ConfigSetup", "ConfigSetup");
    let recording = json!({"DeliveryBucketName": CONFIG_BUCKET});
    demo.play(
        &mut config,
        "ConfigSetup makes AWS Config record",
        Request::Create(recording),
        "SUCCESS",
    )
    .await;

    demo.play(
        &mut standards,
        "Update the standards: the INCOMPLETE ones are repaired and READY",
        Request::Update(wanted),
        "SUCCESS",
    )
    .await;
    for subscription in hub.subscriptions() {
        println!(
            "   read back: {} {}",
            subscription.short_id(),
            subscription.status
        );
    }

    demo.play(
        &mut standards,
        "Delete the standards it enabled",
        Request::Delete,
        "SUCCESS",
    )
    .await;
    demo.play(
        &mut config,
        "Delete ConfigSetup",
        Request::Delete,
        "SUCCESS",
    )
    .await;
    demo.play(
        &mut enable,
        "Delete: disable the hub it enabled",
        Request::Delete,
        "SUCCESS",
    )
    .await;
    println!(
        "   read back: hub {}",
        if hub.hub().is_some() {
            "still enabled"
        } else {
            "disabled"
        }
    );
}

/// `baseline verify` against the baseline as the template sets it up (its rule names, the
/// hub's four default tags, its two standards, a logs key with rotation whose policy serves
/// CloudWatch Logs and alarms; no trail): clean, exit 0. Then the recorder stopped by hand:
/// drift owned by `ConfigSetup`, exit 1. The demo's resources above use other names and
/// tags, so these are set up anew, after everything above was deleted.
async fn verify(demo: &mut Demo, moto: &Moto, kms: &Client, shipped: bool) {
    // ConfigSetup's Deletes above left three of these rule names DELETING, and a rule
    // cannot be put again until its deletion is done: moto finishes it at once.
    moto.empty_config().await;
    let hub = SecurityHub::start().await;
    hub.recording_from_moto(moto).await;
    println!("\n\nbaseline verify demo: the template's resources set up by the functions");
    let env = [hub.env()];

    let key = create_logs_key(kms).await;
    let key_arn = key.arn.expect("key ARN");
    println!("created the logs key {key_arn} in moto, rotation on");

    let resources = template_resources(CONFIG_BUCKET, None);
    let mut functions = Vec::new();
    for (name, ..) in &resources {
        functions.push(Function::start(build(name, shipped), moto, &env).await);
    }
    let mut stacks = Vec::new();
    for ((_, resource_type, logical_id, properties), function) in resources.iter().zip(&functions) {
        let mut stack = baseline_stack(function, resource_type, logical_id);
        let response = stack.create(properties.clone()).await;
        println!(
            "   Create {logical_id}: {} {}",
            response.status(),
            response.reason()
        );
        stacks.push(stack);
    }

    let args = verify_args(CONFIG_BUCKET, &key_arn);
    println!("\n── baseline verify: the baseline as the template intends");
    demo.run(moto, &hub, &args, 0, "no drift").await;

    println!("\n── baseline verify after the recorder was stopped by hand");
    stop_recorder(moto).await;
    println!("StopConfigurationRecorder default: AWS Config no longer records");
    let drift = "DRIFT: recording of ConfigSetup in us-east-1: expected recording, found stopped";
    demo.run(moto, &hub, &args, 1, drift).await;

    for stack in stacks.iter_mut().rev() {
        stack.delete().await;
    }
}
