//! The ownership ledger: what a resource created, so Update and Delete never touch what
//! it adopted. One SSM parameter per resource, `<prefix>/resource/<PhysicalResourceId>`,
//! holding a small JSON record. Written *before* each action it describes, so a Create
//! that Lambda killed half-way and CloudFormation delivered again finds "ours", not
//! "adopted"; read on Update and Delete; erased by the final Delete.
//!
//! An account-wide singleton (the region's recorder, the hub) has at most one owner: a
//! second parameter, `<prefix>/singleton/<kind>`, created only if absent, names it.
//!
//! Each function has its own prefix, `/cfn-custom-resource-kit/<function>`. IAM:
//! `ssm:GetParameter`, `ssm:PutParameter`, `ssm:DeleteParameter` on
//! `arn:<partition>:ssm:<region>:<account>:parameter<prefix>/*`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_ssm::types::{ParameterTier, ParameterType};
use aws_sdk_ssm::Client;
use serde::{Deserialize, Serialize};

use crate::aws_api::AwsApi;
use crate::context::RequestContext;
use crate::failure::{Failure, ReasonCode};
use crate::retry::Backoff;

/// The environment variable that moves a function's ledger (default
/// `/cfn-custom-resource-kit/<function>`).
pub(crate) const LEDGER_PREFIX_ENV: &str = "CR_LEDGER_PREFIX";

/// Under which each function's records live unless [`LEDGER_PREFIX_ENV`] says otherwise.
pub(crate) const PREFIX_ROOT: &str = "/cfn-custom-resource-kit";

/// The kind under which a record lists the singletons its resource holds.
const SINGLETON: &str = "singleton";

/// How long a singleton claim may be in flight: its holder creates the singleton within
/// the request that claimed it, and no Lambda invocation runs longer than 15 minutes.
const CLAIM_IN_FLIGHT: Duration = Duration::from_secs(900);

fn epoch_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The description of a record's parameter, for operators reading Parameter Store.
fn description_of(record: &Ownership) -> String {
    format!(
        "What {} in stack {} created (written before each create; do not edit)",
        record.logical_resource_id,
        record.stack_id.split('/').nth(1).unwrap_or("?")
    )
}

/// The largest record a standard-tier parameter holds.
const MAX_RECORD_BYTES: usize = 4096;

/// What one resource owns, by kind (`recorder`, `rule`, `standard`, …) and name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ownership {
    /// Record format version.
    #[serde(default)]
    version: u32,
    /// The stack and resource the record belongs to, for operators reading it.
    #[serde(default)]
    stack_id: String,
    #[serde(default)]
    logical_resource_id: String,
    #[serde(default)]
    resource_type: String,
    /// Names owned, by kind.
    #[serde(default)]
    owned: BTreeMap<String, BTreeSet<String>>,
    /// The resource's `OnDelete` choice at its last Create or Update: `true` keeps
    /// everything. A Delete reads it here first, so a Delete whose properties no longer
    /// parse still honours `Retain`. Absent in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retain_on_delete: Option<bool>,
}

impl Ownership {
    /// Whether the resource created `name` of `kind`.
    pub fn owns(&self, kind: &str, name: &str) -> bool {
        self.owned
            .get(kind)
            .is_some_and(|names| names.contains(name))
    }

    /// Every owned name of `kind`, sorted.
    pub fn owned(&self, kind: &str) -> Vec<String> {
        self.owned
            .get(kind)
            .map(|names| names.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether nothing is owned.
    pub fn is_empty(&self) -> bool {
        self.owned.values().all(BTreeSet::is_empty)
    }

    /// The `OnDelete` choice recorded at the last Create or Update (`true`: keep).
    pub fn retain_on_delete(&self) -> Option<bool> {
        self.retain_on_delete
    }

    /// Adds `(kind, name)` claims.
    fn add(&mut self, claims: &[(&str, &str)]) {
        for (kind, name) in claims {
            self.owned
                .entry((*kind).to_owned())
                .or_default()
                .insert((*name).to_owned());
        }
    }

    /// Whether the record names a stack or logical id other than the request's.
    fn belongs_elsewhere(&self, context: &RequestContext) -> bool {
        let named = !self.stack_id.is_empty() || !self.logical_resource_id.is_empty();
        named
            && (self.stack_id != context.stack_id()
                || self.logical_resource_id != context.logical_resource_id())
    }
}

/// What a Delete may do, decided from the ownership record before anything is touched.
#[derive(Debug)]
pub enum DeletePlan {
    /// Remove what the record lists (which may be nothing).
    Remove(Ownership),
    /// Touch nothing; answer `SUCCESS` with this outcome (the record is already dealt with).
    Keep(crate::Outcome),
}

/// Who holds an account-wide singleton: the content of `<prefix>/singleton/<kind>`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Holder {
    #[serde(default)]
    physical_id: String,
    /// When the claim was made (seconds since the epoch).
    #[serde(default)]
    claimed_at: u64,
    #[serde(default)]
    stack_id: String,
    #[serde(default)]
    logical_resource_id: String,
}

/// The ledger over an SSM client.
#[derive(Clone, Debug)]
pub struct Ledger {
    client: Client,
    prefix: String,
    backoff: Backoff,
    /// The account-wide singletons this resource type creates, and the kinds of claim
    /// each covers (the recorder covers the recorder and its delivery channel).
    singletons: Vec<(String, Vec<String>)>,
}

impl Ledger {
    /// The ledger of `function` (its package name): under the prefix from
    /// `CR_LEDGER_PREFIX`, else `/cfn-custom-resource-kit/<function>`, so each
    /// function's role reaches only its own records.
    pub fn new(client: Client, function: &str) -> Self {
        let prefix = std::env::var(LEDGER_PREFIX_ENV)
            .ok()
            .filter(|prefix| !prefix.trim().is_empty())
            .unwrap_or_else(|| format!("{PREFIX_ROOT}/{function}"));
        Self::with_prefix(client, &prefix)
    }

