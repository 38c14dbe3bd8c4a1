//! KmsReady's SDK call sequences, against `aws-smithy-mocks`.

use std::time::Duration;

use aws_sdk_kms::config::retry::RetryConfig;
use aws_sdk_kms::error::ErrorMetadata;
use aws_sdk_kms::operation::describe_key::{DescribeKeyError, DescribeKeyOutput};
use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
use aws_sdk_kms::types::error::NotFoundException;
use aws_sdk_kms::types::{KeyMetadata, KeySpec, KeyState, KeyUsageType};
use aws_sdk_kms::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use cfn_custom_resource_kit::testing::{assert_failed, create, delete, update};
use cfn_custom_resource_kit::{Backoff, Failure, Outcome, ReasonCode};
use serde_json::json;
use tokio::time::Instant;

use super::*;

const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
/// The same key's ARN in another account.
const FOREIGN_ARN: &str =
    "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// `DescribeKey`'s answer for a key of `arn` in `state`, with a spec and usage if given.
fn key_of(arn: &str, state: KeyState, kind: Option<(KeySpec, KeyUsageType)>) -> DescribeKeyOutput {
    let (spec, usage) = kind.unzip();
    DescribeKeyOutput::builder()
        .key_metadata(
            KeyMetadata::builder()
                .key_id(KEY_ID)
                .arn(arn)
                .key_state(state)
                .set_key_spec(spec)
                .set_key_usage(usage)
                .build()
                .unwrap(),
        )
        .build()
}

fn key(state: KeyState) -> DescribeKeyOutput {
    key_of(ARN, state, None)
}

fn error(code: &str, message: &str) -> DescribeKeyError {
    DescribeKeyError::generic(ErrorMetadata::builder().code(code).message(message).build())
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
    error("ThrottlingException", "Rate exceeded")
}

/// What `DescribeKey` answers before the key is Enabled.
#[derive(Clone, Copy, Debug)]
enum Before {
    Creating,
    NotFound,
    Throttled,
}

/// `DescribeKey` answering `before` `times` times, then an Enabled key.
fn enabled_after(before: Before, times: usize) -> Rule {
    let mut answers = mock!(Client::describe_key).sequence();
    for _ in 0..times {
        answers = match before {
            Before::Creating => answers.output(|| key(KeyState::Creating)),
            Before::NotFound => answers.error(not_found),
            Before::Throttled => answers.error(throttled),
        };
    }
    answers.output(|| key(KeyState::Enabled)).build()
}

/// A resource whose client answers with `rules` in turn.
fn resource(rules: &[&Rule]) -> KmsReady {
    with_client(mock_client!(
        aws_sdk_kms,
        RuleMode::Sequential,
        rules,
        |config| config.retry_config(RetryConfig::disabled())
    ))
}

/// A resource whose client answers each call with the rule that matches it.
fn resource_matching(rules: &[&Rule]) -> KmsReady {
    with_client(mock_client!(aws_sdk_kms, RuleMode::MatchAny, rules))
}

fn with_client(client: Client) -> KmsReady {
    KmsReady::with_backoff(
        client,
        Backoff::new(Duration::from_millis(2), Duration::from_millis(10)),
    )
}

/// An Enabled key whose `GetKeyPolicy` answers `policy`, and that call's rule.
fn policy_resource(policy: serde_json::Value) -> (KmsReady, Rule) {
    let describe = mock!(Client::describe_key).then_output(|| key(KeyState::Enabled));
    let get_policy = mock!(Client::get_key_policy).then_output(move || {
        GetKeyPolicyOutput::builder()
            .policy(policy.to_string())
            .build()
    });
    (resource_matching(&[&describe, &get_policy]), get_policy)
}

/// A Create of `resource` for `key` that `principal` must be able to use.
async fn create_requiring(
    resource: &KmsReady,
    key: &str,
    principal: &str,
) -> Result<Outcome, Failure> {
    create(
        resource,
        json!({"KeyId": key, "RequiredServicePrincipals": [principal]}),
    )
    .await
}

fn policy_for(service: &str) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "svc", "Effect": "Allow", "Principal": {"Service": service}, "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], "Resource": "*"}
    ]})
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

