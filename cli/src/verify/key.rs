//! A KMS key of the baseline: `Enabled`, rotation on, and a key policy that lets each
//! service principal it serves call what that service needs (the actions of KmsReady's
//! table, README "Custom::KmsReady"). This reading counts `Allow` statements naming the
//! principal as `Service` (or `*` without conditions) and unconditional `Deny`s; the
//! conditions' full evaluation is KmsReady's, at deploy time.

use aws_sdk_kms::types::KeyState;
use aws_sdk_kms::Client;
use kms_ready::key_policy::{actions_for, assess};

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

/// Whether `policy` lets `principal` call every action it needs, judged as KmsReady
/// judges it (its table of what each service needs, its reading of Allow and Deny).
pub(super) fn judge_policy(owner: &'static str, policy: &str, principal: &str) -> Finding {
    let check = format!("policy serves {principal}");
    let needed = actions_for(principal, &[]);
    let (ok, found) = match assess(policy, principal, &needed) {
        Err(why) => (false, why),
        Ok(verdict) => {
            let mut said = Vec::new();
            if !verdict.not_allowed.is_empty() {
                said.push(format!("not allowed: {}", verdict.not_allowed.join(",")));
            }
            if !verdict.denied_by.is_empty() {
                said.push(format!("denied: {}", verdict.denied_by.join("; ")));
            }
            if !verdict.uncertain.is_empty() {
                said.push(format!("not evaluated: {}", verdict.uncertain.join("; ")));
            }
            let ok = verdict.may_use();
            if said.is_empty() {
                said.push("all allowed".to_owned());
            }
            (ok, said.join("; "))
        }
    };
    Finding::new(Status::holds(ok), owner, check, needed.join(","), found)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::finding::Status;

    fn policy(statements: serde_json::Value) -> String {
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
        assert_eq!(finding.status, Status::Drift, "{finding:?}");
        assert!(finding.found.starts_with("denied: "), "{finding:?}");
    }
}
