//! What a handler knows about the request it serves: ids, deadline, progress.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::request::{RequestType, Routing};
use crate::response::{full_body_len, Answer, Outcome, MAX_PHYSICAL_ID_BYTES, MAX_RESPONSE_BYTES};

/// The request being served, shared with the handler.
#[derive(Clone, Debug)]
pub struct RequestContext {
    request_type: RequestType,
    account_id: Arc<str>,
    routing: Arc<Routing>,
    deadline: Instant,
    physical_id: Arc<str>,
    progress: Arc<Mutex<Progress>>,
}

/// What has been done and what is under way, for the `TIMEOUT` message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Steps finished, in order.
    pub done: Vec<String>,
    /// The step under way, if any.
    pub pending: Option<String>,
}

impl Progress {
    /// `done: a; b. pending: c` (or `nothing pending`).
    pub(crate) fn describe(&self) -> String {
        let done = if self.done.is_empty() {
            "nothing".to_owned()
        } else {
            self.done.join("; ")
        };
        let pending = self.pending.as_deref().unwrap_or("nothing");
        format!("done: {done}; pending: {pending}")
    }
}

impl RequestContext {
    /// A context for one request; `deadline` is when the handler's work must stop.
    pub fn new(request_type: RequestType, routing: Routing, deadline: Instant) -> Self {
        let physical_id = answered_physical_id(request_type, &routing).into();
        Self {
            request_type,
            account_id: Arc::from(""),
            routing: Arc::new(routing),
            deadline,
            physical_id,
            progress: Arc::default(),
        }
    }

    /// A Create context with placeholder ids, for unit tests of handlers.
    pub fn for_tests(deadline: Instant) -> Self {
        Self::for_tests_of(RequestType::Create, None, deadline)
    }

    /// A context of `request_type` (with the PhysicalResourceId CloudFormation would
    /// send on Update and Delete) and placeholder ids, for unit tests of handlers.
    pub fn for_tests_of(
        request_type: RequestType,
        physical_id: Option<&str>,
        deadline: Instant,
    ) -> Self {
        let routing = Routing {
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/test/1".into(),
            request_id: "test-request".into(),
            logical_resource_id: "TestResource".into(),
            request_type: request_type.as_str().into(),
            physical_resource_id: physical_id.map(str::to_owned),
            resource_type: "Custom::Test".into(),
            ..Routing::default()
        };
        Self::new(request_type, routing, deadline).with_account_id("123456789012")
    }

    /// The context with the account the function runs in.
    pub(crate) fn with_account_id(mut self, account_id: &str) -> Self {
        self.account_id = Arc::from(account_id);
        self
    }

    /// The account the function runs in (from the invoked function ARN): the account
    /// whose Config and Security Hub it changes.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Create, Update or Delete.
    pub fn request_type(&self) -> RequestType {
        self.request_type
    }

    /// The PhysicalResourceId this request answers with, and the key of the resource's
    /// ownership record: on Create the stable id [`Self::new_physical_id`] derives (also
    /// for a failed Create, so its rollback Delete finds it), on Update and Delete the id
    /// CloudFormation sent.
    pub fn physical_id(&self) -> &str {
        &self.physical_id
    }

    /// `ResourceType`, e.g. `Custom::ConfigSetup`.
    pub fn resource_type(&self) -> &str {
        &self.routing.resource_type
    }

    /// `LogicalResourceId`.
    pub fn logical_resource_id(&self) -> &str {
        &self.routing.logical_resource_id
    }

    /// `StackId`.
    pub fn stack_id(&self) -> &str {
        &self.routing.stack_id
    }

    /// `RequestId` (CloudFormation's, stable across redeliveries).
    pub fn request_id(&self) -> &str {
        &self.routing.request_id
    }

    /// When the handler's work must be over (the Lambda deadline minus the safety margin).
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Time left before [`Self::deadline`].
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// A PhysicalResourceId derived from this request: `<stack name>-<LogicalResourceId>-<hash>`
    /// of the StackId, LogicalResourceId and RequestId, so a redelivered request gets the
    /// same one. Create answers with it; an Update that must replace the resource passes
    /// it to [`crate::Outcome::replaced_by`].
    pub fn new_physical_id(&self) -> String {
        new_physical_id(&self.routing)
    }