    /// A ledger under `prefix` (a path such as `/my/ledger`).
    pub fn with_prefix(client: Client, prefix: &str) -> Self {
        let prefix = format!("/{}", prefix.trim_matches('/'));
        Self {
            client,
            prefix,
            backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(3)),
            singletons: Vec::new(),
        }
    }

    /// Declares the account-wide singleton `kind` (see [`Self::claim_singleton`]) and
    /// the kinds of claim it covers: a Delete acts on those claims only while the
    /// singleton record names this resource.
    pub fn with_singleton(mut self, kind: &str, covers: &[&str]) -> Self {
        let covers = covers.iter().map(|c| (*c).to_owned()).collect();
        self.singletons.push((kind.to_owned(), covers));
        self
    }

    /// The claim kinds the singleton `kind` covers (itself when undeclared).
    fn covered_by(&self, kind: &str) -> Vec<String> {
        self.singletons
            .iter()
            .find(|(k, _)| k == kind)
            .map_or_else(|| vec![kind.to_owned()], |(_, covers)| covers.clone())
    }

    /// `ownership` without the singleton `kind` and the claims it covers.
    fn forget_singleton(&self, ownership: &mut Ownership, kind: &str) {
        for covered in self.covered_by(kind) {
            ownership.owned.remove(&covered);
        }
        if let Some(names) = ownership.owned.get_mut(SINGLETON) {
            names.remove(kind);
            if names.is_empty() {
                ownership.owned.remove(SINGLETON);
            }
        }
    }

    /// Drops the singletons `ownership` claims whose singleton record does not name this
    /// resource (a claim that lost a race and could not be released before a crash, or
    /// one whose create never ran), with the claims they cover: a Delete must never
    /// remove what the singleton's real owner relies on.
    async fn verified(
        &self,
        context: &RequestContext,
        mut ownership: Ownership,
    ) -> Result<Ownership, Failure> {
        for kind in ownership.owned(SINGLETON) {
            let holder = self
                .get(context, &self.singleton_name(&kind))
                .await?
                .and_then(|text| serde_json::from_str::<Holder>(&text).ok());
            if holder.is_some_and(|h| h.physical_id == context.physical_id()) {
                continue;
            }
            tracing::warn!(kind = %kind, "the record claims a singleton whose singleton record names another resource or none: what it covers is left");
            self.forget_singleton(&mut ownership, &kind);
        }
        Ok(ownership)
    }

    /// The parameter holding the record of the resource `context` serves.
    pub fn parameter_name(&self, context: &RequestContext) -> String {
        self.record_name(context.physical_id())
    }

    fn record_name(&self, physical_id: &str) -> String {
        format!("{}/resource/{}", self.prefix, parameter_safe(physical_id))
    }

    fn singleton_name(&self, kind: &str) -> String {
        format!("{}/singleton/{}", self.prefix, parameter_safe(kind))
    }

    /// Reads the record; a resource with none owns nothing.
    pub async fn read(&self, context: &RequestContext) -> Result<Ownership, Failure> {
        self.read_own(context).await?.ok_or_else(|| {
            Failure::new(
                ReasonCode::AccessDenied,
                format!("the ownership record {} belongs to another stack's resource: this request's StackId and LogicalResourceId do not match it, so nothing it owns is changed", self.parameter_name(context)),
            )
        })
    }

