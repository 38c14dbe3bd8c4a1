//! `baseline deploy`: a change set of the packaged template ([`change_set`], [`template`]),
//! its changes shown, executed on `--yes` or a `y` at the prompt ([`prompt`]), the stack's
//! events followed live ([`follow`], [`output`]) to the outcome and, for a failure, its
//! root cause ([`events`]); every step in the audit log ([`audit`]).

pub mod audit;
pub mod caveats;
pub mod change_set;
pub mod events;
pub mod follow;
pub mod output;
pub mod prompt;
pub mod stack_set;
pub mod template;

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde_json::{json, Value};

use self::audit::Audit;
use self::change_set::{Created, Proposal};
use self::events::{root_cause, Outcome, RootCause, EXIT_REFUSED};
use self::output::Output;
use self::prompt::Approval;
use self::template::{Template, TEMPLATE_BODY_MAX};
use crate::aws::why;
use crate::finding::{EXIT_ERROR, EXIT_OK};

/// What `deploy` is asked.
#[derive(Clone, Debug)]
pub struct Request {
    /// The stack's name.
    pub stack: String,
    /// The template, its parameters and how the run goes.
    pub deployment: Deployment,
}

/// What a deployment is given, of a stack or of a stack set.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// The packaged template.
    pub template: Template,
    /// Where the same template was uploaded (`TemplateURL`), for one over 51,200 bytes.
    pub template_url: Option<String>,
    /// The parameters given (the command line's and the file's), in order.
    pub given: Vec<(String, String)>,
    /// `CAPABILITY_IAM`, ...
    pub capabilities: Vec<String>,
    /// The role assumed for every call, when one is (recorded in the audit log).
    pub role_arn: Option<String>,
    /// The region deployed to (a stack set's: administered from).
    pub region: String,
    /// Whether the change may be made.
    pub approval: Approval,
    /// How often the change set, the stack's events or an operation are polled.
    pub every: Duration,
}

impl Deployment {
    /// The `start` record: who, the role, the region, the template, the parameters as
    /// sent (`shown`), the capabilities; the caller adds its own.
    fn start(&self, who: &Value, shown: &BTreeMap<String, String>) -> Value {
        let template = &self.template;
        json!({
            "who": who,
            "role_arn": self.role_arn,
            "region": self.region,
            "template": {
                "file": template.path,
                "sha256": template.sha256,
                "bytes": template.text.len(),
                "url": self.template_url,
            },
            "parameters": shown,
            "capabilities": self.capabilities,
        })
    }

    /// `TemplateBody`: the template's text, unless it goes by `TemplateURL`.
    fn template_body(&self) -> Option<String> {
        self.template_url
            .is_none()
            .then(|| self.template.text.clone())
    }

    /// The refusal of a template too large to send as `TemplateBody` without a URL.
    fn too_large(&self) -> Option<Ending> {
        let bytes = self.template.text.len();
        (self.template_url.is_none() && bytes > TEMPLATE_BODY_MAX).then(|| {
            Ending::Refused(format!(
                "{} is {bytes} bytes, more than TemplateBody's {TEMPLATE_BODY_MAX}: upload it to S3 and pass its https URL as --template-url",
                self.template.path,
            ))
        })
    }

    /// Whether the change may be made: `--yes`, else `question` asked on a terminal;
    /// recorded. Not approved: why, in words.
    fn approve<O: Write, A: Write>(
        &self,
        question: &str,
        out: &mut Output<O>,
        audit: &mut Audit<A>,
    ) -> Result<(), &'static str> {
        let approved = match self.approval {
            Approval::Given => true,
            Approval::Ask => out.confirm(question, &mut std::io::stdin().lock()),
            Approval::Refused => false,
        };
        let by = self.approval.by();
        audit.record("approval", json!({"approved": approved, "by": by}));
        match (approved, self.approval) {
            (true, _) => Ok(()),
            (false, Approval::Ask) => Err("declined at the prompt"),
            (false, _) => Err("no --yes and not a terminal"),
        }
    }
}

/// Prints the parameters as sent: `NoEcho` ones masked, kept ones so named.
fn show_parameters<O: Write>(out: &mut Output<O>, shown: &BTreeMap<String, String>) {
    if !shown.is_empty() {
        let pairs: Vec<String> = shown.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.line(&format!("parameters: {}", pairs.join(" ")));
    }
}

/// The clients `deploy` calls.
#[derive(Clone, Debug)]
pub struct Clients {
    /// The stack, its change sets and events.
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// Who deploys (GetCallerIdentity).
    pub sts: aws_sdk_sts::Client,
}

