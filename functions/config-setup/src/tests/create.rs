//! Create: what a fresh account gets, and what an existing set-up is adopted as.

use aws_sdk_config::operation::put_delivery_channel::PutDeliveryChannelError;
use aws_sdk_config::types::Tag;
use cfn_custom_resource_kit::testing::{assert_all_called, create};
use cfn_custom_resource_kit::Ownership;
use tokio::time::Instant;

use super::*;
use crate::recorder::{CONTROL_TOWER_RECORDER, RECORDING_WAIT};
use crate::tags::OWNER_TAG;

#[tokio::test]
async fn a_fresh_create_claims_then_puts_starts_and_verifies() {
    let fake = Fake::fresh();
    let outcome = create(&fake.resource(), with(json!({}))).await.unwrap();
    assert_eq!(outcome.data["RecorderName"], "default");
    assert_eq!(outcome.data["Adopted"], "false");
    assert_eq!(
        fake.ssm.puts(),
        2,
        "one record write claims recorder and channel, one takes the singleton record"
    );
    assert_eq!(
        fake.changes(),
        [1, 1, 1],
        "PutConfigurationRecorder, PutDeliveryChannel, StartConfigurationRecorder"
    );
    assert_all_called(&[
        &fake.recorders,
        &fake.channels,
        &fake.status,
        &fake.get_role,
    ]);
}

/// The fewest calls: one ledger write claims the recorder, the channel and the new rule
/// before any of them is created, and a recorder this request created is started
/// without first reading its status (the one status read is the verification).
#[tokio::test]
async fn a_fresh_create_with_rules_writes_the_ledger_once_and_reads_the_status_once() {
    let put_rule = put_rule_where(|_| true);
    let mut fake = Fake::fresh()
        .with(&rule_reads(&[None, Some(&[trail()])]))
        .with(&put_rule);
    fake.status = statuses(&[status(true, Some(RecorderStatus::Success))]);
    create(&fake.resource(), with_trail(json!({})))
        .await
        .unwrap();
    assert_eq!(
        fake.ssm.puts(),
        2,
        "one record write claims recorder, channel and rule, one takes the singleton record"
    );
    assert_eq!(fake.status.num_calls(), 1, "status read once, to verify");
    assert_eq!(fake.start.num_calls(), 1, "StartConfigurationRecorder");
    assert_eq!(put_rule.num_calls(), 1, "PutConfigRule");
}

/// What this resource creates carries its owner tag and the Tags property; the
/// recorder and a new rule get them in their create calls.
#[tokio::test]
async fn a_new_recorder_and_rule_carry_the_owner_tag_and_the_tags_property() {
    fn has_tags(tags: Option<&[Tag]>) -> bool {
        let keys: Vec<&str> = tags
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t.key())
            .collect();
        keys == [OWNER_TAG, "Team"]
    }
    let put_rule = put_rule_where(|input| has_tags(input.tags.as_deref()));
    let mut fake = Fake::fresh()
        .with(&rule_reads(&[None, Some(&[trail()])]))
        .with(&put_rule);
    fake.status = statuses(&[status(true, Some(RecorderStatus::Success))]);
    fake.put_recorder = put_recorder_where(|input| has_tags(input.tags.as_deref()));
    create(
        &fake.resource(),
        with_trail(json!({"Tags": {"Team": "security"}})),
    )
    .await
    .unwrap();
    assert_eq!(
        fake.put_recorder.num_calls(),
        1,
        "PutConfigurationRecorder, tagged"
    );
    assert_eq!(put_rule.num_calls(), 1, "PutConfigRule, tagged");
}

#[tokio::test]
async fn the_recording_strategy_is_always_sent_explicitly() {
    let mut fake = Fake::fresh();
    fake.put_recorder = put_recorder_where(|input| {
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
    });
    let properties = with(
        json!({"RecordingStrategy": "Exclusion", "ResourceTypes": ["AWS::EC2::NetworkInterface"], "RecordingFrequency": "DAILY"}),
    );
    create(&fake.resource(), properties).await.unwrap();
    assert_eq!(fake.put_recorder.num_calls(), 1);
}

#[tokio::test]
async fn an_insufficient_delivery_policy_twice_then_success_is_retried() {
    let mut fake = Fake::fresh();
    fake.put_channel = mock!(aws_sdk_config::Client::put_delivery_channel)
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
    create(&fake.resource(), with(json!({}))).await.unwrap();
    assert_eq!(fake.put_channel.num_calls(), 3);
}

/// ConfigurationRecorderStatus: lastStatus is "The status of the latest recording event
/// processed by the recorder". A Failure from before this request's changes is history:
/// a newer status is waited for and judged.
#[tokio::test(start_paused = true)]
async fn a_failure_from_before_the_change_waits_for_a_newer_status() {
    let hour_ago = failure_at(std::time::SystemTime::now() - Duration::from_secs(3600));
    let mut fake = Fake::fresh();
    fake.status = statuses(&[
        hour_ago.clone(),
        hour_ago,
        status(true, Some(RecorderStatus::Success)),
    ]);
    let outcome = create_patiently(&fake, with(json!({}))).await.unwrap();
    assert!(
        !outcome.summary.unwrap_or_default().contains("Failure"),
        "a newer Success was judged"
    );
    assert_eq!(fake.status.num_calls(), 3);
}

