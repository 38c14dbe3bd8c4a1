//! Exponential backoff with jitter for AWS calls, bounded by a wait limit and the deadline.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::context::RequestContext;
use crate::reason::{Failure, ReasonCode};

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

/// How long to keep retrying one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delays between attempts.
    pub backoff: Backoff,
    /// Give up after this long (the caller's wait limit, e.g. `MaxWaitSeconds`);
    /// `None` retries until the request's deadline.
    pub max_wait: Option<Duration>,
}

/// Runs `attempt` until it succeeds, returns a failure that is not retryable, or time runs out.
///
/// When `policy.max_wait` ends first, the last failure is returned (no longer retryable).
/// When the request's deadline would be crossed by the next sleep, the result is
/// `TIMEOUT` naming `what`, the last failure and the request's progress (done and
/// pending steps); the retry never sleeps past the deadline.
pub async fn retry<T, F, Fut>(
    context: &RequestContext,
    policy: RetryPolicy,
    what: &str,
    mut attempt: F,
) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let started = Instant::now();
    let wait_limit = policy.max_wait.and_then(|wait| started.checked_add(wait));
    let deadline = context.deadline();
    let mut failures = 0u32;
    loop {
        let failure = match attempt().await {
            Ok(value) => return Ok(value),
            Err(failure) if !failure.is_retryable() => return Err(failure),
            Err(failure) => failure,
        };
        let now = Instant::now();
        let delay = policy.backoff.delay(failures);
        failures += 1;
        tracing::debug!(step = what, attempt = failures, reason_code = %failure.code(), "retrying");
        if let Some(limit) = wait_limit.filter(|limit| *limit <= deadline) {
            if now >= limit {
                let waited = (now - started).as_secs_f64();
                return Err(failure
                    .permanent()
                    .context(format!("gave up after {waited:.0} s {what}")));
            }
            // Sleep at most to the limit, then make one last attempt there.
            tokio::time::sleep(delay.min(limit - now)).await;
            continue;
        }
        if now.checked_add(delay).is_none_or(|wake| wake >= deadline) {
            return Err(Failure::new(
                ReasonCode::Timeout,
                format!(
                    "the deadline arrived while {what} ({failures} attempts over {:.1} s); last error: {failure}; {}",
                    (now - started).as_secs_f64(),
                    context.progress().describe()
                ),
            ));
        }
        tokio::time::sleep(delay).await;
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

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = retry(
            &context(Duration::from_secs(60)),
            RetryPolicy::default(),
            "testing",
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 3 {
                    Err(transient())
                } else {
                    Ok("done")
                }
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
            RetryPolicy::default(),
            "testing",
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Failure::new(ReasonCode::AccessDenied, "no"))
            },
        )
        .await;
        assert_eq!(result.unwrap_err().code(), ReasonCode::AccessDenied);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn max_wait_returns_the_last_failure_after_a_final_attempt() {
        let started = Instant::now();
        let calls = AtomicU32::new(0);
        let policy = RetryPolicy {
            max_wait: Some(Duration::from_secs(10)),
            ..RetryPolicy::default()
        };
        let result: Result<(), _> = retry(
            &context(Duration::from_secs(600)),
            policy,
            "testing",
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(transient())
            },
        )
        .await;
        let failure = result.unwrap_err();
        assert_eq!(failure.code(), ReasonCode::Throttled);
        assert!(!failure.is_retryable());
        assert_eq!(failure.message(), "gave up after 10 s testing: slow down");
        assert_eq!(started.elapsed(), Duration::from_secs(10));
        assert!(calls.load(Ordering::SeqCst) >= 4);
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_turns_into_timeout_without_sleeping_past_it() {
        let started = Instant::now();
        let deadline = Duration::from_secs(3);
        let policy = RetryPolicy {
            max_wait: Some(Duration::from_secs(300)),
            ..RetryPolicy::default()
        };
        let result: Result<(), _> = retry(
            &context(deadline),
            policy,
            "waiting for the key",
            || async { Err(transient()) },
        )
        .await;
        let failure = result.unwrap_err();
        assert_eq!(failure.code(), ReasonCode::Timeout);
        assert!(
            failure.message().contains("waiting for the key"),
            "{failure}"
        );
        assert!(
            failure.message().contains("[THROTTLED] slow down"),
            "{failure}"
        );
        assert!(started.elapsed() <= deadline);
    }
}
