//! SecurityHubEnable's SDK call sequences, against `aws-smithy-mocks`: Security Hub in
//! strict order, SSM as a small in-memory parameter store holding the ownership ledger.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_securityhub::config::retry::RetryConfig;
use aws_sdk_securityhub::error::ErrorMetadata;
use aws_sdk_securityhub::operation::describe_hub::{DescribeHubError, DescribeHubOutput};
use aws_sdk_securityhub::operation::disable_security_hub::{
    DisableSecurityHubError, DisableSecurityHubOutput,
};
use aws_sdk_securityhub::operation::enable_security_hub::{
    EnableSecurityHubError, EnableSecurityHubOutput,
};
use aws_sdk_securityhub::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_securityhub::operation::tag_resource::TagResourceOutput;
use aws_sdk_securityhub::operation::untag_resource::UntagResourceOutput;
use aws_sdk_securityhub::operation::update_security_hub_configuration::{
    UpdateSecurityHubConfigurationError, UpdateSecurityHubConfigurationOutput,
};
use aws_sdk_securityhub::types::ControlFindingGenerator as ApiGenerator;
use aws_sdk_securityhub::Client;
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};
use cfn_custom_resource_kit::testing::{
    assert_all_called, context, create, delete, properties, ParameterStore,
};
use cfn_custom_resource_kit::{
    Backoff, CustomResource, Ledger, ReasonCode, RequestContext, RequestType,
};
use serde_json::json;
use tokio::time::Instant;

use super::*;

const HUB_ARN: &str = "arn:aws:securityhub:us-east-1:123456789012:hub/default";
const SUBSCRIBED_AT: &str = "2026-01-15T09:30:00.000Z";
const NOT_SUBSCRIBED: &str = "Account 123456789012 is not subscribed to AWS Security Hub";

fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn hub(generator: &str, auto_enable: bool) -> DescribeHubOutput {
    DescribeHubOutput::builder()
        .hub_arn(HUB_ARN)
        .subscribed_at(SUBSCRIBED_AT)
        .auto_enable_controls(auto_enable)
        .control_finding_generator(ApiGenerator::from(generator))
        .build()
}

fn describe_hub(generator: &'static str, auto_enable: bool) -> Rule {
    mock!(Client::describe_hub).then_output(move || hub(generator, auto_enable))
}

fn describe_not_subscribed() -> Rule {
    mock!(Client::describe_hub)
        .then_error(|| DescribeHubError::generic(meta("InvalidAccessException", NOT_SUBSCRIBED)))
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
    let client = mock_client!(aws_sdk_securityhub, RuleMode::Sequential, rules, |config| {
        config.retry_config(RetryConfig::disabled())
    });
    SecurityHubEnable::with_backoff(
        client,
        Ledger::with_prefix(ssm.client(), "/test-ledger"),
        Backoff::new(Duration::from_millis(2), Duration::from_millis(10)),
    )
}

