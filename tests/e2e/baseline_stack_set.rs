//! `baseline deploy --stack-set` end to end against moto with an organization (moto
//! creates no stack-set instances for OUs without one): a caveat refusing before anything
//! is created, a new service-managed stack set rolled out to an OU's two accounts in two
//! regions (a result per account and region), then an update that adds a region. moto
//! runs no custom resource and every operation succeeds at once; a failed result with a
//! custom resource's reason is the CLI's unit test, on `aws-smithy-mocks`.

use std::path::{Path, PathBuf};

use harness::{run_baseline, Moto, Ran};
use serde_json::{json, Value};

/// A small template without a transform: a parameter the caveats read, and a topic.
const TEMPLATE: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": {
    "GlobalResourceTypesRegion": {"Type": "String", "Default": ""},
    "EnableSecurityHub": {"Type": "String", "Default": "true"}
  },
  "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}
}"#;

/// One call to moto's Organizations (JSON 1.1; moto reads the service from the scope of
/// an Authorization header it does not verify).
async fn organizations(moto: &Moto, action: &str, body: Value) -> Value {
    let scope = "Credential=testing/20261130/us-east-1/organizations/aws4_request";
    let response = reqwest::Client::new()
        .post(&moto.endpoint)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "X-Amz-Target",
            format!("AWSOrganizationsV20161128.{action}"),
        )
        .header(
            "Authorization",
            format!("AWS4-HMAC-SHA256 {scope}, SignedHeaders=host, Signature=0"),
        )
        .body(body.to_string())
        .send()
        .await
        .expect("Organizations call");
    let text = response.text().await.expect("Organizations answer");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{action}: {text}"))
}

/// An OU under the organization's root holding two new accounts: its id and theirs.
async fn ou_with_two_accounts(moto: &Moto) -> (String, Vec<String>) {
    // The shared moto may hold the organization already; its root is the same either way.
    organizations(moto, "CreateOrganization", json!({"FeatureSet": "ALL"})).await;
    let roots = organizations(moto, "ListRoots", json!({})).await;
    let root = roots["Roots"][0]["Id"].as_str().expect("a root").to_owned();
    let name = format!("baseline-{}", std::process::id());
    let ou = organizations(
        moto,
        "CreateOrganizationalUnit",
        json!({"ParentId": root, "Name": name}),
    )
    .await;
    let ou = ou["OrganizationalUnit"]["Id"]
        .as_str()
        .expect("an OU")
        .to_owned();
    let mut accounts = Vec::new();
    for n in 1..=2 {
        let created = organizations(
            moto,
            "CreateAccount",
            json!({"Email": format!("{name}-{n}@example.com"), "AccountName": format!("{name}-{n}")}),
        )
        .await;
        let account = created["CreateAccountStatus"]["AccountId"]
            .as_str()
            .expect("an account id")
            .to_owned();
        organizations(
            moto,
            "MoveAccount",
            json!({"AccountId": account, "SourceParentId": root, "DestinationParentId": ou}),
        )
        .await;
        accounts.push(account);
    }
    (ou, accounts)
}

fn work_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baseline-stack-set-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("work dir");
    std::fs::write(dir.join("stackset.json"), TEMPLATE).unwrap();
    dir
}

async fn deploy(moto: &Moto, dir: &Path, args: &[&str]) -> Ran {
    let mut all = vec![
        "deploy",
        "--poll-seconds",
        "1",
        "--template-file",
        "stackset.json",
        "--stack-set",
        "baseline-stack-set-e2e",
    ];
    all.extend_from_slice(args);
    run_baseline(moto, dir, &[], &all).await
}

/// The OU and the regions deployed to.
fn targets<'a>(ou: &'a str, regions: &'a str) -> [&'a str; 4] {
    ["--org-units", ou, "--regions", regions]
}

fn audit(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("baseline-deploy.audit.jsonl")).expect("audit");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[tokio::test]
async fn baseline_deploy_stack_set_refuses_a_caveat_then_rolls_out_to_an_ou_then_adds_a_region() {
    let moto = Moto::shared();
    let dir = work_dir();
    let (ou, accounts) = ou_with_two_accounts(moto).await;
    let two = targets(&ou, "us-east-1,eu-west-1");

    let refused = deploy(moto, &dir, &[&two[..], &["--yes"]].concat()).await;
    assert_eq!(refused.code, 7, "no single GlobalResourceTypesRegion");
    refused.shows("caveat: global resource types once per account");
    refused.shows("note: Security Hub administrator and members");

    let home = [
        "--parameter-overrides",
        "GlobalResourceTypesRegion=us-east-1",
    ];
    let created = deploy(moto, &dir, &[&two[..], &home, &["--yes"]].concat()).await;
    assert_eq!(created.code, 0, "deployed");
    created.shows("(new, service-managed, automatic deployment)");
    created.shows("(CREATE) SUCCEEDED: 4 accounts and regions, 0 failed or cancelled");
    for account in &accounts {
        for region in ["us-east-1", "eu-west-1"] {
            created.shows(&format!("{account}  {region:<9}  SUCCEEDED"));
        }
    }
    assert!(created.stdout.ends_with("deployed (exit 0)\n"));

    let three = targets(&ou, "us-east-1,eu-west-1,eu-central-1");
    let not_approved = deploy(moto, &dir, &three).await;
    assert_eq!(not_approved.code, 7, "no --yes off a terminal");
    not_approved.shows("not updated (no --yes and not a terminal)");
    let updated = deploy(moto, &dir, &[&three[..], &["--yes"]].concat()).await;
    assert_eq!(updated.code, 0);
    updated.shows("(update, service-managed");
    updated.shows("GlobalResourceTypesRegion=(previous value)");
    updated.shows("(UPDATE) SUCCEEDED");
    for account in &accounts {
        updated.shows(&format!("{account}  eu-central-1  SUCCEEDED"));
    }

    let lines = audit(&dir);
    let outcomes: Vec<&Value> = lines
        .iter()
        .filter(|l| l["record"] == "outcome")
        .map(|l| &l["exit_code"])
        .collect();
    assert_eq!(outcomes, [7, 0, 7, 0], "one outcome per run, appended");
    let operations = lines.iter().filter(|l| l["record"] == "operation");
    let results: Vec<usize> = operations
        .map(|l| l["results"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(results.first(), Some(&4), "{results:?}");
    assert!(lines.iter().all(|l| l["stack"] == "baseline-stack-set-e2e"));
    let _ = std::fs::remove_dir_all(&dir);
}
