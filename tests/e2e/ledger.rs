//! The ownership ledger against moto's SSM: written, read back, released, erased.

use std::time::Duration;

use aws_sdk_ssm::Client;
use cfn_custom_resource_kit::{Ledger, Ownership, RequestContext, RequestType};
use harness::Moto;
use tokio::time::Instant;

fn context(request_type: RequestType, physical_id: Option<&str>) -> RequestContext {
    RequestContext::for_tests_of(
        request_type,
        physical_id,
        Instant::now() + Duration::from_secs(30),
    )
}

/// A ledger in moto's SSM under a prefix of its own (`/e2e-<name>-<pid>`), that SSM
/// client, and the prefix.
async fn ledger_in_ssm(name: &str) -> (Ledger, Client, String) {
    let ssm = Client::new(&Moto::shared().sdk_config().await);
    let prefix = format!("/e2e-{name}-{}", std::process::id());
    (Ledger::with_prefix(ssm.clone(), &prefix), ssm, prefix)
}

#[tokio::test]
async fn the_ledger_survives_from_create_to_delete_in_ssm() {
    let (ledger, ssm, prefix) = ledger_in_ssm("ledger").await;
    let create = context(RequestType::Create, None);
    let mut owned = ledger.read(&create).await.unwrap();
    assert!(owned.is_empty());
    ledger
        .claim_all(
            &create,
            &mut owned,
            &[("recorder", "default"), ("rule", "r1")],
        )
        .await
        .unwrap();

    let name = ledger.parameter_name(&create);
    assert!(
        name.starts_with(&format!("{prefix}/resource/test-TestResource-")),
        "{name}"
    );
    let stored = ssm.get_parameter().name(&name).send().await.unwrap();
    let value: serde_json::Value =
        serde_json::from_str(stored.parameter.unwrap().value.as_deref().unwrap()).unwrap();
    assert_eq!(value["owned"]["recorder"], serde_json::json!(["default"]));
    assert_eq!(value["logicalResourceId"], "TestResource");

    // A redelivered Create, an Update and a Delete with the id the Create answered all find it.
    let physical_id = create.physical_id().to_owned();
    for later in [
        context(RequestType::Create, None),
        context(RequestType::Update, Some(&physical_id)),
        context(RequestType::Delete, Some(&physical_id)),
    ] {
        let read = ledger.read(&later).await.unwrap();
        assert!(read.owns("recorder", "default") && read.owns("rule", "r1"));
    }
    let delete = context(RequestType::Delete, Some(&physical_id));
    ledger
        .release_all(&delete, &mut owned, &[("rule", "r1")])
        .await
        .unwrap();
    assert_eq!(
        ledger.read(&delete).await.unwrap().owned("rule"),
        Vec::<String>::new()
    );
    ledger.erase(&delete, &owned).await.unwrap();
    ledger.erase(&delete, &owned).await.unwrap();
    assert!(ledger.read(&delete).await.unwrap().is_empty());
    assert!(ssm.get_parameter().name(&name).send().await.is_err());
}

/// moto's SSM refuses a second create of the same parameter without `Overwrite`
/// (`ParameterAlreadyExists`), as SSM does: the singleton record has one holder.
#[tokio::test]
async fn an_account_wide_singleton_has_one_holder_in_ssm() {
    let (ledger, ssm, prefix) = ledger_in_ssm("singleton").await;
    let first = context(RequestType::Create, None);
    let second = context(RequestType::Update, Some("second-resource-id"));
    let (ours, first_owned) = claim_hub(&ledger, &first, ledger.read(&first).await.unwrap()).await;
    assert!(ours);
    // A redelivery of the first is still the holder; the second adopts.
    let (ours, first_owned) = claim_hub(&ledger, &first, first_owned).await;
    assert!(ours);
    let (ours, second_owned) =
        claim_hub(&ledger, &second, ledger.read(&second).await.unwrap()).await;
    assert!(!ours);
    assert!(!ledger.read(&second).await.unwrap().owns("hub", "default"));
    let holder = ssm
        .get_parameter()
        .name(format!("{prefix}/singleton/hub"))
        .send()
        .await
        .unwrap();
    let holder = holder.parameter.unwrap().value.unwrap();
    assert!(holder.contains(first.physical_id()), "{holder}");
    // The holder's final Delete frees it for the next claimer.
    ledger.erase(&first, &first_owned).await.unwrap();
    let (ours, taken) = claim_hub(&ledger, &second, second_owned).await;
    assert!(ours);
    ledger.erase(&second, &taken).await.unwrap();
}

/// Claims the hub singleton for `context`: whether it holds it, and its record after.
async fn claim_hub(
    ledger: &Ledger,
    context: &RequestContext,
    mut owned: Ownership,
) -> (bool, Ownership) {
    let ours = ledger
        .claim_singleton(context, &mut owned, "hub", &[("hub", "default")], &[])
        .await
        .unwrap();
    (ours, owned)
}
