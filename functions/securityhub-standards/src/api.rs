//! The Security Hub standards calls, each retried as the shared crate decides, and the
//! pacing `BatchEnableStandards` asks for (one call per second).

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_securityhub::types::{
    StandardsStatus, StandardsSubscription, StandardsSubscriptionRequest, StatusReasonCode,
};
use aws_sdk_securityhub::Client;
use cfn_custom_resource_kit::{
    aws_failure, retry, AwsApi, Backoff, Failure, ReasonCode, RequestContext,
};
use securityhub_common::is_not_subscribed;
use tokio::time::Instant;

/// The most standards one `BatchEnableStandards` or `BatchDisableStandards` call takes.
pub(crate) const MAX_PER_CALL: usize = 25;

/// `BatchEnableStandards` allows one call per second.
pub(crate) const ENABLE_INTERVAL: Duration = Duration::from_secs(1);

/// The most standards `DescribeStandards` and `GetEnabledStandards` return per page (the
/// API's maximum): one call reads a region's whole catalogue or every subscription.
pub(crate) const PAGE_SIZE: i32 = 100;

/// One standards subscription as `GetEnabledStandards` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Subscription {
    /// The standard (`...::standards/...` or `...:::ruleset/...`).
    pub standards_arn: String,
    /// The subscription (`arn:...:<account>:subscription/...`).
    pub subscription_arn: String,
    /// `PENDING`, `READY`, `FAILED`, `DELETING` or `INCOMPLETE`.
    pub status: StandardsStatus,
    /// `StandardsStatusReason.StatusReasonCode`, when there is one.
    pub reason: Option<StatusReasonCode>,
}

impl From<StandardsSubscription> for Subscription {
    fn from(subscription: StandardsSubscription) -> Self {
        Self {
            standards_arn: subscription.standards_arn.unwrap_or_default(),
            subscription_arn: subscription.standards_subscription_arn.unwrap_or_default(),
            // Required in the API; one missing reads as an unknown (empty) status.
            status: subscription
                .standards_status
                .unwrap_or_else(|| StandardsStatus::from("")),
            reason: subscription
                .standards_status_reason
                .and_then(|reason| reason.status_reason_code),
        }
    }
}

/// Adds what to do to a failure that says Security Hub is not enabled.
fn explain_missing_hub(failure: Failure) -> Failure {
    if is_not_subscribed(&failure) {
        failure.with_code(ReasonCode::DependencyNotReady).context(
            "Security Hub is not enabled in this account and region: enable it first (Custom::SecurityHubEnable, and DependsOn on it)",
        )
    } else {
        failure
    }
}

/// Spaces calls at least an interval apart within one request: from the end of one call
/// to the start of the next (so the service, measuring arrivals, never sees them closer),
/// never sleeping past the deadline.
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    last_end: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer allowing one call per `interval`.
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_end: Mutex::new(None),
        }
    }

    /// Runs `call` once the interval since the previous call's end has passed.
    pub(crate) async fn paced<T>(
        &self,
        context: &RequestContext,
        call: impl Future<Output = T>,
    ) -> Result<T, Failure> {
        let last_end = *self.last_end.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = last_end.map(|end| end + self.interval) {
            if at >= context.deadline() {
                return Err(Failure::new(
                    ReasonCode::Timeout,
                    "the deadline arrives before BatchEnableStandards may be called again (one call per second)",
                ));
            }
            tokio::time::sleep_until(at).await;
        }
        let answer = call.await;
        *self.last_end.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        Ok(answer)
    }
}

/// The standards calls of this resource.
#[derive(Clone, Debug)]
pub(crate) struct StandardsApi {
    client: Client,
    aws: AwsApi,
}

impl StandardsApi {
    /// Calls through `client`, retrying with `backoff`.
    pub(crate) fn new(client: Client, backoff: Backoff) -> Self {
        Self {
            client,
            aws: AwsApi::new("securityhub", backoff),
        }
    }

