//! How Security Hub says an account has no hub, and how long a fresh hub may take to show.

use cfn_custom_resource_kit::Failure;
/// How long Security Hub may take to show a hub enabled moments ago (the kit's error
/// table retries "not subscribed" as long): the one definition, in the kit.
pub use cfn_custom_resource_kit::HUB_SETTLING;

/// Whether a failure says the account has no hub (`InvalidAccessException ... not subscribed`).
/// A read passes it to `AwsApi::call_or_none_if`: no hub is the answer, not a failure to
/// wait out for [`HUB_SETTLING`].
pub fn is_not_subscribed(failure: &Failure) -> bool {
    failure.aws_error_code() == Some("InvalidAccessException")
        && failure
            .message()
            .to_ascii_lowercase()
            .contains("not subscribed")
}
