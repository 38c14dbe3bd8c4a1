//! What a subscription's status means for the stack, and what to do about it.

use aws_sdk_securityhub::types::{StandardsStatus, StatusReasonCode};

use crate::api::Subscription;

/// Whether the subscription failed for good (the post-condition cannot arrive by waiting):
/// `INCOMPLETE` (could not be enabled completely; `StandardsStatusReason` says why) or
/// `FAILED` (could not be enabled or disabled).
pub(crate) fn is_not_active(subscription: &Subscription) -> bool {
    matches!(
        subscription.status,
        StandardsStatus::Incomplete | StandardsStatus::Failed
    )
}

/// What to do about a `StatusReasonCode`.
pub(crate) fn hint(reason: Option<&StatusReasonCode>) -> &'static str {
    match reason {
        Some(StatusReasonCode::NoAvailableConfigurationRecorder) => {
            "AWS Config does not record in this account and region: let the Custom::ConfigSetup resource complete first (add DependsOn on it), then Update this resource, which disables and re-enables the standards it enabled"
        }
        Some(StatusReasonCode::MaximumNumberOfConfigRulesExceeded) => {
            "the account reached the AWS Config rules quota: delete unused Config rules or ask for a higher quota, then Update this resource"
        }
        Some(StatusReasonCode::InternalError) => {
            "Security Hub failed internally: Update this resource to disable and re-enable the standard"
        }
        Some(StatusReasonCode::NoAvailableMulticloudConnector) => {
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
    let reason = subscription.reason.as_ref();
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
