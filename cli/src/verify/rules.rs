//! The managed rules: each of ConfigSetup's six exists, from its source identifier, and
//! is `ACTIVE`.

use aws_sdk_config::types::ConfigRule;
use aws_sdk_config::Client;

use crate::aws::why;
use crate::baseline::{Rule, RULES};
use crate::finding::{Finding, Status};

const OWNER: &str = "ConfigSetup";

pub(super) async fn check(client: &Client) -> Vec<Finding> {
    let rules = client.describe_config_rules().into_paginator().items();
    let rules = match rules.send().try_collect().await {
        Ok(rules) => rules,
        Err(err) => {
            let unknown = Finding::new(Status::Unknown, OWNER, "rules", "the six rules", why(&err));
            return vec![unknown];
        }
    };
    RULES.iter().map(|rule| judge(rule, &rules)).collect()
}

pub(super) fn judge(rule: &Rule, rules: &[ConfigRule]) -> Finding {
    let found = rules
        .iter()
        .find(|r| r.config_rule_name() == Some(rule.name))
        .map_or("missing".to_owned(), |r| {
            state(
                r.config_rule_state().map_or("no state", |s| s.as_str()),
                r.source()
                    .and_then(|s| s.source_identifier())
                    .unwrap_or("no source"),
            )
        });
    Finding::compare(
        OWNER,
        format!("rule {}", rule.name),
        state("ACTIVE", rule.source_identifier),
        found,
    )
}

fn state(state: &str, source: &str) -> String {
    format!("{state} ({source})")
}

#[cfg(test)]
mod tests {
    use aws_sdk_config::types::{ConfigRuleState, Owner, Source};

    use super::*;
    use crate::finding::Status;

    fn config_rule(name: &str, source: &str, state: ConfigRuleState) -> ConfigRule {
        ConfigRule::builder()
            .config_rule_name(name)
            .config_rule_state(state)
            .source(
                Source::builder()
                    .owner(Owner::Aws)
                    .source_identifier(source)
                    .build()
                    .unwrap(),
            )
            .build()
    }

    #[test]
    fn a_rule_must_exist_be_active_and_check_what_the_template_says() {
        let rule = &RULES[1];
        let active = config_rule(rule.name, rule.source_identifier, ConfigRuleState::Active);
        assert_eq!(judge(rule, &[active]).status, Status::Ok);
        let deleting = config_rule(rule.name, rule.source_identifier, ConfigRuleState::Deleting);
        assert_eq!(
            judge(rule, &[deleting]).found,
            "DELETING (CLOUD_TRAIL_ENABLED)"
        );
        let other = config_rule(
            rule.name,
            "ROOT_ACCOUNT_MFA_ENABLED",
            ConfigRuleState::Active,
        );
        assert_eq!(judge(rule, &[other]).status, Status::Drift);
        let missing = judge(rule, &[]);
        assert_eq!(
            (missing.check.as_str(), missing.found.as_str()),
            ("rule cloudtrail-enabled", "missing")
        );
    }
}
