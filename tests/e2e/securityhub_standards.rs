//! `Custom::SecurityHubStandards` end to end: the debug binary against the harness's
//! Security Hub emulator (its own per test, hub enabled) and moto's SSM (the ledger).
//!
//! Two tests make the emulator ask moto's AWS Config whether a recorder records; moto
//! keeps one recorder per region for the whole process, so they hold
//! `harness::config_lock()` and leave Config as empty as they found it.

use std::time::Duration;

use harness::securityhub::{standards_arn, subscription_arn};
use harness::{config_lock, Binary, Function, Moto, SecurityHub, Stack};
use serde_json::json;

const BINARY: Binary = Binary::Debug("securityhub-standards");
const REGION: &str = "us-east-1";
const AFSBP: &str = "aws-foundational-security-best-practices/v/1.0.0";
const CIS12: &str = "cis-aws-foundations-benchmark/v/1.2.0";
const CIS14: &str = "cis-aws-foundations-benchmark/v/1.4.0";
const PCI: &str = "pci-dss/v/3.2.1";
const NIST: &str = "nist-800-53/v/5.0.0";
const DELIVERY_BUCKET: &str = "securityhub-e2e-config-delivery";

/// A started securityhub-standards pointed at its own emulator, whose hub is enabled.
pub(crate) struct World {
    pub function: Function,
    pub hub: SecurityHub,
}

impl World {
    pub(crate) async fn start() -> Self {
        let world = Self::without_hub().await;
        world
            .hub
            .hub_enabled_before(REGION, "SECURITY_CONTROL", true);
        world
    }

    pub(crate) async fn without_hub() -> Self {
        let hub = SecurityHub::start().await;
        let function = Function::start(BINARY, Moto::shared(), &[hub.env()]).await;
        Self { function, hub }
    }

    pub(crate) fn stack(&self, name: &str) -> Stack<'_> {
        Stack::new(
            &self.function,
            name,
            "Custom::SecurityHubStandards",
            "Standards",
        )
    }

    /// Whether `short_id` is enabled (anything but gone or being disabled).
    fn enabled(&self, short_id: &str) -> bool {
        self.hub
            .status_of(short_id)
            .is_some_and(|status| status != "DELETING")
    }
}

#[tokio::test]
async fn standards_are_enabled_and_the_create_waits_until_they_are_ready() {
    let world = World::start().await;
    world.hub.pending_polls(2);
    let mut stack = world.stack("std-ready");
    let created = stack
        .assert_created(json!({"Standards": [AFSBP, standards_arn(REGION, CIS12)]}))
        .await;
    assert_eq!(
        created.data("StandardsSubscriptionArns"),
        Some(
            format!(
                "{},{}",
                subscription_arn(REGION, AFSBP),
                subscription_arn(REGION, CIS12)
            )
            .as_str()
        )
    );
    assert_eq!(created.data("Adopted"), Some(""));
    assert_eq!(world.hub.status_of(AFSBP).as_deref(), Some("READY"));
    assert_eq!(world.hub.status_of(CIS12).as_deref(), Some("READY"));
    assert!(
        world.hub.count("GetEnabledStandards") >= 3,
        "read once, then polled through PENDING: {:?}",
        world.hub.operations()
    );
    assert_eq!(
        world.hub.count("BatchEnableStandards"),
        1,
        "one call for both"
    );
}

#[tokio::test]
async fn a_pre_enabled_standard_is_adopted_and_left_enabled_by_delete() {
    let world = World::start().await;
    world.hub.standard_enabled_before(REGION, CIS14);
    let mut stack = world.stack("std-adopt");
    let created = stack
        .assert_created(json!({"Standards": [CIS14, PCI]}))
        .await;
    assert_eq!(created.data("Adopted"), Some(CIS14));
    stack.delete().await.assert_success();
    assert_eq!(world.hub.status_of(CIS14).as_deref(), Some("READY"));
    assert!(!world.enabled(PCI), "the standard it enabled is disabled");
}

#[tokio::test]
async fn an_update_adds_and_removes_standards_keeping_the_physical_id() {
    let world = World::start().await;
    world.hub.pending_polls(1);
    let mut stack = world.stack("std-update");
    let created = stack
        .assert_created(json!({"Standards": [AFSBP, CIS14]}))
        .await;
    let updated = stack.update(json!({"Standards": [CIS14, NIST]})).await;
    updated.assert_success();
    assert_eq!(updated.physical_id(), created.physical_id());
    assert!(!world.enabled(AFSBP), "removed and owned: disabled");
    assert_eq!(world.hub.status_of(NIST).as_deref(), Some("READY"));
    assert_eq!(world.hub.status_of(CIS14).as_deref(), Some("READY"));
    stack.delete().await.assert_success();
    assert!(!world.enabled(CIS14) && !world.enabled(NIST));
}

