//! What a crash case adds to its world: one stack with fixed ids and requests with fixed
//! ids, so that every case's requests (and the PhysicalResourceId derived from them) are
//! the reference's.

use harness::Stack;
use serde_json::{json, Value};

use crate::lifecycle::{Step, Subject, World};

/// Every case's stack is `crashes`: the same ids give the same PhysicalResourceId and
/// records as the reference run's.
pub(super) const STACK: &str = "crashes";

impl World {
    /// `step`'s request, with the same RequestId (and ResponseURL path) in every world:
    /// `<stack name>-<request type>`.
    pub(super) fn event(&self, stack: &mut Stack<'_>, step: Step) -> Value {
        let last = stack.properties.clone();
        let mut event = match step {
            Step::Create => stack.request("Create", &self.properties(step), None),
            Step::Update => stack.request("Update", &self.properties(step), Some(&last)),
            Step::Delete => stack.request("Delete", &last, None),
        };
        let name = stack.stack_id.split('/').nth(1).unwrap_or_default();
        let id = format!("{name}-{}", step.name().to_lowercase());
        event["RequestId"] = json!(id);
        event["ResponseURL"] = json!(self.function.responses().url(&response_path(&id)));
        event
    }

    /// Waits, before every request after the Create, as long as the service needs to take
    /// it as the reference run's: Security Hub allows one `BatchEnableStandards` per
    /// second, and one throttled by the previous request's call adds a call (and moves
    /// every crash point after it).
    pub(super) async fn before(&self, step: Step) {
        if step != Step::Create && matches!(self.subject, Subject::SecurityHubStandards) {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
    }

    /// What CloudFormation holds after `step` succeeded with `physical_id`.
    pub(super) fn succeeded(&self, stack: &mut Stack<'_>, step: Step, physical_id: &str) {
        stack.physical_id = Some(physical_id.to_owned());
        if step != Step::Delete {
            stack.properties = self.properties(step);
        }
    }
}

/// Where the answer to the request `request_id` is PUT.
pub(super) fn response_path(request_id: &str) -> String {
    format!("cfn-responses/{request_id}")
}
