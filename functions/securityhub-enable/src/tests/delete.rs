//! Delete: disable only a hub this resource enabled, as the recorded `OnDelete` choice
//! says; and the ownership record of another stack left alone.

use cfn_custom_resource_kit::testing::assert_failed;
use cfn_custom_resource_kit::testing::{assert_all_called, delete, update};
use cfn_custom_resource_kit::ReasonCode;
use securityhub_common::testing::NOT_SUBSCRIBED;

use super::*;

#[tokio::test]
async fn delete_disables_a_hub_this_resource_enabled_and_reads_it_back() {
    let owned = json!({"version": 1, "owned": {"hub": ["default"]}});
    // (record, DisableSecurityHub's answer, the Delete's properties)
    let cases = [
        (owned.clone(), disable_hub(), Some(json!({}))),
        // Already disabled: not subscribed is the goal met.
        (
            owned,
            disable_refused("InvalidAccessException", NOT_SUBSCRIBED),
            Some(json!({})),
        ),
        // Properties that do not parse: the recorded choice decides.
        (
            json!({"version": 1, "owned": {"hub": ["default"]}, "retainOnDelete": false}),
            disable_hub(),
            None,
        ),
    ];
    for (record, disable, properties) in cases {
        let ssm = Ssm::with_record(record);
        let gone = describe_not_subscribed();
        let rules = [&disable, &gone];
        delete(&resource(&rules, &ssm), properties).await.unwrap();
        assert_all_called(&rules);
        assert!(ssm.erased(), "the ownership record is erased");
    }
}

#[tokio::test]
async fn delete_leaves_an_adopted_or_retained_hub_or_one_whose_choice_is_unknown_enabled() {
    let owned = json!({"version": 1, "owned": {"hub": ["default"]}});
    // (record, the Delete's properties, what the summary says); no Security Hub call at
    // all, and the record is erased.
    let cases = [
        (None, Some(json!({})), "did not enable"),
        (
            Some(owned.clone()),
            Some(json!({"OnDelete": "Retain"})),
            "OnDelete is Retain",
        ),
        // A record from before the choice was kept, and properties that do not parse.
        (Some(owned), None, "OnDelete is unknown"),
        // A recorded Retain wins over the Delete's properties.
        (
            Some(json!({"version": 1, "owned": {"hub": ["default"]}, "retainOnDelete": true})),
            Some(json!({"OnDelete": "Disable"})),
            "Retain",
        ),
    ];
    for (record, properties, says) in cases {
        let ssm = record.map_or_else(Ssm::new, Ssm::with_record);
        let outcome = delete(&resource(&[], &ssm), properties).await.unwrap();
        let summary = outcome.summary.unwrap();
        assert!(summary.contains(says), "{summary}");
        assert!(ssm.erased(), "{summary}");
    }
}

#[tokio::test]
async fn a_record_of_another_stack_is_neither_used_nor_erased() {
    let ssm = Ssm::with_record(
        json!({"version":1,"stackId":"arn:aws:cloudformation:us-east-1:123456789012:stack/other/1","logicalResourceId":"Hub","owned":{"hub":["default"]},"retainOnDelete":false}),
    );
    let outcome = delete(&resource(&[], &ssm), Some(json!({}))).await.unwrap();
    assert!(outcome.summary.unwrap().contains("another stack"));
    assert!(ssm.owns_the_hub(), "the other stack's record stays");
    assert_eq!(ssm.deletes(), 0);
    let update = update(&resource(&[], &ssm), json!({})).await.unwrap_err();
    assert_eq!(update.code(), ReasonCode::AccessDenied, "{update}");
}

#[tokio::test]
async fn a_claim_that_lost_the_race_never_makes_delete_disable_the_winners_hub() {
    // The claim could not be released after losing (a crash, throttling): the record
    // still says hub and singleton, but the singleton record names the winner.
    let ssm = Ssm::with_record(
        json!({"version":1,"owned":{"hub":["default"],"singleton":["hub"]},"retainOnDelete":false}),
    );
    ssm.seed(
        HUB_SINGLETON,
        json!({"physicalId": "winner-Hub-0123456789ab", "claimedAt": now()}),
    );
    let outcome = delete(&resource(&[], &ssm), Some(json!({}))).await.unwrap();
    assert!(
        outcome.summary.unwrap().contains("did not enable"),
        "left as it is"
    );
    assert!(
        ssm.others().contains_key(HUB_SINGLETON),
        "the winner's singleton record stays"
    );
}

#[tokio::test]
async fn an_administrator_with_members_or_a_member_refusing_delete_is_a_conflict_saying_what_to_do()
{
    // (the refusal's code and words)
    let cases = [
        (
            "InvalidInputException",
            "Account 123456789012 is the Security Hub administrator account for 2 member accounts",
        ),
        (
            "InvalidAccessException",
            "Account 123456789012 is a member account of administrator 210987654321",
        ),
    ];
    for (code, words) in cases {
        let ssm = Ssm::owning_the_hub();
        let disable = disable_refused(code, words);
        let answer = delete(&resource(&[&disable], &ssm), Some(json!({}))).await;
        // The service's words, and what to do.
        assert_failed(
            answer,
            ReasonCode::Conflict,
            &[words, "OnDelete: Retain", "disassociate"],
        );
        assert_eq!(disable.num_calls(), 1, "not retried");
        assert!(ssm.owns_the_hub(), "the record stays for the next attempt");
    }
}
