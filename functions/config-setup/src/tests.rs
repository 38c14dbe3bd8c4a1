//! ConfigSetup's SDK call sequences, against `aws-smithy-mocks`.

use std::time::Duration;

use aws_sdk_config::operation::delete_config_rule::{
    DeleteConfigRuleError, DeleteConfigRuleOutput,
};
use aws_sdk_config::operation::delete_configuration_recorder::DeleteConfigurationRecorderOutput;
use aws_sdk_config::operation::delete_delivery_channel::{
    DeleteDeliveryChannelError, DeleteDeliveryChannelOutput,
};
use aws_sdk_config::operation::describe_config_rules::{
    DescribeConfigRulesError, DescribeConfigRulesOutput,
};
use aws_sdk_config::operation::describe_configuration_recorder_status::DescribeConfigurationRecorderStatusOutput;
use aws_sdk_config::operation::describe_configuration_recorders::{
    DescribeConfigurationRecordersError, DescribeConfigurationRecordersOutput,
};
use aws_sdk_config::operation::describe_delivery_channels::DescribeDeliveryChannelsOutput;
use aws_sdk_config::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_config::operation::put_config_rule::PutConfigRuleOutput;
use aws_sdk_config::operation::put_configuration_recorder::{
    PutConfigurationRecorderError, PutConfigurationRecorderOutput,
};
use aws_sdk_config::operation::put_delivery_channel::{
    PutDeliveryChannelError, PutDeliveryChannelOutput,
};
use aws_sdk_config::operation::start_configuration_recorder::StartConfigurationRecorderOutput;
use aws_sdk_config::operation::stop_configuration_recorder::StopConfigurationRecorderOutput;
use aws_sdk_config::types::{
    ConfigRule, ConfigRuleState, ConfigurationRecorder, ConfigurationRecorderStatus,
    DeliveryChannel, Owner, RecorderStatus, Source, Tag,
};
use aws_sdk_iam::operation::get_role::GetRoleOutput;
use aws_sdk_iam::types::Role;
use aws_sdk_ssm::operation::delete_parameter::DeleteParameterOutput;
use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
use aws_sdk_ssm::operation::put_parameter::{PutParameterError, PutParameterOutput};
use aws_sdk_ssm::types::error::{ParameterAlreadyExists, ParameterNotFound};
use aws_sdk_ssm::types::Parameter;
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use cfn_custom_resource_kit::{
    parse_properties, Backoff, CustomResource, Ledger, ReasonCode, RequestContext, RequestType,
};
use serde_json::{json, Value};
use tokio::time::Instant;

use super::*;
use crate::recorder::{CONTROL_TOWER_RECORDER, CONTROL_TOWER_TAG, RECORDING_WAIT};
use crate::tags::OWNER_TAG;

const SLR_ARN: &str =
    "arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig";

fn meta(code: &str, message: &str) -> aws_sdk_config::error::ErrorMetadata {
    aws_sdk_config::error::ErrorMetadata::builder()
        .code(code)
        .message(message)
        .build()
}

/// Mocks of the three clients; unmatched calls fail the test with HTTP 418.
struct Mocks {
    config: Vec<Rule>,
    iam: Vec<Rule>,
    ssm: Vec<Rule>,
}

impl Mocks {
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
        let config = self.config.iter().collect::<Vec<_>>();
        let iam = self.iam.iter().collect::<Vec<_>>();
        let ssm = self.ssm.iter().collect::<Vec<_>>();
        ConfigSetup::with_backoff(
            mock_client!(aws_sdk_config, RuleMode::MatchAny, &config, |c| c
                .retry_config(aws_sdk_config::config::retry::RetryConfig::disabled())),
            mock_client!(aws_sdk_iam, RuleMode::MatchAny, &iam, |c| c
                .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled())),
            Ledger::with_prefix(
                mock_client!(aws_sdk_ssm, RuleMode::MatchAny, &ssm, |c| c
                    .retry_config(aws_sdk_ssm::config::retry::RetryConfig::disabled())),
                "/ledger",
            ),
            backoff,
        )
    }
}

fn ledger_with(record: Option<&'static str>) -> Vec<Rule> {
    let get = match record {
        Some(json) => mock!(aws_sdk_ssm::Client::get_parameter).then_output(move || {
            GetParameterOutput::builder()
                .parameter(Parameter::builder().value(json).build())
                .build()
        }),
        None => mock!(aws_sdk_ssm::Client::get_parameter).then_error(|| {
            GetParameterError::ParameterNotFound(
                ParameterNotFound::builder()
                    .meta(
                        aws_sdk_ssm::error::ErrorMetadata::builder()
                            .code("ParameterNotFound")
                            .build(),
                    )
                    .build(),
            )
        }),
    };
    vec![
        get,
        mock!(aws_sdk_ssm::Client::put_parameter)
            .then_output(|| PutParameterOutput::builder().build()),
        mock!(aws_sdk_ssm::Client::delete_parameter)
            .then_output(|| DeleteParameterOutput::builder().build()),
    ]
}

fn slr() -> Vec<Rule> {
    vec![mock!(aws_sdk_iam::Client::get_role).then_output(|| {
        GetRoleOutput::builder()
            .role(
                Role::builder()
                    .path("/aws-service-role/config.amazonaws.com/")
                    .role_name("AWSServiceRoleForConfig")
                    .role_id("AROA")
                    .arn(SLR_ARN)
                    .create_date(aws_smithy_types_date())
                    .build()
                    .unwrap(),
            )
            .build()
    })]
}

fn aws_smithy_types_date() -> aws_sdk_iam::primitives::DateTime {
    aws_sdk_iam::primitives::DateTime::from_secs(0)
}

fn recorders(found: Vec<ConfigurationRecorder>) -> Rule {
    mock!(aws_sdk_config::Client::describe_configuration_recorders).then_output(move || {
        DescribeConfigurationRecordersOutput::builder()
            .set_configuration_recorders(Some(found.clone()))
            .build()
    })
}