#[tokio::test]
async fn a_hub_not_subscribed_is_enabled_without_default_standards_and_owned() {
    let ssm = Ssm::new();
    let read = describe_not_subscribed();
    let enable = mock!(Client::enable_security_hub)
        .match_requests(|input| {
            input.enable_default_standards() == Some(false)
                && input.control_finding_generator().is_none()
                && input.tags().is_some_and(|tags| {
                    tags.len() == 1 && tags.get("Team").map(String::as_str) == Some("security")
                })
        })
        .then_output(|| EnableSecurityHubOutput::builder().build());
    let shows = describe_hub("SECURITY_CONTROL", true);
    let tags = tags_are(&[("Team", "security")]);
    let rules = [&read, &enable, &shows, &tags];
    let outcome = create(
        &resource(&rules, &ssm),
        json!({"Tags": {"Team": "security"}}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
    assert_eq!(outcome.data["HubArn"], HUB_ARN);
    assert_eq!(outcome.data["SubscribedAt"], SUBSCRIBED_AT);
    assert_eq!(outcome.data["Adopted"], "false");
    assert!(ssm.owns_the_hub(), "the claim is in the ledger");
}

#[tokio::test]
async fn the_ownership_claim_is_written_before_the_enable_call() {
    let ssm = Ssm::new();
    let record = ssm.record_reader();
    let read = describe_not_subscribed();
    let enable = mock!(Client::enable_security_hub).then_compute_response(move |_| {
        let claimed = record().is_some_and(|r| r["owned"]["hub"] == json!(["default"]));
        if claimed {
            MockResponse::Output(EnableSecurityHubOutput::builder().build())
        } else {
            MockResponse::Error(EnableSecurityHubError::generic(meta(
                "ValidationException",
                "the test saw EnableSecurityHub before the claim",
            )))
        }
    });
    let shows = describe_hub("SECURITY_CONTROL", true);
    let rules = [&read, &enable, &shows];
    create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_all_called(&rules);
}

#[tokio::test]
async fn enable_default_standards_is_sent_when_asked() {
    let ssm = Ssm::new();
    let read = describe_not_subscribed();
    let enable = mock!(Client::enable_security_hub)
        .match_requests(|input| {
            input.enable_default_standards() == Some(true)
                && input.control_finding_generator() == Some(&ApiGenerator::StandardControl)
                && input.tags().is_none()
        })
        .then_output(|| EnableSecurityHubOutput::builder().build());
    let shows = describe_hub("STANDARD_CONTROL", true);
    let rules = [&read, &enable, &shows];
    create(
        &resource(&rules, &ssm),
        json!({"EnableDefaultStandards": "true", "ControlFindingGenerator": "STANDARD_CONTROL"}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
}

#[tokio::test]
async fn a_subscribed_hub_is_adopted_and_not_recorded_as_owned() {
    let ssm = Ssm::new();
    let read = describe_hub("SECURITY_CONTROL", true);
    let rules = [&read];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_eq!(outcome.data["Adopted"], "true");
    assert_eq!(ssm.puts(), 0, "nothing is claimed for an adopted hub");
    assert_eq!(read.num_calls(), 1);
}

#[tokio::test]
async fn adoption_is_decided_by_the_first_read_when_the_enable_call_says_already_subscribed() {
    let ssm = Ssm::new();
    let [read, enable, shows] = enabled_meanwhile();
    let rules = [&read, &enable, &shows];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_all_called(&rules);
    assert_eq!(
        outcome.data["Adopted"], "false",
        "the read before the enable said not subscribed: ours"
    );
    assert!(ssm.owns_the_hub());
}

#[tokio::test]
async fn a_redelivered_create_finds_its_claim_and_does_not_call_the_hub_adopted() {
    let ssm = Ssm::owning_the_hub();
    let read = describe_hub("SECURITY_CONTROL", true);
    let rules = [&read];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_eq!(outcome.data["Adopted"], "false");
    assert_eq!(read.num_calls(), 1, "no second EnableSecurityHub");
}

#[tokio::test]
async fn a_differing_setting_is_updated_alone_and_read_back_after_its_delay() {
    let ssm = Ssm::new();
    let read = describe_hub("STANDARD_CONTROL", true);
    let update = mock!(Client::update_security_hub_configuration)
        .match_requests(|input| {
            input.control_finding_generator() == Some(&ApiGenerator::SecurityControl)
                && input.auto_enable_controls().is_none()
        })
        .then_output(|| UpdateSecurityHubConfigurationOutput::builder().build());
    let still_old = mock!(Client::describe_hub)
        .sequence()
        .output(|| hub("STANDARD_CONTROL", true))
        .times(2)
        .output(|| hub("SECURITY_CONTROL", true))
        .build();
    let rules = [&read, &update, &still_old];
    let outcome = create(
        &resource(&rules, &ssm),
        json!({"ControlFindingGenerator": "SECURITY_CONTROL", "AutoEnableControls": "true"}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
    assert_eq!(
        still_old.num_calls(),
        3,
        "polled until the new value showed"
    );
    assert_eq!(outcome.data["Adopted"], "true");
}

/// UpdateSecurityHubConfiguration documents no default for a field left out: only what
/// the properties name is sent, and both settings are read back. One the properties
/// leave unset that moved with the update is put back as it was.
#[tokio::test]
async fn an_unset_setting_the_update_changed_is_put_back() {
    let ssm = Ssm::new();
    let read = describe_hub("STANDARD_CONTROL", true);
    let update = mock!(Client::update_security_hub_configuration)
        .match_requests(|input| {
            input.control_finding_generator() == Some(&ApiGenerator::SecurityControl)
                && input.auto_enable_controls().is_none()
        })
        .then_output(|| UpdateSecurityHubConfigurationOutput::builder().build());
    let reset = describe_hub("SECURITY_CONTROL", false);
    let restore = mock!(Client::update_security_hub_configuration)
        .match_requests(|input| {
            input.auto_enable_controls() == Some(true)
                && input.control_finding_generator().is_none()
        })
        .then_output(|| UpdateSecurityHubConfigurationOutput::builder().build());
    let restored = describe_hub("SECURITY_CONTROL", true);
    let rules = [&read, &update, &reset, &restore, &restored];
    create(
        &resource(&rules, &ssm),
        json!({"ControlFindingGenerator": "SECURITY_CONTROL"}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
}

#[tokio::test]
async fn an_unset_property_leaves_the_hubs_value_alone() {
    let ssm = Ssm::new();
    let read = describe_hub("STANDARD_CONTROL", false);
    let rules = [&read];
    create(&resource(&rules, &ssm), json!({"Tags": {}}))
        .await
        .unwrap();
    assert_eq!(
        read.num_calls(),
        1,
        "no UpdateSecurityHubConfiguration, no tag calls"
    );
}

#[tokio::test]
async fn a_centrally_configured_account_refusing_the_change_is_org_managed_naming_what_differs() {
    let ssm = Ssm::new();
    let read = describe_hub("STANDARD_CONTROL", true);
    let refused = mock!(Client::update_security_hub_configuration).then_error(|| {
        UpdateSecurityHubConfigurationError::generic(meta(
            "AccessDeniedException",
            "Your account is managed by a central configuration policy; change the policy instead",
        ))
    });
    let rules = [&read, &refused];
    let failure = create(
        &resource(&rules, &ssm),
        json!({"ControlFindingGenerator": "SECURITY_CONTROL"}),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::OrgManaged, "{failure}");
    assert!(
        failure.message().contains(
            "ControlFindingGenerator is STANDARD_CONTROL, the properties ask for SECURITY_CONTROL"
        ),
        "{failure}"
    );
    assert!(
        failure.message().contains("central configuration"),
        "{failure}"
    );
    assert_eq!(refused.num_calls(), 1, "not retried");
}

#[tokio::test]
async fn a_member_account_refusing_the_change_is_org_managed() {
    let ssm = Ssm::new();
    let read = describe_hub("SECURITY_CONTROL", true);
    let refused = mock!(Client::update_security_hub_configuration).then_error(|| {
        UpdateSecurityHubConfigurationError::generic(meta(
            "InvalidAccessException",
            "Account 123456789012 is a member account; this setting can only be changed in the administrator account",
        ))
    });
    let rules = [&read, &refused];
    let failure = create(
        &resource(&rules, &ssm),
        json!({"AutoEnableControls": "false"}),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::OrgManaged, "{failure}");
    assert!(
        failure
            .message()
            .contains("AutoEnableControls is true, the properties ask for false"),
        "{failure}"
    );
}

#[tokio::test]
async fn an_iam_denial_of_the_change_is_access_denied_not_org_managed() {
    let ssm = Ssm::new();
    let read = describe_hub("SECURITY_CONTROL", true);
    let refused = mock!(Client::update_security_hub_configuration).then_error(|| {
        UpdateSecurityHubConfigurationError::generic(meta(
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/fn/x is not authorized to perform: securityhub:UpdateSecurityHubConfiguration",
        ))
    });
    let rules = [&read, &refused];
    let failure = create(
        &resource(&rules, &ssm),
        json!({"AutoEnableControls": "false"}),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::AccessDenied, "{failure}");
    assert!(
        failure
            .message()
            .contains("securityhub:UpdateSecurityHubConfiguration"),
        "{failure}"
    );
}

#[tokio::test]
async fn throttling_then_success_is_retried() {
    let ssm = Ssm::new();
    let read = mock!(Client::describe_hub)
        .sequence()
        .error(|| DescribeHubError::generic(meta("LimitExceededException", "Rate exceeded")))
        .times(3)
        .output(|| hub("SECURITY_CONTROL", true))
        .build();
    let rules = [&read];
    create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_eq!(read.num_calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn throttling_until_the_deadline_ends_in_throttled() {
    let ssm = Ssm::new();
    let read = mock!(Client::describe_hub)
        .sequence()
        .error(|| DescribeHubError::generic(meta("LimitExceededException", "Rate exceeded")))
        .repeatedly()
        .build();
    let rules = [&read];
    let started = Instant::now();
    let failure = resource(&rules, &ssm)
        .create(
            &context(RequestType::Create, Duration::from_secs(3)),
            properties(json!({})),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Throttled, "{failure}");
    assert!(
        failure.message().contains("still failing at the deadline"),
        "{failure}"
    );
    assert!(started.elapsed() <= Duration::from_secs(3));
    assert!(read.num_calls() > 3);
}

#[tokio::test(start_paused = true)]
async fn a_setting_that_never_shows_ends_in_timeout_at_the_deadline() {
    let ssm = Ssm::new();
    let read = describe_hub("SECURITY_CONTROL", true);
    let update = mock!(Client::update_security_hub_configuration)
        .then_output(|| UpdateSecurityHubConfigurationOutput::builder().build());
    let never = mock!(Client::describe_hub)
        .sequence()
        .output(|| hub("SECURITY_CONTROL", true))
        .repeatedly()
        .build();
    let rules = [&read, &update, &never];
    let failure = resource(&rules, &ssm)
        .create(
            &context(RequestType::Create, Duration::from_secs(20)),
            properties(json!({"AutoEnableControls": false})),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Timeout, "{failure}");
    assert!(
        failure
            .message()
            .contains("AutoEnableControls is true, the properties ask for false"),
        "{failure}"
    );
}

#[tokio::test]
async fn an_update_enables_again_a_hub_disabled_out_of_band_and_owns_it() {
    let ssm = Ssm::new();
    let [read, enable, shows] = enabled_from_scratch();
    let rules = [&read, &enable, &shows];
    let outcome = resource(&rules, &ssm)
        .update(
            &context(RequestType::Update, Duration::from_secs(30)),
            properties(json!({})),
            Some(properties(json!({}))),
        )
        .await
        .unwrap();
    assert_all_called(&rules);
    assert_eq!(outcome.data["Adopted"], "false");
    assert!(ssm.owns_the_hub());
}

#[tokio::test]
async fn an_update_sets_new_tags_and_removes_only_the_keys_it_set_before() {
    let ssm = Ssm::owning_the_hub();
    let read = describe_hub("SECURITY_CONTROL", true);
    let tags = tags_are(&[("Team", "security"), ("Old", "x"), ("Foreign", "y")]);
    let tag = mock!(Client::tag_resource)
        .match_requests(|input| {
            input.resource_arn() == Some(HUB_ARN)
                && input.tags()
                    == Some(&HashMap::from([("Team".to_owned(), "platform".to_owned())]))
        })
        .then_output(|| TagResourceOutput::builder().build());
    let untag = mock!(Client::untag_resource)
        .match_requests(|input| input.tag_keys() == ["Old".to_owned()])
        .then_output(|| UntagResourceOutput::builder().build());
    let rules = [&read, &tags, &tag, &untag];
    resource(&rules, &ssm)
        .update(
            &context(RequestType::Update, Duration::from_secs(30)),
            properties(json!({"Tags": {"Team": "platform"}})),
            Some(properties(
                json!({"Tags": {"Team": "security", "Old": "x", "Gone": "z"}}),
            )),
        )
        .await
        .unwrap();
    assert_all_called(&rules);
}

#[tokio::test]
async fn delete_disables_a_hub_this_resource_enabled_and_reads_it_back() {
    let ssm = Ssm::owning_the_hub();
    let disable = mock!(Client::disable_security_hub)
        .then_output(|| DisableSecurityHubOutput::builder().build());
    let gone = describe_not_subscribed();
    let rules = [&disable, &gone];
    delete(&resource(&rules, &ssm), Some(json!({})))
        .await
        .unwrap();
    assert_all_called(&rules);
    assert!(ssm.erased(), "the ownership record is erased");
}

#[tokio::test]
async fn delete_never_disables_an_adopted_hub() {
    let ssm = Ssm::new();
    let outcome = delete(&resource(&[], &ssm), Some(json!({}))).await.unwrap();
    assert!(
        outcome.summary.unwrap().contains("did not enable"),
        "no Security Hub call at all"
    );
}

#[tokio::test]
async fn delete_with_retain_leaves_an_owned_hub_enabled() {
    let ssm = Ssm::owning_the_hub();
    delete(&resource(&[], &ssm), Some(json!({"OnDelete": "Retain"})))
        .await
        .unwrap();
    assert!(ssm.erased());
}

#[tokio::test]
async fn delete_of_a_hub_already_disabled_succeeds() {
    let ssm = Ssm::owning_the_hub();
    let disable = mock!(Client::disable_security_hub).then_error(|| {
        DisableSecurityHubError::generic(meta("InvalidAccessException", NOT_SUBSCRIBED))
    });
    let gone = describe_not_subscribed();
    let rules = [&disable, &gone];
    delete(&resource(&rules, &ssm), Some(json!({})))
        .await
        .unwrap();
    assert_all_called(&rules);
}

#[tokio::test]
async fn delete_with_properties_that_do_not_parse_follows_the_recorded_choice() {
    let ssm =
        Ssm::with_record(json!({"version":1,"owned":{"hub":["default"]},"retainOnDelete":false}));
    let disable = mock!(Client::disable_security_hub)
        .then_output(|| DisableSecurityHubOutput::builder().build());
    let gone = describe_not_subscribed();
    let rules = [&disable, &gone];
    delete(&resource(&rules, &ssm), None).await.unwrap();
    assert_all_called(&rules);
}

#[tokio::test]
async fn delete_keeps_the_hub_when_the_choice_is_unknown() {
    // A record from before the choice was kept, and properties that do not parse.
    let ssm = Ssm::owning_the_hub();
    let rules: [&Rule; 0] = [];
    let outcome = delete(&resource(&rules, &ssm), None).await.unwrap();
    let summary = outcome.summary.unwrap();
    assert!(summary.contains("OnDelete is unknown"), "{summary}");
    assert!(ssm.erased());
}

#[tokio::test]
async fn a_recorded_retain_wins_over_the_deletes_properties() {
    let ssm =
        Ssm::with_record(json!({"version":1,"owned":{"hub":["default"]},"retainOnDelete":true}));
    let rules: [&Rule; 0] = [];
    let outcome = delete(
        &resource(&rules, &ssm),
        Some(json!({"OnDelete": "Disable"})),
    )
    .await
    .unwrap();
    assert!(outcome.summary.unwrap().contains("Retain"));
}

#[tokio::test]
async fn a_record_of_another_stack_is_neither_used_nor_erased() {
    let ssm = Ssm::with_record(
        json!({"version":1,"stackId":"arn:aws:cloudformation:us-east-1:123456789012:stack/other/1","logicalResourceId":"Hub","owned":{"hub":["default"]},"retainOnDelete":false}),
    );
    let rules: [&Rule; 0] = [];
    let outcome = delete(&resource(&rules, &ssm), Some(json!({})))
        .await
        .unwrap();
    assert!(outcome.summary.unwrap().contains("another stack"));
    assert!(ssm.owns_the_hub(), "the other stack's record stays");
    assert_eq!(ssm.deletes(), 0);
    let update = resource(&rules, &ssm)
        .update(
            &context(RequestType::Update, Duration::from_secs(30)),
            properties(json!({})),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(update.code(), ReasonCode::AccessDenied, "{update}");
}

#[tokio::test]
async fn an_administrator_with_members_refusing_delete_is_a_conflict_saying_what_to_do() {
    let ssm = Ssm::owning_the_hub();
    let words =
        "Account 123456789012 is the Security Hub administrator account for 2 member accounts";
    let disable = mock!(Client::disable_security_hub)
        .then_error(move || DisableSecurityHubError::generic(meta("InvalidInputException", words)));
    let rules = [&disable];
    let failure = delete(&resource(&rules, &ssm), Some(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Conflict, "{failure}");
    assert!(
        failure.message().contains(words),
        "the service's words: {failure}"
    );
    assert!(
        failure.message().contains("OnDelete: Retain")
            && failure.message().contains("disassociate"),
        "what to do: {failure}"
    );
    assert_eq!(disable.num_calls(), 1);
    assert!(ssm.owns_the_hub(), "the record stays for the next attempt");
}

#[tokio::test]
async fn a_member_account_refusing_delete_is_a_conflict() {
    let ssm = Ssm::owning_the_hub();
    let disable = mock!(Client::disable_security_hub).then_error(|| {
        DisableSecurityHubError::generic(meta(
            "InvalidAccessException",
            "Account 123456789012 is a member account of administrator 210987654321",
        ))
    });
    let rules = [&disable];
    let failure = delete(&resource(&rules, &ssm), Some(json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Conflict, "{failure}");
    assert!(failure
        .message()
        .contains("member account of administrator"));
    assert_eq!(disable.num_calls(), 1, "not retried");
}

#[test]
fn differences_name_only_the_settings_the_properties_name() {
    let found = Hub {
        arn: HUB_ARN.into(),
        subscribed_at: SUBSCRIBED_AT.into(),
        auto_enable_controls: Some(true),
        control_finding_generator: Some("STANDARD_CONTROL".into()),
    };
    assert!(differences(&found, &properties(json!({}))).is_empty());
    let both = differences(
        &found,
        &properties(
            json!({"ControlFindingGenerator": "SECURITY_CONTROL", "AutoEnableControls": false}),
        ),
    );
    assert_eq!(
        both.iter().map(|d| d.setting).collect::<Vec<_>>(),
        ["ControlFindingGenerator", "AutoEnableControls"]
    );
    assert!(differences(
        &found,
        &properties(
            json!({"ControlFindingGenerator": "STANDARD_CONTROL", "AutoEnableControls": true})
        )
    )
    .is_empty());
}

const HUB_SINGLETON: &str = "/test-ledger/singleton/hub";

/// The Security Hub calls of a Create that finds the hub enabled by someone else between
/// its read ("not subscribed") and its enable ("already subscribed"), then reads it back.
fn enabled_meanwhile() -> [Rule; 3] {
    [
        describe_not_subscribed(),
        mock!(Client::enable_security_hub).then_error(|| {
            EnableSecurityHubError::generic(meta(
                "ResourceConflictException",
                "Account 123456789012 is already subscribed to Security Hub",
            ))
        }),
        describe_hub("SECURITY_CONTROL", true),
    ]
}

/// The Security Hub calls of a Create that enables the hub: "not subscribed", the enable,
/// and the hub read back.
fn enabled_from_scratch() -> [Rule; 3] {
    [
        describe_not_subscribed(),
        mock!(Client::enable_security_hub)
            .then_output(|| EnableSecurityHubOutput::builder().build()),
        describe_hub("SECURITY_CONTROL", true),
    ]
}

#[tokio::test]
async fn a_hub_created_by_this_resource_takes_the_singleton_record() {
    let ssm = Ssm::new();
    let [read, enable, shows] = enabled_from_scratch();
    let rules = [&read, &enable, &shows];
    create(&resource(&rules, &ssm), json!({})).await.unwrap();
    let holder: serde_json::Value = serde_json::from_str(&ssm.others()[HUB_SINGLETON]).unwrap();
    assert!(holder["physicalId"]
        .as_str()
        .unwrap()
        .starts_with("test-TestResource-"));
    // Its Delete gives the singleton up with the record.
    let disable = mock!(Client::disable_security_hub)
        .then_output(|| DisableSecurityHubOutput::builder().build());
    let gone = describe_not_subscribed();
    let rules = [&disable, &gone];
    // (The Delete CloudFormation sends carries the id the Create answered.)
    let created = context(RequestType::Create, Duration::from_secs(30));
    let deleting = RequestContext::for_tests_of(
        RequestType::Delete,
        Some(created.physical_id()),
        Instant::now() + Duration::from_secs(30),
    );
    resource(&rules, &ssm)
        .delete(&deleting, Some(properties(json!({}))))
        .await
        .unwrap();
    assert_all_called(&rules);
    assert!(ssm.erased());
    assert!(ssm.others().is_empty(), "the singleton record is gone too");
}

#[tokio::test]
async fn a_second_stack_racing_for_the_hub_adopts_it() {
    // Another stack's resource claimed the hub a moment ago and is enabling it.
    let ssm = Ssm::new();
    ssm.seed(
        HUB_SINGLETON,
        json!({"physicalId": "other-Hub-0123456789ab", "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1", "logicalResourceId": "Hub", "claimedAt": now()}),
    );
    ssm.seed(
        "/test-ledger/resource/other-Hub-0123456789ab",
        json!({"version": 1, "owned": {"hub": ["default"], "singleton": ["hub"]}}),
    );
    // It reads "not subscribed", loses the claim, and waits for the other's hub: no
    // EnableSecurityHub of its own.
    let [read, _, shows] = enabled_meanwhile();
    let rules = [&read, &shows];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_eq!(outcome.data["Adopted"], "true", "the first claimer owns it");
    assert!(
        !ssm.owns_the_hub(),
        "this resource's record released its claim"
    );
    // So this resource's Delete never disables the hub the other stack relies on.
    let rules: [&Rule; 0] = [];
    delete(&resource(&rules, &ssm), Some(json!({})))
        .await
        .unwrap();
    assert!(
        ssm.others().contains_key(HUB_SINGLETON),
        "the other's claim stays"
    );
}

#[tokio::test]
async fn a_stale_singleton_record_is_taken_over() {
    // Its holder's record no longer lists the hub (deleted with Retain, say).
    let ssm = Ssm::new();
    ssm.seed(
        HUB_SINGLETON,
        json!({"physicalId": "gone-Hub-0123456789ab"}),
    );
    ssm.seed(
        "/test-ledger/resource/gone-Hub-0123456789ab",
        json!({"version": 1, "owned": {}}),
    );
    let [read, enable, shows] = enabled_from_scratch();
    let rules = [&read, &enable, &shows];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_eq!(outcome.data["Adopted"], "false");
    assert!(ssm.owns_the_hub());
    assert!(ssm.others()[HUB_SINGLETON].contains("test-TestResource-"));
}

#[tokio::test]
async fn a_refused_enable_leaves_no_claim_behind() {
    let ssm = Ssm::new();
    let read = describe_not_subscribed();
    let enable = mock!(Client::enable_security_hub).then_error(|| {
        EnableSecurityHubError::generic(meta(
            "AccessDeniedException",
            "not authorized to perform securityhub:EnableSecurityHub",
        ))
    });
    let rules = [&read, &enable];
    let failure = create(&resource(&rules, &ssm), json!({}))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::AccessDenied, "{failure}");
    assert!(!ssm.owns_the_hub(), "the claim was released");
    assert!(ssm.others().is_empty(), "the singleton record was released");
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_claim_older_than_any_request_whose_hub_is_gone_is_taken_over() {
    // The holder enabled the hub an hour ago; it was disabled out of band since.
    let ssm = Ssm::new();
    let other = "/test-ledger/resource/other-Hub-0123456789ab";
    ssm.seed(
        HUB_SINGLETON,
        json!({"physicalId": "other-Hub-0123456789ab", "claimedAt": now() - 3600}),
    );
    ssm.seed(
        other,
        json!({"version": 1, "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1", "logicalResourceId": "Hub", "owned": {"hub": ["default"], "singleton": ["hub"]}}),
    );
    let [read, enable, shows] = enabled_from_scratch();
    let rules = [&read, &enable, &shows];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_eq!(
        outcome.data["Adopted"], "false",
        "this resource enabled it: its own"
    );
    assert!(ssm.owns_the_hub());
    let forgotten: serde_json::Value = serde_json::from_str(&ssm.others()[other]).unwrap();
    assert_eq!(
        forgotten["owned"],
        json!({}),
        "the old holder's Delete will not disable it"
    );
    assert_eq!(
        forgotten["logicalResourceId"], "Hub",
        "the old record keeps its ids"
    );
}

#[tokio::test]
async fn a_claim_that_lost_the_race_never_makes_delete_disable_the_winners_hub() {
    // The claim could not be released after losing (a crash, throttling): the record
    // still says hub and singleton, but the singleton record names the winner.
    let ssm = Ssm::with_record(
        json!({"version":1,"owned":{"hub":["default"],"singleton":["hub"]},"retainOnDelete":false}),
    );
    ssm.seed(
        HUB_SINGLETON,
        json!({"physicalId": "winner-Hub-0123456789ab", "claimedAt": now()}),
    );
    let rules: [&Rule; 0] = [];
    let outcome = delete(&resource(&rules, &ssm), Some(json!({})))
        .await
        .unwrap();
    assert!(
        outcome.summary.unwrap().contains("did not enable"),
        "left as it is"
    );
    assert!(
        ssm.others().contains_key(HUB_SINGLETON),
        "the winner's singleton record stays"
    );
}
