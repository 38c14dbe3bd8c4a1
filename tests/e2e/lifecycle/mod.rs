//! The functions as the fault and crash suites (`faults/`, `crashes/`) play them: the
//! lifecycle's requests and the properties each sends, what every case of a function
//! shares, each case's world (`world.rs`) and the runner of a suite's cases (`cases.rs`).

mod cases;
mod world;

use std::collections::BTreeMap;

use harness::securityhub::standards_arn;
use harness::{CfnResponse, Moto};
use serde_json::{json, Value};
use tokio::sync::MutexGuard;

pub(crate) use cases::{all_pass, run_all};
pub(crate) use world::{Detail, World};

const BUCKET: &str = "config-delivery-lifecycle";
const AFSBP: &str = "aws-foundational-security-best-practices/v/1.0.0";
const CIS14: &str = "cis-aws-foundations-benchmark/v/1.4.0";

/// Answer data that differs between runs by nature: the hub's subscription time.
const VOLATILE_DATA: [&str; 1] = ["SubscribedAt"];

/// One request of the lifecycle every function plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Create,
    Update,
    Delete,
}

impl Step {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Create => "Create",
            Step::Update => "Update",
            Step::Delete => "Delete",
        }
    }
}

pub(crate) const LIFECYCLE: [Step; 3] = [Step::Create, Step::Update, Step::Delete];

/// A function under test, with the properties its Create and Update send.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Subject {
    KmsReady,
    ConfigSetup,
    SecurityHubEnable,
    SecurityHubStandards,
}

impl Subject {
    pub(crate) const ALL: [Subject; 4] = [
        Subject::KmsReady,
        Subject::ConfigSetup,
        Subject::SecurityHubEnable,
        Subject::SecurityHubStandards,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Subject::KmsReady => "kms-ready",
            Subject::ConfigSetup => "config-setup",
            Subject::SecurityHubEnable => "securityhub-enable",
            Subject::SecurityHubStandards => "securityhub-standards",
        }
    }

    fn resource(self) -> (&'static str, &'static str) {
        match self {
            Subject::KmsReady => ("Custom::KmsReady", "KeyReady"),
            Subject::ConfigSetup => ("Custom::ConfigSetup", "ConfigSetup"),
            Subject::SecurityHubEnable => ("Custom::SecurityHubEnable", "Hub"),
            Subject::SecurityHubStandards => ("Custom::SecurityHubStandards", "Standards"),
        }
    }

    /// What a suite of this function holds while it runs: moto's AWS Config is one per
    /// region for the whole process, so config-setup's cases run one at a time, under
    /// `config_lock`.
    pub(crate) async fn alone(self) -> Option<MutexGuard<'static, ()>> {
        match self {
            Subject::ConfigSetup => Some(harness::config_lock().await),
            _ => None,
        }
    }

    /// What a suite sets up once for every case: a key to wait for, a delivery bucket.
    pub(crate) async fn shared(self) -> Shared {
        let moto = Moto::shared();
        let sdk = moto.sdk_config().await;
        match self {
            Subject::KmsReady => {
                let policy = harness::key_policy_allowing("logs.us-east-1.amazonaws.com");
                let key = aws_sdk_kms::Client::new(&sdk)
                    .create_key()
                    .description("lifecycle")
                    .policy(policy)
                    .send()
                    .await
                    .expect("moto CreateKey")
                    .key_metadata
                    .expect("metadata");
                Shared {
                    key: Some((key.key_id, key.arn.expect("arn"))),
                }
            }
            Subject::ConfigSetup => {
                moto.create_bucket(BUCKET).await;
                Shared { key: None }
            }
            _ => Shared { key: None },
        }
    }

    /// The properties `step` sends (a Delete sends the last ones).
    fn properties(self, step: Step, shared: &Shared) -> Value {
        let update = step == Step::Update;
        match self {
            Subject::KmsReady => {
                let (id, arn) = shared.key.clone().expect("a key");
                let principals = ["logs.us-east-1.amazonaws.com"];
                if update {
                    json!({"KeyId": arn, "MaxWaitSeconds": "60", "RequiredServicePrincipals": principals})
                } else {
                    json!({"KeyId": id, "RequiredServicePrincipals": principals})
                }
            }
            Subject::ConfigSetup => {
                let rule = if update {
                    json!({"Name": "restricted-ssh", "SourceIdentifier": "INCOMING_SSH_DISABLED"})
                } else {
                    json!({"Name": "cloudtrail-enabled", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"})
                };
                json!({"DeliveryBucketName": BUCKET, "ManagedRules": [rule]})
            }
            Subject::SecurityHubEnable => {
                if update {
                    json!({"ControlFindingGenerator": "SECURITY_CONTROL", "Tags": {"Owner": "platform"}})
                } else {
                    json!({"ControlFindingGenerator": "STANDARD_CONTROL", "AutoEnableControls": false, "Tags": {"Team": "security"}})
                }
            }
            Subject::SecurityHubStandards => {
                let standard = if update { CIS14 } else { AFSBP };
                json!({"Standards": [standards_arn("us-east-1", standard)]})
            }
        }
    }
}

/// What every case of one function shares.
#[derive(Clone, Debug)]
pub(crate) struct Shared {
    /// kms-ready's key: (id, ARN).
    key: Option<(String, String)>,
}

/// An answer's `Data`, less what differs between runs by nature.
pub(crate) fn data(response: &CfnResponse) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    if let Some(object) = response.body()["Data"].as_object() {
        for (key, value) in object {
            if !VOLATILE_DATA.contains(&key.as_str()) {
                data.insert(key.clone(), value.to_string());
            }
        }
    }
    data
}
