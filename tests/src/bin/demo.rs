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
use harness::cloudformation::baseline_managed_rules;
use harness::{
    key_policy_allowing, run_baseline, Binary, CfnResponse, Function, Moto, SecurityHub, Stack,
};
use serde_json::{json, Value};

/// The Config delivery bucket the demo creates in moto.
const CONFIG_BUCKET: &str = "security-baseline-config";

struct Demo {
    requests: u32,
    /// `baseline verify` runs checked.
    runs: u32,
    mismatches: u32,
}

impl Demo {
    fn show(&mut self, step: &str, request: &Value, response: &CfnResponse, expected: &str) {
        self.requests += 1;
        println!("\n── {step}");
        println!("   properties: {}", without_token(request));
        let body = response.body();
        println!(
            "   CloudFormation received ({} PUT{}):",
            response.puts.len(),
            if response.puts.len() == 1 { "" } else { "s" }
        );
        let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
        for line in pretty.lines() {
            println!("     {line}");
        }
        let verdict = if response.reason().starts_with(expected) || response.status() == expected {
            "as expected"
        } else {
            self.mismatches += 1;
            "UNEXPECTED"
        };
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
        let verdict = if ran.code == code && ran.stdout.contains(expected) {
            "as expected"
        } else {
            self.mismatches += 1;
            "UNEXPECTED"
        };
        println!(
            "exit code {}; expected {code} and {expected:?}: {verdict}",
            ran.code
        );
    }
}

impl Demo {
    /// Plays a Create of `properties` and shows what CloudFormation received.
    async fn create(
        &mut self,
        stack: &mut Stack<'_>,
        step: &str,
        properties: Value,
        expected: &str,
    ) {
        let response = stack.create(properties.clone()).await;
        self.show(step, &properties, &response, expected);
    }

    /// Plays an Update to `properties` and shows what CloudFormation received.
    async fn update(
        &mut self,
        stack: &mut Stack<'_>,
        step: &str,
        properties: Value,
        expected: &str,
    ) {
        let response = stack.update(properties.clone()).await;
        self.show(step, &properties, &response, expected);
    }

    /// Plays the Delete of what the stack holds and shows what CloudFormation received.
    async fn delete(&mut self, stack: &mut Stack<'_>, step: &str, expected: &str) {
        let response = stack.delete().await;
        let properties = stack.properties.clone();
        self.show(step, &properties, &response, expected);
    }
}

