//! One case's world: the function behind its own fault proxy, its own ledger and, for
//! the Security Hub pair, its own emulator (routed through the same proxy); and the state
//! its work leaves.

use aws_sdk_config::types::ConfigRuleState;
use aws_sdk_ssm::types::Parameter;
use harness::{FaultProxy, Function, Moto, SecurityHub, Stack};
use serde_json::Value;

use super::{Shared, Step, Subject};

const CONFIG_ROLE: &str = "AWSServiceRoleForConfig";

/// How much of the state a suite compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detail {
    /// What is in effect: which ledger records exist (the resource's whatever its
    /// PhysicalResourceId), the hub and standards, the recorders (whether they record),
    /// channels and the rules not being deleted. The fault suite's cases run under
    /// another stack than their baseline, and may leave a rule's deletion under way.
    InEffect,
    /// Also the records' content (less a claim's time), the recorders' role, and the
    /// rules being deleted, as such. Every crash case has the reference's ids.
    Full,
}

pub(crate) struct World {
    pub(crate) subject: Subject,
    pub(crate) proxy: FaultProxy,
    pub(crate) function: Function,
    hub: Option<SecurityHub>,
    ledger: String,
    shared: Shared,
}

impl World {
    /// A fresh world: for config-setup, AWS Config emptied and its service-linked role
    /// deleted (the caller holds `config_lock`), so that each Create makes both again,
    /// and whatever a failed case left is not the next one's.
    pub(crate) async fn start(subject: Subject, shared: &Shared) -> Self {
        let moto = Moto::shared();
        if matches!(subject, Subject::ConfigSetup) {
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
            Subject::KmsReady | Subject::ConfigSetup => None,
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

    /// The stack `name`, with the same StackId in every world (so the same requests give
    /// the same PhysicalResourceId and records).
    pub(crate) fn stack(&self, name: &str) -> Stack<'_> {
        let (resource_type, logical_id) = self.subject.resource();
        let mut stack = Stack::new(&self.function, name, resource_type, logical_id);
        stack.stack_id = format!(
            "arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/5b1c2d3e-0000-4000-8000-00000000c4a5"
        );
        stack
    }

    /// The properties `step` sends (a Delete sends the last ones).
    pub(crate) fn properties(&self, step: Step) -> Value {
        self.subject.properties(step, &self.shared)
    }

    /// What the function's work left, read from the emulators (not through the proxy):
    /// its ledger's records, and the service's state it manages, as much as `detail`.
    pub(crate) async fn state(&self, detail: Detail) -> Vec<String> {
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
            .map(|p| self.record(p, detail))
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
            state.extend(config_state(&aws_sdk_config::Client::new(&sdk), detail).await);
        }
        state.sort();
        state
    }

    /// One ledger record, as much as `detail`.
    fn record(&self, parameter: &Parameter, detail: Detail) -> String {
        let name = parameter.name().unwrap_or_default();
        let name = name.trim_start_matches(&self.ledger);
        match detail {
            // The one resource's record, under its PhysicalResourceId.
            Detail::InEffect if name.starts_with("/resource/") => {
                "ledger: the resource's record".to_owned()
            }
            Detail::InEffect => format!("ledger {name}"),
            Detail::Full => {
                let mut record: Value =
                    serde_json::from_str(parameter.value().unwrap_or_default()).unwrap_or_default();
                if let Some(record) = record.as_object_mut() {
                    record.remove("claimedAt");
                }
                format!("ledger {name} {record}")
            }
        }
    }

    /// After a case: rule deletions under way are over (moto keeps them `DELETING`).
    pub(crate) async fn settle(&self) {
        if matches!(self.subject, Subject::ConfigSetup) {
            Moto::shared().finish_rule_deletions().await;
        }
    }
}

/// AWS Config's recorders (whether they record and, in full, their role), channels and
/// rules (in full, a rule being deleted shows as such; else it is left out).
async fn config_state(config: &aws_sdk_config::Client, detail: Detail) -> Vec<String> {
    let (recorders, status, channels, rules) = tokio::join!(
        config.describe_configuration_recorders().send(),
        config.describe_configuration_recorder_status().send(),
        config.describe_delivery_channels().send(),
        config.describe_config_rules().send(),
    );
    let recorders = recorders.expect("moto DescribeConfigurationRecorders");
    let status = status.expect("moto DescribeConfigurationRecorderStatus");
    let channels = channels.expect("moto DescribeDeliveryChannels");
    let rules = rules.expect("moto DescribeConfigRules");
    let full = detail == Detail::Full;
    let role = |name: &str| {
        let mut all = recorders.configuration_recorders().iter();
        let recorder = all.find(|r| r.name() == Some(name));
        recorder.and_then(|r| r.role_arn()).unwrap_or_default()
    };
    let recording = status.configuration_recorders_status().iter().map(|r| {
        let name = r.name().unwrap_or_default();
        let role = if full {
            format!(" role {}", role(name))
        } else {
            String::new()
        };
        format!("recorder {name}{role} recording {}", r.recording())
    });
    let channels = channels.delivery_channels().iter().map(|c| {
        let bucket = c.s3_bucket_name().unwrap_or_default();
        format!("channel {} to {bucket}", c.name().unwrap_or_default())
    });
    let rules = rules.config_rules().iter().filter_map(|r| {
        let name = r.config_rule_name().unwrap_or_default();
        let deleting = r.config_rule_state() == Some(&ConfigRuleState::Deleting);
        match (deleting, full) {
            (false, _) => Some(format!("rule {name}")),
            (true, true) => Some(format!("rule {name} (being deleted)")),
            (true, false) => None,
        }
    });
    recording.chain(channels).chain(rules).collect()
}
