//! `Custom::KmsReady`: succeeds once a KMS key is `Enabled` (and, optionally, its
//! policy lets the required service principals use it). Delete has nothing to undo.

mod key_policy;
mod key_state;
mod properties;

use aws_sdk_kms::Client;
use cfn_custom_resource_kit::{
    aws_failure, retry, Backoff, CustomResource, Failure, Outcome, ReasonCode, RequestContext,
};
use std::time::Duration;

pub use key_policy::{principals_without_use, USE_ACTIONS};
pub use key_state::EnabledKey;
pub use properties::{KmsReadyProperties, MAX_WAIT_LIMIT_SECONDS};

/// The `Custom::KmsReady` resource over a KMS client.
#[derive(Clone, Debug)]
pub struct KmsReady {
    client: Client,
    backoff: Backoff,
}

impl KmsReady {
    /// A resource using `client`, polling with the default backoff (0.25 s doubling to 5 s).
    pub fn new(client: Client) -> Self {
        Self::with_backoff(
            client,
            Backoff::new(Duration::from_millis(250), Duration::from_secs(5)),
        )
    }

    /// A resource with an explicit polling backoff.
    pub fn with_backoff(client: Client, backoff: Backoff) -> Self {
        Self { client, backoff }
    }

    /// Waits for the key, checks its policy and reports `Data`.
    async fn ensure_ready(
        &self,
        context: &RequestContext,
        properties: &KmsReadyProperties,
    ) -> Result<Outcome, Failure> {
        let key = key_state::wait_until_enabled(
            &self.client,
            context,
            self.backoff,
            Duration::from_secs(properties.max_wait_seconds),
            &properties.key_id,
        )
        .await?;
        key.check_protects_data_keys()?;
        if !properties.required_service_principals.is_empty() {
            self.check_policy(context, &key, &properties.required_service_principals)
                .await?;
        }
        context.step_done();
        Ok(Outcome::new()
            .with_data("KeyArn", &key.arn)
            .with_data("KeyId", &key.key_id)
            .with_data("KeyState", "Enabled")
            .with_summary(format!("key {} is Enabled", key.arn)))
    }

    async fn check_policy(
        &self,
        context: &RequestContext,
        key: &EnabledKey,
        required: &[String],
    ) -> Result<(), Failure> {
        context.step(format!("reading the key policy of {}", key.arn));
        let policy = retry(context, self.backoff, "reading the key policy", || async {
            self.client
                .get_key_policy()
                .key_id(&key.arn)
                .policy_name("default")
                .send()
                .await
                .map_err(|error| aws_failure(&error, "kms", "GetKeyPolicy"))
        })
        .await?
        .policy
        .unwrap_or_default();
        let missing = principals_without_use(&policy, required).map_err(|problem| {
            Failure::new(ReasonCode::NotActive, format!("{}: {problem}", key.arn))
        })?;
        if missing.is_empty() {
            return Ok(());
        }
        Err(Failure::new(
            ReasonCode::NotActive,
            format!(
                "the key policy of {} does not let {} use the key (needs {})",
                key.arn,
                missing.join(", "),
                USE_ACTIONS.join(" and ")
            ),
        ))
    }
}

impl CustomResource for KmsReady {
    type Properties = KmsReadyProperties;

    async fn create(
        &self,
        context: &RequestContext,
        properties: KmsReadyProperties,
    ) -> Result<Outcome, Failure> {
        self.ensure_ready(context, &properties).await
    }

    /// Waiting is never a replacement: the id stays, whichever key is named now.
    async fn update(
        &self,
        context: &RequestContext,
        properties: KmsReadyProperties,
        _old: Option<KmsReadyProperties>,
    ) -> Result<Outcome, Failure> {
        self.ensure_ready(context, &properties).await
    }

    async fn delete(
        &self,
        _context: &RequestContext,
        _properties: Option<KmsReadyProperties>,
    ) -> Result<Outcome, Failure> {
        Ok(Outcome::new().with_summary("nothing to undo"))
    }
}

#[cfg(test)]
mod tests;
