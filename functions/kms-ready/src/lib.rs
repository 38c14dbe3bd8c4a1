//! `Custom::KmsReady`: succeeds once a KMS key is `Enabled` (and, optionally, its
//! policy lets the required service principals use it). Delete has nothing to undo.

/// How KmsReady judges a key policy for a service principal; `baseline verify` judges the
/// baseline's keys with it, so the function and the check never disagree.
pub mod key_policy;
mod key_state;
mod properties;
mod runbook;

use aws_sdk_kms::Client;
use cfn_custom_resource_kit::{
    AwsApi, Backoff, CustomResource, Failure, Outcome, ReasonCode, RequestContext, SdkConfig,
};
use std::time::Duration;

use key_policy::{actions_for, assess, documented_needs};
use key_state::EnabledKey;
use properties::KmsReadyProperties;

/// The `Custom::KmsReady` resource over a KMS client.
#[derive(Clone, Debug)]
pub struct KmsReady {
    client: Client,
    backoff: Backoff,
}

impl KmsReady {
    /// The resource on `aws` (its region decides partition and region), polling with the
    /// default backoff (0.25 s doubling to 5 s).
    pub fn new(aws: &SdkConfig) -> Self {
        Self::with_backoff(
            Client::new(aws),
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
        let mut summary = format!("key {} is Enabled", key.arn);
        if !properties.required_service_principals.is_empty() {
            let uncertain = self.check_policy(context, &key, properties).await?;
            if !uncertain.is_empty() {
                summary.push_str(&format!("; not evaluated: {}", uncertain.join("; ")));
            }
        }
        context.step_done();
        Ok(Outcome::new()
            .with_data("KeyArn", &key.arn)
            .with_data("KeyId", &key.key_id)
            .with_data("KeyState", "Enabled")
            .with_summary(summary))
    }

    /// Checks that the key policy lets each required principal call what it needs;
    /// answers the `Deny` statements it could not evaluate (said in the answer).
    async fn check_policy(
        &self,
        context: &RequestContext,
        key: &EnabledKey,
        properties: &KmsReadyProperties,
    ) -> Result<Vec<String>, Failure> {
        // GetKeyPolicy: "Cross-account use: No. You cannot perform this operation on a
        // KMS key in a different AWS account." Say what was and was not checked.
        let key_account = key.arn.split(':').nth(4).unwrap_or_default();
        if key_account != context.account_id() {
            return Err(Failure::new(
                ReasonCode::Unsupported,
                format!(
                    "key {} belongs to account {key_account}: checked that it is Enabled and a symmetric encryption key; its key policy cannot be read from account {} (GetKeyPolicy works only in the key's own account), so RequiredServicePrincipals cannot be checked here: deploy this resource in account {key_account}, or leave RequiredServicePrincipals out",
                    key.arn,
                    context.account_id()
                ),
            ));
        }
        context.step(format!("reading the key policy of {}", key.arn));
        let policy = AwsApi::new("kms", self.backoff)
            .call(context, "GetKeyPolicy", "reading the key policy", || {
                self.client
                    .get_key_policy()
                    .key_id(&key.arn)
                    .policy_name("default")
                    .send()
            })
            .await?
            .policy
            .unwrap_or_default();
        let mut problems = Vec::new();
        let mut uncertain = Vec::new();
        for principal in &properties.required_service_principals {
            let actions = actions_for(principal, &properties.required_actions);
            let verdict = assess(&policy, principal, &actions).map_err(|problem| {
                Failure::new(ReasonCode::NotActive, format!("{}: {problem}", key.arn))
            })?;
            uncertain.extend(
                verdict
                    .uncertain
                    .iter()
                    .map(|u| format!("for {principal}, {u}")),
            );
            if verdict.may_use() {
                continue;
            }
            let needs = match (
                properties.required_actions.is_empty(),
                documented_needs(principal),
            ) {
                (true, Some(needs)) => format!(
                    "{} needs {} ({})",
                    needs.service,
                    actions.join(", "),
                    needs.source
                ),
                (true, None) => format!(
                    "needs {} (the default for a service not in the table)",
                    actions.join(", ")
                ),
                (false, _) => format!("RequiredActions: {}", actions.join(", ")),
            };
            let mut why = Vec::new();
            if !verdict.not_allowed.is_empty() {
                why.push(format!(
                    "no Allow gives it {}",
                    verdict.not_allowed.join(", ")
                ));
            }
            why.extend(verdict.denied_by);
            problems.push(format!("{principal}: {} ({needs})", why.join("; ")));
        }
        if problems.is_empty() {
            return Ok(uncertain);
        }
        Err(Failure::new(
            ReasonCode::NotActive,
            format!(
                "the key policy of {} does not let the service use the key: {}",
                key.arn,
                problems.join(" | ")
            ),
        ))
    }
}

/// Update is the kit's default, a Create with the new properties keeping the id (waiting is
/// never a replacement, whichever key is named now); so is Delete: nothing to undo.
impl CustomResource for KmsReady {
    type Properties = KmsReadyProperties;
    const RUNBOOK: &'static [cfn_custom_resource_kit::Remedy] = runbook::RUNBOOK;

    async fn create(
        &self,
        context: &RequestContext,
        properties: KmsReadyProperties,
    ) -> Result<Outcome, Failure> {
        self.ensure_ready(context, &properties).await
    }
}

#[cfg(test)]
mod tests;
