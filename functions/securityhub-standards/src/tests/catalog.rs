//! Which standard a property names: short ids resolved to the partition's and region's
//! ARNs, and what does not resolve refused before anything is claimed.

use cfn_custom_resource_kit::testing::assert_failed;
use cfn_custom_resource_kit::testing::{assert_all_called, create};
use cfn_custom_resource_kit::ReasonCode;

use super::*;

#[tokio::test]
async fn short_ids_resolve_to_the_partition_and_region_arn_forms() {
    for (partition, region) in [
        ("aws", "us-east-1"),
        ("aws-cn", "cn-north-1"),
        ("aws-us-gov", "us-gov-west-1"),
    ] {
        let catalogue: Vec<String> = [AFSBP, CIS12, PCI]
            .iter()
            .map(|id| arn_in(partition, region, id))
            .collect();
        let listed = catalogue.clone();
        let list = mock!(Client::describe_standards).then_output(move || listing(&listed, None));
        let read = none_enabled();
        let expected = catalogue.clone();
        let enable = mock!(Client::batch_enable_standards)
            .match_requests(move |input| requested_arns(input) == expected)
            .then_compute_output(pending_for);
        let ssm = Ssm::new();
        let rules = [&list, &read, &enable];
        let resource = resource_in(region, &rules, &ssm);
        assert_eq!(
            resource.location(),
            &Location {
                partition: partition.into(),
                region: region.into()
            }
        );
        create(
            &resource,
            json!({"Standards": [AFSBP, CIS12, arn_in(partition, region, PCI)], "WaitForReady": false}),
        )
        .await
        .unwrap();
        assert_all_called(&rules);
        assert!(
            catalogue[1].starts_with(&format!("arn:{partition}:securityhub:::ruleset/")),
            "CIS 1.2.0 is region-less"
        );
    }
}

#[tokio::test]
async fn a_standard_that_does_not_resolve_here_is_refused_naming_its_field_and_nothing_is_claimed()
{
    // (Standards[1], the reason code, what the reason says)
    let cases: [(_, _, &[&str]); 6] = [
        // An ARN of another region or partition.
        (
            arn_in("aws", "eu-west-1", PCI),
            ReasonCode::InvalidProperties,
            &["names region eu-west-1"],
        ),
        (
            arn_in("aws-cn", "us-east-1", PCI),
            ReasonCode::InvalidProperties,
            &["is in partition aws-cn"],
        ),
        // A known standard the region does not list.
        (
            "pci-dss/v/4.0.1".to_owned(),
            ReasonCode::Unsupported,
            &["is not available in us-east-1"],
        ),
        (
            arn("nist-800-171/v/2.0.0"),
            ReasonCode::Unsupported,
            &["is not available in us-east-1"],
        ),
        // An unknown short id, listing what exists.
        (
            "made-up-standard/v/1.0.0".to_owned(),
            ReasonCode::InvalidProperties,
            &["is not a Security Hub standard", PCI],
        ),
        // A short id and an ARN of the same standard.
        (
            arn(AFSBP),
            ReasonCode::InvalidProperties,
            &["names the same standard as Standards[0]"],
        ),
    ];
    for (standard, code, says) in cases {
        let ssm = Ssm::new();
        let [list, list2] = describe_standards();
        let rules = [&list, &list2];
        let answer = create(
            &resource(&rules, &ssm),
            json!({"Standards": [AFSBP, standard]}),
        )
        .await;
        assert_all_called(&rules);
        assert_eq!(ssm.puts(), 0, "nothing claimed");
        let failure = assert_failed(answer, code, says);
        assert!(
            failure
                .to_string()
                .starts_with(&format!("[{code}] Standards[1]: ")),
            "{failure}"
        );
    }
}
