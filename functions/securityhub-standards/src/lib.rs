//! `Custom::SecurityHubStandards`: enables Security Hub standards, waits until each is
//! `READY`, and disables on Update and Delete only the standards it enabled.
//!
//! Whose standard it is: `GetEnabledStandards` is read before anything is enabled. A
//! standard missing there is claimed in the ownership ledger (before the
//! `BatchEnableStandards` call) and enabled: owned. A standard already there and not in
//! the ledger is adopted: never disabled by this resource. The ledger survives Updates
//! and a redelivered Create (same PhysicalResourceId).

mod api;
mod catalog;
mod properties;
mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_securityhub::Client;
use cfn_custom_resource_kit::{
    wait_until, Backoff, CustomResource, DeletePlan, Failure, Ledger, Outcome, Ownership, Probe,
    ReasonCode, RequestContext,
};

pub use api::{
    is_not_subscribed, Pacer, StandardsApi, Subscription, ENABLE_INTERVAL, MAX_PER_CALL, PAGE_SIZE,
};
pub use catalog::{
    parse_arn, parse_short_id, partition_of, resolve, short_id_of, Location, StandardsArn, Wanted,
    KNOWN_SHORT_IDS,
};
pub use properties::{OnDelete, StandardsProperties};
pub use status::{describe_not_active, hint};

/// The ledger kind of an owned standard (named by its standards ARN).
pub const STANDARD_KIND: &str = "standard";

/// The `Custom::SecurityHubStandards` resource.
#[derive(Clone, Debug)]
pub struct SecurityHubStandards {
    api: StandardsApi,
    ledger: Ledger,
    location: Location,
    backoff: Backoff,
    enable_interval: Duration,
}

/// The enabled subscriptions by standards ARN.
type Enabled = BTreeMap<String, Subscription>;

impl SecurityHubStandards {
    /// A resource using `securityhub` (its region decides partition and region) and the
    /// ledger in SSM (`ssm`), polling with the default backoff (0.5 s doubling to 10 s).
    pub fn new(securityhub: Client, ssm: aws_sdk_ssm::Client) -> Self {
        Self::with_parts(
            securityhub,
            Ledger::new(ssm, "securityhub-standards"),
            Backoff::new(Duration::from_millis(500), Duration::from_secs(10)),
        )
    }

    /// A resource with an explicit ledger and polling backoff.
    pub fn with_parts(securityhub: Client, ledger: Ledger, backoff: Backoff) -> Self {
        let region = securityhub
            .config()
            .region()
            .map(|region| region.as_ref().to_owned())
            .unwrap_or_default();
        Self {
            api: StandardsApi::new(securityhub, backoff),
            ledger,
            location: Location::of_region(&region),
            backoff,
            enable_interval: ENABLE_INTERVAL,
        }
    }

    /// Where the resource runs (partition and region).
    pub fn location(&self) -> &Location {
        &self.location
    }

    async fn read_enabled(&self, context: &RequestContext) -> Result<Enabled, Failure> {
        let subscriptions = self.api.enabled(context, false).await?.unwrap_or_default();
        Ok(subscriptions
            .into_iter()
            .map(|s| (s.standards_arn.clone(), s))
            .collect())
    }

