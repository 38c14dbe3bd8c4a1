//! Update: what already matches is left alone; what the ledger says is ours stays ours.

use cfn_custom_resource_kit::testing::update;

use super::*;

/// A recorder this resource created is not Control Tower's, and its tags are not read
/// (one call fewer on every Update).
#[tokio::test]
async fn a_recorder_this_resource_owns_is_not_asked_for_its_tags() {
    let properties = parsed(with(json!({})));
    let tags = recorder_tags(true);
    let mut fake = Fake::converged(
        &properties,
        json!({"owned": {"recorder": ["default"], "channel": ["default"]}}),
    )
    .with(&tags);
    let mut ours = recorder::desired(&properties, "default", SLR_ARN).unwrap();
    ours.arn = Some(RECORDER_ARN.to_owned());
    fake.recorders = recorders(&[&[ours]]);
    let outcome = update(&fake.resource(), with(json!({}))).await.unwrap();
    assert_eq!(outcome.data["Adopted"], "false");
    assert_eq!(tags.num_calls(), 0, "no ListTagsForResource");
}

#[tokio::test]
async fn an_update_that_changes_nothing_puts_nothing() {
    let properties = with_trail(json!({}));
    let reads = rule_reads(&[Some(&[trail()])]);
    let put_rule = put_rule_where(|_| true);
    let fake = Fake::converged(
        &parsed(properties.clone()),
        json!({"owned": {"recorder": ["default"], "channel": ["default"], "rule": ["trail"]}, "retainOnDelete": false}),
    )
    .with(&reads)
    .with(&put_rule);
    update(&fake.resource(), properties).await.unwrap();
    assert_eq!(fake.changes(), [0, 0, 0], "no put, no start");
    assert_eq!(put_rule.num_calls(), 0, "no PutConfigRule");
    assert_eq!(fake.ssm.puts(), 0, "no ledger write");
    assert_eq!(
        fake.status.num_calls(),
        1,
        "one status read: it records, so it is also the verification"
    );
    assert_eq!(
        reads.num_calls(),
        2,
        "the owned rules read once, then once to verify"
    );
}

#[tokio::test]
async fn an_update_renaming_the_recorder_it_created_is_refused_as_create_only() {
    let fake = Fake::fresh().owning(json!({"owned": {"recorder": ["default"]}}));
    let failure = update(&fake.resource(), with(json!({"RecorderName": "renamed"}))).await;
    let failure = assert_failed(failure, ReasonCode::InvalidProperties, &[]);
    assert!(
        failure
            .message()
            .starts_with("RecorderName: is create-only"),
        "{failure}"
    );
    assert_eq!(fake.recorders.num_calls(), 0, "refused before any call");
}
