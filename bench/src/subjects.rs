//! The benchmarked functions: how to set up, exercise and count each one.

use std::future::Future;
use std::pin::Pin;

use harness::{Moto, SecurityHub};
use serde_json::{json, Value};

/// Set-up work done in moto before a run.
pub(crate) type Setup<T> = Pin<Box<dyn Future<Output = T>>>;

/// One function under benchmark and how to exercise it.
pub(crate) struct Subject {
    /// Package and binary name (`functions/<name>/`).
    pub(crate) name: &'static str,
    /// The CloudFormation `ResourceType` of its requests.
    pub(crate) resource_type: &'static str,
    /// The `LogicalResourceId` of its requests.
    pub(crate) logical_id: &'static str,
    /// Creates in moto what the Create refers to; returns the Create's properties.
    pub(crate) seed: fn(&'static Moto) -> Setup<Value>,
    /// The counted Update's properties, from the Create's: a change the function acts on.
    pub(crate) update: fn(&Value) -> Value,
    /// Talks to Security Hub: each run gets a fresh emulator, set up by this.
    pub(crate) security_hub: Option<fn(&SecurityHub)>,
    /// Undoes in moto what the previous run's Creates did, before each cold start.
    pub(crate) reset: Option<fn(&'static Moto) -> Setup<()>>,
    /// The fewest AWS calls the contract allows for the counted Create, Update and Delete
    /// (why: README, "AWS calls").
    pub(crate) minimum_calls: [&'static [&'static str]; 3],
}

impl Subject {
    /// Its Python crhelper + boto3 peer: `<name, snake_case>.handler` in `bench/peer/`.
    pub(crate) fn peer_handler(&self) -> String {
        format!("{}.handler", self.name.replace('-', "_"))
    }
}

pub(crate) const SUBJECTS: &[Subject] = &[
    Subject {
        name: "kms-ready",
        resource_type: "Custom::KmsReady",
        logical_id: "KeyReady",
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
            &CONFIG_CREATE,
            &CONFIG_UPDATE,
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
            STANDARDS_ENABLED,
            STANDARDS_ENABLED,
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

/// What config-setup reads before it acts, on Create and Update alike: the record, the
/// recorders, the channels, the service-linked role, the rules (those the ledger says
/// exist together, each other one alone).
const CONFIG_READS: [&str; 6] = [
    "GetParameter",
    "DescribeConfigurationRecorders",
    "DescribeDeliveryChannels",
    "GetRole",
    "DescribeConfigRules",
    "DescribeConfigRules",
];

const CONFIG_CREATE: [&str; 17] = then(
    &CONFIG_READS,
    &[
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
);

const CONFIG_UPDATE: [&str; 10] = then(
    &CONFIG_READS,
    &[
        "PutParameter",
        "DescribeConfigurationRecorderStatus",
        "PutConfigRule",
        "DescribeConfigRules",
    ],
);

/// The `N` calls of `first`, then those of `rest` (a compile error unless `N` in all).
const fn then<const N: usize>(first: &[&'static str], rest: &[&'static str]) -> [&'static str; N] {
    assert!(
        first.len() + rest.len() == N,
        "N is not the number of calls"
    );
    let mut all = [""; N];
    let mut i = 0;
    while i < N {
        all[i] = if i < first.len() {
            first[i]
        } else {
            rest[i - first.len()]
        };
        i += 1;
    }
    all
}

/// securityhub-standards' Create, and its Update adding a standard: the same calls.
const STANDARDS_ENABLED: &[&str] = &[
    "DescribeStandards",
    "GetParameter",
    "GetEnabledStandards",
    "PutParameter",
    "BatchEnableStandards",
    "GetEnabledStandards",
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
