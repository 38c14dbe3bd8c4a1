//! The `baseline` CLI (`cli/`) run as a process against the emulators, as an operator
//! would run it: dummy credentials, the region, and no profile, credentials file or
//! instance metadata in reach; and the baseline as template.yml sets it up, for the e2e
//! test and the demo alike.

use std::path::Path;

use aws_sdk_kms::types::KeyMetadata;
use serde_json::{json, Value};

use crate::{Binary, Moto};

/// What a run printed on stdout and how it exited.
pub struct Ran {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Everything printed on stdout.
    pub stdout: String,
}

impl Ran {
    /// Asserts that the output shows `text`.
    pub fn shows(&self, text: &str) {
        assert!(
            self.stdout.contains(text),
            "{text:?} not in:\n{}",
            self.stdout
        );
    }
}

/// Runs `baseline ARGS` in `dir` with moto as every endpoint and `env` added (e.g. the
/// Security Hub emulator's endpoint); stdin is not a terminal. Prints what it printed.
pub async fn run_baseline(moto: &Moto, dir: &Path, env: &[(&str, String)], args: &[&str]) -> Ran {
    let output = tokio::process::Command::new(Binary::Debug("baseline").path())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs([
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ])
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("run baseline");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("$ baseline {}\n{stdout}{stderr}", args.join(" "));
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout,
    }
}

/// The stack the template's resources belong to.
pub const TEMPLATE_STACK: &str = "security-baseline";

/// The template's two Security Hub standards.
pub const TEMPLATE_STANDARDS: [&str; 2] = [
    "aws-foundational-security-best-practices/v/1.0.0",
    "cis-aws-foundations-benchmark/v/1.4.0",
];

/// The stack's four tags, with the template's defaults.
pub fn template_tags() -> Value {
    json!({"Project": "security-baseline", "Environment": "production", "Owner": "security-team", "CostCentre": "security"})
}

/// ConfigSetup's properties as template.yml gives them, without a trail, delivering to
/// `bucket`: the rule names `verify` looks for.
pub fn template_config_setup(bucket: &str) -> Value {
    json!({
        "DeliveryBucketName": bucket,
        "RecordingFrequency": "CONTINUOUS",
        "IncludeGlobalResourceTypes": true,
        "Tags": template_tags(),
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

/// The template's custom resources in its order, as `(binary, ResourceType, logical id,
/// properties)`: ConfigSetup delivering to `bucket`, the hub, its standards and, given the
/// logs key's id, KmsReady for it.
pub fn template_resources(
    bucket: &str,
    logs_key_id: Option<&str>,
) -> Vec<(&'static str, &'static str, &'static str, Value)> {
    let mut resources = vec![
        (
            "config-setup",
            "Custom::ConfigSetup",
            "ConfigSetup",
            template_config_setup(bucket),
        ),
        (
            "securityhub-enable",
            "Custom::SecurityHubEnable",
            "SecurityHub",
            json!({"EnableDefaultStandards": false, "Tags": template_tags()}),
        ),
        (
            "securityhub-standards",
            "Custom::SecurityHubStandards",
            "SecurityHubStandards",
            json!({"Standards": TEMPLATE_STANDARDS, "WaitForReady": true}),
        ),
    ];
    if let Some(key_id) = logs_key_id {
        let principals = ["logs.us-east-1.amazonaws.com", "cloudwatch.amazonaws.com"];
        resources.push((
            "kms-ready",
            "Custom::KmsReady",
            "LogsKeyReady",
            json!({"KeyId": key_id, "RequiredServicePrincipals": principals}),
        ));
    }
    resources
}

/// Creates the template's LogsKey in moto, rotation on: its policy lets the account,
/// CloudWatch Logs of the region and CloudWatch alarms use it.
pub async fn create_logs_key(kms: &aws_sdk_kms::Client) -> KeyMetadata {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchLogsUse", "Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
         "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
         "Resource": "*",
         "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"}}},
        {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}
    ]});
    let key = kms.create_key().policy(policy.to_string()).send().await;
    let key = key.expect("moto CreateKey").key_metadata.expect("metadata");
    let rotation = kms.enable_key_rotation().key_id(&key.key_id).send().await;
    rotation.expect("EnableKeyRotation");
    key
}

/// `baseline verify` of the template without a stack or a trail, its Config delivering to
/// `bucket` and its logs key `logs_key_arn`.
pub fn verify_args<'a>(bucket: &'a str, logs_key_arn: &'a str) -> [&'a str; 8] {
    [
        "verify",
        "--no-stack",
        "--config-bucket",
        bucket,
        "--logs-key",
        logs_key_arn,
        "--parameter-overrides",
        "CreateTrail=false",
    ]
}

/// Stops AWS Config's recorder `default` in moto, as an operator would by hand.
pub async fn stop_recorder(moto: &Moto) {
    let config = aws_sdk_config::Client::new(&moto.sdk_config().await);
    config
        .stop_configuration_recorder()
        .configuration_recorder_name("default")
        .send()
        .await
        .expect("StopConfigurationRecorder");
}
