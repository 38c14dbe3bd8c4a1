//! A KMS key of the baseline: `Enabled`, rotation on, and a key policy that lets each
//! service principal it serves call what that service needs (the actions of KmsReady's
//! table, README "Custom::KmsReady"). This reading counts `Allow` statements naming the
//! principal as `Service` (or `*` without conditions) and unconditional `Deny`s; the
//! conditions' full evaluation is KmsReady's, at deploy time.

use aws_sdk_kms::types::KeyState;
use aws_sdk_kms::Client;
use serde_json::Value;

use crate::aws::why;
use crate::finding::{Finding, Status};

/// A key to check.
pub(super) struct Key {
    /// Its logical id in the template.
    pub resource: &'static str,
    /// Its id, ARN or alias, or why it is not known.
    pub id: Result<String, String>,
    /// The service principals it must serve.
    pub principals: Vec<String>,
}

pub(super) async fn check(client: &Client, key: &Key) -> Vec<Finding> {
    let owner = key.resource;
    let id = match &key.id {
        Ok(id) => id.as_str(),
        Err(why) => {
            return vec![Finding::new(
                Status::Unknown,
                owner,
                "state",
                "Enabled",
                why.clone(),
            )]
        }
    };
    let state = match client.describe_key().key_id(id).send().await {
        Ok(out) => out.key_metadata().and_then(|m| m.key_state().cloned()),
        Err(err) => {
            return vec![Finding::new(
                Status::Unknown,
                owner,
                "state",
                "Enabled",
                why(&err),
            )]
        }
    };
    let mut findings = vec![Finding::compare(
        owner,
        "state",
        "Enabled",
        state.as_ref().map_or("no state", KeyState::as_str),
    )];
    findings.push(
        match client.get_key_rotation_status().key_id(id).send().await {
            Ok(out) => Finding::compare(
                owner,
                "rotation",
                "enabled",
                on_off(out.key_rotation_enabled()),
            ),
            Err(err) => Finding::new(Status::Unknown, owner, "rotation", "enabled", why(&err)),
        },
    );
    match client
        .get_key_policy()
        .key_id(id)
        .policy_name("default")
        .send()
        .await
    {
        Ok(out) => {
            let policy = out.policy().unwrap_or_default();
            findings.extend(
                key.principals
                    .iter()
                    .map(|p| judge_policy(owner, policy, p)),
            );
        }
        Err(err) => findings.extend(key.principals.iter().map(|p| {
            Finding::new(
                Status::Unknown,
                owner,
                format!("policy serves {p}"),
                "allowed",
                why(&err),
            )
        })),
    }
    findings
}

fn on_off(on: bool) -> &'static str {
    if on {
        "enabled"
    } else {
        "disabled"
    }
}

/// What `principal` must be allowed (KmsReady's table).
fn needs(principal: &str) -> &'static [&'static str] {
    const LOGS: &[&str] = &[
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:DescribeKey",
    ];
    if principal == "cloudtrail.amazonaws.com" {
        &["kms:GenerateDataKey", "kms:DescribeKey"]
    } else if principal.starts_with("logs.") || principal == "delivery.logs.amazonaws.com" {
        LOGS
    } else {
        &["kms:Decrypt", "kms:GenerateDataKey"]
    }
}

/// Whether `policy` lets `principal` call every action it needs.
pub(super) fn judge_policy(owner: &'static str, policy: &str, principal: &str) -> Finding {
    let check = format!("policy serves {principal}");
    let needed = needs(principal);
    let Ok(policy) = serde_json::from_str::<Value>(policy) else {
        return Finding::new(
            Status::Drift,
            owner,
            check,
            needed.join(","),
            "a key policy that is not JSON",
        );
    };
    let statements = match &policy["Statement"] {
        Value::Array(items) => items.clone(),
        single => vec![single.clone()],
    };
    let conditional = |s: &Value| s.get("Condition").is_some();
    let covers = |s: &Value, action: &str| strings(&s["Action"]).iter().any(|p| matches(p, action));
    let allowed = |action: &str| {
        statements.iter().any(|s| {
            s["Effect"] == "Allow"
                && names(&s["Principal"], principal, !conditional(s))
                && covers(s, action)
        })
    };
    let denied = |action: &str| {
        statements.iter().any(|s| {
            s["Effect"] == "Deny"
                && !conditional(s)
                && names(&s["Principal"], principal, true)
                && covers(s, action)
        })
    };
    let missing: Vec<&str> = needed
        .iter()
        .filter(|action| !allowed(action) || denied(action))
        .copied()
        .collect();
    let found = if missing.is_empty() {
        "all allowed".to_owned()
    } else {
        format!("not allowed: {}", missing.join(","))
    };
    Finding::new(
        Status::holds(missing.is_empty()),
        owner,
        check,
        needed.join(","),
        found,
    )
}

/// Whether `principal` names `service`: as `Service`, or as everyone (`*`) when
/// `everyone_counts` (a statement without conditions).
fn names(principal: &Value, service: &str, everyone_counts: bool) -> bool {
    let everyone = principal == "*" || strings(&principal["AWS"]).contains(&"*");
    strings(&principal["Service"]).contains(&service) || (everyone && everyone_counts)
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// IAM action matching: case-insensitive, `*` any run, `?` one character.
fn matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::finding::Status;

    fn policy(statements: Value) -> String {
        json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    }

    /// The template's LogsKey statements for CloudWatch Logs and CloudWatch alarms.
    fn logs_key_policy() -> String {
        policy(json!([
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
             "Resource": "*", "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"}}},
            {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}
        ]))
    }

    #[test]
    fn the_templates_logs_key_policy_serves_both_principals() {
        for principal in ["logs.us-east-1.amazonaws.com", "cloudwatch.amazonaws.com"] {
            let finding = judge_policy("LogsKey", &logs_key_policy(), principal);
            assert_eq!(finding.status, Status::Ok, "{finding:?}");
        }
        let trail = judge_policy("LogsKey", &logs_key_policy(), "cloudtrail.amazonaws.com");
        assert_eq!(
            trail.found,
            "not allowed: kms:GenerateDataKey,kms:DescribeKey"
        );
    }

    #[test]
    fn a_missing_action_or_an_unconditional_deny_drifts() {
        let partial = policy(
            json!({"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*", "Resource": "*"}),
        );
        let finding = judge_policy("TrailKey", &partial, "cloudtrail.amazonaws.com");
        assert_eq!(finding.found, "not allowed: kms:DescribeKey");
        let denied = policy(json!([
            {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:Describe*", "Resource": "*"}
        ]));
        let finding = judge_policy("TrailKey", &denied, "cloudtrail.amazonaws.com");
        assert_eq!(finding.found, "not allowed: kms:DescribeKey");
    }

    #[test]
    fn actions_match_like_iam() {
        assert!(matches("kms:GenerateDataKey*", "kms:GenerateDataKey"));
        assert!(matches("KMS:describe?ey", "kms:DescribeKey"));
        assert!(matches("*", "kms:Decrypt"));
        assert!(!matches("kms:Encrypt", "kms:Decrypt"));
    }
}