    /// Create and Update: enable what is missing, repair owned `INCOMPLETE` standards,
    /// disable what was removed and is owned, wait for `READY`.
    async fn converge(
        &self,
        context: &RequestContext,
        properties: &StandardsProperties,
    ) -> Result<Outcome, Failure> {
        context.step("resolving the standards (DescribeStandards)");
        let listed = self.api.describe_standards(context).await?;
        let wanted = resolve(&properties.standards, &listed, &self.location)?;
        context.step("reading the ownership record");
        let mut ownership = self.ledger.read(context).await?;
        let retain = properties.on_delete == OnDelete::Retain;
        self.ledger
            .record_on_delete(context, &mut ownership, retain)
            .await?;
        context.step("reading the enabled standards (GetEnabledStandards)");
        let mut enabled = self.read_enabled(context).await?;
        let pacer = Pacer::new(self.enable_interval);

        self.clear_the_way(context, &wanted, &ownership, &mut enabled)
            .await?;
        let missing: Vec<&Wanted> = wanted
            .iter()
            .filter(|w| !enabled.contains_key(&w.arn))
            .collect();
        for chunk in missing.chunks(MAX_PER_CALL) {
            let names = short_ids(chunk.iter().copied());
            context.step(format!("recording ownership of {names}"));
            let claims: Vec<(&str, &str)> = chunk
                .iter()
                .map(|standard| (STANDARD_KIND, standard.arn.as_str()))
                .collect();
            self.ledger
                .claim_all(context, &mut ownership, &claims)
                .await?;
            context.step(format!("enabling {names} (BatchEnableStandards)"));
            let arns: Vec<String> = chunk.iter().map(|w| w.arn.clone()).collect();
            let subscriptions = match self.api.enable(context, &pacer, &arns).await {
                Ok(subscriptions) => subscriptions,
                Err(failure) => {
                    return Err(self
                        .ledger
                        .abandon(context, &mut ownership, &claims, failure)
                        .await)
                }
            };
            for subscription in subscriptions {
                enabled.insert(subscription.standards_arn.clone(), subscription);
            }
        }
        self.disable_removed(context, &wanted, &mut ownership, &enabled)
            .await?;

        let enabled = if properties.wait_for_ready {
            context.step(format!(
                "waiting until {} are READY (GetEnabledStandards)",
                short_ids(wanted.iter())
            ));
            self.wait_until_ready(context, &wanted, &ownership).await?
        } else if wanted.iter().all(|w| enabled.contains_key(&w.arn)) {
            enabled
        } else {
            context.step("reading the new subscriptions (GetEnabledStandards)");
            self.read_enabled(context).await?
        };
        context.step_done();

        let subscription_arns: Vec<&str> = wanted
            .iter()
            .map(|w| {
                enabled
                    .get(&w.arn)
                    .map_or("", |s| s.subscription_arn.as_str())
            })
            .collect();
        let adopted: Vec<&str> = wanted
            .iter()
            .filter(|w| !ownership.owns(STANDARD_KIND, &w.arn))
            .map(|w| w.short_id.as_str())
            .collect();
        let state = if properties.wait_for_ready {
            "READY"
        } else {
            "enabled (not waited for)"
        };
        Ok(Outcome::new()
            .with_data("StandardsSubscriptionArns", subscription_arns.join(","))
            .with_data("Adopted", adopted.join(","))
            .with_summary(format!(
                "{} {state}; adopted: {}",
                short_ids(wanted.iter()),
                if adopted.is_empty() {
                    "none".to_owned()
                } else {
                    adopted.join(", ")
                }
            )))
    }

    /// Before enabling: an owned standard that is `INCOMPLETE` is disabled (the documented
    /// repair once its cause is fixed); requested standards being disabled are waited out.
    /// Both are then missing from `enabled`, so they are enabled again.
    async fn clear_the_way(
        &self,
        context: &RequestContext,
        wanted: &[Wanted],
        ownership: &Ownership,
        enabled: &mut Enabled,
    ) -> Result<(), Failure> {
        let repairs: Vec<&Subscription> = wanted
            .iter()
            .filter(|w| ownership.owns(STANDARD_KIND, &w.arn))
            .filter_map(|w| enabled.get(&w.arn))
            .filter(|s| s.status == status::INCOMPLETE)
            .collect();
        let mut leaving: Vec<String> = wanted
            .iter()
            .filter_map(|w| enabled.get(&w.arn))
            .filter(|s| s.status == status::DELETING)
            .map(|s| s.standards_arn.clone())
            .collect();
        if !repairs.is_empty() {
            let names = short_ids_of(repairs.iter().map(|s| s.standards_arn.as_str()));
            context.step(format!(
                "repairing INCOMPLETE {names}: disabling them (BatchDisableStandards)"
            ));
            let arns: Vec<String> = repairs.iter().map(|s| s.subscription_arn.clone()).collect();
            for chunk in arns.chunks(MAX_PER_CALL) {
                self.api.disable(context, chunk).await?;
            }
            leaving.extend(repairs.iter().map(|s| s.standards_arn.clone()));
        }
        if !leaving.is_empty() {
            context.step(format!(
                "waiting until {} are disabled (GetEnabledStandards)",
                short_ids_of(leaving.iter().map(String::as_str))
            ));
            self.wait_until_gone(context, &leaving).await?;
            for arn in &leaving {
                enabled.remove(arn);
            }
        }
        Ok(())
    }