/// A key that is not there yet, not Enabled yet, or behind throttling is asked again;
/// a zero MaxWaitSeconds still retries throttling within the deadline.
#[tokio::test]
async fn passing_states_and_errors_are_retried_until_the_key_is_enabled() {
    // What DescribeKey answers first, how often, the MaxWaitSeconds, the calls made.
    let cases = [
        (Before::Creating, 2, "300", 3),
        (Before::NotFound, 1, "300", 2),
        (Before::Throttled, 3, "300", 4),
        (Before::Throttled, 4, "0", 5),
    ];
    for (before, times, max_wait, calls) in cases {
        let describe = enabled_after(before, times);
        let outcome = create(
            &resource(&[&describe]),
            json!({"KeyId": KEY_ID, "MaxWaitSeconds": max_wait}),
        )
        .await
        .unwrap();
        let case = format!("{before:?} {times} times, MaxWaitSeconds {max_wait}");
        assert_eq!(outcome.data["KeyState"], "Enabled", "{case}");
        assert_eq!(describe.num_calls(), calls, "{case}");
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
    let answer = create(
        &resource(&[&describe]),
        json!({"KeyId": "alias/new", "MaxWaitSeconds": 1}),
    )
    .await;
    let failure = assert_failed(answer, ReasonCode::NotFound, &["(kms:DescribeKey)"]);
    assert!(
        failure
            .message()
            .starts_with("gave up after 1 s waiting for key alias/new to be Enabled"),
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
    let answer = create(
        &resource(&[&describe]),
        json!({"KeyId": KEY_ID, "MaxWaitSeconds": "0"}),
    )
    .await;
    assert_failed(answer, ReasonCode::NotActive, &["is still Creating"]);
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test]
async fn access_denied_is_reported_at_once() {
    let describe =
        mock!(Client::describe_key).then_error(|| error("AccessDeniedException", "not authorized"));
    let answer = create(&resource(&[&describe]), json!({"KeyId": KEY_ID})).await;
    assert_failed(answer, ReasonCode::AccessDenied, &["kms:DescribeKey"]);
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test]
async fn an_asymmetric_or_hmac_key_is_not_active_naming_its_spec_and_usage() {
    for (spec, usage) in [
        (KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt),
        (KeySpec::EccNistP256, KeyUsageType::SignVerify),
        (KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac),
    ] {
        let (shown_spec, shown_usage) = (spec.as_str().to_owned(), usage.as_str().to_owned());
        let describe = mock!(Client::describe_key).then_output(move || {
            key_of(ARN, KeyState::Enabled, Some((spec.clone(), usage.clone())))
        });
        let answer = create(&resource(&[&describe]), json!({"KeyId": KEY_ID})).await;
        assert_failed(answer, ReasonCode::NotActive, &[&shown_spec, &shown_usage]);
    }
}

#[tokio::test]
async fn required_principals_are_checked_against_the_key_policy() {
    let describe = mock!(Client::describe_key).then_output(|| key(KeyState::Enabled));
    let get_policy = mock!(Client::get_key_policy)
        .match_requests(|req| req.key_id() == Some(ARN) && req.policy_name() == Some("default"))
        .then_output(|| {
            GetKeyPolicyOutput::builder()
                .policy(policy_for("logs.us-east-1.amazonaws.com").to_string())
                .build()
        });
    let resource = resource_matching(&[&describe, &get_policy]);
    create_requiring(&resource, KEY_ID, "logs.us-east-1.amazonaws.com")
        .await
        .unwrap();
    let answer = create_requiring(&resource, KEY_ID, "config.amazonaws.com").await;
    assert_failed(
        answer,
        ReasonCode::NotActive,
        &["config.amazonaws.com: no Allow gives it kms:Decrypt, kms:GenerateDataKey (AWS Config needs"],
    );
    assert_eq!(get_policy.num_calls(), 2);
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
    let answer = create(
        &resource,
        json!({"KeyId": KEY_ID, "RequiredServicePrincipals": principals}),
    )
    .await;
    assert_failed(
        answer,
        ReasonCode::NotActive,
        &[
            "no Allow gives it kms:Decrypt",
            "the default for a service not in the table",
        ],
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
    let outcome = create_requiring(&resource, KEY_ID, "config.amazonaws.com")
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
    let describe =
        mock!(Client::describe_key).then_output(|| key_of(FOREIGN_ARN, KeyState::Enabled, None));
    let get_policy =
        mock!(Client::get_key_policy).then_output(|| GetKeyPolicyOutput::builder().build());
    let resource = resource_matching(&[&describe, &get_policy]);
    let answer = create_requiring(&resource, FOREIGN_ARN, "config.amazonaws.com").await;
    assert_failed(
        answer,
        ReasonCode::Unsupported,
        &[
            "belongs to account 210987654321",
            "checked that it is Enabled",
            "GetKeyPolicy works only in the key's own account",
        ],
    );
    assert_eq!(get_policy.num_calls(), 0);
    // Without principals to check, another account's key is simply checked for state.
    create(&resource, json!({"KeyId": FOREIGN_ARN}))
        .await
        .unwrap();
}

#[tokio::test]
async fn no_policy_call_without_required_principals() {
    let (resource, get_policy) = policy_resource(json!({}));
    create(&resource, json!({"KeyId": KEY_ID})).await.unwrap();
    assert_eq!(get_policy.num_calls(), 0);
}

#[tokio::test]
async fn update_never_asks_for_a_replacement() {
    let describe = mock!(Client::describe_key).then_output(|| key(KeyState::Enabled));
    let outcome = update(&resource(&[&describe]), json!({"KeyId": KEY_ID}))
        .await
        .unwrap();
    assert_eq!(outcome.replacement(), None);
}

#[tokio::test]
async fn delete_calls_nothing_and_succeeds() {
    let describe = mock!(Client::describe_key).then_output(|| key(KeyState::Enabled));
    let outcome = delete(&resource(&[&describe]), None).await.unwrap();
    assert_eq!(outcome.replacement(), None);
    assert_eq!(describe.num_calls(), 0);
}
