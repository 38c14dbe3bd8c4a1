//! Two budgets: [`retry`] for transient errors (bounded by the deadline) and
//! [`wait_until`] for post-conditions (bounded by the resource's wait limit).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::context::RequestContext;
use crate::failure::{Failure, ReasonCode, Retry};

/// Exponential delays with "equal jitter": attempt `n` waits between half and all of
/// `min(max, initial * 2^n)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// First delay (before jitter).
    pub initial: Duration,
    /// Largest delay.
    pub max: Duration,
}

impl Backoff {
    /// A backoff from `initial` doubling up to `max`.
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, max }
    }

    /// The delay after the `attempt`-th failure (0-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(20));
        let ceiling = self.initial.saturating_mul(factor).min(self.max);
        let half = ceiling / 2;
        let jitter_ms = fastrand::u64(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter_ms)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(250), Duration::from_secs(5))
    }
}

/// What one probe of a post-condition found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe<T> {
    /// The state has arrived.
    Ready(T),
    /// Not yet: the failure to report if the wait limit passes first.
    NotYet(Failure),
}

/// Retries `attempt` while its failures are retryable: transient ones
/// (`Retry::UntilDeadline`) until the request's deadline, settling ones
/// (`Retry::Within`) for their own limit. Final failures return at once.
///
/// The retry never sleeps past the deadline: when the next sleep would cross it,
/// throttling and server errors are returned with their own code (they outlived their
/// retries: `THROTTLED`, `SERVICE_ERROR`), anything else as `TIMEOUT` naming `what` and
/// the last failure.
pub async fn retry<T, F, Fut>(
    context: &RequestContext,
    backoff: Backoff,
    what: &str,
    mut attempt: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    drive(context, backoff, what, None, || {
        let next = attempt();
        async move { next.await.map(Probe::Ready) }
    })
    .await
}

