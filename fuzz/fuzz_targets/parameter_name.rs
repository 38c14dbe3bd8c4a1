//! Any PhysicalResourceIds: the ownership record's parameter name is one SSM accepts,
//! and two ids never share one.
#![no_main]

use cfn_custom_resource_kit::fuzzing::{check_distinct_names, check_parameter_name};
use libfuzzer_sys::fuzz_target;

/// `h-` and 16 hex digits: the form a hashed id takes, which as an id of its own names
/// the same parameter (the known collision in docs/reliability.md; skipped until fixed).
fn hashed_form(id: &str) -> bool {
    id.strip_prefix("h-")
        .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

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
    if !hashed_form(one) && !hashed_form(other) {
        check_distinct_names(function, one, other);
    }
});
