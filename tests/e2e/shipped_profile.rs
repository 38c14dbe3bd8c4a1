//! The binaries as they ship (`cargo lambda build --release`): same profile, same answers.

use std::time::Duration;

use harness::{Binary, Function, InvocationResult, Moto, Stack};
use serde_json::json;

use crate::kms_ready::World;

#[tokio::test]
async fn the_shipped_kms_ready_answers_a_create_with_the_key_arn() {
    let world = World::start(Binary::Shipped("kms-ready"), &[]).await;
    let (key_id, arn) = world.key(None).await;
    let created = world
        .stack("shipped")
        .create(json!({"KeyId": key_id}))
        .await;
    created.assert_success();
    assert_eq!(created.data("KeyArn"), Some(arn.as_str()));
}

#[tokio::test]
async fn a_panic_in_a_shipped_profile_handler_reaches_cloudformation_as_internal() {
    let function = Function::start(Binary::Shipped("probe"), Moto::shared(), &[]).await;
    let mut stack = Stack::new(&function, "panic", "Custom::Probe", "Probe");
    let created = stack.create(json!({"Behaviour": "panic"})).await;
    created.assert_failed("INTERNAL");
    assert_eq!(
        created.reason(),
        "[INTERNAL] the handler panicked: deliberate panic from the probe; what to do: report it with the log lines; the stack can be rolled back, and a Delete still works; done: nothing; pending: nothing"
    );
    // The process survived the panic and serves the next request.
    stack.delete().await.assert_failed("INTERNAL");
}

#[tokio::test]
async fn a_shipped_handler_that_blocks_its_thread_still_gets_timeout_before_the_deadline() {
    let function = Function::start(Binary::Shipped("probe"), Moto::shared(), &[]).await;
    let mut stack = Stack::new(&function, "blocked", "Custom::Probe", "Probe");
    stack.timeout = Duration::from_secs(4);
    let started = std::time::Instant::now();
    let created = stack
        .create(json!({"Behaviour": "block", "BlockSeconds": 6}))
        .await;
    created.assert_failed("TIMEOUT");
    assert!(
        created.reason().contains("pending: blocking the thread"),
        "{}",
        created.reason()
    );
    assert_eq!(created.puts.len(), 1, "exactly one answer");
    let put = &function.responses().requests()[0];
    assert!(
        put.received_at.duration_since(started) < Duration::from_secs(4),
        "answered {:?} after the invocation, past the 4 s deadline",
        put.received_at.duration_since(started)
    );
    // When the handler finally yields, Lambda hears the same answer and nothing more is PUT.
    let InvocationResult::Response(summary) = &created.lambda else {
        panic!("Lambda saw {:?}", created.lambda);
    };
    assert_eq!(summary["Status"], "FAILED");
    // The watchdog's answer is measured like any other: one metric record, TIMEOUT.
    let output = function
        .output_when(|output| output.contains(r#""_aws""#))
        .await;
    let codes: Vec<serde_json::Value> = output
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .map(|record| record["ReasonCode"].clone())
        .collect();
    assert_eq!(codes, [json!("TIMEOUT")], "{output}");
}
