//! A stack's events during one operation, as `DescribeStackEvents` pages them (newest
//! first): which are new ([`Watch`]), when the operation ended and how ([`Outcome`]),
//! and what caused a failure ([`root_cause`]): the first resource that failed, not the
//! cancellations CloudFormation records for the others, nor the stack's own summary.
//! Pure: the polling loop hands each page in.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// The stack's resource type in its own events.
const STACK_TYPE: &str = "AWS::CloudFormation::Stack";
/// What CloudFormation says of a resource it stopped because another failed.
const CANCELLED: &[&str] = &["Resource creation cancelled", "Resource update cancelled"];
/// How CloudFormation reports a custom resource's `FAILED` answer.
const CUSTOM_FAILED: &str =
    "Received response status [FAILED] from custom resource. Message returned: ";
/// What to do per resource type and reason code: the runbook the README points to.
const RUNBOOK: &str = include_str!("../../../docs/runbook.md");

/// One stack event (the fields of `StackEvent` this module reads).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Event {
    /// `EventId`
    pub event_id: String,
    /// `LogicalResourceId` (the stack's name for the stack's own events)
    pub logical_resource_id: String,
    /// `ResourceType`
    pub resource_type: String,
    /// `Timestamp`, as CloudFormation writes it
    pub timestamp: String,
    /// `ResourceStatus`
    pub resource_status: String,
    /// `ResourceStatusReason`
    #[serde(default)]
    pub resource_status_reason: Option<String>,
}

impl Event {
    fn is_stack(&self) -> bool {
        self.resource_type == STACK_TYPE
    }

    fn reason(&self) -> &str {
        self.resource_status_reason.as_deref().unwrap_or_default()
    }

    /// One line: time, resource, type, status, reason.
    pub fn line(&self) -> String {
        let time = self.timestamp.get(11..19).unwrap_or(&self.timestamp);
        let line = format!(
            "{time}  {:<24} {:<28} {:<20} {}",
            self.logical_resource_id,
            self.resource_type,
            self.resource_status,
            self.reason()
        );
        line.trim_end().to_owned()
    }
}

/// How a stack operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `CREATE_COMPLETE` / `UPDATE_COMPLETE` / `IMPORT_COMPLETE`.
    Deployed,
    /// The operation failed and CloudFormation rolled back: the stack is as before.
    RolledBack,
    /// The rollback failed too: the stack needs attention (`*ROLLBACK_FAILED`).
    RollbackFailed,
    /// Failed without a rollback (`CREATE_FAILED` with rollback disabled, `DELETE_FAILED`, ...).
    Failed,
}

impl Outcome {
    /// The exit code `deploy` ends with (`--help` lists them).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Deployed => crate::finding::EXIT_OK,
            Outcome::RolledBack => EXIT_ROLLED_BACK,
            Outcome::RollbackFailed => EXIT_ROLLBACK_FAILED,
            Outcome::Failed => EXIT_FAILED,
        }
    }
}

/// The deployment failed and CloudFormation rolled it back.
pub const EXIT_ROLLED_BACK: u8 = 4;
/// The rollback failed too: the stack needs attention.
pub const EXIT_ROLLBACK_FAILED: u8 = 5;
/// The deployment failed without a rollback (rollback disabled, or a delete).
pub const EXIT_FAILED: u8 = 6;
/// The change set was not executed: refused at the prompt, or no `--yes` off a terminal.
pub const EXIT_REFUSED: u8 = 7;

/// The outcome when `event` is the stack's own terminal event.
pub fn outcome(event: &Event) -> Option<Outcome> {
    if !event.is_stack() {
        return None;
    }
    let status = event.resource_status.as_str();
    match status {
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE" => Some(Outcome::Deployed),
        "ROLLBACK_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE" | "IMPORT_ROLLBACK_COMPLETE" => {
            Some(Outcome::RolledBack)
        }
        _ if status.ends_with("ROLLBACK_FAILED") => Some(Outcome::RollbackFailed),
        _ if status.ends_with("_FAILED") && !status.contains("ROLLBACK") => Some(Outcome::Failed),
        _ => None,
    }
}

/// The events of one operation, page by page.
#[derive(Debug)]
pub struct Watch {
    /// The newest event before the operation began (none: a new stack).
    before: Option<String>,
    seen: HashSet<String>,
    /// Every event of the operation so far, oldest first.
    pub events: Vec<Event>,
}

impl Watch {
    /// Follows the events after `before`, the newest event id read before the operation.
    pub fn after(before: Option<String>) -> Self {
        Self {
            before,
            seen: HashSet::new(),
            events: Vec::new(),
        }
    }

