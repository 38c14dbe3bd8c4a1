//! The response PUT to the pre-signed ResponseURL: bounded retries, never past the deadline.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::display::DisplayErrorContext;
use tokio::time::Instant;

use crate::error::Error;
use crate::response_url::ResponseUrl;
use crate::retry::Backoff;

/// The shortest time one PUT is given, even right at the deadline.
const MIN_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(250);

/// Longest wait for one TCP (and TLS) connection to the ResponseURL's host.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How hard to try delivering a response.
#[derive(Clone, Debug)]
pub(crate) struct DeliveryPolicy {
    /// Most PUTs to make (network errors and 5xx are retried; 4xx never).
    pub max_attempts: u32,
    /// Delay between attempts.
    pub backoff: Backoff,
    /// Longest wait for one PUT.
    pub attempt_timeout: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(3)),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

/// Sends responses: one connector (the SDK's HTTP stack, [`crate::http`]) for the life of
/// the process, built on the first PUT: a cold start does not wait for the TLS set-up
/// before its first Runtime API poll.
#[derive(Clone, Debug)]
pub(crate) struct Delivery {
    connector: Arc<OnceLock<Connector>>,
    policy: DeliveryPolicy,
}

/// How one PUT attempt ended.
enum Attempt {
    Delivered,
    /// Worth another attempt (network error, timeout, 5xx).
    Transient(String),
    /// Never retried (4xx: the URL expired or was refused).
    Refused(u16),
}

impl Delivery {
    /// A sender with its own connector (no redirects, no proxy).
    pub(crate) fn new(policy: DeliveryPolicy) -> Self {
        Self {
            connector: Arc::default(),
            policy,
        }
    }

    fn connector(&self) -> &Connector {
        self.connector
            .get_or_init(|| crate::http::https_connector(CONNECT_TIMEOUT))
    }

    /// PUTs `body` to `url` with an empty `Content-Type` and an explicit `Content-Length`,
    /// retrying network errors and 5xx until `hard_deadline` (one attempt is made even
    /// past it). Returns the number of attempts.
    pub(crate) async fn put(
        &self,
        url: &ResponseUrl,
        body: &[u8],
        hard_deadline: Instant,
    ) -> Result<u32, Error> {
        let mut last_error = String::from("no attempt fitted before the deadline");
        let mut attempts = 0;
        while attempts < self.policy.max_attempts {
            let now = Instant::now();
            // The first attempt is always made: a late answer beats none.
            if attempts > 0 && now >= hard_deadline {
                break;
            }
            attempts += 1;
            let timeout = self
                .policy
                .attempt_timeout
                .min(hard_deadline.saturating_duration_since(now))
                .max(MIN_ATTEMPT_TIMEOUT);
            match self.attempt(url, body, timeout).await {
                Attempt::Delivered => return Ok(attempts),
                Attempt::Refused(status) => {
                    return Err(Error::ResponseRefused {
                        url: url.redacted(),
                        status,
                    })
                }
                Attempt::Transient(error) => last_error = error,
            }
            tracing::warn!(attempt = attempts, error = %last_error, url = %url, "response PUT failed; retrying");
            let delay = self.policy.backoff.delay(attempts - 1);
            if Instant::now()
                .checked_add(delay)
                .is_none_or(|wake| wake >= hard_deadline)
            {
                break;
            }
            tokio::time::sleep(delay).await;
        }
        Err(Error::DeliveryFailed {
            url: url.redacted(),
            attempts,
            last_error,
        })
    }

