//! Waiting for a key to be `Enabled`.

use aws_sdk_kms::types::KeyState;
use aws_sdk_kms::Client;
use std::time::Duration;

use cfn_custom_resource_kit::{
    aws_failure, wait_until, Backoff, Failure, Probe, ReasonCode, RequestContext,
};

/// A key read back as `Enabled`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EnabledKey {
    /// The key's ARN.
    pub arn: String,
    /// The key's id.
    pub key_id: String,
    /// `KeySpec`, e.g. `SYMMETRIC_DEFAULT` (absent: not reported).
    pub key_spec: Option<String>,
    /// `KeyUsage`, e.g. `ENCRYPT_DECRYPT` (absent: not reported).
    pub key_usage: Option<String>,
}

impl EnabledKey {
    /// `Err` naming the spec and usage when the key cannot protect data keys: "You
    /// cannot use an asymmetric KMS key to encrypt data keys" (AWS KMS Developer Guide,
    /// data keys), and an HMAC key encrypts nothing. The services a baseline key serves
    /// (CloudWatch Logs, CloudTrail, AWS Config, SNS, S3) encrypt with data keys.
    pub(crate) fn check_protects_data_keys(&self) -> Result<(), Failure> {
        let spec = self.key_spec.as_deref().unwrap_or("SYMMETRIC_DEFAULT");
        let usage = self.key_usage.as_deref().unwrap_or("ENCRYPT_DECRYPT");
        if spec == "SYMMETRIC_DEFAULT" && usage == "ENCRYPT_DECRYPT" {
            return Ok(());
        }
        Err(Failure::new(
            ReasonCode::NotActive,
            format!(
                "key {} is a {spec} key for {usage}: services protect their data with data keys, which only a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT) can encrypt",
                self.arn
            ),
        ))
    }
}

/// Polls `DescribeKey` until the key is `Enabled`.
///
/// `Creating`, `Updating` and not-yet-found may last `max_wait` (capped by the
/// deadline); throttling and 5xx are retried until the deadline whatever `max_wait`
/// says; `Disabled`, `PendingDeletion`, `PendingReplicaDeletion`, `PendingImport` and
/// `Unavailable` fail at once with `NOT_ACTIVE`.
pub(crate) async fn wait_until_enabled(
    client: &Client,
    context: &RequestContext,
    backoff: Backoff,
    max_wait: Duration,
    key_id: &str,
) -> Result<EnabledKey, Failure> {
    let what = format!("waiting for key {key_id} to be Enabled");
    context.step(what.clone());
    wait_until(context, max_wait, backoff, &what, || {
        describe_enabled(client, key_id)
    })
    .await
}

async fn describe_enabled(client: &Client, key_id: &str) -> Result<Probe<EnabledKey>, Failure> {
    let output = match client.describe_key().key_id(key_id).send().await {
        Ok(output) => output,
        Err(error) => {
            let failure = aws_failure(&error, "kms", "DescribeKey");
            if failure.code() == ReasonCode::NotFound {
                // A key or alias created moments ago may not be visible yet.
                return Ok(Probe::NotYet(
                    failure.context(format!("key {key_id} not found")),
                ));
            }
            return Err(failure);
        }
    };
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
        Some(KeyState::Enabled) => Ok(Probe::Ready(EnabledKey {
            arn,
            key_id: metadata.key_id,
            key_spec: metadata.key_spec.map(|spec| spec.as_str().to_owned()),
            key_usage: metadata.key_usage.map(|usage| usage.as_str().to_owned()),
        })),
        Some(state @ (KeyState::Creating | KeyState::Updating)) => Ok(Probe::NotYet(Failure::new(
            ReasonCode::NotActive,
            format!("key {arn} is still {state}"),
        ))),
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