impl Clients {
    /// The clients of `sdk` (its credentials: the role's, with `--role-arn`).
    pub fn new(sdk: &SdkConfig) -> Self {
        Clients {
            cloudformation: aws_sdk_cloudformation::Client::new(sdk),
            sts: aws_sdk_sts::Client::new(sdk),
        }
    }
}

/// How a run of `deploy` ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The change set ran: the stack operation's outcome, and what caused a failure.
    Ran(Outcome, Option<RootCause>),
    /// The change set contained no changes.
    NothingToDo,
    /// Nothing was changed, and why.
    Refused(String),
    /// A call failed or a file could not be read: what happened.
    Error(String),
}

impl Ending {
    /// The exit code (`--help` lists them).
    pub fn exit_code(&self) -> u8 {
        match self {
            Ending::Ran(outcome, _) => outcome.exit_code(),
            Ending::NothingToDo => EXIT_OK,
            Ending::Refused(_) => EXIT_REFUSED,
            Ending::Error(_) => EXIT_ERROR,
        }
    }

    /// The outcome in a word or three, as printed and recorded.
    pub fn word(&self) -> &'static str {
        match self {
            Ending::Ran(Outcome::Deployed, _) => "deployed",
            Ending::Ran(Outcome::RolledBack, _) => "failed and rolled back",
            Ending::Ran(Outcome::RollbackFailed, _) => "rollback failed",
            Ending::Ran(Outcome::Failed, _) => "failed",
            Ending::NothingToDo => "nothing to do",
            Ending::Refused(_) => "refused",
            Ending::Error(_) => "error",
        }
    }

    fn detail(&self) -> Option<&str> {
        match self {
            Ending::Refused(why) | Ending::Error(why) => Some(why),
            _ => None,
        }
    }

    fn record(&self) -> Value {
        let cause = match self {
            Ending::Ran(_, cause) => cause.as_ref(),
            _ => None,
        };
        json!({
            "outcome": self.word(),
            "exit_code": self.exit_code(),
            "detail": self.detail(),
            "root_cause": cause,
        })
    }
}

/// A run's name, also its change set's: `baseline-<UTC time>-<milliseconds>`, e.g.
/// `baseline-20261130T100340Z-042` (a change set name allows letters, digits and `-`).
pub fn run_name() -> String {
    let now = DateTime::from(SystemTime::now());
    let seconds = DateTime::from_secs(now.secs()).fmt(Format::DateTime);
    let stamp: String = seconds
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("baseline-{stamp}-{:03}", now.subsec_nanos() / 1_000_000)
}

/// Deploys `request` as change set `run`: prints to `out`, records to `audit`, answers
/// the exit code.
pub async fn deploy<O: Write, A: Write>(
    clients: &Clients,
    request: &Request,
    run: &str,
    out: &mut Output<O>,
    audit: &mut Audit<A>,
) -> u8 {
    let ending = steps(clients, request, run, out, audit)
        .await
        .unwrap_or_else(Ending::Error);
    finish(&ending, out, audit)
}

/// Prints and records how a run ended (a failure's root cause, the outcome, the exit
/// code) and answers its exit code.
fn finish<O: Write, A: Write>(ending: &Ending, out: &mut Output<O>, audit: &mut Audit<A>) -> u8 {
    if let Ending::Ran(_, Some(cause)) = &ending {
        out.line(&cause.explain());
    }
    let detail = ending
        .detail()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    out.line(&format!(
        "{}{detail} (exit {})",
        ending.word(),
        ending.exit_code()
    ));
    audit.record("outcome", ending.record());
    if let Some(why) = audit.failed() {
        out.line(&format!(
            "warning: the audit log was not fully written: {why}"
        ));
    }
    ending.exit_code()
}

/// Who deploys (GetCallerIdentity), as the audit log's `start` record names them.
async fn identity(clients: &Clients) -> Result<Value, String> {
    let identity = clients.sts.get_caller_identity().send().await;
    let identity = identity.map_err(|e| format!("GetCallerIdentity: {}", why(&e)))?;
    Ok(audit::who(
        identity.account(),
        identity.arn(),
        identity.user_id(),
    ))
}

