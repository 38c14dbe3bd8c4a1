//! Reason codes and the coded failure every handler returns.

use std::fmt;
use std::time::Duration;

/// The stable reason codes a `FAILED` response starts with (see the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReasonCode {
    /// Properties fail parsing or validation; the message names the field.
    InvalidProperties,
    /// IAM or SCP denial; the message names the action.
    AccessDenied,
    /// The setting is owned by the organization and cannot be changed from here.
    OrgManaged,
    /// A referenced resource is missing.
    NotFound,
    /// Something already exists and the properties say Fail, or the service refused a delete.
    Conflict,
    /// A service quota.
    LimitExceeded,
    /// An eventual-consistency or ordering error that outlived its retries.
    DependencyNotReady,
    /// The post-condition read back from the service does not hold.
    NotActive,
    /// Not available in this region or partition.
    Unsupported,
    /// Throttling outlived its retries.
    Throttled,
    /// A 5xx (or a transport error) outlived its retries.
    ServiceError,
    /// The deadline arrived first.
    Timeout,
    /// A bug or panic in the function.
    Internal,
}

impl ReasonCode {
    /// Every code, in the order the documentation lists them.
    pub const ALL: [ReasonCode; 13] = [
        Self::InvalidProperties,
        Self::AccessDenied,
        Self::OrgManaged,
        Self::NotFound,
        Self::Conflict,
        Self::LimitExceeded,
        Self::DependencyNotReady,
        Self::NotActive,
        Self::Unsupported,
        Self::Throttled,
        Self::ServiceError,
        Self::Timeout,
        Self::Internal,
    ];

    /// The code as it appears between brackets in a reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidProperties => "INVALID_PROPERTIES",
            Self::AccessDenied => "ACCESS_DENIED",
            Self::OrgManaged => "ORG_MANAGED",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::DependencyNotReady => "DEPENDENCY_NOT_READY",
            Self::NotActive => "NOT_ACTIVE",
            Self::Unsupported => "UNSUPPORTED",
            Self::Throttled => "THROTTLED",
            Self::ServiceError => "SERVICE_ERROR",
            Self::Timeout => "TIMEOUT",
            Self::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The AWS call a failure came from, quoted at the end of the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsCall {
    /// Service name as in IAM actions, e.g. `kms`.
    pub service: String,
    /// API operation, e.g. `DescribeKey`.
    pub operation: String,
    /// The service's error code, e.g. `NotFoundException`, when it sent one.
    pub error_code: Option<String>,
    /// The AWS request id, when the service sent one.
    pub request_id: Option<String>,
    /// The HTTP status, when a response arrived.
    pub http_status: Option<u16>,
}

/// Why a request failed: a stable code, a message for people, and the AWS call behind it.
///
/// Displays as `[CODE] message (service:Operation, AWS request id …)`, followed in a
/// `FAILED` answer by `; done: …; pending: …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    code: ReasonCode,
    message: String,
    aws_call: Option<Box<AwsCall>>,
    retry: Retry,
    progress: Option<String>,
    remedy: Option<&'static str>,
}

/// Whether retrying a failure may help, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Final: retrying cannot help.
    Never,
    /// Transient (throttling, 5xx, network): retried until the request's deadline.
    UntilDeadline,
    /// Eventual consistency with a known settling time: retried for at most this long
    /// (and never past the deadline), then returned with its own code.
    Within(Duration),
}

