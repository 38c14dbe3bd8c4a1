//! ConfigSetup's SDK call sequences, against `aws-smithy-mocks`: AWS Config and IAM a rule
//! per call (matched in any order), SSM the kit's Parameter Store in memory holding the
//! ownership ledger. By lifecycle (`create`, `update`, `delete`), and the refusals and
//! failures of a Create (`errors`).

mod create;
mod delete;
mod errors;
mod update;

use std::fmt::Debug;
use std::time::Duration;

use aws_sdk_config::config::retry::RetryConfig;
use aws_sdk_config::operation::describe_config_rules::{
    DescribeConfigRulesError, DescribeConfigRulesOutput,
};
use aws_sdk_config::operation::describe_configuration_recorder_status::DescribeConfigurationRecorderStatusOutput;
use aws_sdk_config::operation::describe_configuration_recorders::DescribeConfigurationRecordersOutput;
use aws_sdk_config::operation::describe_delivery_channels::DescribeDeliveryChannelsOutput;
use aws_sdk_config::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_config::operation::put_config_rule::{PutConfigRuleInput, PutConfigRuleOutput};
use aws_sdk_config::operation::put_configuration_recorder::{
    PutConfigurationRecorderInput, PutConfigurationRecorderOutput,
};
use aws_sdk_config::operation::put_delivery_channel::PutDeliveryChannelOutput;
use aws_sdk_config::operation::start_configuration_recorder::StartConfigurationRecorderOutput;
use aws_sdk_config::types::{
    ConfigRule, ConfigRuleState, ConfigurationRecorder, ConfigurationRecorderStatus,
    DeliveryChannel, RecorderStatus, Tag,
};
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::types::Role;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleBuilder, RuleMode};
use cfn_custom_resource_kit::testing::{
    assert_failed, context, create_within, properties, ParameterStore,
};
use cfn_custom_resource_kit::{
    Backoff, CustomResource, Failure, Ledger, Outcome, ReasonCode, RequestType,
};
use serde_json::{json, Value};

use super::*;
use crate::properties::ManagedRule;
use crate::recorder::CONTROL_TOWER_TAG;

const SLR_ARN: &str =
    "arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig";

const RECORDER_ARN: &str =
    "arn:aws:config:us-east-1:123456789012:configuration-recorder/default/abc";