    /// The record, or `None` when it names another stack or logical id: a
    /// PhysicalResourceId names one resource of one stack, and a request from another
    /// stack carrying it is not that resource's, whoever sent it.
    async fn read_own(&self, context: &RequestContext) -> Result<Option<Ownership>, Failure> {
        let ownership = self
            .read_record(context, &self.parameter_name(context))
            .await?;
        Ok((!ownership.belongs_elsewhere(context)).then_some(ownership))
    }

    /// Reads the record for a Delete and decides what it may do. The `OnDelete` choice
    /// comes from the record and from `retain_per_properties` (the Delete's own
    /// properties, when they parse): Retain in either keeps, and when neither says,
    /// everything is kept (on doubt, keep). A record of another stack's resource is left as it is: the Delete touches
    /// nothing and succeeds, so a real stack never sticks in DELETE_FAILED over it. Keep
    /// erases this resource's own record (what it listed is no longer managed).
    pub async fn plan_delete(
        &self,
        context: &RequestContext,
        retain_per_properties: Option<bool>,
    ) -> Result<DeletePlan, Failure> {
        let Some(ownership) = self.read_own(context).await? else {
            tracing::warn!(
                "Delete of a resource whose record names another stack: nothing touched"
            );
            return Ok(DeletePlan::Keep(crate::Outcome::new().with_summary(
                "the ownership record under this PhysicalResourceId belongs to another stack's resource: nothing was touched",
            )));
        };
        let ownership = self.verified(context, ownership).await?;
        if ownership.is_empty() {
            return Ok(DeletePlan::Remove(ownership));
        }
        // Either source saying Retain keeps: a Delete's properties cannot override a
        // recorded Retain, and a Retain in them is honoured even over an older record.
        let recorded = ownership.retain_on_delete;
        let summary = match (recorded, retain_per_properties) {
            (Some(true), _) | (_, Some(true)) => {
                "OnDelete is Retain: everything this resource created is left as it is"
            }
            (Some(false), _) | (_, Some(false)) => return Ok(DeletePlan::Remove(ownership)),
            (None, None) => {
                tracing::warn!("Delete cannot tell the OnDelete choice (properties do not parse, the record holds none): keeping everything");
                "OnDelete is unknown (the properties do not parse and the ownership record holds no choice): everything this resource created is kept"
            }
        };
        self.erase(context, &ownership).await?;
        Ok(DeletePlan::Keep(
            crate::Outcome::new().with_summary(summary),
        ))
    }

    /// Records the resource's `OnDelete` choice (`true`: keep) before a Create or Update
    /// acts. A record that owns nothing is not written (nothing to protect yet): the
    /// choice goes along with the first claim.
    pub async fn record_on_delete(
        &self,
        context: &RequestContext,
        ownership: &mut Ownership,
        retain: bool,
    ) -> Result<(), Failure> {
        if ownership.retain_on_delete == Some(retain) {
            return Ok(());
        }
        if ownership.is_empty() {
            ownership.retain_on_delete = Some(retain);
            return Ok(());
        }
        self.rewrite(context, ownership, |record| {
            record.retain_on_delete = Some(retain)
        })
        .await
    }

    /// Records several `(kind, name)` claims in one write (before the actions that
    /// create them). Nothing is written when the record already says so.
    pub async fn claim_all(
        &self,
        context: &RequestContext,
        ownership: &mut Ownership,
        claims: &[(&str, &str)],
    ) -> Result<(), Failure> {
        if claims.iter().all(|(kind, name)| ownership.owns(kind, name)) {
            return Ok(());
        }
        self.rewrite(context, ownership, |record| record.add(claims))
            .await
    }

    /// Records that several `(kind, name)` are gone, in one write (after the actions that
    /// removed them). Nothing is written when the record owns none of them.
    pub async fn release_all(
        &self,
        context: &RequestContext,
        ownership: &mut Ownership,
        releases: &[(&str, &str)],
    ) -> Result<(), Failure> {
        if !releases
            .iter()
            .any(|(kind, name)| ownership.owns(kind, name))
        {
            return Ok(());
        }
        self.rewrite(context, ownership, |record| {
            for (kind, name) in releases {
                if let Some(names) = record.owned.get_mut(*kind) {
                    names.remove(*name);
                    if names.is_empty() {
                        record.owned.remove(*kind);
                    }
                }
            }
        })
        .await
    }

    /// Checks, before any change, that the record with `claims` added stays within the
    /// 4096 bytes a standard-tier parameter holds. `Err` holds the record's size in bytes.
    pub fn check_claims_fit(
        &self,
        context: &RequestContext,
        ownership: &Ownership,
        claims: &[(&str, &str)],
    ) -> Result<(), usize> {
        let mut record = ownership.clone();
        record.add(claims);
        Self::stamp(context, &mut record);
        let size = serde_json::to_string(&record).map_or(usize::MAX, |text| text.len());
        if size <= MAX_RECORD_BYTES {
            Ok(())
        } else {
            Err(size)
        }
    }

