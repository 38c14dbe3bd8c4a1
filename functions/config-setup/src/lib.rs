//! `Custom::ConfigSetup`: the AWS Config recorder, delivery channel and managed rules.
//! Answers `SUCCESS` only when the recorder status read back says it records (and its
//! last status is not `Failure`) and every requested rule exists and is `ACTIVE`.
//!
//! What this resource created is kept in the shared ownership ledger (kinds `recorder`,
//! `channel`, `rule`), claimed before each create call, so Update and Delete never touch
//! what it adopted, also after a Create that Lambda killed half-way was delivered again.
//!
//! Each part reads, plans and applies in its own module (`role`, `recorder`, `channel`,
//! `rules`; `bucket` checks the delivery bucket's owner); `api` is the one door to AWS.
//! This module is the order of operations.

mod answer;
mod api;
mod bucket;
mod channel;
mod properties;
mod recorder;
mod role;
mod rules;
mod runbook;
mod tags;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use aws_sdk_config::types::ConfigurationRecorder;
use cfn_custom_resource_kit::{
    Backoff, CustomResource, DeletePlan, Failure, Ledger, Outcome, Ownership, RequestContext,
    SdkConfig,
};

use answer::Converged;
use api::{ConfigApi, IamApi};
use bucket::BucketOwner;
use properties::{ConfigSetupProperties, OnDelete};
use recorder::Found;

/// The `Custom::ConfigSetup` resource.
#[derive(Clone, Debug)]
pub struct ConfigSetup {
    config: ConfigApi,
    iam: IamApi,
    ledger: Ledger,
    /// The delivery bucket's owner check (none in the unit tests: it is one signed S3
    /// request no SDK mock reaches; the end-to-end tests run it against moto).
    bucket_owner: Option<Arc<BucketOwner>>,
}

/// A ledger claim: kind and name.
type Claim<'a> = (&'static str, &'a str);

impl ConfigSetup {
    /// The resource on `aws` (its region decides partition and region), with its ledger
    /// under `/cfn-custom-resource-kit/config-setup/`, polling with the default backoff
    /// (0.25 s to 5 s).
    pub fn new(aws: &SdkConfig) -> Self {
        let ledger = Ledger::new(aws_sdk_ssm::Client::new(aws), "config-setup");
        let backoff = Backoff::default();
        let mut resource = Self::with_backoff(
            aws_sdk_config::Client::new(aws),
            aws_sdk_iam::Client::new(aws),
            ledger,
            backoff,
        );
        resource.bucket_owner = Some(Arc::new(BucketOwner::new(aws, backoff)));
        resource
    }

    /// The resource with an explicit backoff (tests).
    pub fn with_backoff(
        config: aws_sdk_config::Client,
        iam: aws_sdk_iam::Client,
        ledger: Ledger,
        backoff: Backoff,
    ) -> Self {
        Self {
            config: ConfigApi::new(config, backoff),
            iam: IamApi::new(iam, backoff),
            ledger: ledger.with_singleton(recorder::KIND, &[recorder::KIND, channel::KIND]),
            bucket_owner: None,
        }
    }

    /// Create and Update: bring the account to `properties`, then verify by reading back.
    /// Everything is read and planned before the first change.
    async fn converge(
        &self,
        context: &RequestContext,
        properties: &ConfigSetupProperties,
    ) -> Result<Outcome, Failure> {
        let mut owned = self.read_ownership(context, properties).await?;
        context.step("reading the recorder and delivery channel");
        let found = match recorder::find(&self.config, context, &owned).await? {
            Found::ControlTower(found) => {
                return self
                    .adopt_control_tower(context, properties, &found, owned)
                    .await
            }
            Found::Manageable(found) => found,
        };
        let found_channel = self.config.channel(context).await?;
        let recorder_name = found.as_ref().and_then(|r| r.name.as_deref());
        let recorder_choice = recorder::decide(
            "recorder",
            recorder_name,
            properties,
            &owned,
            recorder::KIND,
        )?;
        let channel = channel::Plan::new(found_channel, properties, &owned)?;
        let role_arn = role::arn(&self.iam, context, properties).await?;
        let recorder = recorder::Plan::new(found, recorder_choice, properties, &role_arn)?;
        let rules = rules::plan(&self.config, context, properties, &owned).await?;
        if channel.needs_put() {
            self.check_bucket_owner(context, properties).await?;
        }

        let Some(singleton) = self
            .claim(context, &mut owned, &recorder, &channel, &rules)
            .await?
        else {
            // Another stack's resource claimed the recorder a moment ago and is
            // creating it: wait for it, then adopt it as found.
            recorder::wait_until_created(&self.config, context).await?;
            return Box::pin(self.converge(context, properties)).await;
        };
        // When this request first changed the recorder or channel: a recorder status
        // from before then is history (see `recorder::verify`).
        let changed_at = (recorder.needs_put() || channel.needs_put()).then(SystemTime::now);
        if recorder.needs_put() {
            let put = recorder::put(&self.config, context, properties, &recorder).await;
            self.or_abandon(context, &mut owned, &singleton, put)
                .await?;
        }
        if channel.needs_put() {
            let put = channel::put(&self.config, context, &channel).await;
            let claim = channel.claim();
            self.or_abandon(context, &mut owned, claim.as_slice(), put)
                .await?;
            channel::verify(&self.config, context, &channel).await?;
        }
        let (verified, started_at) = recorder::start(&self.config, context, &recorder).await?;
        let under_way =
            rules::apply(&self.config, &self.ledger, context, &rules, &mut owned).await?;

        let status_note = match verified {
            true => None,
            false => {
                let changed_at = changed_at.or(started_at);
                recorder::verify(&self.config, context, &recorder.name, changed_at).await?
            }
        };
        let converged = Converged {
            adopted: recorder.adopted || channel.adopted,
            recorder_name: recorder.name,
            channel_name: channel.name,
            control_tower: false,
        };
        let notes = answer::deletion_note(&under_way)
            .into_iter()
            .chain(status_note);
        self.verified(context, properties, converged, notes).await
    }

