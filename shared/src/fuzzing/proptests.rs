//! The fuzz targets' invariants on generated inputs, fast enough for every `cargo test`:
//! inputs shaped like CloudFormation's (near-valid envelopes, S3 ResponseURLs, ids at the
//! size limits), where a fuzzer would take long to get to.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

use super::*;
use crate::de;

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            btree_map(".{0,8}", inner, 0..5).prop_map(|map| json!(map)),
        ]
    })
}

/// A field's value: usually one CloudFormation could send, sometimes not.
fn field(valid: &'static [&'static str]) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        12 => proptest::sample::select(valid).prop_map(|text| Some(Value::from(text))),
        1 => Just(None),
        1 => "\\PC{0,12}|[\\x00-\\x1f]{1,3}".prop_map(|text| Some(Value::from(text))),
        1 => any_json().prop_map(Some),
    ]
}

/// A request close to CloudFormation's, each field at times missing or wrong.
fn envelope() -> impl Strategy<Value = Value> {
    (
        field(&["Create", "Update", "Delete", "Explode"]),
        field(&[
            "https://b.s3.amazonaws.com/p?X-Amz-Signature=s",
            "http://127.0.0.1:1/p",
        ]),
        field(&["arn:aws:cloudformation:us-east-1:123456789012:stack/s/1"]),
        field(&["req-1", "5c3a1f0e-9b2d-4e7a-8f61-0d2c3b4a5e6f"]),
        field(&["KeyReady", "R", "Resource1"]),
        field(&["phys-1", "s-KeyReady-0123456789ab"]),
        field(&["Custom::KmsReady", "AWS::CloudFormation::CustomResource"]),
        prop_oneof![
            any_json(),
            btree_map("[A-Z][a-z]{0,6}", any_json(), 0..4).prop_map(|m| json!(m))
        ],
        prop::option::of(any_json()),
    )
        .prop_map(
            |(kind, url, stack, request, logical, physical, resource, new, old)| {
                let mut event = serde_json::Map::new();
                for (name, value) in [
                    ("RequestType", kind),
                    ("ResponseURL", url),
                    ("StackId", stack),
                    ("RequestId", request),
                    ("LogicalResourceId", logical),
                    ("PhysicalResourceId", physical),
                    ("ResourceType", resource),
                    (
                        "ServiceToken",
                        Some(json!("arn:aws:lambda:us-east-1:1:function:f")),
                    ),
                    ("ResourceProperties", Some(new)),
                    ("OldResourceProperties", old),
                ] {
                    if let Some(value) = value {
                        event.insert(name.to_owned(), value);
                    }
                }
                Value::Object(event)
            },
        )
}

proptest! {
    #[test]
    fn any_text_is_read_without_a_panic(text in "\\PC{0,64}|[{}\\[\\]\":,0-9a-z ]{0,64}") {
        check_payload(&text);
    }

    #[test]
    fn any_json_payload_keeps_the_envelope_invariants(payload in any_json()) {
        check_payload(&payload.to_string());
    }

    #[test]
    fn near_valid_requests_keep_the_envelope_invariants(event in envelope()) {
        for properties in check_payload(&event.to_string()) {
            check_properties::<Representative>(&properties);
        }
    }

    #[test]
    fn sns_records_each_keep_the_envelope_invariants(events in vec(envelope(), 0..4)) {
        let records: Vec<Value> = events
            .iter()
            .map(|event| json!({"Sns": {"Message": event.to_string()}}))
            .collect();
        check_payload(&json!({ "Records": records }).to_string());
    }

    #[test]
    fn properties_of_any_shape_fail_only_as_invalid_and_never_show_a_value(
        properties in btree_map(
            proptest::sample::select(&["Name", "Enabled", "Wait", "Mode", "Items", "Tags", "Other"][..]),
            any_json(),
            0..6,
        )
    ) {
        check_properties::<Representative>(&json!(properties));
    }
}

/// Properties shaped like the functions' own: a string, the kit's scalar helpers, an
/// enum, a list and a map.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
#[allow(dead_code)] // only parsed
struct Representative {
    name: String,
    #[serde(default, deserialize_with = "de::bool")]
    enabled: bool,
    #[serde(default, deserialize_with = "de::opt_u64")]
    wait: Option<u64>,
    #[serde(default)]
    mode: Mode,
    #[serde(default)]
    items: Vec<String>,
    #[serde(default, deserialize_with = "de::string_map")]
    tags: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
enum Mode {
    #[default]
    Keep,
    Replace,
}

impl ResourceProperties for Representative {
    fn validate(&self) -> Result<(), Failure> {
        if self.name.trim().is_empty() {
            return Err(Failure::invalid_property("Name", "must not be empty"));
        }
        Ok(())
    }
}

/// Any text, weighted to what breaks sizes: control characters (six bytes on the wire),
/// quotes, multi-byte characters, and lengths around the limits.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::string::string_regex(&format!("\\PC{{0,{}}}", max.min(64))).unwrap(),
        1 => (proptest::sample::select(&["x", "\u{1}", "\"", "é", "🦀"][..]), 0..=max)
            .prop_map(|(unit, n)| unit.repeat(n / unit.len().max(1))),
    ]
}

