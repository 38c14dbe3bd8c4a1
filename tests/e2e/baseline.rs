//! `baseline verify` end to end: the real function binaries set the baseline up (moto's
//! Config, KMS, IAM and SSM; the harness's Security Hub emulator), then the `baseline`
//! binary reads it back, clean and drifted.
//!
//! ConfigSetup uses moto's one recorder per region: the test holds `harness::config_lock()`
//! and starts from an empty Config set-up.

use std::path::Path;
use std::time::SystemTime;

use harness::baseline::{
    create_logs_key, stop_recorder, template_resources, verify_args, TEMPLATE_STACK,
};
use harness::{config_lock, run_baseline, Binary, Function, Moto, Ran, SecurityHub, Stack};
use serde_json::Value;

const BUCKET: &str = "baseline-e2e-config";

fn findings(ran: &Ran) -> Vec<Value> {
    let document: Value = serde_json::from_str(&ran.stdout).expect("--json prints JSON");
    document["findings"].as_array().cloned().unwrap_or_default()
}

/// `(resource, check)` of every finding that is not ok.
fn not_ok(ran: &Ran) -> Vec<(String, String)> {
    findings(ran)
        .iter()
        .filter(|f| f["ok"] != true)
        .map(|f| (text(&f["resource"]), text(&f["check"])))
        .collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// Runs the `baseline` binary with `args` against moto and the Security Hub emulator.
async fn baseline(moto: &Moto, hub: &SecurityHub, args: &[&str]) -> Ran {
    run_baseline(moto, Path::new("."), &[hub.env()], args).await
}

#[tokio::test]
async fn verify_passes_on_the_baseline_the_functions_set_up_and_names_each_drift_and_its_owner() {
    let _lock = config_lock().await;
    let moto = Moto::shared();
    moto.empty_config().await;
    moto.create_bucket(BUCKET).await;
    let sdk = moto.sdk_config().await;
    let hub = SecurityHub::start().await;
    hub.recording_from_moto(moto).await;
    let ledger = harness::fresh_ledger();
    let env = [hub.env(), ledger];

    let kms = aws_sdk_kms::Client::new(&sdk);
    let key = create_logs_key(&kms).await;

    // The baseline's custom resources, in the template's order.
    let resources = template_resources(BUCKET, Some(&key.key_id));
    let mut functions = Vec::new();
    for (binary, ..) in &resources {
        functions.push(Function::start(Binary::Debug(binary), moto, &env).await);
    }
    let mut stacks = Vec::new();
    for ((_, resource_type, logical_id, properties), function) in resources.iter().zip(&functions) {
        let mut stack = Stack::new(function, TEMPLATE_STACK, resource_type, logical_id);
        stack.create(properties.clone()).await.assert_success();
        stacks.push(stack);
    }

    let key_arn = key.arn.clone().expect("key ARN");
    let verify = verify_args(BUCKET, &key_arn);
    let table = baseline(moto, &hub, &verify).await;
    assert_eq!(table.code, 0, "a clean baseline exits 0");
    assert!(table.stdout.contains("no drift"), "{}", table.stdout);
    let json_args = [&verify[..], &["--json"]].concat();
    let clean = baseline(moto, &hub, &json_args).await;
    assert_eq!(clean.code, 0);
    assert_eq!(not_ok(&clean), Vec::<(String, String)>::new());
    let checked: Vec<String> = findings(&clean)
        .iter()
        .map(|f| text(&f["resource"]))
        .collect();
    for owner in [
        "ConfigSetup",
        "SecurityHub",
        "SecurityHubStandards",
        "LogsKey",
        "(not in template)",
    ] {
        assert!(
            checked.iter().any(|r| r == owner),
            "{owner} not checked: {checked:?}"
        );
    }
    let shield = findings(&clean)
        .into_iter()
        .find(|f| f["check"] == "Shield Advanced")
        .expect("Shield reported");
    assert_eq!(
        (text(&shield["found"]), text(&shield["status"])),
        ("not subscribed".into(), "info".into())
    );

    // Drift: the recorder stopped, a recording Failure since, the key's rotation off.
    stop_recorder(moto).await;
    let error = (
        "NoSuchBucketException",
        "The specified bucket does not exist.",
    );
    moto.set_recorder_status("default", "Failure", Some(error), SystemTime::now())
        .await;
    kms.disable_key_rotation()
        .key_id(&key.key_id)
        .send()
        .await
        .expect("DisableKeyRotation");
    let drifted = baseline(moto, &hub, &json_args).await;
    assert_eq!(drifted.code, 1, "drift exits 1");
    let owned = |resource: &str, check: &str| (resource.to_owned(), check.to_owned());
    assert_eq!(
        not_ok(&drifted),
        [
            owned("ConfigSetup", "recording"),
            owned("ConfigSetup", "last status"),
            owned("LogsKey", "rotation")
        ]
    );
    let table = baseline(moto, &hub, &verify).await;
    assert_eq!(table.code, 1);
    assert!(
        table.stdout.contains(
            "DRIFT: recording of ConfigSetup in us-east-1: expected recording, found stopped"
        ),
        "{}",
        table.stdout
    );

    for stack in stacks.iter_mut().rev() {
        stack.delete().await.assert_success();
    }
}
