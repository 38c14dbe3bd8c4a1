//! `Custom::SecurityHubEnable`: enables Security Hub CSPM in the account and region (or
//! adopts the hub that is there), brings the settings the properties name to their
//! values, and on Delete disables only a hub this resource enabled.
//!
//! Whose hub it is: `DescribeHub` is read first. Not subscribed: the resource records
//! in the ownership ledger that it owns the hub (before calling `EnableSecurityHub`) and
//! enables it. Subscribed and not in the ledger: adopted, never disabled. The enable
//! call's own answer never decides (an "already subscribed" after a lost answer is ours).

mod hub;
mod properties;
mod runbook;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_securityhub::Client;
use cfn_custom_resource_kit::{
    Backoff, CustomResource, DeletePlan, Failure, Ledger, Outcome, RequestContext, SdkConfig,
};

use hub::{differences, Hub, HubApi};
use properties::HubProperties;
use securityhub_common::{erase_ownership, plan_delete, read_ownership};

/// The ledger kind and name under which the resource records that it enabled the hub.
const HUB_KIND: &str = "hub";
/// The hub's name in the ledger (Security Hub CSPM has one hub per account and region).
const HUB_NAME: &str = "default";

/// The `Custom::SecurityHubEnable` resource over a Security Hub client and the ledger.
#[derive(Clone, Debug)]
pub struct SecurityHubEnable {
    hub: HubApi,
    ledger: Ledger,
}

impl SecurityHubEnable {
    /// The resource on `aws` (its region decides partition and region), with its ledger
    /// under `/cfn-custom-resource-kit/securityhub-enable/`, polling with the default
    /// backoff (0.5 s doubling to 5 s).
    pub fn new(aws: &SdkConfig) -> Self {
        Self::with_backoff(
            Client::new(aws),
            Ledger::new(aws_sdk_ssm::Client::new(aws), "securityhub-enable"),
            Backoff::new(Duration::from_millis(500), Duration::from_secs(5)),
        )
    }

    /// A resource with an explicit polling backoff.
    pub fn with_backoff(securityhub: Client, ledger: Ledger, backoff: Backoff) -> Self {
        Self {
            hub: HubApi::new(securityhub, backoff),
            ledger: ledger.with_singleton(HUB_KIND, &[HUB_KIND]),
        }
    }

    /// Create and Update: enable or adopt, converge settings and tags, report `Data`.
    async fn converge(
        &self,
        context: &RequestContext,
        properties: &HubProperties,
        old: Option<&HubProperties>,
    ) -> Result<Outcome, Failure> {
        // The record first: one of another stack's resource refuses before any other call.
        let mut ownership = read_ownership(&self.ledger, context, properties.on_delete).await?;
        context.step("reading the hub (DescribeHub)");
        let found = self.hub.describe(context).await?;
        let hub = match found {
            Some(hub) => hub,
            None => {
                context.step("recording that this resource enables the hub");
                let claim = [(HUB_KIND, HUB_NAME)];
                let ours = self
                    .ledger
                    .claim_singleton(context, &mut ownership, HUB_KIND, &claim, &[])
                    .await?;
                if ours {
                    context.step("enabling Security Hub (EnableSecurityHub)");
                    if let Err(failure) = self.hub.enable(context, properties).await {
                        let ledger = &self.ledger;
                        return Err(ledger
                            .abandon(context, &mut ownership, &claim, failure)
                            .await);
                    }
                    context.step("waiting for the hub to show as enabled");
                } else {
                    // Another stack's resource claimed it first and is enabling it: adopt
                    // what it enables rather than enable it too.
                    context.step("waiting for the hub another resource is enabling");
                }
                self.hub.wait_until_enabled(context).await?
            }
        };
        let adopted = !ownership.owns(HUB_KIND, HUB_NAME);

        let differing = differences(&hub, properties);
        let hub =
            if differing.is_empty() {
                hub
            } else {
                context.step("updating the hub's settings (UpdateSecurityHubConfiguration)");
                self.hub
                    .update_settings(context, properties, &differing)
                    .await?;
                context.step("waiting for the new settings to show (DescribeHub)");
                let updated = self.hub.wait_for_settings(context, properties).await?;
                let expected = hub::expected_after_update(&hub, properties);
                let changed = differences(&updated, &expected);
                if changed.is_empty() {
                    updated
                } else {
                    // A setting the properties leave unset moved with the update: put it back.
                    context.step(format!(
                    "restoring what the update changed though the properties leave it unset ({})",
                    changed.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                ));
                    self.hub
                        .update_settings(context, &expected, &changed)
                        .await?;
                    self.hub.wait_for_settings(context, &expected).await?
                }
            };

        self.converge_tags(context, &hub, properties, old).await?;
        context.step_done();
        let how = if adopted {
            "adopted (enabled before this resource; Delete leaves it enabled)"
        } else {
            "enabled by this resource"
        };
        Ok(Outcome::new()
            .with_data("HubArn", &hub.arn)
            .with_data("SubscribedAt", &hub.subscribed_at)
            .with_data("Adopted", adopted.to_string())
            .with_summary(format!("Security Hub {} is {how}", hub.arn)))
    }

