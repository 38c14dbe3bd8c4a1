//! Does a key policy let a service principal use the key?

use serde_json::{Map, Value};

/// What a service principal needs a key policy to allow, from that service's own
/// documentation (the source named with each).
#[derive(Debug)]
pub(crate) struct ServiceNeeds {
    /// The principal, IAM-style wildcards allowed (`logs.*.amazonaws.com`).
    pub principal: &'static str,
    /// Which service it is, for messages.
    pub service: &'static str,
    /// The actions it calls on the key.
    pub actions: &'static [&'static str],
    /// Where the service documents them.
    pub source: &'static str,
}

/// What CloudWatch Logs documents for its principals (the wildcards of its policy
/// spelled out: `kms:Encrypt*`, `kms:Decrypt*`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`,
/// `kms:Describe*`).
const LOGS_ACTIONS: &[&str] = &[
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
];

/// The actions each service principal a baseline key serves needs.
pub(crate) const SERVICE_NEEDS: &[ServiceNeeds] = &[
    // "Action": "kms:GenerateDataKey*" for cloudtrail.amazonaws.com, and "CloudTrail
    // requires the ability to describe the properties of the KMS key ... kms:DescribeKey".
    // Decryption belongs to the principals reading the logs, not to CloudTrail.
    ServiceNeeds {
        principal: "cloudtrail.amazonaws.com",
        service: "CloudTrail",
        actions: &["kms:GenerateDataKey", "kms:DescribeKey"],
        source: "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html",
    },
    // "Principal": { "Service": "logs.region.amazonaws.com" } with kms:Encrypt*,
    // kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe*.
    ServiceNeeds {
        principal: "logs.*.amazonaws.com",
        service: "CloudWatch Logs",
        actions: LOGS_ACTIONS,
        source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html",
    },
    // Vended logs to SSE-KMS buckets: delivery.logs.amazonaws.com needs kms:Encrypt,
    // kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey.
    ServiceNeeds {
        principal: "delivery.logs.amazonaws.com",
        service: "CloudWatch Logs log delivery",
        actions: LOGS_ACTIONS,
        source: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html",
    },
    // "Action": [ "kms:Decrypt", "kms:GenerateDataKey" ] for config.amazonaws.com.
    ServiceNeeds {
        principal: "config.amazonaws.com",
        service: "AWS Config",
        actions: &["kms:Decrypt", "kms:GenerateDataKey"],
        source: "https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html",
    },
];

/// What a principal not in [`SERVICE_NEEDS`] needs: the pair SNS documents for AWS
/// services publishing to an encrypted topic ("To allow the AWS service to have the
/// kms:GenerateDataKey* and kms:Decrypt permissions",
/// https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html), which is also
/// what writing and reading an SSE-KMS object takes in S3 ("you need
/// kms:GenerateDataKey permissions on the key ... you need kms:Decrypt permissions",
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
pub(crate) const DEFAULT_ACTIONS: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];

/// The documented needs of `principal`, if it is in [`SERVICE_NEEDS`].
pub(crate) fn documented_needs(principal: &str) -> Option<&'static ServiceNeeds> {
    SERVICE_NEEDS
        .iter()
        .find(|needs| wildcard_match(needs.principal, principal))
}

/// The actions `principal` must be allowed: `explicit` when the properties name them,
/// else the documented ones, else [`DEFAULT_ACTIONS`].
pub fn actions_for(principal: &str, explicit: &[String]) -> Vec<String> {
    if !explicit.is_empty() {
        return explicit.to_vec();
    }
    documented_needs(principal)
        .map_or(DEFAULT_ACTIONS, |needs| needs.actions)
        .iter()
        .map(|action| (*action).to_owned())
        .collect()
}

/// What the policy does for one principal.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Needed actions no `Allow` gives it.
    pub not_allowed: Vec<String>,
    /// `Deny` statements that apply to it, each with why.
    pub denied_by: Vec<String>,
    /// `Deny` statements whose conditions this check cannot evaluate, each with why.
    pub uncertain: Vec<String>,
}

impl Verdict {
    /// Whether the principal may use the key as far as the policy shows.
    pub fn may_use(&self) -> bool {
        self.not_allowed.is_empty() && self.denied_by.is_empty()
    }
}

