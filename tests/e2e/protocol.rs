//! The shared crate's guarantees, observed through a real binary (kms-ready).

use cfn_custom_resource_kit::testing::ResponseServer;
use harness::{Binary, InvocationResult};
use serde_json::json;

use crate::kms_ready::World;

const BINARY: Binary = Binary::Debug("kms-ready");

#[tokio::test]
async fn a_bad_property_value_fails_naming_the_field() {
    let world = World::start(BINARY, &[]).await;
    let created = world
        .stack("bad")
        .create(json!({"KeyId": "alias/x", "MaxWaitSeconds": "soon"}))
        .await;
    created.assert_failed("INVALID_PROPERTIES");
    assert!(
        created
            .reason()
            .starts_with("[INVALID_PROPERTIES] MaxWaitSeconds: "),
        "{}",
        created.reason()
    );
    assert!(!created.physical_id().is_empty());
}

#[tokio::test]
async fn an_unknown_property_fails_naming_it() {
    let world = World::start(BINARY, &[]).await;
    let created = world
        .stack("unknown")
        .create(json!({"KeyId": "alias/x", "KeyID": "typo"}))
        .await;
    created.assert_failed("INVALID_PROPERTIES");
    assert!(
        created.reason().contains("unknown field `KeyID`"),
        "{}",
        created.reason()
    );
}

#[tokio::test]
async fn a_missing_required_property_fails_naming_it() {
    let world = World::start(BINARY, &[]).await;
    let created = world
        .stack("missing-prop")
        .create(json!({"MaxWaitSeconds": 5}))
        .await;
    created.assert_failed("INVALID_PROPERTIES");
    assert!(
        created.reason().contains("missing field `KeyId`"),
        "{}",
        created.reason()
    );
}

#[tokio::test]
async fn delete_with_properties_that_do_not_parse_succeeds() {
    let world = World::start(BINARY, &[]).await;
    let mut stack = world.stack("bad-delete");
    stack
        .create(json!({"KeyId": "alias/x", "Bogus": 1}))
        .await
        .assert_failed("INVALID_PROPERTIES");
    let deleted = stack.delete().await;
    deleted.assert_success();
    assert_eq!(Some(deleted.physical_id()), stack.physical_id.as_deref());
}

#[tokio::test]
async fn an_unknown_request_type_gets_failed() {
    let world = World::start(BINARY, &[]).await;
    let mut stack = world.stack("weird");
    let event = stack.request("Upsert", &json!({"KeyId": "alias/x"}), None);
    stack.send(&event).await.assert_failed("INVALID_PROPERTIES");
}

#[tokio::test]
async fn a_response_url_failing_twice_is_retried_and_answered_once() {
    let world = World::start(BINARY, &[]).await;
    let (key_id, _) = world.key(None).await;
    world.function.responses().plan(vec![503, 502]);
    let created = world
        .stack("flaky-url")
        .create(json!({"KeyId": key_id}))
        .await;
    assert_eq!(
        created.puts.len(),
        3,
        "two failures, then the delivered answer"
    );
    assert!(
        created.puts.iter().all(|p| *p == created.puts[0]),
        "every attempt carries the same answer"
    );
    created.assert_success();
    assert!(matches!(created.lambda, InvocationResult::Response(_)));
}

#[tokio::test]
async fn a_response_url_refusing_with_403_is_not_retried_and_lambda_sees_the_error() {
    let world = World::start(BINARY, &[]).await;
    world.function.responses().plan(vec![403]);
    let created = world
        .stack("refused")
        .create(json!({"KeyId": "alias/x", "MaxWaitSeconds": 0}))
        .await;
    assert_eq!(created.puts.len(), 1);
    let InvocationResult::Error(error) = &created.lambda else {
        panic!("Lambda should see an error: {:?}", created.lambda)
    };
    assert_eq!(error["errorType"], "ResponseRefused");
}

#[tokio::test]
async fn a_response_url_outside_the_allow_list_is_never_called() {
    let world = World::start(BINARY, &[]).await;
    let mut stack = world.stack("foreign");
    // A live loopback server that is not in CR_ALLOWED_RESPONSE_HOSTS.
    let unlisted = ResponseServer::start(vec![]).await;
    let mut event = stack.request("Create", &json!({"KeyId": "alias/x"}), None);
    event["ResponseURL"] = json!(unlisted.url("steal"));
    let response = stack.send(&event).await;
    assert!(
        unlisted.requests().is_empty(),
        "an unlisted host was contacted"
    );
    let InvocationResult::Error(error) = &response.lambda else {
        panic!("Lambda should see an error")
    };
    assert_eq!(error["errorType"], "UnusableResponseUrl");
    assert!(
        !world.function.output().contains("s3cr3t"),
        "the signature was logged"
    );
}

#[tokio::test]
async fn logs_are_json_with_request_fields_and_never_show_the_signature_even_at_trace() {
    let world = World::start(BINARY, &[("AWS_LAMBDA_LOG_LEVEL", "TRACE".to_owned())]).await;
    let (key_id, _) = world.key(None).await;
    let mut stack = world.stack("logs");
    stack
        .create(json!({"KeyId": key_id}))
        .await
        .assert_success();
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
    let delivered: Vec<serde_json::Value> = output
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
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
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let env = [
        ("AWS_ENDPOINT_URL", format!("http://{closed}")),
        ("AWS_ENDPOINT_URL_KMS", moto.endpoint.clone()),
    ];
    let world = World::start(BINARY, &env).await;
    let (key_id, arn) = world.key(None).await;
    let created = world
        .stack("endpoints")
        .create(json!({"KeyId": key_id}))
        .await;
    created.assert_success();
    assert_eq!(created.data("KeyArn"), Some(arn.as_str()));
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
    let (key_id, _) = world.key(None).await;
    world
        .stack("quiet")
        .create(json!({"KeyId": key_id}))
        .await
        .assert_success();
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
    let (key_id, _) = world.key(None).await;
    world
        .stack("directives")
        .create(json!({"KeyId": key_id}))
        .await
        .assert_success();
    let output = world.function.output();
    assert!(output.contains("response delivered"), "{output}");
    assert!(!output.contains(r#""level":"DEBUG""#), "{output}");
}
