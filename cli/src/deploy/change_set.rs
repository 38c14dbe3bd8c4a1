//! The change set: which kind the stack needs, created, waited for, its changes read
//! (every page) and shown, then executed. The CloudFormation calls are plain functions
//! over the client (unit tests serve them with `aws-smithy-mocks`); what they decide
//! from the answers is pure.

use std::time::Duration;

use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::types::{Capability, ChangeSetType, Parameter, ResourceChange};
use aws_sdk_cloudformation::Client;
use serde::Serialize;

use super::template::Sent;
use super::Deployment;
use crate::aws::why;

/// The reasons CloudFormation gives a change set with nothing to do. DescribeChangeSet's
/// `StatusReason`: "A description of the change set's status. For example, if your
/// attempt to create a change set failed, CloudFormation shows the error message." The
/// message is "The submitted information didn't contain changes. Submit different
/// information to create a change set.", or with a transform (this SAM template) "No
/// updates are to be performed."; the AWS CLI's `deploy`, SAM CLI and the CDK read the
/// same two.
const NO_CHANGES: &[&str] = &[
    "The submitted information didn't contain changes.",
    "No updates are to be performed.",
];

/// The stack as it stands before the change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stack {
    /// `StackStatus`
    pub status: String,
    /// The keys of its parameters.
    pub parameters: Vec<String>,
}

/// The change set's kind for a stack in `status` (`None`: no such stack), or why
/// `deploy` refuses to touch it.
pub fn change_set_type(status: Option<&str>) -> Result<ChangeSetType, String> {
    match status {
        // A stack made by a CREATE change set never executed is still new.
        None | Some("REVIEW_IN_PROGRESS") => Ok(ChangeSetType::Create),
        Some("ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "CREATE_FAILED" | "DELETE_FAILED") => {
            Err(format!(
                "the stack is {}: it cannot be updated; delete it first (aws cloudformation delete-stack), then deploy",
                status.unwrap_or_default()
            ))
        }
        Some("UPDATE_ROLLBACK_FAILED") => Err(
            "the stack is UPDATE_ROLLBACK_FAILED: continue its rollback first (aws cloudformation continue-update-rollback), then deploy".to_owned(),
        ),
        Some(s) if s.ends_with("_IN_PROGRESS") => Err(format!(
            "the stack is {s}: wait for that operation to end (baseline deploy follows only its own)"
        )),
        Some(_) => Ok(ChangeSetType::Update),
    }
}

/// Whether a change set that ended `FAILED` with `reason` merely had nothing to do.
pub fn nothing_to_do(reason: &str) -> bool {
    NO_CHANGES.iter().any(|prefix| reason.starts_with(prefix))
}

/// One resource the change set changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `Add`, `Modify`, `Remove`, `Import`, ...
    pub action: String,
    /// The logical id.
    pub resource: String,
    /// Its type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// For a `Modify`: `yes`, `no` or `conditional` (CloudFormation's `True`, `False`,
    /// `Conditional`); else none.
    pub replacement: Option<String>,
}

impl Change {
    /// Its row in [`table`].
    fn row(&self) -> [String; 4] {
        let replacement = self.replacement.as_deref().unwrap_or("-");
        let (action, resource) = (self.action.clone(), self.resource.clone());
        [
            action,
            resource,
            self.resource_type.clone(),
            replacement.to_owned(),
        ]
    }
}

/// `changes` as a table: action, resource, type, replacement.
pub fn table(changes: &[Change]) -> String {
    let rows: Vec<[String; 4]> = changes.iter().map(Change::row).collect();
    crate::table::columns(["ACTION", "RESOURCE", "TYPE", "REPLACEMENT"], &rows)
}

/// How the change set came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Created {
    /// Ready to execute, with its changes.
    Ready(Vec<Change>),
    /// It contained no changes.
    Empty,
}

/// The stack `name`, or `None` when it does not exist.
pub async fn describe_stack(client: &Client, name: &str) -> Result<Option<Stack>, String> {
    let out = match client.describe_stacks().stack_name(name).send().await {
        Ok(out) => out,
        // DescribeStacks answers a ValidationError "Stack with id NAME does not exist".
        Err(err) if why(&err).contains("does not exist") => return Ok(None),
        Err(err) => return Err(format!("DescribeStacks {name}: {}", why(&err))),
    };
    Ok(out.stacks().first().map(|s| Stack {
        status: s
            .stack_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        parameters: s
            .parameters()
            .iter()
            .filter_map(|p| p.parameter_key().map(str::to_owned))
            .collect(),
    }))
}