    /// Sets the fields that say whose record it is.
    fn stamp(context: &RequestContext, record: &mut Ownership) {
        record.version = 1;
        record.stack_id = context.stack_id().to_owned();
        record.logical_resource_id = context.logical_resource_id().to_owned();
        record.resource_type = context.resource_type().to_owned();
    }

    /// Writes the record as `change` leaves it; `ownership` takes the new record only
    /// once the write succeeded.
    async fn rewrite(
        &self,
        context: &RequestContext,
        ownership: &mut Ownership,
        change: impl FnOnce(&mut Ownership),
    ) -> Result<(), Failure> {
        let mut updated = ownership.clone();
        change(&mut updated);
        self.write(context, &mut updated).await?;
        *ownership = updated;
        Ok(())
    }

    /// Claims the account-wide singleton `kind` (the region's recorder, the hub) for this
    /// resource along with `claims` (what it is about to create), before creating it.
    ///
    /// Two stacks creating the same singleton at once must not both record themselves as
    /// its creator (one's Delete would remove what the other relies on). The claims go
    /// into this resource's record first; then `<prefix>/singleton/<kind>` is created
    /// naming this resource, only if absent (SSM PutParameter: "Overwrite: Overwrite an
    /// existing parameter. The default value is false."; otherwise
    /// `ParameterAlreadyExists`). Whoever creates it owns the singleton. `Ok(false)`:
    /// another live resource holds it, and `claims` are released again: adopt instead
    /// (`also`, claimed in the same write, stays: rules beside a recorder, say).
    /// A singleton record whose holder's record no longer lists it (a holder deleted
    /// with Retain, or one whose create failed) is stale and taken over; so is one
    /// claimed longer ago than any request runs: call this only when the singleton does
    /// not exist, so its holder's is gone (deleted out of band), and the holder's record
    /// forgets it.
    pub async fn claim_singleton(
        &self,
        context: &RequestContext,
        ownership: &mut Ownership,
        kind: &str,
        claims: &[(&str, &str)],
        also: &[(&str, &str)],
    ) -> Result<bool, Failure> {
        let mut all = claims.to_vec();
        all.push((SINGLETON, kind));
        all.extend_from_slice(also);
        self.claim_all(context, ownership, &all).await?;
        let name = self.singleton_name(kind);
        let holder = Holder {
            claimed_at: epoch_seconds(),
            physical_id: context.physical_id().to_owned(),
            stack_id: context.stack_id().to_owned(),
            logical_resource_id: context.logical_resource_id().to_owned(),
        };
        let value = serde_json::to_string(&holder).map_err(|error| {
            Failure::new(ReasonCode::Internal, format!("singleton record: {error}"))
        })?;
        let description = format!("The one resource that created the {kind} (do not edit)");
        for _ in 0..2 {
            if self
                .put(context, &name, &value, &description, false)
                .await?
            {
                return Ok(true);
            }
            let Some(text) = self.get(context, &name).await? else {
                continue; // released in between: try again
            };
            let current: Holder = serde_json::from_str(&text).unwrap_or_default();
            if current.physical_id == holder.physical_id {
                return Ok(true); // a redelivered request: ours already
            }
            let holders_name = self.record_name(&current.physical_id);
            let mut holders_record = self.read_record(context, &holders_name).await?;
            if holders_record.owns(SINGLETON, kind) {
                let age = epoch_seconds().saturating_sub(current.claimed_at);
                if age < CLAIM_IN_FLIGHT.as_secs() {
                    tracing::info!(kind, holder = %current.physical_id, "another resource holds the singleton: adopting");
                    let mut releases = claims.to_vec();
                    releases.push((SINGLETON, kind));
                    self.release_all(context, ownership, &releases).await?;
                    return Ok(false);
                }
                // Claimed longer ago than any request runs, and (this is called only when
                // the singleton does not exist) gone since: what the holder created is no
                // more. Its record forgets it, so its Delete never removes what is made now.
                tracing::warn!(kind, holder = %current.physical_id, "the singleton its holder created is gone: the holder's record forgets it");
                self.forget_singleton(&mut holders_record, kind);
                self.put_record(context, &holders_name, &holders_record)
                    .await?;
            } else {
                tracing::warn!(kind, holder = %current.physical_id, "a stale singleton record (its holder no longer lists it): taking it over");
            }
            self.delete(context, &name).await?;
        }
        Err(Failure::new(
            ReasonCode::Conflict,
            format!("the {kind} is being claimed by another resource at the same time; retry"),
        ))
    }

