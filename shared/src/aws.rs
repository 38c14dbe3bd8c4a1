//! The AWS SDK configuration every function loads, from the environment Lambda sets.
//!
//! Not `aws-config`: a Lambda function's settings are all in its environment
//! (`AWS_REGION`, the execution role's `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_SESSION_TOKEN`), so the profile files, IMDS, SSO and STS-based providers that
//! `aws-config` compiles in (its STS client alone is a sizeable part of a bootstrap) would
//! never run. The standard endpoint settings are read as the SDKs read them:
//! `AWS_ENDPOINT_URL_<SERVICE_ID>`, then `AWS_ENDPOINT_URL`, unless
//! `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`; `AWS_USE_FIPS_ENDPOINT` and
//! `AWS_USE_DUALSTACK_ENDPOINT` likewise.

use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::sdk_config::SdkConfig;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};

/// The SDK configuration from the process environment, on the suite's one HTTP stack
/// ([`crate::sdk_http_client`]), with the SDK's own retries off: [`crate::retry`] is the
/// one place that retries, bounded by the request's deadline. Each attempt is capped at
/// 20 s, each connection at 3 s.
pub(crate) fn load_aws_config() -> SdkConfig {
    sdk_config(EnvServiceConfig::from_vars(
        std::env::vars()
            .filter(|(name, value)| name.starts_with("AWS_") && !value.is_empty())
            .collect(),
    ))
}

fn sdk_config(env: EnvServiceConfig) -> SdkConfig {
    let mut builder = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(crate::sdk_http_client())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(20))
                .build(),
        );
    builder.set_region(
        env.get("AWS_REGION")
            .or_else(|| env.get("AWS_DEFAULT_REGION"))
            .map(Region::new),
    );
    builder.set_use_fips(env.flag("AWS_USE_FIPS_ENDPOINT"));
    builder.set_use_dual_stack(env.flag("AWS_USE_DUALSTACK_ENDPOINT"));
    if let (Some(key), Some(secret)) = (
        env.get("AWS_ACCESS_KEY_ID"),
        env.get("AWS_SECRET_ACCESS_KEY"),
    ) {
        let credentials = Credentials::new(
            key,
            secret,
            env.get("AWS_SESSION_TOKEN"),
            None,
            "environment",
        );
        builder.set_credentials_provider(Some(SharedCredentialsProvider::new(credentials)));
    }
    builder.service_config(env).build()
}

/// The endpoint `sdk` sets for the service `service_id` (`AWS_ENDPOINT_URL_<SERVICE_ID>`,
/// then `AWS_ENDPOINT_URL`, then an endpoint set on the configuration itself), for a
/// request no SDK client makes; `None`: the service's own.
pub fn endpoint_url(sdk: &SdkConfig, service_id: &str) -> Option<String> {
    let from_environment = ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()
        .and_then(|key| sdk.service_config()?.load_config(key));
    from_environment.or_else(|| sdk.endpoint_url().map(str::to_owned))
}

/// `AWS_ENDPOINT_URL[_<SERVICE_ID>]` and every other per-service setting an SDK client
/// asks for, from a snapshot of the environment taken when the configuration is loaded
/// (the first invocation).
#[derive(Debug)]
struct EnvServiceConfig {
    /// `(name, value)` of every non-empty `AWS_*` variable.
    vars: Vec<(String, String)>,
}

impl EnvServiceConfig {
    fn from_vars(vars: Vec<(String, String)>) -> Self {
        Self { vars }
    }

    fn get(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .find(|(var, _)| var == name)
            .map(|(_, value)| value.clone())
    }

    /// `true` / `false` (any case) of a flag variable.
    fn flag(&self, name: &str) -> Option<bool> {
        self.get(name).map(|v| v.eq_ignore_ascii_case("true"))
    }
}

impl LoadServiceConfig for EnvServiceConfig {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        if key.env() == "AWS_ENDPOINT_URL"
            && self.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") == Some(true)
        {
            return None;
        }
        // As the SDKs name it: the service id upper-cased, spaces as underscores.
        let service = key.service_id().to_uppercase().replace(' ', "_");
        self.get(&format!("{}_{service}", key.env()))
            .or_else(|| self.get(key.env()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(service_id: &'a str) -> ServiceConfigKey<'a> {
        ServiceConfigKey::builder()
            .service_id(service_id)
            .env("AWS_ENDPOINT_URL")
            .profile("endpoint_url")
            .build()
            .unwrap()
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_service_endpoint_wins_over_the_global_one() {
        let config = EnvServiceConfig::from_vars(vars(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_SECURITYHUB", "http://127.0.0.1:2"),
            ("AWS_ENDPOINT_URL_CONFIG_SERVICE", "http://127.0.0.1:3"),
        ]));
        assert_eq!(
            config.load_config(key("SecurityHub")).as_deref(),
            Some("http://127.0.0.1:2")
        );
        assert_eq!(
            config.load_config(key("Config Service")).as_deref(),
            Some("http://127.0.0.1:3")
        );
        assert_eq!(
            config.load_config(key("KMS")).as_deref(),
            Some("http://127.0.0.1:1")
        );
    }

    #[test]
    fn configured_endpoints_can_be_ignored() {
        let config = EnvServiceConfig::from_vars(vars(&[
            ("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:2"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]));
        assert_eq!(config.load_config(key("KMS")), None);
    }

    #[test]
    fn region_credentials_and_endpoint_flags_come_from_the_environment() {
        let config = sdk_config(EnvServiceConfig::from_vars(vars(&[
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "SECRET"),
            ("AWS_USE_FIPS_ENDPOINT", "true"),
        ])));
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(config.use_fips(), Some(true));
        assert_eq!(config.use_dual_stack(), None);
        assert!(config.credentials_provider().is_some());
        assert!(config.http_client().is_some());
        assert_eq!(config.retry_config().map(|r| r.max_attempts()), Some(1));
    }

    #[test]
    fn without_keys_there_is_no_credentials_provider() {
        let config = sdk_config(EnvServiceConfig::from_vars(vars(&[(
            "AWS_REGION",
            "us-east-1",
        )])));
        assert_eq!(config.region().map(|r| r.as_ref()), Some("us-east-1"));
        assert!(config.credentials_provider().is_none());
    }
}