async fn steps<O: Write, A: Write>(
    clients: &Clients,
    request: &Request,
    run: &str,
    out: &mut Output<O>,
    audit: &mut Audit<A>,
) -> Result<Ending, String> {
    let cfn = &clients.cloudformation;
    let identity = identity(clients).await?;
    let stack = change_set::describe_stack(cfn, &request.stack).await?;
    let previous = stack.as_ref().map(|s| s.parameters.clone());
    let deployment = &request.deployment;
    let template = &deployment.template;
    let sent = template
        .to_send(&deployment.given, &previous.unwrap_or_default())
        .map_err(|e| e.to_string())?;
    let shown = template.shown(&sent);
    let mut start = deployment.start(&identity, &shown);
    start["stack_status"] = json!(stack.as_ref().map(|s| &s.status));
    audit.record("start", start);
    out.line(&format!(
        "deploying {} (sha256 {}) to stack {} in {} as {}",
        template.path,
        &template.sha256[..12],
        request.stack,
        deployment.region,
        identity["arn"].as_str().unwrap_or("?")
    ));
    show_parameters(out, &shown);
    let kind = match change_set::change_set_type(stack.as_ref().map(|s| s.status.as_str())) {
        Ok(kind) => kind,
        Err(why) => return Ok(Ending::Refused(why)),
    };
    if let Some(refused) = deployment.too_large() {
        return Ok(refused);
    }
    let proposal = Proposal {
        stack: &request.stack,
        name: run,
        kind: kind.clone(),
        deployment,
        parameters: &sent,
    };
    let (id, stack_id) = change_set::create(cfn, &proposal).await?;
    let created = change_set::wait(cfn, &id, deployment.every).await?;
    let changes = match &created {
        Created::Ready(changes) => changes.as_slice(),
        Created::Empty => &[],
    };
    audit.record(
        "change_set",
        json!({"id": id, "type": kind.as_str(), "changes": changes, "nothing_to_do": created == Created::Empty}),
    );
    if created == Created::Empty {
        change_set::delete(cfn, &id).await?;
        out.line(
            "the change set contains no changes: the stack is as the template and parameters say",
        );
        return Ok(Ending::NothingToDo);
    }
    out.line(&format!("change set {run} ({}):", kind.as_str()));
    out.line(&change_set::table(changes));
    if let Err(why) = deployment.approve("Execute this change set?", out, audit) {
        return Ok(Ending::Refused(format!(
            "change set {run} not executed ({why}); it is left for review"
        )));
    }
    let before = follow::newest_event(cfn, &stack_id).await?;
    change_set::execute(cfn, &id).await?;
    let watch = follow::follow(cfn, &stack_id, before, deployment.every, |event| {
        out.event(event);
        audit.record("event", json!({"event": event}));
    })
    .await?;
    let outcome = watch.outcome().unwrap_or(Outcome::Failed);
    let cause = match outcome {
        Outcome::Deployed => None,
        _ => root_cause(&watch.events),
    };
    Ok(Ending::Ran(outcome, cause))
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
    use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
    use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
    use aws_sdk_cloudformation::types::{Change, ChangeAction, ChangeSetStatus, ResourceChange};
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::deploy::events::tests::failed_create;
    use crate::deploy::follow::tests::page;

    const TEMPLATE: &str = "\
Parameters:
  DeliveryBucketName:
    Type: String
  ApiToken:
    Type: String
    NoEcho: true
Resources:
  ConfigSetup:
    Type: Custom::ConfigSetup
";

    /// A new stack whose create fails as recorded (ConfigSetup FAILED [NOT_FOUND], two
    /// custom resources cancelled, the rollback), served by `aws-smithy-mocks`.
    #[tokio::test]
    async fn a_failed_create_exits_rolled_back_naming_the_root_cause_and_recording_every_step() {
        let identity = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            GetCallerIdentityOutput::builder()
                .account("123456789012")
                .arn("arn:aws:sts::123456789012:assumed-role/deployer/baseline-deploy")
                .build()
        });
        let sts = mock_client!(aws_sdk_sts, [&identity]);
        let no_stack = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_error(|| {
            let meta = ErrorMetadata::builder().code("ValidationError");
            let meta = meta.message("Stack with id security-baseline does not exist");
            DescribeStacksError::generic(meta.build())
        });
        let create = mock!(aws_sdk_cloudformation::Client::create_change_set)
            .match_requests(|r| {
                r.change_set_type() == Some(&aws_sdk_cloudformation::types::ChangeSetType::Create)
            })
            .then_output(|| {
                CreateChangeSetOutput::builder()
                    .id("arn:aws:cloudformation:us-east-1:123456789012:changeSet/baseline-1/1")
                    .stack_id(
                        "arn:aws:cloudformation:us-east-1:123456789012:stack/security-baseline/1",
                    )
                    .build()
            });
        let describe =
            mock!(aws_sdk_cloudformation::Client::describe_change_set).then_output(|| {
                let add = ResourceChange::builder()
                    .action(ChangeAction::Add)
                    .logical_resource_id("ConfigSetup")
                    .resource_type("Custom::ConfigSetup")
                    .build();
                DescribeChangeSetOutput::builder()
                    .status(ChangeSetStatus::CreateComplete)
                    .changes(Change::builder().resource_change(add).build())
                    .build()
            });
        let events = failed_create();
        let (review, all) = (page(&events[15..]), page(&events));
        let stack_events = mock!(aws_sdk_cloudformation::Client::describe_stack_events)
            .sequence()
            .output(move || review.clone())
            .output(move || all.clone())
            .build();
        let execute = mock!(aws_sdk_cloudformation::Client::execute_change_set)
            .then_output(|| ExecuteChangeSetOutput::builder().build());
        let cloudformation = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&no_stack, &create, &describe, &stack_events, &execute]
        );
        let request = Request {
            stack: "security-baseline".into(),
            deployment: Deployment {
                template: Template::new("packaged.yaml", TEMPLATE.into()),
                template_url: None,
                given: vec![
                    ("DeliveryBucketName".into(), "missing-bucket".into()),
                    ("ApiToken".into(), "s3cret".into()),
                ],
                capabilities: vec!["CAPABILITY_IAM".into()],
                role_arn: Some("arn:aws:iam::123456789012:role/deployer".into()),
                region: "us-east-1".into(),
                approval: Approval::Given,
                every: Duration::ZERO,
            },
        };
        let clients = Clients {
            cloudformation,
            sts,
        };
        let mut out = Output::new(Vec::new(), false);
        let mut audit = Audit::to(Vec::new(), "baseline-1", "security-baseline");
        let code = deploy(&clients, &request, "baseline-1", &mut out, &mut audit).await;

        assert_eq!(code, events::EXIT_ROLLED_BACK);
        assert_eq!(execute.num_calls(), 1);
        let printed = String::from_utf8(out.writer().clone()).unwrap();
        assert!(printed.contains("ApiToken=****"), "{printed}");
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(
            printed.contains("Add     ConfigSetup  Custom::ConfigSetup  -"),
            "{printed}"
        );
        assert!(
            printed.contains("root cause: ConfigSetup (Custom::ConfigSetup) CREATE_FAILED\n  code:       NOT_FOUND\n"),
            "{printed}"
        );
        assert!(
            printed.contains("what to do: create it first (DependsOn), or name one that exists")
        );
        assert!(
            printed.ends_with("failed and rolled back (exit 4)\n"),
            "{printed}"
        );

        let log = String::from_utf8(audit.writer().clone()).unwrap();
        assert!(!log.contains("s3cret"), "{log}");
        let lines: Vec<Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let records: Vec<&str> = lines
            .iter()
            .map(|l| l["record"].as_str().unwrap())
            .collect();
        let mut expected = vec!["start", "change_set", "approval"];
        expected.extend(["event"; 15]);
        expected.push("outcome");
        assert_eq!(records, expected, "every event after the one before, once");
        let start = &lines[0];
        assert_eq!(start["who"]["account"], "123456789012");
        assert_eq!(start["role_arn"], "arn:aws:iam::123456789012:role/deployer");
        assert_eq!(start["parameters"]["ApiToken"], "****");
        assert_eq!(start["parameters"]["DeliveryBucketName"], "missing-bucket");
        assert_eq!(
            start["template"]["sha256"],
            request.deployment.template.sha256
        );
        assert_eq!(lines[1]["changes"][0]["action"], "Add");
        assert_eq!(lines[3]["event"]["EventId"], "e2");
        let outcome = lines.last().unwrap();
        assert_eq!(outcome["exit_code"], 4);
        assert_eq!(outcome["root_cause"]["custom"]["code"], "NOT_FOUND");
    }

    #[test]
    fn each_ending_has_its_exit_code() {
        for (ending, code) in [
            (Ending::Ran(Outcome::Deployed, None), 0),
            (Ending::NothingToDo, 0),
            (Ending::Error("x".into()), 3),
            (Ending::Ran(Outcome::RolledBack, None), 4),
            (Ending::Ran(Outcome::RollbackFailed, None), 5),
            (Ending::Ran(Outcome::Failed, None), 6),
            (Ending::Refused("x".into()), 7),
        ] {
            assert_eq!(ending.exit_code(), code, "{ending:?}");
        }
        let name = run_name();
        assert!(
            name.starts_with("baseline-20") && name.len() == 29,
            "{name}"
        );
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{name}"
        );
    }
}