    /// After the call that was to create `claims` failed with `failure`: when the
    /// service refused it (see [`Failure::refused_by_service`]), what it would have
    /// created certainly does not exist, and no claim may outlive that, or this
    /// resource's Delete would remove a same-named thing someone else makes later. The
    /// claims are released, and with them a singleton left covering nothing (the record
    /// first, then the singleton record: a crash in between leaves a stale singleton
    /// record, which the next claimer takes over). Returns the failure to report.
    pub async fn abandon(
        &self,
        context: &RequestContext,
        ownership: &mut Ownership,
        claims: &[(&str, &str)],
        failure: Failure,
    ) -> Failure {
        if !failure.refused_by_service() || claims.is_empty() {
            return failure;
        }
        tracing::info!(
            reason = %failure,
            "the create call was refused: releasing its claims"
        );
        let mut releases = claims.to_vec();
        let emptied: Vec<&str> = self
            .singletons
            .iter()
            .map(|(kind, _)| kind.as_str())
            .filter(|kind| ownership.owns(SINGLETON, kind))
            .filter(|kind| {
                let covered = self.covered_by(kind);
                let released = |k: &str, name: &str| claims.contains(&(k, name));
                claims.iter().any(|(k, _)| covered.iter().any(|c| c == k))
                    && covered
                        .iter()
                        .all(|c| ownership.owned(c).iter().all(|name| released(c, name)))
            })
            .collect();
        releases.extend(emptied.iter().map(|kind| (SINGLETON, *kind)));
        let released = async {
            self.release_all(context, ownership, &releases).await?;
            for kind in &emptied {
                self.delete(context, &self.singleton_name(kind)).await?;
            }
            Ok::<_, Failure>(())
        };
        match released.await {
            Ok(()) => failure,
            Err(ledger_failure) => ledger_failure,
        }
    }

    /// Removes the record (the final Delete), then the singleton records it held (in
    /// that order: a crash in between leaves stale singleton records, which the next
    /// claimer takes over, never a record owning a singleton nobody holds). A record
    /// already gone is fine.
    pub async fn erase(
        &self,
        context: &RequestContext,
        ownership: &Ownership,
    ) -> Result<(), Failure> {
        self.delete(context, &self.parameter_name(context)).await?;
        for kind in ownership.owned(SINGLETON) {
            self.delete(context, &self.singleton_name(&kind)).await?;
        }
        Ok(())
    }

    /// The record in parameter `name`; none owns nothing.
    async fn read_record(
        &self,
        context: &RequestContext,
        name: &str,
    ) -> Result<Ownership, Failure> {
        let Some(value) = self.get(context, name).await? else {
            return Ok(Ownership::default());
        };
        serde_json::from_str(&value).map_err(|error| {
            Failure::new(
                ReasonCode::Internal,
                format!("the ownership record {name} does not parse ({error}); fix or delete it by hand"),
            )
        })
    }

    /// The SSM calls, retried with the ledger's backoff.
    fn ssm(&self) -> AwsApi {
        AwsApi::new("ssm", self.backoff)
    }

    /// GetParameter; `None` when there is no such parameter.
    async fn get(&self, context: &RequestContext, name: &str) -> Result<Option<String>, Failure> {
        let output = self
            .ssm()
            .call_or_absent(
                context,
                "GetParameter",
                "reading the ownership ledger",
                &["ParameterNotFound"],
                || self.client.get_parameter().name(name).send(),
            )
            .await?;
        Ok(output.and_then(|o| o.parameter).and_then(|p| p.value))
    }

    /// PutParameter; without `overwrite`, `Ok(false)` when the parameter exists.
    async fn put(
        &self,
        context: &RequestContext,
        name: &str,
        value: &str,
        description: &str,
        overwrite: bool,
    ) -> Result<bool, Failure> {
        let exists: &[&str] = if overwrite {
            &[]
        } else {
            &["ParameterAlreadyExists"]
        };
        let written = self
            .ssm()
            .call_or_absent(
                context,
                "PutParameter",
                "writing the ownership ledger",
                exists,
                || {
                    self.client
                        .put_parameter()
                        .name(name)
                        .value(value)
                        .description(description)
                        .r#type(ParameterType::String)
                        .tier(ParameterTier::Standard)
                        .overwrite(overwrite)
                        .send()
                },
            )
            .await?;
        Ok(written.is_some())
    }