/// What the key policy `policy` does for `principal` and the `actions` it needs.
///
/// An `Allow` counts when it names the principal as a `Service` and its conditions can
/// hold for a service principal (the encryption-context and source conditions services
/// document are assumed to), or names everyone (`*`) with no condition: a condition on
/// `*` (e.g. `kms:ViaService` on AWS managed keys) is not evidence that the service may
/// use the key. A `Deny` counts when its conditions hold for a service principal (see
/// [`condition_holds`]); one whose conditions cannot be evaluated here is reported as
/// uncertain, never ignored. `NotPrincipal` and `NotAction` in a `Deny` are honoured; in
/// an `Allow` they are not counted.
pub fn assess(policy: &str, principal: &str, actions: &[String]) -> Result<Verdict, String> {
    let document: Value = serde_json::from_str(policy)
        .map_err(|error| format!("the key policy is not JSON: {error}"))?;
    let statements = match document.get("Statement") {
        Some(Value::Array(statements)) => statements.clone(),
        Some(statement @ Value::Object(_)) => vec![statement.clone()],
        _ => return Err("the key policy has no Statement".into()),
    };
    let mut verdict = Verdict::default();
    for action in actions {
        if !statements.iter().any(|s| allows(s, principal, action)) {
            verdict.not_allowed.push(action.clone());
        }
    }
    for (index, statement) in statements.iter().enumerate() {
        let Some(action) = actions
            .iter()
            .find(|a| deny_reaches(statement, principal, a))
        else {
            continue;
        };
        let name = statement.get("Sid").and_then(Value::as_str).map_or_else(
            || format!("statement {}", index + 1),
            |sid| format!("statement {sid:?}"),
        );
        match statement.get("Condition").and_then(Value::as_object) {
            None => verdict.denied_by.push(format!("{name} denies {action}")),
            Some(conditions) => match condition_holds(conditions) {
                Holds::Yes(why) => verdict
                    .denied_by
                    .push(format!("{name} denies {action} under conditions a service principal meets ({why})")),
                Holds::No => {}
                Holds::Unknown(keys) => verdict.uncertain.push(format!(
                    "{name} denies {action} under conditions on {keys} that this check cannot evaluate"
                )),
            },
        }
    }
    Ok(verdict)
}

fn allows(statement: &Value, principal: &str, action: &str) -> bool {
    if !effect_is(statement, "Allow") || !actions_match(statement.get("Action"), action) {
        return false;
    }
    let conditions = statement.get("Condition").and_then(Value::as_object);
    match named(statement.get("Principal"), principal) {
        Naming::Service => conditions.is_none_or(|c| !matches!(condition_holds(c), Holds::No)),
        Naming::Everyone => statement.get("Condition").is_none(),
        Naming::Other => false,
    }
}

/// Whether a `Deny` statement covers `principal` and `action` (conditions aside).
fn deny_reaches(statement: &Value, principal: &str, action: &str) -> bool {
    if !effect_is(statement, "Deny") {
        return false;
    }
    let principal_applies = match statement.get("NotPrincipal") {
        Some(excluded) => named(Some(excluded), principal) == Naming::Other,
        None => named(statement.get("Principal"), principal) != Naming::Other,
    };
    let action_applies = match statement.get("NotAction") {
        Some(excluded) => !actions_match(Some(excluded), action),
        None => actions_match(statement.get("Action"), action),
    };
    principal_applies && action_applies
}

/// Whether a statement's conditions (all must hold) hold for a request a service
/// principal makes.
#[derive(Debug, PartialEq, Eq)]
enum Holds {
    /// They hold, because of what is said.
    Yes(String),
    /// One of them cannot hold.
    No,
    /// Some depend on keys this check cannot know (listed).
    Unknown(String),
}

/// Keys that describe the calling principal's own account and organization: a service
/// principal has none of them in your account or organization. `aws:PrincipalOrgID`
/// "is included in the request context only if the principal is a member of an
/// organization" (AWS global condition context keys), and a service principal's account
/// is AWS's, not yours.
const PRINCIPAL_KEYS: [&str; 4] = [
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
];

