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
mod runbook;
mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_securityhub::types::StandardsStatus;
use aws_sdk_securityhub::Client;
use cfn_custom_resource_kit::{
    wait_until, Backoff, CustomResource, DeletePlan, Failure, Ledger, Outcome, Ownership, Probe,
    ReasonCode, RequestContext, SdkConfig,
};

use api::{Pacer, StandardsApi, Subscription, ENABLE_INTERVAL, MAX_PER_CALL};
use catalog::{resolve, short_id_of, Location, Wanted};
use properties::StandardsProperties;
use securityhub_common::{erase_ownership, plan_delete, read_ownership};
use status::describe_not_active;

/// The ledger kind of an owned standard (named by its standards ARN).
const STANDARD_KIND: &str = "standard";

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

/// How long a disabled standard may stay `DELETING` before the answer says its disable
/// is under way instead of waiting further (at most half the time left).
const DISABLE_WAIT: Duration = Duration::from_secs(300);

/// How many times a disable that ends `FAILED` is asked for before it is reported.
const DISABLE_ATTEMPTS: u32 = 3;

impl SecurityHubStandards {
    /// The resource on `aws` (its region decides partition and region), with its ledger
    /// under `/cfn-custom-resource-kit/securityhub-standards/`, polling with the default
    /// backoff (0.5 s doubling to 10 s).
    pub fn new(aws: &SdkConfig) -> Self {
        Self::with_backoff(
            Client::new(aws),
            Ledger::new(aws_sdk_ssm::Client::new(aws), "securityhub-standards"),
            Backoff::new(Duration::from_millis(500), Duration::from_secs(10)),
        )
    }

