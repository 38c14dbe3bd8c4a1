//! What each reason code of `Custom::SecurityHubEnable` means, what to check, what to do
//! (`docs/runbook.md` is rendered from this table).

use cfn_custom_resource_kit::{ReasonCode, Remedy};

pub(crate) const RUNBOOK: &[Remedy] = &[
    Remedy {
        code: ReasonCode::InvalidProperties,
        means: "a property is missing or has the wrong shape (the reason names it), or Security Hub refused a setting as invalid",
        check: "the resource's properties (ControlFindingGenerator, AutoEnableControls, Tags, OnDelete)",
        action: "fix the named property and update the stack",
    },
    Remedy {
        code: ReasonCode::AccessDenied,
        means: "the function's role lacks a securityhub action, or the request came from another account's stack",
        check: "the role's policy against the README's IAM actions list; the reason's operation",
        action: "grant the named action to the function's role",
    },
    Remedy {
        code: ReasonCode::OrgManaged,
        means: "Security Hub is centrally configured or this is a member account: the organization's administrator owns the settings",
        check: "Security Hub console, Configuration (central configuration policy); the administrator account",
        action: "change the setting in the administrator account or its configuration policy, or leave the property unset (EnableSecurityHub false in the template)",
    },
    Remedy {
        code: ReasonCode::NotFound,
        means: "the hub or a resource Security Hub names is missing",
        check: "`aws securityhub describe-hub`",
        action: "retry; if the hub was disabled out of band, an Update enables it again",
    },
    Remedy {
        code: ReasonCode::Conflict,
        means: "Security Hub refused to be disabled: this account is an administrator with members, or a member",
        check: "Security Hub console, Settings, Accounts",
        action: "disassociate the members (or this account from its administrator) first, or set OnDelete to Retain",
    },
    Remedy {
        code: ReasonCode::DependencyNotReady,
        means: "the hub enabled moments ago does not show yet, or another stack is enabling it",
        check: "`aws securityhub describe-hub`",
        action: "retry in a minute",
    },
    Remedy {
        code: ReasonCode::NotActive,
        means: "read back, the hub does not show the requested settings, or it was disabled while they were being changed",
        check: "`aws securityhub describe-hub` (AutoEnableControls, ControlFindingGenerator)",
        action: "retry; if a central configuration policy resets the settings, change them there",
    },
];
