//! KmsReady's SDK call sequences, against `aws-smithy-mocks`.

use std::time::Duration;

use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::error::ErrorMetadata;
use aws_sdk_kms::operation::describe_key::{DescribeKeyError, DescribeKeyOutput};
use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
use aws_sdk_kms::types::error::NotFoundException;
use aws_sdk_kms::types::{KeyMetadata, KeyState};
use aws_sdk_kms::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use cfn_custom_resource_kit::{
    parse_properties, Backoff, CustomResource, Failure, Outcome, ReasonCode, RequestContext,
    RequestType,
};
use serde_json::json;
use tokio::time::Instant;

use super::*;

const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn key(state: KeyState) -> DescribeKeyOutput {
    DescribeKeyOutput::builder()
        .key_metadata(
            KeyMetadata::builder()
                .key_id(KEY_ID)
                .arn(ARN)
                .key_state(state)
                .build()
                .unwrap(),
        )
        .build()
}

fn not_found() -> DescribeKeyError {
    DescribeKeyError::NotFoundException(
        NotFoundException::builder()
            .message("Alias arn:aws:kms:us-east-1:123456789012:alias/new is not found.")
            .meta(
                ErrorMetadata::builder()
                    .code("NotFoundException")
                    .message("Alias is not found.")
                    .build(),
            )
            .build(),
    )
}

fn throttled() -> DescribeKeyError {
    DescribeKeyError::generic(
        ErrorMetadata::builder()
            .code("ThrottlingException")
            .message("Rate exceeded")
            .build(),
    )
}

fn client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_kms, RuleMode::Sequential, rules, |config| config
        .retry_config(RetryConfig::disabled()))
}

fn resource(rules: &[&Rule]) -> KmsReady {
    KmsReady::with_backoff(
        client(rules),
        Backoff::new(Duration::from_millis(2), Duration::from_millis(10)),
    )
}

fn context() -> RequestContext {
    RequestContext::for_tests(Instant::now() + Duration::from_secs(30))
}

fn properties(value: serde_json::Value) -> KmsReadyProperties {
    parse_properties(&value).unwrap()
}

async fn create(resource: &KmsReady, value: serde_json::Value) -> Result<Outcome, Failure> {
    resource.create(&context(), properties(value)).await
}

#[tokio::test]
async fn an_enabled_key_succeeds_with_its_arn_in_data() {
    let describe = mock!(Client::describe_key)
        .match_requests(|req| req.key_id() == Some("alias/app"))
        .then_output(|| key(KeyState::Enabled));
    let outcome = create(&resource(&[&describe]), json!({"KeyId": "alias/app"}))
        .await
        .unwrap();
    assert_eq!(outcome.data["KeyArn"], ARN);
    assert_eq!(outcome.data["KeyId"], KEY_ID);
    assert_eq!(outcome.data["KeyState"], "Enabled");
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test]
async fn creating_then_enabled_waits_for_enabled() {
    let describe = mock!(Client::describe_key)
        .sequence()
        .output(|| key(KeyState::Creating))
        .times(2)
        .output(|| key(KeyState::Enabled))
        .build();
    let outcome = create(&resource(&[&describe]), json!({"KeyId": KEY_ID}))
        .await
        .unwrap();
    assert_eq!(outcome.data["KeyState"], "Enabled");
    assert_eq!(describe.num_calls(), 3);
}

#[tokio::test]
async fn not_found_then_found_is_retried() {
    let describe = mock!(Client::describe_key)
        .sequence()
        .error(not_found)
        .output(|| key(KeyState::Enabled))
        .build();
    create(&resource(&[&describe]), json!({"KeyId": "alias/new"}))
        .await
        .unwrap();
    assert_eq!(describe.num_calls(), 2);
}

#[tokio::test]
async fn throttling_then_success_is_retried() {
    let describe = mock!(Client::describe_key)
        .sequence()
        .error(throttled)
        .times(3)
        .output(|| key(KeyState::Enabled))
        .build();
    create(&resource(&[&describe]), json!({"KeyId": KEY_ID}))
        .await
        .unwrap();
    assert_eq!(describe.num_calls(), 4);
}

#[tokio::test]
async fn a_server_error_then_success_is_retried() {
    let describe = mock!(Client::describe_key)
        .sequence()
        .http_status(503, None)
        .output(|| key(KeyState::Enabled))
        .build();
    create(&resource(&[&describe]), json!({"KeyId": KEY_ID}))
        .await
        .unwrap();
    assert_eq!(describe.num_calls(), 2);
}

#[tokio::test]
async fn every_terminal_state_fails_at_once_with_not_active() {
    for state in [
        KeyState::Disabled,
        KeyState::PendingDeletion,
        KeyState::PendingReplicaDeletion,
        KeyState::PendingImport,
        KeyState::Unavailable,
    ] {
        let describe = mock!(Client::describe_key).then_output({
            let state = state.clone();
            move || key(state.clone())
        });
        let failure = create(&resource(&[&describe]), json!({"KeyId": KEY_ID}))
            .await
            .unwrap_err();
        assert_eq!(failure.code(), ReasonCode::NotActive, "{state}");
        assert!(
            failure.message().contains(&format!("is {state}")),
            "{failure}"
        );
        assert_eq!(describe.num_calls(), 1, "{state} must not be retried");
    }
}

