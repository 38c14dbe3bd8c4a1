//! `baseline deploy` end to end against moto's CloudFormation: the change-set and stack
//! flow (create, nothing to do, an update's Modify, refused off a terminal, a role in
//! another account, a template too large). moto records only the stack's own events and
//! runs no custom resource; the live events of a failed custom resource and the root
//! cause are the CLI's unit tests, on a recorded real event stream.

use std::path::{Path, PathBuf};

use harness::{run_baseline, Moto, Ran};
use serde_json::Value;

/// A small template (moto cannot run the baseline's custom resources): a parameter kept
/// in SSM, a `NoEcho` one, a topic.
const TEMPLATE: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Description: baseline deploy end to end
Parameters:
  Setting:
    Type: String
    Default: first
  ApiToken:
    Type: String
    NoEcho: true
Resources:
  Setting:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !Ref Setting
  Topic:
    Type: AWS::SNS::Topic
";

const SECRET: &str = "s3cret-token-value";

/// A directory of its own for one test: the template and the default audit log (left
/// behind when the test fails, for a look).
fn work_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baseline-deploy-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("work dir");
    dir
}

/// Runs `baseline deploy ARGS` in `dir` against moto; stdin and stdout not a terminal.
async fn deploy(moto: &Moto, dir: &Path, args: &[&str]) -> Ran {
    let mut all = vec!["deploy", "--poll-seconds", "1"];
    all.extend_from_slice(args);
    run_baseline(moto, dir, &[], &all).await
}

/// The audit log's lines, parsed.
fn audit_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("the audit log");
    assert!(!text.contains(SECRET), "a NoEcho value in the audit log");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn records(lines: &[Value]) -> Vec<&str> {
    lines.iter().filter_map(|l| l["record"].as_str()).collect()
}

#[tokio::test]
async fn baseline_deploy_creates_then_has_nothing_to_do_then_shows_and_runs_a_modify() {
    let moto = Moto::shared();
    let dir = work_dir("flow");
    std::fs::write(dir.join("packaged.yaml"), TEMPLATE).unwrap();
    let stack = ["--stack-name", "baseline-deploy-e2e"];
    let token = format!("ApiToken={SECRET}");
    let first = [&stack[..], &["--yes", "--parameter-overrides", &token]].concat();

    let created = deploy(moto, &dir, &first).await;
    assert_eq!(created.code, 0, "deployed");
    created.shows("ApiToken=****");
    assert!(!created.stdout.contains(SECRET));
    for row in [
        "Add     Setting   AWS::SSM::Parameter  -",
        "Add     Topic     AWS::SNS::Topic      -",
    ] {
        created.shows(row);
    }
    assert!(created.stdout.ends_with("deployed (exit 0)\n"));
    let audit = dir.join("baseline-deploy.audit.jsonl");
    let lines = audit_lines(&audit);
    assert_eq!(
        records(&lines),
        [
            "start",
            "change_set",
            "approval",
            "event",
            "event",
            "outcome"
        ],
        "moto records the stack's two events of the create"
    );
    let start = &lines[0];
    assert_eq!(start["who"]["account"], "123456789012");
    assert_eq!(start["parameters"]["ApiToken"], "****");
    assert_eq!(start["template"]["file"], "packaged.yaml");
    assert_eq!(start["template"]["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(lines[1]["type"], "CREATE");
    assert_eq!(lines[4]["event"]["ResourceStatus"], "CREATE_COMPLETE");
    assert_eq!(lines[5]["outcome"], "deployed");
    assert!(lines.iter().all(|l| l["run"] == start["run"]));

    let again = deploy(moto, &dir, &first).await;
    assert_eq!(again.code, 0, "nothing to do is a success");
    again.shows("nothing to do (exit 0)");
    let lines = audit_lines(&audit);
    let last = &lines[lines.len() - 1];
    assert_eq!(last["outcome"], "nothing to do");
    assert_eq!(lines[lines.len() - 2]["nothing_to_do"], true);

    let changed = TEMPLATE.replace(
        "    Type: AWS::SNS::Topic\n",
        "    Type: AWS::SNS::Topic\n    Properties:\n      DisplayName: baseline\n",
    );
    std::fs::write(dir.join("packaged.yaml"), changed).unwrap();
    let refused = deploy(moto, &dir, &stack).await;
    assert_eq!(refused.code, 7, "no --yes off a terminal: refused");
    refused.shows("ApiToken=(previous value)");
    refused.shows("Modify  Topic     AWS::SNS::Topic  -");
    let updated = deploy(moto, &dir, &[&stack[..], &["--yes"]].concat()).await;
    assert_eq!(updated.code, 0);
    updated.shows("UPDATE_COMPLETE");
    let outcomes: Vec<Value> = audit_lines(&audit)
        .into_iter()
        .filter(|l| l["record"] == "outcome")
        .map(|l| l["exit_code"].clone())
        .collect();
    assert_eq!(outcomes, [0, 0, 7, 0], "one outcome per run, appended");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn baseline_deploy_into_another_account_assumes_the_role_and_records_it() {
    let moto = Moto::shared();
    let dir = work_dir("role");
    std::fs::write(dir.join("packaged.yaml"), TEMPLATE).unwrap();
    let role = "arn:aws:iam::111111111111:role/deployer";
    let token = format!("ApiToken={SECRET}");
    let args = [
        "--stack-name",
        "baseline-deploy-e2e-role",
        "--role-arn",
        role,
        "--yes",
        "--audit-log",
        "role.jsonl",
        "--parameter-overrides",
        &token,
    ];
    let run = deploy(moto, &dir, &args).await;
    assert_eq!(run.code, 0);
    run.shows("as arn:aws:sts::111111111111:assumed-role/deployer/baseline-deploy");
    let lines = audit_lines(&dir.join("role.jsonl"));
    assert_eq!(lines[0]["role_arn"], role);
    assert_eq!(lines[0]["who"]["account"], "111111111111");
    let change_set = lines[1]["id"].as_str().unwrap_or_default();
    assert!(
        change_set.contains(":111111111111:changeSet/"),
        "{change_set}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn baseline_deploy_refuses_a_template_too_large_for_template_body() {
    let moto = Moto::shared();
    let dir = work_dir("large");
    let padding = format!("# {}\n", "x".repeat(100)).repeat(520);
    std::fs::write(dir.join("packaged.yaml"), format!("{TEMPLATE}{padding}")).unwrap();
    let run = deploy(
        moto,
        &dir,
        &["--stack-name", "baseline-deploy-e2e-large", "--yes"],
    )
    .await;
    assert_eq!(run.code, 7);
    run.shows("--template-url");
    let lines = audit_lines(&dir.join("baseline-deploy.audit.jsonl"));
    assert_eq!(
        records(&lines),
        ["start", "outcome"],
        "no change set created"
    );
}
