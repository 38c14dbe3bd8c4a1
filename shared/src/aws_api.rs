//! One way to call AWS: the service named once, each operation named once, failures
//! classified by the error tables ([`crate::aws_failure`]) and retried within the
//! request's budgets ([`crate::retry`]), and the error codes that mean "not there"
//! answered as `None` instead of a failure.
//!
//! ```no_run
//! # async fn example(client: aws_sdk_ssm::Client, context: &cfn_custom_resource_kit::RequestContext)
//! # -> Result<(), cfn_custom_resource_kit::Failure> {
//! use cfn_custom_resource_kit::{AwsApi, Backoff};
//!
//! let ssm = AwsApi::new("ssm", Backoff::default());
//! let parameter = ssm
//!     .call_or_absent(context, "GetParameter", "reading the record", &["ParameterNotFound"], || {
//!         client.get_parameter().name("/my/record").send()
//!     })
//!     .await?;
//! # let _ = parameter; Ok(()) }
//! ```

use std::future::{ready, Future};

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::{aws_failure, retry, Backoff, Failure, RequestContext};

/// One AWS service as a resource calls it within a request: its name (as the error
/// tables and reasons know it: `config`, `securityhub`, `ssm`, ...) and the backoff its
/// retries and polls use.
#[derive(Clone, Copy, Debug)]
pub struct AwsApi {
    service: &'static str,
    backoff: Backoff,
}

impl AwsApi {
    /// Calls to `service`, retried with `backoff`.
    pub const fn new(service: &'static str, backoff: Backoff) -> Self {
        Self { service, backoff }
    }

    /// The backoff its retries use (for the resource's own polls).
    pub const fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// Sends `attempt` (one SDK call, e.g. `|| client.describe_hub().send()`) until it
    /// succeeds or its failure is final; `what` names the step in a timeout's reason.
    pub async fn call<T, E, F, Fut>(
        &self,
        context: &RequestContext,
        operation: &'static str,
        what: &str,
        attempt: F,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call_or_else(context, operation, what, attempt, |failure| {
            ready(Err(failure))
        })
        .await
    }

    /// Like [`Self::call`], with the error codes in `absent` (e.g.
    /// `NoSuchConfigurationRecorderException`) answered as `None`.
    pub async fn call_or_absent<T, E, F, Fut>(
        &self,
        context: &RequestContext,
        operation: &'static str,
        what: &str,
        absent: &[&str],
        attempt: F,
    ) -> Result<Option<T>, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let listed = |failure: &Failure| {
            failure
                .aws_error_code()
                .is_some_and(|c| absent.contains(&c))
        };
        self.call_or_none_if(context, operation, what, listed, attempt)
            .await
    }

    /// Like [`Self::call`], with a failure `is_absent` accepts (a classified code, a
    /// message the service overloads a code with) answered as `None` at once, never
    /// retried.
    pub async fn call_or_none_if<T, E, F, Fut>(
        &self,
        context: &RequestContext,
        operation: &'static str,
        what: &str,
        is_absent: impl Fn(&Failure) -> bool,
        mut attempt: F,
    ) -> Result<Option<T>, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call_or_else(
            context,
            operation,
            what,
            || {
                let sent = attempt();
                async move { sent.await.map(Some) }
            },
            |failure| {
                ready(if is_absent(&failure) {
                    Ok(None)
                } else {
                    Err(failure)
                })
            },
        )
        .await
    }

    /// Like [`Self::call`], with each attempt's failure first given to `recover`, which
    /// may answer a value (a refusal that means the goal is met; it may ask the service
    /// first) or pass the failure on (with context, say); what it passes on is retried as
    /// the tables say.
    pub async fn call_or_else<T, E, F, Fut, R, RFut>(
        &self,
        context: &RequestContext,
        operation: &'static str,
        what: &str,
        mut attempt: F,
        recover: R,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: Fn(Failure) -> RFut,
        RFut: Future<Output = Result<T, Failure>>,
    {
        let service = self.service;
        // Boxed: an SDK call's future is large, and a handler awaits dozens of them in
        // one state machine; on the heap they cost a pointer each in the caller's future
        // instead of growing it past a thread's stack.
        Box::pin(retry(context, self.backoff, what, || {
            let sent = attempt();
            let recover = &recover;
            async move {
                match sent.await {
                    Ok(output) => Ok(output),
                    Err(error) => recover(aws_failure(&error, service, operation)).await,
                }
            }
        }))
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
    use aws_sdk_ssm::types::error::ParameterNotFound;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use tokio::time::Instant;

    use super::*;
    use crate::ReasonCode;

    fn not_found() -> GetParameterError {
        GetParameterError::ParameterNotFound(
            ParameterNotFound::builder()
                .meta(
                    aws_sdk_ssm::error::ErrorMetadata::builder()
                        .code("ParameterNotFound")
                        .build(),
                )
                .build(),
        )
    }

    fn throttled() -> GetParameterError {
        GetParameterError::generic(
            aws_sdk_ssm::error::ErrorMetadata::builder()
                .code("ThrottlingException")
                .build(),
        )
    }

    fn api() -> AwsApi {
        AwsApi::new(
            "ssm",
            Backoff::new(Duration::from_millis(1), Duration::from_millis(2)),
        )
    }

    fn context() -> RequestContext {
        RequestContext::for_tests(Instant::now() + Duration::from_secs(30))
    }

    #[tokio::test]
    async fn an_absent_code_is_none_and_throttling_is_retried() {
        let rule = mock!(aws_sdk_ssm::Client::get_parameter)
            .sequence()
            .error(throttled)
            .error(not_found)
            .build();
        let client = mock_client!(aws_sdk_ssm, RuleMode::Sequential, [&rule]);
        let found = api()
            .call_or_absent(
                &context(),
                "GetParameter",
                "reading",
                &["ParameterNotFound"],
                || client.get_parameter().name("/x").send(),
            )
            .await
            .unwrap();
        assert!(found.is_none());
        assert_eq!(rule.num_calls(), 2, "throttled once, then absent");
    }

    #[tokio::test]
    async fn other_codes_fail_naming_the_operation_and_recover_may_answer() {
        let rule = mock!(aws_sdk_ssm::Client::get_parameter)
            .sequence()
            .error(not_found)
            .times(2)
            .output(|| GetParameterOutput::builder().build())
            .build();
        let client = mock_client!(aws_sdk_ssm, RuleMode::Sequential, [&rule]);
        let failure = api()
            .call(&context(), "GetParameter", "reading", || {
                client.get_parameter().name("/x").send()
            })
            .await
            .unwrap_err();
        assert_eq!(failure.code(), ReasonCode::NotFound, "{failure}");
        assert_eq!(failure.aws_error_code(), Some("ParameterNotFound"));
        let answered = api()
            .call_or_else(
                &context(),
                "GetParameter",
                "reading",
                || client.get_parameter().name("/x").send(),
                |_| ready(Ok(GetParameterOutput::builder().build())),
            )
            .await;
        assert!(answered.is_ok());
        assert_eq!(rule.num_calls(), 2);
    }
}
