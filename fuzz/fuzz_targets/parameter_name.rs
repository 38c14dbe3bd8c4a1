//! Any PhysicalResourceIds: the ownership record's parameter name is one SSM accepts,
//! and two ids never share one.
#![no_main]

use cfn_custom_resource_kit::fuzzing::{check_distinct_names, check_parameter_name};
use libfuzzer_sys::fuzz_target;

/// The functions whose ledgers hold records.
const FUNCTIONS: [&str; 3] = [
    "config-setup",
    "securityhub-enable",
    "securityhub-standards",
];

fuzz_target!(|input: (u8, &str, &str)| {
    let (which, one, other) = input;
    let function = FUNCTIONS[usize::from(which) % FUNCTIONS.len()];
    check_parameter_name(function, one);
    check_distinct_names(function, one, other);
});
