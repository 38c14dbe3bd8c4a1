//! Error classification as data: [`GENERIC`], then one table per service (the order is
//! the module's, see [`super`]). Within a table the first rule whose operation, code and
//! message pattern all match decides: put rules with a message pattern before the plain ones.

use std::time::Duration;

use super::{ReasonCode, Retry};

/// How one AWS error is classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ErrorRule {
    /// The operation this rule is limited to (`None`: every operation).
    pub operation: Option<&'static str>,
    /// The service's error code, e.g. `InsufficientDeliveryPolicyException`.
    pub code: &'static str,
    /// A case-insensitive substring the message must contain (AWS overloads some codes).
    pub message_contains: Option<&'static str>,
    /// The reason code the failure gets.
    pub reason: ReasonCode,
    /// Whether and how long [`crate::retry`] retries it.
    pub retry: Retry,
}

const fn rule(code: &'static str, reason: ReasonCode) -> ErrorRule {
    ErrorRule {
        operation: None,
        code,
        message_contains: None,
        reason,
        retry: Retry::Never,
    }
}

impl ErrorRule {
    const fn when_message_says(mut self, pattern: &'static str) -> Self {
        self.message_contains = Some(pattern);
        self
    }

    const fn on(mut self, operation: &'static str) -> Self {
        self.operation = Some(operation);
        self
    }

