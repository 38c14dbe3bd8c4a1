//! The trust boundary, against the real binaries: who may ask, Retain always honoured,
//! ids never altered, every hostile request answered, values never echoed.

use harness::{Binary, InvocationResult};
use serde_json::{json, Value};

use crate::kms_ready::World as KmsWorld;
use crate::securityhub_enable::World as HubWorld;

const KMS_READY: Binary = Binary::Debug("kms-ready");

/// An endpoint where nothing listens: any AWS call fails, so an `ACCESS_DENIED` answer
/// from a function pointed at it was given before any call.
pub(crate) fn closed_endpoint() -> (&'static str, String) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    ("AWS_ENDPOINT_URL", format!("http://{closed}"))
}

fn stack_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:cloudformation:{region}:{account}:stack/{name}/5b1c2d3e-0000-4000-8000-000000000001")
}

#[tokio::test]
async fn a_stack_of_another_account_or_region_is_refused_before_any_aws_call() {
    let world = KmsWorld::start(KMS_READY, &[closed_endpoint()]).await;
    for (stack_id, named) in [
        (
            stack_arn("us-east-1", "210987654321", "elsewhere"),
            "account 210987654321",
        ),
        (
            stack_arn("eu-west-1", "123456789012", "elsewhere"),
            "region eu-west-1",
        ),
        (
            "arn:aws-cn:cloudformation:us-east-1:123456789012:stack/x/1".to_owned(),
            "partition aws-cn",
        ),
    ] {
        let mut stack = world.stack("foreign");
        stack.stack_id = stack_id;
        stack
            .assert_create_fails(json!({"KeyId": "alias/any"}), "ACCESS_DENIED", named)
            .await;
        stack.physical_id = Some("someone-elses-id".into());
        stack
            .delete()
            .await
            .assert_failed("ACCESS_DENIED")
            .assert_physical_id("someone-elses-id");
    }
}

#[tokio::test]
async fn a_listed_account_may_use_the_function() {
    let listed = ("CR_ALLOWED_STACK_ACCOUNTS", "210987654321".to_owned());
    let world = KmsWorld::start(KMS_READY, &[listed]).await;
    let (key_id, _) = world.key(None).await;
    let mut stack = world.stack("member");
    stack.stack_id = stack_arn("us-east-1", "210987654321", "member");
    stack.assert_created(json!({"KeyId": key_id})).await;
    // Still only in the function's own region.
    stack.stack_id = stack_arn("us-west-2", "210987654321", "member");
    stack
        .create(json!({"KeyId": key_id}))
        .await
        .assert_failed("ACCESS_DENIED");
}

#[tokio::test]
async fn another_stacks_physical_id_neither_deletes_nor_changes_what_it_owns() {
    let world = HubWorld::start().await;
    let mut owner = world.stack("hub-owner");
    owner
        .assert_created(json!({"ControlFindingGenerator": "SECURITY_CONTROL"}))
        .await;
    let owned_id = owner.physical_id.clone().unwrap();

    // Same account and region, same logical id, another stack: a hostile or mistaken copy.
    let mut intruder = world.stack("hub-intruder");
    intruder.physical_id = Some(owned_id.clone());
    intruder.properties = json!({});
    intruder
        .delete()
        .await
        .assert_success()
        .assert_reason_contains("another stack")
        .assert_physical_id(&owned_id);
    world.hub.assert_untouched("the owner's hub stays enabled");

    let updated = intruder
        .update(json!({"ControlFindingGenerator": "STANDARD_CONTROL"}))
        .await;
    updated.assert_failed("ACCESS_DENIED");
    assert_eq!(
        world.hub.hub().unwrap().control_finding_generator,
        "SECURITY_CONTROL",
        "nothing changed"
    );

    // The owner's record survived: its own Delete still disables the hub it enabled.
    owner.delete().await.assert_success();
    world
        .hub
        .assert_disabled("the owner's Delete disabled its hub");
}

#[tokio::test]
async fn retain_is_honoured_when_the_deletes_properties_no_longer_parse() {
    let world = HubWorld::start().await;
    let mut stack = world.stack("hub-retain");
    stack.assert_created(json!({"OnDelete": "Retain"})).await;
    // A newer, stricter version, a renamed property: the Delete's properties do not parse.
    stack.properties = json!({"OnDelete": "Retain", "RenamedSetting": "x"});
    stack
        .delete()
        .await
        .assert_success()
        .assert_reason_contains("Retain");
    world.hub.assert_enabled("Retain kept the hub enabled");
}