    /// Disables the owned standards the properties no longer name, and forgets them.
    async fn disable_removed(
        &self,
        context: &RequestContext,
        wanted: &[Wanted],
        ownership: &mut Ownership,
        enabled: &Enabled,
    ) -> Result<(), Failure> {
        let keep: BTreeSet<&str> = wanted.iter().map(|w| w.arn.as_str()).collect();
        let removed: Vec<String> = ownership
            .owned(STANDARD_KIND)
            .into_iter()
            .filter(|arn| !keep.contains(arn.as_str()))
            .collect();
        if removed.is_empty() {
            return Ok(());
        }
        let present: Vec<&Subscription> = removed
            .iter()
            .filter_map(|arn| enabled.get(arn))
            .filter(|s| s.status != status::DELETING)
            .collect();
        for chunk in present.chunks(MAX_PER_CALL) {
            context.step(format!(
                "disabling {} that the properties no longer name (BatchDisableStandards)",
                short_ids_of(chunk.iter().map(|s| s.standards_arn.as_str()))
            ));
            let arns: Vec<String> = chunk.iter().map(|s| s.subscription_arn.clone()).collect();
            self.api.disable(context, &arns).await?;
        }
        context.step("recording that the removed standards are no longer owned");
        let releases: Vec<(&str, &str)> = removed
            .iter()
            .map(|arn| (STANDARD_KIND, arn.as_str()))
            .collect();
        self.ledger.release_all(context, ownership, &releases).await
    }

    /// Polls `GetEnabledStandards` until every wanted standard is `READY`, within the
    /// deadline. `INCOMPLETE` or `FAILED` ends the wait at once with `NOT_ACTIVE`.
    async fn wait_until_ready(
        &self,
        context: &RequestContext,
        wanted: &[Wanted],
        ownership: &Ownership,
    ) -> Result<Enabled, Failure> {
        wait_until(
            context,
            context.remaining(),
            self.backoff,
            "waiting for the standards to be READY",
            || async {
                let enabled = self.read_enabled(context).await?;
                let mut not_active = Vec::new();
                let mut waiting = Vec::new();
                for w in wanted {
                    match enabled.get(&w.arn) {
                        Some(s) if s.status == status::READY => {}
                        Some(s) if status::is_not_active(s) => {
                            not_active.push(describe_not_active(
                                &w.short_id,
                                s,
                                ownership.owns(STANDARD_KIND, &w.arn),
                            ))
                        }
                        Some(s) => waiting.push(format!("{} is {}", w.short_id, s.status)),
                        None => waiting.push(format!("{} is not listed yet", w.short_id)),
                    }
                }
                if !not_active.is_empty() {
                    return Err(Failure::new(ReasonCode::NotActive, not_active.join("; ")));
                }
                Ok(if waiting.is_empty() {
                    Probe::Ready(enabled)
                } else {
                    Probe::NotYet(Failure::new(ReasonCode::NotActive, waiting.join("; ")))
                })
            },
        )
        .await
    }

