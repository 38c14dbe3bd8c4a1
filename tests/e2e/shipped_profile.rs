//! The binaries as they ship (`cargo lambda build --release`): same profile, same answers.

use harness::{Binary, Function, Moto, Stack};
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
    let function = Function::start(Binary::Shipped("panic-probe"), Moto::shared(), &[]).await;
    let mut stack = Stack::new(&function, "panic", "Custom::PanicProbe", "Probe");
    let created = stack.create(json!({})).await;
    created.assert_failed("INTERNAL");
    assert_eq!(
        created.reason(),
        "[INTERNAL] the handler panicked: deliberate panic from panic-probe"
    );
    // The process survived the panic and serves the next request.
    stack.delete().await.assert_failed("INTERNAL");
}