#[tokio::test]
async fn a_failed_update_rolls_back_and_the_rollback_disables_what_the_failed_update_enabled() {
    let world = World::start().await;
    world
        .hub
        .incomplete(PCI, "MAXIMUM_NUMBER_OF_CONFIG_RULES_EXCEEDED");
    let mut stack = world.stack("std-rollback");
    stack.assert_created(json!({"Standards": [AFSBP]})).await;
    let (failed, rollback) = stack
        .update_then_roll_back(json!({"Standards": [AFSBP, PCI]}))
        .await;
    failed.assert_failed("NOT_ACTIVE").assert_reason_contains(
        "pci-dss/v/3.2.1 is INCOMPLETE (StatusReasonCode MAXIMUM_NUMBER_OF_CONFIG_RULES_EXCEEDED)",
    );
    rollback.assert_success();
    assert!(
        !world.enabled(PCI),
        "the rollback disabled the standard it owns"
    );
    assert_eq!(world.hub.status_of(AFSBP).as_deref(), Some("READY"));
}

#[tokio::test]
async fn delete_twice_succeeds() {
    let world = World::start().await;
    let mut stack = world.stack("std-twice");
    stack.assert_created(json!({"Standards": [NIST]})).await;
    stack.delete().await.assert_success();
    stack.delete().await.assert_success();
    assert_eq!(world.hub.count("BatchDisableStandards"), 1);
}

/// StandardsSubscription: "FAILED - The standard could not be disabled." The emulator
/// ends chosen disables FAILED. Delete asks again for a disable that failed; one that
/// keeps failing is reported as what it is, and the standard stays this resource's.
#[tokio::test]
async fn a_disable_that_ends_failed_is_asked_again_then_reported() {
    let world = World::start().await;
    let mut once = world.stack("std-fail-once");
    once.assert_created(json!({"Standards": [PCI]})).await;
    world.hub.failing_disables(PCI, 1, "INTERNAL_ERROR");
    once.delete().await.assert_success();
    assert_eq!(world.hub.status_of(PCI), None, "disabled on the second ask");
    assert_eq!(world.hub.count("BatchDisableStandards"), 2);

    let mut always = world.stack("std-fail-always");
    always.assert_created(json!({"Standards": [NIST]})).await;
    world.hub.failing_disables(NIST, u32::MAX, "INTERNAL_ERROR");
    always
        .delete()
        .await
        .assert_failed("SERVICE_ERROR")
        .assert_reason_contains("nist-800-53/v/5.0.0 is FAILED (StatusReasonCode INTERNAL_ERROR)")
        .assert_reason_contains("could not disable");
    assert_eq!(world.hub.status_of(NIST).as_deref(), Some("FAILED"));
    assert_eq!(
        world.hub.count("BatchDisableStandards"),
        5,
        "2 + 3 attempts"
    );
}

/// An Update whose disable ends FAILED fails naming it; CloudFormation's rollback Update
/// wants the standard again, and repairs it as an INCOMPLETE one: disabled, enabled.
#[tokio::test]
async fn a_standard_left_failed_by_an_update_is_repaired_by_the_rollback() {
    let world = World::start().await;
    let mut stack = world.stack("std-fail-update");
    stack
        .assert_created(json!({"Standards": [AFSBP, PCI]}))
        .await;
    world.hub.failing_disables(PCI, 3, "INTERNAL_ERROR");
    let (failed, rollback) = stack
        .update_then_roll_back(json!({"Standards": [AFSBP]}))
        .await;
    failed
        .assert_failed("SERVICE_ERROR")
        .assert_reason_contains("pci-dss/v/3.2.1 is FAILED");
    rollback.assert_success();
    assert_eq!(world.hub.status_of(PCI).as_deref(), Some("READY"));
    assert_eq!(rollback.data("Adopted"), Some(""), "still this resource's");
    stack.delete().await.assert_success();
    assert_eq!(world.hub.status_of(PCI), None);
}

#[tokio::test]
async fn delete_after_a_failed_create_succeeds() {
    let world = World::start().await;
    world.hub.without_standard("pci-dss/v/4.0.1");
    let mut stack = world.stack("std-unsupported");
    let created = stack
        .assert_create_fails(
            json!({"Standards": [AFSBP, "pci-dss/v/4.0.1"]}),
            "UNSUPPORTED",
            "Standards[1]: pci-dss/v/4.0.1 is not available in us-east-1",
        )
        .await;
    stack
        .delete()
        .await
        .assert_success()
        .assert_physical_id(created.physical_id());
    assert_eq!(world.hub.count("BatchEnableStandards"), 0);
    assert_eq!(world.hub.count("BatchDisableStandards"), 0);
}

