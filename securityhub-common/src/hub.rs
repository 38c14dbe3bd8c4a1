//! How Security Hub says an account has no hub, and how long a fresh hub may take to show.

use std::future::Future;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
/// How long Security Hub may take to show a hub enabled moments ago (the kit's error
/// table retries "not subscribed" as long): the one definition, in the kit.
pub use cfn_custom_resource_kit::HUB_SETTLING;
use cfn_custom_resource_kit::{AwsApi, Failure, RequestContext};

/// Whether a failure says the account has no hub (`InvalidAccessException ... not subscribed`).
pub fn is_not_subscribed(failure: &Failure) -> bool {
    failure.aws_error_code() == Some("InvalidAccessException")
        && failure
            .message()
            .to_ascii_lowercase()
            .contains("not subscribed")
}

/// [`AwsApi::call`] for a Security Hub read, answering `None` when the account is not
/// subscribed (no hub) rather than retrying that for [`HUB_SETTLING`] and failing.
pub async fn call_or_no_hub<T, E, F, Fut>(
    securityhub: &AwsApi,
    context: &RequestContext,
    operation: &'static str,
    what: &str,
    attempt: F,
) -> Result<Option<T>, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    // No hub is the answer, not a failure to wait out for HUB_SETTLING.
    securityhub
        .call_or_none_if(context, operation, what, is_not_subscribed, attempt)
        .await
}