    /// The last step of a Create or Update: every requested rule read back `ACTIVE`; then
    /// the answer, its summary followed by `notes`.
    async fn verified(
        &self,
        context: &RequestContext,
        properties: &ConfigSetupProperties,
        converged: Converged,
        notes: impl IntoIterator<Item = String>,
    ) -> Result<Outcome, Failure> {
        let names = rules::names(properties);
        rules::verify(&self.config, context, &names).await?;
        context.step_done();
        Ok(answer::outcome(&converged, &names, notes))
    }

    /// Reads the ownership record and keeps the `OnDelete` choice in it; refuses a
    /// renamed recorder this resource created, and a rule list too long to answer or
    /// record.
    async fn read_ownership(
        &self,
        context: &RequestContext,
        properties: &ConfigSetupProperties,
    ) -> Result<Ownership, Failure> {
        context.step("reading the ownership record");
        let mut owned = self.ledger.read(context).await?;
        let retain = properties.on_delete == OnDelete::Retain;
        self.ledger
            .record_on_delete(context, &mut owned, retain)
            .await?;
        if let Some(ours) = owned.owned(recorder::KIND).first() {
            if *ours != properties.recorder_name {
                return Err(Failure::invalid_property(
                    "RecorderName",
                    format!(
                        "is create-only: this resource created recorder {ours:?}; replace the resource (new logical id) after deleting it to rename"
                    ),
                ));
            }
        }
        answer::check_limits(context, &self.ledger, properties, &owned)?;
        Ok(owned)
    }

    /// The delivery bucket's owner, before any change: the channel points the whole
    /// configuration history at that bucket.
    async fn check_bucket_owner(
        &self,
        context: &RequestContext,
        properties: &ConfigSetupProperties,
    ) -> Result<(), Failure> {
        let Some(check) = &self.bucket_owner else {
            return Ok(());
        };
        let bucket = &properties.delivery_bucket_name;
        let owner = properties
            .delivery_bucket_owner
            .as_deref()
            .unwrap_or(context.account_id());
        context.step(format!(
            "checking that account {owner} owns bucket {bucket}"
        ));
        check.check(context, bucket, owner).await
    }