#[tokio::test]
async fn a_key_that_never_appears_is_not_found_after_max_wait() {
    let describe = mock!(Client::describe_key)
        .sequence()
        .error(not_found)
        .repeatedly()
        .build();
    let started = Instant::now();
    let failure = create(
        &resource(&[&describe]),
        json!({"KeyId": "alias/new", "MaxWaitSeconds": 1}),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::NotFound);
    assert!(
        failure
            .message()
            .starts_with("gave up after 1 s waiting for key alias/new to be Enabled"),
        "{failure}"
    );
    assert!(
        failure.to_string().contains("(kms:DescribeKey)"),
        "{failure}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(describe.num_calls() > 2);
}

#[tokio::test]
async fn a_key_stuck_creating_is_not_active_after_max_wait() {
    let describe = mock!(Client::describe_key)
        .sequence()
        .output(|| key(KeyState::Creating))
        .repeatedly()
        .build();
    let failure = create(
        &resource(&[&describe]),
        json!({"KeyId": KEY_ID, "MaxWaitSeconds": "0"}),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::NotActive);
    assert!(failure.message().contains("is still Creating"), "{failure}");
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test]
async fn access_denied_is_reported_at_once() {
    let describe = mock!(Client::describe_key).then_error(|| {
        DescribeKeyError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized")
                .build(),
        )
    });
    let failure = create(&resource(&[&describe]), json!({"KeyId": KEY_ID}))
        .await
        .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::AccessDenied);
    assert!(failure.message().contains("kms:DescribeKey"), "{failure}");
    assert_eq!(describe.num_calls(), 1);
}

fn policy_for(service: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "svc", "Effect": "Allow", "Principal": {"Service": service}, "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], "Resource": "*"}
    ]})
    .to_string()
}

#[tokio::test]
async fn required_principals_are_checked_against_the_key_policy() {
    let describe = mock!(Client::describe_key).then_output(|| key(KeyState::Enabled));
    let get_policy = mock!(Client::get_key_policy)
        .match_requests(|req| req.key_id() == Some(ARN) && req.policy_name() == Some("default"))
        .then_output(|| {
            GetKeyPolicyOutput::builder()
                .policy(policy_for("logs.us-east-1.amazonaws.com"))
                .build()
        });
    let resource = KmsReady::with_backoff(
        mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&describe, &get_policy]),
        Backoff::new(Duration::from_millis(2), Duration::from_millis(10)),
    );
    create(
        &resource,
        json!({"KeyId": KEY_ID, "RequiredServicePrincipals": ["logs.us-east-1.amazonaws.com"]}),
    )
    .await
    .unwrap();
    let failure = create(
        &resource,
        json!({"KeyId": KEY_ID, "RequiredServicePrincipals": ["config.amazonaws.com"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::NotActive);
    assert!(
        failure.message().contains(
            "config.amazonaws.com: no Allow gives it kms:Decrypt, kms:GenerateDataKey (AWS Config needs"
        ),
        "{failure}"
    );
    assert_eq!(get_policy.num_calls(), 2);
}

fn policy_resource(policy: serde_json::Value) -> (KmsReady, Rule) {
    let describe = mock!(Client::describe_key).then_output(|| key(KeyState::Enabled));
    let get_policy = mock!(Client::get_key_policy).then_output(move || {
        GetKeyPolicyOutput::builder()
            .policy(policy.to_string())
            .build()
    });
    let resource = KmsReady::with_backoff(
        mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&describe, &get_policy]),
        Backoff::new(Duration::from_millis(2), Duration::from_millis(10)),
    );
    (resource, get_policy)
}

/// RequiredActions replaces the documented actions for every named principal.
#[tokio::test]
async fn required_actions_name_what_each_principal_must_be_allowed() {
    let (resource, _) = policy_resource(json!({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*"}
    ]}));
    let principals = json!(["events.amazonaws.com"]);
    create(
        &resource,
        json!({"KeyId": KEY_ID, "RequiredServicePrincipals": principals, "RequiredActions": ["kms:GenerateDataKey"]}),
    )
    .await
    .unwrap();
    let failure = create(
        &resource,
        json!({"KeyId": KEY_ID, "RequiredServicePrincipals": principals}),
    )
    .await
    .unwrap_err();
    assert!(
        failure.message().contains("no Allow gives it kms:Decrypt")
            && failure
                .message()
                .contains("the default for a service not in the table"),
        "{failure}"
    );
}

/// A Deny the check cannot evaluate does not fail the request, and is said.
#[tokio::test]
async fn a_deny_that_cannot_be_evaluated_is_named_in_the_answer() {
    let (resource, _) = policy_resource(json!({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"},
        {"Sid": "SourceOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:SourceAccount": "123456789012"}}}
    ]}));
    let outcome = create(
        &resource,
        json!({"KeyId": KEY_ID, "RequiredServicePrincipals": ["config.amazonaws.com"]}),
    )
    .await
    .unwrap();
    let summary = outcome.summary.unwrap_or_default();
    assert!(
        summary.contains("not evaluated: for config.amazonaws.com, statement \"SourceOnly\"")
            && summary.contains("aws:SourceAccount"),
        "{summary}"
    );
}

