//! Errors of the protocol layer: events that cannot be answered, answers that could not be delivered.

/// Why a request could not be answered through its ResponseURL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Lambda payload is not a CloudFormation request (nor an SNS record carrying one).
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    /// The request has no ResponseURL, or one outside the allow-list.
    #[error("unusable ResponseURL: {0}")]
    UnusableResponseUrl(String),
    /// The response was refused (4xx) by the pre-signed URL; not retried.
    #[error("the response PUT to {url} was refused with HTTP {status}")]
    ResponseRefused {
        /// The URL without its query string.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// Every attempt to PUT the response failed (network errors or 5xx).
    #[error("the response PUT to {url} failed after {attempts} attempts: {last_error}")]
    DeliveryFailed {
        /// The URL without its query string.
        url: String,
        /// How many PUTs were tried.
        attempts: u32,
        /// What the last attempt saw.
        last_error: String,
    },
    /// Not even a minimal answer fits CloudFormation's 4096 bytes (the ids are too large,
    /// and ids are never rewritten).
    #[error("no response can be sent: {0}")]
    ResponseTooLarge(String),
    /// The response could not be serialized.
    #[error("could not serialize the response: {0}")]
    Serialize(#[from] serde_json::Error),
}

impl Error {
    /// A stable name for the kind of error, reported to Lambda as `errorType`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidEvent(_) => "InvalidEvent",
            Self::UnusableResponseUrl(_) => "UnusableResponseUrl",
            Self::ResponseRefused { .. } => "ResponseRefused",
            Self::DeliveryFailed { .. } => "DeliveryFailed",
            Self::ResponseTooLarge(_) => "ResponseTooLarge",
            Self::Serialize(_) => "Serialize",
        }
    }
}

impl From<Error> for lambda_runtime::Diagnostic {
    fn from(error: Error) -> Self {
        Self {
            error_type: error.kind().to_owned(),
            error_message: error.to_string(),
        }
    }
}
