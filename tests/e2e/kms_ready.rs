//! `Custom::KmsReady` end to end: the debug binary against moto's KMS.

use std::time::Duration;

use aws_sdk_kms::Client;
use harness::{key_policy_allowing, Binary, Function, Moto, Stack};
use serde_json::json;
use tokio::time::Instant;

const BINARY: Binary = Binary::Debug("kms-ready");

/// A started kms-ready and a KMS client on moto for set-up.
pub(crate) struct World {
    pub function: Function,
    pub kms: Client,
}

impl World {
    pub(crate) async fn start(binary: Binary, extra_env: &[(&str, String)]) -> Self {
        let moto = Moto::shared();
        let function = Function::start(binary, moto, extra_env).await;
        let kms = Client::new(&moto.sdk_config().await);
        Self { function, kms }
    }

    pub(crate) fn stack(&self, name: &str) -> Stack<'_> {
        Stack::new(&self.function, name, "Custom::KmsReady", "KeyReady")
    }

    /// A new Enabled key (optionally with a key policy); returns (key id, ARN).
    pub(crate) async fn key(&self, policy: Option<String>) -> (String, String) {
        let metadata = self
            .kms
            .create_key()
            .description("e2e")
            .set_policy(policy)
            .send()
            .await
            .expect("moto CreateKey")
            .key_metadata
            .expect("metadata");
        (metadata.key_id, metadata.arn.expect("arn"))
    }

    /// A new key, disabled; returns its id.
    pub(crate) async fn disabled_key(&self) -> String {
        let (key_id, _) = self.key(None).await;
        self.kms
            .disable_key()
            .key_id(&key_id)
            .send()
            .await
            .expect("moto DisableKey");
        key_id
    }

    /// Creates a key and a stack `name` whose resource waits for it; asserts that the
    /// Create answers SUCCESS with the key's ARN. Returns the stack, for what follows.
    pub(crate) async fn assert_a_new_key_is_ready(&self, name: &str) -> Stack<'_> {
        let (key_id, arn) = self.key(None).await;
        let mut stack = self.stack(name);
        let created = stack.assert_created(json!({"KeyId": key_id})).await;
        assert_eq!(created.data("KeyArn"), Some(arn.as_str()));
        stack
    }

    pub(crate) async fn alias(&self, name: &str, key_id: &str) {
        self.kms
            .create_alias()
            .alias_name(name)
            .target_key_id(key_id)
            .send()
            .await
            .expect("moto CreateAlias");
    }

    /// Asserts that `key_id` is in `state` (`Enabled`, `Disabled`, ...), saying `why`.
    pub(crate) async fn assert_key_state(&self, key_id: &str, state: &str, why: &str) {
        let metadata = self
            .kms
            .describe_key()
            .key_id(key_id)
            .send()
            .await
            .expect("moto DescribeKey")
            .key_metadata
            .expect("metadata");
        assert_eq!(metadata.key_state.unwrap().as_str(), state, "{why}");
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn an_enabled_key_goes_through_create_update_and_delete() {
    let world = World::start(BINARY, &[]).await;
    let (key_id, arn) = world.key(None).await;
    let mut stack = world.stack("lifecycle");

    let created = stack.assert_created(json!({"KeyId": key_id})).await;
    assert_eq!(created.puts.len(), 1, "exactly one response");
    assert_eq!(created.data("KeyArn"), Some(arn.as_str()));
    assert_eq!(created.data("KeyId"), Some(key_id.as_str()));
    assert_eq!(created.data("KeyState"), Some("Enabled"));
    assert!(
        created.physical_id().starts_with("lifecycle-KeyReady-"),
        "{}",
        created.physical_id()
    );
    let id = created.physical_id().to_owned();

    let updated = stack
        .update(json!({"KeyId": arn, "MaxWaitSeconds": "60"}))
        .await;
    updated.assert_success();
    assert_eq!(
        updated.physical_id(),
        id,
        "an Update keeps the PhysicalResourceId"
    );

    stack
        .delete()
        .await
        .assert_success()
        .assert_physical_id(&id);
    world
        .assert_key_state(&key_id, "Enabled", "Delete leaves the key alone")
        .await;
}

#[tokio::test]
async fn alias_names_and_alias_arns_resolve_to_the_key() {
    let world = World::start(BINARY, &[]).await;
    let (key_id, arn) = world.key(None).await;
    let alias = format!("alias/{}", unique("e2e"));
    world.alias(&alias, &key_id).await;
    let alias_arn = format!("arn:aws:kms:us-east-1:123456789012:{alias}");
    for key in [alias.clone(), alias_arn] {
        let mut stack = world.stack("alias");
        let created = stack.assert_created(json!({"KeyId": key})).await;
        assert_eq!(created.data("KeyArn"), Some(arn.as_str()), "{key}");
    }
}

#[tokio::test]
async fn a_disabled_key_fails_at_once_with_not_active() {
    let world = World::start(BINARY, &[]).await;
    let key_id = world.disabled_key().await;
    let mut stack = world.stack("disabled");
    let started = Instant::now();
    let created = stack
        .assert_create_fails(json!({"KeyId": key_id}), "NOT_ACTIVE", "is Disabled")
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a terminal state is not waited on"
    );
    assert!(created.data("KeyArn").is_none());
}