/// GetKeyPolicy: "Cross-account use: No." A key of another account is checked as far
/// as possible, and the answer says which check could not be made.
#[tokio::test]
async fn another_accounts_key_says_what_could_not_be_checked() {
    let describe = mock!(Client::describe_key).then_output(|| {
        DescribeKeyOutput::builder()
            .key_metadata(
                KeyMetadata::builder()
                    .key_id(KEY_ID)
                    .arn(ARN.replace("123456789012", "210987654321"))
                    .key_state(KeyState::Enabled)
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let get_policy =
        mock!(Client::get_key_policy).then_output(|| GetKeyPolicyOutput::builder().build());
    let resource = KmsReady::with_backoff(
        mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&describe, &get_policy]),
        Backoff::new(Duration::from_millis(2), Duration::from_millis(10)),
    );
    let failure = create(
        &resource,
        json!({"KeyId": ARN.replace("123456789012", "210987654321"), "RequiredServicePrincipals": ["config.amazonaws.com"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(failure.code(), ReasonCode::Unsupported, "{failure}");
    assert!(
        failure
            .message()
            .contains("belongs to account 210987654321")
            && failure.message().contains("checked that it is Enabled")
            && failure
                .message()
                .contains("GetKeyPolicy works only in the key's own account"),
        "{failure}"
    );
    assert_eq!(get_policy.num_calls(), 0);
    // Without principals to check, another account's key is simply checked for state.
    create(
        &resource,
        json!({"KeyId": ARN.replace("123456789012", "210987654321")}),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn no_policy_call_without_required_principals() {
    let describe = mock!(Client::describe_key).then_output(|| key(KeyState::Enabled));
    let get_policy =
        mock!(Client::get_key_policy).then_output(|| GetKeyPolicyOutput::builder().build());
    let resource = KmsReady::with_backoff(
        mock_client!(aws_sdk_kms, RuleMode::MatchAny, [&describe, &get_policy]),
        Backoff::new(Duration::from_millis(2), Duration::from_millis(10)),
    );
    create(&resource, json!({"KeyId": KEY_ID})).await.unwrap();
    assert_eq!(get_policy.num_calls(), 0);
}

#[tokio::test]
async fn update_never_asks_for_a_replacement() {
    let describe = mock!(Client::describe_key).then_output(|| key(KeyState::Enabled));
    let context = RequestContext::for_tests_of(
        RequestType::Update,
        Some("stack-KeyReady-000000000001"),
        Instant::now() + Duration::from_secs(30),
    );
    let outcome = resource(&[&describe])
        .update(&context, properties(json!({"KeyId": KEY_ID})), None)
        .await
        .unwrap();
    assert_eq!(outcome.replacement(), None);
}

#[tokio::test]
async fn delete_calls_nothing_and_succeeds() {
    let describe = mock!(Client::describe_key).then_output(|| key(KeyState::Enabled));
    let outcome = resource(&[&describe])
        .delete(&context(), None)
        .await
        .unwrap();
    assert_eq!(outcome.replacement(), None);
    assert_eq!(describe.num_calls(), 0);
}

#[tokio::test]
async fn a_zero_max_wait_still_retries_throttling_within_the_deadline() {
    let describe = mock!(Client::describe_key)
        .sequence()
        .error(throttled)
        .times(4)
        .output(|| key(KeyState::Enabled))
        .build();
    let outcome = create(
        &resource(&[&describe]),
        json!({"KeyId": KEY_ID, "MaxWaitSeconds": "0"}),
    )
    .await
    .unwrap();
    assert_eq!(outcome.data["KeyState"], "Enabled");
    assert_eq!(describe.num_calls(), 5);
}

#[tokio::test]
async fn an_asymmetric_or_hmac_key_is_not_active_naming_its_spec_and_usage() {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    for (spec, usage) in [
        (KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt),
        (KeySpec::EccNistP256, KeyUsageType::SignVerify),
        (KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac),
    ] {
        let (shown_spec, shown_usage) = (spec.as_str().to_owned(), usage.as_str().to_owned());
        let describe = mock!(Client::describe_key).then_output(move || {
            DescribeKeyOutput::builder()
                .key_metadata(
                    KeyMetadata::builder()
                        .key_id(KEY_ID)
                        .arn(ARN)
                        .key_state(KeyState::Enabled)
                        .key_spec(spec.clone())
                        .key_usage(usage.clone())
                        .build()
                        .unwrap(),
                )
                .build()
        });
        let failure = create(&resource(&[&describe]), json!({"KeyId": KEY_ID}))
            .await
            .unwrap_err();
        assert_eq!(failure.code(), ReasonCode::NotActive, "{failure}");
        assert!(
            failure.message().contains(&shown_spec) && failure.message().contains(&shown_usage),
            "{failure}"
        );
    }
}
