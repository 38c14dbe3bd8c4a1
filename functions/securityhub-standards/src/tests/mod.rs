//! SecurityHubStandards' SDK call sequences, against `aws-smithy-mocks`: Security Hub in
//! strict order, SSM as a small in-memory parameter store holding the ownership ledger.
//! Here: the mocked answers every lifecycle's tests build on.

mod catalog;
mod create;
mod delete;
mod errors;
mod update;

use aws_sdk_securityhub::operation::batch_disable_standards::BatchDisableStandardsOutput;
use aws_sdk_securityhub::operation::batch_enable_standards::{
    BatchEnableStandardsError, BatchEnableStandardsInput, BatchEnableStandardsOutput,
};
use aws_sdk_securityhub::operation::describe_standards::DescribeStandardsOutput;
use aws_sdk_securityhub::operation::get_enabled_standards::GetEnabledStandardsOutput;
use aws_sdk_securityhub::types::{
    Standard, StandardsStatus as Status, StandardsStatusReason, StandardsSubscription,
    StatusReasonCode as Reason,
};
use aws_sdk_securityhub::Client;
use aws_smithy_mocks::{mock, Rule};
use cfn_custom_resource_kit::testing::{assert_all_called, create, ParameterStore};
use securityhub_common::testing::{client, error, ledger, quick_backoff, ACCOUNT};
use serde_json::json;

use super::*;
use crate::api::PAGE_SIZE;

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
fn describe_standards() -> [Rule; 2] {
    [
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

/// The subscription to `short_id` (us-east-1) with `status` and `reason`.
fn sub(short_id: &str, status: Status, reason: Option<Reason>) -> StandardsSubscription {
    StandardsSubscription::builder()
        .standards_arn(arn(short_id))
        .standards_subscription_arn(subscription_arn(short_id))
        .standards_status(status)
        .set_standards_status_reason(reason.map(|code| {
            StandardsStatusReason::builder()
                .status_reason_code(code)
                .build()
        }))
        .build()
}

/// One subscription as a test names it: short id, status, `StatusReasonCode`.
type Shown = (&'static str, Status, Option<Reason>);

/// `short_id` shown `READY`.
fn is_ready(short_id: &'static str) -> Shown {
    (short_id, Status::Ready, None)
}

/// `short_id` shown `PENDING`.
fn is_pending(short_id: &'static str) -> Shown {
    (short_id, Status::Pending, None)
}

fn enabled_output(subscriptions: &[Shown]) -> GetEnabledStandardsOutput {
    GetEnabledStandardsOutput::builder()
        .set_standards_subscriptions(Some(
            subscriptions
                .iter()
                .map(|(id, status, reason)| sub(id, status.clone(), reason.clone()))
                .collect(),
        ))
        .build()
}

/// `GetEnabledStandards` (one page of the largest size) showing `subscriptions`.
fn enabled_are(subscriptions: &[Shown]) -> Rule {
    let subscriptions = subscriptions.to_vec();
    mock!(Client::get_enabled_standards)
        .match_requests(|input| input.max_results() == Some(PAGE_SIZE))
        .then_output(move || enabled_output(&subscriptions))
}

/// `GetEnabledStandards` showing `subscriptions` from now on.
fn enabled_always(subscriptions: &[Shown]) -> Rule {
    let subscriptions = subscriptions.to_vec();
    mock!(Client::get_enabled_standards)
        .sequence()
        .output(move || enabled_output(&subscriptions))
        .repeatedly()
        .build()
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

fn enable_answers_pending(short_ids: &[&str]) -> Rule {
    let arns: Vec<String> = short_ids.iter().map(|id| arn(id)).collect();
    mock!(Client::batch_enable_standards)
        .match_requests(move |input| requested_arns(input) == arns)
        .then_compute_output(pending_for)
}

fn enable_refused(code: &'static str, message: &'static str) -> Rule {
    mock!(Client::batch_enable_standards)
        .then_error(move || BatchEnableStandardsError::generic(error(code, message)))
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
                        .standards_status(Status::Pending)
                        .build()
                })
                .collect(),
        ))
        .build()
}

fn disable(short_ids: &[&str]) -> Rule {
    let arns: Vec<String> = short_ids.iter().map(|id| subscription_arn(id)).collect();
    mock!(Client::batch_disable_standards)
        .match_requests(move |input| input.standards_subscription_arns() == arns)
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

/// A Create of `properties` over the catalogue and then `rules` ([`converging`]) that
/// succeeds having used every rule.
async fn created(rules: &[&Rule], ssm: &Ssm, properties: serde_json::Value) -> Outcome {
    let outcome = create(&converging(rules, ssm), properties).await.unwrap();
    assert_all_called(rules);
    outcome
}

fn resource_in(region: &str, rules: &[&Rule], ssm: &Ssm) -> SecurityHubStandards {
    SecurityHubStandards::with_backoff(client(region, rules), ledger(ssm), quick_backoff())
}

fn resource(rules: &[&Rule], ssm: &Ssm) -> SecurityHubStandards {
    resource_in("us-east-1", rules, ssm)
}

/// A resource for a Create or Update: `DescribeStandards` lists the us-east-1 catalogue
/// first ([`describe_standards`]), then `rules` answer. The rules answer in order, so
/// any of `rules` answering means both pages were read.
fn converging(rules: &[&Rule], ssm: &Ssm) -> SecurityHubStandards {
    let [list, list2] = describe_standards();
    let all: Vec<&Rule> = [&list, &list2]
        .into_iter()
        .chain(rules.iter().copied())
        .collect();
    resource(&all, ssm)
}
