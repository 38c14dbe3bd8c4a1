//! SecurityHubEnable's SDK call sequences, against `aws-smithy-mocks`: Security Hub in
//! strict order, SSM as a small in-memory parameter store holding the ownership ledger.
//! Here: the mocked answers every lifecycle's tests build on.

mod create;
mod delete;
mod errors;
mod settings;
mod update;

use std::time::Duration;

use aws_sdk_securityhub::operation::describe_hub::{DescribeHubError, DescribeHubOutput};
use aws_sdk_securityhub::operation::disable_security_hub::{
    DisableSecurityHubError, DisableSecurityHubOutput,
};
use aws_sdk_securityhub::operation::enable_security_hub::{
    EnableSecurityHubError, EnableSecurityHubOutput,
};
use aws_sdk_securityhub::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_securityhub::operation::update_security_hub_configuration::{
    UpdateSecurityHubConfigurationError, UpdateSecurityHubConfigurationOutput,
};
use aws_sdk_securityhub::types::ControlFindingGenerator as ApiGenerator;
use aws_sdk_securityhub::Client;
use aws_smithy_mocks::{mock, Rule};
use cfn_custom_resource_kit::testing::{context, properties, ParameterStore};
use cfn_custom_resource_kit::{CustomResource, Failure, Outcome, RequestType};
use securityhub_common::testing::{client, error, ledger, not_subscribed, quick_backoff};
use serde_json::json;

use super::*;

const HUB_ARN: &str = "arn:aws:securityhub:us-east-1:123456789012:hub/default";
const SUBSCRIBED_AT: &str = "2026-01-15T09:30:00.000Z";
/// The ledger's record that the hub is claimed, whoever holds it.
const HUB_SINGLETON: &str = "/test-ledger/singleton/hub";

/// `DescribeHub`'s answer for a hub with these settings.
fn hub(generator: ApiGenerator, auto_enable: bool) -> DescribeHubOutput {
    DescribeHubOutput::builder()
        .hub_arn(HUB_ARN)
        .subscribed_at(SUBSCRIBED_AT)
        .auto_enable_controls(auto_enable)
        .control_finding_generator(generator)
        .build()
}

fn describe_hub(generator: ApiGenerator, auto_enable: bool) -> Rule {
    mock!(Client::describe_hub).then_output(move || hub(generator.clone(), auto_enable))
}

/// `DescribeHub` answering `hub(generator, auto_enable)` from now on.
fn describe_hub_always(generator: ApiGenerator, auto_enable: bool) -> Rule {
    mock!(Client::describe_hub)
        .sequence()
        .output(move || hub(generator.clone(), auto_enable))
        .repeatedly()
        .build()
}

fn describe_not_subscribed() -> Rule {
    mock!(Client::describe_hub).then_error(|| DescribeHubError::generic(not_subscribed()))
}

/// The hub as a fresh one reads: consolidated findings, new controls enabled.
fn describe_default_hub() -> Rule {
    describe_hub(ApiGenerator::SecurityControl, true)
}

fn enable_refused(code: &'static str, message: &'static str) -> Rule {
    mock!(Client::enable_security_hub)
        .then_error(move || EnableSecurityHubError::generic(error(code, message)))
}

/// `UpdateSecurityHubConfiguration` sending exactly these settings.
fn update_settings(generator: Option<ApiGenerator>, auto_enable: Option<bool>) -> Rule {
    mock!(Client::update_security_hub_configuration)
        .match_requests(move |input| {
            input.control_finding_generator() == generator.as_ref()
                && input.auto_enable_controls() == auto_enable
        })
        .then_output(|| UpdateSecurityHubConfigurationOutput::builder().build())
}

fn update_refused(code: &'static str, message: &'static str) -> Rule {
    mock!(Client::update_security_hub_configuration)
        .then_error(move || UpdateSecurityHubConfigurationError::generic(error(code, message)))
}

fn disable_hub() -> Rule {
    mock!(Client::disable_security_hub).then_output(|| DisableSecurityHubOutput::builder().build())
}

fn disable_refused(code: &'static str, message: &'static str) -> Rule {
    mock!(Client::disable_security_hub)
        .then_error(move || DisableSecurityHubError::generic(error(code, message)))
}

fn tags_are(tags: &'static [(&'static str, &'static str)]) -> Rule {
    mock!(Client::list_tags_for_resource)
        .match_requests(|input| input.resource_arn() == Some(HUB_ARN))
        .then_output(move || {
            ListTagsForResourceOutput::builder()
                .set_tags(Some(
                    tags.iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                ))
                .build()
        })
}

/// The Security Hub calls of a Create that finds the hub enabled by someone else between
/// its read ("not subscribed") and its enable ("already subscribed"), then reads it back.
fn enabled_meanwhile() -> [Rule; 3] {
    [
        describe_not_subscribed(),
        enable_refused(
            "ResourceConflictException",
            "Account 123456789012 is already subscribed to Security Hub",
        ),
        describe_default_hub(),
    ]
}

/// The Security Hub calls of a Create that enables the hub: "not subscribed", the enable,
/// and the hub read back.
fn enabled_from_scratch() -> [Rule; 3] {
    [
        describe_not_subscribed(),
        mock!(Client::enable_security_hub)
            .then_output(|| EnableSecurityHubOutput::builder().build()),
        describe_default_hub(),
    ]
}

/// The Security Hub calls of a Delete that disables the hub and reads it back gone.
fn disabled() -> [Rule; 2] {
    [disable_hub(), describe_not_subscribed()]
}

/// SSM Parameter Store in memory (the kit's): the ledger's record and the other
/// parameters (the singleton record, other resources' records) survive between requests.
type Ssm = ParameterStore;

/// The record of a resource that enabled the hub.
trait HubRecord {
    fn owning_the_hub() -> Self;
    fn owns_the_hub(&self) -> bool;
}

impl HubRecord for Ssm {
    fn owning_the_hub() -> Self {
        Ssm::with_record(json!({"version": 1, "owned": {"hub": ["default"]}}))
    }

    fn owns_the_hub(&self) -> bool {
        self.owned("hub") == ["default"]
    }
}

fn resource(rules: &[&Rule], ssm: &Ssm) -> SecurityHubEnable {
    SecurityHubEnable::with_backoff(client("us-east-1", rules), ledger(ssm), quick_backoff())
}

/// An Update of `resource` from the `old` properties to `properties`.
async fn update_from(
    resource: &SecurityHubEnable,
    properties: serde_json::Value,
    old: serde_json::Value,
) -> Result<Outcome, Failure> {
    resource
        .update(
            &context(RequestType::Update, Duration::from_secs(30)),
            self::properties(properties),
            Some(self::properties(old)),
        )
        .await
}

/// Seconds since the epoch, as the ledger's singleton record keeps `claimedAt`.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
