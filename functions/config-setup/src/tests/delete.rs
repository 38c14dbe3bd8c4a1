//! Delete: what the ledger says this resource created goes, in the order AWS Config
//! needs; rule deletions are asked for, never waited out.

use aws_sdk_config::operation::delete_config_rule::{
    DeleteConfigRuleError, DeleteConfigRuleOutput,
};
use aws_sdk_config::operation::delete_configuration_recorder::DeleteConfigurationRecorderOutput;
use aws_sdk_config::operation::delete_delivery_channel::{
    DeleteDeliveryChannelError, DeleteDeliveryChannelOutput,
};
use aws_sdk_config::operation::stop_configuration_recorder::StopConfigurationRecorderOutput;
use cfn_custom_resource_kit::testing::delete;

use super::*;

/// A resource that created the rules `names`; DeleteConfigRule answered by `delete_rule`,
/// DescribeConfigRules by `reads`.
fn owning_rules(names: &[&str], delete_rule: &Rule, reads: &Rule) -> Fake {
    Fake::fresh()
        .owning(json!({"owned": {"rule": names}}))
        .with(delete_rule)
        .with(reads)
}

/// `DeleteConfigRule` accepting every deletion.
fn delete_rule_accepted() -> Rule {
    mock!(aws_sdk_config::Client::delete_config_rule)
        .then_output(|| DeleteConfigRuleOutput::builder().build())
}

/// `DeleteConfigRule` refused with `ResourceInUseException` saying `message`.
fn delete_rule_in_use(message: &'static str) -> Rule {
    mock!(aws_sdk_config::Client::delete_config_rule)
        .then_error(move || DeleteConfigRuleError::generic(meta("ResourceInUseException", message)))
}

/// The summary of a Delete that succeeded.
async fn deleted(fake: &Fake) -> String {
    let outcome = delete(&fake.resource(), Some(with(json!({}))))
        .await
        .unwrap();
    outcome.summary.unwrap_or_default()
}

#[tokio::test]
async fn delete_stops_then_retries_the_channel_after_last_delivery_channel_delete_failed() {
    let stop = mock!(aws_sdk_config::Client::stop_configuration_recorder)
        .then_output(|| StopConfigurationRecorderOutput::builder().build());
    let delete_channel = mock!(aws_sdk_config::Client::delete_delivery_channel)
        .sequence()
        .error(|| {
            DeleteDeliveryChannelError::generic(meta(
                "LastDeliveryChannelDeleteFailedException",
                "recorder is running",
            ))
        })
        .output(|| DeleteDeliveryChannelOutput::builder().build())
        .build();
    let delete_recorder = mock!(aws_sdk_config::Client::delete_configuration_recorder)
        .then_output(|| DeleteConfigurationRecorderOutput::builder().build());
    let fake = Fake::fresh()
        .owning(json!({"owned": {"recorder": ["default"], "channel": ["default"]}}))
        .with(&stop)
        .with(&delete_channel)
        .with(&delete_recorder);
    deleted(&fake).await;
    assert_eq!(stop.num_calls(), 2, "stopped, and stopped again");
    assert_eq!(delete_channel.num_calls(), 2);
    assert_eq!(delete_recorder.num_calls(), 1);
    assert_eq!(fake.ssm.deletes(), 1, "the record is erased");
}

