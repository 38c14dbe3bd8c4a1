//! Update: the same convergence as Create, and the tags the old properties set.

use std::collections::HashMap;

use aws_sdk_securityhub::operation::tag_resource::TagResourceOutput;
use aws_sdk_securityhub::operation::untag_resource::UntagResourceOutput;
use cfn_custom_resource_kit::testing::assert_all_called;

use super::*;

#[tokio::test]
async fn an_update_enables_again_a_hub_disabled_out_of_band_and_owns_it() {
    let ssm = Ssm::new();
    let [read, enable, shows] = enabled_from_scratch();
    let rules = [&read, &enable, &shows];
    let outcome = update_from(&resource(&rules, &ssm), json!({}), json!({}))
        .await
        .unwrap();
    assert_all_called(&rules);
    assert_eq!(outcome.data["Adopted"], "false");
    assert!(ssm.owns_the_hub());
}

#[tokio::test]
async fn an_update_sets_new_tags_and_removes_only_the_keys_it_set_before() {
    let ssm = Ssm::owning_the_hub();
    let read = describe_default_hub();
    let tags = tags_are(&[("Team", "security"), ("Old", "x"), ("Foreign", "y")]);
    let tag = mock!(Client::tag_resource)
        .match_requests(|input| {
            input.resource_arn() == Some(HUB_ARN)
                && input.tags()
                    == Some(&HashMap::from([("Team".to_owned(), "platform".to_owned())]))
        })
        .then_output(|| TagResourceOutput::builder().build());
    let untag = mock!(Client::untag_resource)
        .match_requests(|input| input.tag_keys() == ["Old".to_owned()])
        .then_output(|| UntagResourceOutput::builder().build());
    let rules = [&read, &tags, &tag, &untag];
    update_from(
        &resource(&rules, &ssm),
        json!({"Tags": {"Team": "platform"}}),
        json!({"Tags": {"Team": "security", "Old": "x", "Gone": "z"}}),
    )
    .await
    .unwrap();
    assert_all_called(&rules);
}