/// Evaluates the conditions for a service principal, as far as can be known. IAM
/// (Condition operators): "If the key that you specify in a policy condition is not
/// present in the request context, the values do not match and the condition is false.
/// If the policy condition requires that the key is not matched, such as StringNotLike
/// or ArnNotLike, and the right key is not present, the condition is true." So a
/// negated operator on a principal key holds (the service is outside your account and
/// organization), a plain one does not; `aws:PrincipalIsAWSService` is true for a
/// service principal. Anything else is unknown.
fn condition_holds(conditions: &Map<String, Value>) -> Holds {
    let mut reasons = Vec::new();
    let mut unknown = Vec::new();
    for (operator, block) in conditions {
        let Some(block) = block.as_object() else {
            unknown.push(operator.clone());
            continue;
        };
        let op = operator.to_ascii_lowercase();
        let op = op.split(':').next_back().unwrap_or_default();
        let negated = op.contains("not");
        let if_exists = op.ends_with("ifexists");
        for (key, values) in block {
            let lower = key.to_ascii_lowercase();
            if lower == "aws:principalisawsservice" && op.starts_with("bool") {
                let wants_true = strings(Some(values))
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case("true"));
                if !wants_true {
                    return Holds::No;
                }
                reasons.push(format!("{key} is true for it"));
            } else if PRINCIPAL_KEYS.contains(&lower.as_str())
                || lower.starts_with("aws:principaltag/")
            {
                if negated {
                    reasons.push(format!("{operator} on {key}, which names your account or organization, not the service's"));
                } else if if_exists {
                    unknown.push(key.clone());
                } else {
                    return Holds::No;
                }
            } else {
                unknown.push(key.clone());
            }
        }
    }
    if unknown.is_empty() {
        Holds::Yes(reasons.join("; "))
    } else {
        Holds::Unknown(unknown.join(", "))
    }
}

fn effect_is(statement: &Value, effect: &str) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some(effect)
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// How a `Principal` block refers to a service principal.
#[derive(Debug, PartialEq, Eq)]
enum Naming {
    /// `{"Service": "<principal>"}` (alone or in a list).
    Service,
    /// `"*"` or `{"AWS": "*"}`.
    Everyone,
    /// Someone else.
    Other,
}

fn named(block: Option<&Value>, principal: &str) -> Naming {
    match block {
        Some(Value::String(any)) if any == "*" => Naming::Everyone,
        Some(Value::Object(kinds)) if strings(kinds.get("Service")).contains(&principal) => {
            Naming::Service
        }
        Some(Value::Object(kinds)) if strings(kinds.get("AWS")).contains(&"*") => Naming::Everyone,
        _ => Naming::Other,
    }
}

fn actions_match(actions: Option<&Value>, action: &str) -> bool {
    strings(actions)
        .iter()
        .any(|pattern| wildcard_match(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase()))
}