fn answer_case() -> impl Strategy<Value = AnswerCase> {
    (
        [text(1100), text(100), text(300), text(1100)],
        btree_map(text(32), text(2500), 0..4),
        prop::option::of(text(5000)),
        any::<bool>(),
        prop::option::of(text(5000)),
    )
        .prop_map(AnswerCase::from)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_answer_fits_keeps_its_ids_and_never_turns_success(case in answer_case()) {
        check_response_body(&case);
    }

    /// The ids leave `room` bytes for the reason (the fuzzer found the cut mark alone here).
    #[test]
    fn an_answer_with_little_room_left_keeps_its_code_first(
        room in 0..64usize,
        mut case in answer_case(),
    ) {
        case.physical_id = String::new();
        let used = ids_alone_len(&case);
        case.physical_id = "x".repeat((MAX_RESPONSE_BYTES + 16).saturating_sub(used + room));
        check_response_body(&case);
    }
}

/// A URL made of parts, each S3's, a lookalike, or junk.
fn response_url() -> impl Strategy<Value = String> {
    let scheme = proptest::sample::select(&["https", "http", "HTTPS", "ftp", ""][..]);
    let user = proptest::sample::select(&["", "user:pw@", "a@", "@"][..]);
    let host = prop_oneof![
        proptest::sample::select(
            &[
                "bucket.s3.amazonaws.com",
                "cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com",
                "b.s3-us-west-2.amazonaws.com",
                "b.s3.cn-north-1.amazonaws.com.cn",
                "b.s3.dualstack.eu-west-1.amazonaws.com",
                "s3.amazonaws.com.evil.example",
                "abc.execute-api.us-east-1.amazonaws.com",
                "B.S3.AMAZONAWS.COM",
                "127.0.0.1",
                "[::1]",
                "localhost",
                "10.0.0.5",
                "responses.example.internal",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-z0-9.\\-]{1,20}(\\.s3[a-z0-9.\\-]{0,12})?\\.amazonaws\\.com(\\.cn)?",
        "\\PC{0,16}",
    ];
    let port = proptest::sample::select(&["", ":443", ":80", ":8443", ":1", ":99999"][..]);
    let rest = "(/[a-z0-9%@?#]{0,8})?(\\?[A-Za-z0-9=&@%-]{0,16})?(#x)?";
    (scheme, user, host, port, rest)
        .prop_map(|(scheme, user, host, port, rest)| format!("{scheme}://{user}{host}{port}{rest}"))
}

fn extra_hosts() -> impl Strategy<Value = String> {
    let entry = proptest::sample::select(
        &[
            "127.0.0.1",
            "127.0.0.1:8080",
            "localhost:1",
            "[::1]:8080",
            "10.0.0.5:8080",
            "responses.example.internal",
            "responses.example.internal:8443",
            " Bucket.S3.amazonaws.com ",
            "",
        ][..],
    );
    vec(entry, 0..3).prop_map(|entries| entries.join(","))
}

proptest! {
    #[test]
    fn an_allowed_response_url_is_https_to_an_allowed_host_without_user_info(
        url in response_url(),
        hosts in extra_hosts(),
    ) {
        check_response_url(&url, &hosts);
    }

    #[test]
    fn any_text_as_a_response_url_keeps_the_allow_list_invariants(
        url in "\\PC{0,40}",
        hosts in "\\PC{0,20}",
    ) {
        check_response_url(&url, &hosts);
    }
}

/// PhysicalResourceIds: the kit's own shape, CloudFormation's, any text, and long ones.
fn physical_id() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9\\-]{1,40}-[A-Za-z0-9]{1,20}-[0-9a-f]{12}",
        "\\PC{0,24}",
        "[A-Za-z0-9_.\\-]{500,520}",
        "[a-z/ :]{0,8}",
    ]
}

proptest! {
    #[test]
    fn a_parameter_name_is_one_ssm_accepts(
        function in "[a-z0-9\\-]{1,64}",
        id in physical_id(),
    ) {
        check_parameter_name(&function, &id);
    }

    #[test]
    fn distinct_physical_ids_get_distinct_parameter_names(
        one in physical_id(),
        other in physical_id(),
    ) {
        check_distinct_names("config-setup", &one, &other);
        check_distinct_names("config-setup", &one, &format!("{one}x"));
    }
}

/// An id with characters outside SSM's set becomes `h-<its hash>`, which is itself a
/// valid id kept as it is: the two share a record.
#[test]
fn a_hashed_name_never_equals_an_id_kept_as_it_is() {
    let hashed = parameter_name("config-setup", " ").unwrap();
    let level = hashed.rsplit('/').next().unwrap().to_owned();
    check_distinct_names("config-setup", " ", &level);
}

proptest! {
    /// `shorten`'s contract: at most `max_bytes`. Harmless where it is used (the response
    /// body is measured again after each cut), but the mark alone is three bytes.
    #[test]
    fn a_shortened_text_is_never_longer_than_asked(text in "\\PC{0,16}", max_bytes in 0..16usize) {
        prop_assert!(crate::failure::shorten(&text, max_bytes).len() <= max_bytes);
    }
}
