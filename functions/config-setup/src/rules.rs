//! AWS managed Config rules: the rule asked for and how it compares, which to put
//! (plan), putting and deleting them (apply), and reading them back `ACTIVE` (verify).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_config::types::{
    ConfigRule, ConfigRuleState, MaximumExecutionFrequency, Owner, Scope, Source, Tag,
};
use cfn_custom_resource_kit::{
    wait_until, Failure, Ledger, Ownership, Probe, ReasonCode, RequestContext,
};
use serde_json::Value;

use crate::api::{is_deleting, ConfigApi};
use crate::properties::{ConfigSetupProperties, ManagedRule};
use crate::tags;

/// The ledger kind of the rules this resource created.
pub(crate) const KIND: &str = "rule";

/// How long a new rule may take to be `ACTIVE`, and a deleted one to show `DELETING`.
const RULE_WAIT: Duration = Duration::from_secs(120);

/// How long a Create or Update waits for AWS Config to finish deleting a rule it needs
/// the name of (at most half the time left: the rest of the request needs the other).
/// Deleting a rule "might take an hour or more" (AWS Config Developer Guide), so a
/// longer wait would only move the failure to the deadline.
const RULE_DELETION_WAIT: Duration = Duration::from_secs(120);

/// `DescribeConfigRules` takes at most 25 names a call.
const PER_CALL: usize = 25;

/// The rule `rule` asks for.
pub(crate) fn desired(rule: &ManagedRule) -> ConfigRule {
    ConfigRule::builder()
        .config_rule_name(&rule.name)
        .source(
            Source::builder()
                .owner(Owner::Aws)
                .source_identifier(&rule.source_identifier)
                .build()
                .expect("owner is set"),
        )
        .set_input_parameters(
            rule.input_parameters
                .as_ref()
                .map(|p| Value::Object(p.clone()).to_string()),
        )
        .set_scope((!rule.resource_types.is_empty()).then(|| {
            Scope::builder()
                .set_compliance_resource_types(Some(rule.resource_types.clone()))
                .build()
        }))
        .set_maximum_execution_frequency(
            rule.maximum_execution_frequency
                .map(|f| MaximumExecutionFrequency::from(f.as_str())),
        )
        .build()
}

/// Whether `existing` already has every setting of `desired`.
pub(crate) fn matches(existing: &ConfigRule, desired: &ConfigRule) -> bool {
    let source = |rule: &ConfigRule| {
        rule.source
            .as_ref()
            .map(|s| (s.owner.clone(), s.source_identifier.clone()))
    };
    let parameters = |rule: &ConfigRule| {
        rule.input_parameters
            .as_deref()
            .and_then(|p| serde_json::from_str::<Value>(p).ok())
            .filter(|v| v.as_object().is_none_or(|o| !o.is_empty()))
    };
    let types = |rule: &ConfigRule| {
        let mut types = rule
            .scope
            .as_ref()
            .and_then(|s| s.compliance_resource_types.clone())
            .unwrap_or_default();
        types.sort();
        types
    };
    source(existing) == source(desired)
        && parameters(existing) == parameters(desired)
        && types(existing) == types(desired)
        && existing.maximum_execution_frequency == desired.maximum_execution_frequency
}

/// What the requested rules need: each rule to put (and whether it is new), the names
/// of the new ones (claimed before anything is created), the tags a new rule gets, and
/// the names of all requested (an owned rule not among them is deleted).
pub(crate) struct Plan {
    to_put: Vec<(ConfigRule, bool)>,
    new_names: Vec<String>,
    tags: Vec<Tag>,
    wanted: BTreeSet<String>,
}

impl Plan {
    /// The ledger claims for the new rules.
    pub(crate) fn claims(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.new_names.iter().map(|name| (KIND, name.as_str()))
    }
}

/// The names of the requested rules, in order.
pub(crate) fn names(properties: &ConfigSetupProperties) -> Vec<String> {
    properties
        .managed_rules
        .iter()
        .map(|r| r.name.clone())
        .collect()
}