    /// Claims everything about to be created, in one write, before creating any of it.
    /// A new recorder is the region's singleton (with the channel made beside it): at
    /// most one resource may own it, so its claim also takes the singleton record.
    /// Answers the singleton's claims (given up if the recorder's put is refused), or
    /// `None` when another resource claimed the recorder first.
    async fn claim<'p>(
        &self,
        context: &RequestContext,
        owned: &mut Ownership,
        recorder: &'p recorder::Plan,
        channel: &'p channel::Plan,
        rules: &'p rules::Plan,
    ) -> Result<Option<Vec<Claim<'p>>>, Failure> {
        let mut plain: Vec<Claim<'p>> = rules.claims().collect();
        let singleton: Vec<Claim<'p>> = match recorder.claim() {
            Some(claim) => std::iter::once(claim).chain(channel.claim()).collect(),
            None => {
                plain.extend(channel.claim());
                Vec::new()
            }
        };
        if !singleton.is_empty() {
            context.step("recording what this resource creates");
            let ours = self
                .ledger
                .claim_singleton(context, owned, recorder::KIND, &singleton, &plain)
                .await?;
            return Ok(ours.then_some(singleton));
        }
        if !plain.is_empty() {
            context.step("recording what this resource creates");
            self.ledger.claim_all(context, owned, &plain).await?;
        }
        Ok(Some(singleton))
    }

    /// `done`, with `claims` given up when the service refused it (what they claimed
    /// was never created).
    async fn or_abandon(
        &self,
        context: &RequestContext,
        owned: &mut Ownership,
        claims: &[Claim<'_>],
        done: Result<(), Failure>,
    ) -> Result<(), Failure> {
        match done {
            Ok(()) => Ok(()),
            Err(failure) => Err(self.ledger.abandon(context, owned, claims, failure).await),
        }
    }

    /// Control Tower's recorder (read-only): when it records, only the rules are this
    /// resource's to converge.
    async fn adopt_control_tower(
        &self,
        context: &RequestContext,
        properties: &ConfigSetupProperties,
        found: &ConfigurationRecorder,
        mut owned: Ownership,
    ) -> Result<Outcome, Failure> {
        let recorder_name = recorder::check_control_tower(&self.config, context, found).await?;
        let channel_name = self
            .config
            .channel(context)
            .await?
            .and_then(|c| c.name)
            .unwrap_or_default();
        let rules = rules::plan(&self.config, context, properties, &owned).await?;
        let claims: Vec<Claim<'_>> = rules.claims().collect();
        if !claims.is_empty() {
            context.step("recording the rules this resource creates");
            self.ledger.claim_all(context, &mut owned, &claims).await?;
        }
        let under_way =
            rules::apply(&self.config, &self.ledger, context, &rules, &mut owned).await?;
        let converged = Converged {
            recorder_name,
            channel_name,
            adopted: true,
            control_tower: true,
        };
        let notes = answer::deletion_note(&under_way);
        self.verified(context, properties, converged, notes).await
    }

    /// An Update that changed `Tags`: the recorder and rules this resource created get the
    /// new tags (TagResource), and lose the keys no longer named (UntagResource). A rule
    /// being deleted, or whose owner tag names another resource, is left as it is.
    async fn retag(
        &self,
        context: &RequestContext,
        properties: &ConfigSetupProperties,
        old_tags: &BTreeMap<String, String>,
    ) -> Result<(), Failure> {
        let owned = self.ledger.read(context).await?;
        let tags = tags::creation(context, &properties.tags);
        let removed = tags::removed(old_tags, &properties.tags);
        let mut arns: Vec<String> = recorder::owned_arn(&self.config, context, &owned)
            .await?
            .into_iter()
            .collect();
        arns.extend(rules::retaggable(&self.config, context, &owned).await?);
        for arn in arns {
            context.step(format!("tagging {arn}"));
            self.config.retag(context, &arn, &tags, &removed).await?;
        }
        context.step_done();
        Ok(())
    }

    /// Delete: remove what the ledger says this resource created, in the order the
    /// service requires (rules; stop; channel; recorder), then the record itself.
    /// `retain` is the properties' `OnDelete` (`None` when they do not parse); the
    /// choice in the ownership record comes first.
    async fn remove(
        &self,
        context: &RequestContext,
        retain: Option<bool>,
    ) -> Result<Outcome, Failure> {
        context.step("reading the ownership record");
        let owned = match self.ledger.plan_delete(context, retain).await? {
            DeletePlan::Remove(owned) => owned,
            DeletePlan::Keep(outcome) => return Ok(outcome),
        };
        if owned.is_empty() {
            context.step("erasing the ownership record");
            self.ledger.erase(context, &owned).await?;
            context.step_done();
            return Ok(Outcome::new().with_summary("nothing this resource created remains"));
        }
        let under_way = rules::remove(&self.config, context, &owned.owned(rules::KIND)).await?;
        let recorder = owned.owned(recorder::KIND).first().cloned();
        if let Some(name) = &recorder {
            context.step(format!("stopping recorder {name}"));
            self.config.stop(context, name).await?;
        }
        let kept = match owned.owned(channel::KIND).first() {
            Some(name) => channel::remove(&self.config, context, name, recorder.as_deref()).await?,
            None => None,
        };
        if let Some(name) = &recorder {
            context.step(format!("deleting recorder {name}"));
            self.config.delete_recorder(context, name).await?;
        }
        context.step("erasing the ownership record");
        self.ledger.erase(context, &owned).await?;
        context.step_done();
        let summary = match kept {
            None => "removed what this resource created".to_owned(),
            Some(kept) => format!("removed what this resource created, except {kept}"),
        };
        let summary = answer::joined(summary, answer::deletion_note(&under_way));
        Ok(Outcome::new().with_summary(summary))
    }
}

impl CustomResource for ConfigSetup {
    type Properties = ConfigSetupProperties;
    const RUNBOOK: &'static [cfn_custom_resource_kit::Remedy] = runbook::RUNBOOK;

    async fn create(
        &self,
        context: &RequestContext,
        properties: ConfigSetupProperties,
    ) -> Result<Outcome, Failure> {
        self.converge(context, &properties).await
    }

    async fn update(
        &self,
        context: &RequestContext,
        properties: ConfigSetupProperties,
        old: Option<ConfigSetupProperties>,
    ) -> Result<Outcome, Failure> {
        // A changed RecorderName is refused by `converge` when this resource created the
        // recorder (create-only); checking against the record, not `old`, keeps the
        // rollback Update (old and new swapped) working.
        let outcome = self.converge(context, &properties).await?;
        let old_tags = old.map(|o| o.tags).unwrap_or_default();
        if old_tags != properties.tags {
            self.retag(context, &properties, &old_tags).await?;
        }
        Ok(outcome)
    }

    async fn delete(
        &self,
        context: &RequestContext,
        properties: Option<ConfigSetupProperties>,
    ) -> Result<Outcome, Failure> {
        let retain = properties.map(|p| p.on_delete == OnDelete::Retain);
        self.remove(context, retain).await
    }
}

#[cfg(test)]
mod tests;