    /// Checks, before any change, that a `SUCCESS` with `outcome` (its `Data` and summary
    /// at their largest) fits CloudFormation's 4096-byte response for this request, so a
    /// request that would do all its work and then could not say so is refused up front.
    /// `Err` holds the body's size in bytes.
    pub fn check_answer_fits(&self, outcome: &Outcome) -> Result<(), usize> {
        let answer = Answer {
            result: Ok(outcome.clone()),
            physical_id: self.physical_id.to_string(),
        };
        match full_body_len(&self.routing, &answer) {
            size if size <= MAX_RESPONSE_BYTES => Ok(()),
            size => Err(size),
        }
    }

    /// Records the start of a step (finishing the previous one) and logs it.
    pub fn step(&self, step: impl Into<String>) {
        let step = step.into();
        tracing::info!(step = %step, "step");
        self.finish_step(Some(step));
    }

    /// Marks the step under way as finished.
    pub fn step_done(&self) {
        self.finish_step(None);
    }

    /// Moves the step under way to the finished ones; `next` is under way from now on.
    fn finish_step(&self, next: Option<String>) {
        let mut progress = self
            .progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(previous) = progress.pending.take() {
            progress.done.push(previous);
        }
        progress.pending = next;
    }

    /// A snapshot of the progress so far.
    pub(crate) fn progress(&self) -> Progress {
        self.progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// The id a request answers with (see [`RequestContext::physical_id`]).
pub(crate) fn answered_physical_id(request_type: RequestType, routing: &Routing) -> String {
    match (request_type, routing.physical_resource_id.as_deref()) {
        (RequestType::Update | RequestType::Delete, Some(id)) if !id.is_empty() => id.to_owned(),
        _ => new_physical_id(routing),
    }
}

/// See [`RequestContext::new_physical_id`].
pub(crate) fn new_physical_id(routing: &Routing) -> String {
    let stack_name = routing.stack_id.split('/').nth(1).unwrap_or("stack");
    let seed = format!(
        "{}\n{}\n{}",
        routing.stack_id, routing.logical_resource_id, routing.request_id
    );
    let hash = format!("-{:012x}", fnv1a(seed.as_bytes()) & 0xffff_ffff_ffff);
    // Shorten the readable part, never the hash that makes the id unique.
    let readable = format!("{stack_name}-{}", routing.logical_resource_id);
    let readable = crate::failure::shorten(&readable, MAX_PHYSICAL_ID_BYTES - hash.len());
    format!("{readable}{hash}")
}

/// 64-bit FNV-1a: small, stable across Rust versions (unlike `DefaultHasher`), so a
/// name derived from it (a physical id, a ledger parameter, a tag) is the same in every
/// version of a function.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(request_id: &str) -> RequestContext {
        let routing = Routing {
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/baseline/uuid".into(),
            request_id: request_id.into(),
            logical_resource_id: "KeyReady".into(),
            ..Routing::default()
        };
        RequestContext::new(RequestType::Create, routing, Instant::now())
    }

    #[test]
    fn new_physical_id_is_stable_per_request_and_readable() {
        let id = context("r1").new_physical_id();
        assert_eq!(id, context("r1").new_physical_id());
        assert_ne!(id, context("r2").new_physical_id());
        assert!(id.starts_with("baseline-KeyReady-"), "{id}");
        assert_eq!(id.len(), "baseline-KeyReady-".len() + 12);
    }

    #[test]
    fn an_overlong_physical_id_keeps_its_hash() {
        let mut routing = Routing {
            stack_id: format!(
                "arn:aws:cloudformation:us-east-1:1:stack/{}/uuid",
                "s".repeat(2000)
            ),
            request_id: "r1".into(),
            logical_resource_id: "KeyReady".into(),
            ..Routing::default()
        };
        let first = new_physical_id(&routing);
        routing.request_id = "r2".into();
        let second = new_physical_id(&routing);
        assert!(first.len() <= MAX_PHYSICAL_ID_BYTES);
        assert_ne!(first, second);
    }

    #[test]
    fn progress_lists_done_and_pending_steps() {
        let ctx = context("r1");
        assert_eq!(ctx.progress().describe(), "done: nothing; pending: nothing");
        ctx.step("describe key");
        ctx.step("check policy");
        assert_eq!(
            ctx.progress().describe(),
            "done: describe key; pending: check policy"
        );
        ctx.step_done();
        assert_eq!(
            ctx.progress().describe(),
            "done: describe key; check policy; pending: nothing"
        );
    }
}