    /// Sets the tags the properties name that `ListTagsForResource` does not show (after an
    /// enable that carried them, usually none), and removes the keys the old properties set
    /// and the new ones no longer name. Other tags are left alone.
    async fn converge_tags(
        &self,
        context: &RequestContext,
        hub: &Hub,
        properties: &HubProperties,
        old: Option<&HubProperties>,
    ) -> Result<(), Failure> {
        let dropped: Vec<String> = old
            .map(|old| {
                old.tags
                    .keys()
                    .filter(|key| !properties.tags.contains_key(*key))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if properties.tags.is_empty() && dropped.is_empty() {
            return Ok(());
        }
        context.step("reading the hub's tags (ListTagsForResource)");
        let current = self.hub.tags(context, &hub.arn).await?;
        let missing: BTreeMap<String, String> = properties
            .tags
            .iter()
            .filter(|(key, value)| current.get(*key) != Some(*value))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !missing.is_empty() {
            context.step("tagging the hub (TagResource)");
            self.hub.tag(context, &hub.arn, &missing).await?;
        }
        let stale: Vec<String> = dropped
            .into_iter()
            .filter(|key| current.contains_key(key))
            .collect();
        if !stale.is_empty() {
            context.step("removing tags the properties no longer name (UntagResource)");
            self.hub.untag(context, &hub.arn, &stale).await?;
        }
        Ok(())
    }
}

impl CustomResource for SecurityHubEnable {
    type Properties = HubProperties;
    const RUNBOOK: &'static [cfn_custom_resource_kit::Remedy] = runbook::RUNBOOK;

    async fn create(
        &self,
        context: &RequestContext,
        properties: HubProperties,
    ) -> Result<Outcome, Failure> {
        self.converge(context, &properties, None).await
    }

    /// The same convergence; the hub is an account singleton, so never a new physical id.
    async fn update(
        &self,
        context: &RequestContext,
        properties: HubProperties,
        old: Option<HubProperties>,
    ) -> Result<Outcome, Failure> {
        self.converge(context, &properties, old.as_ref()).await
    }

    /// Disables the hub only when this resource enabled it and `OnDelete` is `Disable`
    /// (also when the properties do not parse: the ledger decides). Adopted hubs stay.
    async fn delete(
        &self,
        context: &RequestContext,
        properties: Option<HubProperties>,
    ) -> Result<Outcome, Failure> {
        let on_delete = properties.map(|p| p.on_delete);
        let ownership = match plan_delete(&self.ledger, context, on_delete).await? {
            DeletePlan::Remove(ownership) => ownership,
            DeletePlan::Keep(outcome) => return Ok(outcome),
        };
        // No claim: the hub was adopted, or this Delete is a redelivery of one whose first
        // delivery disabled the hub and erased the record. The reason must be true of both.
        let summary = if !ownership.owns(HUB_KIND, HUB_NAME) {
            "this resource did not enable the hub, or an earlier delivery of this Delete already disabled it: nothing to do"
        } else {
            context.step("disabling Security Hub (DisableSecurityHub)");
            self.hub.disable(context).await?;
            context.step("waiting for the hub to show as disabled (DescribeHub)");
            self.hub.wait_until_disabled(context).await?;
            "Security Hub disabled"
        };
        erase_ownership(&self.ledger, context, &ownership, summary).await
    }
}

#[cfg(test)]
mod tests;