/// What `create` sends.
#[derive(Clone, Debug)]
pub struct Proposal<'a> {
    /// The stack's name.
    pub stack: &'a str,
    /// The change set's name.
    pub name: &'a str,
    /// CREATE or UPDATE.
    pub kind: ChangeSetType,
    /// The template (`TemplateBody` or `TemplateURL`) and its capabilities.
    pub deployment: &'a Deployment,
    /// The parameters.
    pub parameters: &'a [Sent],
}

/// One parameter as sent: its value, or `UsePreviousValue`.
pub(super) fn parameter(sent: &Sent) -> Parameter {
    Parameter::builder()
        .parameter_key(&sent.key)
        .set_parameter_value(sent.value.clone())
        .set_use_previous_value(sent.value.is_none().then_some(true))
        .build()
}

/// `CAPABILITY_IAM`, ... as the SDK takes them.
pub(super) fn capabilities(names: &[String]) -> Vec<Capability> {
    names.iter().map(|c| Capability::from(c.as_str())).collect()
}

/// Creates the change set and answers its id and its stack's.
pub async fn create(client: &Client, proposal: &Proposal<'_>) -> Result<(String, String), String> {
    let out = client
        .create_change_set()
        .stack_name(proposal.stack)
        .change_set_name(proposal.name)
        .change_set_type(proposal.kind.clone())
        .description("baseline deploy")
        .set_parameters(Some(proposal.parameters.iter().map(parameter).collect()))
        .set_capabilities(Some(capabilities(&proposal.deployment.capabilities)))
        .set_template_body(proposal.deployment.template_body())
        .set_template_url(proposal.deployment.template_url.clone())
        .send()
        .await
        .map_err(|e| format!("CreateChangeSet {}: {}", proposal.stack, why(&e)))?;
    let stack = out.stack_id().unwrap_or(proposal.stack);
    let id = out.id().ok_or("CreateChangeSet answered no id")?;
    Ok((id.to_owned(), stack.to_owned()))
}

/// Waits until change set `id` is created (polling every `every`) and answers its
/// changes (every page), or that it had nothing to do.
pub async fn wait(client: &Client, id: &str, every: Duration) -> Result<Created, String> {
    loop {
        let out = describe(client, id).await?;
        let status = out.status().map(|s| s.as_str()).unwrap_or_default();
        let reason = out.status_reason().unwrap_or_default();
        match status {
            "CREATE_COMPLETE" => return changes(client, id).await.map(Created::Ready),
            "FAILED" if nothing_to_do(reason) => return Ok(Created::Empty),
            "FAILED" | "DELETE_FAILED" | "DELETE_COMPLETE" => {
                return Err(format!("the change set is {status}: {reason}"))
            }
            _ => tokio::time::sleep(every).await,
        }
    }
}

/// Every change of change set `id`, all pages.
async fn changes(client: &Client, id: &str) -> Result<Vec<Change>, String> {
    let pages = client.describe_change_set().change_set_name(id);
    let changes = pages.into_paginator().items().send().try_collect().await;
    let changes = changes.map_err(|e| format!("DescribeChangeSet {id}: {}", why(&e)))?;
    let change = |r: &ResourceChange| Change {
        action: r.action().map(|a| a.as_str()).unwrap_or("?").to_owned(),
        resource: r.logical_resource_id().unwrap_or_default().to_owned(),
        resource_type: r.resource_type().unwrap_or_default().to_owned(),
        replacement: r.replacement().map(|r| match r.as_str() {
            "True" => "yes".to_owned(),
            "False" => "no".to_owned(),
            other => other.to_ascii_lowercase(),
        }),
    };
    Ok(changes
        .iter()
        .filter_map(|c| c.resource_change())
        .map(change)
        .collect())
}

/// Change set `id` as it stands (its first page).
async fn describe(client: &Client, id: &str) -> Result<DescribeChangeSetOutput, String> {
    let out = client
        .describe_change_set()
        .change_set_name(id)
        .send()
        .await;
    out.map_err(|e| format!("DescribeChangeSet {id}: {}", why(&e)))
}

/// Deletes change set `id` (one with nothing to do, so none is left behind).
pub async fn delete(client: &Client, id: &str) -> Result<(), String> {
    let out = client.delete_change_set().change_set_name(id).send().await;
    out.map(|_| ())
        .map_err(|e| format!("DeleteChangeSet {id}: {}", why(&e)))
}