/// No delivery channel, then (read back after the put) the one the base properties
/// ask for: bucket `config-bucket`, named `default`.
fn channel_put_once() -> Rule {
    mock!(aws_sdk_config::Client::describe_delivery_channels)
        .sequence()
        .output(|| DescribeDeliveryChannelsOutput::builder().build())
        .output(|| {
            DescribeDeliveryChannelsOutput::builder()
                .delivery_channels(channel::desired(&properties(json!({})), "default"))
                .build()
        })
        .repeatedly()
        .build()
}

fn channels(found: Vec<DeliveryChannel>) -> Rule {
    mock!(aws_sdk_config::Client::describe_delivery_channels).then_output(move || {
        DescribeDeliveryChannelsOutput::builder()
            .set_delivery_channels(Some(found.clone()))
            .build()
    })
}

fn status(recording: bool, last: Option<RecorderStatus>) -> ConfigurationRecorderStatus {
    ConfigurationRecorderStatus::builder()
        .name("default")
        .recording(recording)
        .set_last_status(last)
        .last_error_code("AccessDenied")
        .last_error_message("no write to bucket")
        .build()
}

/// `DescribeConfigurationRecorderStatus` always answering this status.
fn status_is(recording: bool, last: Option<RecorderStatus>) -> Rule {
    mock!(aws_sdk_config::Client::describe_configuration_recorder_status).then_output(move || {
        DescribeConfigurationRecorderStatusOutput::builder()
            .configuration_recorders_status(status(recording, last.clone()))
            .build()
    })
}

/// Not recording at first, recording after the start.
fn status_sequence() -> Rule {
    mock!(aws_sdk_config::Client::describe_configuration_recorder_status)
        .sequence()
        .output(|| {
            DescribeConfigurationRecorderStatusOutput::builder()
                .configuration_recorders_status(status(false, None))
                .build()
        })
        .output(|| {
            DescribeConfigurationRecorderStatusOutput::builder()
                .configuration_recorders_status(status(true, Some(RecorderStatus::Success)))
                .build()
        })
        .repeatedly()
        .build()
}

fn ok_puts() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_config::Client::put_configuration_recorder)
            .then_output(|| PutConfigurationRecorderOutput::builder().build()),
        mock!(aws_sdk_config::Client::put_delivery_channel)
            .then_output(|| PutDeliveryChannelOutput::builder().build()),
        mock!(aws_sdk_config::Client::start_configuration_recorder)
            .then_output(|| StartConfigurationRecorderOutput::builder().build()),
    ]
}

/// A fresh account: nothing exists; every put succeeds.
fn fresh() -> Mocks {
    let mut config = vec![recorders(vec![]), channel_put_once(), status_sequence()];
    config.extend(ok_puts());
    Mocks {
        config,
        iam: slr(),
        ssm: ledger_with(None),
    }
}

fn properties(extra: Value) -> ConfigSetupProperties {
    let mut base = json!({"DeliveryBucketName": "config-bucket"});
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    parse_properties(&base).unwrap()
}

fn context(seconds: u64) -> RequestContext {
    RequestContext::for_tests(Instant::now() + Duration::from_secs(seconds))
}

fn updating(seconds: u64) -> RequestContext {
    RequestContext::for_tests_of(
        RequestType::Update,
        Some("id"),
        Instant::now() + Duration::from_secs(seconds),
    )
}

fn deleting(seconds: u64) -> RequestContext {
    RequestContext::for_tests_of(
        RequestType::Delete,
        Some("test-TestResource-1"),
        Instant::now() + Duration::from_secs(seconds),
    )
}

fn recorder_named(name: &str) -> ConfigurationRecorder {
    ConfigurationRecorder::builder()
        .name(name)
        .role_arn("arn:aws:iam::123456789012:role/other")
        .build()
}

#[tokio::test]
async fn a_fresh_create_claims_then_puts_starts_and_verifies() {
    let mocks = fresh();
    let outcome = mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap();
    assert_eq!(outcome.data["RecorderName"], "default");
    assert_eq!(outcome.data["Adopted"], "false");
    assert_eq!(
        mocks.ssm[1].num_calls(),
        2,
        "one record write claims recorder and channel, one takes the singleton record"
    );
    assert_eq!(mocks.config[3].num_calls(), 1, "PutConfigurationRecorder");
    assert_eq!(mocks.config[4].num_calls(), 1, "PutDeliveryChannel");
    assert_eq!(mocks.config[5].num_calls(), 1, "StartConfigurationRecorder");
}