impl Failure {
    /// A failure with a code and a message.
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            aws_call: None,
            retry: Retry::Never,
            progress: None,
            remedy: None,
        }
    }

    /// `INVALID_PROPERTIES` for the named field.
    pub fn invalid_property(field: &str, problem: impl fmt::Display) -> Self {
        Self::new(ReasonCode::InvalidProperties, format!("{field}: {problem}"))
    }

    /// Attaches the AWS call the failure came from.
    pub fn with_aws_call(mut self, call: AwsCall) -> Self {
        self.aws_call = Some(Box::new(call));
        self
    }

    /// Marks the failure as transient: [`crate::retry`] tries again until the deadline.
    pub fn retryable(self) -> Self {
        self.with_retry(Retry::UntilDeadline)
    }

    /// Marks the failure as settling within `limit`: [`crate::retry`] tries again for
    /// at most that long, then returns it with its own code.
    pub fn retryable_within(self, limit: Duration) -> Self {
        self.with_retry(Retry::Within(limit))
    }

    /// Marks the failure as final: [`crate::retry`] gives up at once.
    pub fn permanent(self) -> Self {
        self.with_retry(Retry::Never)
    }

    /// Sets how the failure is retried.
    pub(crate) fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// How the failure is retried.
    pub(crate) fn retry_class(&self) -> Retry {
        self.retry
    }

    /// The runbook's "what to do" for this failure, said in the reason.
    pub(crate) fn with_remedy(mut self, action: &'static str) -> Self {
        self.remedy = Some(action);
        self
    }

    /// Appends what the request had done and had pending (the runner does this for
    /// every `FAILED` answer), after the AWS call.
    pub(crate) fn with_progress(mut self, progress: String) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Replaces the code, keeping the message and the AWS call.
    pub fn with_code(mut self, code: ReasonCode) -> Self {
        self.code = code;
        self
    }

    /// Prefixes the message with context, e.g. what was being done.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The reason code.
    pub fn code(&self) -> ReasonCode {
        self.code
    }

    /// The human message, without the code or the AWS call.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The AWS call behind the failure, if any.
    pub fn aws_call(&self) -> Option<&AwsCall> {
        self.aws_call.as_deref()
    }

    /// The service's error code (e.g. `NotFoundException`), if any.
    pub fn aws_error_code(&self) -> Option<&str> {
        self.aws_call.as_ref()?.error_code.as_deref()
    }

    /// Whether the service answered the call with a refusal (an error code, a 4xx status
    /// when one is known, neither throttling nor a service error): what the call would
    /// have created certainly does not exist. After a timeout, throttling that outlived
    /// its retries or a 5xx, it may.
    pub fn refused_by_service(&self) -> bool {
        let Some(call) = self.aws_call.as_deref() else {
            return false;
        };
        call.error_code.is_some()
            && call
                .http_status
                .is_none_or(|status| (400..500).contains(&status))
            && !matches!(
                self.code,
                ReasonCode::Throttled | ReasonCode::ServiceError | ReasonCode::Timeout
            )
    }

    /// Whether a retry may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retry != Retry::Never
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)?;
        if let Some(call) = &self.aws_call {
            write!(f, " ({}:{}", call.service, call.operation)?;
            if let Some(id) = &call.request_id {
                write!(f, ", AWS request id {id}")?;
            }
            f.write_str(")")?;
        }
        if let Some(action) = self.remedy {
            write!(f, "; what to do: {action}")?;
        }
        if let Some(progress) = &self.progress {
            write!(f, "; {progress}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// Replaces control characters (newlines, tabs, escapes), line and paragraph
/// separators and bidirectional overrides with spaces, so a reason prints as it reads,
/// on one line, in the CloudFormation console.
pub(crate) fn sanitize_reason(reason: &str) -> String {
    reason
        .chars()
        .map(|c| if is_unprintable(c) { ' ' } else { c })
        .collect()
}

fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Cuts `text` to at most `max_bytes`, on a character boundary, marking the cut with `...`
/// (or with as much of the mark as fits, when less room than the mark is left).
pub(crate) fn shorten(text: &str, max_bytes: usize) -> String {
    const MARK: &str = "...";
    if text.len() <= max_bytes {
        return text.to_owned();
    }
    if max_bytes < MARK.len() {
        return MARK[..max_bytes].to_owned();
    }
    let mut end = max_bytes - MARK.len();
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MARK}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kms_call(request_id: Option<&str>) -> AwsCall {
        AwsCall {
            service: "kms".into(),
            operation: "DescribeKey".into(),
            error_code: Some("NotFoundException".into()),
            request_id: request_id.map(Into::into),
            http_status: Some(400),
        }
    }

    #[test]
    fn reason_names_code_message_operation_and_request_id() {
        let failure = Failure::new(ReasonCode::NotFound, "key alias/x does not exist")
            .with_aws_call(kms_call(Some("req-1")));
        assert_eq!(
            failure.to_string(),
            "[NOT_FOUND] key alias/x does not exist (kms:DescribeKey, AWS request id req-1)"
        );
    }

    #[test]
    fn reason_without_request_id_still_names_the_operation() {
        let failure = Failure::new(ReasonCode::ServiceError, "connection reset")
            .with_aws_call(kms_call(None));
        assert_eq!(
            failure.to_string(),
            "[SERVICE_ERROR] connection reset (kms:DescribeKey)"
        );
    }

    #[test]
    fn invalid_property_names_the_field() {
        let failure = Failure::invalid_property("MaxWaitSeconds", "must be at most 3600");
        assert_eq!(
            failure.to_string(),
            "[INVALID_PROPERTIES] MaxWaitSeconds: must be at most 3600"
        );
    }

    #[test]
    fn every_code_is_screaming_snake_case_and_distinct() {
        let names: std::collections::BTreeSet<_> =
            ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ReasonCode::ALL.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{name}"
            );
        }
    }

    #[test]
    fn sanitize_replaces_control_characters() {
        assert_eq!(sanitize_reason("a\nb\tc\u{1b}[0m"), "a b c [0m");
        assert_eq!(sanitize_reason("x\u{2028}y\u{202E}z"), "x y z");
    }

    #[test]
    fn shorten_keeps_the_start_and_respects_char_boundaries() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("abcdefghij", 8), "abcde...");
        let cut = shorten("ééééé", 8); // each é is 2 bytes
        assert!(cut.len() <= 8, "{cut}");
        assert_eq!(cut, "éé...");
    }
}
