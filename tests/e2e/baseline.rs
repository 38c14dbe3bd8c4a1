//! `baseline verify` end to end: the real function binaries set the baseline up (moto's
//! Config, KMS, IAM and SSM; the harness's Security Hub emulator), then the `baseline`
//! binary reads it back, clean and drifted.
//!
//! ConfigSetup uses moto's one recorder per region: the test holds `harness::config_lock()`
//! and starts from an empty Config set-up.

use std::path::Path;
use std::time::SystemTime;

use harness::{config_lock, run_baseline, Binary, Function, Moto, SecurityHub, Stack};
use serde_json::{json, Value};

const BUCKET: &str = "baseline-e2e-config";
const STACK: &str = "security-baseline";

/// The stack's four tags, with the template's defaults.
fn tags() -> Value {
    json!({"Project": "security-baseline", "Environment": "production", "Owner": "security-team", "CostCentre": "security"})
}

/// ConfigSetup's properties as template.yml gives them, without a trail.
fn config_setup() -> Value {
    json!({
        "DeliveryBucketName": BUCKET,
        "RecordingFrequency": "CONTINUOUS",
        "IncludeGlobalResourceTypes": true,
        "Tags": tags(),
        "ManagedRules": [
            {"Name": "s3-bucket-server-side-encryption-enabled", "SourceIdentifier": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "ResourceTypes": ["AWS::S3::Bucket"]},
            {"Name": "cloudtrail-enabled", "SourceIdentifier": "CLOUD_TRAIL_ENABLED", "MaximumExecutionFrequency": "TwentyFour_Hours"},
            {"Name": "restricted-ssh", "SourceIdentifier": "INCOMING_SSH_DISABLED", "ResourceTypes": ["AWS::EC2::SecurityGroup"]},
            {"Name": "rds-storage-encrypted", "SourceIdentifier": "RDS_STORAGE_ENCRYPTED", "ResourceTypes": ["AWS::RDS::DBInstance"]},
            {"Name": "vpc-default-security-group-closed", "SourceIdentifier": "VPC_DEFAULT_SECURITY_GROUP_CLOSED", "ResourceTypes": ["AWS::EC2::SecurityGroup"]},
            {"Name": "root-account-mfa-enabled", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED", "MaximumExecutionFrequency": "TwentyFour_Hours"}
        ]
    })
}

/// The template's LogsKey policy: the account, CloudWatch Logs of the region, CloudWatch alarms.
fn logs_key_policy() -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchLogsUse", "Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
         "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
         "Resource": "*",
         "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"}}},
        {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}
    ]})
    .to_string()
}

/// What `baseline verify` printed and how it exited.
struct Verified {
    code: i32,
    stdout: String,
}

impl Verified {
    fn findings(&self) -> Vec<Value> {
        let document: Value = serde_json::from_str(&self.stdout).expect("--json prints JSON");
        document["findings"].as_array().cloned().unwrap_or_default()
    }