#[tokio::test]
async fn a_duplicate_create_gets_the_same_answer_without_adopting_its_own_standards() {
    let world = World::start().await;
    let mut stack = world.stack("std-duplicate");
    let (first, second) = stack
        .create_delivered_twice(json!({"Standards": [PCI]}))
        .await;
    first.assert_success();
    assert_eq!(second.body()["Data"]["Adopted"], "");
    assert_eq!(world.hub.count("BatchEnableStandards"), 1);
    stack.delete().await.assert_success();
    assert!(!world.enabled(PCI), "still owned after the redelivery");
}

#[tokio::test]
async fn security_hub_not_enabled_is_dependency_not_ready_and_delete_succeeds() {
    let world = World::without_hub().await;
    let mut stack = world.stack("std-no-hub");
    stack
        .assert_create_fails(
            json!({"Standards": [PCI]}),
            "DEPENDENCY_NOT_READY",
            "Security Hub is not enabled",
        )
        .await;
    stack.delete().await.assert_success();
}

#[tokio::test]
async fn throttled_calls_are_retried_and_enable_calls_stay_a_second_apart() {
    let world = World::start().await;
    world
        .hub
        .throttle("GetEnabledStandards", 2)
        .throttle("BatchEnableStandards", 1);
    let mut stack = world.stack("std-throttled");
    stack
        .assert_created(json!({"Standards": [PCI, NIST]}))
        .await;
    let enables = world.hub.calls_of("BatchEnableStandards");
    assert_eq!(enables.len(), 2, "the throttled call and its retry");
    assert!(
        enables[1].at - enables[0].at >= Duration::from_secs(1),
        "{:?}",
        enables[1].at - enables[0].at
    );
    assert_eq!(enables[1].status, 200);
}

#[tokio::test]
async fn bad_properties_are_invalid_properties_naming_the_field() {
    let world = World::start().await;
    let mut stack = world.stack("std-bad");
    let created = stack
        .create(json!({"Standards": [PCI, "PCI DSS 3.2.1"]}))
        .await;
    created
        .assert_failed("INVALID_PROPERTIES")
        .assert_reason_starts_with("[INVALID_PROPERTIES] Standards[1]: ");
    assert!(world.hub.operations().is_empty());
    stack.delete().await.assert_success();
}

/// Makes moto's AWS Config record: a recorder with the service-linked role, a delivery
/// channel to a bucket made for it, started.
async fn start_recording(moto: &Moto) {
    moto.create_bucket(DELIVERY_BUCKET).await;
    moto.start_recording(
        "default",
        "arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        DELIVERY_BUCKET,
    )
    .await;
}

#[tokio::test]
async fn standards_before_config_records_are_not_active_naming_no_available_configuration_recorder()
{
    let _lock = config_lock().await;
    let moto = Moto::shared();
    moto.empty_config().await;
    let world = World::start().await;
    world.hub.recording_from_moto(moto).await;
    let mut stack = world.stack("std-no-recorder");
    let created = stack.create(json!({"Standards": [CIS12]})).await;
    // The status, and the hint.
    created
        .assert_failed("NOT_ACTIVE")
        .assert_reason_contains(
            "is INCOMPLETE (StatusReasonCode NO_AVAILABLE_CONFIGURATION_RECORDER)",
        )
        .assert_reason_contains("DependsOn");
    stack.delete().await.assert_success();
    assert!(!world.enabled(CIS12), "the rollback Delete disabled it");
}

#[tokio::test]
async fn an_update_after_config_records_repairs_the_incomplete_standard() {
    let _lock = config_lock().await;
    let moto = Moto::shared();
    moto.empty_config().await;
    let world = World::start().await;
    world.hub.recording_from_moto(moto).await;
    let mut stack = world.stack("std-repair");
    let created = stack.create(json!({"Standards": [CIS12]})).await;
    created.assert_failed("NOT_ACTIVE");
    assert_eq!(world.hub.status_of(CIS12).as_deref(), Some("INCOMPLETE"));

    start_recording(moto).await;
    let repaired = stack.update(json!({"Standards": [CIS12]})).await;
    repaired.assert_success();
    assert_eq!(repaired.physical_id(), created.physical_id());
    assert_eq!(repaired.data("Adopted"), Some(""));
    assert_eq!(world.hub.status_of(CIS12).as_deref(), Some("READY"));
    let operations = world.hub.operations();
    let disabled = operations
        .iter()
        .position(|op| op == "BatchDisableStandards")
        .expect("the repair disabled the standard");
    let enabled_again = operations
        .iter()
        .rposition(|op| op == "BatchEnableStandards")
        .unwrap();
    assert!(disabled < enabled_again, "{operations:?}");
    assert_eq!(world.hub.count("BatchEnableStandards"), 2);

    stack.delete().await.assert_success();
    moto.empty_config().await;
}
