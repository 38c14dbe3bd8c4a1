//! AWS managed Config rules: the rule asked for, and how it compares.

use aws_sdk_config::types::{ConfigRule, MaximumExecutionFrequency, Owner, Scope, Source, Tag};
use serde_json::Value;

use crate::properties::ManagedRule;

/// The tag key on rules this resource created, naming the stack and resource (for
/// operators; the ownership ledger is what Delete trusts).
pub(crate) const OWNER_TAG: &str = "cfn-custom-resource-kit:owner";

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

/// The most characters a tag value may have (AWS Config API Reference, Tag: "Value ...
/// Maximum length of 256").
const MAX_TAG_VALUE: usize = 256;

/// The owner tag for a rule this resource creates: `<stack name>/<logical id>`. A stack
/// name (up to 128 characters) and a logical id (up to 255) can make more than a tag
/// value holds: then the start of it and a hash of the whole, still one per resource.
pub(crate) fn owner_tag(stack_id: &str, logical_id: &str) -> Tag {
    let stack = stack_id.split('/').nth(1).unwrap_or(stack_id);
    let full = format!("{stack}/{logical_id}");
    let value = if full.chars().count() <= MAX_TAG_VALUE {
        full
    } else {
        // Stable across versions: a tag written by one is read by the next.
        let hash = format!("-{:016x}", cfn_custom_resource_kit::fnv1a(full.as_bytes()));
        let start: String = full.chars().take(MAX_TAG_VALUE - hash.len()).collect();
        format!("{start}{hash}")
    };
    Tag::builder().key(OWNER_TAG).value(value).build()
}

/// The tags of what the resource of `ctx` creates: its owner tag and the `Tags` property.
pub(crate) fn tags(
    ctx: &cfn_custom_resource_kit::RequestContext,
    extra: &std::collections::BTreeMap<String, String>,
) -> Vec<Tag> {
    std::iter::once(owner_tag(ctx.stack_id(), ctx.logical_resource_id()))
        .chain(
            extra
                .iter()
                .map(|(key, value)| Tag::builder().key(key).value(value).build()),
        )
        .collect()
}

/// Whether a rule's `tags` carry an owner tag naming another resource than `ours`: the
/// rule was replaced since (deleted out of band and made again by another stack), and is
/// no longer this resource's to change.
pub(crate) fn owned_by_another(tags: &[Tag], ours: &Tag) -> bool {
    tags.iter()
        .any(|t| t.key == ours.key && t.value != ours.value)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_tag_fits_a_tag_value_and_stays_one_per_resource() {
        let short = owner_tag(
            "arn:aws:cloudformation:us-east-1:1:stack/baseline/u",
            "ConfigSetup",
        );
        assert_eq!(short.value.as_deref(), Some("baseline/ConfigSetup"));
        let stack = format!(
            "arn:aws:cloudformation:us-east-1:1:stack/{}/u",
            "s".repeat(128)
        );
        let long = |logical: &str| owner_tag(&stack, logical).value.unwrap();
        let (first, second) = (
            long(&"L".repeat(255)),
            long(&format!("{}M", "L".repeat(254))),
        );
        assert_eq!(first.chars().count(), MAX_TAG_VALUE);
        assert_ne!(first, second, "the hash tells them apart");
        assert_eq!(first, long(&"L".repeat(255)), "stable");
    }
}