    /// `(resource, check)` of every finding that is not ok.
    fn not_ok(&self) -> Vec<(String, String)> {
        self.findings()
            .iter()
            .filter(|f| f["ok"] != true)
            .map(|f| (text(&f["resource"]), text(&f["check"])))
            .collect()
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// Runs the `baseline` binary with `args` against moto and the Security Hub emulator.
async fn baseline(moto: &Moto, hub: &SecurityHub, args: &[&str]) -> Verified {
    let (name, endpoint) = hub.env();
    let ran = run_baseline(moto, Path::new("."), &[(name, endpoint)], args).await;
    Verified {
        code: ran.code,
        stdout: ran.stdout,
    }
}

#[tokio::test]
async fn verify_passes_on_the_baseline_the_functions_set_up_and_names_each_drift_and_its_owner() {
    let _lock = config_lock().await;
    let moto = Moto::shared();
    moto.empty_config().await;
    moto.create_bucket(BUCKET).await;
    let sdk = moto.sdk_config().await;
    let hub = SecurityHub::start().await;
    hub.recording_from_moto(moto).await;
    let ledger = harness::fresh_ledger();
    let env = [hub.env(), ledger];

    let kms = aws_sdk_kms::Client::new(&sdk);
    let key = kms.create_key().policy(logs_key_policy()).send().await;
    let key = key.expect("moto CreateKey").key_metadata.expect("metadata");
    let rotation = kms.enable_key_rotation().key_id(&key.key_id).send().await;
    rotation.expect("EnableKeyRotation");

    // The baseline's custom resources, in the template's order.
    let standard_ids = [
        "aws-foundational-security-best-practices/v/1.0.0",
        "cis-aws-foundations-benchmark/v/1.4.0",
    ];
    let principals = ["logs.us-east-1.amazonaws.com", "cloudwatch.amazonaws.com"];
    let resources = [
        (
            "config-setup",
            "Custom::ConfigSetup",
            "ConfigSetup",
            config_setup(),
        ),
        (
            "securityhub-enable",
            "Custom::SecurityHubEnable",
            "SecurityHub",
            json!({"EnableDefaultStandards": false, "Tags": tags()}),
        ),
        (
            "securityhub-standards",
            "Custom::SecurityHubStandards",
            "SecurityHubStandards",
            json!({"Standards": standard_ids, "WaitForReady": true}),
        ),
        (
            "kms-ready",
            "Custom::KmsReady",
            "LogsKeyReady",
            json!({"KeyId": key.key_id, "RequiredServicePrincipals": principals}),
        ),
    ];
    let mut functions = Vec::new();
    for (binary, ..) in &resources {
        functions.push(Function::start(Binary::Debug(binary), moto, &env).await);
    }
    let mut stacks = Vec::new();
    for ((_, resource_type, logical_id, properties), function) in resources.iter().zip(&functions) {
        let mut stack = Stack::new(function, STACK, resource_type, logical_id);
        stack.create(properties.clone()).await.assert_success();
        stacks.push(stack);
    }

    let key_arn = key.arn.clone().expect("key ARN");
    let verify = [
        "verify",
        "--no-stack",
        "--config-bucket",
        BUCKET,
        "--logs-key",
        &key_arn,
        "--parameter-overrides",
        "CreateTrail=false",
    ];
    let table = baseline(moto, &hub, &verify).await;
    assert_eq!(table.code, 0, "a clean baseline exits 0");
    assert!(table.stdout.contains("no drift"), "{}", table.stdout);
    let json_args = [&verify[..], &["--json"]].concat();
    let clean = baseline(moto, &hub, &json_args).await;
    assert_eq!(clean.code, 0);
    assert_eq!(clean.not_ok(), Vec::<(String, String)>::new());
    let checked: Vec<String> = clean
        .findings()
        .iter()
        .map(|f| text(&f["resource"]))
        .collect();
    for owner in [
        "ConfigSetup",
        "SecurityHub",
        "SecurityHubStandards",
        "LogsKey",
        "(not in template)",
    ] {
        assert!(
            checked.iter().any(|r| r == owner),
            "{owner} not checked: {checked:?}"
        );
    }
    let shield = clean
        .findings()
        .into_iter()
        .find(|f| f["check"] == "Shield Advanced")
        .expect("Shield reported");
    assert_eq!(
        (text(&shield["found"]), text(&shield["status"])),
        ("not subscribed".into(), "info".into())
    );

    // Drift: the recorder stopped, a recording Failure since, the key's rotation off.
    let config_client = aws_sdk_config::Client::new(&sdk);
    config_client
        .stop_configuration_recorder()
        .configuration_recorder_name("default")
        .send()
        .await
        .expect("StopConfigurationRecorder");
    let error = (
        "NoSuchBucketException",
        "The specified bucket does not exist.",
    );
    moto.set_recorder_status("default", "Failure", Some(error), SystemTime::now())
        .await;
    kms.disable_key_rotation()
        .key_id(&key.key_id)
        .send()
        .await
        .expect("DisableKeyRotation");
    let drifted = baseline(moto, &hub, &json_args).await;
    assert_eq!(drifted.code, 1, "drift exits 1");
    let owned = |resource: &str, check: &str| (resource.to_owned(), check.to_owned());
    assert_eq!(
        drifted.not_ok(),
        [
            owned("ConfigSetup", "recording"),
            owned("ConfigSetup", "last status"),
            owned("LogsKey", "rotation")
        ]
    );
    let table = baseline(moto, &hub, &verify).await;
    assert_eq!(table.code, 1);
    assert!(
        table.stdout.contains(
            "DRIFT: recording of ConfigSetup in us-east-1: expected recording, found stopped"
        ),
        "{}",
        table.stdout
    );

    for stack in stacks.iter_mut().rev() {
        stack.delete().await.assert_success();
    }
}
