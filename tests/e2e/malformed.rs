//! The malformed corpus (`tests/fixtures/malformed/`, one case per file, the expected
//! answer beside the event) against every function's binary, one process each: every
//! case gets its `FAILED` answer naming the problem when a ResponseURL is usable, or an
//! error to Lambda and no PUT when none is; never a panic, a hang or a `SUCCESS`; and the
//! process goes on serving, shown by a well-formed request answered after the corpus.

use std::path::PathBuf;
use std::time::Duration;

use harness::moto::workspace_root;
use harness::{Binary, Function, InvocationResult, Moto};
use serde_json::{json, Value};

/// One case of the corpus.
struct Case {
    name: String,
    /// The event's bytes, placeholders still in.
    payload: String,
    /// `None`: no PUT, an error to Lambda. `Some(prefix)`: one `FAILED` PUT whose reason
    /// starts with `prefix`.
    failed_with: Option<String>,
    functions: Option<Vec<String>>,
}

fn corpus() -> Vec<Case> {
    let dir: PathBuf = workspace_root().join("tests/fixtures/malformed");
    let mut cases: Vec<Case> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/malformed")
        .map(|entry| entry.expect("a fixture").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let case: Value = serde_json::from_slice(&std::fs::read(&path).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let payload = match (&case["raw"], case.get("event")) {
                (Value::String(raw), _) => raw.clone(),
                (_, Some(event)) => event.to_string(),
                _ => panic!("{name}: neither raw nor event"),
            };
            let expect = &case["expect"];
            let failed_with = match expect["put"].as_str() {
                Some("FAILED") => Some(expect["reason"].as_str().expect("a reason").to_owned()),
                Some(other) => panic!("{name}: the corpus never expects {other}"),
                None => None,
            };
            let functions = case["functions"].as_array().map(|list| {
                list.iter()
                    .map(|f| f.as_str().unwrap().to_owned())
                    .collect()
            });
            Case {
                name,
                payload,
                failed_with,
                functions,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

async fn run_corpus(binary: &'static str) -> usize {
    let cases = corpus();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    let function = Function::start(
        Binary::Debug(binary),
        Moto::shared(),
        &[harness::fresh_ledger()],
    )
    .await;
    let mut tried = 0;
    for case in cases.iter().filter(|c| {
        c.functions
            .as_ref()
            .is_none_or(|f| f.iter().any(|f| f == binary))
    }) {
        tried += 1;
        let path = format!("cfn-responses/malformed-{}", case.name);
        let payload = case
            .payload
            .replace("{{ResponseURL}}", &function.responses().url(&path))
            .replace("{{RequestId}}", &format!("malformed-{}", case.name));
        let lambda = function
            .invoke_raw(payload.into_bytes(), Duration::from_secs(20))
            .await;
        let puts = function.responses().requests_to(&path);
        let context = format!("{binary}, case {}", case.name);
        match &case.failed_with {
            None => {
                assert!(
                    puts.is_empty(),
                    "{context}: a PUT without a usable ResponseURL"
                );
                assert!(
                    matches!(lambda, InvocationResult::Error(_)),
                    "{context}: Lambda got {lambda:?}, not an error"
                );
            }
            Some(prefix) => {
                assert_eq!(puts.len(), 1, "{context}: {} PUTs", puts.len());
                let body: Value = serde_json::from_slice(&puts[0].body).unwrap();
                let reason = body["Reason"].as_str().unwrap_or_default();
                assert_eq!(body["Status"], "FAILED", "{context}: {body}");
                assert!(
                    reason.starts_with(prefix.as_str()),
                    "{context}: reason {reason:?} does not start with {prefix:?}"
                );
                assert!(
                    !reason.contains("xxxxxxxxxx"),
                    "{context}: a property value in the reason"
                );
                assert!(
                    !body["PhysicalResourceId"]
                        .as_str()
                        .unwrap_or_default()
                        .is_empty(),
                    "{context}: no PhysicalResourceId"
                );
            }
        }
    }
    // The process goes on serving: a well-formed Delete is answered once.
    let path = "cfn-responses/after-the-corpus";
    let delete = json!({
        "RequestType": "Delete",
        "ResponseURL": function.responses().url(path),
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/malformed/5b1c2d3e-0000-4000-8000-000000000001",
        "RequestId": "after-the-corpus",
        "LogicalResourceId": "Resource",
        "PhysicalResourceId": "malformed-Resource-0123456789ab",
        "ResourceType": "Custom::Malformed",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:under-test"}
    });
    function.invoke(delete, Duration::from_secs(20)).await;
    let puts = function.responses().requests_to(path);
    assert_eq!(puts.len(), 1, "{binary}: the request after the corpus");
    let output = function.output();
    assert!(!output.contains("panicked"), "{binary} panicked:\n{output}");
    tried
}

#[tokio::test]
async fn kms_ready_answers_every_malformed_event() {
    run_corpus("kms-ready").await;
}

#[tokio::test]
async fn config_setup_answers_every_malformed_event() {
    run_corpus("config-setup").await;
}

#[tokio::test]
async fn securityhub_enable_answers_every_malformed_event() {
    run_corpus("securityhub-enable").await;
}

#[tokio::test]
async fn securityhub_standards_answers_every_malformed_event() {
    run_corpus("securityhub-standards").await;
}
