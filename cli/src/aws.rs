//! The SDK configuration of a workstation or CI: the full chain (environment, profiles,
//! SSO, assumed roles, credential_process, container and instance credentials), on the
//! kit's one HTTP stack (hyper and rustls with *ring*), as in the functions.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::SharedCredentialsProvider;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The configuration for `profile` (else `AWS_PROFILE`, else `default`) and `region`
/// (else `AWS_REGION`, else the profile's).
pub async fn load(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let http = cfn_custom_resource_kit::sdk_http_client();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_owned()));
    }
    loader.load().await
}

/// `sdk` with the credentials of `role`, assumed with `sdk`'s own (STS AssumeRole,
/// refreshed before they expire).
pub async fn assume_role(sdk: &SdkConfig, role: &str) -> SdkConfig {
    let provider = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name("baseline-deploy")
        .configure(sdk)
        .build()
        .await;
    sdk.to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// `sdk` in another region, sharing its credentials.
pub fn in_region(sdk: &SdkConfig, region: &str) -> SdkConfig {
    sdk.to_builder()
        .region(Region::new(region.to_owned()))
        .build()
}

/// An SDK error in one line: the service's code and message when it answered, else the
/// whole chain (no credentials, a connection refused).
pub fn why(err: &(impl ProvideErrorMetadata + std::error::Error)) -> String {
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(err).to_string(),
    }
}

/// The DNS suffix of `region`'s partition (`AWS::URLSuffix`).
pub fn url_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}