/// `Value` nested `depth` lists deep (built without recursion).
fn nested(depth: usize) -> Value {
    let mut value = json!("x");
    for _ in 0..depth {
        value = Value::Array(vec![value]);
    }
    value
}

#[tokio::test]
async fn properties_nested_past_the_parsers_limit_are_answered() {
    let world = KmsWorld::start(KMS_READY, &[]).await;
    let mut stack = world.stack("deep");
    let created = stack
        .assert_create_fails(
            json!({"KeyId": "alias/x", "Deep": nested(300)}),
            "INVALID_PROPERTIES",
            "ResourceProperties: cannot be read: nested deeper",
        )
        .await;
    assert!(!created.physical_id().is_empty());
    // Its rollback Delete, with the same properties, succeeds.
    stack.delete().await.assert_success();
}

#[tokio::test]
async fn ids_no_answer_can_hold_get_an_error_for_lambda_and_the_process_lives_on() {
    let world = KmsWorld::start(KMS_READY, &[]).await;
    let mut stack = world.stack("huge-ids");
    // A control character escapes to six bytes: 1000 of them take 6000 in any body.
    stack.physical_id = Some("\u{1}".repeat(1000));
    stack.properties = json!({"KeyId": "alias/x"});
    let event = stack.request("Delete", &json!({"KeyId": "alias/x"}), None);
    let answered = stack.send(&event).await;
    assert!(answered.puts.is_empty(), "no body can fit: nothing is PUT");
    match &answered.lambda {
        InvocationResult::Error(error) => {
            assert_eq!(error["errorType"], "ResponseTooLarge", "{error}")
        }
        other => panic!("Lambda should see an error, saw {other:?}"),
    }
    // The process did not die: the next request is answered.
    world.assert_a_new_key_is_ready("after-huge-ids").await;
}

#[tokio::test]
async fn a_physical_id_of_a_kilobyte_comes_back_unchanged() {
    let world = KmsWorld::start(KMS_READY, &[]).await;
    let mut stack = world.stack("long-id");
    let id = format!("long-{}", "i".repeat(1019));
    stack.physical_id = Some(id.clone());
    stack.properties = json!({"KeyId": "alias/x"});
    let updated = stack
        .update(json!({"KeyId": "alias/does-not-exist", "MaxWaitSeconds": 1}))
        .await;
    assert_eq!(updated.status(), "FAILED");
    assert_eq!(updated.physical_id(), id);
    stack
        .delete()
        .await
        .assert_success()
        .assert_physical_id(&id);
}

#[tokio::test]
async fn a_mistyped_secret_never_reaches_the_reason_or_the_logs() {
    let world = KmsWorld::start(KMS_READY, &[]).await;
    let secret = "NoEcho-s3cr3t-value";
    for properties in [
        json!({"KeyId": "alias/x", "MaxWaitSeconds": secret}),
        json!({"KeyId": "alias/x", "RequiredServicePrincipals": [secret]}),
        json!({"KeyId": "alias/x", "RequiredServicePrincipals": secret}),
    ] {
        let created = world.stack("secret").create(properties).await;
        created.assert_failed("INVALID_PROPERTIES");
        assert!(!created.reason().contains(secret), "{}", created.reason());
    }
    let output = world.function.output();
    assert!(!output.contains(secret), "the value was logged:\n{output}");
}

#[tokio::test]
async fn config_is_not_changed_for_a_stack_of_another_account() {
    let world = crate::config_setup::World::start().await;
    let mut stack = world.stack("foreign-config");
    stack.stack_id = stack_arn("us-east-1", "210987654321", "foreign-config");
    let created = stack
        .create(json!({"DeliveryBucketName": "config-delivery-e2e"}))
        .await;
    created.assert_failed("ACCESS_DENIED");
    world.assert_config_empty("nothing was made").await;
}