/// Executes change set `id`.
pub async fn execute(client: &Client, id: &str) -> Result<(), String> {
    let out = client.execute_change_set().change_set_name(id).send().await;
    out.map(|_| ())
        .map_err(|e| format!("ExecuteChangeSet {id}: {}", why(&e)))
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::types::{
        Change as SdkChange, ChangeAction, ChangeSetStatus, Replacement,
    };
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    #[test]
    fn a_new_or_reviewed_stack_is_created_a_failed_or_busy_one_refused() {
        for (status, expected) in [
            (None, Ok(ChangeSetType::Create)),
            (Some("REVIEW_IN_PROGRESS"), Ok(ChangeSetType::Create)),
            (Some("CREATE_COMPLETE"), Ok(ChangeSetType::Update)),
            (Some("UPDATE_ROLLBACK_COMPLETE"), Ok(ChangeSetType::Update)),
            (Some("ROLLBACK_COMPLETE"), Err("delete it first")),
            (Some("UPDATE_IN_PROGRESS"), Err("wait for that operation")),
            (
                Some("UPDATE_ROLLBACK_FAILED"),
                Err("continue-update-rollback"),
            ),
        ] {
            match (change_set_type(status), expected) {
                (Ok(kind), Ok(expected)) => assert_eq!(kind, expected, "{status:?}"),
                (Err(why), Err(expected)) => assert!(why.contains(expected), "{why}"),
                (got, _) => panic!("{status:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn only_the_documented_reasons_mean_nothing_to_do() {
        assert!(nothing_to_do("The submitted information didn't contain changes. Submit different information to create a change set."));
        assert!(nothing_to_do("No updates are to be performed."));
        assert!(!nothing_to_do(
            "Template format error: Unresolved resource dependencies [Bucket]"
        ));
    }

    fn resource_change(
        action: ChangeAction,
        id: &str,
        replacement: Option<Replacement>,
    ) -> SdkChange {
        let change = ResourceChange::builder()
            .action(action)
            .logical_resource_id(id)
            .resource_type("AWS::SSM::Parameter")
            .set_replacement(replacement)
            .build();
        SdkChange::builder().resource_change(change).build()
    }

    fn described(status: ChangeSetStatus, reason: &str) -> DescribeChangeSetOutput {
        DescribeChangeSetOutput::builder()
            .status(status)
            .status_reason(reason)
            .build()
    }

    #[tokio::test]
    async fn the_change_set_is_waited_for_and_every_page_of_changes_read() {
        let first = || {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::CreateComplete)
                .changes(resource_change(ChangeAction::Add, "Queue", None))
                .next_token("page-2")
                .build()
        };
        let second = DescribeChangeSetOutput::builder()
            .status(ChangeSetStatus::CreateComplete)
            .changes(resource_change(
                ChangeAction::Modify,
                "Setting",
                Some(Replacement::Conditional),
            ))
            .build();
        let describe = mock!(Client::describe_change_set)
            .sequence()
            .output(|| described(ChangeSetStatus::CreatePending, ""))
            .output(first)
            .output(first)
            .output(move || second.clone())
            .build();
        let client = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, [&describe]);
        let created = wait(&client, "cs", Duration::ZERO).await.unwrap();
        let Created::Ready(changes) = created else {
            panic!("{created:?}")
        };
        assert_eq!(describe.num_calls(), 4, "pending, complete, then two pages");
        let shown = table(&changes);
        assert_eq!(
            shown,
            "ACTION  RESOURCE  TYPE                 REPLACEMENT\n\
             Add     Queue     AWS::SSM::Parameter  -\n\
             Modify  Setting   AWS::SSM::Parameter  conditional\n"
        );
    }

    #[tokio::test]
    async fn a_change_set_without_changes_is_nothing_to_do_and_another_failure_an_error() {
        let empty = mock!(Client::describe_change_set)
            .sequence()
            .output(|| described(ChangeSetStatus::Failed, "The submitted information didn't contain changes. Submit different information to create a change set."))
            .output(|| described(ChangeSetStatus::Failed, "Parameters: [Missing] must have values"))
            .build();
        let client = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, [&empty]);
        assert_eq!(
            wait(&client, "cs", Duration::ZERO).await,
            Ok(Created::Empty)
        );
        let err = wait(&client, "cs", Duration::ZERO).await.unwrap_err();
        assert!(err.contains("FAILED: Parameters: [Missing]"), "{err}");
    }
}
