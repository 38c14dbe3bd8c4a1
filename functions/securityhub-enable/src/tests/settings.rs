//! Create and Update alike: the settings the properties name brought to their values and
//! read back; those they leave unset left as the hub has them.

use cfn_custom_resource_kit::testing::{assert_all_called, create};
use cfn_custom_resource_kit::testing::{assert_failed, create_within};
use cfn_custom_resource_kit::ReasonCode;

use super::*;

#[tokio::test]
async fn a_differing_setting_is_updated_alone_and_read_back_after_its_delay() {
    let ssm = Ssm::new();
    let read = describe_hub(ApiGenerator::StandardControl, true);
    let update = update_settings(Some(ApiGenerator::SecurityControl), None);
    let still_old = mock!(Client::describe_hub)
        .sequence()
        .output(|| hub(ApiGenerator::StandardControl, true))
        .times(2)
        .output(|| hub(ApiGenerator::SecurityControl, true))
        .build();
    let rules = [&read, &update, &still_old];
    let outcome = create(
        &resource(&rules, &ssm),
        json!({"ControlFindingGenerator": "SECURITY_CONTROL", "AutoEnableControls": "true"}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
    assert_eq!(
        still_old.num_calls(),
        3,
        "polled until the new value showed"
    );
    assert_eq!(outcome.data["Adopted"], "true");
}

/// UpdateSecurityHubConfiguration documents no default for a field left out: only what
/// the properties name is sent, and both settings are read back. One the properties
/// leave unset that moved with the update is put back as it was.
#[tokio::test]
async fn an_unset_setting_the_update_changed_is_put_back() {
    let ssm = Ssm::new();
    let read = describe_hub(ApiGenerator::StandardControl, true);
    let update = update_settings(Some(ApiGenerator::SecurityControl), None);
    let reset = describe_hub(ApiGenerator::SecurityControl, false);
    let restore = update_settings(None, Some(true));
    let restored = describe_default_hub();
    let rules = [&read, &update, &reset, &restore, &restored];
    create(
        &resource(&rules, &ssm),
        json!({"ControlFindingGenerator": "SECURITY_CONTROL"}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
}

#[tokio::test]
async fn an_unset_property_leaves_the_hubs_value_alone() {
    let ssm = Ssm::new();
    let read = describe_hub(ApiGenerator::StandardControl, false);
    create(&resource(&[&read], &ssm), json!({"Tags": {}}))
        .await
        .unwrap();
    assert_eq!(
        read.num_calls(),
        1,
        "no UpdateSecurityHubConfiguration, no tag calls"
    );
}

#[tokio::test(start_paused = true)]
async fn a_setting_that_never_shows_ends_in_timeout_at_the_deadline() {
    let ssm = Ssm::new();
    let read = describe_default_hub();
    let update = update_settings(None, Some(false));
    let never = describe_hub_always(ApiGenerator::SecurityControl, true);
    let rules = [&read, &update, &never];
    let answer = create_within(
        &resource(&rules, &ssm),
        Duration::from_secs(20),
        json!({"AutoEnableControls": false}),
    )
    .await;
    assert_failed(
        answer,
        ReasonCode::Timeout,
        &["AutoEnableControls is true, the properties ask for false"],
    );
}

#[test]
fn differences_name_only_the_settings_the_properties_name() {
    let found = Hub {
        arn: HUB_ARN.into(),
        subscribed_at: SUBSCRIBED_AT.into(),
        auto_enable_controls: Some(true),
        control_finding_generator: Some(ApiGenerator::StandardControl),
    };
    // (properties, the settings that differ)
    let cases: [(_, &[&str]); 3] = [
        (json!({}), &[]),
        (
            json!({"ControlFindingGenerator": "SECURITY_CONTROL", "AutoEnableControls": false}),
            &["ControlFindingGenerator", "AutoEnableControls"],
        ),
        (
            json!({"ControlFindingGenerator": "STANDARD_CONTROL", "AutoEnableControls": true}),
            &[],
        ),
    ];
    for (wanted, differing) in cases {
        let found = differences(&found, &properties(wanted.clone()));
        assert_eq!(
            found.iter().map(|d| d.setting).collect::<Vec<_>>(),
            differing,
            "{wanted}"
        );
    }
}