#[tokio::test]
async fn a_key_pending_deletion_fails_with_not_active() {
    let world = World::start(BINARY, &[]).await;
    let (key_id, _) = world.key(None).await;
    world
        .kms
        .schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    world
        .stack("pending")
        .assert_create_fails(json!({"KeyId": key_id}), "NOT_ACTIVE", "is PendingDeletion")
        .await;
}

#[tokio::test]
async fn a_missing_key_is_not_found_after_max_wait_seconds() {
    let world = World::start(BINARY, &[]).await;
    let started = Instant::now();
    world
        .stack("missing")
        .assert_create_fails(
            json!({"KeyId": "alias/does-not-exist", "MaxWaitSeconds": "2"}),
            "NOT_FOUND",
            "(kms:DescribeKey",
        )
        .await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "not-yet-found is retried for MaxWaitSeconds"
    );
}

#[tokio::test]
async fn the_deadline_sends_timeout_before_lambda_gives_up() {
    let world = World::start(BINARY, &[]).await;
    let mut stack = world.stack("deadline");
    stack.timeout = Duration::from_secs(5);
    let started = Instant::now();
    let created = stack
        .create(json!({"KeyId": "alias/never-created", "MaxWaitSeconds": 300}))
        .await;
    // What was pending, and the last error quoted.
    created
        .assert_failed("TIMEOUT")
        .assert_reason_contains("pending: waiting for key alias/never-created")
        .assert_reason_contains("waiting for key alias/never-created to be Enabled")
        .assert_reason_contains("NOT_FOUND");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered before the Lambda deadline"
    );
}

#[tokio::test]
async fn required_service_principals_are_checked_in_the_key_policy() {
    let world = World::start(BINARY, &[]).await;
    let policy = key_policy_allowing("logs.us-east-1.amazonaws.com");
    let (key_id, _) = world.key(Some(policy)).await;
    world
        .stack("policy-ok")
        .create(
            json!({"KeyId": key_id, "RequiredServicePrincipals": ["logs.us-east-1.amazonaws.com"]}),
        )
        .await
        .assert_success();
    world
        .stack("policy-missing")
        .assert_create_fails(
            json!({"KeyId": key_id, "RequiredServicePrincipals": ["logs.us-east-1.amazonaws.com", "config.amazonaws.com"]}),
            "NOT_ACTIVE",
            "config.amazonaws.com: no Allow gives it kms:Decrypt, kms:GenerateDataKey (AWS Config needs",
        )
        .await;
}