    /// DeleteParameter; a parameter already gone is fine.
    async fn delete(&self, context: &RequestContext, name: &str) -> Result<(), Failure> {
        self.ssm()
            .call_or_absent(
                context,
                "DeleteParameter",
                "erasing from the ownership ledger",
                &["ParameterNotFound"],
                || self.client.delete_parameter().name(name).send(),
            )
            .await
            .map(drop)
    }

    /// Writes this resource's record, stamped with its ids.
    async fn write(&self, context: &RequestContext, record: &mut Ownership) -> Result<(), Failure> {
        Self::stamp(context, record);
        self.put_record(context, &self.parameter_name(context), record)
            .await
    }

    /// Writes `record` to the parameter `name` as it is.
    async fn put_record(
        &self,
        context: &RequestContext,
        name: &str,
        record: &Ownership,
    ) -> Result<(), Failure> {
        let value = serde_json::to_string(record).map_err(|error| {
            Failure::new(ReasonCode::Internal, format!("ownership record: {error}"))
        })?;
        if value.len() > MAX_RECORD_BYTES {
            return Err(Failure::new(
                ReasonCode::LimitExceeded,
                format!(
                    "the ownership record {name} would exceed {MAX_RECORD_BYTES} bytes ({} bytes)",
                    value.len()
                ),
            ));
        }
        self.put(context, name, &value, &description_of(record), true)
            .await
            .map(|_| ())
    }
}