/// Polls `probe` until it reports [`Probe::Ready`]: how long the state may take to
/// arrive is `limit` (the resource's wait limit, e.g. `MaxWaitSeconds`); after it the
/// [`Probe::NotYet`] failure is returned. Probe *errors* are retried as [`retry`] does,
/// bounded by the deadline only, whatever `limit` says.
pub async fn wait_until<T, F, Fut>(
    context: &RequestContext,
    limit: Duration,
    backoff: Backoff,
    what: &str,
    probe: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Probe<T>, Failure>>,
{
    drive(context, backoff, what, Some(limit), probe).await
}

async fn drive<T, F, Fut>(
    context: &RequestContext,
    backoff: Backoff,
    what: &str,
    wait_limit: Option<Duration>,
    mut probe: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Probe<T>, Failure>>,
{
    let started = Instant::now();
    let deadline = context.deadline();
    let mut attempts = 0u32;
    let mut settling_since: Option<Instant> = None;
    loop {
        let result = probe().await;
        attempts += 1;
        let now = Instant::now();
        // The point after which this failure is no longer retried (None: the deadline).
        let (failure, give_up_at) = match result {
            Ok(Probe::Ready(value)) => return Ok(value),
            Ok(Probe::NotYet(failure)) => {
                let limit = wait_limit.unwrap_or_default();
                (failure, Some(started + limit))
            }
            Err(failure) => match failure.retry_class() {
                Retry::Never => return Err(failure),
                Retry::UntilDeadline => (failure, None),
                Retry::Within(limit) => {
                    let since = *settling_since.get_or_insert(now);
                    (failure, Some(since + limit))
                }
            },
        };
        if let Some(give_up_at) = give_up_at.filter(|at| *at < deadline) {
            if now >= give_up_at {
                let waited = (now - started).as_secs_f64();
                return Err(failure
                    .permanent()
                    .context(format!("gave up after {waited:.0} s {what}")));
            }
        }
        let delay = backoff.delay(attempts - 1);
        let wake = give_up_at
            .filter(|at| *at < deadline)
            .map_or(now + delay, |at| (now + delay).min(at));
        tracing::debug!(step = what, attempt = attempts, reason_code = %failure.code(), "retrying");
        if wake >= deadline {
            let waited = (now - started).as_secs_f64();
            // Throttling and server errors outlived their retries: they keep their code
            // (THROTTLED, SERVICE_ERROR); anything else waiting for the deadline is TIMEOUT.
            if give_up_at.is_none()
                && matches!(
                    failure.code(),
                    ReasonCode::Throttled | ReasonCode::ServiceError
                )
            {
                return Err(failure.permanent().context(format!(
                    "still failing at the deadline after {attempts} attempts over {waited:.1} s {what}"
                )));
            }
            return Err(Failure::new(
                ReasonCode::Timeout,
                format!(
                    "the deadline arrived while {what} ({attempts} attempts over {waited:.1} s); last error: {failure}"
                ),
            ));
        }
        tokio::time::sleep_until(wake).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn transient() -> Failure {
        Failure::new(ReasonCode::Throttled, "slow down").retryable()
    }

    fn context(deadline_in: Duration) -> RequestContext {
        RequestContext::for_tests(Instant::now() + deadline_in)
    }

    #[test]
    fn backoff_grows_exponentially_within_jitter_bounds_and_caps() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        for _ in 0..50 {
            let first = backoff.delay(0);
            assert!(
                first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
                "{first:?}"
            );
            let third = backoff.delay(2);
            assert!(
                third >= Duration::from_millis(200) && third <= Duration::from_millis(400),
                "{third:?}"
            );
            let late = backoff.delay(30);
            assert!(
                late >= Duration::from_millis(500) && late <= Duration::from_secs(1),
                "{late:?}"
            );
        }
    }

    fn counted<T: Clone>(
        calls: &AtomicU32,
        answers: impl Fn(u32) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        answers(calls.fetch_add(1, Ordering::SeqCst))
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = retry(
            &context(Duration::from_secs(60)),
            Backoff::default(),
            "testing",
            || async {
                counted(
                    &calls,
                    |n| if n < 3 { Err(transient()) } else { Ok("done") },
                )
            },
        )
        .await;
        assert_eq!(result, Ok("done"));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_failures_return_at_once() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry(
            &context(Duration::from_secs(60)),
            Backoff::default(),
            "testing",
            || async {
                counted(&calls, |_| {
                    Err(Failure::new(ReasonCode::AccessDenied, "no"))
                })
            },
        )
        .await;
        assert_eq!(result.unwrap_err().code(), ReasonCode::AccessDenied);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_settling_failure_is_retried_for_its_own_limit_then_returned_with_its_code() {
        let started = Instant::now();
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retry(
            &context(Duration::from_secs(600)),
            Backoff::default(),
            "putting the delivery channel",
            || async {
                counted(&calls, |_| {
                    Err(
                        Failure::new(ReasonCode::AccessDenied, "policy not visible yet")
                            .retryable_within(Duration::from_secs(10)),
                    )
                })
            },
        )
        .await;
        let failure = result.unwrap_err();
        assert_eq!(failure.code(), ReasonCode::AccessDenied);
        assert!(!failure.is_retryable());
        assert_eq!(
            failure.message(),
            "gave up after 10 s putting the delivery channel: policy not visible yet"
        );
        assert_eq!(started.elapsed(), Duration::from_secs(10));
        assert!(calls.load(Ordering::SeqCst) >= 4);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_until_the_deadline_is_throttled_without_sleeping_past_it() {
        let started = Instant::now();
        let deadline = Duration::from_secs(3);
        let result: Result<(), _> = retry(
            &context(deadline),
            Backoff::default(),
            "reading the key",
            || async { Err(transient()) },
        )
        .await;
        let failure = result.unwrap_err();
        assert_eq!(failure.code(), ReasonCode::Throttled);
        assert!(!failure.is_retryable());
        assert!(
            failure
                .message()
                .starts_with("still failing at the deadline after"),
            "{failure}"
        );
        assert!(
            failure.message().ends_with("reading the key: slow down"),
            "{failure}"
        );
        assert!(started.elapsed() <= deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn other_retryable_failures_at_the_deadline_are_timeout() {
        let started = Instant::now();
        let deadline = Duration::from_secs(3);
        let result: Result<(), _> = retry(
            &context(deadline),
            Backoff::default(),
            "waiting for the key",
            || async {
                Err(Failure::new(
                    ReasonCode::DependencyNotReady,
                    "state PENDING, please try later",
                )
                .retryable())
            },
        )
        .await;
        let failure = result.unwrap_err();
        assert_eq!(failure.code(), ReasonCode::Timeout);
        assert!(
            failure.message().contains("waiting for the key"),
            "{failure}"
        );
        assert!(
            failure
                .message()
                .contains("[DEPENDENCY_NOT_READY] state PENDING"),
            "{failure}"
        );
        assert!(started.elapsed() <= deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_wait_limit_still_retries_throttling_until_the_deadline() {
        let calls = AtomicU32::new(0);
        let result = wait_until(
            &context(Duration::from_secs(300)),
            Duration::ZERO,
            Backoff::default(),
            "waiting for the key",
            || async {
                counted(&calls, |n| {
                    if n < 5 {
                        Err(transient())
                    } else {
                        Ok(Probe::Ready(7))
                    }
                })
            },
        )
        .await;
        assert_eq!(result, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_state_that_does_not_arrive_within_the_wait_limit_returns_its_failure() {
        let started = Instant::now();
        let failure =
            wait_for_what_never_comes(Duration::from_secs(300), Duration::from_secs(20)).await;
        assert_eq!(failure.code(), ReasonCode::NotActive);
        assert_eq!(
            failure.message(),
            "gave up after 20 s waiting for the key: key is Creating"
        );
        assert_eq!(started.elapsed(), Duration::from_secs(20));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_limit_beyond_the_deadline_ends_in_timeout() {
        let started = Instant::now();
        let failure =
            wait_for_what_never_comes(Duration::from_secs(5), Duration::from_secs(300)).await;
        assert_eq!(failure.code(), ReasonCode::Timeout);
        assert!(
            failure.message().contains("waiting for the key"),
            "{failure}"
        );
        assert!(started.elapsed() <= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_ready_state_returns_at_once() {
        let result = wait_until(
            &context(Duration::from_secs(5)),
            Duration::ZERO,
            Backoff::default(),
            "waiting",
            || async { Ok(Probe::Ready("now")) },
        )
        .await;
        assert_eq!(result, Ok("now"));
    }

    /// Waits up to `limit`, with `time` left, for a key that stays `Creating`.
    async fn wait_for_what_never_comes(time: Duration, limit: Duration) -> Failure {
        let never: Result<(), _> = wait_until(
            &context(time),
            limit,
            Backoff::default(),
            "waiting for the key",
            || async {
                Ok(Probe::NotYet(Failure::new(
                    ReasonCode::NotActive,
                    "key is Creating",
                )))
            },
        )
        .await;
        never.unwrap_err()
    }
}
