//! `Custom::SecurityHubStandards` Lambda entry point.

fn main() -> Result<(), cfn_custom_resource_kit::RuntimeError> {
    cfn_custom_resource_kit::run(securityhub_standards::SecurityHubStandards::new)
}