/// `text` as one level of an SSM parameter name (letters, digits, `_ . -`), or a hash of
/// it when it has other characters, is long, or has the hashed form itself (`h-` and 16
/// hex digits: kept as it is, it would name the record of the text it is the hash of).
fn parameter_safe(text: &str) -> String {
    let safe = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    let looks_hashed = text.len() == 18
        && text.starts_with("h-")
        && text[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if !safe || text.len() > 512 || looks_hashed {
        format!("h-{:016x}", crate::context::fnv1a(text.as_bytes()))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::config::retry::RetryConfig;
    use aws_sdk_ssm::error::ErrorMetadata;
    use aws_sdk_ssm::operation::delete_parameter::{DeleteParameterError, DeleteParameterOutput};
    use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
    use aws_sdk_ssm::operation::put_parameter::{PutParameterError, PutParameterOutput};
    use aws_sdk_ssm::types::error::{ParameterNotFound, TooManyUpdates};
    use aws_sdk_ssm::types::Parameter;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use tokio::time::Instant;

    fn context() -> RequestContext {
        RequestContext::for_tests(Instant::now() + Duration::from_secs(30))
    }

    fn record(json: &str) -> GetParameterOutput {
        GetParameterOutput::builder()
            .parameter(Parameter::builder().value(json).build())
            .build()
    }

    fn meta(code: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message(code).build()
    }

    fn not_found() -> GetParameterError {
        GetParameterError::ParameterNotFound(
            ParameterNotFound::builder()
                .meta(meta("ParameterNotFound"))
                .build(),
        )
    }

    /// A mocked SSM client without the SDK's own retries (the ledger retries).
    fn ssm(rules: &[&Rule]) -> Client {
        mock_client!(aws_sdk_ssm, RuleMode::Sequential, rules, |config| config
            .retry_config(RetryConfig::disabled()))
    }

    #[tokio::test]
    async fn a_resource_without_a_record_owns_nothing() {
        let get = mock!(Client::get_parameter).then_error(not_found);
        let ledger = Ledger::with_prefix(ssm(&[&get]), "/ledger");
        let owned = ledger.read(&context()).await.unwrap();
        assert!(owned.is_empty());
        assert_eq!(get.num_calls(), 1);
    }

    #[tokio::test]
    async fn the_record_is_keyed_by_the_physical_id_under_the_prefix() {
        let get = mock!(Client::get_parameter)
            .match_requests(|input| {
                input
                    .name()
                    .is_some_and(|n| n.starts_with("/ledger/resource/test-TestResource-"))
            })
            .then_output(|| {
                record(r#"{"version":1,"owned":{"recorder":["default"],"rule":["a","b"]}}"#)
            });
        let ledger = Ledger::with_prefix(ssm(&[&get]), "ledger/");
        let owned = ledger.read(&context()).await.unwrap();
        assert!(owned.owns("recorder", "default"));
        assert!(!owned.owns("recorder", "other"));
        assert_eq!(owned.owned("rule"), ["a", "b"]);
        assert_eq!(get.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_claim_is_written_with_everything_owned_so_far_and_only_once() {
        let put = mock!(Client::put_parameter)
            .match_requests(|input| {
                let value: serde_json::Value =
                    serde_json::from_str(input.value().unwrap()).unwrap();
                input.overwrite() == Some(true)
                    && value["owned"]
                        == serde_json::json!({"recorder": ["default"], "rule": ["r1"]})
                    && value["logicalResourceId"] == "TestResource"
            })
            .then_output(|| PutParameterOutput::builder().build());
        let ledger = Ledger::with_prefix(ssm(&[&put]), "/ledger");
        let context = context();
        let mut owned: Ownership =
            serde_json::from_str(r#"{"owned":{"recorder":["default"]}}"#).unwrap();
        ledger
            .claim_all(&context, &mut owned, &[("rule", "r1")])
            .await
            .unwrap();
        ledger
            .claim_all(&context, &mut owned, &[("rule", "r1")])
            .await
            .unwrap();
        ledger
            .claim_all(&context, &mut owned, &[("recorder", "default")])
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1);
        assert!(owned.owns("rule", "r1"));
    }

    #[tokio::test]
    async fn a_release_rewrites_the_record_without_the_name() {
        let put = mock!(Client::put_parameter)
            .match_requests(|input| {
                let value: serde_json::Value =
                    serde_json::from_str(input.value().unwrap()).unwrap();
                value["owned"] == serde_json::json!({"recorder": ["default"]})
            })
            .then_output(|| PutParameterOutput::builder().build());
        let ledger = Ledger::with_prefix(ssm(&[&put]), "/ledger");
        let mut owned: Ownership =
            serde_json::from_str(r#"{"owned":{"recorder":["default"],"rule":["r1"]}}"#).unwrap();
        ledger
            .release_all(&context(), &mut owned, &[("rule", "r1")])
            .await
            .unwrap();
        ledger
            .release_all(&context(), &mut owned, &[("rule", "never-owned")])
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1);
        assert!(!owned.owns("rule", "r1"));
    }

    #[tokio::test]
    async fn releasing_several_names_is_one_write() {
        let put = mock!(Client::put_parameter)
            .match_requests(|input| {
                let value: serde_json::Value =
                    serde_json::from_str(input.value().unwrap()).unwrap();
                value["owned"] == serde_json::json!({"rule": ["r3"]})
            })
            .then_output(|| PutParameterOutput::builder().build());
        let ledger = Ledger::with_prefix(ssm(&[&put]), "/ledger");
        let mut owned: Ownership =
            serde_json::from_str(r#"{"owned":{"recorder":["default"],"rule":["r1","r2","r3"]}}"#)
                .unwrap();
        ledger
            .release_all(
                &context(),
                &mut owned,
                &[
                    ("rule", "r1"),
                    ("rule", "r2"),
                    ("recorder", "default"),
                    ("rule", "never-owned"),
                ],
            )
            .await
            .unwrap();
        ledger
            .release_all(&context(), &mut owned, &[("rule", "never-owned")])
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1);
        assert_eq!(owned.owned("rule"), ["r3"]);
    }

    #[tokio::test]
    async fn throttled_writes_are_retried() {
        let put = mock!(Client::put_parameter)
            .sequence()
            .error(|| {
                PutParameterError::TooManyUpdates(
                    TooManyUpdates::builder()
                        .meta(meta("TooManyUpdates"))
                        .build(),
                )
            })
            .times(2)
            .output(|| PutParameterOutput::builder().build())
            .build();
        let ledger = Ledger::with_prefix(ssm(&[&put]), "/ledger");
        let mut owned = Ownership::default();
        ledger
            .claim_all(&context(), &mut owned, &[("hub", "default")])
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 3);
    }

    #[tokio::test]
    async fn erasing_a_record_already_gone_is_fine() {
        let delete = mock!(Client::delete_parameter).then_error(|| {
            DeleteParameterError::ParameterNotFound(
                ParameterNotFound::builder()
                    .meta(meta("ParameterNotFound"))
                    .build(),
            )
        });
        let ledger = Ledger::with_prefix(ssm(&[&delete]), "/ledger");
        ledger
            .erase(&context(), &Ownership::default())
            .await
            .unwrap();
        assert_eq!(delete.num_calls(), 1);
        let _ = DeleteParameterOutput::builder().build();
    }

    #[tokio::test]
    async fn a_record_that_does_not_parse_is_an_internal_failure_naming_it() {
        let get = mock!(Client::get_parameter).then_output(|| record("not json"));
        let ledger = Ledger::with_prefix(ssm(&[&get]), "/ledger");
        let failure = ledger.read(&context()).await.unwrap_err();
        assert_eq!(failure.code(), ReasonCode::Internal);
        assert!(failure.message().contains("/ledger/"), "{failure}");
    }

    fn record_of(stack: &str, logical: &str, extra: &str) -> GetParameterOutput {
        record(&format!(
            r#"{{"version":1,"stackId":"{stack}","logicalResourceId":"{logical}","owned":{{"hub":["default"]}}{extra}}}"#
        ))
    }

    const OWN_STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/test/1";

    #[tokio::test]
    async fn a_record_of_another_stack_or_logical_id_refuses_an_update() {
        for (stack, logical) in [
            (
                "arn:aws:cloudformation:us-east-1:123456789012:stack/other/2",
                "TestResource",
            ),
            (OWN_STACK, "OtherResource"),
        ] {
            let get =
                mock!(Client::get_parameter).then_output(move || record_of(stack, logical, ""));
            let ledger = Ledger::with_prefix(ssm(&[&get]), "/ledger");
            let failure = ledger.read(&context()).await.unwrap_err();
            assert_eq!(failure.code(), ReasonCode::AccessDenied, "{failure}");
            assert!(failure.message().contains("another stack"), "{failure}");
        }
        let get =
            mock!(Client::get_parameter).then_output(|| record_of(OWN_STACK, "TestResource", ""));
        let ledger = Ledger::with_prefix(ssm(&[&get]), "/ledger");
        assert!(ledger
            .read(&context())
            .await
            .unwrap()
            .owns("hub", "default"));
    }

    #[tokio::test]
    async fn a_delete_of_another_stacks_record_keeps_it_and_succeeds() {
        let get = mock!(Client::get_parameter).then_output(|| {
            record_of(
                "arn:aws:cloudformation:us-east-1:123456789012:stack/other/2",
                "TestResource",
                r#","retainOnDelete":false"#,
            )
        });
        let delete = mock!(Client::delete_parameter)
            .then_output(|| DeleteParameterOutput::builder().build());
        let ledger = Ledger::with_prefix(ssm(&[&get, &delete]), "/ledger");
        let plan = ledger.plan_delete(&context(), Some(false)).await.unwrap();
        let DeletePlan::Keep(outcome) = plan else {
            panic!("{plan:?}")
        };
        assert!(outcome.summary.unwrap().contains("another stack"));
        assert_eq!(delete.num_calls(), 0, "the other stack's record stays");
    }

    #[tokio::test]
    async fn the_delete_choice_keeps_when_any_source_says_retain_or_none_says() {
        let cases = [
            ("", None, true),
            ("", Some(false), false),
            ("", Some(true), true),
            (r#","retainOnDelete":false"#, None, false),
            (r#","retainOnDelete":false"#, Some(true), true),
            (r#","retainOnDelete":true"#, Some(false), true),
            (r#","retainOnDelete":true"#, None, true),
        ];
        for (extra, per_properties, keeps) in cases {
            let get = mock!(Client::get_parameter)
                .then_output(move || record_of(OWN_STACK, "TestResource", extra));
            let delete = mock!(Client::delete_parameter)
                .then_output(|| DeleteParameterOutput::builder().build());
            let ledger = Ledger::with_prefix(ssm(&[&get, &delete]), "/ledger");
            let plan = ledger
                .plan_delete(&context(), per_properties)
                .await
                .unwrap();
            match plan {
                DeletePlan::Keep(_) => {
                    assert!(keeps, "{extra} {per_properties:?}");
                    assert_eq!(delete.num_calls(), 1, "a kept resource's record is erased");
                }
                DeletePlan::Remove(owned) => {
                    assert!(!keeps, "{extra} {per_properties:?}");
                    assert!(owned.owns("hub", "default"));
                }
            }
        }
    }

    #[tokio::test]
    async fn the_choice_is_written_with_the_first_claim_or_alone_when_it_changes() {
        let put = mock!(Client::put_parameter)
            .match_requests(|input| {
                let value: serde_json::Value =
                    serde_json::from_str(input.value().unwrap()).unwrap();
                value["retainOnDelete"] == true
            })
            .sequence()
            .output(|| PutParameterOutput::builder().build())
            .times(2)
            .build();
        let ledger = Ledger::with_prefix(ssm(&[&put]), "/ledger");
        let context = context();
        let mut owned = Ownership::default();
        ledger
            .record_on_delete(&context, &mut owned, true)
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 0, "nothing owned yet: nothing to write");
        ledger
            .claim_all(&context, &mut owned, &[("hub", "default")])
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1, "the claim carries the choice");
        ledger
            .record_on_delete(&context, &mut owned, true)
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1, "unchanged: no write");
        let mut legacy: Ownership =
            serde_json::from_str(r#"{"owned":{"hub":["default"]}}"#).unwrap();
        ledger
            .record_on_delete(&context, &mut legacy, true)
            .await
            .unwrap();
        assert_eq!(
            put.num_calls(),
            2,
            "a record that owns something gets the choice at once"
        );
        assert_eq!(legacy.retain_on_delete(), Some(true));
    }
}