/// A rule in DELETING is a deletion accepted: named in the summary, never waited for.
/// Every deletion is asked for first, then all are read back in one call. A Delete
/// delivered again after the first one asked finds the rule DELETING; DeleteConfigRule
/// would answer ResourceInUseException, so it is not asked again, and the stack is not
/// held up.
#[tokio::test]
async fn rules_still_deleting_are_named_and_not_waited_for() {
    let going: &[ConfigRule] = &[deleting_rule("trail"), deleting_rule("ssh")];
    let found: &[ConfigRule] = &[trail(), rule("ssh", "INCOMING_SSH_DISABLED", None)];
    for (owned, answers, deletions, reads_made, named) in [
        (
            &["trail"][..],
            &[Some(&going[..1])][..],
            0,
            1,
            "AWS Config is still deleting rule(s) trail",
        ),
        (
            &["trail", "ssh"],
            &[Some(found), Some(going)],
            2,
            2,
            "still deleting rule(s) ssh, trail",
        ),
    ] {
        let delete_rule = delete_rule_accepted();
        let reads = rule_reads(answers);
        let fake = owning_rules(owned, &delete_rule, &reads);
        let summary = deleted(&fake).await;
        assert_eq!(
            delete_rule.num_calls(),
            deletions,
            "DeleteConfigRule, each once"
        );
        assert_eq!(
            reads.num_calls(),
            reads_made,
            "read, then read back if asked"
        );
        assert!(summary.contains(named), "{summary}");
        assert_eq!(fake.ssm.deletes(), 1, "the record is erased");
    }
}

#[tokio::test(start_paused = true)]
async fn a_rule_in_use_is_retried_then_a_conflict() {
    let delete_rule = delete_rule_in_use("remediation attached");
    let fake = owning_rules(&["trail"], &delete_rule, &rule_reads(&[Some(&[trail()])]));
    let ctx = context(RequestType::Delete, Duration::from_secs(900));
    let failure = fake
        .patient()
        .delete(&ctx, Some(parsed(with(json!({})))))
        .await;
    assert_failed(failure, ReasonCode::Conflict, &[]);
    assert!(delete_rule.num_calls() > 2);
}

/// DeleteConfigRule racing a deletion already under way answers ResourceInUseException
/// ("Config is deleting this rule"); the rule's state says which cause it is.
#[tokio::test]
async fn resource_in_use_on_a_rule_already_deleting_is_the_deletion_accepted() {
    let delete_rule = delete_rule_in_use(
        "The rule trail is currently being deleted.  Please retry after some time",
    );
    let reads = rule_reads(&[Some(&[trail()]), Some(&[deleting_rule("trail")])]);
    let fake = owning_rules(&["trail"], &delete_rule, &reads);
    deleted(&fake).await;
    assert_eq!(delete_rule.num_calls(), 1, "not asked again");
}

#[tokio::test]
async fn retain_and_a_failed_create_leave_everything_untouched() {
    for (record, properties) in [
        (
            Some(json!({"owned": {"recorder": ["default"], "channel": ["default"]}})),
            Some(with(json!({"OnDelete": "Retain"}))),
        ),
        (None, None),
    ] {
        let fake = Fake::fresh();
        fake.ssm.set_record(record);
        let outcome = delete(&fake.resource(), properties).await.unwrap();
        assert!(outcome.summary.is_some());
        assert_eq!(fake.ssm.deletes(), 1, "only the record is erased");
        assert_eq!(fake.recorders.num_calls(), 0, "nothing read or changed");
    }
}

#[tokio::test]
async fn a_rule_whose_owner_tag_names_another_stack_is_never_deleted() {
    // The rule this resource created was replaced since by one another stack made.
    let mut found = trail();
    found.config_rule_arn =
        Some("arn:aws:config:us-east-1:123456789012:config-rule/config-rule-abc".into());
    let delete_rule = delete_rule_accepted();
    let owner_tag = mock!(aws_sdk_config::Client::list_tags_for_resource).then_output(|| {
        ListTagsForResourceOutput::builder()
            .tags(
                Tag::builder()
                    .key("cfn-custom-resource-kit:owner")
                    .value("other-stack/ConfigSetup")
                    .build(),
            )
            .build()
    });
    let fake =
        owning_rules(&["trail"], &delete_rule, &rule_reads(&[Some(&[found])])).with(&owner_tag);
    deleted(&fake).await;
    assert_eq!(delete_rule.num_calls(), 0, "DeleteConfigRule never called");
    assert_eq!(owner_tag.num_calls(), 1, "the owner tag was read");
    assert_eq!(fake.ssm.deletes(), 1, "the record is erased");
}
