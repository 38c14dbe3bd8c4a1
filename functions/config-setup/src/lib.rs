//! `Custom::ConfigSetup`: the AWS Config recorder, delivery channel and managed rules.
//! Answers `SUCCESS` only when the recorder status read back says it records (and its
//! last status is not `Failure`) and every requested rule exists and is `ACTIVE`.
//!
//! What this resource created is kept in the shared ownership ledger (kinds `recorder`,
//! `channel`, `rule`), claimed before each create call, so Update and Delete never touch
//! what it adopted, also after a Create that Lambda killed half-way was delivered again.

mod api;
mod bucket;
mod channel;
mod properties;
mod recorder;
mod role;
mod rules;
mod runbook;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use aws_sdk_config::types::{ConfigRule, ConfigRuleState, ConfigurationRecorder, RecorderStatus};
use bucket::BucketOwner;
use cfn_custom_resource_kit::{
    wait_until, Backoff, CustomResource, DeletePlan, Failure, Ledger, Outcome, Ownership, Probe,
    ReasonCode, RequestContext,
};

use api::is_deleting;
use api::ConfigApi;
use properties::{ConfigSetupProperties, ExistingRecorder, OnDelete};
use recorder::CONTROL_TOWER_TAG;

/// Ledger kinds.
const RECORDER: &str = "recorder";
const CHANNEL: &str = "channel";
const RULE: &str = "rule";

/// How long a started recorder may take to report `recording`.
const RECORDING_WAIT: Duration = Duration::from_secs(60);

/// How long a new rule may take to be `ACTIVE`, and a deleted one to show `DELETING`.
const RULE_WAIT: Duration = Duration::from_secs(120);

/// How long a Create or Update waits for AWS Config to finish deleting a rule it needs
/// the name of (at most half the time left: the rest of the request needs the other).
/// Deleting a rule "might take an hour or more" (AWS Config Developer Guide), so a
/// longer wait would only move the failure to the deadline.
const RULE_DELETION_WAIT: Duration = Duration::from_secs(120);

/// The `Custom::ConfigSetup` resource.
#[derive(Clone, Debug)]
pub struct ConfigSetup {
    config: ConfigApi,
    iam: aws_sdk_iam::Client,
    ledger: Ledger,
    backoff: Backoff,
    /// The delivery bucket's owner check (none in the unit tests: it is one signed S3
    /// request no SDK mock reaches; the end-to-end tests run it against moto).
    bucket_owner: Option<std::sync::Arc<BucketOwner>>,
}

/// What the requested rules need: each rule to put (and whether it is new), and the
/// names of the new ones (claimed before anything is created).
#[derive(Default)]
struct RulePlan {
    to_put: Vec<(ConfigRule, bool)>,
    new_names: Vec<String>,
}

impl RulePlan {
    /// The ledger claims for the new rules.
    fn claims(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.new_names.iter().map(|name| (RULE, name.as_str()))
    }
}

/// What a convergence found and did, for `Data`.
struct Converged {
    recorder_name: String,
    channel_name: String,
    adopted: bool,
}

