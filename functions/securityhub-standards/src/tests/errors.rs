//! What Security Hub refuses or reports, and how long it is asked again: a standard that
//! ends `INCOMPLETE` or `FAILED`, refusals by reason code, throttling, the deadline, and
//! Security Hub not enabled yet.

use aws_sdk_securityhub::error::ErrorMetadata;
use aws_sdk_securityhub::operation::describe_standards::DescribeStandardsError;
use aws_sdk_securityhub::operation::get_enabled_standards::GetEnabledStandardsError;
use cfn_custom_resource_kit::testing::{assert_all_called, create};
use cfn_custom_resource_kit::testing::{assert_failed, create_within};
use cfn_custom_resource_kit::ReasonCode;
use securityhub_common::testing::{assert_create_throttled_within, not_subscribed, throttled};
use securityhub_common::HUB_SETTLING;
use tokio::time::Instant;

use super::*;
use crate::status::hint;

/// `DescribeStandards` answering `error` from now on.
fn describe_standards_failing(error: fn() -> ErrorMetadata) -> Rule {
    mock!(Client::describe_standards)
        .sequence()
        .error(move || DescribeStandardsError::generic(error()))
        .repeatedly()
        .build()
}

#[tokio::test]
async fn each_incomplete_reason_is_not_active_with_its_code_and_hint() {
    let cases = [
        (
            Status::Incomplete,
            Reason::NoAvailableConfigurationRecorder,
            "DependsOn",
        ),
        (
            Status::Incomplete,
            Reason::MaximumNumberOfConfigRulesExceeded,
            "Config rules quota",
        ),
        (
            Status::Incomplete,
            Reason::InternalError,
            "disable and re-enable",
        ),
        (
            Status::Incomplete,
            Reason::NoAvailableMulticloudConnector,
            "multicloud connector",
        ),
        (
            Status::Failed,
            Reason::InternalError,
            "disable and re-enable",
        ),
    ];
    for (state, reason, hint) in cases {
        let ssm = Ssm::new();
        let read = none_enabled();
        let enable = enable_answers_pending(&[CIS14]);
        let outcome = enabled_are(&[(CIS14, state.clone(), Some(reason.clone()))]);
        let rules = [&read, &enable, &outcome];
        let answer = create(&converging(&rules, &ssm), json!({"Standards": [CIS14]})).await;
        let status = format!("{CIS14} is {state} (StatusReasonCode {reason})");
        assert_failed(answer, ReasonCode::NotActive, &[&status, hint]);
        assert_eq!(outcome.num_calls(), 1, "{reason}: not waited on");
        assert_eq!(
            ssm.owned_ids(),
            [CIS14],
            "the failed standard stays owned for the repair"
        );
    }
}

#[test]
fn a_hint_exists_for_every_reason_code_the_sdk_knows() {
    for code in Reason::values() {
        assert_ne!(
            hint(Some(&Reason::from(*code))),
            hint(Some(&Reason::from("SOMETHING_NEW"))),
            "{code} needs its own hint"
        );
    }
}

#[tokio::test]
async fn a_refused_enable_is_org_managed_for_central_configuration_and_access_denied_for_iam_leaving_no_claim(
) {
    for (message, code) in [
        (
            "Your account is managed by a central configuration policy of the delegated administrator",
            ReasonCode::OrgManaged,
        ),
        (
            "User: arn:aws:sts::123456789012:assumed-role/fn/x is not authorized to perform: securityhub:BatchEnableStandards",
            ReasonCode::AccessDenied,
        ),
        (
            "not authorized to perform securityhub:BatchEnableStandards",
            ReasonCode::AccessDenied,
        ),
    ] {
        let ssm = Ssm::new();
        let read = none_enabled();
        let refused = enable_refused("AccessDeniedException", message);
        let rules = [&read, &refused];
        let answer = create(&converging(&rules, &ssm), json!({"Standards": [PCI]}))
            .await;
        assert_failed(answer, code, &[]);
        assert_eq!(refused.num_calls(), 1, "not retried");
        assert!(
            ssm.owned_ids().is_empty(),
            "the claim written before the call is released"
        );
    }
}

#[tokio::test]
async fn throttling_then_success_is_retried() {
    let ssm = Ssm::new();
    let read = mock!(Client::get_enabled_standards)
        .sequence()
        .error(|| GetEnabledStandardsError::generic(throttled()))
        .times(2)
        .output(|| enabled_output(&[is_ready(PCI)]))
        .build();
    let ready = enabled_are(&[is_ready(PCI)]);
    let rules = [&read, &ready];
    create(&converging(&rules, &ssm), json!({"Standards": [PCI]}))
        .await
        .unwrap();
    assert_eq!(read.num_calls(), 3);
    assert_all_called(&rules);
}

#[tokio::test(start_paused = true)]
async fn throttling_until_the_deadline_is_throttled() {
    let ssm = Ssm::new();
    let list = describe_standards_failing(throttled);
    assert_create_throttled_within(
        &resource(&[&list], &ssm),
        Duration::from_secs(4),
        json!({"Standards": [PCI]}),
        &["LimitExceededException"],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn pending_past_the_deadline_is_a_timeout_saying_what_was_pending() {
    let ssm = Ssm::new();
    let read = none_enabled();
    let enable = enable_answers_pending(&[PCI]);
    let pending = enabled_always(&[is_pending(PCI)]);
    let rules = [&read, &enable, &pending];
    let answer = create_within(
        &converging(&rules, &ssm),
        Duration::from_secs(20),
        json!({"Standards": [PCI]}),
    )
    .await;
    assert_failed(answer, ReasonCode::Timeout, &["pci-dss/v/3.2.1 is PENDING"]);
}

#[tokio::test(start_paused = true)]
async fn security_hub_not_enabled_is_dependency_not_ready_after_a_short_wait() {
    let ssm = Ssm::new();
    let list = describe_standards_failing(not_subscribed);
    let started = Instant::now();
    let answer = create(&resource(&[&list], &ssm), json!({"Standards": [PCI]})).await;
    assert_failed(
        answer,
        ReasonCode::DependencyNotReady,
        &["Security Hub is not enabled", "Custom::SecurityHubEnable"],
    );
    assert!(
        started.elapsed() >= HUB_SETTLING,
        "a hub enabled moments ago gets time"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// BatchEnableStandards is paced (one call per second): when the next turn would come
/// after the deadline, the answer is the service's last error, not the pacing.
#[tokio::test(start_paused = true)]
async fn an_enable_failing_until_the_deadline_answers_the_services_error() {
    let ssm = Ssm::new();
    let read = none_enabled();
    let enable = mock!(Client::batch_enable_standards)
        .sequence()
        .error(|| {
            aws_sdk_securityhub::operation::batch_enable_standards::BatchEnableStandardsError::generic(
                ErrorMetadata::builder()
                    .code("InternalException")
                    .message("internal error")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let rules = [&read, &enable];
    // Calls at 0 s and 1 s fail; the third turn (2 s) comes after the 1.5 s deadline.
    let answer = create_within(
        &converging(&rules, &ssm),
        Duration::from_millis(1500),
        json!({"Standards": [PCI]}),
    )
    .await;
    assert_failed(
        answer,
        ReasonCode::ServiceError,
        &["InternalException", "no time for another call"],
    );
    assert_eq!(enable.num_calls(), 2);
}