/// Reads the requested rules: which to put (new or changed) and which are new. A rule
/// another service created (`CreatedBy`) is a conflict, found before anything changes.
///
/// The rules this resource owns are read together (one call per 25), the others one
/// by one: `DescribeConfigRules` naming any rule that does not exist answers
/// `NoSuchConfigRuleException` without saying which, so a new rule in a batch would
/// cost the batch and then a read of each.
pub(crate) async fn plan(
    api: &ConfigApi,
    context: &RequestContext,
    properties: &ConfigSetupProperties,
    owned: &Ownership,
) -> Result<Plan, Failure> {
    let (expected, others): (Vec<&str>, Vec<&str>) = properties
        .managed_rules
        .iter()
        .map(|r| r.name.as_str())
        .partition(|name| owned.owns(KIND, name));
    let mut found: BTreeMap<&str, Option<ConfigRule>> = BTreeMap::new();
    for chunk in expected.chunks(PER_CALL) {
        context.step(format!("reading rules {}", chunk.join(", ")));
        found.extend(chunk.iter().copied().zip(api.rules(context, chunk).await?));
    }
    for name in others {
        context.step(format!("reading rule {name}"));
        found.insert(name, api.rule(context, name).await?);
    }
    let deleting: Vec<&str> = found
        .iter()
        .filter(|(_, rule)| rule.as_ref().is_some_and(is_deleting))
        .map(|(name, _)| *name)
        .collect();
    if !deleting.is_empty() {
        // PutConfigRule on a rule in DELETING answers ResourceInUseException
        // (DeleteConfigRule): wait for the name to be free, then plan again.
        wait_for_deletions(api, context, &deleting).await?;
        return Box::pin(plan(api, context, properties, owned)).await;
    }
    let mut plan = Plan {
        to_put: Vec::new(),
        new_names: Vec::new(),
        tags: tags::creation(context, &properties.tags),
        wanted: names(properties).into_iter().collect(),
    };
    for rule in &properties.managed_rules {
        let wanted = desired(rule);
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
            Some(existing) if matches(&existing, &wanted) => {}
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
pub(crate) async fn apply(
    api: &ConfigApi,
    ledger: &Ledger,
    context: &RequestContext,
    plan: &Plan,
    owned: &mut Ownership,
) -> Result<Vec<String>, Failure> {
    for (rule, is_new) in &plan.to_put {
        let name = rule.config_rule_name.as_deref().unwrap_or_default();
        context.step(format!("putting rule {name}"));
        let (tags, new): (&[_], &[(&str, &str)]) = match is_new {
            true => (&plan.tags, &[(KIND, name)]),
            false => (&[], &[]),
        };
        if let Err(failure) = api.put_rule(context, rule, tags).await {
            return Err(ledger.abandon(context, owned, new, failure).await);
        }
    }
    let unwanted: Vec<String> = owned
        .owned(KIND)
        .into_iter()
        .filter(|name| !plan.wanted.contains(name))
        .collect();
    let under_way = remove(api, context, &unwanted).await?;
    let done_with: Vec<(&str, &str)> = unwanted.iter().map(|n| (KIND, n.as_str())).collect();
    ledger.release_all(context, owned, &done_with).await?;
    Ok(under_way)
}

/// Deletes owned rules: every deletion asked for first, then read back together.
/// AWS Config deletes a rule in the background ("Config sets the state of a rule to
/// DELETING until the deletion is complete", DeleteConfigRule), which "might take an
/// hour or more": a rule in DELETING is a deletion accepted, and is answered as under
/// way (the names returned), never waited for. A rule whose owner tag names another
/// resource is not this resource's (it was replaced since: deleted out of band and
/// made again by another stack) and is left; the owned rules are read together first
/// (25 per call) for that check. The caller takes them out of the ownership record (not
/// needed when the whole record is about to be erased).
pub(crate) async fn remove(
    api: &ConfigApi,
    context: &RequestContext,
    names: &[String],
) -> Result<Vec<String>, Failure> {
    let ours = tags::ours(context);
    let mut under_way = Vec::new();
    let mut asked = Vec::new();
    for chunk in names.chunks(PER_CALL) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        context.step(format!(
            "reading rules {} and their owner tags",
            chunk.join(", ")
        ));
        let found = api.rules(context, &chunk).await?;
        for (name, rule) in chunk.into_iter().zip(found) {
            let Some(rule) = rule else { continue };
            if is_deleting(&rule) {
                under_way.push(name.to_owned());
                continue;
            }
            if is_another_resources(api, context, &rule, &ours).await? {
                tracing::warn!(rule = %name, "the rule's owner tag names another resource: left as it is");
                continue;
            }
            context.step(format!("deleting rule {name}"));
            api.delete_rule(context, name).await?;
            asked.push(name);
        }
    }
    under_way.extend(read_back_deletions(api, context, &asked).await?);
    Ok(under_way)
}

/// Whether the rule's owner tag names another resource than `ours` (see
/// [`tags::owned_by_another`]).
async fn is_another_resources(
    api: &ConfigApi,
    context: &RequestContext,
    rule: &ConfigRule,
    ours: &Tag,
) -> Result<bool, Failure> {
    let found = api
        .tags(
            context,
            rule.config_rule_arn.as_deref(),
            "reading the rule's tags",
        )
        .await?;
    Ok(tags::owned_by_another(&found, ours))
}

/// The ARNs of the owned rules an Update's retag may change: a rule being deleted, or
/// whose owner tag names another resource, is left as it is.
pub(crate) async fn retaggable(
    api: &ConfigApi,
    context: &RequestContext,
    owned: &Ownership,
) -> Result<Vec<String>, Failure> {
    let ours = tags::ours(context);
    let mut arns = Vec::new();
    for chunk in owned.owned(KIND).chunks(PER_CALL) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        for rule in api.rules(context, &chunk).await?.into_iter().flatten() {
            if is_deleting(&rule) || is_another_resources(api, context, &rule, &ours).await? {
                continue;
            }
            arns.extend(rule.config_rule_arn);
        }
    }
    Ok(arns)
}