impl ConfigSetup {
    /// The resource over its clients and the SDK configuration they were built from,
    /// polling with the default backoff (0.25 s to 5 s).
    pub fn new(sdk: &aws_types::SdkConfig, ledger: Ledger) -> Self {
        let backoff = Backoff::default();
        let mut resource = Self::with_backoff(
            aws_sdk_config::Client::new(sdk),
            aws_sdk_iam::Client::new(sdk),
            ledger,
            backoff,
        );
        resource.bucket_owner = Some(std::sync::Arc::new(BucketOwner::new(sdk, backoff)));
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
            iam,
            ledger: ledger.with_singleton(RECORDER, &[RECORDER, CHANNEL]),
            backoff,
            bucket_owner: None,
        }
    }

    /// Create and Update: bring the account to `properties`, then verify by reading back.
    async fn converge(
        &self,
        ctx: &RequestContext,
        properties: &ConfigSetupProperties,
    ) -> Result<Outcome, Failure> {
        ctx.step("reading the ownership record");
        let mut owned = self.ledger.read(ctx).await?;
        let retain = properties.on_delete == OnDelete::Retain;
        self.ledger
            .record_on_delete(ctx, &mut owned, retain)
            .await?;
        if let Some(ours) = owned.owned(RECORDER).first() {
            if *ours != properties.recorder_name {
                return Err(Failure::invalid_property(
                    "RecorderName",
                    format!(
                        "is create-only: this resource created recorder {ours:?}; replace the resource (new logical id) after deleting it to rename"
                    ),
                ));
            }
        }
        self.check_limits(ctx, properties, &owned)?;
        ctx.step("reading the recorder and delivery channel");
        let existing = self.config.recorder(ctx).await?;
        if let Some(found) = &existing {
            // A recorder this resource created is not Control Tower's: no need to ask.
            let ours = found
                .name
                .as_deref()
                .is_some_and(|n| owned.owns(RECORDER, n));
            if !ours && self.is_control_tower(ctx, found).await? {
                return self
                    .verify_control_tower(ctx, properties, found, owned)
                    .await;
            }
        }
        let channel = self.config.channel(ctx).await?;
        let (recorder_name, recorder_adopted) = decide(
            "recorder",
            existing.as_ref().and_then(|r| r.name.as_deref()),
            properties,
            &owned,
            RECORDER,
        )?;
        let (channel_name, channel_adopted) = decide(
            "delivery channel",
            channel.as_ref().and_then(|c| c.name.as_deref()),
            properties,
            &owned,
            CHANNEL,
        )?;

        let role_arn = match &properties.role_arn {
            Some(arn) => arn.clone(),
            None => role::service_linked_role_arn(&self.iam, ctx, self.backoff).await?,
        };
        let wanted_recorder = recorder::desired(properties, &recorder_name, &role_arn)?;
        let wanted_channel = channel::desired(properties, &channel_name);
        let recorder_needed = existing
            .as_ref()
            .is_none_or(|r| !recorder::matches(r, &wanted_recorder));
        let channel_needed = channel
            .as_ref()
            .is_none_or(|c| !channel::matches(c, &wanted_channel));

        let rules = self.plan_rules(ctx, properties, &owned).await?;

        // The delivery bucket's owner, before any change: the channel points the whole
        // configuration history at that bucket.
        if let (true, Some(check)) = (channel_needed, &self.bucket_owner) {
            let bucket = &properties.delivery_bucket_name;
            let owner = properties
                .delivery_bucket_owner
                .as_deref()
                .unwrap_or(ctx.account_id());
            ctx.step(format!(
                "checking that account {owner} owns bucket {bucket}"
            ));
            check.check(ctx, bucket, owner).await?;
        }

        // Claim everything about to be created, in one write, before creating any of it.
        // A new recorder is the region's singleton (with the channel made beside it): at
        // most one resource may own it, so its claim also takes the singleton record.
        let mut singleton = Vec::new();
        let mut plain: Vec<(&str, &str)> = rules.claims().collect();
        match (existing.is_none(), channel.is_none()) {
            (true, true) => singleton.extend([
                (RECORDER, recorder_name.as_str()),
                (CHANNEL, channel_name.as_str()),
            ]),
            (true, false) => singleton.push((RECORDER, recorder_name.as_str())),
            (false, true) => plain.push((CHANNEL, channel_name.as_str())),
            (false, false) => {}
        }
        if !singleton.is_empty() {
            ctx.step("recording what this resource creates");
            let ours = self
                .ledger
                .claim_singleton(ctx, &mut owned, RECORDER, &singleton, &plain)
                .await?;
            if !ours {
                // Another stack's resource claimed the recorder a moment ago and is
                // creating it: wait for it, then adopt it as found.
                ctx.step("waiting for the recorder another resource is creating");
                self.wait_for_recorder(ctx).await?;
                return Box::pin(self.converge(ctx, properties)).await;
            }
        } else if !plain.is_empty() {
            ctx.step("recording what this resource creates");
            self.ledger.claim_all(ctx, &mut owned, &plain).await?;
        }
        // When this request first changed the recorder or channel: a recorder status
        // from before then is history (see `verify_recording`).
        let changed_at = (recorder_needed || channel_needed).then(SystemTime::now);
        if recorder_needed {
            ctx.step(format!("putting recorder {recorder_name}"));
            // A recorder this request creates carries the owner tag and the Tags property.
            let tags = match existing {
                None => rules::tags(ctx, &properties.tags),
                Some(_) => Vec::new(),
            };
            if let Err(failure) = self.config.put_recorder(ctx, &wanted_recorder, &tags).await {
                return Err(self
                    .ledger
                    .abandon(ctx, &mut owned, &singleton, failure)
                    .await);
            }
        }
        if channel_needed {
            ctx.step(format!("putting delivery channel {channel_name}"));
            if let Err(failure) = self.config.put_channel(ctx, &wanted_channel).await {
                let new: &[(&str, &str)] = match channel {
                    None => &[(CHANNEL, channel_name.as_str())],
                    Some(_) => &[],
                };
                return Err(self.ledger.abandon(ctx, &mut owned, new, failure).await);
            }
            self.verify_channel(ctx, &channel_name, &wanted_channel)
                .await?;
        }
        // A recorder this request created does not record yet: no need to ask. For one
        // that existed, the status read is also the verification when it records well.
        let (recording, verified) = match existing {
            None => (false, false),
            Some(_) => {
                ctx.step(format!("reading the status of recorder {recorder_name}"));
                let status = self.config.status(ctx, &recorder_name).await?;
                let recording = status.as_ref().is_some_and(|s| s.recording);
                let failed = status
                    .as_ref()
                    .is_some_and(|s| s.last_status == Some(RecorderStatus::Failure));
                (recording, recording && !failed)
            }
        };
        let changed_at = match recording {
            true => changed_at,
            false => {
                let now = changed_at.unwrap_or_else(SystemTime::now);
                ctx.step(format!("starting recorder {recorder_name}"));
                self.config.start(ctx, &recorder_name).await?;
                Some(now)
            }
        };
        let under_way = self
            .apply_rules(ctx, properties, &rules, &mut owned)
            .await?;
        let status_note = match verified {
            true => None,
            false => {
                self.verify_recording(ctx, &recorder_name, changed_at)
                    .await?
            }
        };
        let names = rule_names(properties);
        self.verify_rules(ctx, &names).await?;
        ctx.step_done();
        let converged = Converged {
            recorder_name,
            channel_name,
            adopted: recorder_adopted || channel_adopted,
        };
        let answer = outcome(&converged, &names, &under_way);
        Ok(match (status_note, answer.summary.clone()) {
            (Some(note), Some(summary)) => answer.with_summary(format!("{summary}; {note}")),
            _ => answer,
        })
    }

    /// An Update that changed `Tags`: the recorder and rules this resource created get the
    /// new tags (TagResource), and lose the keys no longer named (UntagResource). A rule
    /// being deleted, or whose owner tag names another resource, is left as it is.
    async fn retag(
        &self,
        ctx: &RequestContext,
        properties: &ConfigSetupProperties,
        old_tags: &BTreeMap<String, String>,
    ) -> Result<(), Failure> {
        let owned = self.ledger.read(ctx).await?;
        let ours = rules::owner_tag(ctx.stack_id(), ctx.logical_resource_id());
        let tags = rules::tags(ctx, &properties.tags);
        let removed: Vec<String> = old_tags
            .keys()
            .filter(|key| !properties.tags.contains_key(*key))
            .cloned()
            .collect();
        let mut arns = Vec::new();
        if let Some(recorder) = self.config.recorder(ctx).await? {
            if recorder
                .name
                .as_deref()
                .is_some_and(|n| owned.owns(RECORDER, n))
            {
                arns.extend(recorder.arn);
            }
        }
        let names: Vec<String> = owned.owned(RULE);
        for chunk in names.chunks(25) {
            let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
            for rule in self.config.rules(ctx, &chunk).await?.into_iter().flatten() {
                if is_deleting(&rule)
                    || rules::owned_by_another(&self.config.rule_tags(ctx, &rule).await?, &ours)
                {
                    continue;
                }
                arns.extend(rule.config_rule_arn);
            }
        }
        for arn in arns {
            ctx.step(format!("tagging {arn}"));
            self.config.retag(ctx, &arn, &tags, &removed).await?;
        }
        ctx.step_done();
        Ok(())
    }

    /// Reads the requested rules: which to put (new or changed) and which are new. A rule
    /// another service created (`CreatedBy`) is a conflict, found before anything changes.
    ///
    /// The rules this resource owns are read together (one call per 25), the others one
    /// by one: `DescribeConfigRules` naming any rule that does not exist answers
    /// `NoSuchConfigRuleException` without saying which, so a new rule in a batch would
    /// cost the batch and then a read of each.
    async fn plan_rules(
        &self,
        ctx: &RequestContext,
        properties: &ConfigSetupProperties,
        owned: &Ownership,
    ) -> Result<RulePlan, Failure> {
        let (expected, others): (Vec<&str>, Vec<&str>) = properties
            .managed_rules
            .iter()
            .map(|r| r.name.as_str())
            .partition(|name| owned.owns(RULE, name));
        let mut found: BTreeMap<&str, Option<ConfigRule>> = BTreeMap::new();
        for chunk in expected.chunks(25) {
            ctx.step(format!("reading rules {}", chunk.join(", ")));
            found.extend(
                chunk
                    .iter()
                    .copied()
                    .zip(self.config.rules(ctx, chunk).await?),
            );
        }
        for name in others {
            ctx.step(format!("reading rule {name}"));
            found.insert(name, self.config.rule(ctx, name).await?);
        }
        let deleting: Vec<&str> = found
            .iter()
            .filter(|(_, rule)| rule.as_ref().is_some_and(is_deleting))
            .map(|(name, _)| *name)
            .collect();
        if !deleting.is_empty() {
            // PutConfigRule on a rule in DELETING answers ResourceInUseException
            // (DeleteConfigRule): wait for the name to be free, then plan again.
            self.wait_for_deletions(ctx, &deleting).await?;
            return Box::pin(self.plan_rules(ctx, properties, owned)).await;
        }
        let mut plan = RulePlan::default();
        for rule in &properties.managed_rules {
            let wanted = rules::desired(rule);
            match found.remove(rule.name.as_str()).flatten() {
                Some(existing) if existing.created_by.as_deref().is_some_and(|c| !c.is_empty()) => {
                    return Err(Failure::new(
                        ReasonCode::Conflict,
                        format!(
                            "rule {} belongs to {} and is never changed by this resource; choose another name",
                            rule.name,
                            existing.created_by.as_deref().unwrap_or("another service")
                        ),
                    ))
                }
                Some(existing) if rules::matches(&existing, &wanted) => {}
                Some(_) => plan.to_put.push((wanted, false)),
                None => {
                    plan.new_names.push(rule.name.clone());
                    plan.to_put.push((wanted, true));
                }
            }
        }
        Ok(plan)
    }

    /// Puts the planned rules (new ones tagged; already claimed) and deletes owned rules
    /// no longer asked for; answers the rules AWS Config is still deleting.
    async fn apply_rules(
        &self,
        ctx: &RequestContext,
        properties: &ConfigSetupProperties,
        plan: &RulePlan,
        owned: &mut Ownership,
    ) -> Result<Vec<String>, Failure> {
        let tags = rules::tags(ctx, &properties.tags);
        for (rule, is_new) in &plan.to_put {
            let name = rule.config_rule_name.as_deref().unwrap_or_default();
            ctx.step(format!("putting rule {name}"));
            let tags: &[aws_sdk_config::types::Tag] = if *is_new { &tags } else { &[] };
            if let Err(failure) = self.config.put_rule(ctx, rule, tags).await {
                let new: &[(&str, &str)] = if *is_new { &[(RULE, name)] } else { &[] };
                return Err(self.ledger.abandon(ctx, owned, new, failure).await);
            }
        }
        let wanted: BTreeSet<&str> = properties
            .managed_rules
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        let unwanted: Vec<String> = owned
            .owned(RULE)
            .into_iter()
            .filter(|name| !wanted.contains(name.as_str()))
            .collect();
        self.remove_rules(ctx, owned, &unwanted, true).await
    }

    /// Deletes owned rules: every deletion asked for first, then read back together.
    /// AWS Config deletes a rule in the background ("Config sets the state of a rule to
    /// DELETING until the deletion is complete", DeleteConfigRule), which "might take an
    /// hour or more": a rule in DELETING is a deletion accepted, and is answered as under
    /// way (the names returned), never waited for. A rule whose owner tag names another
    /// resource is not this resource's (it was replaced since: deleted out of band and
    /// made again by another stack) and is left; the owned rules are read together first
    /// (25 per call) for that check. `forget` takes the rules out of the ownership record
    /// (not needed when the whole record is about to be erased).
    async fn remove_rules(
        &self,
        ctx: &RequestContext,
        owned: &mut Ownership,
        names: &[String],
        forget: bool,
    ) -> Result<Vec<String>, Failure> {
        let ours = rules::owner_tag(ctx.stack_id(), ctx.logical_resource_id());
        let mut under_way = Vec::new();
        let mut asked = Vec::new();
        let mut done_with = Vec::new();
        for chunk in names.chunks(25) {
            let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
            ctx.step(format!(
                "reading rules {} and their owner tags",
                chunk.join(", ")
            ));
            let found = self.config.rules(ctx, &chunk).await?;
            for (name, rule) in chunk.into_iter().zip(found) {
                done_with.push((RULE, name));
                let Some(rule) = rule else { continue };
                if is_deleting(&rule) {
                    under_way.push(name.to_owned());
                    continue;
                }
                let tags = self.config.rule_tags(ctx, &rule).await?;
                if rules::owned_by_another(&tags, &ours) {
                    tracing::warn!(rule = %name, "the rule's owner tag names another resource: left as it is");
                    continue;
                }
                ctx.step(format!("deleting rule {name}"));
                self.config.delete_rule(ctx, name).await?;
                asked.push(name);
            }
        }
        under_way.extend(self.read_back_deletions(ctx, &asked).await?);
        if forget {
            self.ledger.release_all(ctx, owned, &done_with).await?;
        }
        Ok(under_way)
    }

    /// Reads rules back after DeleteConfigRule: each must be gone or `DELETING`. Answers
    /// the ones still deleting.
    async fn read_back_deletions(
        &self,
        ctx: &RequestContext,
        names: &[&str],
    ) -> Result<Vec<String>, Failure> {
        let mut under_way = Vec::new();
        for chunk in names.chunks(25) {
            ctx.step(format!("reading rules {} back", chunk.join(", ")));
            let deleting = wait_until(
                ctx,
                RULE_WAIT,
                self.backoff,
                "waiting for AWS Config to accept the rule deletions",
                || async {
                    let mut deleting = Vec::new();
                    for (name, rule) in chunk.iter().zip(self.config.rules(ctx, chunk).await?) {
                        match rule {
                            None => {}
                            Some(rule) if is_deleting(&rule) => deleting.push((*name).to_owned()),
                            Some(rule) => {
                                return Ok(Probe::NotYet(Failure::new(
                                    ReasonCode::Conflict,
                                    format!(
                                        "rule {name} is still {} after DeleteConfigRule",
                                        rule.config_rule_state
                                            .as_ref()
                                            .map_or("there", |s| s.as_str())
                                    ),
                                )))
                            }
                        }
                    }
                    Ok(Probe::Ready(deleting))
                },
            )
            .await?;
            under_way.extend(deleting);
        }
        Ok(under_way)
    }

    /// Waits (within [`RULE_DELETION_WAIT`], at most half the time left) until AWS
    /// Config no longer shows any of `names` in `DELETING`.
    async fn wait_for_deletions(
        &self,
        ctx: &RequestContext,
        names: &[&str],
    ) -> Result<(), Failure> {
        ctx.step(format!(
            "waiting for AWS Config to finish deleting rule(s) {}",
            names.join(", ")
        ));
        let limit = RULE_DELETION_WAIT.min(ctx.remaining() / 2);
        for chunk in names.chunks(25) {
            wait_until(
                ctx,
                limit,
                self.backoff,
                "waiting for rule deletions to finish",
                || async {
                    let found = self.config.rules(ctx, chunk).await?;
                    let deleting: Vec<&str> = chunk
                        .iter()
                        .zip(&found)
                        .filter(|(_, rule)| rule.as_ref().is_some_and(is_deleting))
                        .map(|(name, _)| *name)
                        .collect();
                    if deleting.is_empty() {
                        return Ok(Probe::Ready(()));
                    }
                    Ok(Probe::NotYet(Failure::new(
                        ReasonCode::DependencyNotReady,
                        format!(
                            "AWS Config is still deleting rule(s) {} (a deletion can take up to an hour or more, and a rule cannot be put again until it is done); deploy again once it is gone, or use another rule name",
                            deleting.join(", ")
                        ),
                    )))
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Reads the channel back after PutDeliveryChannel: every field the properties set or
    /// leave out must show as they say. PutDeliveryChannel may keep a field the request
    /// leaves out ("this action will keep the existing value for the parameter that is
    /// not changed", PutDeliveryChannel, an earlier version of the API reference): such a
    /// field cannot be cleared in place, and that is said, never answered `SUCCESS`.
    async fn verify_channel(
        &self,
        ctx: &RequestContext,
        name: &str,
        wanted: &aws_sdk_config::types::DeliveryChannel,
    ) -> Result<(), Failure> {
        ctx.step(format!("reading delivery channel {name} back"));
        let differing = match self.config.channel(ctx).await? {
            Some(found) => channel::differences(&found, wanted),
            None => vec!["the channel itself (it is gone)"],
        };
        if differing.is_empty() {
            return Ok(());
        }
        Err(Failure::new(
            ReasonCode::NotActive,
            format!(
                "delivery channel {name} read back after PutDeliveryChannel differs from the properties in {}: PutDeliveryChannel keeps a setting a request leaves out, so removing one needs the channel deleted (recorder stopped first) and put again",
                differing.join(", ")
            ),
        ))
    }

    /// Waits (up to a minute) until the recorder another resource claimed exists.
    async fn wait_for_recorder(&self, ctx: &RequestContext) -> Result<(), Failure> {
        wait_until(
            ctx,
            RECORDING_WAIT,
            self.backoff,
            "waiting for the recorder another resource is creating",
            || async {
                match self.config.recorder(ctx).await? {
                    Some(_) => Ok(Probe::Ready(())),
                    None => Ok(Probe::NotYet(Failure::new(
                        ReasonCode::DependencyNotReady,
                        "another resource claimed the region's recorder and has not created it yet; deploy again once it has",
                    ))),
                }
            },
        )
        .await
    }

    /// Waits until the recorder records. `lastStatus` is "The status of the latest
    /// recording event processed by the recorder" (ConfigurationRecorderStatus): a
    /// `Failure` from before `changed_at` (this request's first change to the recorder or
    /// channel) is history the change may have repaired, and Config reports anew only
    /// after it processes a new recording event (with DAILY recording, up to a day). So
    /// only a `Failure` newer than the change (`lastStatusChangeTime`), or any `Failure`
    /// when nothing changed, is `NOT_ACTIVE`. An older one is waited on for a newer
    /// status within [`RECORDING_WAIT`]; when none comes, the answer says so (the note
    /// returned) instead of judging by it.
    async fn verify_recording(
        &self,
        ctx: &RequestContext,
        name: &str,
        changed_at: Option<SystemTime>,
    ) -> Result<Option<String>, Failure> {
        ctx.step(format!("verifying that recorder {name} records"));
        let started = tokio::time::Instant::now();
        wait_until(
            ctx,
            RECORDING_WAIT + Duration::from_secs(5),
            self.backoff,
            &format!("waiting for recorder {name} to record"),
            || async {
                let status = self.config.status(ctx, name).await?;
                let Some(status) = status else {
                    return Err(Failure::new(
                        ReasonCode::NotActive,
                        format!("recorder {name} is gone"),
                    ));
                };
                let failure = format!(
                    "{}: {}",
                    status.last_error_code.as_deref().unwrap_or("no error code"),
                    status.last_error_message.as_deref().unwrap_or("no message")
                );
                let history = status.last_status == Some(RecorderStatus::Failure)
                    && changed_at.is_some_and(|changed| {
                        status
                            .last_status_change_time
                            .and_then(|t| SystemTime::try_from(t).ok())
                            .is_some_and(|at| at < changed)
                    });
                if status.last_status == Some(RecorderStatus::Failure) && !history {
                    return Err(Failure::new(
                        ReasonCode::NotActive,
                        format!("recorder {name} reports its last delivery failed: {failure}"),
                    ));
                }
                if !status.recording {
                    return Ok(Probe::NotYet(Failure::new(
                        ReasonCode::NotActive,
                        format!("recorder {name} does not record"),
                    )));
                }
                if !history {
                    return Ok(Probe::Ready(None));
                }
                if started.elapsed() >= RECORDING_WAIT {
                    return Ok(Probe::Ready(Some(format!(
                        "its last status is still the Failure from before this request's changes ({failure}): no newer status came within {} s, as AWS Config reports one only after it processes a new recording event (with DAILY recording, up to a day later)",
                        RECORDING_WAIT.as_secs()
                    ))));
                }
                Ok(Probe::NotYet(Failure::new(
                    ReasonCode::NotActive,
                    format!("recorder {name}'s last status is a Failure from before this request's changes"),
                )))
            },
        )
        .await
    }

    /// Waits until every rule exists and is `ACTIVE`.
    async fn verify_rules(&self, ctx: &RequestContext, names: &[String]) -> Result<(), Failure> {
        for chunk in names.chunks(25) {
            let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
            ctx.step(format!("verifying rules {}", chunk.join(", ")));
            wait_until(
                ctx,
                RULE_WAIT,
                self.backoff,
                "waiting for the rules to be ACTIVE",
                || async {
                    let found = self.config.rules(ctx, &chunk).await?;
                    for (name, rule) in chunk.iter().zip(found) {
                        let state = rule.as_ref().and_then(|r| r.config_rule_state.clone());
                        if state != Some(ConfigRuleState::Active) {
                            let state =
                                state.map_or("missing".to_owned(), |s| s.as_str().to_owned());
                            return Ok(Probe::NotYet(Failure::new(
                                ReasonCode::NotActive,
                                format!("rule {name} is {state}, not ACTIVE"),
                            )));
                        }
                    }
                    Ok(Probe::Ready(()))
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn is_control_tower(
        &self,
        ctx: &RequestContext,
        found: &ConfigurationRecorder,
    ) -> Result<bool, Failure> {
        if recorder::is_control_tower_by_name(found) {
            return Ok(true);
        }
        let tags = self.config.recorder_tags(ctx, found).await?;
        Ok(tags.iter().any(|tag| {
            tag.key.as_deref() == Some(CONTROL_TOWER_TAG.0)
                && tag.value.as_deref() == Some(CONTROL_TOWER_TAG.1)
        }))
    }

    /// Control Tower's recorder is guarded by an SCP: read-only. It records: `SUCCESS`
    /// (rules are still this resource's to manage); it does not: `ORG_MANAGED`.
    async fn verify_control_tower(
        &self,
        ctx: &RequestContext,
        properties: &ConfigSetupProperties,
        found: &ConfigurationRecorder,
        mut owned: Ownership,
    ) -> Result<Outcome, Failure> {
        let name = found.name.clone().unwrap_or_default();
        ctx.step(format!(
            "checking Control Tower's recorder {name} (read-only)"
        ));
        let recording = self
            .config
            .status(ctx, &name)
            .await?
            .is_some_and(|s| s.recording);
        if !recording {
            return Err(Failure::new(
                ReasonCode::OrgManaged,
                format!("recorder {name} belongs to AWS Control Tower and does not record; re-register the OU in Control Tower (this resource never changes it)"),
            ));
        }
        let channel_name = self
            .config
            .channel(ctx)
            .await?
            .and_then(|c| c.name)
            .unwrap_or_default();
        let rules = self.plan_rules(ctx, properties, &owned).await?;
        if !rules.new_names.is_empty() {
            ctx.step("recording the rules this resource creates");
            let claims: Vec<(&str, &str)> = rules.claims().collect();
            self.ledger.claim_all(ctx, &mut owned, &claims).await?;
        }
        let under_way = self
            .apply_rules(ctx, properties, &rules, &mut owned)
            .await?;
        let names = rule_names(properties);
        self.verify_rules(ctx, &names).await?;
        ctx.step_done();
        let converged = Converged {
            recorder_name: name,
            channel_name,
            adopted: true,
        };
        let mut summary = "AWS Control Tower's recorder records (adopted read-only)".to_owned();
        if let Some(note) = deletion_note(&under_way) {
            summary = format!("{summary}; {note}");
        }
        Ok(outcome(&converged, &names, &under_way).with_summary(summary))
    }

    /// The answer lists every rule (`Data.RuleNames`) and the ownership record every rule
    /// this resource creates; CloudFormation takes 4096 bytes of response, a standard SSM
    /// parameter 4096 bytes of record. Checked before any change (recorder and channel
    /// under the name the properties give, every rule created), so a long rule list is
    /// refused up front instead of doing all its work and then failing to say so.
    fn check_limits(
        &self,
        ctx: &RequestContext,
        properties: &ConfigSetupProperties,
        owned: &Ownership,
    ) -> Result<(), Failure> {
        let names: Vec<String> = properties
            .managed_rules
            .iter()
            .map(|rule| rule.name.clone())
            .collect();
        let converged = Converged {
            recorder_name: properties.recorder_name.clone(),
            channel_name: properties.recorder_name.clone(),
            adopted: false,
        };
        let too_many = |what: &str, size: usize| {
            Failure::invalid_property(
                "ManagedRules",
                format!("{} rules with names of {} characters in all make {what} of {size} bytes, over its limit of 4096; use fewer or shorter rule names, or split them over two resources", names.len(), names.iter().map(String::len).sum::<usize>()),
            )
        };
        ctx.check_answer_fits(&outcome(&converged, &names, &[]))
            .map_err(|size| {
                too_many(
                    "the response to CloudFormation (Data.RuleNames lists every rule)",
                    size,
                )
            })?;
        let mut claims = vec![
            (RECORDER, converged.recorder_name.as_str()),
            (CHANNEL, converged.channel_name.as_str()),
        ];
        claims.extend(names.iter().map(|name| (RULE, name.as_str())));
        self.ledger
            .check_claims_fit(ctx, owned, &claims)
            .map_err(|size| too_many("an ownership record", size))
    }

    /// Delete: remove what the ledger says this resource created, in the order the
    /// service requires (rules; stop; channel; recorder), then the record itself.
    /// `retain` is the properties' `OnDelete` (`None` when they do not parse); the
    /// choice in the ownership record comes first.
    async fn remove(&self, ctx: &RequestContext, retain: Option<bool>) -> Result<Outcome, Failure> {
        ctx.step("reading the ownership record");
        let mut owned = match self.ledger.plan_delete(ctx, retain).await? {
            DeletePlan::Remove(owned) => owned,
            DeletePlan::Keep(outcome) => return Ok(outcome),
        };
        if owned.is_empty() {
            ctx.step("erasing the ownership record");
            self.ledger.erase(ctx, &owned).await?;
            ctx.step_done();
            return Ok(Outcome::new().with_summary("nothing this resource created remains"));
        }
        let rule_names = owned.owned(RULE);
        let under_way = self
            .remove_rules(ctx, &mut owned, &rule_names, false)
            .await?;
        let mut kept = Vec::new();
        let recorder_name = owned.owned(RECORDER).first().cloned();
        let channel_name = owned.owned(CHANNEL).first().cloned();
        if let Some(name) = &recorder_name {
            ctx.step(format!("stopping recorder {name}"));
            self.config.stop(ctx, name).await?;
        }
        if let Some(name) = &channel_name {
            let adopted_recorder_records = match recorder_name {
                Some(_) => false,
                None => match self.config.recorder(ctx).await? {
                    Some(found) => {
                        let found_name = found.name.unwrap_or_default();
                        self.config
                            .status(ctx, &found_name)
                            .await?
                            .is_some_and(|s| s.recording)
                    }
                    None => false,
                },
            };
            if adopted_recorder_records {
                // Deleting the last channel needs the recorder stopped, and the recorder is not ours.
                kept.push(format!(
                    "delivery channel {name} (the adopted recorder records through it)"
                ));
            } else {
                ctx.step(format!("deleting delivery channel {name}"));
                match self.config.delete_channel(ctx, name).await {
                    // The recorder records again (or still): stop it first, then retry.
                    Err(failure)
                        if failure.aws_error_code()
                            == Some("LastDeliveryChannelDeleteFailedException")
                            && recorder_name.is_some() =>
                    {
                        let recorder = recorder_name.as_deref().unwrap_or_default();
                        ctx.step(format!("stopping recorder {recorder} again"));
                        self.config.stop(ctx, recorder).await?;
                        ctx.step(format!("deleting delivery channel {name} again"));
                        self.config.delete_channel(ctx, name).await?;
                    }
                    other => other?,
                }
            }
        }
        if let Some(name) = &recorder_name {
            ctx.step(format!("deleting recorder {name}"));
            self.config.delete_recorder(ctx, name).await?;
        }
        ctx.step("erasing the ownership record");
        self.ledger.erase(ctx, &owned).await?;
        ctx.step_done();
        let mut summary = if kept.is_empty() {
            "removed what this resource created".to_owned()
        } else {
            format!(
                "removed what this resource created, except {}",
                kept.join(", ")
            )
        };
        if let Some(note) = deletion_note(&under_way) {
            summary = format!("{summary}; {note}");
        }
        Ok(Outcome::new().with_summary(summary))
    }
}

/// Which recorder (or channel) to use and whether it is adopted: ours per the ledger,
/// an existing one under our name (adopted), another name (adopted, or `CONFLICT`
/// under `ExistingRecorder: Fail`), or none yet (ours, under `RecorderName`).
fn decide(
    what: &str,
    existing: Option<&str>,
    properties: &ConfigSetupProperties,
    owned: &Ownership,
    kind: &str,
) -> Result<(String, bool), Failure> {
    match existing {
        None => Ok((properties.recorder_name.clone(), false)),
        Some(name) if owned.owns(kind, name) => Ok((name.to_owned(), false)),
        Some(name) if name == properties.recorder_name => Ok((name.to_owned(), true)),
        Some(name) => match properties.existing_recorder {
            ExistingRecorder::Adopt => Ok((name.to_owned(), true)),
            ExistingRecorder::Fail => Err(Failure::new(
                ReasonCode::Conflict,
                format!(
                    "a {what} named {name:?} already exists (one per region) and ExistingRecorder is Fail; set ExistingRecorder to Adopt to use it, or remove it"
                ),
            )),
        },
    }
}

fn rule_names(properties: &ConfigSetupProperties) -> Vec<String> {
    properties
        .managed_rules
        .iter()
        .map(|r| r.name.clone())
        .collect()
}

/// The answer to a Create or Update; `under_way` are the rules it asked AWS Config to
/// delete that are still deleting.
fn outcome(converged: &Converged, rule_names: &[String], under_way: &[String]) -> Outcome {
    let mut summary = format!(
        "recorder {} records through channel {}; {} rule(s) ACTIVE",
        converged.recorder_name,
        converged.channel_name,
        rule_names.len()
    );
    if let Some(note) = deletion_note(under_way) {
        summary = format!("{summary}; {note}");
    }
    Outcome::new()
        .with_data("RecorderName", &converged.recorder_name)
        .with_data("DeliveryChannelName", &converged.channel_name)
        .with_data("Recording", "true")
        .with_data("RuleNames", rule_names.join(","))
        .with_data("Adopted", converged.adopted.to_string())
        .with_summary(summary)
}

/// What an answer says of rules whose deletion AWS Config accepted and has not finished.
fn deletion_note(under_way: &[String]) -> Option<String> {
    (!under_way.is_empty()).then(|| {
        format!(
            "AWS Config is still deleting rule(s) {} (accepted; it can take an hour or more and finishes on its own)",
            under_way.join(", ")
        )
    })
}

impl CustomResource for ConfigSetup {
    type Properties = ConfigSetupProperties;
    const RUNBOOK: &'static [cfn_custom_resource_kit::Remedy] = runbook::RUNBOOK;

    async fn create(
        &self,
        ctx: &RequestContext,
        properties: ConfigSetupProperties,
    ) -> Result<Outcome, Failure> {
        self.converge(ctx, &properties).await
    }

    async fn update(
        &self,
        ctx: &RequestContext,
        properties: ConfigSetupProperties,
        old: Option<ConfigSetupProperties>,
    ) -> Result<Outcome, Failure> {
        // A changed RecorderName is refused by `converge` when this resource created the
        // recorder (create-only); checking against the record, not `old`, keeps the
        // rollback Update (old and new swapped) working.
        let outcome = self.converge(ctx, &properties).await?;
        let old_tags = old.map(|o| o.tags).unwrap_or_default();
        if old_tags != properties.tags {
            self.retag(ctx, &properties, &old_tags).await?;
        }
        Ok(outcome)
    }

    async fn delete(
        &self,
        ctx: &RequestContext,
        properties: Option<ConfigSetupProperties>,
    ) -> Result<Outcome, Failure> {
        let retain = properties.map(|p| p.on_delete == OnDelete::Retain);
        self.remove(ctx, retain).await
    }
}

#[cfg(test)]
mod tests;
