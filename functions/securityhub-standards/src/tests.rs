//! SecurityHubStandards' SDK call sequences, against `aws-smithy-mocks`: Security Hub in
//! strict order, SSM as a small in-memory parameter store holding the ownership ledger.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_securityhub::config::retry::RetryConfig;
use aws_sdk_securityhub::config::Region;
use aws_sdk_securityhub::error::ErrorMetadata;
use aws_sdk_securityhub::operation::batch_disable_standards::{
    BatchDisableStandardsError, BatchDisableStandardsOutput,
};
use aws_sdk_securityhub::operation::batch_enable_standards::{
    BatchEnableStandardsError, BatchEnableStandardsInput, BatchEnableStandardsOutput,
};
use aws_sdk_securityhub::operation::describe_standards::{
    DescribeStandardsError, DescribeStandardsOutput,
};
use aws_sdk_securityhub::operation::get_enabled_standards::{
    GetEnabledStandardsError, GetEnabledStandardsOutput,
};
use aws_sdk_securityhub::types::{
    Standard, StandardsStatus, StandardsStatusReason, StandardsSubscription, StatusReasonCode,
};
use aws_sdk_securityhub::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use cfn_custom_resource_kit::testing::{
    assert_all_called, context, create, delete, properties, update, ParameterStore,
};
use cfn_custom_resource_kit::{Backoff, CustomResource, Failure, Ledger, ReasonCode, RequestType};
use serde_json::json;
use tokio::time::Instant;

use super::*;
use crate::api::PAGE_SIZE;
use crate::status::hint;

const ACCOUNT: &str = "123456789012";
const AFSBP: &str = "aws-foundational-security-best-practices/v/1.0.0";
const CIS12: &str = "cis-aws-foundations-benchmark/v/1.2.0";
const CIS14: &str = "cis-aws-foundations-benchmark/v/1.4.0";
const PCI: &str = "pci-dss/v/3.2.1";
const NIST: &str = "nist-800-53/v/5.0.0";

/// The standards ARN of `short_id` in `partition`/`region` (CIS 1.2.0 is region-less).
fn arn_in(partition: &str, region: &str, short_id: &str) -> String {
    if short_id == CIS12 {
        format!("arn:{partition}:securityhub:::ruleset/{short_id}")
    } else {
        format!("arn:{partition}:securityhub:{region}::standards/{short_id}")
    }
}

fn arn(short_id: &str) -> String {
    arn_in("aws", "us-east-1", short_id)
}

fn subscription_arn(short_id: &str) -> String {
    format!("arn:aws:securityhub:us-east-1:{ACCOUNT}:subscription/{short_id}")
}

fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn listing(arns: &[String], next: Option<&str>) -> DescribeStandardsOutput {
    DescribeStandardsOutput::builder()
        .set_standards(Some(
            arns.iter()
                .map(|arn| Standard::builder().standards_arn(arn).build())
                .collect(),
        ))
        .set_next_token(next.map(str::to_owned))
        .build()
}

/// `DescribeStandards` in us-east-1: five standards over two pages (each asked for the
/// largest page the API allows).
fn describe_standards() -> Vec<Rule> {
    vec![
        mock!(Client::describe_standards)
            .match_requests(|input| {
                input.next_token().is_none() && input.max_results() == Some(PAGE_SIZE)
            })
            .then_output(|| listing(&[arn(AFSBP), arn(CIS12), arn(CIS14)], Some("page-2"))),
        mock!(Client::describe_standards)
            .match_requests(|input| input.next_token() == Some("page-2"))
            .then_output(|| listing(&[arn(PCI), arn(NIST)], None)),
    ]
}

fn sub(short_id: &str, status: &str, reason: Option<&str>) -> StandardsSubscription {
    StandardsSubscription::builder()
        .standards_arn(arn(short_id))
        .standards_subscription_arn(subscription_arn(short_id))
        .standards_status(StandardsStatus::from(status))
        .set_standards_status_reason(reason.map(|code| {
            StandardsStatusReason::builder()
                .status_reason_code(StatusReasonCode::from(code))
                .build()
        }))
        .build()
}

