//! Who owns the delivery bucket, checked before the delivery channel points the
//! account's whole configuration history at it.
//!
//! S3 GetBucketLocation with `x-amz-expected-bucket-owner`: "The account ID of the
//! expected bucket owner. If the bucket is owned by a different account, the request
//! fails with the HTTP status code 403 Forbidden (access denied)." (Amazon S3 API
//! Reference, GetBucketLocation). GetBucketLocation rather than HeadBucket: it needs only
//! `s3:GetBucketLocation`, where HeadBucket needs `s3:ListBucket` (the bucket's object
//! names) for the same answer. AWS
//! Config's PutDeliveryChannel takes a bucket of any account whose policy lets Config
//! write ("If you specify a bucket that belongs to another AWS account, that bucket must
//! have policies that grant access permissions to AWS Config", DeliveryChannel), so the
//! check is ours to make.
//!
//! One SigV4-signed GET on the suite's HTTP stack, with the SDK's own signer
//! (`aws-sigv4`): the S3 client crate, for this one call, would put config-setup's
//! bootstrap over its 6 MiB budget (README, "Building and deploying").

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::Connector;
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_types::SdkConfig;
use cfn_custom_resource_kit::{retry, AwsCall, Backoff, Failure, ReasonCode, RequestContext};

/// Longest wait for one request.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The bucket-owner check over the function's SDK configuration (region, credentials,
/// `AWS_ENDPOINT_URL[_S3]`).
#[derive(Debug)]
pub(crate) struct BucketOwner {
    sdk: SdkConfig,
    connector: OnceLock<Connector>,
    backoff: Backoff,
}

/// What one GetBucketLocation answered.
struct Location {
    status: u16,
    region: Option<String>,
    request_id: Option<String>,
    error_code: Option<String>,
}

impl BucketOwner {
    /// The check over `sdk` (its HTTP connector is built on the first check).
    pub(crate) fn new(sdk: &SdkConfig, backoff: Backoff) -> Self {
        Self {
            sdk: sdk.clone(),
            connector: OnceLock::new(),
            backoff,
        }
    }

    /// `Ok` when `bucket` exists and belongs to `owner` (a 12-digit account id).
    /// A bucket in another region is asked again in its own region.
    pub(crate) async fn check(
        &self,
        context: &RequestContext,
        bucket: &str,
        owner: &str,
    ) -> Result<(), Failure> {
        let home = self
            .sdk
            .region()
            .map(|r| r.as_ref().to_owned())
            .unwrap_or_default();
        let mut region = home.clone();
        for _ in 0..2 {
            let located = retry(
                context,
                self.backoff,
                "checking the delivery bucket's owner",
                || self.locate(bucket, owner, &region),
            )
            .await?;
            let call = AwsCall {
                service: "s3".into(),
                operation: "GetBucketLocation".into(),
                error_code: located.error_code.clone(),
                request_id: located.request_id.clone(),
                http_status: Some(located.status),
            };
            match located.status {
                200..=299 => return Ok(()),
                // A path-style request to another region's endpoint is redirected, with
                // the bucket's region in `x-amz-bucket-region`: ask there.
                301 | 400 if located.region.as_deref().is_some_and(|r| r != region) => {
                    region = located.region.unwrap_or_default();
                }
                // S3 refused the request itself (signature, expired credentials): not an
                // answer about the owner.
                403 if located
                    .error_code
                    .as_deref()
                    .is_some_and(|code| code != "AccessDenied") =>
                {
                    return Err(Failure::new(
                        ReasonCode::AccessDenied,
                        format!(
                            "S3 refused GetBucketLocation of bucket {bucket}: {}",
                            located.error_code.as_deref().unwrap_or_default()
                        ),
                    )
                    .with_aws_call(call))
                }
                403 => {
                    return Err(Failure::new(
                        ReasonCode::AccessDenied,
                        format!("bucket {bucket} is not owned by account {owner}, or this function may not see it (S3 GetBucketLocation with ExpectedBucketOwner answered 403); the delivery channel was not written. Name the bucket's account in DeliveryBucketOwner; a bucket in another account must allow this account s3:GetBucketLocation"),
                    )
                    .with_aws_call(call))
                }
                404 => {
                    return Err(Failure::new(
                        ReasonCode::NotFound,
                        format!("bucket {bucket} does not exist (S3 GetBucketLocation answered 404)"),
                    )
                    .with_aws_call(call))
                }
                status => {
                    return Err(Failure::new(
                        ReasonCode::ServiceError,
                        format!("S3 GetBucketLocation of bucket {bucket} answered HTTP {status}"),
                    )
                    .with_aws_call(call))
                }
            }
        }
        Err(Failure::new(
            ReasonCode::ServiceError,
            format!("S3 kept redirecting GetBucketLocation of bucket {bucket} between regions"),
        ))
    }