    const fn retried(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Whether the rule decides for this error.
    pub(crate) fn matches(&self, operation: &str, code: &str, message: &str) -> bool {
        self.code == code
            && self.operation.is_none_or(|op| op == operation)
            && self.message_contains.is_none_or(|pattern| {
                message
                    .to_ascii_lowercase()
                    .contains(&pattern.to_ascii_lowercase())
            })
    }
}

/// How long an order error (the recorder or channel another call just made) may settle.
pub(crate) const ORDER_SETTLING: Duration = Duration::from_secs(30);

/// How long a bucket policy or role may take to become visible to AWS Config.
pub(crate) const POLICY_SETTLING: Duration = Duration::from_secs(120);

/// How long a rule may stay in use (deleting, remediation being detached).
pub(crate) const RULE_IN_USE_SETTLING: Duration = Duration::from_secs(90);

/// How long Security Hub may take to show a hub enabled moments ago: its "not subscribed"
/// error is retried this long, and a function waiting for a new hub waits as long.
pub const HUB_SETTLING: Duration = Duration::from_secs(10);

/// Rules for every service, tried before the service's own table.
pub(crate) const GENERIC: &[ErrorRule] = &[
    // An SCP denial cannot be fixed from the account: the organization owns the setting.
    rule("AccessDeniedException", ReasonCode::OrgManaged)
        .when_message_says("service control policy"),
    rule("AccessDenied", ReasonCode::OrgManaged).when_message_says("service control policy"),
    rule("UnauthorizedOperation", ReasonCode::OrgManaged)
        .when_message_says("service control policy"),
];

/// AWS Config (`config`).
pub(crate) const CONFIG: &[ErrorRule] = &[
    rule(
        "MaxNumberOfConfigurationRecordersExceededException",
        ReasonCode::Conflict,
    ),
    rule(
        "MaxNumberOfDeliveryChannelsExceededException",
        ReasonCode::Conflict,
    ),
    rule(
        "MaxNumberOfConfigRulesExceededException",
        ReasonCode::LimitExceeded,
    ),
    rule(
        "NoAvailableConfigurationRecorderException",
        ReasonCode::DependencyNotReady,
    )
    .retried(Retry::Within(ORDER_SETTLING)),
    rule(
        "NoAvailableDeliveryChannelException",
        ReasonCode::DependencyNotReady,
    )
    .retried(Retry::Within(ORDER_SETTLING)),
    rule(
        "InsufficientDeliveryPolicyException",
        ReasonCode::AccessDenied,
    )
    .retried(Retry::Within(POLICY_SETTLING)),
    rule("InsufficientPermissionsException", ReasonCode::AccessDenied)
        .retried(Retry::Within(POLICY_SETTLING)),
    rule("NoSuchBucketException", ReasonCode::NotFound),
    rule("InvalidSNSTopicARNException", ReasonCode::NotFound),
    rule("InvalidRoleException", ReasonCode::InvalidProperties),
    rule("InvalidS3KeyPrefixException", ReasonCode::InvalidProperties),
    rule("InvalidS3KmsKeyArnException", ReasonCode::InvalidProperties),
    rule(
        "InvalidRecordingGroupException",
        ReasonCode::InvalidProperties,
    ),
    rule(
        "InvalidConfigurationRecorderNameException",
        ReasonCode::InvalidProperties,
    ),
    rule(
        "InvalidDeliveryChannelNameException",
        ReasonCode::InvalidProperties,
    ),
    rule("InvalidDeliveryFrequency", ReasonCode::InvalidProperties),
    rule(
        "LastDeliveryChannelDeleteFailedException",
        ReasonCode::Conflict,
    ),
    rule("ResourceInUseException", ReasonCode::Conflict)
        .retried(Retry::Within(RULE_IN_USE_SETTLING)),
];

/// AWS Security Hub CSPM (`securityhub`).
pub(crate) const SECURITYHUB: &[ErrorRule] = &[
    // Security Hub's throttling code is LimitExceededException (HTTP 429).
    rule("LimitExceededException", ReasonCode::Throttled).retried(Retry::UntilDeadline),
    rule("AccessDeniedException", ReasonCode::OrgManaged)
        .when_message_says("central configuration"),
    // The same refusal worded by what manages the account: a configuration policy.
    rule("AccessDeniedException", ReasonCode::OrgManaged).when_message_says("configuration policy"),
    rule("AccessDeniedException", ReasonCode::OrgManaged).when_message_says("centrally managed"),
    // A standards ARN where a subscription ARN belongs: our bug, not a permission problem.
    rule("AccessDeniedException", ReasonCode::Internal)
        .on("BatchDisableStandards")
        .when_message_says("::standards/"),
    rule("AccessDeniedException", ReasonCode::Internal)
        .on("BatchDisableStandards")
        .when_message_says(":::ruleset/"),
    rule("InvalidAccessException", ReasonCode::OrgManaged).when_message_says("member account"),
    rule("InvalidAccessException", ReasonCode::DependencyNotReady)
        .retried(Retry::Within(HUB_SETTLING)),
    // "... in state PENDING, please try later": retried until the deadline (then TIMEOUT).
    rule("InvalidInputException", ReasonCode::DependencyNotReady)
        .when_message_says("PENDING")
        .retried(Retry::UntilDeadline),
    rule("InvalidInputException", ReasonCode::InvalidProperties),
    rule("ResourceConflictException", ReasonCode::Conflict),
    rule("ResourceNotFoundException", ReasonCode::NotFound),
];

/// AWS Systems Manager Parameter Store (`ssm`), where the ownership ledger lives.
pub(crate) const SSM: &[ErrorRule] = &[
    rule("ParameterNotFound", ReasonCode::NotFound),
    rule("ParameterLimitExceeded", ReasonCode::LimitExceeded),
    rule("TooManyUpdates", ReasonCode::Throttled).retried(Retry::UntilDeadline),
    rule("ParameterAlreadyExists", ReasonCode::Conflict),
];

/// IAM (`iam`): the Config service-linked role.
pub(crate) const IAM: &[ErrorRule] = &[
    rule("InvalidInput", ReasonCode::Conflict).when_message_says("has been taken"),
    rule("EntityAlreadyExists", ReasonCode::Conflict),
    rule("LimitExceeded", ReasonCode::LimitExceeded),
    rule("ConcurrentModification", ReasonCode::Throttled).retried(Retry::UntilDeadline),
    rule("InvalidInput", ReasonCode::InvalidProperties),
];

/// AWS KMS (`kms`).
pub(crate) const KMS: &[ErrorRule] = &[
    rule("KMSInvalidStateException", ReasonCode::NotActive),
    rule("DisabledException", ReasonCode::NotActive),
];

/// The table of `service` (an IAM service prefix), empty when there is none.
pub(crate) fn table(service: &str) -> &'static [ErrorRule] {
    match service {
        "config" => CONFIG,
        "securityhub" => SECURITYHUB,
        "ssm" => SSM,
        "iam" => IAM,
        "kms" => KMS,
        _ => &[],
    }
}

/// The first rule deciding for this error: [`GENERIC`] (the SCP denial), then the service's table.
pub(crate) fn lookup(
    service: &str,
    operation: &str,
    code: &str,
    message: &str,
) -> Option<&'static ErrorRule> {
    GENERIC
        .iter()
        .chain(table(service))
        .find(|rule| rule.matches(operation, code, message))
}