/// The fewest calls: one ledger write claims the recorder, the channel and the new rule
/// before any of them is created, and a recorder this request created is started
/// without first reading its status (the one status read is the verification).
#[tokio::test]
async fn a_fresh_create_with_rules_writes_the_ledger_once_and_reads_the_status_once() {
    let mut mocks = fresh();
    mocks.config[2] = status_is(true, Some(RecorderStatus::Success));
    mocks.config.push(
        mock!(aws_sdk_config::Client::describe_config_rules)
            .sequence()
            .error(|| {
                DescribeConfigRulesError::generic(meta("NoSuchConfigRuleException", "no trail"))
            })
            .output(|| {
                DescribeConfigRulesOutput::builder()
                    .config_rules(rule("trail", "CLOUD_TRAIL_ENABLED", None))
                    .build()
            })
            .build(),
    );
    mocks.config.push(
        mock!(aws_sdk_config::Client::put_config_rule)
            .then_output(|| PutConfigRuleOutput::builder().build()),
    );
    mocks
        .resource()
        .create(
            &context(60),
            properties(json!({"ManagedRules": [{"Name": "trail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]})),
        )
        .await
        .unwrap();
    assert_eq!(
        mocks.ssm[1].num_calls(),
        2,
        "one record write claims recorder, channel and rule, one takes the singleton record"
    );
    assert_eq!(
        mocks.config[2].num_calls(),
        1,
        "status read once, to verify"
    );
    assert_eq!(mocks.config[5].num_calls(), 1, "StartConfigurationRecorder");
    assert_eq!(mocks.config[7].num_calls(), 1, "PutConfigRule");
}

/// What this resource creates carries its owner tag and the Tags property; the
/// recorder and a new rule get them in their create calls.
#[tokio::test]
async fn a_new_recorder_and_rule_carry_the_owner_tag_and_the_tags_property() {
    let has_tags = |tags: Option<&[Tag]>| {
        let keys: Vec<&str> = tags
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t.key())
            .collect();
        keys == [OWNER_TAG, "Team"]
    };
    let mut mocks = fresh();
    mocks.config[2] = status_is(true, Some(RecorderStatus::Success));
    mocks.config[3] = mock!(aws_sdk_config::Client::put_configuration_recorder)
        .match_requests(move |input| has_tags(input.tags.as_deref()))
        .then_output(|| PutConfigurationRecorderOutput::builder().build());
    mocks.config.push(
        mock!(aws_sdk_config::Client::describe_config_rules)
            .sequence()
            .error(|| {
                DescribeConfigRulesError::generic(meta("NoSuchConfigRuleException", "no trail"))
            })
            .output(|| {
                DescribeConfigRulesOutput::builder()
                    .config_rules(rule("trail", "CLOUD_TRAIL_ENABLED", None))
                    .build()
            })
            .build(),
    );
    mocks.config.push(
        mock!(aws_sdk_config::Client::put_config_rule)
            .match_requests(move |input| has_tags(input.tags.as_deref()))
            .then_output(|| PutConfigRuleOutput::builder().build()),
    );
    mocks
        .resource()
        .create(
            &context(60),
            properties(json!({"Tags": {"Team": "security"},
                "ManagedRules": [{"Name": "trail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]})),
        )
        .await
        .unwrap();
    assert_eq!(
        mocks.config[3].num_calls(),
        1,
        "PutConfigurationRecorder, tagged"
    );
    assert_eq!(mocks.config[7].num_calls(), 1, "PutConfigRule, tagged");
}

#[tokio::test]
async fn the_recording_strategy_is_always_sent_explicitly() {
    let mut mocks = fresh();
    mocks.config[3] = mock!(aws_sdk_config::Client::put_configuration_recorder)
        .match_requests(|input| {
            let recorder = input.configuration_recorder().unwrap();
            let group = recorder.recording_group().unwrap();
            recorder.role_arn() == Some(SLR_ARN)
                && group
                    .recording_strategy()
                    .and_then(|s| s.use_only())
                    .map(|u| u.as_str())
                    == Some("EXCLUSION_BY_RESOURCE_TYPES")
                && recorder
                    .recording_mode()
                    .map(|m| m.recording_frequency().as_str())
                    == Some("DAILY")
        })
        .then_output(|| PutConfigurationRecorderOutput::builder().build());
    let props = properties(
        json!({"RecordingStrategy": "Exclusion", "ResourceTypes": ["AWS::EC2::NetworkInterface"], "RecordingFrequency": "DAILY"}),
    );
    mocks.resource().create(&context(60), props).await.unwrap();
    assert_eq!(mocks.config[3].num_calls(), 1);
}

#[tokio::test]
async fn an_insufficient_delivery_policy_twice_then_success_is_retried() {
    let mut mocks = fresh();
    mocks.config[4] = mock!(aws_sdk_config::Client::put_delivery_channel)
        .sequence()
        .error(|| {
            PutDeliveryChannelError::generic(meta(
                "InsufficientDeliveryPolicyException",
                "Insufficient delivery policy to s3 bucket",
            ))
        })
        .times(2)
        .output(|| PutDeliveryChannelOutput::builder().build())
        .build();
    mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap();
    assert_eq!(mocks.config[4].num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn an_insufficient_delivery_policy_that_stays_is_access_denied_naming_the_bucket() {
    let mut mocks = fresh();
    mocks.config[4] = mock!(aws_sdk_config::Client::put_delivery_channel).then_error(|| {
        PutDeliveryChannelError::generic(meta(
            "InsufficientDeliveryPolicyException",
            "Insufficient delivery policy",
        ))
    });
    let started = Instant::now();
    let failure = mocks
        .patient()
        .create(&context(600), properties(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::AccessDenied);
    assert!(
        failure.message().contains("bucket config-bucket"),
        "{failure}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(120)
            && started.elapsed() < Duration::from_secs(130)
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_until_the_deadline_is_throttled() {
    let mut mocks = fresh();
    mocks.config[0] =
        mock!(aws_sdk_config::Client::describe_configuration_recorders).then_error(|| {
            DescribeConfigurationRecordersError::generic(meta(
                "ThrottlingException",
                "Rate exceeded",
            ))
        });
    let failure = mocks
        .patient()
        .create(&context(30), properties(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Throttled);
    assert!(
        failure.message().contains("still failing at the deadline"),
        "{failure}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_order_error_that_outlives_its_retries_is_dependency_not_ready() {
    let mut mocks = fresh();
    mocks.config[4] = mock!(aws_sdk_config::Client::put_delivery_channel).then_error(|| {
        PutDeliveryChannelError::generic(meta(
            "NoAvailableConfigurationRecorderException",
            "no recorder",
        ))
    });
    let failure = mocks
        .patient()
        .create(&context(600), properties(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::DependencyNotReady);
    assert!(mocks.config[4].num_calls() > 2);
}

#[tokio::test]
async fn an_scp_denial_is_org_managed_and_an_iam_denial_access_denied() {
    for (message, code) in [
        ("not authorized to perform: config:PutConfigurationRecorder with an explicit deny in a service control policy", ReasonCode::OrgManaged),
        ("not authorized to perform: config:PutConfigurationRecorder", ReasonCode::AccessDenied),
    ] {
        let mut mocks = fresh();
        mocks.config[3] = mock!(aws_sdk_config::Client::put_configuration_recorder)
            .then_error(move || PutConfigurationRecorderError::generic(meta("AccessDeniedException", message)));
        let failure = mocks.resource().create(&context(60), properties(json!({}))).await.unwrap_err();
        assert_eq!(failure.code(), code, "{failure}");
        assert_eq!(mocks.config[3].num_calls(), 1);
    }
}

#[tokio::test]
async fn a_missing_bucket_is_not_found() {
    let mut mocks = fresh();
    mocks.config[4] = mock!(aws_sdk_config::Client::put_delivery_channel).then_error(|| {
        PutDeliveryChannelError::generic(meta(
            "NoSuchBucketException",
            "Cannot find a S3 bucket with an empty bucket name.",
        ))
    });
    let failure = mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::NotFound);
    assert!(
        failure.to_string().contains("(config:PutDeliveryChannel"),
        "{failure}"
    );
}

#[tokio::test]
async fn a_last_status_of_failure_is_not_active_with_the_error() {
    let mut mocks = fresh();
    mocks.config[2] = status_is(true, Some(RecorderStatus::Failure));
    let failure = mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::NotActive);
    assert!(
        failure
            .message()
            .contains("AccessDenied: no write to bucket"),
        "{failure}"
    );
}

/// A recorder status `Failure` changed at `at`.
fn failure_at(at: std::time::SystemTime) -> ConfigurationRecorderStatus {
    let mut status = status(true, Some(RecorderStatus::Failure));
    status.last_status_change_time = Some(aws_sdk_config::primitives::DateTime::from(at));
    status
}

fn statuses(first: ConfigurationRecorderStatus, then: Option<ConfigurationRecorderStatus>) -> Rule {
    let rule = mock!(aws_sdk_config::Client::describe_configuration_recorder_status)
        .sequence()
        .output(move || {
            DescribeConfigurationRecorderStatusOutput::builder()
                .configuration_recorders_status(first.clone())
                .build()
        });
    match then {
        None => rule.repeatedly().build(),
        Some(then) => rule
            .times(2)
            .output(move || {
                DescribeConfigurationRecorderStatusOutput::builder()
                    .configuration_recorders_status(then.clone())
                    .build()
            })
            .repeatedly()
            .build(),
    }
}

/// ConfigurationRecorderStatus: lastStatus is "The status of the latest recording event
/// processed by the recorder". A Failure from before this request's changes is history:
/// a newer status is waited for and judged.
#[tokio::test(start_paused = true)]
async fn a_failure_from_before_the_change_waits_for_a_newer_status() {
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    let mut mocks = fresh();
    mocks.config[2] = statuses(
        failure_at(hour_ago),
        Some(status(true, Some(RecorderStatus::Success))),
    );
    let outcome = mocks
        .patient()
        .create(&context(600), properties(json!({})))
        .await
        .unwrap();
    assert!(
        !outcome.summary.unwrap_or_default().contains("Failure"),
        "a newer Success was judged"
    );
    assert_eq!(mocks.config[2].num_calls(), 3);
}

/// ... and when no newer status comes within the wait, the answer says so rather than
/// judging by the old one.
#[tokio::test(start_paused = true)]
async fn a_failure_from_before_the_change_that_stays_is_named_not_judged() {
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    let mut mocks = fresh();
    mocks.config[2] = statuses(failure_at(hour_ago), None);
    let started = Instant::now();
    let outcome = mocks
        .patient()
        .create(&context(600), properties(json!({})))
        .await
        .unwrap();
    let summary = outcome.summary.unwrap_or_default();
    assert!(
        summary.contains("still the Failure from before this request's changes (AccessDenied: no write to bucket)")
            && summary.contains("no newer status came within 60 s"),
        "{summary}"
    );
    assert!(
        started.elapsed() >= RECORDING_WAIT,
        "{:?}",
        started.elapsed()
    );
}

/// A Failure newer than the change is the present: NOT_ACTIVE at once.
#[tokio::test(start_paused = true)]
async fn a_failure_newer_than_the_change_is_not_active_at_once() {
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    let mut mocks = fresh();
    mocks.config[2] = statuses(failure_at(later), None);
    let started = Instant::now();
    let failure = mocks
        .patient()
        .create(&context(600), properties(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::NotActive, "{failure}");
    assert!(
        failure.message().contains("last delivery failed"),
        "{failure}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_service_linked_recorder_is_never_adopted() {
    let mut mocks = fresh();
    mocks.config[0] = recorders(vec![ConfigurationRecorder::builder()
        .name("AWSConfigurationRecorderForSecurityHub")
        .service_principal("securityhub.amazonaws.com")
        .build()]);
    mocks.config[3] = mock!(aws_sdk_config::Client::put_configuration_recorder)
        .match_requests(|input| {
            input.configuration_recorder().and_then(|r| r.name()) == Some("default")
        })
        .then_output(|| PutConfigurationRecorderOutput::builder().build());
    let outcome = mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap();
    assert_eq!(outcome.data["RecorderName"], "default");
    assert_eq!(mocks.config[3].num_calls(), 1);
}

#[tokio::test]
async fn control_towers_recorder_is_adopted_read_only_when_it_records() {
    let mut mocks = fresh();
    mocks.config[0] = recorders(vec![recorder_named(CONTROL_TOWER_RECORDER)]);
    mocks.config[2] = status_is(true, None);
    let outcome = mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap();
    assert_eq!(outcome.data["Adopted"], "true");
    assert_eq!(outcome.data["RecorderName"], CONTROL_TOWER_RECORDER);
    for put in &mocks.config[3..6] {
        assert_eq!(
            put.num_calls(),
            0,
            "Control Tower's set-up is never changed"
        );
    }
}

const RECORDER_ARN: &str =
    "arn:aws:config:us-east-1:123456789012:configuration-recorder/default/abc";

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

#[tokio::test]
async fn a_recorder_tagged_by_control_tower_is_adopted_read_only() {
    let mut mocks = fresh();
    mocks.config[0] = recorders(vec![ConfigurationRecorder::builder()
        .name("default")
        .arn(RECORDER_ARN)
        .build()]);
    mocks.config[2] = status_is(true, None);
    mocks.config.push(recorder_tags(true));
    let outcome = mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap();
    assert_eq!(outcome.data["Adopted"], "true");
    for put in &mocks.config[3..6] {
        assert_eq!(
            put.num_calls(),
            0,
            "Control Tower's set-up is never changed"
        );
    }
}

/// The ledger says this resource created the recorder: it is not Control Tower's, and
/// its tags are not read (one call fewer on every Update).
#[tokio::test]
async fn a_recorder_this_resource_owns_is_not_asked_for_its_tags() {
    let props = properties(json!({}));
    let mut existing_recorder = recorder::desired(&props, "default", SLR_ARN).unwrap();
    existing_recorder.arn = Some(RECORDER_ARN.to_owned());
    let mut config = vec![
        recorders(vec![existing_recorder]),
        channels(vec![channel::desired(&props, "default")]),
        status_is(true, None),
        recorder_tags(true),
    ];
    config.extend(ok_puts());
    let mocks = Mocks {
        config,
        iam: slr(),
        ssm: ledger_with(Some(
            r#"{"owned":{"recorder":["default"],"channel":["default"]}}"#,
        )),
    };
    let ctx = updating(60);
    let outcome = mocks
        .resource()
        .update(&ctx, props.clone(), Some(props))
        .await
        .unwrap();
    assert_eq!(outcome.data["Adopted"], "false");
    assert_eq!(mocks.config[3].num_calls(), 0, "no ListTagsForResource");
}

#[tokio::test]
async fn control_towers_recorder_that_does_not_record_is_org_managed() {
    let mut mocks = fresh();
    mocks.config[0] = recorders(vec![recorder_named(CONTROL_TOWER_RECORDER)]);
    mocks.config[2] = status_is(false, None);
    let failure = mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::OrgManaged);
    assert_eq!(
        mocks.config[5].num_calls(),
        0,
        "never started by this resource"
    );
}

#[tokio::test]
async fn another_recorder_under_existing_recorder_fail_is_a_conflict_naming_it() {
    let mut mocks = fresh();
    mocks.config[0] = recorders(vec![recorder_named("hand-made")]);
    let failure = mocks
        .resource()
        .create(
            &context(60),
            properties(json!({"ExistingRecorder": "Fail"})),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Conflict);
    assert!(failure.message().contains("\"hand-made\""), "{failure}");
    assert_eq!(mocks.ssm[1].num_calls(), 0, "nothing claimed");
}

fn rule(name: &str, identifier: &str, created_by: Option<&str>) -> ConfigRule {
    ConfigRule::builder()
        .config_rule_name(name)
        .source(
            Source::builder()
                .owner(Owner::Aws)
                .source_identifier(identifier)
                .build()
                .unwrap(),
        )
        .config_rule_state(ConfigRuleState::Active)
        .set_created_by(created_by.map(str::to_owned))
        .build()
}

#[tokio::test]
async fn a_rule_another_service_created_is_never_changed() {
    let mut mocks = fresh();
    mocks.config.push(
        mock!(aws_sdk_config::Client::describe_config_rules).then_output(|| {
            DescribeConfigRulesOutput::builder()
                .config_rules(rule(
                    "securityhub-cloudtrail",
                    "CLOUD_TRAIL_ENABLED",
                    Some("securityhub.amazonaws.com"),
                ))
                .build()
        }),
    );
    let put_rule = mock!(aws_sdk_config::Client::put_config_rule)
        .then_output(|| PutConfigRuleOutput::builder().build());
    mocks.config.push(put_rule);
    let props = properties(
        json!({"ManagedRules": [{"Name": "securityhub-cloudtrail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED", "MaximumExecutionFrequency": "One_Hour"}]}),
    );
    let failure = mocks
        .resource()
        .create(&context(60), props)
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Conflict);
    assert!(
        failure.message().contains("securityhub.amazonaws.com"),
        "{failure}"
    );
    assert_eq!(mocks.config.last().unwrap().num_calls(), 0);
}

#[tokio::test]
async fn an_update_that_changes_nothing_puts_nothing() {
    let props = properties(
        json!({"ManagedRules": [{"Name": "trail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]}),
    );
    let existing_recorder = recorder::desired(&props, "default", SLR_ARN).unwrap();
    let existing_channel = channel::desired(&props, "default");
    let mut config = vec![
        recorders(vec![existing_recorder]),
        channels(vec![existing_channel]),
        status_is(true, None),
        mock!(aws_sdk_config::Client::describe_config_rules).then_output(|| {
            DescribeConfigRulesOutput::builder()
                .config_rules(rule("trail", "CLOUD_TRAIL_ENABLED", None))
                .build()
        }),
        mock!(aws_sdk_config::Client::put_config_rule)
            .then_output(|| PutConfigRuleOutput::builder().build()),
    ];
    config.extend(ok_puts());
    let mocks = Mocks {
        config,
        iam: slr(),
        ssm: ledger_with(Some(
            r#"{"owned":{"recorder":["default"],"channel":["default"],"rule":["trail"]},"retainOnDelete":false}"#,
        )),
    };
    let ctx = updating(60);
    mocks
        .resource()
        .update(&ctx, props.clone(), Some(props))
        .await
        .unwrap();
    for (index, put) in mocks.config.iter().enumerate().skip(4) {
        assert_eq!(put.num_calls(), 0, "call {index} should not happen");
    }
    assert_eq!(mocks.ssm[1].num_calls(), 0, "no ledger write");
    assert_eq!(
        mocks.config[2].num_calls(),
        1,
        "one status read: it records, so it is also the verification"
    );
    assert_eq!(
        mocks.config[3].num_calls(),
        2,
        "the owned rules read once, then once to verify"
    );
}

#[tokio::test]
async fn an_update_renaming_the_recorder_it_created_is_refused_as_create_only() {
    let mocks = Mocks {
        config: vec![],
        iam: vec![],
        ssm: ledger_with(Some(r#"{"owned":{"recorder":["default"]}}"#)),
    };
    let ctx = updating(60);
    let failure = mocks
        .resource()
        .update(
            &ctx,
            properties(json!({"RecorderName": "renamed"})),
            Some(properties(json!({}))),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::InvalidProperties);
    assert!(
        failure
            .message()
            .starts_with("RecorderName: is create-only"),
        "{failure}"
    );
}

#[tokio::test]
async fn delete_stops_then_retries_the_channel_after_last_delivery_channel_delete_failed() {
    let mocks = Mocks {
        config: vec![
            mock!(aws_sdk_config::Client::stop_configuration_recorder)
                .then_output(|| StopConfigurationRecorderOutput::builder().build()),
            mock!(aws_sdk_config::Client::delete_delivery_channel)
                .sequence()
                .error(|| {
                    DeleteDeliveryChannelError::generic(meta(
                        "LastDeliveryChannelDeleteFailedException",
                        "recorder is running",
                    ))
                })
                .output(|| DeleteDeliveryChannelOutput::builder().build())
                .build(),
            mock!(aws_sdk_config::Client::delete_configuration_recorder)
                .then_output(|| DeleteConfigurationRecorderOutput::builder().build()),
        ],
        iam: vec![],
        ssm: ledger_with(Some(
            r#"{"owned":{"recorder":["default"],"channel":["default"]}}"#,
        )),
    };
    mocks
        .resource()
        .delete(&deleting(60), Some(properties(json!({}))))
        .await
        .unwrap();
    assert_eq!(mocks.config[0].num_calls(), 2, "stopped, and stopped again");
    assert_eq!(mocks.config[1].num_calls(), 2);
    assert_eq!(mocks.config[2].num_calls(), 1);
    assert_eq!(mocks.ssm[2].num_calls(), 1, "the record is erased");
}

fn deleting_rule(name: &str) -> ConfigRule {
    let mut going = rule(name, "CLOUD_TRAIL_ENABLED", None);
    going.config_rule_state = Some(ConfigRuleState::Deleting);
    going
}

/// A Delete delivered again after the first one asked for the deletion: the rule is
/// DELETING, which is the deletion accepted; DeleteConfigRule would answer
/// ResourceInUseException, so it is not asked again, and the stack is not held up.
#[tokio::test]
async fn a_rule_already_deleting_is_accepted_without_asking_again() {
    let mocks = Mocks {
        config: vec![
            mock!(aws_sdk_config::Client::delete_config_rule)
                .then_output(|| DeleteConfigRuleOutput::builder().build()),
            mock!(aws_sdk_config::Client::describe_config_rules).then_output(|| {
                DescribeConfigRulesOutput::builder()
                    .config_rules(deleting_rule("trail"))
                    .build()
            }),
        ],
        iam: vec![],
        ssm: ledger_with(Some(r#"{"owned":{"rule":["trail"]}}"#)),
    };
    let outcome = mocks
        .resource()
        .delete(&deleting(60), Some(properties(json!({}))))
        .await
        .unwrap();
    assert_eq!(mocks.config[0].num_calls(), 0, "DeleteConfigRule");
    assert_eq!(mocks.config[1].num_calls(), 1, "one read");
    assert!(
        outcome
            .summary
            .as_deref()
            .is_some_and(|s| s.contains("AWS Config is still deleting rule(s) trail")),
        "{outcome:?}"
    );
    assert_eq!(mocks.ssm[2].num_calls(), 1, "the record is erased");
}

#[tokio::test(start_paused = true)]
async fn a_rule_in_use_is_retried_then_a_conflict() {
    let mocks = Mocks {
        config: vec![
            mock!(aws_sdk_config::Client::delete_config_rule).then_error(|| {
                DeleteConfigRuleError::generic(meta(
                    "ResourceInUseException",
                    "remediation attached",
                ))
            }),
            mock!(aws_sdk_config::Client::describe_config_rules).then_output(|| {
                DescribeConfigRulesOutput::builder()
                    .config_rules(rule("trail", "CLOUD_TRAIL_ENABLED", None))
                    .build()
            }),
        ],
        iam: vec![],
        ssm: ledger_with(Some(r#"{"owned":{"rule":["trail"]}}"#)),
    };
    let failure = mocks
        .patient()
        .delete(&deleting(900), Some(properties(json!({}))))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Conflict);
    assert!(mocks.config[0].num_calls() > 2);
}

/// Every deletion is asked for first, then all are read back in one call: DELETING is
/// an answer (named in the summary), never waited for.
#[tokio::test]
async fn rules_are_deleted_first_then_read_back_together_and_not_waited_for() {
    let mocks = Mocks {
        config: vec![
            mock!(aws_sdk_config::Client::delete_config_rule)
                .then_output(|| DeleteConfigRuleOutput::builder().build()),
            mock!(aws_sdk_config::Client::describe_config_rules)
                .sequence()
                .output(|| {
                    DescribeConfigRulesOutput::builder()
                        .config_rules(rule("trail", "CLOUD_TRAIL_ENABLED", None))
                        .config_rules(rule("ssh", "INCOMING_SSH_DISABLED", None))
                        .build()
                })
                .output(|| {
                    DescribeConfigRulesOutput::builder()
                        .config_rules(deleting_rule("trail"))
                        .config_rules(deleting_rule("ssh"))
                        .build()
                })
                .build(),
        ],
        iam: vec![],
        ssm: ledger_with(Some(r#"{"owned":{"rule":["trail","ssh"]}}"#)),
    };
    let outcome = mocks
        .resource()
        .delete(&deleting(60), Some(properties(json!({}))))
        .await
        .unwrap();
    assert_eq!(
        mocks.config[0].num_calls(),
        2,
        "DeleteConfigRule, each once"
    );
    assert_eq!(mocks.config[1].num_calls(), 2, "read, then read back");
    let summary = outcome.summary.unwrap_or_default();
    assert!(
        summary.contains("still deleting rule(s) ssh, trail"),
        "{summary}"
    );
}

/// DeleteConfigRule racing a deletion already under way answers ResourceInUseException
/// ("Config is deleting this rule"); the rule's state says which cause it is.
#[tokio::test]
async fn resource_in_use_on_a_rule_already_deleting_is_the_deletion_accepted() {
    let mocks = Mocks {
        config: vec![
            mock!(aws_sdk_config::Client::delete_config_rule).then_error(|| {
                DeleteConfigRuleError::generic(meta(
                    "ResourceInUseException",
                    "The rule trail is currently being deleted.  Please retry after some time",
                ))
            }),
            mock!(aws_sdk_config::Client::describe_config_rules)
                .sequence()
                .output(|| {
                    DescribeConfigRulesOutput::builder()
                        .config_rules(rule("trail", "CLOUD_TRAIL_ENABLED", None))
                        .build()
                })
                .output(|| {
                    DescribeConfigRulesOutput::builder()
                        .config_rules(deleting_rule("trail"))
                        .build()
                })
                .times(2)
                .build(),
        ],
        iam: vec![],
        ssm: ledger_with(Some(r#"{"owned":{"rule":["trail"]}}"#)),
    };
    mocks
        .resource()
        .delete(&deleting(60), Some(properties(json!({}))))
        .await
        .unwrap();
    assert_eq!(mocks.config[0].num_calls(), 1, "not asked again");
}

/// A Create needing a rule name AWS Config is still deleting waits (at most half the
/// time left), then answers DEPENDENCY_NOT_READY naming the rule, before any change.
#[tokio::test(start_paused = true)]
async fn a_create_needing_a_rule_still_deleting_waits_then_is_dependency_not_ready() {
    let mut mocks = fresh();
    mocks.config.push(
        mock!(aws_sdk_config::Client::describe_config_rules).then_output(|| {
            DescribeConfigRulesOutput::builder()
                .config_rules(deleting_rule("trail"))
                .build()
        }),
    );
    let props = properties(
        json!({"ManagedRules": [{"Name": "trail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]}),
    );
    let started = Instant::now();
    let failure = mocks
        .patient()
        .create(&context(600), props)
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::DependencyNotReady, "{failure}");
    assert!(
        failure.message().contains("still deleting rule(s) trail")
            && failure.message().contains("up to an hour"),
        "{failure}"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(110) && waited <= Duration::from_secs(130),
        "{waited:?}"
    );
    assert_eq!(mocks.config[3].num_calls(), 0, "PutConfigurationRecorder");
    assert_eq!(mocks.ssm[1].num_calls(), 0, "nothing claimed");
}

/// ... and once the deletion finishes within the wait, the rule is created as new.
#[tokio::test(start_paused = true)]
async fn a_create_needing_a_rule_still_deleting_goes_on_once_it_is_gone() {
    let mut mocks = fresh();
    mocks.config[2] = status_is(true, Some(RecorderStatus::Success));
    mocks.config.push(
        mock!(aws_sdk_config::Client::describe_config_rules)
            .sequence()
            .output(|| {
                DescribeConfigRulesOutput::builder()
                    .config_rules(deleting_rule("trail"))
                    .build()
            })
            .times(3)
            .error(|| DescribeConfigRulesError::generic(meta("NoSuchConfigRuleException", "gone")))
            .times(2)
            .output(|| {
                DescribeConfigRulesOutput::builder()
                    .config_rules(rule("trail", "CLOUD_TRAIL_ENABLED", None))
                    .build()
            })
            .build(),
    );
    mocks.config.push(
        mock!(aws_sdk_config::Client::put_config_rule)
            .then_output(|| PutConfigRuleOutput::builder().build()),
    );
    let props = properties(
        json!({"ManagedRules": [{"Name": "trail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]}),
    );
    mocks.patient().create(&context(600), props).await.unwrap();
    assert_eq!(mocks.config.last().unwrap().num_calls(), 1, "PutConfigRule");
}

#[tokio::test]
async fn retain_and_a_failed_create_leave_everything_untouched() {
    for (record, props) in [
        (
            Some(r#"{"owned":{"recorder":["default"],"channel":["default"]}}"#),
            Some(properties(json!({"OnDelete": "Retain"}))),
        ),
        (None, None),
    ] {
        let mocks = Mocks {
            config: vec![],
            iam: vec![],
            ssm: ledger_with(record),
        };
        let outcome = mocks.resource().delete(&deleting(60), props).await.unwrap();
        assert!(outcome.summary.is_some());
        assert_eq!(mocks.ssm[2].num_calls(), 1, "only the record is erased");
    }
}

#[tokio::test]
async fn a_rule_list_too_long_to_answer_or_record_is_refused_before_any_change() {
    // 40 names of 100 characters: Data.RuleNames alone would be over 4 KB.
    let rules: Vec<Value> = (0..40)
        .map(|i| json!({"Name": format!("{i:0>100}"), "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}))
        .collect();
    let props = properties(json!({"ManagedRules": rules}));
    let mocks = Mocks {
        config: vec![],
        iam: vec![],
        ssm: ledger_with(None),
    };
    let failure = mocks
        .resource()
        .create(&context(60), props)
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::InvalidProperties, "{failure}");
    assert!(
        failure.message().starts_with("ManagedRules: 40 rules")
            && failure.message().contains("limit of 4096"),
        "{failure}"
    );
    assert_eq!(mocks.ssm[1].num_calls(), 0, "no claim written");
}

#[test]
fn a_hundred_rules_of_thirty_characters_fit_as_the_readme_says() {
    let rules: Vec<Value> = (0..100)
        .map(|i| json!({"Name": format!("rule-{i:0>25}"), "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}))
        .collect();
    let props = properties(json!({"ManagedRules": rules}));
    let mocks = Mocks {
        config: vec![],
        iam: vec![],
        ssm: vec![],
    };
    let ctx = context(60);
    answer::check_limits(
        &ctx,
        &mocks.resource().ledger,
        &props,
        &cfn_custom_resource_kit::Ownership::default(),
    )
    .unwrap();
}

#[tokio::test]
async fn a_rule_whose_owner_tag_names_another_stack_is_never_deleted() {
    // The rule this resource created was replaced since by one another stack made.
    let mocks = Mocks {
        config: vec![
            mock!(aws_sdk_config::Client::delete_config_rule)
                .then_output(|| DeleteConfigRuleOutput::builder().build()),
            mock!(aws_sdk_config::Client::describe_config_rules).then_output(|| {
                let mut found = rule("trail", "CLOUD_TRAIL_ENABLED", None);
                found.config_rule_arn = Some(
                    "arn:aws:config:us-east-1:123456789012:config-rule/config-rule-abc".into(),
                );
                DescribeConfigRulesOutput::builder()
                    .config_rules(found)
                    .build()
            }),
            mock!(aws_sdk_config::Client::list_tags_for_resource).then_output(|| {
                ListTagsForResourceOutput::builder()
                    .tags(
                        aws_sdk_config::types::Tag::builder()
                            .key("cfn-custom-resource-kit:owner")
                            .value("other-stack/ConfigSetup")
                            .build(),
                    )
                    .build()
            }),
        ],
        iam: vec![],
        ssm: ledger_with(Some(
            r#"{"owned":{"rule":["trail"]},"retainOnDelete":false}"#,
        )),
    };
    mocks
        .resource()
        .delete(&deleting(60), Some(properties(json!({}))))
        .await
        .unwrap();
    assert_eq!(
        mocks.config[0].num_calls(),
        0,
        "DeleteConfigRule never called"
    );
    assert_eq!(mocks.config[2].num_calls(), 1, "the owner tag was read");
    assert_eq!(mocks.ssm[2].num_calls(), 1, "the record is erased");
}

#[tokio::test]
async fn a_refused_rule_put_releases_its_claim() {
    let mut mocks = fresh();
    mocks.config.push(
        mock!(aws_sdk_config::Client::describe_config_rules).then_error(|| {
            DescribeConfigRulesError::generic(meta("NoSuchConfigRuleException", "no trail"))
        }),
    );
    mocks.config.push(
        mock!(aws_sdk_config::Client::put_config_rule).then_error(|| {
            aws_sdk_config::operation::put_config_rule::PutConfigRuleError::generic(meta(
                "InvalidParameterValueException",
                "bad input",
            ))
        }),
    );
    let failure = mocks
        .resource()
        .create(
            &context(60),
            properties(json!({"ManagedRules": [{"Name": "trail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]})),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::InvalidProperties, "{failure}");
    // Claim (record), singleton record, then the release of the rule's claim.
    assert_eq!(mocks.ssm[1].num_calls(), 3);
}

/// SSM where another stack's resource (`other-ConfigSetup-1`) claimed the region's
/// recorder a moment ago: its singleton record and its record exist, a create-only put
/// of the singleton record is `ParameterAlreadyExists`, and this resource has no record.
fn ledger_claimed_by_another() -> Vec<Rule> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let parameter = |value: String| {
        MockResponse::Output(
            GetParameterOutput::builder()
                .parameter(Parameter::builder().value(value).build())
                .build(),
        )
    };
    vec![
        mock!(aws_sdk_ssm::Client::get_parameter).then_compute_response(move |input| {
            let name = input.name().unwrap_or_default();
            if name.ends_with("/singleton/recorder") {
                parameter(json!({"physicalId": "other-ConfigSetup-1", "claimedAt": now}).to_string())
            } else if name.ends_with("/resource/other-ConfigSetup-1") {
                parameter(
                    json!({"version": 1, "owned": {"recorder": ["default"], "channel": ["default"], "singleton": ["recorder"]}})
                        .to_string(),
                )
            } else {
                MockResponse::Error(GetParameterError::ParameterNotFound(
                    ParameterNotFound::builder()
                        .meta(aws_sdk_ssm::error::ErrorMetadata::builder().code("ParameterNotFound").build())
                        .build(),
                ))
            }
        }),
        mock!(aws_sdk_ssm::Client::put_parameter).then_compute_response(|input| {
            if input.name().unwrap_or_default().ends_with("/singleton/recorder")
                && input.overwrite() != Some(true)
            {
                MockResponse::Error(PutParameterError::ParameterAlreadyExists(
                    ParameterAlreadyExists::builder()
                        .meta(
                            aws_sdk_ssm::error::ErrorMetadata::builder()
                                .code("ParameterAlreadyExists")
                                .build(),
                        )
                        .build(),
                ))
            } else {
                MockResponse::Output(PutParameterOutput::builder().build())
            }
        }),
        mock!(aws_sdk_ssm::Client::delete_parameter)
            .then_output(|| DeleteParameterOutput::builder().build()),
    ]
}

#[tokio::test]
async fn a_second_stack_racing_for_the_recorder_waits_for_it_and_adopts_it() {
    let mut config = vec![
        // None at the first read; the other's recorder by the time this one waits.
        mock!(aws_sdk_config::Client::describe_configuration_recorders)
            .sequence()
            .output(|| DescribeConfigurationRecordersOutput::builder().build())
            .output(|| {
                DescribeConfigurationRecordersOutput::builder()
                    .configuration_recorders(recorder_named("default"))
                    .build()
            })
            .repeatedly()
            .build(),
        channel_put_once(),
        status_is(true, Some(RecorderStatus::Success)),
    ];
    config.extend(ok_puts());
    let mocks = Mocks {
        config,
        iam: slr(),
        ssm: ledger_claimed_by_another(),
    };
    let outcome = mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap();
    assert_eq!(outcome.data["Adopted"], "true", "the first claimer owns it");
    assert!(
        mocks.config[0].num_calls() >= 2,
        "it waited for the other's recorder"
    );
}

#[tokio::test]
async fn a_channel_that_reads_back_otherwise_is_not_active_naming_the_field() {
    // PutDeliveryChannel kept the SNS topic the request left out.
    let mut mocks = fresh();
    mocks.config[1] = mock!(aws_sdk_config::Client::describe_delivery_channels)
        .sequence()
        .output(|| DescribeDeliveryChannelsOutput::builder().build())
        .output(|| {
            let mut kept = channel::desired(&properties(json!({})), "default");
            kept.sns_topic_arn = Some("arn:aws:sns:us-east-1:123456789012:old".into());
            DescribeDeliveryChannelsOutput::builder()
                .delivery_channels(kept)
                .build()
        })
        .build();
    let failure = mocks
        .resource()
        .create(&context(60), properties(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::NotActive, "{failure}");
    assert!(
        failure
            .message()
            .contains("differs from the properties in DeliverySnsTopicArn"),
        "{failure}"
    );
}
