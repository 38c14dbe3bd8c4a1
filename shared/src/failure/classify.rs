//! The one place that turns an AWS SDK error into a [`Failure`]: the tables of
//! [`super::tables`] first, then the rules by code family and HTTP status below.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;

use super::tables::{self, ErrorRule};
use super::{AwsCall, Failure, ReasonCode};

const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "PriorRequestNotComplete",
    "ProvisionedThroughputExceededException",
];

const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "ExpiredToken",
    "ExpiredTokenException",
];

const SERVER_FAULT_CODES: &[&str] = &[
    "InternalFailure",
    "InternalError",
    "InternalException",
    "InternalServerError",
    "InternalServiceError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "KMSInternalException",
    "DependencyTimeoutException",
];

const INVALID_INPUT_CODES: &[&str] = &[
    "ValidationException",
    "ValidationError",
    "InvalidParameterValueException",
    "InvalidParameterException",
    "InvalidParameterValue",
    "InvalidInputException",
    "InvalidArnException",
];

const CONFLICT_CODES: &[&str] = &[
    "ConflictException",
    "ResourceConflictException",
    "ResourceInUseException",
    "ResourceAlreadyExistsException",
    "AlreadyExistsException",
];

/// Maps an SDK error to a coded [`Failure`] naming `service:operation`.
///
/// Throttling, 5xx and transport errors come back retryable; everything else is
/// final unless the caller marks it retryable (eventual consistency it knows about).
pub fn aws_failure<E>(error: &SdkError<E, HttpResponse>, service: &str, operation: &str) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut call = AwsCall {
        service: service.to_owned(),
        operation: operation.to_owned(),
        error_code: None,
        request_id: error.request_id().map(str::to_owned),
        http_status: error.raw_response().map(|r| r.status().as_u16()),
    };
    let failure = match error {
        SdkError::ServiceError(inner) => {
            let source = inner.err();
            let code = source.code().map(str::to_owned);
            let message = source.message().map(str::to_owned).unwrap_or_else(|| {
                code.clone()
                    .unwrap_or_else(|| "the service refused the request".into())
            });
            let status = call.http_status;
            call.error_code = code.clone();
            classify(code.as_deref(), status, &message, service, operation)
        }
        SdkError::TimeoutError(_) => Failure::new(
            ReasonCode::ServiceError,
            format!("{service}:{operation} timed out"),
        )
        .retryable(),
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => Failure::new(
            ReasonCode::ServiceError,
            format!(
                "could not reach the service: {}",
                DisplayErrorContext(error)
            ),
        )
        .retryable(),
        _ => Failure::new(
            ReasonCode::Internal,
            format!(
                "could not build the request: {}",
                DisplayErrorContext(error)
            ),
        ),
    };
    failure.with_aws_call(call)
}

fn classify(
    code: Option<&str>,
    status: Option<u16>,
    message: &str,
    service: &str,
    operation: &str,
) -> Failure {
    let code_str = code.unwrap_or("");
    if let Some(rule) = tables::lookup(service, operation, code_str, message) {
        return from_rule(rule, code_str, message, service, operation);
    }
    let is = |list: &[&str]| list.contains(&code_str);
    if is(THROTTLING_CODES) || status == Some(429) {
        Failure::new(ReasonCode::Throttled, format!("{code_str}: {message}")).retryable()
    } else if is(ACCESS_DENIED_CODES) {
        Failure::new(
            ReasonCode::AccessDenied,
            format!("{service}:{operation} was denied: {message}"),
        )
    } else if is(SERVER_FAULT_CODES) || status.is_some_and(|s| s >= 500) {
        Failure::new(ReasonCode::ServiceError, format!("{code_str}: {message}")).retryable()
    } else if code_str.ends_with("NotFoundException")
        || code_str.starts_with("NoSuch")
        || code_str == "NotFound"
        || code_str == "ResourceNotFound"
    {
        Failure::new(ReasonCode::NotFound, message.to_owned())
    } else if code_str.starts_with("MaxNumberOf") || code_str == "LimitExceededException" {
        Failure::new(ReasonCode::LimitExceeded, format!("{code_str}: {message}"))
    } else if is(CONFLICT_CODES) {
        Failure::new(ReasonCode::Conflict, format!("{code_str}: {message}"))
    } else if is(INVALID_INPUT_CODES) {
        Failure::new(
            ReasonCode::InvalidProperties,
            format!("{code_str}: {message}"),
        )
    } else {
        let shown = if code_str.is_empty() {
            "error"
        } else {
            code_str
        };
        Failure::new(ReasonCode::ServiceError, format!("{shown}: {message}"))
    }
}

