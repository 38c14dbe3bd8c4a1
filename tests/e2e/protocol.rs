//! The shared crate's guarantees, observed through a real binary (kms-ready).

use harness::{Binary, InvocationResult};
use serde_json::json;

use crate::kms_ready::World;
use crate::trust::closed_endpoint;

const BINARY: Binary = Binary::Debug("kms-ready");

#[tokio::test]
async fn logs_are_json_with_request_fields_and_never_show_the_signature_even_at_trace() {
    let world = World::start(BINARY, &[("AWS_LAMBDA_LOG_LEVEL", "TRACE".to_owned())]).await;
    let mut stack = world.assert_a_new_key_is_ready("logs").await;
    stack
        .create(json!({"KeyId": "alias/x", "Nope": 1}))
        .await
        .assert_failed("INVALID_PROPERTIES");
    let output = world.function.output();
    assert!(
        output.contains(r#""level":"TRACE""#),
        "the function did not log at TRACE:\n{output}"
    );
    assert!(
        !output.contains("s3cr3t-signature"),
        "the ResponseURL's query string was logged:\n{output}"
    );
    let delivered: Vec<serde_json::Value> = world
        .function
        .json_lines()
        .into_iter()
        .filter(|line| line["message"] == "response delivered")
        .collect();
    assert_eq!(
        delivered.len(),
        2,
        "one 'response delivered' line per request:\n{output}"
    );
    let failed = &delivered[1];
    assert_eq!(failed["outcome"], "FAILED");
    assert_eq!(failed["reason_code"], "INVALID_PROPERTIES");
    assert!(failed["duration_ms"].is_u64());
    let span = &failed["span"];
    assert_eq!(span["logical_resource_id"], "KeyReady");
    assert_eq!(span["request_type"], "Create");
    assert!(span["stack_id"].as_str().unwrap().contains(":stack/logs/"));
    assert!(span["request_id"]
        .as_str()
        .unwrap()
        .contains("-cfn-create-"));
}

#[tokio::test]
async fn a_service_specific_endpoint_overrides_the_global_one() {
    let moto = harness::Moto::shared();
    // The global endpoint is a closed port; only AWS_ENDPOINT_URL_KMS leads to moto.
    let env = [
        closed_endpoint(),
        ("AWS_ENDPOINT_URL_KMS", moto.endpoint.clone()),
    ];
    let world = World::start(BINARY, &env).await;
    world.assert_a_new_key_is_ready("endpoints").await;
}

#[tokio::test]
async fn native_json_values_are_accepted_as_sdk_driven_invocations_send_them() {
    let world = World::start(BINARY, &[]).await;
    let (key_id, _) = world.key(None).await;
    let mut stack = world.stack("native");
    stack.native_json = true;
    let created = stack
        .create(json!({"KeyId": key_id, "MaxWaitSeconds": 5}))
        .await;
    created.assert_success();
    let event = stack.request(
        "Update",
        &json!({"KeyId": key_id, "MaxWaitSeconds": 5}),
        None,
    );
    assert_eq!(event["ResourceProperties"]["MaxWaitSeconds"], json!(5));
}

#[tokio::test]
async fn cloudformation_sends_every_scalar_as_a_string() {
    let world = World::start(BINARY, &[]).await;
    let mut stack = world.stack("strings");
    let event = stack.request(
        "Update",
        &json!({"KeyId": "k", "MaxWaitSeconds": 5, "Nested": [{"On": true}]}),
        Some(&json!({"MaxWaitSeconds": 7})),
    );
    assert_eq!(event["ResourceProperties"]["MaxWaitSeconds"], json!("5"));
    assert_eq!(
        event["ResourceProperties"]["Nested"][0]["On"],
        json!("true")
    );
    assert_eq!(event["OldResourceProperties"]["MaxWaitSeconds"], json!("7"));
}

#[tokio::test]
async fn no_echo_data_reaches_cloudformation_but_never_lambdas_return_value() {
    let function =
        harness::Function::start(Binary::Debug("probe"), harness::Moto::shared(), &[]).await;
    let mut stack = harness::Stack::new(&function, "noecho", "Custom::Probe", "Probe");
    let created = stack.create(json!({"Behaviour": "secret"})).await;
    created.assert_success();
    assert_eq!(created.body()["NoEcho"], json!(true));
    assert_eq!(created.data("Password"), Some("probe-secret-value"));
    let InvocationResult::Response(returned) = &created.lambda else {
        panic!("Lambda saw {:?}", created.lambda);
    };
    assert_eq!(returned["Status"], "SUCCESS");
    assert_eq!(
        returned["PhysicalResourceId"],
        created.body()["PhysicalResourceId"]
    );
    assert!(
        !returned.to_string().contains("probe-secret-value"),
        "Lambda's return value leaks NoEcho data: {returned}"
    );
    assert!(
        !function.output().contains("probe-secret-value"),
        "the logs leak NoEcho data"
    );
}

#[tokio::test]
async fn the_lambda_log_level_is_a_ceiling_for_every_target() {
    let world = World::start(BINARY, &[("AWS_LAMBDA_LOG_LEVEL", "WARN".to_owned())]).await;
    world.assert_a_new_key_is_ready("quiet").await;
    let output = world.function.output();
    // The metric records are not log lines: they are written at any level.
    for line in output.lines().filter(|line| line.starts_with('{')) {
        let parsed = serde_json::from_str::<serde_json::Value>(line).unwrap();
        if parsed.get("_aws").is_some() {
            continue;
        }
        let level = parsed["level"].clone();
        assert!(
            level == "WARN" || level == "ERROR",
            "a {level} line under AWS_LAMBDA_LOG_LEVEL=WARN: {line}"
        );
    }
}

#[tokio::test]
async fn rust_log_directives_choose_levels_per_target() {
    let world = World::start(
        BINARY,
        &[("RUST_LOG", "warn,cfn_custom_resource_kit=info".to_owned())],
    )
    .await;
    world.assert_a_new_key_is_ready("directives").await;
    let output = world.function.output();
    assert!(output.contains("response delivered"), "{output}");
    assert!(!output.contains(r#""level":"DEBUG""#), "{output}");
}