/// A resource `logical_id` of `resource_type` in the stack `security-baseline`.
fn baseline_stack<'a>(function: &'a Function, resource_type: &str, logical_id: &str) -> Stack<'a> {
    Stack::new(function, "security-baseline", resource_type, logical_id)
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
    demo.create(
        &mut stack,
        "Create: wait until alias/baseline-logs is Enabled",
        create,
        "SUCCESS",
    )
    .await;

    let update = json!({"KeyId": "alias/baseline-logs", "MaxWaitSeconds": "120", "RequiredServicePrincipals": ["logs.us-east-1.amazonaws.com"]});
    demo.update(
        &mut stack,
        "Update: also require that CloudWatch Logs may use the key",
        update,
        "SUCCESS",
    )
    .await;

    demo.delete(&mut stack, "Delete: nothing to undo", "SUCCESS")
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
    demo.create(
        &mut failing,
        "Create on a Disabled key: an honest failure, at once",
        bad,
        "[NOT_ACTIVE]",
    )
    .await;

    demo.delete(
        &mut failing,
        "Delete after the failed Create (stack rollback)",
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
        demo.create(&mut stack, title, create, expected).await;
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
    demo.create(
        &mut failing,
        "Create with a delivery bucket that does not exist: an honest failure",
        missing,
        "[NOT_FOUND]",
    )
    .await;
    demo.delete(
        &mut failing,
        "Delete after the failed Create: removes the recorder that Create had made",
        "SUCCESS",
    )
    .await;

    let mut stack = baseline_stack(&function, "Custom::ConfigSetup", "ConfigSetup");
    let create =
        json!({"DeliveryBucketName": CONFIG_BUCKET, "ManagedRules": baseline_managed_rules()});
    demo.create(
        &mut stack,
        "Create: recorder, channel, six managed rules, verified recording",
        create,
        "SUCCESS",
    )
    .await;
    show_config_state(&config).await;

    demo.delete(
        &mut stack,
        "Delete: rules, channel and recorder it created",
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
    demo.create(
        &mut enable,
        "Create: enable Security Hub CSPM",
        hub_properties,
        "SUCCESS",
    )
    .await;

    let mut standards = baseline_stack(&standards_fn, "Custom::SecurityHubStandards", "Standards");
    let wanted = json!({"Standards": ["aws-foundational-security-best-practices/v/1.0.0", "cis-aws-foundations-benchmark/v/1.2.0"]});
    demo.create(
        &mut standards,
        "Create standards before AWS Config records: an honest failure",
        wanted.clone(),
        "[NOT_ACTIVE]",
    )
    .await;

    let mut config = baseline_stack(&config_fn, "Custom::ConfigSetup", "ConfigSetup");
    let recording = json!({"DeliveryBucketName": CONFIG_BUCKET});
    demo.create(
        &mut config,
        "ConfigSetup makes AWS Config record",
        recording,
        "SUCCESS",
    )
    .await;

    demo.update(
        &mut standards,
        "Update the standards: the INCOMPLETE ones are repaired and READY",
        wanted,
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

    demo.delete(&mut standards, "Delete the standards it enabled", "SUCCESS")
        .await;
    demo.delete(&mut config, "Delete ConfigSetup", "SUCCESS")
        .await;
    demo.delete(&mut enable, "Delete: disable the hub it enabled", "SUCCESS")
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

/// The template's six managed rules (`Name`, `SourceIdentifier`): the names `verify` looks for.
const TEMPLATE_RULES: [(&str, &str); 6] = [
    (
        "s3-bucket-server-side-encryption-enabled",
        "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
    ),
    ("cloudtrail-enabled", "CLOUD_TRAIL_ENABLED"),
    ("restricted-ssh", "INCOMING_SSH_DISABLED"),
    ("rds-storage-encrypted", "RDS_STORAGE_ENCRYPTED"),
    (
        "vpc-default-security-group-closed",
        "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    ),
    ("root-account-mfa-enabled", "ROOT_ACCOUNT_MFA_ENABLED"),
];

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

    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "LogsAndAlarmsUse", "Effect": "Allow",
         "Principal": {"Service": ["logs.us-east-1.amazonaws.com", "cloudwatch.amazonaws.com"]},
         "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
         "Resource": "*"}
    ]});
    let key = kms.create_key().policy(policy.to_string()).send().await;
    let key = key.expect("moto CreateKey").key_metadata.expect("metadata");
    let rotation = kms.enable_key_rotation().key_id(&key.key_id).send().await;
    rotation.expect("EnableKeyRotation");
    let key_arn = key.arn.expect("key ARN");
    println!("created the logs key {key_arn} in moto, rotation on");

    let rules: Vec<Value> = TEMPLATE_RULES
        .iter()
        .map(|(name, source)| json!({"Name": name, "SourceIdentifier": source}))
        .collect();
    let tags = json!({"Project": "security-baseline", "Environment": "production", "Owner": "security-team", "CostCentre": "security"});
    let standards = [
        "aws-foundational-security-best-practices/v/1.0.0",
        "cis-aws-foundations-benchmark/v/1.4.0",
    ];
    let resources = [
        (
            "config-setup",
            "Custom::ConfigSetup",
            "ConfigSetup",
            json!({"DeliveryBucketName": CONFIG_BUCKET, "ManagedRules": rules}),
        ),
        (
            "securityhub-enable",
            "Custom::SecurityHubEnable",
            "SecurityHub",
            json!({"EnableDefaultStandards": false, "Tags": tags}),
        ),
        (
            "securityhub-standards",
            "Custom::SecurityHubStandards",
            "SecurityHubStandards",
            json!({"Standards": standards, "WaitForReady": true}),
        ),
    ];
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

    let args = [
        "verify",
        "--no-stack",
        "--config-bucket",
        CONFIG_BUCKET,
        "--logs-key",
        &key_arn,
        "--parameter-overrides",
        "CreateTrail=false",
    ];
    println!("\n── baseline verify: the baseline as the template intends");
    demo.run(moto, &hub, &args, 0, "no drift").await;

    println!("\n── baseline verify after the recorder was stopped by hand");
    let config = aws_sdk_config::Client::new(&moto.sdk_config().await);
    config
        .stop_configuration_recorder()
        .configuration_recorder_name("default")
        .send()
        .await
        .expect("StopConfigurationRecorder");
    println!("StopConfigurationRecorder default: AWS Config no longer records");
    let drift = "DRIFT: recording of ConfigSetup in us-east-1: expected recording, found stopped";
    demo.run(moto, &hub, &args, 1, drift).await;

    for stack in stacks.iter_mut().rev() {
        stack.delete().await;
    }
}
