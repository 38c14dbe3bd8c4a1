//! Waiting for a key to be `Enabled`.

use aws_sdk_kms::types::KeyState;
use aws_sdk_kms::Client;
use cfn_custom_resource::{aws_failure, retry, Failure, ReasonCode, RequestContext, RetryPolicy};

/// A key read back as `Enabled`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnabledKey {
    /// The key's ARN.
    pub arn: String,
    /// The key's id.
    pub key_id: String,
}

/// Polls `DescribeKey` until the key is `Enabled`.
///
/// `Creating`, `Updating` and not-yet-found are retried until `policy.max_wait` (or the
/// deadline); `Disabled`, `PendingDeletion`, `PendingReplicaDeletion`, `PendingImport`
/// and `Unavailable` fail at once with `NOT_ACTIVE`.
pub async fn wait_until_enabled(
    client: &Client,
    context: &RequestContext,
    policy: RetryPolicy,
    key_id: &str,
) -> Result<EnabledKey, Failure> {
    let what = format!("waiting for key {key_id} to be Enabled");
    context.step(what.clone());
    retry(context, policy, &what, || describe_enabled(client, key_id)).await
}

async fn describe_enabled(client: &Client, key_id: &str) -> Result<EnabledKey, Failure> {
    let output = client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .map_err(|error| {
            let failure = aws_failure(&error, "kms", "DescribeKey");
            if failure.code() == ReasonCode::NotFound {
                // A key or alias created moments ago may not be visible yet.
                failure
                    .context(format!("key {key_id} not found"))
                    .retryable()
            } else {
                failure
            }
        })?;
    let metadata = output.key_metadata.ok_or_else(|| {
        Failure::new(
            ReasonCode::ServiceError,
            "DescribeKey returned no KeyMetadata",
        )
    })?;
    let arn = metadata
        .arn
        .clone()
        .unwrap_or_else(|| metadata.key_id.clone());
    match metadata.key_state {
        Some(KeyState::Enabled) => Ok(EnabledKey {
            arn,
            key_id: metadata.key_id,
        }),
        Some(state @ (KeyState::Creating | KeyState::Updating)) => Err(Failure::new(
            ReasonCode::NotActive,
            format!("key {arn} is still {state}"),
        )
        .retryable()),
        Some(state) => Err(Failure::new(
            ReasonCode::NotActive,
            format!("key {arn} is {state}; it must be Enabled"),
        )),
        None => Err(Failure::new(
            ReasonCode::NotActive,
            format!("key {arn} reports no KeyState"),
        )),
    }
}