    /// Takes one page (newest first) and answers its events not seen yet, oldest first.
    pub fn take(&mut self, page: &[Event]) -> Vec<Event> {
        let mut new: Vec<Event> = page
            .iter()
            .take_while(|e| Some(&e.event_id) != self.before.as_ref())
            .filter(|e| !self.seen.contains(&e.event_id))
            .cloned()
            .collect();
        new.reverse();
        self.seen.extend(new.iter().map(|e| e.event_id.clone()));
        self.events.extend(new.iter().cloned());
        new
    }

    /// Whether `event_id` was taken, or is the event the operation follows.
    pub fn knows(&self, event_id: &str) -> bool {
        self.seen.contains(event_id) || self.before.as_deref() == Some(event_id)
    }

    /// The outcome, once the stack's terminal event has been taken.
    pub fn outcome(&self) -> Option<Outcome> {
        self.events.iter().rev().find_map(outcome)
    }
}

/// Why an operation failed: the first resource that did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RootCause {
    /// The resource's logical id (the stack's name when no resource failed).
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// Its failed status.
    pub status: String,
    /// CloudFormation's reason.
    pub reason: String,
    /// For a custom resource of this suite: its reason code, message and what to do.
    pub custom: Option<CustomFailure>,
}

impl RootCause {
    /// What a person reads after a failed deployment: the resource, and for one of this
    /// suite's custom resources its code, message and what to do.
    pub fn explain(&self) -> String {
        let head = format!(
            "root cause: {} ({}) {}",
            self.logical_id, self.resource_type, self.status
        );
        match &self.custom {
            Some(custom) => format!(
                "{head}\n  code:       {}\n  message:    {}\n  what to do: {}",
                custom.code,
                custom.message,
                custom
                    .what_to_do
                    .as_deref()
                    .unwrap_or("see docs/runbook.md for this code")
            ),
            None => format!("{head}\n  reason:     {}", self.reason),
        }
    }
}

/// A custom resource's `FAILED` answer, read from CloudFormation's reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomFailure {
    /// The reason code, e.g. `NOT_FOUND`.
    pub code: String,
    /// The rest of the function's reason.
    pub message: String,
    /// The runbook's "what to do" for this resource type and code.
    pub what_to_do: Option<String>,
}

/// The root cause among `events` (oldest first): the first resource `*_FAILED` that is
/// not a cancellation; else the first failure at all; else the stack's own failure.
pub fn root_cause(events: &[Event]) -> Option<RootCause> {
    let failed = |e: &&Event| e.resource_status.ends_with("_FAILED");
    let resources = || events.iter().filter(|e| !e.is_stack()).filter(failed);
    let event = resources()
        .find(|e| !CANCELLED.contains(&e.reason()))
        .or_else(|| resources().next())
        .or_else(|| events.iter().filter(|e| e.is_stack()).find(failed))?;
    Some(RootCause {
        logical_id: event.logical_resource_id.clone(),
        resource_type: event.resource_type.clone(),
        status: event.resource_status.clone(),
        reason: event.reason().to_owned(),
        custom: custom_failure(&event.resource_type, event.reason()),
    })
}

/// The function's answer inside CloudFormation's reason:
/// `Received response status [FAILED] from custom resource. Message returned: [CODE]
/// message (RequestId: ...)`.
pub(super) fn custom_failure(resource_type: &str, reason: &str) -> Option<CustomFailure> {
    let returned = reason.strip_prefix(CUSTOM_FAILED)?;
    let returned = match returned.rfind(" (RequestId: ") {
        Some(at) => &returned[..at],
        None => returned,
    };
    let (code, message) = returned.strip_prefix('[')?.split_once("] ")?;
    Some(CustomFailure {
        code: code.to_owned(),
        message: message.to_owned(),
        what_to_do: what_to_do(resource_type, code),
    })
}