#[tokio::test]
async fn a_rule_list_too_long_to_answer_is_refused_before_any_change() {
    let world = crate::config_setup::World::start().await;
    let rules: Vec<Value> = (0..40)
        .map(|i| json!({"Name": format!("rule-{i:0>95}"), "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}))
        .collect();
    let mut stack = world.stack("many-rules");
    let created = stack
        .create(json!({"DeliveryBucketName": "config-delivery-e2e", "ManagedRules": rules}))
        .await;
    created
        .assert_failed("INVALID_PROPERTIES")
        .assert_reason_starts_with("[INVALID_PROPERTIES] ManagedRules: 40 rules")
        .assert_reason_contains("4096");
    // The id is the full generated one (never shortened), and nothing was made.
    assert!(created.physical_id().starts_with("many-rules-ConfigSetup-"));
    world.assert_config_empty("nothing was made").await;
    stack.delete().await.assert_success();
}

#[tokio::test]
async fn two_stacks_racing_for_the_hub_leave_exactly_one_owner() {
    let world = HubWorld::start().await;
    let second = harness::Function::start(
        Binary::Debug("securityhub-enable"),
        harness::Moto::shared(),
        &[world.hub.env(), world.ledger.clone()],
    )
    .await;
    // The first stack claims the hub and is held at EnableSecurityHub; only then does
    // the second read "not subscribed" and claim: it must find the first's claim.
    world.hub.hold("EnableSecurityHub");
    let mut first_stack = world.stack("hub-race-a");
    let mut second_stack =
        harness::Stack::new(&second, "hub-race-b", "Custom::SecurityHubEnable", "Hub");
    let second_starts_when_the_first_enables = async {
        world.hub.wait_for_held("EnableSecurityHub", 1).await;
        second_stack.create(json!({})).await
    };
    let release = async {
        world.hub.wait_for_held("EnableSecurityHub", 1).await;
        // The second polls DescribeHub while it waits for the hub the first enables
        // (the first read it once, the second once before its claim, then polls). Ten
        // seconds at most: a function that enables the hub too is held instead.
        let started = std::time::Instant::now();
        while world.hub.count("DescribeHub") < 3
            && started.elapsed() < std::time::Duration::from_secs(10)
        {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        world.hub.release("EnableSecurityHub");
    };
    let (first, second_answer, ()) = tokio::join!(
        first_stack.create(json!({})),
        second_starts_when_the_first_enables,
        release
    );
    first.assert_success();
    second_answer.assert_success();
    let adopted: Vec<&str> = [&first, &second_answer]
        .iter()
        .map(|answer| answer.data("Adopted").unwrap_or_default())
        .collect();
    assert_eq!(
        adopted.iter().filter(|a| **a == "false").count(),
        1,
        "exactly one stack owns the hub: {adopted:?}"
    );
    // The adopter's Delete leaves the hub; the owner's Delete disables it.
    let (owner, adopter) = if adopted[0] == "false" {
        (&mut first_stack, &mut second_stack)
    } else {
        (&mut second_stack, &mut first_stack)
    };
    adopter.delete().await.assert_success();
    world
        .hub
        .assert_enabled("the adopter's Delete left the hub");
    owner.delete().await.assert_success();
    world.hub.assert_disabled("the owner's Delete disabled it");
}

#[tokio::test]
async fn a_rule_whose_create_was_refused_is_not_deleted_when_someone_makes_it_later() {
    let world = crate::config_setup::World::start().await;
    let mut stack = world.stack("refused-rule");
    // moto refuses an AWS managed rule identifier it does not know, as AWS does.
    let created = stack
        .create(json!({
            "DeliveryBucketName": "config-delivery-e2e",
            "ManagedRules": [{"Name": "victim", "SourceIdentifier": "NO_SUCH_MANAGED_RULE"}]
        }))
        .await;
    assert_eq!(created.status(), "FAILED", "{}", created.reason());
    assert!(world.rule_names().await.is_empty());
    // Someone else makes a rule of that name.
    world.existing_rule("victim", "CLOUD_TRAIL_ENABLED").await;
    // The rollback Delete of the failed Create must leave it.
    stack.delete().await.assert_success();
    assert_eq!(
        world.rule_names().await,
        ["victim"],
        "someone else's rule stays"
    );
}

#[tokio::test]
async fn the_delivery_bucket_must_belong_to_the_expected_account() {
    let world = crate::config_setup::World::start().await;
    // moto's buckets belong to its default account, 123456789012 (the function's own).
    let mut stack = world.stack("bucket-owner");
    stack
        .assert_create_fails(
            json!({"DeliveryBucketName": "config-delivery-e2e", "DeliveryBucketOwner": "210987654321"}),
            "ACCESS_DENIED",
            "bucket config-delivery-e2e is not owned by account 210987654321",
        )
        .await;
    assert!(
        world.channel().await.is_none(),
        "no delivery channel was written"
    );
    stack.delete().await.assert_success();
    // By default the function's own account is expected, and that is the owner here.
    let mut own = world.stack("bucket-owner-default");
    own.assert_created(json!({"DeliveryBucketName": "config-delivery-e2e"}))
        .await;
    assert!(world.channel().await.is_some());
    own.delete().await.assert_success();
}