    /// One signed GetBucketLocation in `region`. Network errors, throttling and 5xx are retryable
    /// failures; any other status is the answer.
    async fn locate(&self, bucket: &str, owner: &str, region: &str) -> Result<Location, Failure> {
        let transient = |message: String| {
            Failure::new(ReasonCode::ServiceError, message)
                .with_aws_call(AwsCall {
                    service: "s3".into(),
                    operation: "GetBucketLocation".into(),
                    error_code: None,
                    request_id: None,
                    http_status: None,
                })
                .retryable()
        };
        let request = self.signed(bucket, owner, region).await?;
        let connector = self
            .connector
            .get_or_init(|| cfn_custom_resource_kit::https_connector(Duration::from_secs(3)));
        let response = match tokio::time::timeout(ATTEMPT_TIMEOUT, connector.call(request)).await {
            Err(_) => return Err(transient("S3 GetBucketLocation: no answer in time".into())),
            Ok(Err(error)) => {
                return Err(transient(format!(
                    "S3 GetBucketLocation: {}",
                    DisplayErrorContext(&error)
                )))
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).map(str::to_owned);
        // The error's code, from the XML body (`<Code>AccessDenied</Code>`).
        let error_code = response.body().bytes().and_then(|body| {
            let text = std::str::from_utf8(body).ok()?;
            let start = text.find("<Code>")? + "<Code>".len();
            let end = start + text[start..].find("</Code>")?;
            Some(text[start..end].to_owned())
        });
        if status == 429 || status >= 500 {
            // S3's error best practices: use "the Amazon S3 error code instead of the HTTP
            // status code, as it contains the most information about the error"; "SlowDown
            // errors can occur when a high request rate triggers one of these mechanisms".
            // A 503 is throttling only when it says SlowDown (ServiceUnavailable is not).
            let code = error_code.as_deref().unwrap_or("no error code");
            let failure = transient(format!(
                "S3 GetBucketLocation answered HTTP {status} {code}"
            ));
            return Err(if status == 429 || code == "SlowDown" {
                failure.with_code(ReasonCode::Throttled)
            } else {
                failure
            });
        }
        Ok(Location {
            status,
            region: header("x-amz-bucket-region"),
            request_id: header("x-amz-request-id"),
            error_code: if status >= 300 { error_code } else { None },
        })
    }

    /// The `GET /<bucket>?location` request, path-style on S3's regional endpoint (or the configured
    /// `AWS_ENDPOINT_URL[_S3]`), signed for `region`.
    async fn signed(
        &self,
        bucket: &str,
        owner: &str,
        region: &str,
    ) -> Result<HttpRequest, Failure> {
        let refuse = |message: String| Failure::new(ReasonCode::Internal, message);
        let endpoint = cfn_custom_resource_kit::endpoint_url(&self.sdk, "S3")
            .unwrap_or_else(|| s3_endpoint(region, self.sdk.use_fips().unwrap_or(false)));
        let uri = format!("{}/{bucket}?location", endpoint.trim_end_matches('/'));
        let host = uri
            .parse::<http::Uri>()
            .ok()
            .and_then(|uri| uri.authority().map(|a| a.as_str().to_owned()))
            .ok_or_else(|| refuse(format!("S3 endpoint {endpoint} is not a URL")))?;
        let provider = self.sdk.credentials_provider().ok_or_else(|| {
            Failure::new(
                ReasonCode::AccessDenied,
                "no AWS credentials in the environment to sign S3 GetBucketLocation with",
            )
        })?;
        let credentials =
            aws_credential_types::provider::ProvideCredentials::provide_credentials(&provider)
                .await
                .map_err(|error| refuse(format!("credentials: {error}")))?;
        let identity: Identity = credentials.into();
        // S3 signs the path as sent: no double encoding, no normalisation (as the SDK's
        // S3 client does).
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|error| refuse(format!("signing parameters: {error}")))?
            .into();
        let headers = [
            ("host", host.as_str()),
            ("x-amz-expected-bucket-owner", owner),
        ];
        let signable = SignableRequest::new(
            "GET",
            uri.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(&[]),
        )
        .map_err(|error| refuse(format!("signing S3 GetBucketLocation: {error}")))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|error| refuse(format!("signing S3 GetBucketLocation: {error}")))?
            .into_parts();
        let mut request = http::Request::builder()
            .method("GET")
            .uri(&uri)
            .header("x-amz-expected-bucket-owner", owner)
            .body(SdkBody::empty())
            .map_err(|error| refuse(format!("S3 GetBucketLocation request: {error}")))?;
        instructions.apply_to_request_http1x(&mut request);
        HttpRequest::try_from(request)
            .map_err(|error| refuse(format!("S3 GetBucketLocation request: {error}")))
    }
}

