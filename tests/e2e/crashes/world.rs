//! One crash case's world: the function behind its own fault proxy, its own ledger and,
//! for the Security Hub pair, its own emulator; one stack with fixed ids, so that every
//! case's requests (and the PhysicalResourceId derived from them) are the reference's.

use aws_sdk_config::types::ConfigRuleState;
use harness::securityhub::standards_arn;
use harness::{FaultProxy, Function, Moto, SecurityHub, Stack};
use serde_json::{json, Value};

use super::Step;

const BUCKET: &str = "config-delivery-crashes";
const CONFIG_ROLE: &str = "AWSServiceRoleForConfig";
const AFSBP: &str = "aws-foundational-security-best-practices/v/1.0.0";
const CIS14: &str = "cis-aws-foundations-benchmark/v/1.4.0";
/// Every case's stack is `crashes`: the same ids give the same PhysicalResourceId and
/// records as the reference run's.
pub(super) const STACK: &str = "crashes";

/// A function that makes account state, with the properties its Create and Update send.
#[derive(Clone, Copy, Debug)]
pub(super) enum Subject {
    ConfigSetup,
    SecurityHubEnable,
    SecurityHubStandards,
}

impl Subject {
    pub(super) fn name(self) -> &'static str {
        match self {
            Subject::ConfigSetup => "config-setup",
            Subject::SecurityHubEnable => "securityhub-enable",
            Subject::SecurityHubStandards => "securityhub-standards",
        }
    }

    fn resource(self) -> (&'static str, &'static str) {
        match self {
            Subject::ConfigSetup => ("Custom::ConfigSetup", "ConfigSetup"),
            Subject::SecurityHubEnable => ("Custom::SecurityHubEnable", "Hub"),
            Subject::SecurityHubStandards => ("Custom::SecurityHubStandards", "Standards"),
        }
    }

    /// The properties `step` sends (a Delete sends the last ones).
    fn properties(self, step: Step) -> Value {
        let update = step == Step::Update;
        match self {
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

pub(super) struct World {
    pub(super) subject: Subject,
    pub(super) proxy: FaultProxy,
    pub(super) function: Function,
    hub: Option<SecurityHub>,
    ledger: String,
}

impl World {
    /// A fresh world: for config-setup, AWS Config emptied and its service-linked role
    /// deleted (the caller holds `config_lock`), so that each Create makes both again.
    pub(super) async fn start(subject: Subject) -> Self {
        let moto = Moto::shared();
        if matches!(subject, Subject::ConfigSetup) {
            moto.create_bucket(BUCKET).await;
            moto.empty_config().await;
            let iam = aws_sdk_iam::Client::new(&moto.sdk_config().await);
            let _absent_is_fine = iam.delete_role().role_name(CONFIG_ROLE).send().await;
        }
        let proxy = FaultProxy::start(&moto.endpoint).await;
        let hub = match subject {
            Subject::ConfigSetup => None,
            Subject::SecurityHubEnable => Some(SecurityHub::start().await),
            Subject::SecurityHubStandards => {
                let hub = SecurityHub::start().await;
                hub.hub_enabled_before("us-east-1", "SECURITY_CONTROL", true)
                    .pending_polls(0)
                    .deleting_polls(1);
                Some(hub)
            }
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
        }
    }

    /// The stack `name`, with the same StackId in every world.
    pub(super) fn stack(&self, name: &str) -> Stack<'_> {
        let (resource_type, logical_id) = self.subject.resource();
        let mut stack = Stack::new(&self.function, name, resource_type, logical_id);
        stack.stack_id = format!(
            "arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/5b1c2d3e-0000-4000-8000-00000000c4a5"
        );
        stack
    }

    /// `step`'s request, with the same RequestId (and ResponseURL path) in every world:
    /// `<stack name>-<request type>`.
    pub(super) fn event(&self, stack: &mut Stack<'_>, step: Step) -> Value {
        let last = stack.properties.clone();
        let mut event = match step {
            Step::Create => stack.request("Create", &self.subject.properties(step), None),
            Step::Update => stack.request("Update", &self.subject.properties(step), Some(&last)),
            Step::Delete => stack.request("Delete", &last, None),
        };
        let name = stack.stack_id.split('/').nth(1).unwrap_or_default();
        let id = format!("{name}-{}", step.name().to_lowercase());
        event["RequestId"] = json!(id);
        event["ResponseURL"] = json!(self.function.responses().url(&response_path(&id)));
        event
    }

    /// Waits, before every request after the Create, as long as the service needs to take
    /// it as the reference run's: Security Hub allows one `BatchEnableStandards` per
    /// second, and one throttled by the previous request's call adds a call (and moves
    /// every crash point after it).
    pub(super) async fn before(&self, step: Step) {
        if step != Step::Create && matches!(self.subject, Subject::SecurityHubStandards) {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
    }

    /// What CloudFormation holds after `step` succeeded with `physical_id`.
    pub(super) fn succeeded(&self, stack: &mut Stack<'_>, step: Step, physical_id: &str) {
        stack.physical_id = Some(physical_id.to_owned());
        if step != Step::Delete {
            stack.properties = self.subject.properties(step);
        }
    }

    /// What the function's work left, read from the emulators (not through the proxy):
    /// its ledger's records (their content, less the claim's time), and the service's
    /// state it manages.
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
            .map(|p| {
                let name = p.name().unwrap_or_default();
                let mut record: Value =
                    serde_json::from_str(p.value().unwrap_or_default()).unwrap_or_default();
                if let Some(record) = record.as_object_mut() {
                    record.remove("claimedAt");
                }
                format!("ledger {} {record}", name.trim_start_matches(&self.ledger))
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
}

/// Where the answer to the request `request_id` is PUT.
pub(super) fn response_path(request_id: &str) -> String {
    format!("cfn-responses/{request_id}")
}

/// AWS Config's recorders (with their role and whether they record), channels and rules
/// (with their state: a rule being deleted shows as such).
async fn config_state(config: &aws_sdk_config::Client) -> Vec<String> {
    let recorders = config
        .describe_configuration_recorders()
        .send()
        .await
        .expect("moto DescribeConfigurationRecorders");
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
    let recorders = recorders.configuration_recorders().iter().map(|r| {
        format!(
            "recorder {} role {}",
            r.name().unwrap_or_default(),
            r.role_arn().unwrap_or_default()
        )
    });
    let recording = status.configuration_recorders_status().iter().map(|r| {
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
    let rules = rules.config_rules().iter().map(|r| {
        let deleting = r.config_rule_state() == Some(&ConfigRuleState::Deleting);
        format!(
            "rule {}{}",
            r.config_rule_name().unwrap_or_default(),
            if deleting { " (being deleted)" } else { "" }
        )
    });
    recorders
        .chain(recording)
        .chain(channels)
        .chain(rules)
        .collect()
}
