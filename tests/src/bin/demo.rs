//! `make demo`: the KmsReady lifecycle, played through the real binary against moto on
//! loopback, printing each response CloudFormation would receive.
//!
//! Exits non-zero when an answer differs from the one expected, so the demo is also a
//! smoke test of a fresh checkout.

use std::process::ExitCode;

use aws_sdk_kms::Client;
use harness::{key_policy_allowing, Binary, CfnResponse, Function, Moto, Stack};
use serde_json::{json, Value};

struct Demo {
    mismatches: u32,
}

impl Demo {
    fn show(&mut self, step: &str, request: &Value, response: &CfnResponse, expected: &str) {
        println!("\n── {step}");
        println!("   properties: {}", without_token(request));
        let body = response.body();
        println!(
            "   CloudFormation received ({} PUT{}):",
            response.puts.len(),
            if response.puts.len() == 1 { "" } else { "s" }
        );
        let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
        for line in pretty.lines() {
            println!("     {line}");
        }
        let verdict = if response.reason().starts_with(expected) || response.status() == expected {
            "as expected"
        } else {
            self.mismatches += 1;
            "UNEXPECTED"
        };
        println!("   expected {expected}: {verdict}");
    }
}

fn without_token(properties: &Value) -> Value {
    let mut shown = properties.clone();
    if let Some(map) = shown.as_object_mut() {
        map.remove("ServiceToken");
    }
    shown
}

#[tokio::main]
async fn main() -> ExitCode {
    let binary = if std::env::args().any(|a| a == "--shipped") {
        Binary::Shipped("kms-ready")
    } else {
        Binary::Debug("kms-ready")
    };
    println!(
        "KmsReady demo: {} against moto on loopback",
        binary.path().display()
    );
    let moto = Moto::shared();
    println!("moto server: {}", moto.endpoint);
    let function = Function::start(binary, moto, &[]).await;
    let kms = Client::new(&moto.sdk_config().await);

    let policy = key_policy_allowing("logs.us-east-1.amazonaws.com");
    let key = kms
        .create_key()
        .description("baseline logs key")
        .policy(policy)
        .send()
        .await;
    let key = key.expect("moto CreateKey").key_metadata.expect("metadata");
    kms.create_alias()
        .alias_name("alias/baseline-logs")
        .target_key_id(&key.key_id)
        .send()
        .await
        .expect("CreateAlias");
    println!(
        "created key {} (alias/baseline-logs) in moto",
        key.arn.as_deref().unwrap_or_default()
    );

    let mut demo = Demo { mismatches: 0 };
    let mut stack = Stack::new(
        &function,
        "security-baseline",
        "Custom::KmsReady",
        "LogsKeyReady",
    );

    let create = json!({"KeyId": "alias/baseline-logs"});
    let response = stack.create(create.clone()).await;
    demo.show(
        "Create: wait until alias/baseline-logs is Enabled",
        &create,
        &response,
        "SUCCESS",
    );

    let update = json!({"KeyId": "alias/baseline-logs", "MaxWaitSeconds": "120", "RequiredServicePrincipals": ["logs.us-east-1.amazonaws.com"]});
    let response = stack.update(update.clone()).await;
    demo.show(
        "Update: also require that CloudWatch Logs may use the key",
        &update,
        &response,
        "SUCCESS",
    );

    let response = stack.delete().await;
    demo.show("Delete: nothing to undo", &update, &response, "SUCCESS");

    let disabled = kms
        .create_key()
        .description("disabled key")
        .send()
        .await
        .expect("CreateKey")
        .key_metadata
        .expect("metadata");
    kms.disable_key()
        .key_id(&disabled.key_id)
        .send()
        .await
        .expect("DisableKey");
    let mut failing = Stack::new(
        &function,
        "security-baseline",
        "Custom::KmsReady",
        "DisabledKeyReady",
    );
    failing.stack_id = stack.stack_id.clone();
    let bad = json!({"KeyId": disabled.key_id});
    let response = failing.create(bad.clone()).await;
    demo.show(
        "Create on a Disabled key: an honest failure, at once",
        &bad,
        &response,
        "[NOT_ACTIVE]",
    );

    let response = failing.delete().await;
    demo.show(
        "Delete after the failed Create (stack rollback)",
        &bad,
        &response,
        "SUCCESS",
    );

    println!();
    if demo.mismatches == 0 {
        println!("demo: 5 requests, 5 answers as expected");
        ExitCode::SUCCESS
    } else {
        println!(
            "demo: {} answers differ from the expected ones",
            demo.mismatches
        );
        ExitCode::FAILURE
    }
}