/// ... and when no newer status comes within the wait, the answer says so rather than
/// judging by the old one.
#[tokio::test(start_paused = true)]
async fn a_failure_from_before_the_change_that_stays_is_named_not_judged() {
    let mut fake = Fake::fresh();
    fake.status = statuses(&[failure_at(
        std::time::SystemTime::now() - Duration::from_secs(3600),
    )]);
    let started = Instant::now();
    let outcome = create_patiently(&fake, with(json!({}))).await.unwrap();
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

#[tokio::test]
async fn a_service_linked_recorder_is_never_adopted() {
    let mut fake = Fake::fresh();
    fake.recorders = recorders(&[&[ConfigurationRecorder::builder()
        .name("AWSConfigurationRecorderForSecurityHub")
        .service_principal("securityhub.amazonaws.com")
        .build()]]);
    fake.put_recorder = put_recorder_where(|input| {
        input.configuration_recorder().and_then(|r| r.name()) == Some("default")
    });
    let outcome = create(&fake.resource(), with(json!({}))).await.unwrap();
    assert_eq!(outcome.data["RecorderName"], "default");
    assert_eq!(fake.put_recorder.num_calls(), 1);
}

/// Control Tower's recorder, known by its name or by its tag, that records.
#[tokio::test]
async fn control_towers_recorder_is_adopted_read_only_when_it_records() {
    let tagged = ConfigurationRecorder::builder()
        .name("default")
        .arn(RECORDER_ARN)
        .build();
    for (found, name) in [
        (
            recorder_named(CONTROL_TOWER_RECORDER),
            CONTROL_TOWER_RECORDER,
        ),
        (tagged, "default"),
    ] {
        let mut fake = Fake::fresh().with(&recorder_tags(true));
        fake.recorders = recorders(&[&[found]]);
        fake.status = statuses(&[status(true, None)]);
        let outcome = create(&fake.resource(), with(json!({}))).await.unwrap();
        assert_eq!(outcome.data["Adopted"], "true");
        assert_eq!(outcome.data["RecorderName"], name);
        assert_eq!(
            fake.changes(),
            [0, 0, 0],
            "Control Tower's set-up is never changed"
        );
    }
}

/// ... and once the deletion of a rule it needs finishes within the wait, the rule is
/// created as new.
#[tokio::test(start_paused = true)]
async fn a_create_needing_a_rule_still_deleting_goes_on_once_it_is_gone() {
    let going: &[ConfigRule] = &[deleting_rule("trail")];
    let put_rule = put_rule_where(|_| true);
    let mut fake = Fake::fresh()
        .with(&rule_reads(&[
            Some(going),
            Some(going),
            Some(going),
            None,
            None,
            Some(&[trail()]),
        ]))
        .with(&put_rule);
    fake.status = statuses(&[status(true, Some(RecorderStatus::Success))]);
    create_patiently(&fake, with_trail(json!({})))
        .await
        .unwrap();
    assert_eq!(put_rule.num_calls(), 1, "PutConfigRule");
}

#[tokio::test]
async fn a_second_stack_racing_for_the_recorder_waits_for_it_and_adopts_it() {
    let mut fake = Fake::fresh();
    // None at the first read; the other's recorder by the time this one waits.
    fake.recorders = recorders(&[&[], &[recorder_named("default")]]);
    fake.status = statuses(&[status(true, Some(RecorderStatus::Success))]);
    // Another stack's resource claimed the region's recorder a moment ago: its singleton
    // record and its record exist; this resource has none.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    fake.ssm.seed(
        "/ledger/singleton/recorder",
        json!({"physicalId": "other-ConfigSetup-1", "claimedAt": now}),
    );
    fake.ssm.seed(
        "/ledger/resource/other-ConfigSetup-1",
        json!({"version": 1, "owned": {"recorder": ["default"], "channel": ["default"], "singleton": ["recorder"]}}),
    );
    let outcome = create(&fake.resource(), with(json!({}))).await.unwrap();
    assert_eq!(outcome.data["Adopted"], "true", "the first claimer owns it");
    assert!(
        fake.recorders.num_calls() >= 2,
        "it waited for the other's recorder"
    );
}

#[test]
fn a_hundred_rules_of_thirty_characters_fit_as_the_readme_says() {
    let rules: Vec<Value> = (0..100)
        .map(|i| json!({"Name": format!("rule-{i:0>25}"), "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}))
        .collect();
    let properties = parsed(with(json!({"ManagedRules": rules})));
    let ctx = context(RequestType::Create, Duration::from_secs(60));
    answer::check_limits(
        &ctx,
        &Fake::fresh().resource().ledger,
        &properties,
        &Ownership::default(),
    )
    .unwrap();
}
