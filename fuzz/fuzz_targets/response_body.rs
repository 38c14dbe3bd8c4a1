//! Any ids and any answer: the body fits 4096 bytes, ids unchanged, no panic.
#![no_main]

use cfn_custom_resource_kit::fuzzing::{check_response_body, AnswerParts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|parts: AnswerParts| {
    check_response_body(&parts.into());
});