fn enabled_are(subscriptions: &[(&'static str, &'static str, Option<&'static str>)]) -> Rule {
    let subscriptions = subscriptions.to_vec();
    mock!(Client::get_enabled_standards)
        .match_requests(|input| input.max_results() == Some(PAGE_SIZE))
        .then_output(move || {
            GetEnabledStandardsOutput::builder()
                .set_standards_subscriptions(Some(
                    subscriptions
                        .iter()
                        .map(|(id, status, reason)| sub(id, status, *reason))
                        .collect(),
                ))
                .build()
        })
}

fn none_enabled() -> Rule {
    enabled_are(&[])
}

fn requested_arns(input: &BatchEnableStandardsInput) -> Vec<String> {
    input
        .standards_subscription_requests()
        .iter()
        .filter_map(|request| request.standards_arn().map(str::to_owned))
        .collect()
}

fn enable_answers_pending(short_ids: &'static [&'static str]) -> Rule {
    mock!(Client::batch_enable_standards)
        .match_requests(move |input| {
            requested_arns(input) == short_ids.iter().map(|id| arn(id)).collect::<Vec<_>>()
        })
        .then_output(move || {
            BatchEnableStandardsOutput::builder()
                .set_standards_subscriptions(Some(
                    short_ids
                        .iter()
                        .map(|id| sub(id, "PENDING", None))
                        .collect(),
                ))
                .build()
        })
}

/// What `BatchEnableStandards` answers: each requested standard `PENDING`.
fn pending_for(input: &BatchEnableStandardsInput) -> BatchEnableStandardsOutput {
    BatchEnableStandardsOutput::builder()
        .set_standards_subscriptions(Some(
            requested_arns(input)
                .into_iter()
                .map(|standards_arn| {
                    let short_id = short_id_of(&standards_arn).to_owned();
                    StandardsSubscription::builder()
                        .standards_arn(standards_arn)
                        .standards_subscription_arn(format!(
                            "arn:aws:securityhub:us-east-1:{ACCOUNT}:subscription/{short_id}"
                        ))
                        .standards_status(StandardsStatus::Pending)
                        .build()
                })
                .collect(),
        ))
        .build()
}

fn disable(short_ids: &'static [&'static str]) -> Rule {
    mock!(Client::batch_disable_standards)
        .match_requests(move |input| {
            input.standards_subscription_arns()
                == short_ids
                    .iter()
                    .map(|id| subscription_arn(id))
                    .collect::<Vec<_>>()
        })
        .then_output(|| BatchDisableStandardsOutput::builder().build())
}

/// SSM Parameter Store in memory (the kit's): the ledger's record survives between requests.
type Ssm = ParameterStore;

/// The record of a resource that enabled standards, read as short ids.
trait StandardsRecord {
    /// A store whose record says this resource enabled `short_ids` (us-east-1 ARNs).
    fn owning(short_ids: &[&str]) -> Self;
    /// The short ids the record says are owned, sorted (empty when there is no record).
    fn owned_ids(&self) -> Vec<String>;
}

impl StandardsRecord for Ssm {
    fn owning(short_ids: &[&str]) -> Self {
        let arns: Vec<String> = short_ids.iter().map(|id| arn(id)).collect();
        Ssm::with_record(
            json!({"version": 1, "owned": {"standard": arns}, "retainOnDelete": false}),
        )
    }

    fn owned_ids(&self) -> Vec<String> {
        let mut owned: Vec<String> = self
            .owned(STANDARD_KIND)
            .iter()
            .map(|arn| short_id_of(arn).to_owned())
            .collect();
        owned.sort();
        owned
    }
}

fn resource_in(region: &'static str, rules: &[&Rule], ssm: &Ssm) -> SecurityHubStandards {
    resource_polling(
        region,
        rules,
        ssm,
        Backoff::new(Duration::from_millis(2), Duration::from_millis(10)),
    )
}

/// With `backoff`: the production one for tests on paused time that wait minutes.
fn resource_polling(
    region: &'static str,
    rules: &[&Rule],
    ssm: &Ssm,
    backoff: Backoff,
) -> SecurityHubStandards {
    let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, rules, |config| {
        config
            .retry_config(RetryConfig::disabled())
            .region(Region::new(region))
    });
    SecurityHubStandards::with_backoff(
        client,
        Ledger::with_prefix(ssm.client(), "/test-ledger"),
        backoff,
    )
}

