//! The binaries as they ship (`cargo lambda build --release`): same profile, same answers.

use std::time::Duration;

use harness::{Binary, Function, InvocationResult, Moto, Stack};
use serde_json::json;

use crate::kms_ready::World;

#[tokio::test]
async fn the_shipped_kms_ready_answers_a_create_with_the_key_arn() {
    let world = World::start(Binary::Shipped("kms-ready"), &[]).await;
    world.assert_a_new_key_is_ready("shipped").await;
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
    created
        .assert_failed("TIMEOUT")
        .assert_reason_contains("pending: blocking the thread");
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
    let records = function.metric_records(1).await;
    let codes: Vec<&serde_json::Value> = records.iter().map(|r| &r["ReasonCode"]).collect();
    assert_eq!(codes, [&json!("TIMEOUT")], "{records:#?}");
}
