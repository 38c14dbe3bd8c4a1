//! Create: enable what is missing (claimed first, owned), adopt what is there, wait for
//! `READY` unless told not to, within the service's limits per call and per second.

use std::sync::{Arc, Mutex};

use aws_smithy_mocks::MockResponse;
use cfn_custom_resource_kit::testing::create;
use tokio::time::Instant;

use super::*;

#[tokio::test]
async fn standards_are_enabled_and_waited_for_from_pending_to_ready() {
    let ssm = Ssm::new();
    let read = none_enabled();
    let enable = enable_answers_pending(&[AFSBP, CIS12]);
    let pending = enabled_are(&[is_pending(AFSBP), is_pending(CIS12)]);
    let half = enabled_are(&[is_ready(AFSBP), is_pending(CIS12)]);
    let ready = enabled_are(&[is_ready(AFSBP), is_ready(CIS12)]);
    let rules = [&read, &enable, &pending, &half, &ready];
    let outcome = created(&rules, &ssm, json!({"Standards": [AFSBP, arn(CIS12)]})).await;
    assert_eq!(
        outcome.data["StandardsSubscriptionArns"],
        format!("{},{}", subscription_arn(AFSBP), subscription_arn(CIS12))
    );
    assert_eq!(outcome.data["Adopted"], "");
    assert_eq!(ssm.owned_ids(), [AFSBP, CIS12]);
    assert_eq!(ssm.puts(), 1, "one ownership write claims both standards");
}

#[tokio::test]
async fn wait_for_ready_false_answers_without_waiting() {
    let ssm = Ssm::new();
    let read = none_enabled();
    let enable = enable_answers_pending(&[PCI]);
    let rules = [&read, &enable];
    let outcome = created(
        &rules,
        &ssm,
        json!({"Standards": [PCI], "WaitForReady": "false"}),
    )
    .await;
    assert_eq!(
        outcome.data["StandardsSubscriptionArns"],
        subscription_arn(PCI)
    );
}

#[tokio::test]
async fn the_enabled_standards_are_read_across_pages() {
    let ssm = Ssm::new();
    let first = mock!(Client::get_enabled_standards)
        .match_requests(|input| input.next_token().is_none())
        .then_output(|| {
            GetEnabledStandardsOutput::builder()
                .standards_subscriptions(sub(PCI, Status::Ready, None))
                .next_token("more")
                .build()
        });
    let second = mock!(Client::get_enabled_standards)
        .match_requests(|input| input.next_token() == Some("more"))
        .then_output(|| enabled_output(&[is_ready(NIST)]));
    let rules = [&first, &second];
    let outcome = created(
        &rules,
        &ssm,
        json!({"Standards": [PCI, NIST], "WaitForReady": false}),
    )
    .await;
    assert_eq!(
        outcome.data["Adopted"],
        format!("{PCI},{NIST}"),
        "both were on some page of the first read"
    );
}

#[tokio::test]
async fn the_ownership_claim_is_written_before_the_enable_call() {
    let ssm = Ssm::new();
    let record = ssm.record_reader();
    let read = none_enabled();
    let enable = mock!(Client::batch_enable_standards).then_compute_response(move |input| {
        let claimed = record().is_some_and(|r| r["owned"]["standard"] == json!([arn(PCI)]));
        if claimed {
            MockResponse::Output(pending_for(input))
        } else {
            MockResponse::Error(BatchEnableStandardsError::generic(error(
                "ValidationException",
                "the test saw BatchEnableStandards before the claim",
            )))
        }
    });
    let rules = [&read, &enable];
    created(
        &rules,
        &ssm,
        json!({"Standards": [PCI], "WaitForReady": "false"}),
    )
    .await;
}

#[tokio::test]
async fn a_pre_enabled_standard_is_adopted_and_never_claimed() {
    let ssm = Ssm::new();
    let read = enabled_are(&[is_ready(CIS14)]);
    let ready = enabled_are(&[is_ready(CIS14)]);
    let rules = [&read, &ready];
    let outcome = created(&rules, &ssm, json!({"Standards": [CIS14]})).await;
    assert_eq!(outcome.data["Adopted"], CIS14);
    assert_eq!(
        outcome.data["StandardsSubscriptionArns"],
        subscription_arn(CIS14)
    );
    assert_eq!(ssm.puts(), 0);
}

#[tokio::test]
async fn adoption_is_decided_by_the_first_read_when_the_enable_call_says_already_enabled() {
    let ssm = Ssm::new();
    let read = none_enabled();
    let conflict = enable_refused(
        "ResourceConflictException",
        "The standard is already enabled",
    );
    let ready = enabled_are(&[is_ready(NIST)]);
    let rules = [&read, &conflict, &ready];
    let outcome = created(&rules, &ssm, json!({"Standards": [NIST]})).await;
    assert_eq!(
        outcome.data["Adopted"], "",
        "the first read said missing: ours"
    );
    assert_eq!(ssm.owned_ids(), [NIST]);
}

#[tokio::test(start_paused = true)]
async fn thirty_standards_are_enabled_25_per_call_at_most_one_call_per_second() {
    let ids: Vec<String> = (0..30).map(|i| format!("custom-{i:02}/v/1.0.0")).collect();
    let arns: Vec<String> = ids.iter().map(|id| arn(id)).collect();
    let list = mock!(Client::describe_standards).then_output(move || listing(&arns, None));
    let read = none_enabled();
    let calls: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let recorded = |calls: &Arc<Mutex<Vec<(usize, Instant)>>>| {
        let seen = Arc::clone(calls);
        mock!(Client::batch_enable_standards)
            .match_requests(|input| input.standards_subscription_requests().len() <= 25)
            .then_compute_output(move |input| {
                seen.lock().unwrap().push((
                    input.standards_subscription_requests().len(),
                    Instant::now(),
                ));
                pending_for(input)
            })
    };
    let (first, second) = (recorded(&calls), recorded(&calls));
    let ssm = Ssm::new();
    let rules = [&list, &read, &first, &second];
    let outcome = create(
        &resource(&rules, &ssm),
        json!({"Standards": ids, "WaitForReady": false}),
    )
    .await;
    let calls = calls.lock().unwrap().clone();
    assert_eq!(
        calls.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        [25, 5],
        "{outcome:?}"
    );
    assert!(
        calls[1].1 - calls[0].1 >= Duration::from_secs(1),
        "the second call waited a second: {:?}",
        calls[1].1 - calls[0].1
    );
    assert_eq!(
        ssm.owned_ids().len(),
        30,
        "every one claimed before its call"
    );
}
