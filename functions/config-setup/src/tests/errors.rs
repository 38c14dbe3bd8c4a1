//! A Create refused or failed: each answered with the reason code that says what to do,
//! before any change where the cause can be known up front.

use aws_sdk_config::operation::describe_configuration_recorders::DescribeConfigurationRecordersError;
use aws_sdk_config::operation::put_config_rule::PutConfigRuleError;
use aws_sdk_config::operation::put_configuration_recorder::PutConfigurationRecorderError;
use aws_sdk_config::operation::put_delivery_channel::PutDeliveryChannelError;
use cfn_custom_resource_kit::testing::create;
use tokio::time::Instant;

use super::*;
use crate::recorder::CONTROL_TOWER_RECORDER;

/// `PutDeliveryChannel` answering `code` each time.
fn put_channel_fails(code: &'static str) -> Rule {
    mock!(aws_sdk_config::Client::put_delivery_channel)
        .then_error(move || PutDeliveryChannelError::generic(meta(code, "refused")))
}

/// Each PutDeliveryChannel error is answered by its code: a missing bucket at once, the
/// recorder not there yet after its retries, a bucket policy AWS Config cannot use after
/// its settling time (about two minutes), naming the bucket.
#[tokio::test(start_paused = true)]
async fn put_delivery_channel_errors_are_answered_by_their_codes() {
    let policy: &[&str] = &["AWS Config may not write to bucket config-bucket"];
    for (error, answered, in_message, least_calls, settling) in [
        (
            "NoSuchBucketException",
            ReasonCode::NotFound,
            &[][..],
            1,
            None,
        ),
        (
            "NoAvailableConfigurationRecorderException",
            ReasonCode::DependencyNotReady,
            &[],
            3,
            None,
        ),
        (
            "InsufficientDeliveryPolicyException",
            ReasonCode::AccessDenied,
            policy,
            3,
            Some(120..130),
        ),
    ] {
        let mut fake = Fake::fresh();
        fake.put_channel = put_channel_fails(error);
        let started = Instant::now();
        let failure = create_patiently(&fake, with(json!({}))).await;
        let failure = assert_failed(failure, answered, in_message);
        assert!(
            failure.to_string().contains("(config:PutDeliveryChannel"),
            "{failure}"
        );
        assert!(fake.put_channel.num_calls() >= least_calls, "{error}");
        if let Some(seconds) = settling {
            let waited = started.elapsed();
            assert!(seconds.contains(&waited.as_secs()), "{waited:?}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn throttling_until_the_deadline_is_throttled() {
    let mut fake = Fake::fresh();
    fake.recorders =
        mock!(aws_sdk_config::Client::describe_configuration_recorders).then_error(|| {
            DescribeConfigurationRecordersError::generic(meta(
                "ThrottlingException",
                "Rate exceeded",
            ))
        });
    let failure = create(&fake.patient(), with(json!({}))).await;
    assert_failed(
        failure,
        ReasonCode::Throttled,
        &["still failing at the deadline"],
    );
}

#[tokio::test]
async fn an_scp_denial_is_org_managed_and_an_iam_denial_access_denied() {
    for (message, code) in [
        ("not authorized to perform: config:PutConfigurationRecorder with an explicit deny in a service control policy", ReasonCode::OrgManaged),
        ("not authorized to perform: config:PutConfigurationRecorder", ReasonCode::AccessDenied),
    ] {
        let mut fake = Fake::fresh();
        fake.put_recorder = mock!(aws_sdk_config::Client::put_configuration_recorder)
            .then_error(move || PutConfigurationRecorderError::generic(meta("AccessDeniedException", message)));
        assert_failed(create(&fake.resource(), with(json!({}))).await, code, &[]);
        assert_eq!(fake.put_recorder.num_calls(), 1);
    }
}

#[tokio::test]
async fn a_last_status_of_failure_is_not_active_with_the_error() {
    let mut fake = Fake::fresh();
    fake.status = statuses(&[status(true, Some(RecorderStatus::Failure))]);
    let failure = create(&fake.resource(), with(json!({}))).await;
    let texts = ["AccessDenied: no write to bucket"];
    assert_failed(failure, ReasonCode::NotActive, &texts);
}

/// A Failure newer than the change is the present: NOT_ACTIVE at once.
#[tokio::test(start_paused = true)]
async fn a_failure_newer_than_the_change_is_not_active_at_once() {
    let mut fake = Fake::fresh();
    fake.status = statuses(&[failure_at(
        std::time::SystemTime::now() + Duration::from_secs(5),
    )]);
    let started = Instant::now();
    let failure = create_patiently(&fake, with(json!({}))).await;
    assert_failed(failure, ReasonCode::NotActive, &["last delivery failed"]);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn control_towers_recorder_that_does_not_record_is_org_managed() {
    let mut fake = Fake::fresh();
    fake.recorders = recorders(&[&[recorder_named(CONTROL_TOWER_RECORDER)]]);
    fake.status = statuses(&[status(false, None)]);
    let failure = create(&fake.resource(), with(json!({}))).await;
    assert_failed(failure, ReasonCode::OrgManaged, &[]);
    assert_eq!(fake.start.num_calls(), 0, "never started by this resource");
}

#[tokio::test]
async fn another_recorder_under_existing_recorder_fail_is_a_conflict_naming_it() {
    let mut fake = Fake::fresh();
    fake.recorders = recorders(&[&[recorder_named("hand-made")]]);
    let failure = create(&fake.resource(), with(json!({"ExistingRecorder": "Fail"}))).await;
    assert_failed(failure, ReasonCode::Conflict, &["\"hand-made\""]);
    assert_eq!(fake.ssm.puts(), 0, "nothing claimed");
}

#[tokio::test]
async fn a_rule_another_service_created_is_never_changed() {
    let put_rule = put_rule_where(|_| true);
    let fake = Fake::fresh()
        .with(&rule_reads(&[Some(&[rule(
            "securityhub-cloudtrail",
            "CLOUD_TRAIL_ENABLED",
            Some("securityhub.amazonaws.com"),
        )])]))
        .with(&put_rule);
    let properties = with(
        json!({"ManagedRules": [{"Name": "securityhub-cloudtrail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED", "MaximumExecutionFrequency": "One_Hour"}]}),
    );
    let failure = create(&fake.resource(), properties).await;
    assert_failed(
        failure,
        ReasonCode::Conflict,
        &["securityhub.amazonaws.com"],
    );
    assert_eq!(put_rule.num_calls(), 0);
}

/// A Create needing a rule name AWS Config is still deleting waits (at most half the
/// time left), then answers DEPENDENCY_NOT_READY naming the rule, before any change.
#[tokio::test(start_paused = true)]
async fn a_create_needing_a_rule_still_deleting_waits_then_is_dependency_not_ready() {
    let fake = Fake::fresh().with(&rule_reads(&[Some(&[deleting_rule("trail")])]));
    let started = Instant::now();
    let failure = create_patiently(&fake, with_trail(json!({}))).await;
    let texts = ["still deleting rule(s) trail", "up to an hour"];
    assert_failed(failure, ReasonCode::DependencyNotReady, &texts);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(110) && waited <= Duration::from_secs(130),
        "{waited:?}"
    );
    assert_eq!(fake.put_recorder.num_calls(), 0, "PutConfigurationRecorder");
    assert_eq!(fake.ssm.puts(), 0, "nothing claimed");
}

#[tokio::test]
async fn a_rule_list_too_long_to_answer_or_record_is_refused_before_any_change() {
    // 40 names of 100 characters: Data.RuleNames alone would be over 4 KB.
    let rules: Vec<Value> = (0..40)
        .map(|i| json!({"Name": format!("{i:0>100}"), "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}))
        .collect();
    let fake = Fake::fresh();
    let failure = create(&fake.resource(), with(json!({"ManagedRules": rules}))).await;
    let failure = assert_failed(failure, ReasonCode::InvalidProperties, &["limit of 4096"]);
    assert!(
        failure.message().starts_with("ManagedRules: 40 rules"),
        "{failure}"
    );
    assert_eq!(fake.ssm.puts(), 0, "no claim written");
}

#[tokio::test]
async fn a_refused_rule_put_releases_its_claim() {
    let fake = Fake::fresh().with(&rule_reads(&[None])).with(
        &mock!(aws_sdk_config::Client::put_config_rule).then_error(|| {
            PutConfigRuleError::generic(meta("InvalidParameterValueException", "bad input"))
        }),
    );
    let failure = create(&fake.resource(), with_trail(json!({}))).await;
    assert_failed(failure, ReasonCode::InvalidProperties, &[]);
    // Claim (record), singleton record, then the release of the rule's claim.
    assert_eq!(fake.ssm.puts(), 3);
    assert!(
        fake.ssm.owned("rule").is_empty(),
        "the rule's claim is released"
    );
}

#[tokio::test]
async fn a_channel_that_reads_back_otherwise_is_not_active_naming_the_field() {
    // PutDeliveryChannel kept the SNS topic the request left out.
    let mut kept = channel::desired(&parsed(with(json!({}))), "default");
    kept.sns_topic_arn = Some("arn:aws:sns:us-east-1:123456789012:old".into());
    let mut fake = Fake::fresh();
    fake.channels = channels(&[None, Some(kept)]);
    let failure = create(&fake.resource(), with(json!({}))).await;
    let texts = ["differs from the properties in DeliverySnsTopicArn"];
    assert_failed(failure, ReasonCode::NotActive, &texts);
}
