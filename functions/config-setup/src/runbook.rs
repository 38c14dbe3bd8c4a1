//! What each reason code of `Custom::ConfigSetup` means, what to check, what to do
//! (`docs/runbook.md` is rendered from this table).

use cfn_custom_resource_kit::{ReasonCode, Remedy};

pub(crate) const RUNBOOK: &[Remedy] = &[
    Remedy {
        code: ReasonCode::InvalidProperties,
        means: "a property is missing, malformed or a combination AWS Config refuses (the reason names it), or RecorderName changed after this resource created the recorder",
        check: "the resource's properties in the template; README, Custom::ConfigSetup",
        action: "fix the named property; to rename the recorder, replace the resource (new logical id)",
    },
    Remedy {
        code: ReasonCode::AccessDenied,
        means: "AWS Config may not deliver to the bucket (bucket policy, ACL or KMS key), the function's role lacks an action, or the request came from another account's stack",
        check: "the delivery bucket's policy (S3 console, Permissions) for AWS Config's three statements; the role's policy; the reason's operation",
        action: "give AWS Config the documented bucket (and key) permissions, or the role the named action, then retry",
    },
    Remedy {
        code: ReasonCode::OrgManaged,
        means: "a service control policy denies the change (Control Tower's guardrails protect its recorder), or Control Tower's recorder does not record",
        check: "AWS Control Tower console (the account's OU and its baseline); the organization's SCPs",
        action: "re-register the OU in Control Tower, or ask the organization's administrators; this resource never changes Control Tower's recorder",
    },
    Remedy {
        code: ReasonCode::NotFound,
        means: "the delivery bucket, SNS topic or KMS key the properties name does not exist",
        check: "`aws s3api head-bucket --bucket <DeliveryBucketName>`; the topic and key ARNs",
        action: "create it first (DependsOn), or name one that exists",
    },
    Remedy {
        code: ReasonCode::Conflict,
        means: "a recorder or channel exists under another name and ExistingRecorder is Fail, a rule of that name belongs to another service, or AWS Config refused a delete",
        check: "`aws configservice describe-configuration-recorders`, `describe-config-rules --config-rule-names <name>` (CreatedBy)",
        action: "set ExistingRecorder to Adopt, choose another rule name, or remove what is in the way",
    },
    Remedy {
        code: ReasonCode::DependencyNotReady,
        means: "something this request needs is not there yet: a rule name AWS Config is still deleting (up to an hour), the recorder another stack is creating, or an ordering error that outlived its retries",
        check: "`aws configservice describe-config-rules --config-rule-names <name>` (ConfigRuleState DELETING)",
        action: "deploy again once it is gone, or use another rule name",
    },
    Remedy {
        code: ReasonCode::NotActive,
        means: "read back, the set-up is not what was asked: the recorder does not record or reports a failed delivery newer than this change, a rule is not ACTIVE, or the delivery channel differs from the properties",
        check: "`aws configservice describe-configuration-recorder-status` (lastStatus, lastErrorCode), `describe-delivery-channels`, `describe-config-rules`",
        action: "fix the cause the reason names (often the bucket policy or the role), then update the stack",
    },
    Remedy {
        code: ReasonCode::LimitExceeded,
        means: "an AWS Config quota: rules per account and region, or recorders",
        check: "Service Quotas, AWS Config; `aws configservice describe-config-rules` (how many exist)",
        action: "delete unused rules or ask for a higher quota, then retry",
    },
];