/// The properties of every test: delivery bucket `config-bucket`, and `extra`.
fn with(extra: Value) -> Value {
    let mut base = json!({"DeliveryBucketName": "config-bucket"});
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

/// [`with`] `extra`, asking for one managed rule, `trail` (`CLOUD_TRAIL_ENABLED`).
fn with_trail(extra: Value) -> Value {
    let mut properties = with(extra);
    properties["ManagedRules"] =
        json!([{"Name": "trail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]);
    properties
}

fn parsed(properties: Value) -> ConfigSetupProperties {
    self::properties(properties)
}

/// A test's AWS: a fresh account (nothing exists, every put succeeds) unless the test
/// replaces a call's answer (the fields, named after the calls), and any calls it adds
/// (`more`). Unmatched calls fail the test with HTTP 418.
struct Fake {
    recorders: Rule,
    channels: Rule,
    status: Rule,
    put_recorder: Rule,
    put_channel: Rule,
    start: Rule,
    more: Vec<Rule>,
    get_role: Rule,
    ssm: ParameterStore,
}

impl Fake {
    /// A fresh account: no recorder, the channel the base properties ask for once put, a
    /// recorder that records once started, the service-linked role, no ownership record.
    fn fresh() -> Self {
        Self {
            recorders: recorders(&[&[]]),
            channels: channels(&[
                None,
                Some(channel::desired(&parsed(with(json!({}))), "default")),
            ]),
            status: statuses(&[
                status(false, None),
                status(true, Some(RecorderStatus::Success)),
            ]),
            put_recorder: put_recorder_where(|_| true),
            put_channel: mock!(aws_sdk_config::Client::put_delivery_channel)
                .then_output(|| PutDeliveryChannelOutput::builder().build()),
            start: mock!(aws_sdk_config::Client::start_configuration_recorder)
                .then_output(|| StartConfigurationRecorderOutput::builder().build()),
            more: Vec::new(),
            get_role: mock!(aws_sdk_iam::Client::get_role).then_output(|| {
                let role = Role::builder()
                    .path("/aws-service-role/config.amazonaws.com/")
                    .role_name("AWSServiceRoleForConfig")
                    .role_id("AROA")
                    .arn(SLR_ARN)
                    .create_date(aws_sdk_iam::primitives::DateTime::from_secs(0))
                    .build()
                    .unwrap();
                GetRoleOutput::builder().role(role).build()
            }),
            ssm: ParameterStore::new(),
        }
    }

    /// An account where the recorder (recording) and channel `properties` ask for exist,
    /// and this resource's record says `record`.
    fn converged(properties: &ConfigSetupProperties, record: Value) -> Self {
        let mut fake = Self::fresh().owning(record);
        fake.recorders =
            recorders(&[&[recorder::desired(properties, "default", SLR_ARN).unwrap()]]);
        fake.channels = channels(&[Some(channel::desired(properties, "default"))]);
        fake.status = statuses(&[status(true, None)]);
        fake
    }

    /// With the ownership record `record`.
    fn owning(mut self, record: Value) -> Self {
        self.ssm = ParameterStore::with_record(record);
        self
    }

    /// With `rule` answering a call too.
    fn with(mut self, rule: &Rule) -> Self {
        self.more.push(rule.clone());
        self
    }

    fn resource(&self) -> ConfigSetup {
        self.resource_with(Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(5),
        ))
    }

    /// With the production backoff: for tests on paused time that wait minutes.
    fn patient(&self) -> ConfigSetup {
        self.resource_with(Backoff::default())
    }

    fn resource_with(&self, backoff: Backoff) -> ConfigSetup {
        let config: Vec<&Rule> = [
            &self.recorders,
            &self.channels,
            &self.status,
            &self.put_recorder,
            &self.put_channel,
            &self.start,
        ]
        .into_iter()
        .chain(&self.more)
        .collect();
        ConfigSetup::with_backoff(
            mock_client!(aws_sdk_config, RuleMode::MatchAny, &config, |c| c
                .retry_config(RetryConfig::disabled())),
            mock_client!(aws_sdk_iam, RuleMode::MatchAny, [&self.get_role], |c| c
                .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())),
            Ledger::with_prefix(self.ssm.client(), "/ledger"),
            backoff,
        )
    }

    /// How many times each of the recorder's and channel's puts and the start was called.
    fn changes(&self) -> [usize; 3] {
        [&self.put_recorder, &self.put_channel, &self.start].map(Rule::num_calls)
    }
}

/// A Create with the production backoff and ten minutes, for tests on paused time.
async fn create_patiently(fake: &Fake, properties: Value) -> Result<Outcome, Failure> {
    create_within(&fake.patient(), Duration::from_secs(600), properties).await
}

fn meta(code: &str, message: &str) -> aws_sdk_config::error::ErrorMetadata {
    aws_sdk_config::error::ErrorMetadata::builder()
        .code(code)
        .message(message)
        .build()
}

/// A rule of `call` answering `answers` in turn, the last from then on; an error is built
/// anew each time (SDK errors are not `Clone`).
fn in_turn<I, O, E>(call: RuleBuilder<I, O, E>, answers: Vec<Result<O, fn() -> E>>) -> Rule
where
    I: Debug + Send + Sync + 'static,
    O: Clone + Debug + Send + Sync + 'static,
    E: Debug + Send + Sync + std::error::Error + 'static,
{
    let mut sequence = call.sequence();
    for answer in answers {
        sequence = match answer {
            Ok(output) => sequence.output(move || output.clone()),
            Err(error) => sequence.error(error),
        };
    }
    sequence.repeatedly().build()
}

/// `DescribeConfigurationRecorders` finding each of `found` in turn.
fn recorders(found: &[&[ConfigurationRecorder]]) -> Rule {
    let answers = found.iter().map(|found| {
        Ok(DescribeConfigurationRecordersOutput::builder()
            .set_configuration_recorders(Some(found.to_vec()))
            .build())
    });
    in_turn(
        mock!(aws_sdk_config::Client::describe_configuration_recorders),
        answers.collect(),
    )
}

/// `DescribeDeliveryChannels` finding each of `found` in turn.
fn channels(found: &[Option<DeliveryChannel>]) -> Rule {
    let answers = found.iter().map(|found| {
        Ok(DescribeDeliveryChannelsOutput::builder()
            .set_delivery_channels(found.clone().map(|c| vec![c]))
            .build())
    });
    in_turn(
        mock!(aws_sdk_config::Client::describe_delivery_channels),
        answers.collect(),
    )
}

/// `DescribeConfigurationRecorderStatus` answering each of `found` in turn.
fn statuses(found: &[ConfigurationRecorderStatus]) -> Rule {
    let answers = found.iter().map(|status| {
        Ok(DescribeConfigurationRecorderStatusOutput::builder()
            .configuration_recorders_status(status.clone())
            .build())
    });
    in_turn(
        mock!(aws_sdk_config::Client::describe_configuration_recorder_status),
        answers.collect(),
    )
}

/// `DescribeConfigRules` finding each of `found` in turn; `None` is
/// `NoSuchConfigRuleException` (the call named a rule that does not exist).
fn rule_reads(found: &[Option<&[ConfigRule]>]) -> Rule {
    let answers = found.iter().map(|found| match found {
        Some(rules) => Ok(DescribeConfigRulesOutput::builder()
            .set_config_rules(Some(rules.to_vec()))
            .build()),
        None => Err((|| {
            DescribeConfigRulesError::generic(meta("NoSuchConfigRuleException", "no such rule"))
        }) as fn() -> _),
    });
    in_turn(
        mock!(aws_sdk_config::Client::describe_config_rules),
        answers.collect(),
    )
}

/// The status of recorder `default`; its last error, if any, is `AccessDenied: no write to bucket`.
fn status(recording: bool, last: Option<RecorderStatus>) -> ConfigurationRecorderStatus {
    ConfigurationRecorderStatus::builder()
        .name("default")
        .recording(recording)
        .set_last_status(last)
        .last_error_code("AccessDenied")
        .last_error_message("no write to bucket")
        .build()
}

/// A recorder status `Failure` changed at `at`.
fn failure_at(at: std::time::SystemTime) -> ConfigurationRecorderStatus {
    let mut status = status(true, Some(RecorderStatus::Failure));
    status.last_status_change_time = Some(aws_sdk_config::primitives::DateTime::from(at));
    status
}

fn recorder_named(name: &str) -> ConfigurationRecorder {
    ConfigurationRecorder::builder()
        .name(name)
        .role_arn("arn:aws:iam::123456789012:role/other")
        .build()
}

/// `ListTagsForResource` of the recorder: Control Tower's tag, or none.
fn recorder_tags(control_tower: bool) -> Rule {
    mock!(aws_sdk_config::Client::list_tags_for_resource)
        .match_requests(|input| input.resource_arn() == Some(RECORDER_ARN))
        .then_output(move || {
            let tags = control_tower.then(|| {
                vec![Tag::builder()
                    .key(CONTROL_TOWER_TAG.0)
                    .value(CONTROL_TOWER_TAG.1)
                    .build()]
            });
            ListTagsForResourceOutput::builder().set_tags(tags).build()
        })
}

/// `PutConfigurationRecorder` answering the requests `matching` (unmatched: HTTP 418).
fn put_recorder_where(
    matching: impl Fn(&PutConfigurationRecorderInput) -> bool + Send + Sync + 'static,
) -> Rule {
    mock!(aws_sdk_config::Client::put_configuration_recorder)
        .match_requests(matching)
        .then_output(|| PutConfigurationRecorderOutput::builder().build())
}

/// `PutConfigRule` answering the requests `matching` (unmatched: HTTP 418).
fn put_rule_where(matching: impl Fn(&PutConfigRuleInput) -> bool + Send + Sync + 'static) -> Rule {
    mock!(aws_sdk_config::Client::put_config_rule)
        .match_requests(matching)
        .then_output(|| PutConfigRuleOutput::builder().build())
}

/// An `ACTIVE` AWS managed rule `name` of `identifier`, created by `created_by` (another
/// service) or none.
fn rule(name: &str, identifier: &str, created_by: Option<&str>) -> ConfigRule {
    let mut rule = rules::desired(&ManagedRule {
        name: name.to_owned(),
        source_identifier: identifier.to_owned(),
        input_parameters: None,
        resource_types: Vec::new(),
        maximum_execution_frequency: None,
    });
    rule.config_rule_state = Some(ConfigRuleState::Active);
    rule.created_by = created_by.map(str::to_owned);
    rule
}

/// The `ACTIVE` rule `trail` (`CLOUD_TRAIL_ENABLED`).
fn trail() -> ConfigRule {
    rule("trail", "CLOUD_TRAIL_ENABLED", None)
}

/// `name` (`CLOUD_TRAIL_ENABLED`) in `DELETING`.
fn deleting_rule(name: &str) -> ConfigRule {
    let mut going = rule(name, "CLOUD_TRAIL_ENABLED", None);
    going.config_rule_state = Some(ConfigRuleState::Deleting);
    going
}
