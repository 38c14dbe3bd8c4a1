//! Delete: disable only the standards this resource enabled, waiting out `PENDING` and
//! `DELETING` within the deadline, asking again after `FAILED`.

use aws_sdk_securityhub::operation::batch_disable_standards::BatchDisableStandardsError;
use aws_sdk_securityhub::operation::get_enabled_standards::GetEnabledStandardsError;
use cfn_custom_resource_kit::testing::assert_failed;
use cfn_custom_resource_kit::testing::{assert_all_called, context, delete};
use cfn_custom_resource_kit::{Backoff, CustomResource, ReasonCode, RequestType};
use securityhub_common::testing::not_subscribed;

use super::*;

/// `BatchDisableStandards` refusing a subscription still `PENDING`.
fn still_pending() -> BatchDisableStandardsError {
    BatchDisableStandardsError::generic(error(
        "InvalidInputException",
        &format!(
            "StandardsSubscription(s) in state PENDING, please try later: [\"{}\"]",
            subscription_arn(PCI)
        ),
    ))
}

#[tokio::test]
async fn delete_disables_owned_standards_waiting_out_pending() {
    let ssm = Ssm::owning(&[PCI, CIS14]);
    let read = enabled_are(&[is_pending(PCI), is_ready(CIS14), is_ready(NIST)]);
    let refused_then_done = mock!(Client::batch_disable_standards)
        .match_requests(|input| {
            input.standards_subscription_arns() == [subscription_arn(PCI), subscription_arn(CIS14)]
        })
        .sequence()
        .error(still_pending)
        .times(2)
        .output(|| BatchDisableStandardsOutput::builder().build())
        .build();
    let deleting = enabled_are(&[
        (PCI, Status::Deleting, None),
        (CIS14, Status::Deleting, None),
        is_ready(NIST),
    ]);
    let gone = enabled_are(&[is_ready(NIST)]);
    let rules = [&read, &refused_then_done, &deleting, &gone];
    let outcome = delete(
        &resource(&rules, &ssm),
        Some(json!({"Standards": [PCI, CIS14]})),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
    assert_eq!(refused_then_done.num_calls(), 3);
    assert_eq!(
        outcome.summary.as_deref(),
        Some("disabled pci-dss/v/3.2.1, cis-aws-foundations-benchmark/v/1.4.0")
    );
    assert!(ssm.erased());
}

#[tokio::test(start_paused = true)]
async fn a_standard_pending_past_the_deadline_makes_delete_a_timeout() {
    let ssm = Ssm::owning(&[PCI]);
    let read = enabled_are(&[is_pending(PCI)]);
    let refused = mock!(Client::batch_disable_standards)
        .sequence()
        .error(still_pending)
        .repeatedly()
        .build();
    let rules = [&read, &refused];
    let answer = resource(&rules, &ssm)
        .delete(&context(RequestType::Delete, Duration::from_secs(10)), None)
        .await;
    assert_failed(answer, ReasonCode::Timeout, &["state PENDING"]);
    assert_eq!(
        ssm.owned_ids(),
        [PCI],
        "still recorded for the next attempt"
    );
}

/// StandardsSubscription: "FAILED - The standard could not be disabled." A disable that
/// ends FAILED is asked again; one that then goes is a disable done.
#[tokio::test]
async fn delete_asks_again_for_a_disable_that_ended_failed() {
    let ssm = Ssm::owning(&[PCI]);
    let read = enabled_are(&[is_ready(PCI)]);
    let first = disable(&[PCI]);
    let failed = enabled_are(&[(PCI, Status::Failed, Some(Reason::InternalError))]);
    let second = disable(&[PCI]);
    let gone = none_enabled();
    let rules = [&read, &first, &failed, &second, &gone];
    let outcome = delete(&resource(&rules, &ssm), None).await.unwrap();
    assert_all_called(&rules);
    assert_eq!(outcome.summary.as_deref(), Some("disabled pci-dss/v/3.2.1"));
    assert!(ssm.erased());
}

/// ... and one that stays FAILED is reported as what it is, the record kept.
#[tokio::test]
async fn a_disable_that_keeps_failing_is_a_service_error_naming_the_standard() {
    let ssm = Ssm::owning(&[PCI]);
    let read = enabled_are(&[is_ready(PCI)]);
    let mut rules = vec![read];
    for _ in 0..DISABLE_ATTEMPTS {
        rules.push(disable(&[PCI]));
        rules.push(enabled_are(&[(
            PCI,
            Status::Failed,
            Some(Reason::InternalError),
        )]));
    }
    let rules: Vec<&Rule> = rules.iter().collect();
    let answer = delete(&resource(&rules, &ssm), None).await;
    assert_all_called(&rules);
    assert_failed(
        answer,
        ReasonCode::ServiceError,
        &[
            "pci-dss/v/3.2.1 is FAILED (StatusReasonCode INTERNAL_ERROR)",
            "could not disable",
        ],
    );
    assert_eq!(
        ssm.owned_ids(),
        [PCI],
        "still recorded for the next attempt"
    );
}

/// A disable still DELETING when the wait runs out is accepted, and said so.
#[tokio::test(start_paused = true)]
async fn a_disable_still_deleting_after_the_wait_is_named_as_under_way() {
    let ssm = Ssm::owning(&[PCI]);
    let read = enabled_are(&[is_ready(PCI)]);
    let off = disable(&[PCI]);
    let deleting = enabled_always(&[(PCI, Status::Deleting, None)]);
    let rules = [&read, &off, &deleting];
    // The production backoff: the wait takes minutes (of paused time).
    let resource = SecurityHubStandards::with_backoff(
        client("us-east-1", &rules),
        ledger(&ssm),
        Backoff::new(Duration::from_millis(500), Duration::from_secs(10)),
    );
    let outcome = resource
        .delete(
            &context(RequestType::Delete, Duration::from_secs(900)),
            None,
        )
        .await
        .unwrap();
    let summary = outcome.summary.unwrap_or_default();
    assert!(
        summary.contains("still disabling pci-dss/v/3.2.1 (DELETING"),
        "{summary}"
    );
    assert!(ssm.erased());
}

#[tokio::test]
async fn delete_disables_nothing_when_security_hub_is_off_or_nothing_is_owned_or_retain_is_chosen()
{
    let not_enabled = mock!(Client::get_enabled_standards)
        .then_error(|| GetEnabledStandardsError::generic(not_subscribed()));
    // (the ledger, the Security Hub calls, the Delete's properties, what the summary says)
    let cases: [(_, &[&Rule], _, _); 3] = [
        (Ssm::owning(&[PCI]), &[&not_enabled], None, "not enabled"),
        // Adopted standards only: no record.
        (
            Ssm::new(),
            &[],
            Some(json!({"Standards": [PCI]})),
            "enabled no standard",
        ),
        (
            Ssm::owning(&[PCI]),
            &[],
            Some(json!({"Standards": [PCI], "OnDelete": "Retain"})),
            "OnDelete is Retain",
        ),
    ];
    for (ssm, rules, properties, says) in cases {
        let outcome = delete(&resource(rules, &ssm), properties).await.unwrap();
        let summary = outcome.summary.unwrap();
        assert!(summary.contains(says), "{summary}");
        assert!(ssm.erased(), "{summary}");
    }
    assert_eq!(not_enabled.num_calls(), 1);
}