fn from_rule(
    rule: &ErrorRule,
    code: &str,
    message: &str,
    service: &str,
    operation: &str,
) -> Failure {
    let text = match rule.reason {
        ReasonCode::AccessDenied => format!("{service}:{operation} was denied: {code}: {message}"),
        ReasonCode::OrgManaged => format!(
            "{service}:{operation} is refused by the organization's settings, not this account's: {code}: {message}"
        ),
        _ => format!("{code}: {message}"),
    };
    Failure::new(rule.reason, text).with_retry(rule.retry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::result::ServiceError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    #[derive(Debug)]
    struct FakeError(ErrorMetadata);
    impl std::fmt::Display for FakeError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0.code())
        }
    }
    impl std::error::Error for FakeError {}
    impl ProvideErrorMetadata for FakeError {
        fn meta(&self) -> &ErrorMetadata {
            &self.0
        }
    }

    fn service_error(status: u16, code: &str, message: &str) -> SdkError<FakeError, HttpResponse> {
        let mut raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        raw.headers_mut().insert("x-amzn-requestid", "rid-42");
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        SdkError::ServiceError(
            ServiceError::builder()
                .source(FakeError(meta))
                .raw(raw)
                .build(),
        )
    }

    fn map(status: u16, code: &str) -> Failure {
        aws_failure(&service_error(status, code, "msg"), "kms", "DescribeKey")
    }

    #[test]
    fn throttling_is_throttled_and_retryable() {
        for code in [
            "ThrottlingException",
            "TooManyRequestsException",
            "Throttling",
        ] {
            let f = map(400, code);
            assert_eq!(f.code(), ReasonCode::Throttled, "{code}");
            assert!(f.is_retryable());
        }
        assert_eq!(map(429, "Whatever").code(), ReasonCode::Throttled);
    }

    #[test]
    fn server_faults_are_service_errors_and_retryable() {
        let f = map(500, "KMSInternalException");
        assert_eq!(f.code(), ReasonCode::ServiceError);
        assert!(f.is_retryable());
        assert!(map(503, "Unknown").is_retryable());
    }

    #[test]
    fn access_denied_names_the_action_and_is_final() {
        let f = map(400, "AccessDeniedException");
        assert_eq!(f.code(), ReasonCode::AccessDenied);
        assert!(!f.is_retryable());
        assert!(f.message().contains("kms:DescribeKey"), "{}", f.message());
    }

    #[test]
    fn not_found_codes_map_to_not_found() {
        assert_eq!(map(400, "NotFoundException").code(), ReasonCode::NotFound);
        assert_eq!(map(404, "NoSuchBucket").code(), ReasonCode::NotFound);
        assert_eq!(
            map(400, "NoSuchConfigurationRecorderException").code(),
            ReasonCode::NotFound
        );
    }

    #[test]
    fn quotas_conflicts_and_validation_have_their_codes() {
        for (status, code, expected) in [
            (400, "LimitExceededException", ReasonCode::LimitExceeded),
            (
                400,
                "MaxNumberOfConfigRulesExceededException",
                ReasonCode::LimitExceeded,
            ),
            (409, "ResourceConflictException", ReasonCode::Conflict),
            (400, "ValidationException", ReasonCode::InvalidProperties),
        ] {
            assert_eq!(map(status, code).code(), expected, "{code}");
        }
    }

    #[test]
    fn unknown_client_errors_are_final_service_errors() {
        let f = map(400, "SomethingNew");
        assert_eq!(f.code(), ReasonCode::ServiceError);
        assert!(!f.is_retryable());
    }

    #[test]
    fn the_reason_carries_the_aws_call_and_request_id() {
        let f = map(400, "NotFoundException");
        assert_eq!(f.aws_error_code(), Some("NotFoundException"));
        assert_eq!(
            f.to_string(),
            "[NOT_FOUND] msg (kms:DescribeKey, AWS request id rid-42)"
        );
        assert_eq!(f.aws_call().unwrap().http_status, Some(400));
    }

    fn map_in(service: &str, operation: &str, code: &str, message: &str) -> Failure {
        aws_failure(&service_error(400, code, message), service, operation)
    }

    #[test]
    fn a_denial_naming_a_service_control_policy_is_org_managed_for_every_service() {
        let message = "User: arn:aws:sts::1:assumed-role/x is not authorized to perform: config:PutConfigurationRecorder with an explicit deny in a service control policy";
        for service in ["config", "securityhub", "kms", "ssm", "sqs"] {
            let f = map_in(service, "Op", "AccessDeniedException", message);
            assert_eq!(f.code(), ReasonCode::OrgManaged, "{service}");
            assert!(!f.is_retryable());
        }
        let iam_denial = map_in("config", "PutConfigurationRecorder", "AccessDeniedException", "not authorized to perform: config:PutConfigurationRecorder because no identity-based policy allows it");
        assert_eq!(iam_denial.code(), ReasonCode::AccessDenied);
        assert!(iam_denial
            .message()
            .contains("config:PutConfigurationRecorder"));
    }

    #[test]
    fn config_errors_follow_the_contract() {
        use crate::failure::Retry;
        let cases: [(&[&str], ReasonCode, Retry); 7] = [
            (
                &[
                    "InsufficientDeliveryPolicyException",
                    "InsufficientPermissionsException",
                ],
                ReasonCode::AccessDenied,
                Retry::Within(tables::POLICY_SETTLING),
            ),
            (
                &[
                    "NoAvailableConfigurationRecorderException",
                    "NoAvailableDeliveryChannelException",
                ],
                ReasonCode::DependencyNotReady,
                Retry::Within(tables::ORDER_SETTLING),
            ),
            (
                &["NoSuchBucketException", "InvalidSNSTopicARNException"],
                ReasonCode::NotFound,
                Retry::Never,
            ),
            (
                &[
                    "InvalidRoleException",
                    "InvalidS3KeyPrefixException",
                    "InvalidS3KmsKeyArnException",
                    "InvalidRecordingGroupException",
                    "InvalidConfigurationRecorderNameException",
                ],
                ReasonCode::InvalidProperties,
                Retry::Never,
            ),
            (
                &["MaxNumberOfConfigRulesExceededException"],
                ReasonCode::LimitExceeded,
                Retry::Never,
            ),
            (
                &["MaxNumberOfConfigurationRecordersExceededException"],
                ReasonCode::Conflict,
                Retry::Never,
            ),
            (
                &["ResourceInUseException"],
                ReasonCode::Conflict,
                Retry::Within(tables::RULE_IN_USE_SETTLING),
            ),
        ];
        for (codes, reason, retry) in cases {
            for code in codes {
                let f = map_in("config", "Op", code, "msg");
                assert_eq!((f.code(), f.retry_class()), (reason, retry), "{code}");
            }
        }
    }

    /// Asserts each `(service, operation, error code, message)` maps to its reason code.
    fn assert_codes(cases: &[(&str, &str, &str, &str, ReasonCode)]) {
        for &(service, operation, code, message, expected) in cases {
            let failure = map_in(service, operation, code, message);
            assert_eq!(
                failure.code(),
                expected,
                "{service} {operation} {code}: {message}"
            );
        }
    }

    #[test]
    fn security_hub_overloads_are_told_apart_by_their_message() {
        let throttled = map_in(
            "securityhub",
            "GetEnabledStandards",
            "LimitExceededException",
            "Rate exceeded",
        );
        assert_eq!(throttled.code(), ReasonCode::Throttled);
        assert!(throttled.is_retryable());
        let pending = map_in(
            "securityhub",
            "BatchDisableStandards",
            "InvalidInputException",
            "The standard subscription is in state PENDING, please try later",
        );
        assert_eq!(pending.code(), ReasonCode::DependencyNotReady);
        assert_eq!(pending.retry_class(), crate::failure::Retry::UntilDeadline);
        assert_codes(&[
            ("securityhub", "UpdateSecurityHubConfiguration", "AccessDeniedException", "Your account is managed by a central configuration policy", ReasonCode::OrgManaged),
            ("securityhub", "BatchEnableStandards", "AccessDeniedException", "This account is centrally managed by the delegated administrator", ReasonCode::OrgManaged),
            ("securityhub", "BatchEnableStandards", "AccessDeniedException", "The request was rejected because a configuration policy manages this account", ReasonCode::OrgManaged),
            ("securityhub", "BatchDisableStandards", "AccessDeniedException", "not authorized on resource arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0", ReasonCode::Internal),
            ("securityhub", "BatchDisableStandards", "AccessDeniedException", "not authorized to perform securityhub:BatchDisableStandards", ReasonCode::AccessDenied),
            ("securityhub", "DisableSecurityHub", "InvalidAccessException", "Account 1 is a member account and cannot disable Security Hub", ReasonCode::OrgManaged),
            ("securityhub", "GetEnabledStandards", "InvalidAccessException", "Account 1 is not subscribed to AWS Security Hub", ReasonCode::DependencyNotReady),
            ("securityhub", "BatchEnableStandards", "InvalidInputException", "bad arn", ReasonCode::InvalidProperties),
        ]);
    }

    #[test]
    fn the_same_code_means_what_its_service_says() {
        // LimitExceededException is a quota for most services, throttling for Security Hub.
        assert_codes(&[
            (
                "kms",
                "Op",
                "LimitExceededException",
                "m",
                ReasonCode::LimitExceeded,
            ),
            (
                "securityhub",
                "Op",
                "LimitExceededException",
                "m",
                ReasonCode::Throttled,
            ),
            (
                "ssm",
                "GetParameter",
                "ParameterNotFound",
                "m",
                ReasonCode::NotFound,
            ),
            (
                "iam",
                "CreateServiceLinkedRole",
                "InvalidInput",
                "Service role name AWSServiceRoleForConfig has been taken in this account",
                ReasonCode::Conflict,
            ),
        ]);
    }
}
