//! What each reason code of `Custom::SecurityHubStandards` means, what to check, what to
//! do (`docs/runbook.md` is rendered from this table).

use cfn_custom_resource_kit::{ReasonCode, Remedy};

pub(crate) const RUNBOOK: &[Remedy] = &[
    Remedy {
        code: ReasonCode::InvalidProperties,
        means: "Standards names something that is not a standard here, a duplicate, or a malformed entry (the reason names it)",
        check: "`aws securityhub describe-standards` in the stack's region",
        action: "use a short id or ARN the region lists",
    },
    Remedy {
        code: ReasonCode::AccessDenied,
        means: "the function's role lacks a securityhub action, or the request came from another account's stack",
        check: "the role's policy against the README's IAM actions list",
        action: "grant the named action to the function's role",
    },
    Remedy {
        code: ReasonCode::OrgManaged,
        means: "Security Hub is centrally configured: the organization's configuration policy owns which standards are enabled",
        check: "Security Hub console, Configuration (central configuration policy)",
        action: "enable the standards in the configuration policy, or remove this resource (EnableSecurityHub false)",
    },
    Remedy {
        code: ReasonCode::NotFound,
        means: "a standard or subscription Security Hub names is missing",
        check: "`aws securityhub get-enabled-standards`",
        action: "retry; an Update enables what is missing",
    },
    Remedy {
        code: ReasonCode::Conflict,
        means: "Security Hub refused the change as conflicting",
        check: "`aws securityhub get-enabled-standards`",
        action: "retry once the standard's change is over",
    },
    Remedy {
        code: ReasonCode::DependencyNotReady,
        means: "Security Hub is not enabled here, or a standard is still being disabled (DELETING)",
        check: "`aws securityhub describe-hub`; `get-enabled-standards` (StandardsStatus)",
        action: "enable the hub first (the SecurityHubEnable resource, DependsOn), or deploy again once the standard is gone",
    },
    Remedy {
        code: ReasonCode::NotActive,
        means: "a standard ended INCOMPLETE or FAILED; the reason gives its StatusReasonCode and the fix (NO_AVAILABLE_CONFIGURATION_RECORDER: AWS Config does not record here)",
        check: "Security Hub console, Security standards; `aws securityhub get-enabled-standards`",
        action: "fix the cause (let ConfigSetup complete first), then update this resource: it disables and enables the standards it owns",
    },
    Remedy {
        code: ReasonCode::Unsupported,
        means: "a standard this region does not offer",
        check: "`aws securityhub describe-standards` in the region",
        action: "remove it from Standards for this region",
    },
    Remedy {
        code: ReasonCode::ServiceError,
        means: "Security Hub could not disable a standard (FAILED) after three attempts, or answered 5xx until the deadline",
        check: "`aws securityhub get-enabled-standards` (StandardsStatus, StatusReasonCode)",
        action: "disable the standard in the console and retry, or retry the delete choosing to retain this resource",
    },
];
