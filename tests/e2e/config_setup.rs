//! `Custom::ConfigSetup` end to end: the debug binary against moto's Config, IAM and SSM.
//!
//! moto keeps one recorder per region for the whole test process: every test here holds
//! `harness::config_lock()` and starts from an empty Config set-up.

use std::time::Duration;

use aws_sdk_config::types::{
    ConfigRule, ConfigRuleState, ConfigurationRecorder, DeliveryChannel, Owner, Source,
};
use aws_sdk_config::Client;
use harness::cloudformation::baseline_managed_rules;
use harness::{config_lock, Binary, FaultProxy, Function, Moto, Stack};
use serde_json::{json, Value};
use tokio::sync::MutexGuard;

const BINARY: Binary = Binary::Debug("config-setup");
const BUCKET: &str = "config-delivery-e2e";

/// A started config-setup, moto's Config emptied, and the lock held.
pub(crate) struct World {
    pub function: Function,
    pub config: Client,
    pub iam: aws_sdk_iam::Client,
    _lock: MutexGuard<'static, ()>,
}

impl World {
    pub(crate) async fn start() -> Self {
        Self::start_with(&[]).await
    }

    pub(crate) async fn start_with(extra_env: &[(&str, String)]) -> Self {
        let lock = config_lock().await;
        let moto = Moto::shared();
        let sdk = moto.sdk_config().await;
        let config = Client::new(&sdk);
        moto.empty_config().await;
        moto.create_bucket(BUCKET).await;
        moto.create_bucket("hand-made-bucket").await;
        let ledger = harness::fresh_ledger();
        let mut env = vec![(ledger.0, ledger.1)];
        env.extend(extra_env.iter().cloned());
        let function = Function::start(BINARY, moto, &env).await;
        Self {
            function,
            config,
            iam: aws_sdk_iam::Client::new(&sdk),
            _lock: lock,
        }
    }

