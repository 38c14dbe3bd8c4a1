//! What each reason code of `Custom::KmsReady` means, what to check, what to do
//! (`docs/runbook.md` is rendered from this table).

use cfn_custom_resource_kit::{ReasonCode, Remedy};

pub(crate) const RUNBOOK: &[Remedy] = &[
    Remedy {
        code: ReasonCode::InvalidProperties,
        means: "a property is missing or has the wrong shape; the reason names it",
        check: "the resource's properties in the template (KeyId, MaxWaitSeconds, RequiredServicePrincipals, RequiredActions)",
        action: "fix the named property and update the stack",
    },
    Remedy {
        code: ReasonCode::AccessDenied,
        means: "the function's role may not call kms:DescribeKey or kms:GetKeyPolicy on the key, or the request came from another account's stack",
        check: "the key policy (KMS console, Key policy tab; `aws kms get-key-policy --key-id <arn> --policy-name default`) and the role's policy",
        action: "let the function's role call kms:DescribeKey (and kms:GetKeyPolicy when principals are required) in the key policy",
    },
    Remedy {
        code: ReasonCode::OrgManaged,
        means: "a service control policy denies the KMS call",
        check: "the organization's SCPs on this account (Organizations console, Policies)",
        action: "ask the organization's administrators for an exception, or check the key from an account the SCP allows",
    },
    Remedy {
        code: ReasonCode::NotFound,
        means: "no key or alias of that name appeared within MaxWaitSeconds",
        check: "`aws kms describe-key --key-id <KeyId>` in the stack's region; the alias list (KMS console, Aliases)",
        action: "name an existing key (or its alias) in this region, or create the key first (DependsOn)",
    },
    Remedy {
        code: ReasonCode::Conflict,
        means: "KMS refused the call as conflicting with the key's state",
        check: "`aws kms describe-key --key-id <KeyId>`",
        action: "wait for the key's change to finish, then retry",
    },
    Remedy {
        code: ReasonCode::NotActive,
        means: "the key is not usable: Disabled, pending deletion or import, unavailable, not a symmetric encryption key, or its policy does not let a required service call what it needs (the reason names the principal, the actions and the service's documentation)",
        check: "KMS console, the key's General configuration and Key policy tabs; the page the reason names",
        action: "enable the key (or cancel its deletion), use a symmetric encryption key, or add the service's statement to the key policy, then update the stack",
    },
    Remedy {
        code: ReasonCode::Unsupported,
        means: "the key belongs to another account: its state was checked, its key policy cannot be read from here (GetKeyPolicy works only in the key's account)",
        check: "the KeyId's account; the key policy in that account",
        action: "deploy this resource in the key's account, or leave RequiredServicePrincipals out",
    },
];