fn resource(rules: &[&Rule], ssm: &Ssm) -> SecurityHubStandards {
    resource_in("us-east-1", rules, ssm)
}

#[tokio::test]
async fn standards_are_enabled_and_waited_for_from_pending_to_ready() {
    let ssm = Ssm::new();
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = none_enabled();
    let enable = enable_answers_pending(&[AFSBP, CIS12]);
    let pending = enabled_are(&[(AFSBP, "PENDING", None), (CIS12, "PENDING", None)]);
    let half = enabled_are(&[(AFSBP, "READY", None), (CIS12, "PENDING", None)]);
    let ready = enabled_are(&[(AFSBP, "READY", None), (CIS12, "READY", None)]);
    let rules = [&list, &list2, &read, &enable, &pending, &half, &ready];
    let outcome = create(
        &resource(&rules, &ssm),
        json!({"Standards": [AFSBP, arn(CIS12)]}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
    assert_eq!(
        outcome.data["StandardsSubscriptionArns"],
        format!("{},{}", subscription_arn(AFSBP), subscription_arn(CIS12))
    );
    assert_eq!(outcome.data["Adopted"], "");
    assert_eq!(ssm.owned_ids(), [AFSBP, CIS12]);
    assert_eq!(ssm.puts(), 1, "one ownership write claims both standards");
}

#[tokio::test]
async fn the_enabled_standards_are_read_across_pages() {
    let ssm = Ssm::new();
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let first = mock!(Client::get_enabled_standards)
        .match_requests(|input| input.next_token().is_none())
        .then_output(|| {
            GetEnabledStandardsOutput::builder()
                .standards_subscriptions(sub(PCI, "READY", None))
                .next_token("more")
                .build()
        });
    let second = mock!(Client::get_enabled_standards)
        .match_requests(|input| input.next_token() == Some("more"))
        .then_output(|| {
            GetEnabledStandardsOutput::builder()
                .standards_subscriptions(sub(NIST, "READY", None))
                .build()
        });
    let rules = [&list, &list2, &first, &second];
    let outcome = create(
        &resource(&rules, &ssm),
        json!({"Standards": [PCI, NIST], "WaitForReady": false}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
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
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = none_enabled();
    let enable = mock!(Client::batch_enable_standards).then_compute_response(move |_| {
        let claimed = record().is_some_and(|r| r["owned"]["standard"] == json!([arn(PCI)]));
        if claimed {
            MockResponse::Output(
                BatchEnableStandardsOutput::builder()
                    .standards_subscriptions(sub(PCI, "PENDING", None))
                    .build(),
            )
        } else {
            MockResponse::Error(BatchEnableStandardsError::generic(meta(
                "ValidationException",
                "the test saw BatchEnableStandards before the claim",
            )))
        }
    });
    let rules = [&list, &list2, &read, &enable];
    create(
        &resource(&rules, &ssm),
        json!({"Standards": [PCI], "WaitForReady": "false"}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
}

#[tokio::test]
async fn each_incomplete_reason_is_not_active_with_its_code_and_hint() {
    let cases = [
        (
            "INCOMPLETE",
            "NO_AVAILABLE_CONFIGURATION_RECORDER",
            "DependsOn",
        ),
        (
            "INCOMPLETE",
            "MAXIMUM_NUMBER_OF_CONFIG_RULES_EXCEEDED",
            "Config rules quota",
        ),
        ("INCOMPLETE", "INTERNAL_ERROR", "disable and re-enable"),
        (
            "INCOMPLETE",
            "NO_AVAILABLE_MULTICLOUD_CONNECTOR",
            "multicloud connector",
        ),
        ("FAILED", "INTERNAL_ERROR", "disable and re-enable"),
    ];
    for (state, reason, hint) in cases {
        let ssm = Ssm::new();
        let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
        let read = none_enabled();
        let enable = enable_answers_pending(&[CIS14]);
        let outcome = mock!(Client::get_enabled_standards).then_output(move || {
            GetEnabledStandardsOutput::builder()
                .standards_subscriptions(sub(CIS14, state, Some(reason)))
                .build()
        });
        let rules = [&list, &list2, &read, &enable, &outcome];
        let failure = create(&resource(&rules, &ssm), json!({"Standards": [CIS14]}))
            .await
            .unwrap_err();
        assert_eq!(failure.code(), ReasonCode::NotActive, "{reason}: {failure}");
        assert!(
            failure
                .message()
                .contains(&format!("{CIS14} is {state} (StatusReasonCode {reason})")),
            "{failure}"
        );
        assert!(failure.message().contains(hint), "{reason}: {failure}");
        assert_eq!(outcome.num_calls(), 1, "{reason}: not waited on");
        assert_eq!(
            ssm.owned_ids(),
            [CIS14],
            "the failed standard stays owned for the repair"
        );
    }
}

#[tokio::test]
async fn a_pre_enabled_standard_is_adopted_and_never_claimed() {
    let ssm = Ssm::new();
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = enabled_are(&[(CIS14, "READY", None)]);
    let ready = enabled_are(&[(CIS14, "READY", None)]);
    let rules = [&list, &list2, &read, &ready];
    let outcome = create(&resource(&rules, &ssm), json!({"Standards": [CIS14]}))
        .await
        .unwrap();
    assert_all_called(&rules);
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
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = none_enabled();
    let conflict = mock!(Client::batch_enable_standards).then_error(|| {
        BatchEnableStandardsError::generic(meta(
            "ResourceConflictException",
            "The standard is already enabled",
        ))
    });
    let ready = enabled_are(&[(NIST, "READY", None)]);
    let rules = [&list, &list2, &read, &conflict, &ready];
    let outcome = create(&resource(&rules, &ssm), json!({"Standards": [NIST]}))
        .await
        .unwrap();
    assert_all_called(&rules);
    assert_eq!(
        outcome.data["Adopted"], "",
        "the first read said missing: ours"
    );
    assert_eq!(ssm.owned_ids(), [NIST]);
}

#[tokio::test]
async fn a_refused_enable_leaves_no_claim_behind() {
    let ssm = Ssm::new();
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = none_enabled();
    let refused = mock!(Client::batch_enable_standards).then_error(|| {
        BatchEnableStandardsError::generic(meta(
            "AccessDeniedException",
            "not authorized to perform securityhub:BatchEnableStandards",
        ))
    });
    let rules = [&list, &list2, &read, &refused];
    let failure = create(&resource(&rules, &ssm), json!({"Standards": [NIST]}))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::AccessDenied, "{failure}");
    assert!(
        ssm.owned_ids().is_empty(),
        "the claim written before the call is released"
    );
}

#[tokio::test(start_paused = true)]
async fn thirty_standards_are_enabled_25_per_call_at_most_one_call_per_second() {
    let ids: Vec<String> = (0..30).map(|i| format!("custom-{i:02}/v/1.0.0")).collect();
    let arns: Vec<String> = ids.iter().map(|id| arn(id)).collect();
    let listed = arns.clone();
    let list = mock!(Client::describe_standards).then_output(move || listing(&listed, None));
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

#[tokio::test]
async fn short_ids_resolve_to_the_partition_and_region_arn_forms() {
    for (partition, region) in [
        ("aws", "us-east-1"),
        ("aws-cn", "cn-north-1"),
        ("aws-us-gov", "us-gov-west-1"),
    ] {
        let catalogue: Vec<String> = [AFSBP, CIS12, PCI]
            .iter()
            .map(|id| arn_in(partition, region, id))
            .collect();
        let listed = catalogue.clone();
        let list = mock!(Client::describe_standards).then_output(move || listing(&listed, None));
        let read = none_enabled();
        let expected = catalogue.clone();
        let enable = mock!(Client::batch_enable_standards)
            .match_requests(move |input| requested_arns(input) == expected)
            .then_compute_output(pending_for);
        let ssm = Ssm::new();
        let rules = [&list, &read, &enable];
        let resource = resource_in(region, &rules, &ssm);
        assert_eq!(
            resource.location(),
            &Location {
                partition: partition.into(),
                region: region.into()
            }
        );
        create(
            &resource,
            json!({"Standards": [AFSBP, CIS12, arn_in(partition, region, PCI)], "WaitForReady": false}),
        )
        .await
        .unwrap();
        assert_all_called(&rules);
        assert!(
            catalogue[1].starts_with(&format!("arn:{partition}:securityhub:::ruleset/")),
            "CIS 1.2.0 is region-less"
        );
    }
}

async fn resolution_failure(standard: &str) -> Failure {
    let ssm = Ssm::new();
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let rules = [&list, &list2];
    let failure = create(
        &resource(&rules, &ssm),
        json!({"Standards": [AFSBP, standard]}),
    )
    .await
    .unwrap_err();
    assert_all_called(&rules);
    assert_eq!(ssm.puts(), 0, "nothing claimed");
    failure
}

#[tokio::test]
async fn an_arn_of_another_region_or_partition_is_invalid_properties_naming_the_field() {
    let other_region = resolution_failure(&arn_in("aws", "eu-west-1", PCI)).await;
    assert_eq!(other_region.code(), ReasonCode::InvalidProperties);
    assert!(
        other_region
            .to_string()
            .starts_with("[INVALID_PROPERTIES] Standards[1]: "),
        "{other_region}"
    );
    assert!(other_region.message().contains("names region eu-west-1"));
    let other_partition = resolution_failure(&arn_in("aws-cn", "us-east-1", PCI)).await;
    assert_eq!(other_partition.code(), ReasonCode::InvalidProperties);
    assert!(
        other_partition.message().contains("is in partition aws-cn"),
        "{other_partition}"
    );
}

#[tokio::test]
async fn a_known_standard_the_region_does_not_list_is_unsupported() {
    for missing in ["pci-dss/v/4.0.1".to_owned(), arn("nist-800-171/v/2.0.0")] {
        let failure = resolution_failure(&missing).await;
        assert_eq!(failure.code(), ReasonCode::Unsupported, "{failure}");
        assert!(
            failure.message().starts_with("Standards[1]: ")
                && failure.message().contains("is not available in us-east-1"),
            "{failure}"
        );
    }
}

#[tokio::test]
async fn an_unknown_short_id_is_invalid_properties_listing_what_exists() {
    let failure = resolution_failure("made-up-standard/v/1.0.0").await;
    assert_eq!(failure.code(), ReasonCode::InvalidProperties);
    assert!(
        failure.message().contains("is not a Security Hub standard")
            && failure.message().contains(PCI),
        "{failure}"
    );
}

#[tokio::test]
async fn a_short_id_and_an_arn_of_the_same_standard_are_refused() {
    let failure = resolution_failure(&arn(AFSBP)).await;
    assert_eq!(failure.code(), ReasonCode::InvalidProperties);
    assert!(
        failure
            .message()
            .contains("names the same standard as Standards[0]"),
        "{failure}"
    );
}

#[tokio::test]
async fn throttling_then_success_is_retried() {
    let ssm = Ssm::new();
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = mock!(Client::get_enabled_standards)
        .sequence()
        .error(|| {
            GetEnabledStandardsError::generic(meta("LimitExceededException", "Rate exceeded"))
        })
        .times(2)
        .output(|| {
            GetEnabledStandardsOutput::builder()
                .standards_subscriptions(sub(PCI, "READY", None))
                .build()
        })
        .build();
    let ready = enabled_are(&[(PCI, "READY", None)]);
    let rules = [&list, &list2, &read, &ready];
    create(&resource(&rules, &ssm), json!({"Standards": [PCI]}))
        .await
        .unwrap();
    assert_eq!(read.num_calls(), 3);
    assert_all_called(&rules);
}

#[tokio::test(start_paused = true)]
async fn throttling_until_the_deadline_is_throttled() {
    let ssm = Ssm::new();
    let list = mock!(Client::describe_standards)
        .sequence()
        .error(|| DescribeStandardsError::generic(meta("LimitExceededException", "Rate exceeded")))
        .repeatedly()
        .build();
    let rules = [&list];
    let started = Instant::now();
    let failure = resource(&rules, &ssm)
        .create(
            &context(RequestType::Create, Duration::from_secs(4)),
            properties(json!({"Standards": [PCI]})),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Throttled, "{failure}");
    assert!(
        failure.message().contains("LimitExceededException"),
        "{failure}"
    );
    assert!(started.elapsed() <= Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn pending_past_the_deadline_is_a_timeout_saying_what_was_pending() {
    let ssm = Ssm::new();
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = none_enabled();
    let enable = enable_answers_pending(&[PCI]);
    let pending = mock!(Client::get_enabled_standards)
        .sequence()
        .output(|| {
            GetEnabledStandardsOutput::builder()
                .standards_subscriptions(sub(PCI, "PENDING", None))
                .build()
        })
        .repeatedly()
        .build();
    let rules = [&list, &list2, &read, &enable, &pending];
    let failure = resource(&rules, &ssm)
        .create(
            &context(RequestType::Create, Duration::from_secs(20)),
            properties(json!({"Standards": [PCI]})),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Timeout, "{failure}");
    assert!(
        failure.message().contains("pci-dss/v/3.2.1 is PENDING"),
        "{failure}"
    );
}

#[tokio::test]
async fn central_configuration_refusing_the_enable_is_org_managed_and_iam_is_access_denied() {
    for (message, code) in [
        (
            "Your account is managed by a central configuration policy of the delegated administrator",
            ReasonCode::OrgManaged,
        ),
        (
            "User: arn:aws:sts::123456789012:assumed-role/fn/x is not authorized to perform: securityhub:BatchEnableStandards",
            ReasonCode::AccessDenied,
        ),
    ] {
        let ssm = Ssm::new();
        let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
        let read = none_enabled();
        let refused = mock!(Client::batch_enable_standards).then_error(move || {
            BatchEnableStandardsError::generic(meta("AccessDeniedException", message))
        });
        let rules = [&list, &list2, &read, &refused];
        let failure = create(&resource(&rules, &ssm), json!({"Standards": [PCI]}))
            .await
            .unwrap_err();
        assert_eq!(failure.code(), code, "{failure}");
        assert_eq!(refused.num_calls(), 1, "not retried");
    }
}

#[tokio::test(start_paused = true)]
async fn security_hub_not_enabled_is_dependency_not_ready_after_a_short_wait() {
    let ssm = Ssm::new();
    let list = mock!(Client::describe_standards)
        .sequence()
        .error(|| {
            DescribeStandardsError::generic(meta(
                "InvalidAccessException",
                "Account 123456789012 is not subscribed to AWS Security Hub",
            ))
        })
        .repeatedly()
        .build();
    let rules = [&list];
    let started = Instant::now();
    let failure = create(&resource(&rules, &ssm), json!({"Standards": [PCI]}))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::DependencyNotReady, "{failure}");
    assert!(
        failure.message().contains("Security Hub is not enabled")
            && failure.message().contains("Custom::SecurityHubEnable"),
        "{failure}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(10),
        "a hub enabled moments ago gets time"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn an_update_repairs_an_owned_incomplete_standard() {
    let ssm = Ssm::owning(&[CIS12]);
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = enabled_are(&[(
        CIS12,
        "INCOMPLETE",
        Some("NO_AVAILABLE_CONFIGURATION_RECORDER"),
    )]);
    let off = disable(&[CIS12]);
    let deleting = enabled_are(&[(CIS12, "DELETING", None)]);
    let gone = none_enabled();
    let enable = enable_answers_pending(&[CIS12]);
    let ready = enabled_are(&[(CIS12, "READY", None)]);
    let rules = [
        &list, &list2, &read, &off, &deleting, &gone, &enable, &ready,
    ];
    let outcome = update(&resource(&rules, &ssm), json!({"Standards": [CIS12]}))
        .await
        .unwrap();
    assert_all_called(&rules);
    assert_eq!(outcome.data["Adopted"], "");
    assert_eq!(ssm.owned_ids(), [CIS12]);
}

#[tokio::test]
async fn an_adopted_incomplete_standard_is_not_repaired_but_reported() {
    let ssm = Ssm::new();
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = enabled_are(&[(
        CIS12,
        "INCOMPLETE",
        Some("NO_AVAILABLE_CONFIGURATION_RECORDER"),
    )]);
    let still = enabled_are(&[(
        CIS12,
        "INCOMPLETE",
        Some("NO_AVAILABLE_CONFIGURATION_RECORDER"),
    )]);
    let rules = [&list, &list2, &read, &still];
    let failure = update(&resource(&rules, &ssm), json!({"Standards": [CIS12]}))
        .await
        .unwrap_err();
    assert_all_called(&rules);
    assert_eq!(failure.code(), ReasonCode::NotActive);
    assert!(
        failure.message().contains("enabled before this resource"),
        "{failure}"
    );
}

#[tokio::test]
async fn an_update_disables_removed_owned_standards_and_never_adopted_ones() {
    let ssm = Ssm::owning(&[AFSBP, PCI]);
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = enabled_are(&[
        (AFSBP, "READY", None),
        (PCI, "READY", None),
        (NIST, "READY", None),
    ]);
    let enable = enable_answers_pending(&[CIS14]);
    let off = disable(&[PCI]);
    let gone = enabled_are(&[
        (AFSBP, "READY", None),
        (CIS14, "PENDING", None),
        (NIST, "READY", None),
    ]);
    let ready = enabled_are(&[
        (AFSBP, "READY", None),
        (CIS14, "READY", None),
        (NIST, "READY", None),
    ]);
    let rules = [&list, &list2, &read, &enable, &off, &gone, &ready];
    let outcome = update(
        &resource(&rules, &ssm),
        json!({"Standards": [AFSBP, CIS14]}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
    assert_eq!(
        ssm.owned_ids(),
        [AFSBP, CIS14],
        "PCI released, NIST never owned"
    );
    assert_eq!(outcome.data["Adopted"], "");
}

#[tokio::test]
async fn wait_for_ready_false_answers_without_waiting() {
    let ssm = Ssm::new();
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = none_enabled();
    let enable = enable_answers_pending(&[PCI]);
    let rules = [&list, &list2, &read, &enable];
    let outcome = create(
        &resource(&rules, &ssm),
        json!({"Standards": [PCI], "WaitForReady": "false"}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
    assert_eq!(
        outcome.data["StandardsSubscriptionArns"],
        subscription_arn(PCI)
    );
}

#[tokio::test]
async fn delete_disables_owned_standards_waiting_out_pending() {
    let ssm = Ssm::owning(&[PCI, CIS14]);
    let read = enabled_are(&[
        (PCI, "PENDING", None),
        (CIS14, "READY", None),
        (NIST, "READY", None),
    ]);
    let refused_then_done = mock!(Client::batch_disable_standards)
        .match_requests(|input| {
            input.standards_subscription_arns() == [subscription_arn(PCI), subscription_arn(CIS14)]
        })
        .sequence()
        .error(|| {
            BatchDisableStandardsError::generic(meta(
                "InvalidInputException",
                &format!(
                    "StandardsSubscription(s) in state PENDING, please try later: [\"{}\"]",
                    subscription_arn(PCI)
                ),
            ))
        })
        .times(2)
        .output(|| BatchDisableStandardsOutput::builder().build())
        .build();
    let deleting = enabled_are(&[
        (PCI, "DELETING", None),
        (CIS14, "DELETING", None),
        (NIST, "READY", None),
    ]);
    let gone = enabled_are(&[(NIST, "READY", None)]);
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

/// StandardsSubscription: "FAILED - The standard could not be disabled." A disable that
/// ends FAILED is asked again; one that then goes is a disable done.
#[tokio::test]
async fn delete_asks_again_for_a_disable_that_ended_failed() {
    let ssm = Ssm::owning(&[PCI]);
    let read = enabled_are(&[(PCI, "READY", None)]);
    let first = disable(&[PCI]);
    let failed = enabled_are(&[(PCI, "FAILED", Some("INTERNAL_ERROR"))]);
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
    let read = enabled_are(&[(PCI, "READY", None)]);
    let mut rules = vec![read];
    for _ in 0..DISABLE_ATTEMPTS {
        rules.push(disable(&[PCI]));
        rules.push(enabled_are(&[(PCI, "FAILED", Some("INTERNAL_ERROR"))]));
    }
    let rules: Vec<&Rule> = rules.iter().collect();
    let failure = delete(&resource(&rules, &ssm), None).await.unwrap_err();
    assert_all_called(&rules);
    assert_eq!(failure.code(), ReasonCode::ServiceError, "{failure}");
    assert!(
        failure
            .message()
            .contains("pci-dss/v/3.2.1 is FAILED (StatusReasonCode INTERNAL_ERROR)"),
        "{failure}"
    );
    assert!(failure.message().contains("could not disable"), "{failure}");
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
    let read = enabled_are(&[(PCI, "READY", None)]);
    let off = disable(&[PCI]);
    let deleting = mock!(Client::get_enabled_standards)
        .sequence()
        .output(|| {
            GetEnabledStandardsOutput::builder()
                .standards_subscriptions(sub(PCI, "DELETING", None))
                .build()
        })
        .repeatedly()
        .build();
    let rules = [&read, &off, &deleting];
    let backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(10));
    let outcome = resource_polling("us-east-1", &rules, &ssm, backoff)
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

/// An owned standard left FAILED (a disable that could not finish) is repaired on
/// Update as an INCOMPLETE one is: disabled, then enabled again.
#[tokio::test]
async fn an_update_repairs_an_owned_standard_left_failed() {
    let ssm = Ssm::owning(&[PCI]);
    let [list, list2] = <[Rule; 2]>::try_from(describe_standards()).unwrap();
    let read = enabled_are(&[(PCI, "FAILED", Some("INTERNAL_ERROR"))]);
    let off = disable(&[PCI]);
    let gone = none_enabled();
    let enable = enable_answers_pending(&[PCI]);
    let ready = enabled_are(&[(PCI, "READY", None)]);
    let rules = [&list, &list2, &read, &off, &gone, &enable, &ready];
    update(&resource(&rules, &ssm), json!({"Standards": [PCI]}))
        .await
        .unwrap();
    assert_all_called(&rules);
    assert_eq!(ssm.owned_ids(), [PCI]);
}

#[tokio::test(start_paused = true)]
async fn a_standard_pending_past_the_deadline_makes_delete_a_timeout() {
    let ssm = Ssm::owning(&[PCI]);
    let read = enabled_are(&[(PCI, "PENDING", None)]);
    let refused = mock!(Client::batch_disable_standards)
        .sequence()
        .error(|| {
            BatchDisableStandardsError::generic(meta(
                "InvalidInputException",
                "StandardsSubscription(s) in state PENDING, please try later",
            ))
        })
        .repeatedly()
        .build();
    let rules = [&read, &refused];
    let failure = resource(&rules, &ssm)
        .delete(&context(RequestType::Delete, Duration::from_secs(10)), None)
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Timeout, "{failure}");
    assert!(failure.message().contains("state PENDING"), "{failure}");
    assert_eq!(
        ssm.owned_ids(),
        [PCI],
        "still recorded for the next attempt"
    );
}

#[tokio::test]
async fn delete_when_security_hub_is_not_enabled_succeeds() {
    let ssm = Ssm::owning(&[PCI]);
    let read = mock!(Client::get_enabled_standards).then_error(|| {
        GetEnabledStandardsError::generic(meta(
            "InvalidAccessException",
            "Account 123456789012 is not subscribed to AWS Security Hub",
        ))
    });
    let rules = [&read];
    let outcome = delete(&resource(&rules, &ssm), None).await.unwrap();
    assert!(outcome.summary.unwrap().contains("not enabled"));
    assert!(ssm.erased());
}

#[tokio::test]
async fn delete_leaves_adopted_standards_and_honours_retain() {
    let adopted_only = Ssm::new();
    delete(
        &resource(&[], &adopted_only),
        Some(json!({"Standards": [PCI]})),
    )
    .await
    .unwrap();
    let retained = Ssm::owning(&[PCI]);
    delete(
        &resource(&[], &retained),
        Some(json!({"Standards": [PCI], "OnDelete": "Retain"})),
    )
    .await
    .unwrap();
    assert!(retained.erased());
}

#[test]
fn a_hint_exists_for_every_reason_code_the_sdk_knows() {
    for code in StatusReasonCode::values() {
        assert_ne!(
            hint(Some(&StatusReasonCode::from(*code))),
            hint(Some(&StatusReasonCode::from("SOMETHING_NEW"))),
            "{code} needs its own hint"
        );
    }
}
