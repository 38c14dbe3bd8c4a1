//! `Custom::SecurityHubEnable` end to end: the debug binary against the harness's
//! Security Hub emulator (its own per test) and moto's SSM (the ownership ledger).

use std::collections::BTreeMap;

use harness::securityhub::hub_arn;
use harness::{Binary, Function, Moto, SecurityHub, Stack};
use serde_json::json;

const BINARY: Binary = Binary::Debug("securityhub-enable");
const REGION: &str = "us-east-1";

/// A started securityhub-enable pointed at its own Security Hub emulator.
pub(crate) struct World {
    pub function: Function,
    pub hub: SecurityHub,
    /// Its own ownership ledger, as in a fresh account.
    pub ledger: (&'static str, String),
}

impl World {
    pub(crate) async fn start() -> Self {
        let hub = SecurityHub::start().await;
        let ledger = harness::fresh_ledger();
        let function = Function::start(BINARY, Moto::shared(), &[hub.env(), ledger.clone()]).await;
        Self {
            function,
            hub,
            ledger,
        }
    }

    pub(crate) fn stack(&self, name: &str) -> Stack<'_> {
        Stack::new(&self.function, name, "Custom::SecurityHubEnable", "Hub")
    }

    /// A Security Hub client on the emulator, for changes made "by hand" outside the stack.
    pub(crate) async fn client(&self) -> aws_sdk_securityhub::Client {
        let sdk = Moto::shared().sdk_config().await;
        aws_sdk_securityhub::Client::from_conf(
            aws_sdk_securityhub::config::Builder::from(&sdk)
                .endpoint_url(self.hub.endpoint())
                .build(),
        )
    }
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_hub_this_resource_enables_is_configured_tagged_and_disabled_by_its_delete() {
    let world = World::start().await;
    world.hub.setting_delay(2);
    let mut stack = world.stack("hub-lifecycle");

    let created = stack
        .assert_created(json!({
            "ControlFindingGenerator": "STANDARD_CONTROL",
            "AutoEnableControls": false,
            "Tags": {"Team": "security"}
        }))
        .await;
    assert_eq!(created.data("HubArn"), Some(hub_arn(REGION).as_str()));
    assert_eq!(created.data("Adopted"), Some("false"));
    assert!(!created.data("SubscribedAt").unwrap_or_default().is_empty());
    let hub = world.hub.hub().expect("the hub is enabled");
    assert_eq!(hub.control_finding_generator, "STANDARD_CONTROL");
    assert!(
        !hub.auto_enable_controls,
        "updated and read back after its delay"
    );
    assert_eq!(hub.tags, tags(&[("Team", "security")]));
    assert!(
        world.hub.subscriptions().is_empty(),
        "EnableDefaultStandards is false unless asked"
    );
    let enable = &world.hub.calls_of("EnableSecurityHub")[0];
    assert_eq!(enable.body["EnableDefaultStandards"], json!(false));

    let updated = stack
        .update(
            json!({"ControlFindingGenerator": "SECURITY_CONTROL", "Tags": {"Owner": "platform"}}),
        )
        .await;
    updated.assert_success();
    assert_eq!(updated.physical_id(), created.physical_id());
    let hub = world.hub.hub().unwrap();
    assert_eq!(hub.control_finding_generator, "SECURITY_CONTROL");
    assert!(
        !hub.auto_enable_controls,
        "an unset property leaves the hub's value alone"
    );
    assert_eq!(hub.tags, tags(&[("Owner", "platform")]));
    assert_eq!(world.hub.count("EnableSecurityHub"), 1);

    stack.delete().await.assert_success();
    world.hub.assert_disabled("the hub it enabled is disabled");
}

#[tokio::test]
async fn an_adopted_hub_is_reported_and_left_enabled_by_delete() {
    let world = World::start().await;
    world
        .hub
        .hub_enabled_before(REGION, "SECURITY_CONTROL", true);
    let mut stack = world.stack("hub-adopt");
    let created = stack.assert_created(json!({"OnDelete": "Disable"})).await;
    assert_eq!(created.data("Adopted"), Some("true"));
    assert_eq!(
        created.data("SubscribedAt"),
        Some("2024-03-01T08:00:00.000Z")
    );
    assert_eq!(world.hub.count("EnableSecurityHub"), 0);
    stack.delete().await.assert_success();
    world
        .hub
        .assert_untouched("an adopted hub is never disabled");
}

#[tokio::test]
async fn a_duplicate_create_gets_the_same_answer_and_the_hub_stays_owned() {
    let world = World::start().await;
    let mut stack = world.stack("hub-duplicate");
    let (first, second) = stack.create_delivered_twice(json!({})).await;
    first.assert_success();
    assert_eq!(second.body()["Data"]["Adopted"], "false");
    assert_eq!(world.hub.count("EnableSecurityHub"), 1);
    stack.delete().await.assert_success();
    world
        .hub
        .assert_disabled("the redelivered Create did not turn the hub into an adopted one");
}

#[tokio::test]
async fn a_centrally_configured_account_refusing_a_setting_is_org_managed_and_nothing_is_undone() {
    let world = World::start().await;
    world
        .hub
        .hub_enabled_before(REGION, "STANDARD_CONTROL", true)
        .centrally_configured(true);
    let mut stack = world.stack("hub-central");
    let created = stack
        .assert_create_fails(
            json!({"ControlFindingGenerator": "SECURITY_CONTROL"}),
            "ORG_MANAGED",
            "ControlFindingGenerator is STANDARD_CONTROL, the properties ask for SECURITY_CONTROL",
        )
        .await;
    created.assert_reason_contains("central configuration");
    stack
        .delete()
        .await
        .assert_success()
        .assert_physical_id(created.physical_id());
    world.hub.assert_untouched("nothing is undone");
}

#[tokio::test]
async fn a_failed_update_rolls_back_to_the_old_settings() {
    let world = World::start().await;
    let mut stack = world.stack("hub-rollback");
    let created = stack
        .assert_created(json!({"ControlFindingGenerator": "SECURITY_CONTROL"}))
        .await;
    world.hub.centrally_configured(true);
    let (failed, rollback) = stack
        .update_then_roll_back(json!({"ControlFindingGenerator": "STANDARD_CONTROL"}))
        .await;
    failed.assert_failed("ORG_MANAGED");
    rollback
        .assert_success()
        .assert_physical_id(created.physical_id());
    assert_eq!(
        world.hub.hub().unwrap().control_finding_generator,
        "SECURITY_CONTROL"
    );
    world.hub.centrally_configured(false);
    stack.delete().await.assert_success();
    world.hub.assert_disabled("its own Delete disables it");
}

#[tokio::test]
async fn delete_of_an_administrator_with_members_is_a_conflict_saying_what_to_do() {
    let world = World::start().await;
    let mut stack = world.stack("hub-admin");
    stack.assert_created(json!({})).await;
    world.hub.members(2);
    // The service's words, and what to do.
    stack
        .delete()
        .await
        .assert_failed("CONFLICT")
        .assert_reason_contains("administrator account for 2 member accounts")
        .assert_reason_contains("OnDelete: Retain");
    world.hub.assert_enabled("the refused Delete left it");
    world.hub.members(0);
    stack.delete().await.assert_success();
    world
        .hub
        .assert_disabled("the ledger kept the claim for the next Delete");
}

#[tokio::test]
async fn delete_of_a_member_account_is_a_conflict() {
    let world = World::start().await;
    let mut stack = world.stack("hub-member");
    stack.assert_created(json!({})).await;
    world.hub.member_of(Some("210987654321"));
    stack
        .delete()
        .await
        .assert_failed("CONFLICT")
        .assert_reason_contains("member account of administrator 210987654321");
}

#[tokio::test]
async fn delete_twice_and_after_an_out_of_band_disable_succeeds() {
    let world = World::start().await;
    let mut stack = world.stack("hub-gone");
    stack.assert_created(json!({})).await;
    world
        .client()
        .await
        .disable_security_hub()
        .send()
        .await
        .expect("DisableSecurityHub through the SDK");
    world.hub.assert_disabled("disabled through the SDK");
    stack.delete().await.assert_success();
    stack.delete().await.assert_success();
}

#[tokio::test]
async fn delete_after_a_create_with_bad_properties_succeeds_without_touching_the_hub() {
    let world = World::start().await;
    let mut stack = world.stack("hub-bad");
    let created = stack
        .create(json!({"ControlFindingGenerator": "BOTH", "Tags": {"Team": "x"}}))
        .await;
    created
        .assert_failed("INVALID_PROPERTIES")
        .assert_reason_starts_with("[INVALID_PROPERTIES] ControlFindingGenerator: ");
    stack.delete().await.assert_success();
    assert!(
        world.hub.operations().is_empty(),
        "{:?}",
        world.hub.operations()
    );
}

#[tokio::test]
async fn throttled_reads_are_retried() {
    let world = World::start().await;
    world.hub.throttle("DescribeHub", 3);
    let mut stack = world.stack("hub-throttled");
    stack.assert_created(json!({})).await;
    let throttled = world
        .hub
        .calls()
        .iter()
        .filter(|c| c.error.as_deref() == Some("LimitExceededException"))
        .count();
    assert_eq!(throttled, 3);
}

/// moto's own Security Hub is an independent implementation of the hub calls: the
/// function works against it too. No other test uses moto's hub (one per process).
#[tokio::test]
async fn the_hub_lifecycle_also_runs_against_motos_own_security_hub() {
    let moto = Moto::shared();
    let function = Function::start(BINARY, moto, &[harness::fresh_ledger()]).await;
    let client = aws_sdk_securityhub::Client::new(&moto.sdk_config().await);
    assert!(
        client.describe_hub().send().await.is_err(),
        "moto's hub starts disabled"
    );
    let mut stack = Stack::new(&function, "hub-moto", "Custom::SecurityHubEnable", "Hub");
    let created = stack
        .assert_created(
            json!({"ControlFindingGenerator": "SECURITY_CONTROL", "AutoEnableControls": true}),
        )
        .await;
    assert_eq!(created.data("Adopted"), Some("false"));
    assert_eq!(created.data("HubArn"), Some(hub_arn(REGION).as_str()));
    assert!(client.describe_hub().send().await.is_ok());
    stack.delete().await.assert_success();
    assert!(
        client.describe_hub().send().await.is_err(),
        "the hub it enabled is disabled"
    );
}
