//! The four functions as the fault suite plays them: the lifecycle's properties, the
//! emulators each needs, and what it leaves behind (the state compared after each step).

use aws_sdk_config::types::ConfigRuleState;
use harness::securityhub::standards_arn;
use harness::{FaultProxy, Function, Moto, SecurityHub, Stack};
use serde_json::{json, Value};

use super::Step;

const BUCKET: &str = "config-delivery-faults";
const CONFIG_ROLE: &str = "AWSServiceRoleForConfig";
const AFSBP: &str = "aws-foundational-security-best-practices/v/1.0.0";
const CIS14: &str = "cis-aws-foundations-benchmark/v/1.4.0";

/// A function under test, with the properties its Create and Update send.
#[derive(Clone, Copy, Debug)]
pub(super) enum Subject {
    KmsReady,
    ConfigSetup,
    SecurityHubEnable,
    SecurityHubStandards,
}

impl Subject {
    pub(super) fn name(self) -> &'static str {
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

    /// What the test sets up once for every case: a key to wait for, a delivery bucket.
    pub(super) async fn shared(self) -> Shared {
        let moto = Moto::shared();
        let sdk = moto.sdk_config().await;
        match self {
            Subject::KmsReady => {
                let policy = harness::key_policy_allowing("logs.us-east-1.amazonaws.com");
                let key = aws_sdk_kms::Client::new(&sdk)
                    .create_key()
                    .description("faults")
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
}

/// What every case of one function shares.
#[derive(Clone, Debug)]
pub(super) struct Shared {
    /// kms-ready's key: (id, ARN).
    key: Option<(String, String)>,
}

/// One case's world: the function behind its own fault proxy, its own ledger, and for
/// the Security Hub pair its own emulator (routed through the same proxy).
pub(super) struct Rig {
    pub(super) subject: Subject,
    pub(super) proxy: FaultProxy,
    pub(super) function: Function,
    hub: Option<SecurityHub>,
    ledger: String,
    shared: Shared,
}

impl Rig {
    pub(super) async fn start(subject: Subject, shared: &Shared) -> Self {
        let moto = Moto::shared();
        if matches!(subject, Subject::ConfigSetup) {
            // Whatever a failed case left is not the next one's (the caller holds the
            // lock), and AWS Config's service-linked role is made by each Create again.
            moto.empty_config().await;
            let iam = aws_sdk_iam::Client::new(&moto.sdk_config().await);
            let _absent_is_fine = iam.delete_role().role_name(CONFIG_ROLE).send().await;
        }
        let proxy = FaultProxy::start(&moto.endpoint).await;
        let hub = match subject {
            Subject::SecurityHubEnable => Some(SecurityHub::start().await),
            Subject::SecurityHubStandards => {
                let hub = SecurityHub::start().await;
                hub.hub_enabled_before("us-east-1", "SECURITY_CONTROL", true)
                    .pending_polls(0)
                    .deleting_polls(1);
                Some(hub)
            }
            _ => None,
        };
        if let Some(hub) = &hub {
            proxy.route("securityhub", &hub.endpoint());
        }
        let ledger = harness::fresh_ledger();
        let env = [("AWS_ENDPOINT_URL", proxy.endpoint()), ledger.clone()];
        let function = Function::start(harness::Binary::Debug(subject.name()), moto, &env).await;
        Self {
            subject,
            proxy,
            function,
            hub,
            ledger: ledger.1,
            shared: shared.clone(),
        }
    }

    pub(super) fn stack(&self, name: &str) -> Stack<'_> {
        let (resource_type, logical_id) = self.subject.resource();
        Stack::new(&self.function, name, resource_type, logical_id)
    }

    /// The properties `step` sends (a Delete sends the last ones).
    pub(super) fn properties(&self, step: Step) -> Value {
        let update = step == Step::Update;
        match self.subject {
            Subject::KmsReady => {
                let (id, arn) = self.shared.key.clone().expect("a key");
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

    /// What the function's work left, read from the emulators (not through the proxy):
    /// its ledger's parameters, and the service's state it manages.
    pub(super) async fn state(&self) -> Vec<String> {
        let moto = Moto::shared();
        let sdk = moto.sdk_config().await;
        let ssm = aws_sdk_ssm::Client::new(&sdk);
        let parameters = ssm
            .get_parameters_by_path()
            .path(&self.ledger)
            .recursive(true)
            .send()
            .await
            .expect("moto GetParametersByPath");
        let mut state: Vec<String> = parameters
            .parameters()
            .iter()
            .filter_map(|p| p.name())
            .map(|name| match name.trim_start_matches(&self.ledger) {
                // The one resource's record, under its PhysicalResourceId.
                record if record.starts_with("/resource/") => {
                    "ledger: the resource's record".to_owned()
                }
                other => format!("ledger {other}"),
            })
            .collect();
        if let Some(hub) = &self.hub {
            state.extend(hub.hub().map(|hub| {
                format!(
                    "hub {} auto-enable {} tags {:?}",
                    hub.control_finding_generator, hub.auto_enable_controls, hub.tags
                )
            }));
            state.extend(
                hub.subscriptions()
                    .iter()
                    .map(|s| format!("standard {} {}", s.short_id(), s.status)),
            );
        }
        if matches!(self.subject, Subject::ConfigSetup) {
            state.extend(config_state(&aws_sdk_config::Client::new(&sdk)).await);
        }
        state.sort();
        state
    }

    /// After a case: rule deletions under way are over (moto keeps them `DELETING`).
    pub(super) async fn settle(&self) {
        if matches!(self.subject, Subject::ConfigSetup) {
            Moto::shared().finish_rule_deletions().await;
        }
    }
}

/// AWS Config's recorders (and whether they record), channels and rules.
async fn config_state(config: &aws_sdk_config::Client) -> Vec<String> {
    let status = config
        .describe_configuration_recorder_status()
        .send()
        .await
        .expect("moto DescribeConfigurationRecorderStatus");
    let channels = config
        .describe_delivery_channels()
        .send()
        .await
        .expect("moto DescribeDeliveryChannels");
    let rules = config
        .describe_config_rules()
        .send()
        .await
        .expect("moto DescribeConfigRules");
    let recorders = status.configuration_recorders_status().iter().map(|r| {
        format!(
            "recorder {} recording {}",
            r.name().unwrap_or_default(),
            r.recording()
        )
    });
    let channels = channels.delivery_channels().iter().map(|c| {
        format!(
            "channel {} to {}",
            c.name().unwrap_or_default(),
            c.s3_bucket_name().unwrap_or_default()
        )
    });
    let rules = rules
        .config_rules()
        .iter()
        .filter(|r| r.config_rule_state() != Some(&ConfigRuleState::Deleting))
        .map(|r| format!("rule {}", r.config_rule_name().unwrap_or_default()));
    recorders.chain(channels).chain(rules).collect()
}