    /// Polls `GetEnabledStandards` until none of `standards_arns` is listed, within the deadline.
    async fn wait_until_gone(
        &self,
        context: &RequestContext,
        standards_arns: &[String],
    ) -> Result<(), Failure> {
        wait_until(
            context,
            context.remaining(),
            self.backoff,
            "waiting for the standards to be disabled",
            || async {
                let enabled = self.read_enabled(context).await?;
                let still: Vec<String> = standards_arns
                    .iter()
                    .filter_map(|arn| enabled.get(arn))
                    .map(|s| format!("{} is {}", short_id_of(&s.standards_arn), s.status))
                    .collect();
                Ok(if still.is_empty() {
                    Probe::Ready(())
                } else {
                    Probe::NotYet(Failure::new(
                        ReasonCode::DependencyNotReady,
                        still.join("; "),
                    ))
                })
            },
        )
        .await
    }
}

fn short_ids<'a>(wanted: impl Iterator<Item = &'a Wanted>) -> String {
    wanted
        .map(|w| w.short_id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn short_ids_of<'a>(arns: impl Iterator<Item = &'a str>) -> String {
    arns.map(short_id_of).collect::<Vec<_>>().join(", ")
}

impl CustomResource for SecurityHubStandards {
    type Properties = StandardsProperties;

    async fn create(
        &self,
        context: &RequestContext,
        properties: StandardsProperties,
    ) -> Result<Outcome, Failure> {
        self.converge(context, &properties).await
    }

    /// The same convergence: the ledger says which standards are this resource's to
    /// disable or repair. Never a new physical id.
    async fn update(
        &self,
        context: &RequestContext,
        properties: StandardsProperties,
        _old: Option<StandardsProperties>,
    ) -> Result<Outcome, Failure> {
        self.converge(context, &properties).await
    }

    /// Disables the standards this resource enabled (waiting out `PENDING` within the
    /// deadline), unless `OnDelete` is `Retain`. No hub: nothing to do.
    async fn delete(
        &self,
        context: &RequestContext,
        properties: Option<StandardsProperties>,
    ) -> Result<Outcome, Failure> {
        let retain = properties.map(|p| p.on_delete == OnDelete::Retain);
        context.step("reading the ownership record");
        let ownership = match self.ledger.plan_delete(context, retain).await? {
            DeletePlan::Remove(ownership) => ownership,
            DeletePlan::Keep(outcome) => return Ok(outcome),
        };
        let owned = ownership.owned(STANDARD_KIND);
        let summary = if owned.is_empty() {
            "this resource enabled no standard: nothing to disable".to_owned()
        } else {
            context.step("reading the enabled standards (GetEnabledStandards)");
            match self.api.enabled(context, true).await? {
                None => "Security Hub is not enabled: nothing to disable".to_owned(),
                Some(subscriptions) => {
                    let targets: Vec<&Subscription> = subscriptions
                        .iter()
                        .filter(|s| owned.contains(&s.standards_arn))
                        .filter(|s| s.status != status::DELETING)
                        .collect();
                    for chunk in targets.chunks(MAX_PER_CALL) {
                        context.step(format!(
                            "disabling {} (BatchDisableStandards)",
                            short_ids_of(chunk.iter().map(|s| s.standards_arn.as_str()))
                        ));
                        let arns: Vec<String> =
                            chunk.iter().map(|s| s.subscription_arn.clone()).collect();
                        self.api.disable(context, &arns).await?;
                    }
                    if targets.is_empty() {
                        "the standards this resource enabled are already disabled".to_owned()
                    } else {
                        format!(
                            "disabled {}",
                            short_ids_of(targets.iter().map(|s| s.standards_arn.as_str()))
                        )
                    }
                }
            }
        };
        context.step("erasing the ownership record");
        self.ledger.erase(context, &ownership).await?;
        context.step_done();
        Ok(Outcome::new().with_summary(summary))
    }
}

#[cfg(test)]
mod tests;
