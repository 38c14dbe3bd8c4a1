//! Each resource's runbook (`CustomResource::RUNBOOK`) lists exactly the reason codes the
//! resource can answer, each once, and `docs/runbook.md` says what the tables say.
//! `RUNBOOK_WRITE=1 cargo test -p tests --test e2e runbooks` rewrites its sections.

use std::path::Path;

use cfn_custom_resource_kit::testing::check_runbook;
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

#[test]
fn every_runbook_covers_the_codes_its_resource_answers_and_is_the_one_in_the_docs() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (title, crates, services, runbook) in RESOURCES {
        check_runbook(&workspace, crates, services, title, runbook);
    }
}
