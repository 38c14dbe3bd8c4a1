//! What a subscription's status means for the stack, and what to do about it.

use crate::api::Subscription;

/// The standard is enabled.
pub(crate) const READY: &str = "READY";
/// Could not be enabled completely; `StandardsStatusReason` says why.
pub(crate) const INCOMPLETE: &str = "INCOMPLETE";
/// Could not be enabled or disabled.
pub(crate) const FAILED: &str = "FAILED";
/// Being disabled.
pub(crate) const DELETING: &str = "DELETING";

/// Whether the subscription failed for good (the post-condition cannot arrive by waiting).
pub(crate) fn is_not_active(subscription: &Subscription) -> bool {
    matches!(subscription.status.as_str(), INCOMPLETE | FAILED)
}

/// What to do about a `StatusReasonCode`.
pub(crate) fn hint(reason: Option<&str>) -> &'static str {
    match reason {
        Some("NO_AVAILABLE_CONFIGURATION_RECORDER") => {
            "AWS Config does not record in this account and region: let the Custom::ConfigSetup resource complete first (add DependsOn on it), then Update this resource, which disables and re-enables the standards it enabled"
        }
        Some("MAXIMUM_NUMBER_OF_CONFIG_RULES_EXCEEDED") => {
            "the account reached the AWS Config rules quota: delete unused Config rules or ask for a higher quota, then Update this resource"
        }
        Some("INTERNAL_ERROR") => {
            "Security Hub failed internally: Update this resource to disable and re-enable the standard"
        }
        Some("NO_AVAILABLE_MULTICLOUD_CONNECTOR") => {
            "the standard needs a multicloud connector that is not set up in this account"
        }
        _ => "see the standard in the Security Hub console",
    }
}

/// `<short id> is INCOMPLETE (StatusReasonCode X): <hint>`, with a note for adopted standards.
pub(crate) fn describe_not_active(
    short_id: &str,
    subscription: &Subscription,
    owned: bool,
) -> String {
    let reason = subscription.reason.as_deref();
    let code = reason.map_or_else(
        || "no StatusReasonCode".to_owned(),
        |code| format!("StatusReasonCode {code}"),
    );
    let mut text = format!(
        "{short_id} is {} ({code}): {}",
        subscription.status,
        hint(reason)
    );
    if !owned {
        text.push_str(
            " (this standard was enabled before this resource, which never disables it: disable and enable it again yourself once fixed)",
        );
    }
    text
}