/// Reads rules back after DeleteConfigRule: each must be gone or `DELETING`. Answers
/// the ones still deleting.
async fn read_back_deletions(
    api: &ConfigApi,
    context: &RequestContext,
    names: &[&str],
) -> Result<Vec<String>, Failure> {
    let mut under_way = Vec::new();
    for chunk in names.chunks(PER_CALL) {
        context.step(format!("reading rules {} back", chunk.join(", ")));
        let deleting = wait_until(
            context,
            RULE_WAIT,
            api.backoff(),
            "waiting for AWS Config to accept the rule deletions",
            || async {
                let mut deleting = Vec::new();
                for (name, rule) in chunk.iter().zip(api.rules(context, chunk).await?) {
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
    api: &ConfigApi,
    context: &RequestContext,
    names: &[&str],
) -> Result<(), Failure> {
    context.step(format!(
        "waiting for AWS Config to finish deleting rule(s) {}",
        names.join(", ")
    ));
    let limit = RULE_DELETION_WAIT.min(context.remaining() / 2);
    for chunk in names.chunks(PER_CALL) {
        wait_until(
            context,
            limit,
            api.backoff(),
            "waiting for rule deletions to finish",
            || async {
                let found = api.rules(context, chunk).await?;
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

/// Waits until every rule exists and is `ACTIVE`.
pub(crate) async fn verify(
    api: &ConfigApi,
    context: &RequestContext,
    names: &[String],
) -> Result<(), Failure> {
    for chunk in names.chunks(PER_CALL) {
        let chunk: Vec<&str> = chunk.iter().map(String::as_str).collect();
        context.step(format!("verifying rules {}", chunk.join(", ")));
        wait_until(
            context,
            RULE_WAIT,
            api.backoff(),
            "waiting for the rules to be ACTIVE",
            || async {
                let found = api.rules(context, &chunk).await?;
                for (name, rule) in chunk.iter().zip(found) {
                    let state = rule.as_ref().and_then(|r| r.config_rule_state.clone());
                    if state != Some(ConfigRuleState::Active) {
                        let state = state.map_or("missing".to_owned(), |s| s.as_str().to_owned());
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
