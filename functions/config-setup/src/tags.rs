//! The tags on what this resource creates: its owner tag (naming the stack and resource)
//! and the `Tags` property.

use std::collections::BTreeMap;

use aws_sdk_config::types::Tag;
use cfn_custom_resource_kit::RequestContext;

/// The tag key on the recorder and rules this resource created, naming the stack and resource (for
/// operators; the ownership ledger is what Delete trusts).
pub(crate) const OWNER_TAG: &str = "cfn-custom-resource-kit:owner";

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

/// The owner tag of the resource of `context`.
pub(crate) fn ours(context: &RequestContext) -> Tag {
    owner_tag(context.stack_id(), context.logical_resource_id())
}

/// The tags of what the resource of `context` creates: its owner tag and the `Tags` property.
pub(crate) fn creation(context: &RequestContext, extra: &BTreeMap<String, String>) -> Vec<Tag> {
    std::iter::once(ours(context))
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

/// The keys of `old` that `new` no longer names (for UntagResource).
pub(crate) fn removed(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Vec<String> {
    old.keys()
        .filter(|key| !new.contains_key(*key))
        .cloned()
        .collect()
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