/// What a service needs depends on the service: CloudTrail's documented key policy
/// gives it only kms:GenerateDataKey* and kms:DescribeKey ("CloudTrail requires the
/// ability to describe the properties of the KMS key"), which is enough for CloudTrail.
#[tokio::test]
async fn cloudtrails_documented_key_policy_is_usable_by_cloudtrail() {
    let world = World::start(BINARY, &[]).await;
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "kms:GenerateDataKey*", "Resource": "*",
         "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:123456789012:trail/*"}}},
        {"Sid": "Allow CloudTrail to describe key", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "kms:DescribeKey", "Resource": "*"}
    ]});
    let (key_id, _) = world.key(Some(policy.to_string())).await;
    world
        .stack("cloudtrail-key")
        .create(json!({"KeyId": key_id, "RequiredServicePrincipals": ["cloudtrail.amazonaws.com"]}))
        .await
        .assert_success();
}

/// A Deny outside the organization also denies every service principal (it carries no
/// aws:PrincipalOrgID, and a negated operator on an absent key is true): reported.
#[tokio::test]
async fn a_deny_outside_the_organization_is_reported_for_the_service() {
    let world = World::start(BINARY, &[]).await;
    let mut policy: serde_json::Value =
        serde_json::from_str(&key_policy_allowing("logs.us-east-1.amazonaws.com")).unwrap();
    policy["Statement"].as_array_mut().unwrap().push(json!(
        {"Sid": "OrganizationOnly", "Effect": "Deny", "Principal": "*",
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    ));
    let (key_id, _) = world.key(Some(policy.to_string())).await;
    let refused = world
        .stack("org-deny")
        .assert_create_fails(
            json!({"KeyId": key_id, "RequiredServicePrincipals": ["logs.us-east-1.amazonaws.com"]}),
            "NOT_ACTIVE",
            "statement \"OrganizationOnly\" denies",
        )
        .await;
    refused.assert_reason_contains("aws:PrincipalOrgID");
}

/// GetKeyPolicy: "Cross-account use: No." For another account's key the answer says
/// what was checked and what could not be, instead of an unexplained access error.
#[tokio::test]
async fn another_accounts_key_says_which_checks_were_possible() {
    let world = World::start(BINARY, &[]).await;
    let other = aws_sdk_kms::Client::new(&Moto::shared().sdk_config_as("210987654321").await);
    let key = other.create_key().send().await.unwrap();
    let arn = key.key_metadata.unwrap().arn.unwrap();
    assert!(arn.contains(":210987654321:key/"), "{arn}");
    let refused = world
        .stack("cross-account-key")
        .assert_create_fails(
            json!({"KeyId": arn, "RequiredServicePrincipals": ["logs.us-east-1.amazonaws.com"]}),
            "UNSUPPORTED",
            "belongs to account 210987654321: checked that it is Enabled",
        )
        .await;
    refused.assert_reason_contains("GetKeyPolicy works only in the key's own account");
    world
        .stack("cross-account-state")
        .create(json!({"KeyId": arn}))
        .await
        .assert_success();
}

#[tokio::test]
async fn a_duplicate_delivery_gets_the_same_answer() {
    let world = World::start(BINARY, &[]).await;
    let (key_id, _) = world.key(None).await;
    let (first, _) = world
        .stack("duplicate")
        .create_delivered_twice(json!({"KeyId": key_id}))
        .await;
    first.assert_success();
}

#[tokio::test]
async fn delete_after_a_failed_create_succeeds_with_the_failed_id() {
    let world = World::start(BINARY, &[]).await;
    let key_id = world.disabled_key().await;
    let mut stack = world.stack("failed-create");
    let created = stack.create(json!({"KeyId": key_id})).await;
    created.assert_failed("NOT_ACTIVE");
    let failed_id = created.physical_id().to_owned();
    assert!(!failed_id.is_empty());
    stack
        .delete()
        .await
        .assert_success()
        .assert_physical_id(&failed_id);
    world
        .assert_key_state(&key_id, "Disabled", "Delete touched nothing")
        .await;
}

#[tokio::test]
async fn a_failed_update_rolls_back_to_the_old_key() {
    let world = World::start(BINARY, &[]).await;
    let (good, _) = world.key(None).await;
    let bad = world.disabled_key().await;
    let mut stack = world.stack("rollback");
    let created = stack.assert_created(json!({"KeyId": good})).await;
    let (failed, rollback) = stack.update_then_roll_back(json!({"KeyId": bad})).await;
    failed.assert_failed("NOT_ACTIVE");
    assert_eq!(
        failed.physical_id(),
        created.physical_id(),
        "a failed Update reports the existing id"
    );
    rollback
        .assert_success()
        .assert_physical_id(created.physical_id());
    stack.delete().await.assert_success();
}

/// The SDK client is built when the first invocation arrives, not before the first poll
/// (Lambda's init phase): building it parses the SDK crate's partition table, which the
/// SDK logs at DEBUG as "loading default partitions".
#[tokio::test]
async fn the_sdk_client_is_built_after_the_first_poll() {
    const BUILT: &str = "loading default partitions";
    let world = World::start(BINARY, &[("RUST_LOG", "debug".into())]).await;
    let waiting = Instant::now();
    while world.function.first_poll().is_none() {
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "no poll\n{}",
            world.function.output()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Time for anything the process still did before waiting on the poll to be logged.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = world.function.output();
    assert!(
        !before.contains(BUILT),
        "an SDK client was built before the first poll:\n{before}"
    );

    world.assert_a_new_key_is_ready("lazy").await;
    assert!(
        world.function.output().contains(BUILT),
        "the first invocation builds the client (else this test proves nothing)"
    );
}

/// "You cannot use an asymmetric KMS key to encrypt data keys": an Enabled asymmetric
/// key is no key a service can use, and the answer says which spec and usage it has.
#[tokio::test]
async fn an_enabled_asymmetric_key_is_not_active_naming_its_spec() {
    let world = World::start(BINARY, &[]).await;
    let metadata = world
        .kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .expect("moto CreateKey")
        .key_metadata
        .expect("metadata");
    world
        .stack("asymmetric")
        .assert_create_fails(
            json!({"KeyId": metadata.key_id}),
            "NOT_ACTIVE",
            "ECC_NIST_P256 key for SIGN_VERIFY",
        )
        .await;
}

/// Each answer writes one metric record in the embedded metric format on its own line
/// of standard output: its function, request type, status, reason code, duration and
/// AWS calls, as CloudWatch Logs reads it.
#[tokio::test]
async fn every_answer_writes_one_embedded_metric_record() {
    let world = World::start(BINARY, &[]).await;
    let mut ready = world.assert_a_new_key_is_ready("metrics-ok").await;
    let disabled = world.disabled_key().await;
    world
        .stack("metrics-failed")
        .create(json!({"KeyId": disabled}))
        .await
        .assert_failed("NOT_ACTIVE");
    ready.delete().await.assert_success();
    let records = world.function.metric_records(3).await;
    let summary: Vec<(String, String, String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["RequestType"].as_str().unwrap().to_owned(),
                r["Status"].as_str().unwrap().to_owned(),
                r["ReasonCode"].as_str().unwrap().to_owned(),
                r["AwsCalls"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Create".into(), "SUCCESS".into(), "NONE".into(), 1),
            ("Create".into(), "FAILED".into(), "NOT_ACTIVE".into(), 1),
            ("Delete".into(), "SUCCESS".into(), "NONE".into(), 0),
        ],
        "{records:#?}"
    );
    // `cargo test ... -- --nocapture` shows one as CloudWatch Logs receives it.
    eprintln!("{}", records[1]);
    for record in &records {
        assert_eq!(record["Function"], "under-test");
        assert_eq!(record["ResourceType"], "Custom::KmsReady");
        assert_eq!(record["Answers"], 1);
        assert!(record["Duration"].is_u64());
        let directive = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "CfnCustomResourceKit");
        assert_eq!(directive["Dimensions"][0], json!(["Function", "Status"]));
    }
}
