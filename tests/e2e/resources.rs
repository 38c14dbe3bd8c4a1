//! What every resource documents and ships beside its code: its runbook
//! (`CustomResource::RUNBOOK`) lists exactly the reason codes the resource can answer, each
//! once, and `docs/runbook.md` says what the tables say
//! (`RUNBOOK_WRITE=1 cargo test -p tests --test e2e resources` rewrites its sections); its
//! sample events under `events/<function>/` are requests whose properties parse.

use std::path::Path;

use cfn_custom_resource_kit::testing::{check_runbook, check_sample_events};
use cfn_custom_resource_kit::{CustomResource, Remedy};

/// A resource: its type (its section's title), the crates whose code answers for it,
/// the services it calls (their error tables count), its runbook.
type Resource = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [Remedy],
);

const RESOURCES: [Resource; 4] = [
    (
        "Custom::KmsReady",
        &["functions/kms-ready"],
        &["kms"],
        kms_ready::KmsReady::RUNBOOK,
    ),
    (
        "Custom::ConfigSetup",
        &["functions/config-setup"],
        &["config", "iam", "ssm"],
        config_setup::ConfigSetup::RUNBOOK,
    ),
    (
        "Custom::SecurityHubEnable",
        &["functions/securityhub-enable", "securityhub-common"],
        &["securityhub", "ssm"],
        securityhub_enable::SecurityHubEnable::RUNBOOK,
    ),
    (
        "Custom::SecurityHubStandards",
        &["functions/securityhub-standards", "securityhub-common"],
        &["securityhub", "ssm"],
        securityhub_standards::SecurityHubStandards::RUNBOOK,
    ),
];

fn workspace() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_runbook_covers_the_codes_its_resource_answers_and_is_the_one_in_the_docs() {
    for (title, crates, services, runbook) in RESOURCES {
        check_runbook(&workspace(), crates, services, title, runbook);
    }
}

/// `make invoke` plays these events: each must be a request of its resource whose
/// properties parse, unless it is named for bad properties.
#[test]
fn every_sample_event_is_a_request_of_its_resource_whose_properties_parse_unless_named_bad() {
    fn check<R: CustomResource>(function: &str, resource_type: &str)
    where
        R::Properties: std::fmt::Debug,
    {
        check_sample_events::<R::Properties>(&workspace(), function, resource_type);
    }
    check::<kms_ready::KmsReady>("kms-ready", "Custom::KmsReady");
    check::<config_setup::ConfigSetup>("config-setup", "Custom::ConfigSetup");
    check::<securityhub_enable::SecurityHubEnable>(
        "securityhub-enable",
        "Custom::SecurityHubEnable",
    );
    check::<securityhub_standards::SecurityHubStandards>(
        "securityhub-standards",
        "Custom::SecurityHubStandards",
    );
}
