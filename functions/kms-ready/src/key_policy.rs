//! Does a key policy let a service principal use the key?

use serde_json::Value;

/// The actions a service needs to use a key for encryption at rest.
pub const USE_ACTIONS: [&str; 2] = ["kms:Decrypt", "kms:GenerateDataKey"];

/// The principals among `required` that the policy does not allow to use the key.
///
/// A principal may use the key when `Allow` statements cover every action in
/// [`USE_ACTIONS`] for it (wildcards such as `kms:*` or `kms:GenerateDataKey*` count)
/// and no unconditional `Deny` takes one away. An `Allow` counts when it names the
/// principal as a `Service` (its conditions are assumed satisfiable, as for the
/// encryption-context conditions services use), or names everyone (`*`) with no
/// condition: a condition on `*` (e.g. `kms:ViaService` on AWS managed keys) is not
/// evidence that the service may use the key. `NotPrincipal` and `NotAction` in a
/// `Deny` are honoured; in an `Allow` they are not counted.
pub fn principals_without_use(policy: &str, required: &[String]) -> Result<Vec<String>, String> {
    let document: Value = serde_json::from_str(policy)
        .map_err(|error| format!("the key policy is not JSON: {error}"))?;
    let statements = match document.get("Statement") {
        Some(Value::Array(statements)) => statements.clone(),
        Some(statement @ Value::Object(_)) => vec![statement.clone()],
        _ => return Err("the key policy has no Statement".into()),
    };
    Ok(required
        .iter()
        .filter(|principal| !may_use(&statements, principal))
        .cloned()
        .collect())
}

fn may_use(statements: &[Value], principal: &str) -> bool {
    USE_ACTIONS.iter().all(|action| {
        let allowed = statements.iter().any(|s| allows(s, principal, action));
        let denied = statements.iter().any(|s| denies(s, principal, action));
        allowed && !denied
    })
}

fn allows(statement: &Value, principal: &str, action: &str) -> bool {
    if !effect_is(statement, "Allow") || !actions_match(statement.get("Action"), action) {
        return false;
    }
    match named(statement.get("Principal"), principal) {
        Naming::Service => true,
        Naming::Everyone => statement.get("Condition").is_none(),
        Naming::Other => false,
    }
}

fn denies(statement: &Value, principal: &str, action: &str) -> bool {
    if !effect_is(statement, "Deny") || statement.get("Condition").is_some() {
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

    fn missing(policy: Value) -> Vec<String> {
        principals_without_use(&policy.to_string(), &[LOGS.to_owned()]).unwrap()
    }

    fn root_only() -> Value {
        json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]})
    }

    #[test]
    fn the_default_root_policy_does_not_name_the_service() {
        assert_eq!(missing(root_only()), vec![LOGS]);
    }

    #[test]
    fn an_allow_with_wildcard_actions_names_the_service() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"], "Resource": "*",
             "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:*"}}}
        ]});
        assert!(missing(policy).is_empty());
    }

    #[test]
    fn actions_may_be_split_across_statements_and_service_lists() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": ["config.amazonaws.com", LOGS]}, "Action": "kms:Decrypt", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "KMS:GenerateDataKey", "Resource": "*"}
        ]});
        assert!(missing(policy).is_empty());
    }

    #[test]
    fn a_missing_action_is_not_enough() {
        let policy = json!({"Statement": {"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:Decrypt", "Resource": "*"}});
        assert_eq!(missing(policy), vec![LOGS]);
    }

    #[test]
    fn an_unconditional_deny_wins() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
        ]});
        assert_eq!(missing(policy), vec![LOGS]);
    }

    #[test]
    fn a_wildcard_principal_allows_everyone() {
        let policy = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]});
        assert!(missing(policy).is_empty());
    }

    #[test]
    fn a_conditional_wildcard_principal_is_not_evidence() {
        // The shape of an AWS managed key's policy (aws/s3, aws/ebs, ...).
        let policy = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012", "kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]});
        assert_eq!(missing(policy), vec![LOGS]);
    }

    #[test]
    fn a_deny_with_not_principal_or_not_action_applies() {
        let allow = json!({"Effect": "Allow", "Principal": {"Service": LOGS}, "Action": "kms:*", "Resource": "*"});
        let not_principal = json!({"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:Decrypt", "Resource": "*"});
        assert_eq!(
            missing(json!({"Statement": [allow.clone(), not_principal]})),
            vec![LOGS]
        );
        let sparing_logs = json!({"Effect": "Deny", "NotPrincipal": {"Service": LOGS}, "Action": "kms:*", "Resource": "*"});
        assert!(missing(json!({"Statement": [allow.clone(), sparing_logs]})).is_empty());
        let not_action = json!({"Effect": "Deny", "Principal": "*", "NotAction": "kms:Describe*", "Resource": "*"});
        assert_eq!(
            missing(json!({"Statement": [allow, not_action]})),
            vec![LOGS]
        );
    }

    #[test]
    fn malformed_policies_are_reported() {
        assert!(principals_without_use("not json", &[]).is_err());
        assert!(principals_without_use("{}", &[]).is_err());
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
    }
}
