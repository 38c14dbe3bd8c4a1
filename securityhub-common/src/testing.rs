//! The functions' unit tests' Security Hub: `aws-smithy-mocks` rules answered in strict
//! order by a client without SDK retries (the kit decides), the ledger in the kit's
//! in-memory Parameter Store, and the service's error answers.

use std::time::Duration;

use aws_sdk_securityhub::config::retry::RetryConfig;
use aws_sdk_securityhub::config::Region;
use aws_sdk_securityhub::error::ErrorMetadata;
use aws_sdk_securityhub::Client;
use aws_smithy_mocks::{mock_client, Rule, RuleMode};
use cfn_custom_resource_kit::testing::{self, ParameterStore};
use cfn_custom_resource_kit::{Backoff, CustomResource, Ledger, ReasonCode};

/// The account of every test answer.
pub const ACCOUNT: &str = "123456789012";

/// Security Hub's words for an account without a hub (`InvalidAccessException`).
pub const NOT_SUBSCRIBED: &str = "Account 123456789012 is not subscribed to AWS Security Hub";

/// The ledger's parameter prefix in the tests.
pub const LEDGER_PREFIX: &str = "/test-ledger";

/// An error answer with `code` and `message`.
pub fn error(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

/// The answer of an account without a hub ([`NOT_SUBSCRIBED`]).
pub fn not_subscribed() -> ErrorMetadata {
    error("InvalidAccessException", NOT_SUBSCRIBED)
}

/// Security Hub's throttling answer (`LimitExceededException`, HTTP 429).
pub fn throttled() -> ErrorMetadata {
    error("LimitExceededException", "Rate exceeded")
}

/// A client in `region` answered by `rules` in order, with the SDK's own retries off.
pub fn client(region: &str, rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_securityhub, RuleMode::Sequential, rules, |config| {
        config
            .retry_config(RetryConfig::disabled())
            .region(Region::new(region.to_owned()))
    })
}

/// The ledger in `ssm` under [`LEDGER_PREFIX`].
pub fn ledger(ssm: &ParameterStore) -> Ledger {
    Ledger::with_prefix(ssm.client(), LEDGER_PREFIX)
}

/// A backoff that keeps tests on real time quick (2 ms doubling to 10 ms).
pub fn quick_backoff() -> Backoff {
    Backoff::new(Duration::from_millis(2), Duration::from_millis(10))
}

/// A Create of `resource` with `time` left that Security Hub throttles until the
/// deadline: `THROTTLED`, saying each of `says`, answered within `time`.
pub async fn assert_create_throttled_within<R: CustomResource>(
    resource: &R,
    time: Duration,
    properties: serde_json::Value,
    says: &[&str],
) {
    let started = tokio::time::Instant::now();
    let answer = testing::create_within(resource, time, properties).await;
    testing::assert_failed(answer, ReasonCode::Throttled, says);
    assert!(started.elapsed() <= time);
}
