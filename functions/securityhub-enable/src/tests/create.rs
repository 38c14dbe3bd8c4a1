//! Create: enable a hub that is not there (owned) or adopt one that is, and the ledger's
//! claim that decides which, also when another stack races for the hub.

use aws_sdk_securityhub::operation::enable_security_hub::{
    EnableSecurityHubError, EnableSecurityHubOutput,
};
use aws_smithy_mocks::MockResponse;
use cfn_custom_resource_kit::testing::{assert_all_called, create, delete};
use tokio::time::Instant;

use super::*;

#[tokio::test]
async fn a_hub_not_subscribed_is_enabled_as_the_properties_say_and_owned() {
    // (properties, EnableDefaultStandards, ControlFindingGenerator and tags sent)
    let cases: [(_, _, _, &[_]); 2] = [
        // Without the default standards unless asked, and with the tags.
        (
            json!({"Tags": {"Team": "security"}}),
            false,
            None,
            &[("Team", "security")],
        ),
        (
            json!({"EnableDefaultStandards": "true", "ControlFindingGenerator": "STANDARD_CONTROL"}),
            true,
            Some(ApiGenerator::StandardControl),
            &[],
        ),
    ];
    for (properties, default_standards, generator, tags) in cases {
        let ssm = Ssm::new();
        let read = describe_not_subscribed();
        let sent = generator.clone();
        let enable = mock!(Client::enable_security_hub)
            .match_requests(move |input| {
                let sent_tags = input.tags().map_or(Vec::new(), |tags| {
                    tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
                });
                input.enable_default_standards() == Some(default_standards)
                    && input.control_finding_generator() == sent.as_ref()
                    && input.tags().is_none_or(|tags| !tags.is_empty())
                    && sent_tags == tags
            })
            .then_output(|| EnableSecurityHubOutput::builder().build());
        let shows = describe_hub(generator.unwrap_or(ApiGenerator::SecurityControl), true);
        let listed = tags_are(tags);
        let mut rules = vec![&read, &enable, &shows];
        if !tags.is_empty() {
            rules.push(&listed);
        }
        let outcome = create(&resource(&rules, &ssm), properties).await.unwrap();
        assert_all_called(&rules);
        assert_eq!(outcome.data["HubArn"], HUB_ARN);
        assert_eq!(outcome.data["SubscribedAt"], SUBSCRIBED_AT);
        assert_eq!(outcome.data["Adopted"], "false");
        assert!(ssm.owns_the_hub(), "the claim is in the ledger");
    }
}

#[tokio::test]
async fn the_ownership_claim_is_written_before_the_enable_call() {
    let ssm = Ssm::new();
    let record = ssm.record_reader();
    let read = describe_not_subscribed();
    let enable = mock!(Client::enable_security_hub).then_compute_response(move |_| {
        let claimed = record().is_some_and(|r| r["owned"]["hub"] == json!(["default"]));
        if claimed {
            MockResponse::Output(EnableSecurityHubOutput::builder().build())
        } else {
            MockResponse::Error(EnableSecurityHubError::generic(error(
                "ValidationException",
                "the test saw EnableSecurityHub before the claim",
            )))
        }
    });
    let shows = describe_default_hub();
    let rules = [&read, &enable, &shows];
    create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_all_called(&rules);
}

#[tokio::test]
async fn a_subscribed_hub_is_adopted_unless_the_record_says_this_resource_enabled_it() {
    // (the ledger, Data.Adopted, PutParameter calls)
    let cases = [
        // Nothing is claimed for an adopted hub.
        (Ssm::new(), "true", 0),
        // A redelivered Create finds its claim: no second EnableSecurityHub, and the hub
        // is not called adopted (the record only gains the OnDelete choice).
        (Ssm::owning_the_hub(), "false", 1),
    ];
    for (ssm, adopted, puts) in cases {
        let read = describe_default_hub();
        let outcome = create(&resource(&[&read], &ssm), json!({})).await.unwrap();
        assert_eq!(outcome.data["Adopted"], adopted);
        assert_eq!(ssm.puts(), puts);
        assert_eq!(read.num_calls(), 1, "DescribeHub only");
    }
}

#[tokio::test]
async fn adoption_is_decided_by_the_first_read_when_the_enable_call_says_already_subscribed() {
    let ssm = Ssm::new();
    let [read, enable, shows] = enabled_meanwhile();
    let rules = [&read, &enable, &shows];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_all_called(&rules);
    assert_eq!(
        outcome.data["Adopted"], "false",
        "the read before the enable said not subscribed: ours"
    );
    assert!(ssm.owns_the_hub());
}