    /// One PUT, given at most `timeout`. Errors never name the URL (its query is a credential).
    async fn attempt(&self, url: &ResponseUrl, body: &[u8], timeout: Duration) -> Attempt {
        let mut request = HttpRequest::new(SdkBody::from(body.to_vec()));
        if let Err(error) = request.set_method("PUT") {
            return Attempt::Transient(error.to_string());
        }
        *request.uri_mut() = url.uri().clone().into();
        request.headers_mut().insert("content-type", "");
        request
            .headers_mut()
            .insert("content-length", body.len().to_string());
        match tokio::time::timeout(timeout, self.connector().call(request)).await {
            Err(_) => Attempt::Transient(format!("no answer within {} ms", timeout.as_millis())),
            Ok(Err(error)) => Attempt::Transient(DisplayErrorContext(&error).to_string()),
            Ok(Ok(response)) => {
                let status = response.status();
                if status.is_success() {
                    Attempt::Delivered
                } else if status.is_server_error() {
                    Attempt::Transient(format!("HTTP {}", status.as_u16()))
                } else {
                    Attempt::Refused(status.as_u16())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response_url::AllowList;
    use crate::testing::{Recorded, ResponseServer};

    fn fast_policy() -> DeliveryPolicy {
        DeliveryPolicy {
            max_attempts: 4,
            backoff: Backoff::new(Duration::from_millis(5), Duration::from_millis(20)),
            attempt_timeout: Duration::from_secs(2),
        }
    }

    fn url_for(server: &ResponseServer) -> ResponseUrl {
        let raw = format!("http://{}/bucket/key?X-Amz-Signature=secret", server.addr());
        ResponseUrl::parse(
            &raw,
            &AllowList::with_extra_hosts(&server.addr().to_string()),
        )
        .unwrap()
    }

    /// PUTs `{}` to `server` with `policy` before `deadline`.
    async fn put_to(
        server: &ResponseServer,
        policy: DeliveryPolicy,
        deadline: Instant,
    ) -> Result<u32, Error> {
        Delivery::new(policy)
            .put(&url_for(server), b"{}", deadline)
            .await
    }

    fn in_a_minute() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[tokio::test]
    async fn put_sends_empty_content_type_and_exact_content_length() {
        let server = ResponseServer::start(vec![]).await;
        let delivery = Delivery::new(fast_policy());
        let attempts = delivery
            .put(&url_for(&server), b"{\"a\":1}", in_a_minute())
            .await
            .unwrap();
        assert_eq!(attempts, 1);
        let puts = server.requests();
        assert_eq!(puts.len(), 1);
        let Recorded {
            method,
            path_and_query,
            content_type,
            content_length,
            body,
            ..
        } = &puts[0];
        assert_eq!(method, "PUT");
        assert_eq!(path_and_query, "/bucket/key?X-Amz-Signature=secret");
        assert_eq!(content_type.as_deref(), Some(""));
        assert_eq!(*content_length, Some(7));
        assert_eq!(body, b"{\"a\":1}");
    }

    #[tokio::test]
    async fn server_errors_are_retried_until_success() {
        let server = ResponseServer::start(vec![503, 500]).await;
        let attempts = put_to(&server, fast_policy(), in_a_minute()).await.unwrap();
        assert_eq!(attempts, 3);
        assert_eq!(server.requests().len(), 3);
    }

    #[tokio::test]
    async fn client_errors_are_not_retried() {
        let server = ResponseServer::start(vec![403]).await;
        let error = put_to(&server, fast_policy(), in_a_minute())
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::ResponseRefused { status: 403, .. }),
            "{error}"
        );
        assert!(!error.to_string().contains("secret"), "{error}");
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn retries_are_bounded_by_max_attempts() {
        let server = ResponseServer::start(vec![503; 10]).await;
        let error = put_to(&server, fast_policy(), in_a_minute())
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::DeliveryFailed { attempts: 4, .. }),
            "{error}"
        );
        assert_eq!(server.requests().len(), 4);
    }

    #[tokio::test]
    async fn network_errors_are_retried_and_never_show_the_query() {
        // A port nobody listens on: bind, learn the port, drop the listener.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let raw = format!("http://{addr}/p?X-Amz-Signature=secret");
        let url =
            ResponseUrl::parse(&raw, &AllowList::with_extra_hosts(&addr.to_string())).unwrap();
        let error = Delivery::new(fast_policy())
            .put(&url, b"{}", in_a_minute())
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::DeliveryFailed { attempts: 4, .. }),
            "{error}"
        );
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    #[tokio::test]
    async fn https_urls_go_through_tls_and_a_failed_handshake_is_retried() {
        // A loopback server that answers plain HTTP: the TLS handshake must fail, not
        // fall back to plain text, and the failure counts as a network error.
        let server = ResponseServer::start(vec![]).await;
        let addr = server.addr().to_string();
        let raw = format!("https://{addr}/p?X-Amz-Signature=secret");
        let url = ResponseUrl::parse(&raw, &AllowList::with_extra_hosts(&addr)).unwrap();
        let error = Delivery::new(fast_policy())
            .put(&url, b"{}", in_a_minute())
            .await
            .unwrap_err();
        let Error::DeliveryFailed {
            attempts,
            last_error,
            ..
        } = &error
        else {
            panic!("{error}");
        };
        assert_eq!(*attempts, 4, "{error}");
        assert!(!last_error.contains("secret"), "{error}");
        assert!(
            server.requests().is_empty(),
            "a request went out in plain text"
        );
    }

    #[tokio::test]
    async fn one_attempt_is_made_even_when_the_deadline_has_passed() {
        let server = ResponseServer::start(vec![503; 10]).await;
        let deadline = Instant::now() - Duration::from_millis(1);
        let error = put_to(&server, fast_policy(), deadline).await.unwrap_err();
        assert!(
            matches!(error, Error::DeliveryFailed { attempts: 1, .. }),
            "{error}"
        );
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn no_retry_is_made_past_the_deadline() {
        let server = ResponseServer::start(vec![503; 10]).await;
        let started = Instant::now();
        let deadline = started + Duration::from_millis(50);
        // Every delay (100 to 200 ms) would end past the deadline: no second attempt.
        let policy = DeliveryPolicy {
            max_attempts: 100,
            backoff: Backoff::new(Duration::from_millis(200), Duration::from_millis(200)),
            attempt_timeout: Duration::from_secs(2),
        };
        let error = put_to(&server, policy, deadline).await.unwrap_err();
        assert!(
            matches!(error, Error::DeliveryFailed { attempts: 1, .. }),
            "{error}"
        );
        assert_eq!(server.requests().len(), 1);
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "it slept toward a retry it could not make"
        );
    }
}
