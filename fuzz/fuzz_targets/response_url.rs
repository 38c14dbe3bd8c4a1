//! Any ResponseURL against the default allow-list and one with extra hosts.
#![no_main]

use cfn_custom_resource_kit::fuzzing::check_response_url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str)| {
    let (url, extra_hosts) = input;
    check_response_url(url, extra_hosts);
});