#[tokio::test]
async fn a_hub_created_by_this_resource_takes_the_singleton_record() {
    let ssm = Ssm::new();
    let [read, enable, shows] = enabled_from_scratch();
    let rules = [&read, &enable, &shows];
    create(&resource(&rules, &ssm), json!({})).await.unwrap();
    let holder: serde_json::Value = serde_json::from_str(&ssm.others()[HUB_SINGLETON]).unwrap();
    assert!(holder["physicalId"]
        .as_str()
        .unwrap()
        .starts_with("test-TestResource-"));
    // Its Delete gives the singleton up with the record.
    let [disable, gone] = disabled();
    let rules = [&disable, &gone];
    // (The Delete CloudFormation sends carries the id the Create answered.)
    let created = context(RequestType::Create, Duration::from_secs(30));
    let deleting = RequestContext::for_tests_of(
        RequestType::Delete,
        Some(created.physical_id()),
        Instant::now() + Duration::from_secs(30),
    );
    resource(&rules, &ssm)
        .delete(&deleting, Some(properties(json!({}))))
        .await
        .unwrap();
    assert_all_called(&rules);
    assert!(ssm.erased());
    assert!(ssm.others().is_empty(), "the singleton record is gone too");
}

#[tokio::test]
async fn a_second_stack_racing_for_the_hub_adopts_it() {
    // Another stack's resource claimed the hub a moment ago and is enabling it.
    let ssm = Ssm::new();
    ssm.seed(
        HUB_SINGLETON,
        json!({"physicalId": "other-Hub-0123456789ab", "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1", "logicalResourceId": "Hub", "claimedAt": now()}),
    );
    ssm.seed(
        "/test-ledger/resource/other-Hub-0123456789ab",
        json!({"version": 1, "owned": {"hub": ["default"], "singleton": ["hub"]}}),
    );
    // It reads "not subscribed", loses the claim, and waits for the other's hub: no
    // EnableSecurityHub of its own.
    let [read, _, shows] = enabled_meanwhile();
    let rules = [&read, &shows];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_eq!(outcome.data["Adopted"], "true", "the first claimer owns it");
    assert!(
        !ssm.owns_the_hub(),
        "this resource's record released its claim"
    );
    // So this resource's Delete never disables the hub the other stack relies on.
    delete(&resource(&[], &ssm), Some(json!({}))).await.unwrap();
    assert!(
        ssm.others().contains_key(HUB_SINGLETON),
        "the other's claim stays"
    );
}

#[tokio::test]
async fn a_stale_singleton_record_is_taken_over() {
    // Its holder's record no longer lists the hub (deleted with Retain, say).
    let ssm = Ssm::new();
    ssm.seed(
        HUB_SINGLETON,
        json!({"physicalId": "gone-Hub-0123456789ab"}),
    );
    ssm.seed(
        "/test-ledger/resource/gone-Hub-0123456789ab",
        json!({"version": 1, "owned": {}}),
    );
    let [read, enable, shows] = enabled_from_scratch();
    let rules = [&read, &enable, &shows];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_eq!(outcome.data["Adopted"], "false");
    assert!(ssm.owns_the_hub());
    assert!(ssm.others()[HUB_SINGLETON].contains("test-TestResource-"));
}

#[tokio::test]
async fn a_claim_older_than_any_request_whose_hub_is_gone_is_taken_over() {
    // The holder enabled the hub an hour ago; it was disabled out of band since.
    let ssm = Ssm::new();
    let other = "/test-ledger/resource/other-Hub-0123456789ab";
    ssm.seed(
        HUB_SINGLETON,
        json!({"physicalId": "other-Hub-0123456789ab", "claimedAt": now() - 3600}),
    );
    ssm.seed(
        other,
        json!({"version": 1, "stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1", "logicalResourceId": "Hub", "owned": {"hub": ["default"], "singleton": ["hub"]}}),
    );
    let [read, enable, shows] = enabled_from_scratch();
    let rules = [&read, &enable, &shows];
    let outcome = create(&resource(&rules, &ssm), json!({})).await.unwrap();
    assert_eq!(
        outcome.data["Adopted"], "false",
        "this resource enabled it: its own"
    );
    assert!(ssm.owns_the_hub());
    let forgotten: serde_json::Value = serde_json::from_str(&ssm.others()[other]).unwrap();
    assert_eq!(
        forgotten["owned"],
        json!({}),
        "the old holder's Delete will not disable it"
    );
    assert_eq!(
        forgotten["logicalResourceId"], "Hub",
        "the old record keeps its ids"
    );
}
