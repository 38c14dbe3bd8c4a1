//! `Custom::ConfigSetup` Lambda entry point.

fn main() -> Result<(), cfn_custom_resource_kit::RuntimeError> {
    cfn_custom_resource_kit::run(config_setup::ConfigSetup::new)
}
