//! What Security Hub refuses, and how long it is asked again: each refusal's reason code,
//! throttling retried until the deadline, a refused enable leaving no claim behind.

use aws_sdk_securityhub::operation::describe_hub::DescribeHubError;
use cfn_custom_resource_kit::testing::assert_failed;
use cfn_custom_resource_kit::testing::{assert_all_called, create};
use cfn_custom_resource_kit::ReasonCode;
use securityhub_common::testing::{assert_create_throttled_within, throttled};

use super::*;

#[tokio::test]
async fn a_refused_change_of_settings_is_org_managed_for_the_organization_and_access_denied_for_iam(
) {
    // (the hub's generator, the properties, the refusal, the reason code, what the
    // reason names)
    let cases: [(_, _, _, _, &[&str]); 3] = [
        // A centrally configured account, naming what differs.
        (
            ApiGenerator::StandardControl,
            json!({"ControlFindingGenerator": "SECURITY_CONTROL"}),
            ("AccessDeniedException", "Your account is managed by a central configuration policy; change the policy instead"),
            ReasonCode::OrgManaged,
            &[
                "ControlFindingGenerator is STANDARD_CONTROL, the properties ask for SECURITY_CONTROL",
                "central configuration",
            ],
        ),
        // A member account.
        (
            ApiGenerator::SecurityControl,
            json!({"AutoEnableControls": "false"}),
            ("InvalidAccessException", "Account 123456789012 is a member account; this setting can only be changed in the administrator account"),
            ReasonCode::OrgManaged,
            &["AutoEnableControls is true, the properties ask for false"],
        ),
        // IAM: the function's role, not the organization.
        (
            ApiGenerator::SecurityControl,
            json!({"AutoEnableControls": "false"}),
            ("AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/fn/x is not authorized to perform: securityhub:UpdateSecurityHubConfiguration"),
            ReasonCode::AccessDenied,
            &["securityhub:UpdateSecurityHubConfiguration"],
        ),
    ];
    for (generator, properties, (code, message), reason, names) in cases {
        let ssm = Ssm::new();
        let read = describe_hub(generator, true);
        let refused = update_refused(code, message);
        let rules = [&read, &refused];
        let answer = create(&resource(&rules, &ssm), properties).await;
        assert_failed(answer, reason, names);
        assert_eq!(refused.num_calls(), 1, "not retried");
    }
}

#[tokio::test]
async fn throttling_then_success_is_retried() {
    let ssm = Ssm::new();
    let read = mock!(Client::describe_hub)
        .sequence()
        .error(|| DescribeHubError::generic(throttled()))
        .times(3)
        .output(|| hub(ApiGenerator::SecurityControl, true))
        .build();
    create(&resource(&[&read], &ssm), json!({})).await.unwrap();
    assert_eq!(read.num_calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn throttling_until_the_deadline_ends_in_throttled() {
    let ssm = Ssm::new();
    let read = mock!(Client::describe_hub)
        .sequence()
        .error(|| DescribeHubError::generic(throttled()))
        .repeatedly()
        .build();
    assert_create_throttled_within(
        &resource(&[&read], &ssm),
        Duration::from_secs(3),
        json!({}),
        &["still failing at the deadline"],
    )
    .await;
    assert!(read.num_calls() > 3);
}

#[tokio::test]
async fn a_refused_enable_leaves_no_claim_behind() {
    let ssm = Ssm::new();
    let read = describe_not_subscribed();
    let enable = enable_refused(
        "AccessDeniedException",
        "not authorized to perform securityhub:EnableSecurityHub",
    );
    let rules = [&read, &enable];
    let answer = create(&resource(&rules, &ssm), json!({})).await;
    assert_failed(answer, ReasonCode::AccessDenied, &[]);
    assert_all_called(&rules);
    assert!(!ssm.owns_the_hub(), "the claim was released");
    assert!(ssm.others().is_empty(), "the singleton record was released");
}