    pub(crate) fn stack(&self, name: &str) -> Stack<'_> {
        Stack::new(&self.function, name, "Custom::ConfigSetup", "ConfigSetup")
    }

    pub(crate) async fn recorder(&self) -> Option<ConfigurationRecorder> {
        let out = self
            .config
            .describe_configuration_recorders()
            .send()
            .await
            .unwrap();
        out.configuration_recorders
            .unwrap_or_default()
            .into_iter()
            .next()
    }

    /// Asserts that AWS Config has no recorder, no delivery channel and no rule (but
    /// those it is still deleting), saying `why` otherwise.
    pub(crate) async fn assert_config_empty(&self, why: &str) {
        assert!(self.recorder().await.is_none(), "a recorder: {why}");
        assert!(self.channel().await.is_none(), "a delivery channel: {why}");
        assert_eq!(self.rule_names().await, Vec::<String>::new(), "{why}");
    }

    pub(crate) async fn recording(&self, name: &str) -> bool {
        let out = self
            .config
            .describe_configuration_recorder_status()
            .configuration_recorder_names(name)
            .send()
            .await
            .unwrap();
        out.configuration_recorders_status
            .unwrap_or_default()
            .iter()
            .any(|s| s.recording)
    }

    pub(crate) async fn channel(&self) -> Option<DeliveryChannel> {
        let out = self
            .config
            .describe_delivery_channels()
            .send()
            .await
            .unwrap();
        out.delivery_channels.unwrap_or_default().into_iter().next()
    }

    /// The rules there and not being deleted, sorted.
    pub(crate) async fn rule_names(&self) -> Vec<String> {
        self.rules_where(|state| state != Some(&ConfigRuleState::Deleting))
            .await
    }

    /// The rules AWS Config is deleting (moto keeps them until
    /// `Moto::finish_rule_deletions`), sorted.
    pub(crate) async fn deleting_rule_names(&self) -> Vec<String> {
        self.rules_where(|state| state == Some(&ConfigRuleState::Deleting))
            .await
    }

    async fn rules_where(&self, keep: impl Fn(Option<&ConfigRuleState>) -> bool) -> Vec<String> {
        let out = self.config.describe_config_rules().send().await.unwrap();
        let mut names: Vec<String> = out
            .config_rules
            .unwrap_or_default()
            .into_iter()
            .filter(|r| keep(r.config_rule_state.as_ref()))
            .filter_map(|r| r.config_rule_name)
            .collect();
        names.sort();
        names
    }

    /// A recorder, channel and running recording made outside the stack (by hand).
    pub(crate) async fn existing_setup(&self, name: &str) {
        let role = "arn:aws:iam::123456789012:role/hand-made";
        Moto::shared()
            .start_recording(name, role, "hand-made-bucket")
            .await;
    }

    pub(crate) async fn existing_rule(&self, name: &str, identifier: &str) {
        self.config
            .put_config_rule()
            .config_rule(
                ConfigRule::builder()
                    .config_rule_name(name)
                    .source(
                        Source::builder()
                            .owner(Owner::Aws)
                            .source_identifier(identifier)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
}

fn properties(extra: Value) -> Value {
    let mut base = json!({"DeliveryBucketName": BUCKET});
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

#[tokio::test]
async fn a_fresh_create_with_six_rules_records_and_delete_removes_it_all() {
    let world = World::start().await;
    let mut stack = world.stack("fresh");
    let created = stack
        .assert_created(properties(
            json!({"ManagedRules": baseline_managed_rules()}),
        ))
        .await;
    assert_eq!(created.data("RecorderName"), Some("default"));
    assert_eq!(created.data("DeliveryChannelName"), Some("default"));
    assert_eq!(created.data("Recording"), Some("true"));
    assert_eq!(created.data("Adopted"), Some("false"));
    assert_eq!(
        created.data("RuleNames"),
        Some("s3-bucket-sse,cloudtrail-enabled,restricted-ssh,rds-storage-encrypted,vpc-default-sg-closed,root-mfa")
    );
    // Read back from the service.
    let recorder = world.recorder().await.expect("a recorder");
    assert_eq!(recorder.name.as_deref(), Some("default"));
    let group = recorder.recording_group.unwrap();
    assert!(group.all_supported && group.include_global_resource_types);
    assert_eq!(
        group
            .recording_strategy
            .and_then(|s| s.use_only)
            .map(|u| u.as_str().to_owned()),
        Some("ALL_SUPPORTED_RESOURCE_TYPES".to_owned())
    );
    assert!(world.recording("default").await);
    assert_eq!(
        world.channel().await.unwrap().s3_bucket_name.as_deref(),
        Some(BUCKET)
    );
    assert_eq!(world.rule_names().await.len(), 6);

    stack
        .delete()
        .await
        .assert_success()
        .assert_physical_id(created.physical_id());
    world.assert_config_empty("Delete removed it all").await;
    assert_eq!(
        world.deleting_rule_names().await.len(),
        6,
        "AWS Config deletes the rules in the background"
    );
    stack.delete().await.assert_success();
}

/// DeleteConfigRule: "Config sets the state of a rule to DELETING until the deletion is
/// complete ... If you make a PutConfigRule or DeleteConfigRule request for the rule,
/// you will receive a ResourceInUseException"; deleting "might take an hour or more".
/// moto is patched to keep a deleted rule DELETING until the harness finishes it. A
/// Delete asks for every deletion, does not wait for any, removes the recorder and
/// channel, and names the rules still deleting; delivered again (the first was cut off
/// after asking), it answers the same way without asking again.
#[tokio::test]
async fn delete_answers_success_while_aws_config_is_still_deleting_the_rules() {
    let world = World::start().await;
    let mut stack = world.stack("async-delete");
    stack
        .assert_created(properties(
            json!({"ManagedRules": baseline_managed_rules()}),
        ))
        .await;
    // One rule's deletion was asked for already (a first Delete Lambda cut off).
    world
        .config
        .delete_config_rule()
        .config_rule_name("root-mfa")
        .send()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let deleted = stack.delete().await;
    deleted.assert_success();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not held up by the deletions: {:?}",
        started.elapsed()
    );
    deleted.assert_reason_contains("AWS Config is still deleting rule(s) ");
    for name in ["root-mfa", "s3-bucket-sse", "vpc-default-sg-closed"] {
        deleted.assert_reason_contains(name);
    }
    assert_eq!(world.deleting_rule_names().await.len(), 6);
    world
        .assert_config_empty("the recorder and channel removed, the rules deleting")
        .await;
    // CloudFormation delivers the Delete again: the same answer, nothing left to do.
    stack.delete().await.assert_success();
    Moto::shared().finish_rule_deletions().await;
    assert!(world.deleting_rule_names().await.is_empty());
}

/// An Update that drops a rule answers while AWS Config still deletes it; an Update that
/// wants the name back waits (at most half its time), then answers
/// DEPENDENCY_NOT_READY naming the rule, before any change; once the deletion is done
/// (here while the next Update waits), the rule is made again.
#[tokio::test]
async fn a_rule_name_still_deleting_is_waited_for_then_dependency_not_ready() {
    let world = World::start().await;
    let mut stack = world.stack("re-add");
    let both = json!([{"Name": "cloudtrail-enabled", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"},
                      {"Name": "root-mfa", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"}]);
    let one = json!([{"Name": "root-mfa", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"}]);
    stack
        .assert_created(properties(json!({"ManagedRules": both})))
        .await;
    let dropped = stack.update(properties(json!({"ManagedRules": one}))).await;
    dropped.assert_success();
    dropped.assert_reason_contains("still deleting rule(s) cloudtrail-enabled");
    assert_eq!(world.deleting_rule_names().await, ["cloudtrail-enabled"]);

    stack.timeout = Duration::from_secs(12);
    let started = std::time::Instant::now();
    let refused = stack
        .update(properties(json!({"ManagedRules": both})))
        .await;
    refused.assert_failed("DEPENDENCY_NOT_READY");
    refused.assert_reason_contains("cloudtrail-enabled");
    refused.assert_reason_contains("up to an hour");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited at most half its time: {:?}",
        started.elapsed()
    );
    assert_eq!(world.deleting_rule_names().await, ["cloudtrail-enabled"]);

    stack.timeout = Duration::from_secs(30);
    let finisher = tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        Moto::shared().finish_rule_deletions().await;
    });
    let readded = stack
        .update(properties(json!({"ManagedRules": both})))
        .await;
    finisher.await.unwrap();
    readded.assert_success();
    assert_eq!(world.rule_names().await, ["cloudtrail-enabled", "root-mfa"]);
    stack.delete().await.assert_success();
}

#[tokio::test]
async fn without_a_role_arn_the_service_linked_role_is_created_and_used() {
    let world = World::start().await;
    let _ = world
        .iam
        .delete_service_linked_role()
        .role_name("AWSServiceRoleForConfig")
        .send()
        .await;
    let mut stack = world.stack("slr");
    stack.assert_created(properties(json!({}))).await;
    let role = world
        .iam
        .get_role()
        .role_name("AWSServiceRoleForConfig")
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    assert_eq!(
        world.recorder().await.unwrap().role_arn.as_deref(),
        Some(role.arn.as_str())
    );
    // A second resource finds the role already there.
    stack.delete().await.assert_success();
    world
        .stack("slr-again")
        .create(properties(json!({})))
        .await
        .assert_success();
}

#[tokio::test]
async fn an_existing_recorder_and_channel_are_adopted_and_left_recording() {
    let world = World::start().await;
    world.existing_setup("hand-made").await;
    let mut stack = world.stack("adopt");
    let created = stack
        .assert_created(properties(json!({"ManagedRules": [{"Name": "cloudtrail-enabled", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]})))
        .await;
    assert_eq!(created.data("RecorderName"), Some("hand-made"));
    assert_eq!(created.data("DeliveryChannelName"), Some("hand-made"));
    assert_eq!(created.data("Adopted"), Some("true"));
    // Brought to the requested settings.
    assert_eq!(
        world.channel().await.unwrap().s3_bucket_name.as_deref(),
        Some(BUCKET)
    );
    stack.delete().await.assert_success();
    assert!(
        world.recording("hand-made").await,
        "an adopted recorder is left recording"
    );
    assert!(world.channel().await.is_some());
    assert!(
        world.rule_names().await.is_empty(),
        "the rule it created is gone"
    );
}

/// ConfigurationRecorderStatus: lastStatus is "The status of the latest recording event
/// processed by the recorder". A hand-made recorder failed an hour ago (its channel
/// pointed at a bucket it could not write); the Create repoints the channel and must not
/// judge by that old Failure: it waits for a newer status (moto is told the next event
/// succeeded, 3 s into the wait) and answers by it. A Failure newer than the change is
/// NOT_ACTIVE.
#[tokio::test]
async fn a_recorder_failure_from_before_the_repair_is_history_not_the_answer() {
    let world = World::start().await;
    let moto = Moto::shared();
    world.existing_setup("hand-made").await;
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    let denied = Some(("AccessDenied", "Access Denied"));
    moto.set_recorder_status("hand-made", "Failure", denied, hour_ago)
        .await;
    let later = tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let now = std::time::SystemTime::now();
        Moto::shared()
            .set_recorder_status("hand-made", "Success", None, now)
            .await;
    });
    let mut stack = world.stack("stale-failure");
    let created = stack.create(properties(json!({}))).await;
    later.await.unwrap();
    created.assert_success();
    assert_eq!(
        world.channel().await.unwrap().s3_bucket_name.as_deref(),
        Some(BUCKET),
        "the channel was repointed"
    );

    // Failed again an hour ago; the Update changes the prefix, and the next event (after
    // the change) fails: that one is the present.
    moto.set_recorder_status("hand-made", "Failure", denied, hour_ago)
        .await;
    let failing = tokio::spawn(async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = std::time::SystemTime::now();
        Moto::shared()
            .set_recorder_status(
                "hand-made",
                "Failure",
                Some(("AccessDenied", "Access Denied")),
                now,
            )
            .await;
    });
    let updated = stack
        .update(properties(json!({"DeliveryKeyPrefix": "config"})))
        .await;
    failing.await.unwrap();
    updated.assert_failed("NOT_ACTIVE");
    updated.assert_reason_contains("last delivery failed: AccessDenied");
    stack.delete().await.assert_success();
}

/// `Tags` go on the rules this resource creates, beside its owner tag; an Update that
/// changes them retags what it created and removes the keys no longer named.
#[tokio::test]
async fn tags_go_on_what_it_creates_and_an_update_retags_it() {
    let world = World::start().await;
    let mut stack = world.stack("tagged");
    let rules = json!([{"Name": "trail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]);
    stack
        .assert_created(properties(
            json!({"ManagedRules": rules, "Tags": {"Team": "security", "Old": "x"}}),
        ))
        .await;
    let tags_of_trail = || async {
        let arn = world
            .config
            .describe_config_rules()
            .config_rule_names("trail")
            .send()
            .await
            .unwrap()
            .config_rules
            .unwrap()[0]
            .config_rule_arn
            .clone()
            .unwrap();
        let mut tags: Vec<(String, String)> = world
            .config
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap()
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
            .collect();
        tags.sort();
        tags
    };
    let keys = |tags: &[(String, String)]| tags.iter().map(|t| t.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        keys(&tags_of_trail().await),
        ["Old", "Team", "cfn-custom-resource-kit:owner"]
    );
    stack
        .update(properties(
            json!({"ManagedRules": rules, "Tags": {"Team": "platform"}}),
        ))
        .await
        .assert_success();
    let tags = tags_of_trail().await;
    assert_eq!(keys(&tags), ["Team", "cfn-custom-resource-kit:owner"]);
    assert!(
        tags.contains(&("Team".to_owned(), "platform".to_owned())),
        "{tags:?}"
    );
    stack.delete().await.assert_success();
}

#[tokio::test]
async fn existing_recorder_fail_answers_conflict_naming_it_and_its_delete_touches_nothing() {
    let world = World::start().await;
    world.existing_setup("hand-made").await;
    let mut stack = world.stack("fail-mode");
    let created = stack
        .create(properties(json!({"ExistingRecorder": "Fail"})))
        .await;
    created.assert_failed("CONFLICT");
    created.assert_reason_contains("\"hand-made\"");
    created.assert_reason_contains("done:");
    // The rollback Delete after the failed Create.
    stack.delete().await.assert_success();
    assert!(world.recording("hand-made").await);
    assert!(world.channel().await.is_some());
}

#[tokio::test]
async fn a_same_named_rule_that_existed_before_is_left_alone_on_delete() {
    let world = World::start().await;
    world
        .existing_rule("cloudtrail-enabled", "CLOUD_TRAIL_ENABLED")
        .await;
    let mut stack = world.stack("pre-rule");
    stack
        .assert_created(properties(
            json!({"ManagedRules": baseline_managed_rules()}),
        ))
        .await;
    stack.delete().await.assert_success();
    assert_eq!(
        world.rule_names().await,
        vec!["cloudtrail-enabled".to_owned()]
    );
}

#[tokio::test]
async fn an_update_adds_and_removes_rules_and_keeps_the_id() {
    let world = World::start().await;
    let mut stack = world.stack("update-rules");
    let first = json!([{"Name": "cloudtrail-enabled", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"},
                       {"Name": "root-mfa", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"}]);
    let created = stack
        .assert_created(properties(json!({"ManagedRules": first})))
        .await;
    let second = json!([{"Name": "root-mfa", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"},
                        {"Name": "restricted-ssh", "SourceIdentifier": "INCOMING_SSH_DISABLED"}]);
    let updated = stack
        .update(properties(json!({"ManagedRules": second})))
        .await;
    updated.assert_success();
    assert_eq!(updated.physical_id(), created.physical_id());
    assert_eq!(
        world.rule_names().await,
        vec!["restricted-ssh".to_owned(), "root-mfa".to_owned()]
    );
    assert_eq!(updated.data("RuleNames"), Some("root-mfa,restricted-ssh"));
}

#[tokio::test]
async fn a_rollback_update_restores_the_old_rules() {
    let world = World::start().await;
    let mut stack = world.stack("rollback");
    let before = properties(
        json!({"ManagedRules": [{"Name": "root-mfa", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"}]}),
    );
    stack.assert_created(before).await;
    // An Update the function refuses (RecorderName is create-only), then CloudFormation's
    // rollback Update (old and new swapped).
    let (failed, rolled_back) = stack
        .update_then_roll_back(properties(json!({"RecorderName": "renamed",
            "ManagedRules": [{"Name": "restricted-ssh", "SourceIdentifier": "INCOMING_SSH_DISABLED"}]})))
        .await;
    failed.assert_failed("INVALID_PROPERTIES");
    failed.assert_reason_contains("RecorderName");
    failed.assert_reason_contains("create-only");
    rolled_back.assert_success();
    assert_eq!(world.rule_names().await, vec!["root-mfa".to_owned()]);
    assert_eq!(
        world.recorder().await.unwrap().name.as_deref(),
        Some("default")
    );
}

#[tokio::test]
async fn a_duplicate_create_gets_the_same_answer_and_delete_twice_succeeds() {
    let world = World::start().await;
    let mut stack = world.stack("duplicate");
    let (first, second) = stack
        .create_delivered_twice(properties(
            json!({"ManagedRules": baseline_managed_rules()}),
        ))
        .await;
    first.assert_success();
    second.assert_success();
    assert_eq!(second.physical_id(), first.physical_id());
    assert_eq!(
        second.data("Adopted"),
        Some("false"),
        "a redelivered Create finds its own recorder"
    );
    stack.delete().await.assert_success();
    assert!(world.recorder().await.is_none());
    stack.delete().await.assert_success();
}

#[tokio::test]
async fn bad_properties_fail_naming_the_field_and_delete_after_succeeds() {
    let world = World::start().await;
    let mut stack = world.stack("bad");
    let created = stack
        .create(json!({"DeliveryBucketName": BUCKET, "RecordingStrategy": "Inclusion"}))
        .await;
    created
        .assert_failed("INVALID_PROPERTIES")
        .assert_reason_starts_with("[INVALID_PROPERTIES] ResourceTypes: ");
    stack.delete().await.assert_success();
    let missing = world.stack("missing").create(json!({})).await;
    missing.assert_failed("INVALID_PROPERTIES");
    missing.assert_reason_contains("DeliveryBucketName");
    assert!(world.recorder().await.is_none());
}

#[tokio::test]
async fn a_delivery_bucket_that_does_not_exist_is_not_found_before_any_change() {
    let world = World::start().await;
    let mut stack = world.stack("no-bucket");
    let created = stack
        .create(json!({"DeliveryBucketName": "no-such-bucket-e2e"}))
        .await;
    created.assert_failed("NOT_FOUND");
    created.assert_reason_contains("no-such-bucket-e2e");
    // The bucket's owner is checked before any change, and that finds it missing.
    created.assert_reason_contains("(s3:GetBucketLocation");
    created.assert_reason_contains(
        "pending: checking that account 123456789012 owns bucket no-such-bucket-e2e",
    );
    world.assert_config_empty("nothing was made").await;
    stack.delete().await.assert_success();
    assert!(world.recorder().await.is_none());
}

#[tokio::test]
async fn a_create_killed_after_the_recorder_exists_and_delivered_again_finishes_as_its_own() {
    let moto = Moto::shared();
    let proxy = FaultProxy::start(&moto.endpoint).await;
    proxy.stall("PutDeliveryChannel");
    let mut world =
        World::start_with(&[("AWS_ENDPOINT_URL_CONFIG_SERVICE", proxy.endpoint())]).await;
    let event = world
        .stack("killed")
        .request("Create", &properties(json!({})), None);
    let _lost = world.function.queue(event.clone(), Duration::from_secs(60));
    let started = std::time::Instant::now();
    while !proxy.saw("PutDeliveryChannel") {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the Create never reached PutDeliveryChannel"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        world.recorder().await.is_some(),
        "the recorder exists when Lambda kills the Create"
    );
    // Lambda kills the process at its timeout; the same request (same RequestId) is
    // delivered again to a fresh execution environment, and the service answers now.
    proxy.release("PutDeliveryChannel");
    world.function.restart().await;
    let mut stack = world.stack("killed");
    stack.stack_id = event["StackId"].as_str().unwrap().to_owned();
    let redelivered = stack.send(&event).await;
    redelivered.assert_success();
    assert_eq!(
        redelivered.data("Adopted"),
        Some("false"),
        "the recorder is this resource's own"
    );
    stack.physical_id = Some(redelivered.physical_id().to_owned());
    stack.properties = properties(json!({}));
    stack.delete().await.assert_success();
    assert!(
        world.recorder().await.is_none(),
        "Delete removed the recorder the killed Create made"
    );
}

/// The calls a fresh Create with six rules and its Delete make, counted at a proxy in
/// front of moto for every service (the README lists them next to the minimum).
#[tokio::test]
async fn a_fresh_create_and_its_delete_make_the_expected_aws_calls() {
    let moto = Moto::shared();
    let proxy = FaultProxy::start(&moto.endpoint).await;
    let world = World::start_with(&[("AWS_ENDPOINT_URL", proxy.endpoint())]).await;
    let mut stack = world.stack("calls");
    proxy.reset_calls();
    stack
        .assert_created(properties(
            json!({"ManagedRules": baseline_managed_rules()}),
        ))
        .await;
    let create = proxy.calls();
    proxy.reset_calls();
    stack.delete().await.assert_success();
    let delete = proxy.calls();
    let count = |calls: &[String], op: &str| calls.iter().filter(|c| *c == op).count();
    println!("Create calls ({}): {create:?}", create.len());
    println!("Delete calls ({}): {delete:?}", delete.len());
    // Create: one ledger read, one record write (recorder, channel and the six rules, before
    // any is created) and the singleton record's, one read of each kind (each new rule alone: a call naming a missing
    // rule answers NoSuchConfigRule), one put of each, one start (a new recorder's status
    // is not read first), six rule puts, and the read-backs (status, the rules together).
    assert_eq!(count(&create, "GetParameter"), 1);
    assert_eq!(count(&create, "PutParameter"), 2);
    assert_eq!(count(&create, "DescribeConfigurationRecorderStatus"), 1);
    assert_eq!(count(&create, "PutConfigurationRecorder"), 1);
    assert_eq!(count(&create, "PutDeliveryChannel"), 1);
    assert_eq!(count(&create, "StartConfigurationRecorder"), 1);
    assert_eq!(count(&create, "PutConfigRule"), 6);
    assert_eq!(count(&create, "DescribeConfigRules"), 7, "{create:?}");
    assert_eq!(
        count(&create, "GetBucketLocation"),
        1,
        "the bucket's owner checked"
    );
    assert_eq!(
        count(&create, "DescribeDeliveryChannels"),
        2,
        "the channel read back"
    );
    assert_eq!(create.len(), 25, "{create:?}");
    // Delete: the record and the singleton record (does it still name this resource?),
    // the six rules read together and their owner tags, six rule deletes (each waited
    // for), stop, channel, recorder, the record and the singleton record erased (no
    // per-rule ledger write: the whole record goes).
    assert_eq!(count(&delete, "GetParameter"), 2);
    assert_eq!(count(&delete, "ListTagsForResource"), 6);
    assert_eq!(count(&delete, "DeleteConfigRule"), 6);
    assert_eq!(count(&delete, "StopConfigurationRecorder"), 1);
    assert_eq!(count(&delete, "DeleteDeliveryChannel"), 1);
    assert_eq!(count(&delete, "DeleteConfigurationRecorder"), 1);
    assert_eq!(count(&delete, "DeleteParameter"), 2);
    assert!(delete.len() <= 26, "{} calls: {delete:?}", delete.len());
}

/// Refused before any change, where AWS would refuse the recorder (moto is patched to,
/// for the override list) or silently record otherwise than asked (global types under
/// Exclusion).
#[tokio::test]
async fn recording_settings_aws_refuses_or_ignores_are_invalid_before_any_change() {
    let world = World::start().await;
    for (properties, field) in [
        (
            json!({"RecordingFrequencyOverrides": [
                {"ResourceTypes": ["AWS::S3::Bucket"], "RecordingFrequency": "DAILY"},
                {"ResourceTypes": ["AWS::EC2::VPC"], "RecordingFrequency": "DAILY"}
            ]}),
            "RecordingFrequencyOverrides: at most one override",
        ),
        (
            json!({"RecordingFrequencyOverrides": [
                {"ResourceTypes": ["AWS::Config::ResourceCompliance"], "RecordingFrequency": "DAILY"}
            ]}),
            "RecordingFrequencyOverrides[0].ResourceTypes[0]: cannot be recorded DAILY",
        ),
        (
            json!({"RecordingStrategy": "Exclusion", "ResourceTypes": ["AWS::S3::Bucket"], "IncludeGlobalResourceTypes": false}),
            "IncludeGlobalResourceTypes: has no effect with RecordingStrategy Exclusion",
        ),
    ] {
        let mut stack = world.stack("recording-settings");
        let created = stack.create(self::properties(properties)).await;
        created.assert_failed("INVALID_PROPERTIES");
        created.assert_reason_contains(field);
        world.assert_config_empty("nothing was made").await;
        stack.delete().await.assert_success();
    }
}

/// The longest names CloudFormation allows (a 128-character stack name, a 255-character
/// logical id) still make an owner tag moto and AWS accept (256 characters at most).
#[tokio::test]
async fn the_longest_stack_and_logical_names_still_tag_their_rules() {
    let world = World::start().await;
    let mut stack = Stack::new(
        &world.function,
        &"s".repeat(128),
        "Custom::ConfigSetup",
        &"L".repeat(255),
    );
    stack
        .assert_created(properties(
            json!({"ManagedRules": [{"Name": "trail", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"}]}),
        ))
        .await;
    assert_eq!(world.rule_names().await, ["trail"]);
    stack.delete().await.assert_success();
    assert!(
        world.rule_names().await.is_empty(),
        "its own tag recognised on Delete"
    );
}

/// PutDeliveryChannel keeps a topic the request leaves out (moto is patched to, as the
/// API reference said): an Update removing the topic cannot clear it in place, and the
/// channel read back says so instead of answering SUCCESS over a channel that differs.
#[tokio::test]
async fn a_channel_setting_that_cannot_be_cleared_in_place_is_reported_not_hidden() {
    let world = World::start().await;
    let topic = "arn:aws:sns:us-east-1:123456789012:config-changes";
    let mut stack = world.stack("channel-topic");
    stack
        .assert_created(properties(json!({"DeliverySnsTopicArn": topic})))
        .await;
    let updated = stack.update(properties(json!({}))).await;
    updated.assert_failed("NOT_ACTIVE");
    updated.assert_reason_contains("differs from the properties in DeliverySnsTopicArn");
    assert_eq!(
        world.channel().await.unwrap().sns_topic_arn.as_deref(),
        Some(topic),
        "the topic is still there, as the answer says"
    );
    stack.delete().await.assert_success();
}