/// The "what to do" cell of `code`'s row in `resource_type`'s runbook table.
pub fn what_to_do(resource_type: &str, code: &str) -> Option<String> {
    let section = RUNBOOK
        .split(&format!("<!-- runbook: {resource_type} -->"))
        .nth(1)?;
    let section = section.split("<!-- end runbook").next()?;
    let row = section
        .lines()
        .find(|l| l.starts_with(&format!("| `{code}` |")))?;
    let cells: Vec<&str> = row.split(" | ").collect();
    cells
        .get(3)
        .map(|cell| cell.trim_end_matches(" |").trim().to_owned())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Page {
        stack_events: Vec<Event>,
    }

    /// A create whose ConfigSetup answered FAILED [NOT_FOUND], the two custom resources
    /// started beside it cancelled, then the rollback: recorded in CloudFormation's shape.
    pub(in crate::deploy) fn failed_create() -> Vec<Event> {
        let page: Page =
            serde_json::from_str(include_str!("fixtures/create-failed-custom-resource.json"))
                .unwrap();
        page.stack_events
    }

    #[test]
    fn the_root_cause_is_the_first_failure_not_the_cancellations_or_the_summary() {
        let mut watch = Watch::after(None);
        watch.take(&failed_create());
        let cause = root_cause(&watch.events).expect("a root cause");
        assert_eq!(
            (cause.logical_id.as_str(), cause.status.as_str()),
            ("ConfigSetup", "CREATE_FAILED")
        );
        let custom = cause.custom.expect("a custom resource's answer");
        assert_eq!(custom.code, "NOT_FOUND");
        assert!(
            custom
                .message
                .starts_with("DeliveryBucketName: the bucket does not exist"),
            "{}",
            custom.message
        );
        assert!(!custom.message.contains("RequestId"), "{}", custom.message);
        assert_eq!(
            custom.what_to_do.as_deref(),
            Some("create it first (DependsOn), or name one that exists")
        );
        assert_eq!(watch.outcome(), Some(Outcome::RolledBack));
        let explained = root_cause(&watch.events).unwrap().explain();
        assert!(
            explained.starts_with("root cause: ConfigSetup (Custom::ConfigSetup) CREATE_FAILED\n  code:       NOT_FOUND\n"),
            "{explained}"
        );
        assert!(
            explained.ends_with("what to do: create it first (DependsOn), or name one that exists")
        );
    }

    #[test]
    fn pages_are_taken_oldest_first_once_each_and_only_after_the_operation_began() {
        let events = failed_create();
        // Polled mid-operation: the newest page holds e2..e9; e1 predates the operation.
        let mut watch = Watch::after(Some("e1".into()));
        let first = watch.take(&events[7..]);
        let ids: Vec<&str> = first.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"]);
        assert_eq!(watch.outcome(), None, "still running");
        let second = watch.take(&events);
        assert_eq!(second.first().map(|e| e.event_id.as_str()), Some("e10"));
        assert_eq!(second.len(), 7);
        assert_eq!(watch.outcome(), Some(Outcome::RolledBack));
    }

    #[test]
    fn cancellations_alone_still_name_a_resource_and_a_stack_failure_names_the_stack() {
        let event = |id: &str, logical: &str, kind: &str, status: &str, reason: &str| Event {
            event_id: id.into(),
            logical_resource_id: logical.into(),
            resource_type: kind.into(),
            resource_status: status.into(),
            resource_status_reason: Some(reason.into()),
            ..Event::default()
        };
        let cancelled = [event(
            "1",
            "SecurityHub",
            "Custom::SecurityHubEnable",
            "CREATE_FAILED",
            "Resource creation cancelled",
        )];
        assert_eq!(root_cause(&cancelled).unwrap().logical_id, "SecurityHub");
        let stack = [event(
            "1",
            "s",
            STACK_TYPE,
            "UPDATE_ROLLBACK_FAILED",
            "role is invalid",
        )];
        let cause = root_cause(&stack).unwrap();
        assert_eq!((cause.logical_id.as_str(), cause.custom), ("s", None));
        assert_eq!(outcome(&stack[0]), Some(Outcome::RollbackFailed));
        assert_eq!(root_cause(&[]), None);
    }

    #[test]
    fn terminal_states_map_to_outcomes() {
        let stack = |status: &str| Event {
            resource_type: STACK_TYPE.into(),
            resource_status: status.into(),
            ..Event::default()
        };
        for (status, expected) in [
            ("CREATE_COMPLETE", Some(Outcome::Deployed)),
            ("UPDATE_COMPLETE", Some(Outcome::Deployed)),
            ("UPDATE_ROLLBACK_COMPLETE", Some(Outcome::RolledBack)),
            ("ROLLBACK_FAILED", Some(Outcome::RollbackFailed)),
            ("CREATE_FAILED", Some(Outcome::Failed)),
            ("DELETE_FAILED", Some(Outcome::Failed)),
            ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None),
            ("UPDATE_ROLLBACK_IN_PROGRESS", None),
        ] {
            assert_eq!(outcome(&stack(status)), expected, "{status}");
        }
        let resource = Event {
            resource_status: "CREATE_COMPLETE".into(),
            ..Event::default()
        };
        assert_eq!(outcome(&resource), None, "a resource's event ends nothing");
    }

    #[test]
    fn every_code_of_every_resource_has_a_what_to_do() {
        for resource in [
            "Custom::KmsReady",
            "Custom::ConfigSetup",
            "Custom::SecurityHubEnable",
            "Custom::SecurityHubStandards",
        ] {
            for code in ["INVALID_PROPERTIES", "ACCESS_DENIED", "TIMEOUT", "INTERNAL"] {
                assert!(
                    what_to_do(resource, code).is_some_and(|w| !w.is_empty()),
                    "{resource} {code}"
                );
            }
        }
        assert_eq!(what_to_do("Custom::Nothing", "TIMEOUT"), None);
    }
}
