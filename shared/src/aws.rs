//! The AWS SDK configuration every function loads.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK's standard configuration (`AWS_REGION`, `AWS_ENDPOINT_URL[_<SERVICE>]`,
/// credentials) with the SDK's own retries off: [`crate::retry`] is the one place that
/// retries, bounded by the request's deadline. Each attempt is capped at 20 s.
pub async fn load_aws_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(20))
                .build(),
        )
        .load()
        .await
}
