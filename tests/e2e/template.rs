//! The template and the functions cannot drift apart: every custom resource of
//! `template.yml`, with the properties CloudFormation would send it (parameters at their
//! defaults, then in other valid combinations; every scalar a string), passes its own
//! function's property validation. `scripts/custom_resource_properties.py` evaluates the
//! template (conditions, intrinsic functions) with the template tests' own reader.

use cfn_custom_resource_kit::{parse_properties, CustomResource};
use harness::moto::{python, workspace_root};
use serde_json::Value;

/// Parameter combinations besides the defaults: each switch the template offers.
const DEPLOYMENTS: &[&[&str]] = &[
    &[],
    &[
        "CreateTrail=false",
        "ExistingTrailArn=arn:aws:cloudtrail:us-east-1:111122223333:trail/org",
    ],
    &["EnableSecurityHub=false"],
    &[
        "ControlFindingGenerator=SECURITY_CONTROL",
        "SecurityHubOnDelete=Retain",
        "ConfigOnDelete=Retain",
    ],
    &[
        "RecordingFrequency=DAILY",
        "GlobalResourceTypesRegion=eu-west-1",
    ],
    &[
        "CentralConfigBucketName=org-log-archive",
        "CentralConfigBucketOwner=111122223333",
    ],
    &["SecurityHubStandardIds="],
];

/// The custom resources the template declares with these parameter values.
fn custom_resources(overrides: &[&str]) -> serde_json::Map<String, Value> {
    let output = std::process::Command::new(python())
        .arg(workspace_root().join("scripts/custom_resource_properties.py"))
        .args(overrides)
        .current_dir(workspace_root().join("scripts"))
        .output()
        .expect("run scripts/custom_resource_properties.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    match serde_json::from_slice(&output.stdout).expect("JSON") {
        Value::Object(resources) => resources,
        other => panic!("not an object: {other}"),
    }
}

/// The failure, if any, of `properties` against `R`'s validation.
fn check<R: CustomResource>(properties: &Value) -> Result<(), String> {
    parse_properties::<R::Properties>(properties)
        .map(drop)
        .map_err(|failure| failure.to_string())
}

#[test]
fn every_custom_resource_of_the_template_passes_its_functions_validation() {
    for overrides in DEPLOYMENTS {
        let resources = custom_resources(overrides);
        for (name, resource) in &resources {
            let properties = &resource["Properties"];
            let checked = match resource["Type"].as_str().unwrap_or_default() {
                "Custom::KmsReady" => check::<kms_ready::KmsReady>(properties),
                "Custom::ConfigSetup" => check::<config_setup::ConfigSetup>(properties),
                "Custom::SecurityHubEnable" => {
                    check::<securityhub_enable::SecurityHubEnable>(properties)
                }
                "Custom::SecurityHubStandards" => {
                    check::<securityhub_standards::SecurityHubStandards>(properties)
                }
                other => Err(format!("{other} is no function of this suite")),
            };
            if let Err(why) = checked {
                panic!("{name} with {overrides:?}: {why}\n{properties:#}");
            }
        }
        if overrides.is_empty() {
            let mut types: Vec<&str> = resources
                .values()
                .filter_map(|r| r["Type"].as_str())
                .collect();
            types.sort_unstable();
            types.dedup();
            assert_eq!(
                types,
                [
                    "Custom::ConfigSetup",
                    "Custom::KmsReady",
                    "Custom::SecurityHubEnable",
                    "Custom::SecurityHubStandards"
                ],
                "the defaults deploy every resource type"
            );
        }
    }
}
