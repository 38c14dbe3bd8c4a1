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
use cfn_custom_resource_kit::{
    parse_properties, Backoff, CustomResource, Failure, Ledger, Outcome, ReasonCode, RequestType,
    ResourceProperties,
};

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

/// A Create of `resource` with `properties` and `time` left (the kit's `create` has 30 s).
pub async fn create_within<R: CustomResource>(
    resource: &R,
    time: Duration,
    properties: serde_json::Value,
) -> Result<Outcome, Failure> {
    let context = testing::context(RequestType::Create, time);
    resource
        .create(&context, testing::properties(properties))
        .await
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

/// Asserts that `failure` has `code` and that its message says each of `says`.
pub fn assert_fails_with(failure: &Failure, code: ReasonCode, says: &[&str]) {
    assert_eq!(failure.code(), code, "{failure}");
    for words in says {
        assert!(failure.message().contains(words), "{failure}");
    }
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
    let failure = create_within(resource, time, properties)
        .await
        .expect_err("throttled until the deadline");
    assert_fails_with(&failure, ReasonCode::Throttled, says);
    assert!(started.elapsed() <= time);
}

/// Every sample event under `events/<function>/` is a request of `resource_type` named
/// `<request-type>[-<variant>].json` whose properties (and old properties) parse, unless
/// the name ends in `bad-properties`; `create`, `update` and `delete` are there.
pub fn check_sample_events<P: ResourceProperties + std::fmt::Debug>(
    manifest_dir: &str,
    function: &str,
    resource_type: &str,
) {
    let dir = format!("{manifest_dir}/../../events/{function}");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let event: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let request_type = name.split('-').next().unwrap();
        assert_eq!(
            event["RequestType"].as_str().unwrap().to_lowercase(),
            request_type,
            "{name}"
        );
        assert_eq!(event["ResourceType"], resource_type, "{name}");
        let parsed = parse_properties::<P>(&event["ResourceProperties"]);
        if name.ends_with("bad-properties") {
            assert_eq!(
                parsed.unwrap_err().code(),
                ReasonCode::InvalidProperties,
                "{name}"
            );
        } else {
            parsed.unwrap_or_else(|failure| panic!("{name}: {failure}"));
        }
        if let Some(old) = event.get("OldResourceProperties") {
            parse_properties::<P>(old).unwrap();
        }
        names.push(name);
    }
    for needed in ["create", "update", "delete"] {
        assert!(
            names.iter().any(|n| n == needed),
            "{needed}.json is missing"
        );
    }
}
