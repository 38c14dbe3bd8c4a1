//! Any ids and any answer: the body fits 4096 bytes, ids unchanged, no panic.
#![no_main]

use std::collections::BTreeMap;

use cfn_custom_resource_kit::fuzzing::{check_response_body, AnswerCase};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (
    [String; 4],
    BTreeMap<String, String>,
    Option<String>,
    bool,
    Option<String>,
)| {
    let ([stack_id, request_id, logical_resource_id, physical_id], data, summary, no_echo, failure) =
        input;
    check_response_body(&AnswerCase {
        stack_id,
        request_id,
        logical_resource_id,
        physical_id,
        data,
        summary,
        no_echo,
        failure,
    });
});