    /// A resource with an explicit polling backoff.
    pub fn with_backoff(securityhub: Client, ledger: Ledger, backoff: Backoff) -> Self {
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
        let mut ownership = read_ownership(&self.ledger, context, properties.on_delete).await?;
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
        let under_way = self
            .disable_removed(context, &wanted, &mut ownership, &enabled)
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
            StandardsStatus::Ready.as_str()
        } else {
            "enabled (not waited for)"
        };
        let mut summary = format!(
            "{} {state}; adopted: {}",
            short_ids(wanted.iter()),
            if adopted.is_empty() {
                "none".to_owned()
            } else {
                adopted.join(", ")
            }
        );
        if !under_way.is_empty() {
            summary.push_str(&format!("; {}", disable_note(&under_way)));
        }
        Ok(Outcome::new()
            .with_data("StandardsSubscriptionArns", subscription_arns.join(","))
            .with_data("Adopted", adopted.join(","))
            .with_summary(summary))
    }

    /// Before enabling: an owned standard that is `INCOMPLETE` (could not be enabled
    /// completely) or `FAILED` (could not be disabled) is disabled, the documented repair
    /// once its cause is fixed; requested standards being disabled are waited out. Both
    /// are then missing from `enabled`, so they are enabled again.
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
            .filter(|s| status::is_not_active(s))
            .collect();
        let watched: Vec<&Subscription> = wanted
            .iter()
            .filter_map(|w| enabled.get(&w.arn))
            .filter(|s| s.status == StandardsStatus::Deleting || repairs.contains(s))
            .collect();
        if watched.is_empty() {
            return Ok(());
        }
        if !repairs.is_empty() {
            context.step(format!(
                "repairing {}: disabling them first",
                repairs
                    .iter()
                    .map(|s| format!("{} ({})", short_id_of(&s.standards_arn), s.status))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let under_way = self.disable_confirmed(context, &repairs, &watched).await?;
        if !under_way.is_empty() {
            return Err(Failure::new(
                ReasonCode::DependencyNotReady,
                format!(
                    "{} still being disabled (DELETING): a standard can be enabled again once it is gone; deploy again later",
                    under_way.join(", ")
                ),
            ));
        }
        let cleared: Vec<String> = watched.iter().map(|s| s.standards_arn.clone()).collect();
        for arn in cleared {
            enabled.remove(&arn);
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
    ) -> Result<Vec<String>, Failure> {
        let keep: BTreeSet<&str> = wanted.iter().map(|w| w.arn.as_str()).collect();
        let removed: Vec<String> = ownership
            .owned(STANDARD_KIND)
            .into_iter()
            .filter(|arn| !keep.contains(arn.as_str()))
            .collect();
        if removed.is_empty() {
            return Ok(Vec::new());
        }
        let present: Vec<&Subscription> =
            removed.iter().filter_map(|arn| enabled.get(arn)).collect();
        let targets: Vec<&Subscription> = present
            .iter()
            .copied()
            .filter(|s| s.status != StandardsStatus::Deleting)
            .collect();
        let under_way = self.disable_confirmed(context, &targets, &present).await?;
        context.step("recording that the removed standards are no longer owned");
        let releases: Vec<(&str, &str)> = removed
            .iter()
            .map(|arn| (STANDARD_KIND, arn.as_str()))
            .collect();
        self.ledger
            .release_all(context, ownership, &releases)
            .await?;
        Ok(under_way)
    }

    /// Disables `targets` (`BatchDisableStandards`), then reads `watched` (the targets
    /// and any already `DELETING`) back until each is gone. A disable is asynchronous:
    /// `DELETING` is "in the process of being disabled", and `FAILED` means "The standard
    /// could not be disabled" (StandardsSubscription, Security Hub API reference). A
    /// `FAILED` one is asked again, [`DISABLE_ATTEMPTS`] times in all, then reported
    /// (`SERVICE_ERROR` with its `StatusReasonCode`). Answers the short ids still
    /// `DELETING` when [`DISABLE_WAIT`] ran out: accepted, not finished.
    async fn disable_confirmed(
        &self,
        context: &RequestContext,
        targets: &[&Subscription],
        watched: &[&Subscription],
    ) -> Result<Vec<String>, Failure> {
        let mut asking: Vec<&Subscription> = targets.to_vec();
        let mut attempt = 1;
        loop {
            for chunk in asking.chunks(MAX_PER_CALL) {
                context.step(format!(
                    "disabling {} (BatchDisableStandards)",
                    short_ids_of(chunk.iter().map(|s| s.standards_arn.as_str()))
                ));
                let arns: Vec<String> = chunk.iter().map(|s| s.subscription_arn.clone()).collect();
                self.api.disable(context, &arns).await?;
            }
            context.step(format!(
                "reading {} back until disabled (GetEnabledStandards)",
                short_ids_of(watched.iter().map(|s| s.standards_arn.as_str()))
            ));
            let found = self.wait_while_deleting(context, watched).await?;
            let failed: Vec<&Subscription> = watched
                .iter()
                .copied()
                .filter(|s| {
                    found
                        .get(&s.standards_arn)
                        .is_some_and(|f| f.status == StandardsStatus::Failed)
                })
                .collect();
            if failed.is_empty() {
                return Ok(watched
                    .iter()
                    .filter(|s| found.contains_key(&s.standards_arn))
                    .map(|s| short_id_of(&s.standards_arn).to_owned())
                    .collect());
            }
            if attempt == DISABLE_ATTEMPTS {
                let described: Vec<String> = failed
                    .iter()
                    .map(|s| {
                        let reason = found.get(&s.standards_arn).and_then(|f| f.reason.as_ref());
                        format!(
                            "{} is FAILED ({})",
                            short_id_of(&s.standards_arn),
                            reason.map_or("no StatusReasonCode".to_owned(), |r| format!(
                                "StatusReasonCode {r}"
                            ))
                        )
                    })
                    .collect();
                return Err(Failure::new(
                    ReasonCode::ServiceError,
                    format!(
                        "Security Hub could not disable the standard (FAILED after {DISABLE_ATTEMPTS} attempts): {}; disable it in the Security Hub console, or retry, choosing to retain this resource to leave it enabled",
                        described.join("; ")
                    ),
                ));
            }
            asking = failed;
            attempt += 1;
        }
    }

    /// Polls `GetEnabledStandards` while any of `watched` is `DELETING` (or still shows
    /// its old status), up to [`DISABLE_WAIT`] or half the time left; answers what is
    /// then listed of them.
    async fn wait_while_deleting(
        &self,
        context: &RequestContext,
        watched: &[&Subscription],
    ) -> Result<Enabled, Failure> {
        let give_up_at = tokio::time::Instant::now() + DISABLE_WAIT.min(context.remaining() / 2);
        wait_until(
            context,
            context.remaining(),
            self.backoff,
            "waiting for the standards to be disabled",
            || async {
                let enabled = self.read_enabled(context).await?;
                let found: Enabled = watched
                    .iter()
                    .filter_map(|s| enabled.get(&s.standards_arn))
                    .map(|s| (s.standards_arn.clone(), s.clone()))
                    .collect();
                let settled = found.values().all(|s| s.status == StandardsStatus::Failed);
                Ok(if settled || tokio::time::Instant::now() >= give_up_at {
                    Probe::Ready(found)
                } else {
                    Probe::NotYet(Failure::new(
                        ReasonCode::DependencyNotReady,
                        "the standards are still being disabled",
                    ))
                })
            },
        )
        .await
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
                        Some(s) if s.status == StandardsStatus::Ready => {}
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
}

/// What an answer says of standards whose disable was accepted and has not finished.
fn disable_note(under_way: &[String]) -> String {
    format!(
        "Security Hub is still disabling {} (DELETING: accepted, finishing on its own)",
        under_way.join(", ")
    )
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
    const RUNBOOK: &'static [cfn_custom_resource_kit::Remedy] = runbook::RUNBOOK;

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
        let on_delete = properties.map(|p| p.on_delete);
        let ownership = match plan_delete(&self.ledger, context, on_delete).await? {
            DeletePlan::Remove(ownership) => ownership,
            DeletePlan::Keep(outcome) => return Ok(outcome),
        };
        let owned = ownership.owned(STANDARD_KIND);
        // No claim: none was enabled by this resource, or this Delete is a redelivery of
        // one that disabled them and erased the record. The reason must be true of both.
        let summary = if owned.is_empty() {
            "this resource enabled no standard, or an earlier delivery of this Delete already disabled them: nothing to disable".to_owned()
        } else {
            context.step("reading the enabled standards (GetEnabledStandards)");
            match self.api.enabled(context, true).await? {
                None => "Security Hub is not enabled: nothing to disable".to_owned(),
                Some(subscriptions) => {
                    let present: Vec<&Subscription> = subscriptions
                        .iter()
                        .filter(|s| owned.contains(&s.standards_arn))
                        .collect();
                    let targets: Vec<&Subscription> = present
                        .iter()
                        .copied()
                        .filter(|s| s.status != StandardsStatus::Deleting)
                        .collect();
                    let under_way = if present.is_empty() {
                        Vec::new()
                    } else {
                        self.disable_confirmed(context, &targets, &present).await?
                    };
                    let mut summary = if present.is_empty() {
                        "the standards this resource enabled are already disabled".to_owned()
                    } else {
                        format!(
                            "disabled {}",
                            short_ids_of(present.iter().map(|s| s.standards_arn.as_str()))
                        )
                    };
                    if !under_way.is_empty() {
                        summary.push_str(&format!("; {}", disable_note(&under_way)));
                    }
                    summary
                }
            }
        };
        erase_ownership(&self.ledger, context, &ownership, summary).await
    }
}

#[cfg(test)]
mod tests;
