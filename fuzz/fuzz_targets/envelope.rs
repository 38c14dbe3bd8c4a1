//! Any Lambda payload: the request envelope (direct or SNS), then each function's
//! properties parsed from every request whose envelope parsed.
#![no_main]

use cfn_custom_resource_kit::fuzzing::{check_payload, check_properties};
use cfn_custom_resource_kit::CustomResource;
use libfuzzer_sys::fuzz_target;

/// The properties type of a function, which it does not export by name.
type Properties<R> = <R as CustomResource>::Properties;

fuzz_target!(|text: &str| {
    for properties in check_payload(text) {
        check_properties::<Properties<kms_ready::KmsReady>>(&properties);
        check_properties::<Properties<config_setup::ConfigSetup>>(&properties);
        check_properties::<Properties<securityhub_enable::SecurityHubEnable>>(&properties);
        check_properties::<Properties<securityhub_standards::SecurityHubStandards>>(&properties);
    }
});
