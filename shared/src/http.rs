//! The one HTTP stack of every function: hyper and rustls (with *ring*) from the SDK's
//! own `aws-smithy-http-client`, for the SDK clients and for the response PUT alike.
//!
//! Trust: the image's CA store (on Lambda, the `provided.al2023` bundle the runtime keeps
//! patched; `SSL_CERT_FILE` / `SSL_CERT_DIR` override it, as for every AWS SDK). It is
//! read once per process, on the first HTTPS connector any client builds, and shared by
//! every connector. Nothing reads it before the first Runtime API poll (plain HTTP): the
//! SDK's client would build a connector as soon as an SDK client is constructed, which
//! [`Deferred`] puts off until the first request.

use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::Provider;
use aws_smithy_http_client::{Builder, Connector};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

fn tls() -> Provider {
    Provider::rustls(CryptoMode::Ring)
}

/// The HTTP client of every SDK client: TLS with the shared trust store, set up on the
/// first request rather than when the client is constructed.
pub fn sdk_http_client() -> SharedHttpClient {
    Deferred(Builder::new().tls_provider(tls()).build_https()).into_shared()
}

/// A connector on the suite's HTTP stack for a request no SDK client makes (the response
/// PUT; config-setup's one S3 call): no proxy, `connect_timeout` per connection.
pub fn https_connector(connect_timeout: Duration) -> Connector {
    Connector::builder()
        .connector_settings(
            HttpConnectorSettings::builder()
                .connect_timeout(connect_timeout)
                .build(),
        )
        .proxy_config(ProxyConfig::disabled())
        .tls_provider(tls())
        .build()
}

/// An HTTP client whose connectors (and so the trust store) are built on first use only:
/// it skips the eager connector the SDK builds to validate a new client's configuration.
#[derive(Debug)]
struct Deferred<C>(C);

impl<C: HttpClient> HttpClient for Deferred<C> {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        Counted(self.0.http_connector(settings, components)).into_shared()
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// A connector that counts each attempt for the answer's `AwsCalls` metric.
#[derive(Debug)]
struct Counted(SharedHttpConnector);

impl HttpConnector for Counted {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        crate::metrics::count_sdk_attempt();
        self.0.call(request)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_sdk_ssm::config::{Credentials, SharedCredentialsProvider};
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::config_bag::ConfigBag;

    use super::*;

    /// Counts eager validations and connector builds; answers every request with 400.
    #[derive(Debug, Default)]
    struct Counts {
        validations: AtomicUsize,
        connectors: AtomicUsize,
    }

    #[derive(Debug)]
    struct BadRequest;

    impl HttpConnector for BadRequest {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            HttpConnectorFuture::ready(Ok(Response::new(
                StatusCode::try_from(400).unwrap(),
                SdkBody::from("{}"),
            )))
        }
    }

    #[derive(Debug, Default)]
    struct Counting(Arc<Counts>);

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.0.connectors.fetch_add(1, Ordering::SeqCst);
            BadRequest.into_shared()
        }

        fn validate_base_client_config(
            &self,
            _: &RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
            self.0.validations.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn constructing_sdk_clients_builds_no_connector_until_the_first_request() {
        let counting = Arc::new(Counts::default());
        let config = aws_types::SdkConfig::builder()
            .behavior_version(
                aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest(),
            )
            .region(aws_types::region::Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "a", "b", None, None, "test",
            )))
            .http_client(Deferred(Counting(Arc::clone(&counting))))
            .build();
        let client = aws_sdk_ssm::Client::new(&config);
        let _other = aws_sdk_ssm::Client::new(&config);
        assert_eq!(counting.validations.load(Ordering::SeqCst), 0);
        assert_eq!(counting.connectors.load(Ordering::SeqCst), 0);

        let before = crate::metrics::sdk_attempts();
        let _ = client.get_parameter().name("p").send().await;
        assert_eq!(counting.connectors.load(Ordering::SeqCst), 1);
        assert_eq!(counting.validations.load(Ordering::SeqCst), 0);
        assert!(
            crate::metrics::sdk_attempts() > before,
            "the attempt is counted for AwsCalls"
        );
    }
}