/// IAM-style matching: `*` any run of characters, `?` one character.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) =
        (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LOGS: &str = "logs.us-east-1.amazonaws.com";

    fn verdict_for(principal: &str, policy: &Value) -> Verdict {
        assess(&policy.to_string(), principal, &actions_for(principal, &[])).unwrap()
    }

    fn logs_may_use(policy: Value) -> bool {
        verdict_for(LOGS, &policy).may_use()
    }

    fn root_only() -> Value {
        json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]})
    }

    #[test]
    fn the_default_root_policy_does_not_name_the_service() {
        assert!(!logs_may_use(root_only()));
    }

    #[test]
    fn an_allow_with_the_documented_wildcards_names_the_service() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], "Resource": "*",
             "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:*"}}}
        ]});
        assert!(logs_may_use(policy));
    }

    /// CloudTrail's documented policy gives it only kms:GenerateDataKey* and
    /// kms:DescribeKey: usable for CloudTrail, though it has no kms:Decrypt.
    #[test]
    fn cloudtrails_documented_policy_is_enough_for_cloudtrail() {
        let policy = json!({"Statement": [
            {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "kms:GenerateDataKey*", "Resource": "*",
             "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:123456789012:trail/*"}}},
            {"Sid": "Allow CloudTrail to describe key", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "kms:DescribeKey", "Resource": "*"}
        ]});
        assert!(verdict_for("cloudtrail.amazonaws.com", &policy).may_use());
        let without_describe = json!({"Statement": [policy["Statement"][0].clone()]});
        assert_eq!(
            verdict_for("cloudtrail.amazonaws.com", &without_describe).not_allowed,
            ["kms:DescribeKey"]
        );
    }

    #[test]
    fn every_documented_service_and_the_default_have_actions() {
        assert_eq!(
            actions_for("config.amazonaws.com", &[]),
            ["kms:Decrypt", "kms:GenerateDataKey"]
        );
        assert_eq!(actions_for("logs.eu-west-1.amazonaws.com", &[]).len(), 6);
        assert_eq!(actions_for("events.amazonaws.com", &[]), DEFAULT_ACTIONS);
        assert_eq!(
            actions_for("cloudtrail.amazonaws.com", &["kms:Decrypt".to_owned()]),
            ["kms:Decrypt"],
            "named actions come first"
        );
        for needs in SERVICE_NEEDS {
            assert!(needs.source.starts_with("https://docs.aws.amazon.com/"));
        }
    }

    #[test]
    fn actions_may_be_split_across_statements_and_service_lists() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": ["config.amazonaws.com", "sns.amazonaws.com"]}, "Action": "kms:Decrypt", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "KMS:GenerateDataKey", "Resource": "*"}
        ]});
        assert!(verdict_for("config.amazonaws.com", &policy).may_use());
    }

    #[test]
    fn a_missing_action_is_named() {
        let policy = json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*"}});
        assert_eq!(
            verdict_for("config.amazonaws.com", &policy).not_allowed,
            ["kms:GenerateDataKey"]
        );
    }

    #[test]
    fn an_unconditional_deny_wins() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "NoDecrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
        ]});
        assert_eq!(
            verdict_for(LOGS, &policy).denied_by,
            ["statement \"NoDecrypt\" denies kms:Decrypt"]
        );
    }

    /// A Deny outside the organization catches service principals: they carry no
    /// aws:PrincipalOrgID, and a negated operator on an absent key is true.
    #[test]
    fn a_deny_on_organization_or_account_conditions_applies_to_a_service() {
        let allow = json!({"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:*", "Resource": "*"});
        let outside_org = json!({"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}});
        let verdict = verdict_for(
            LOGS,
            &json!({"Statement": [allow.clone(), outside_org.clone()]}),
        );
        assert!(!verdict.may_use());
        assert!(
            verdict.denied_by[0].contains("OrgOnly")
                && verdict.denied_by[0].contains("aws:PrincipalOrgID"),
            "{verdict:?}"
        );
        // The usual exemption for AWS services takes the Deny away.
        let mut exempting = outside_org.clone();
        exempting["Condition"]["Bool"] = json!({"aws:PrincipalIsAWSService": "false"});
        assert!(verdict_for(LOGS, &json!({"Statement": [allow.clone(), exempting]})).may_use());
        // A plain operator on an absent key does not hold: no Deny.
        let inside_org = json!({"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}});
        assert!(verdict_for(LOGS, &json!({"Statement": [allow, inside_org]})).may_use());
    }

    #[test]
    fn a_deny_on_conditions_that_cannot_be_evaluated_is_reported_as_uncertain() {
        let allow = json!({"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:*", "Resource": "*"});
        let source = json!({"Sid": "OnlyOurs", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceAccount": "123456789012"}}});
        let verdict = verdict_for(LOGS, &json!({"Statement": [allow, source]}));
        assert!(verdict.may_use());
        assert_eq!(verdict.uncertain.len(), 1);
        assert!(
            verdict.uncertain[0].contains("aws:SourceAccount"),
            "{verdict:?}"
        );
    }

    #[test]
    fn an_allow_on_a_condition_a_service_cannot_meet_is_not_counted() {
        let policy = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]});
        assert!(!logs_may_use(policy));
    }

    #[test]
    fn a_wildcard_principal_allows_everyone() {
        let policy = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]});
        assert!(logs_may_use(policy));
    }

    #[test]
    fn a_conditional_wildcard_principal_is_not_evidence() {
        // The shape of an AWS managed key's policy (aws/s3, aws/ebs, ...).
        let policy = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012", "kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]});
        assert!(!logs_may_use(policy));
    }

    #[test]
    fn a_deny_with_not_principal_or_not_action_applies() {
        let allow = json!({"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:*", "Resource": "*"});
        let not_principal = json!({"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:Decrypt", "Resource": "*"});
        assert!(!logs_may_use(
            json!({"Statement": [allow.clone(), not_principal]})
        ));
        let sparing_logs = json!({"Effect": "Deny", "NotPrincipal": {"Service": LOGS}, "Action": "kms:*", "Resource": "*"});
        assert!(logs_may_use(
            json!({"Statement": [allow.clone(), sparing_logs]})
        ));
        let not_action = json!({"Effect": "Deny", "Principal": "*", "NotAction": "kms:Describe*", "Resource": "*"});
        assert!(!logs_may_use(json!({"Statement": [allow, not_action]})));
    }

    #[test]
    fn malformed_policies_are_reported() {
        assert!(assess("not json", LOGS, &[]).is_err());
        assert!(assess("{}", LOGS, &[]).is_err());
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("kms:*", "kms:decrypt"));
        assert!(wildcard_match(
            "kms:generatedatakey*",
            "kms:generatedatakey"
        ));
        assert!(wildcard_match("kms:?ecrypt", "kms:decrypt"));
        assert!(!wildcard_match("kms:encrypt*", "kms:decrypt"));
        assert!(wildcard_match("*", "kms:decrypt"));
        assert!(wildcard_match("logs.*.amazonaws.com", LOGS));
    }
}