    /// Every standards ARN `DescribeStandards` lists here (all pages).
    pub(crate) async fn describe_standards(
        &self,
        context: &RequestContext,
    ) -> Result<Vec<String>, Failure> {
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .aws
                .call(
                    context,
                    "DescribeStandards",
                    "listing the standards (DescribeStandards)",
                    || {
                        self.client
                            .describe_standards()
                            .max_results(PAGE_SIZE)
                            .set_next_token(token.clone())
                            .send()
                    },
                )
                .await
                .map_err(explain_missing_hub)?;
            arns.extend(
                page.standards
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|standard| standard.standards_arn),
            );
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(arns);
            }
        }
    }

    /// Every subscription `GetEnabledStandards` shows (all pages). `None` when the account
    /// is not subscribed and `missing_hub_is_fine`; otherwise that is retried briefly (a
    /// hub enabled moments ago) and then `DEPENDENCY_NOT_READY`.
    pub(crate) async fn enabled(
        &self,
        context: &RequestContext,
        missing_hub_is_fine: bool,
    ) -> Result<Option<Vec<Subscription>>, Failure> {
        let mut subscriptions = Vec::new();
        let mut token: Option<String> = None;
        const OPERATION: &str = "GetEnabledStandards";
        const WHAT: &str = "reading the enabled standards (GetEnabledStandards)";
        loop {
            let send = || {
                self.client
                    .get_enabled_standards()
                    .max_results(PAGE_SIZE)
                    .set_next_token(token.clone())
                    .send()
            };
            let page = if missing_hub_is_fine {
                self.aws
                    .call_or_none_if(context, OPERATION, WHAT, is_not_subscribed, send)
                    .await
            } else {
                self.aws
                    .call(context, OPERATION, WHAT, send)
                    .await
                    .map(Some)
            }
            .map_err(explain_missing_hub)?;
            let Some(page) = page else {
                return Ok(None);
            };
            subscriptions.extend(
                page.standards_subscriptions
                    .unwrap_or_default()
                    .into_iter()
                    .map(Subscription::from),
            );
            token = page.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(Some(subscriptions));
            }
        }
    }

    /// One `BatchEnableStandards` call (at most [`MAX_PER_CALL`] ARNs), paced by `pacer`.
    /// "Already subscribed/enabled" (`ResourceConflictException`) is fine: whose standard it
    /// is was decided by the read before.
    pub(crate) async fn enable(
        &self,
        context: &RequestContext,
        pacer: &Pacer,
        standards_arns: &[String],
    ) -> Result<Vec<Subscription>, Failure> {
        debug_assert!(standards_arns.len() <= MAX_PER_CALL);
        let requests: Vec<StandardsSubscriptionRequest> = standards_arns
            .iter()
            .map(|arn| {
                StandardsSubscriptionRequest::builder()
                    .standards_arn(arn)
                    .build()
            })
            .collect();
        // Not `AwsApi::call`: each attempt waits for its turn (one call per second), and
        // that wait may itself run out of time. Then the service's last answer is the
        // reason, not the pacing: an operator must see the error that kept recurring.
        let last_failure: Mutex<Option<Failure>> = Mutex::new(None);
        retry(
            context,
            self.aws.backoff(),
            "enabling standards (BatchEnableStandards)",
            || async {
                let sent = self
                    .client
                    .batch_enable_standards()
                    .set_standards_subscription_requests(Some(requests.clone()))
                    .send();
                let answer = match pacer.paced(context, sent).await {
                    Ok(answer) => answer,
                    Err(no_time) => {
                        let last = last_failure.lock().unwrap_or_else(|p| p.into_inner()).take();
                        return Err(last.map_or(no_time, |last| {
                            last.permanent().context(
                                "still failing when the deadline left no time for another call (one per second)",
                            )
                        }));
                    }
                };
                match answer {
                    Ok(output) => Ok(output
                        .standards_subscriptions
                        .unwrap_or_default()
                        .into_iter()
                        .map(Subscription::from)
                        .collect()),
                    Err(error) => {
                        let failure = aws_failure(&error, "securityhub", "BatchEnableStandards");
                        if failure.aws_error_code() == Some("ResourceConflictException") {
                            Ok(Vec::new())
                        } else {
                            *last_failure.lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(failure.clone());
                            Err(failure)
                        }
                    }
                }
            },
        )
        .await
        .map_err(explain_missing_hub)
    }

    /// One `BatchDisableStandards` call (at most [`MAX_PER_CALL`] subscription ARNs). A
    /// subscription still `PENDING` is refused by the service and retried until the deadline.
    pub(crate) async fn disable(
        &self,
        context: &RequestContext,
        subscription_arns: &[String],
    ) -> Result<(), Failure> {
        debug_assert!(subscription_arns.len() <= MAX_PER_CALL);
        self.aws
            .call(
                context,
                "BatchDisableStandards",
                "disabling standards (BatchDisableStandards)",
                || {
                    self.client
                        .batch_disable_standards()
                        .set_standards_subscription_arns(Some(subscription_arns.to_vec()))
                        .send()
                },
            )
            .await
            .map(drop)
            .map_err(explain_missing_hub)
    }
}