/// S3's regional endpoint in the region's partition.
fn s3_endpoint(region: &str, fips: bool) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let service = if fips { "s3-fips" } else { "s3" };
    format!("https://{service}.{region}.{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk(endpoint: Option<&str>) -> SdkConfig {
        let credentials = aws_credential_types::Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            Some("token".into()),
            None,
            "test",
        );
        let mut builder = SdkConfig::builder()
            .region(aws_types::region::Region::new("eu-west-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            );
        if let Some(endpoint) = endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        builder.build()
    }

    #[tokio::test]
    async fn the_request_is_signed_for_s3_with_the_expected_owner() {
        let check = BucketOwner::new(&sdk(None), Backoff::default());
        let request = check
            .signed("config-bucket", "210987654321", "eu-west-1")
            .await
            .unwrap();
        assert_eq!(request.method(), "GET");
        assert_eq!(
            request.uri(),
            "https://s3.eu-west-1.amazonaws.com/config-bucket?location"
        );
        let headers = request.headers();
        assert_eq!(
            headers.get("x-amz-expected-bucket-owner"),
            Some("210987654321")
        );
        assert_eq!(headers.get("x-amz-security-token"), Some("token"));
        let authorization = headers.get("authorization").unwrap();
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
                && authorization.contains("/eu-west-1/s3/aws4_request"),
            "{authorization}"
        );
        // The owner header is signed: a proxy cannot drop it without breaking the signature.
        assert!(
            authorization.contains("x-amz-expected-bucket-owner"),
            "{authorization}"
        );
        assert!(headers.get("x-amz-content-sha256").is_some());
    }

    #[tokio::test]
    async fn a_configured_endpoint_is_used_path_style() {
        let check = BucketOwner::new(&sdk(Some("http://127.0.0.1:4566/")), Backoff::default());
        let request = check
            .signed("config-bucket", "123456789012", "us-east-1")
            .await
            .unwrap();
        assert_eq!(
            request.uri(),
            "http://127.0.0.1:4566/config-bucket?location"
        );
    }

    #[test]
    fn the_endpoint_follows_the_partition() {
        assert_eq!(
            s3_endpoint("eu-west-1", false),
            "https://s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            s3_endpoint("cn-north-1", false),
            "https://s3.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            s3_endpoint("us-gov-west-1", true),
            "https://s3-fips.us-gov-west-1.amazonaws.com"
        );
    }
}
