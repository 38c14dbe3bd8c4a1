//! A Security Hub CSPM emulator on loopback: the REST (restJson1) wire format of the
//! real service, and a state machine for the hub and its standards subscriptions.
//!
//! # Why one emulator for the whole service
//!
//! moto implements `EnableSecurityHub`, `DescribeHub` and `DisableSecurityHub`, but not
//! the standards calls (404), not `UpdateSecurityHubConfiguration`, not hub tags, and it
//! answers a second enable with success instead of `ResourceConflictException`. A router
//! forwarding the hub calls to moto would also share one hub per account and region
//! between every test of the process (moto runs once per process, tests run in
//! parallel): one test disabling the hub would pull it from under another. So each test
//! starts its own emulator serving the whole service, with its own hub and
//! subscriptions; the functions reach it through `AWS_ENDPOINT_URL_SECURITYHUB` (the
//! SDK's standard setting) and cannot tell it from Security Hub.
//!
//! What stays real: AWS Config. When a standard leaves `PENDING`, the emulator asks
//! moto's AWS Config (`DescribeConfigurationRecorderStatus`) whether a recorder records,
//! as Security Hub needs; if none does, the standard becomes `INCOMPLETE` with
//! `NO_AVAILABLE_CONFIGURATION_RECORDER` ([`Recording::FromMoto`]). moto's recorder is
//! one per region for the whole process, so tests that do not exercise that dependency
//! declare it instead ([`Recording::Assumed`], the default) and never touch moto's
//! recorder; the tests that do take [`crate::config_lock`].
//!
//! # The state machine (`state.rs`)
//!
//! - Hub: not subscribed → `EnableSecurityHub` → subscribed (`SECURITY_CONTROL`,
//!   `AutoEnableControls` true, tags as sent; the default standards `PENDING` unless
//!   `EnableDefaultStandards` is false). A second enable: `ResourceConflictException`.
//!   `UpdateSecurityHubConfiguration` is accepted and shows in `DescribeHub` after
//!   [`SecurityHub::setting_delay`] reads. `DisableSecurityHub` drops the hub, its tags
//!   and every subscription.
//! - Standards: `BatchEnableStandards` (1–25 per call, one call per second, else
//!   `LimitExceededException`) → `PENDING` for [`SecurityHub::pending_polls`]
//!   `GetEnabledStandards` calls → `READY`, or `INCOMPLETE` with a `StatusReasonCode`.
//!   `BatchDisableStandards` of a `PENDING` subscription is refused with the service's
//!   words ("in state PENDING, please try later"); otherwise `DELETING` for
//!   [`SecurityHub::deleting_polls`] reads, then gone, or `FAILED` ("could not be
//!   disabled") when asked for ([`SecurityHub::failing_disables`]). A standards ARN where a
//!   subscription ARN belongs is `AccessDeniedException`, as the service answers.
//! - On demand: throttling of any operation ([`SecurityHub::throttle`]), a centrally
//!   configured account (`AccessDeniedException` naming the central configuration
//!   policy), a member account, an administrator with members, a region without a
//!   standard, a standard that ends `INCOMPLETE` for another reason.
//!
//! The wire format (routing, parsing, the error shapes) is in `wire.rs`, what the
//! service offers and its ARNs in `catalogue.rs`, what a test programs (delays,
//! failures, throttles, holds) in `knobs.rs`.

mod catalogue;
mod knobs;
mod state;
mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use cfn_custom_resource_kit::testing::serve_loopback;
use serde_json::Value;

pub use catalogue::{hub_arn, partition_of, standards_arn, subscription_arn, ACCOUNT, CATALOGUE};
pub use state::{Hub, Subscription};
/// How the fault proxy names, routes and answers a Security Hub call.
pub(crate) use wire::{credential_scope, operation_of, written};

/// Whether AWS Config records, as the emulator decides when a standard leaves `PENDING`.
#[derive(Clone, Debug)]
pub enum Recording {
    /// Declared by the test: no AWS call (tests that do not exercise the dependency).
    Assumed(bool),
    /// Asked of moto's AWS Config: a recorder whose status says `recording`.
    FromMoto(aws_sdk_config::Client),
}

/// One request the emulator answered.
#[derive(Clone, Debug)]
pub struct Call {
    /// The API operation, e.g. `BatchEnableStandards`.
    pub operation: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The error type answered, if any.
    pub error: Option<String>,
    /// The JSON body received (`null` when none).
    pub body: Value,
    /// When it arrived (before its body was read).
    pub at: Instant,
}

struct Inner {
    state: Mutex<state::State>,
    recording: Mutex<Recording>,
    /// Operations held back (see [`SecurityHub::hold`]), and how many calls wait on each.
    held: tokio::sync::watch::Sender<Vec<String>>,
    waiting: Mutex<std::collections::HashMap<String, usize>>,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, state::State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether AWS Config records, per [`Recording`].
    async fn config_records(&self) -> bool {
        let recording = self
            .recording
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        match recording {
            Recording::Assumed(records) => records,
            Recording::FromMoto(client) => client
                .describe_configuration_recorder_status()
                .send()
                .await
                .map(|output| {
                    output
                        .configuration_recorders_status()
                        .iter()
                        .any(|status| status.recording())
                })
                .unwrap_or(false),
        }
    }
}

/// A running emulator (one per test). Stops with the test's runtime.
#[derive(Clone)]
pub struct SecurityHub {
    addr: SocketAddr,
    inner: Arc<Inner>,
}

impl SecurityHub {
    /// Starts an emulator on a free 127.0.0.1 port: no hub, standards `PENDING` for 2
    /// polls, `DELETING` for 1, settings shown after 1 read, AWS Config assumed recording.
    pub async fn start() -> Self {
        let inner = Arc::new(Inner {
            state: Mutex::new(state::State::new()),
            recording: Mutex::new(Recording::Assumed(true)),
            held: tokio::sync::watch::Sender::new(Vec::new()),
            waiting: Mutex::default(),
        });
        let serving = Arc::clone(&inner);
        let addr = serve_loopback(move |request| {
            let inner = Arc::clone(&serving);
            async move { wire::answer(&inner, request).await }
        })
        .await;
        Self { addr, inner }
    }

    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SECURITYHUB`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment entry pointing a function at this emulator.
    pub fn env(&self) -> (&'static str, String) {
        ("AWS_ENDPOINT_URL_SECURITYHUB", self.endpoint())
    }

    // ---- what a test reads back ----

    /// The hub, if subscribed.
    pub fn hub(&self) -> Option<Hub> {
        self.inner.state().hub.clone()
    }

    /// Asserts that the hub is enabled (the account subscribed), saying `why` otherwise.
    pub fn assert_enabled(&self, why: &str) {
        assert!(self.hub().is_some(), "the hub is disabled: {why}");
    }

    /// Asserts that the hub is enabled and no one asked to disable it, saying `why`
    /// otherwise: what a resource that does not own the hub must leave.
    pub fn assert_untouched(&self, why: &str) {
        self.assert_enabled(why);
        assert_eq!(
            self.count("DisableSecurityHub"),
            0,
            "a disable was asked: {why}"
        );
    }

    /// Asserts that the hub is disabled (the account not subscribed), saying `why` otherwise.
    pub fn assert_disabled(&self, why: &str) {
        assert!(self.hub().is_none(), "the hub is enabled: {why}");
    }

    /// Every subscription, in the order they were made.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.inner.state().subscriptions.clone()
    }

    /// The status of `short_id`'s subscription, if there is one.
    pub fn status_of(&self, short_id: &str) -> Option<String> {
        self.subscriptions()
            .into_iter()
            .find(|s| s.short_id() == short_id)
            .map(|s| s.status)
    }

    /// Every request answered so far.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.state().calls.clone()
    }

    /// The calls of `operation` answered so far, in order.
    pub fn calls_of(&self, operation: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|call| call.operation == operation)
            .collect()
    }

    /// How many calls of `operation` were answered so far.
    pub fn count(&self, operation: &str) -> usize {
        self.calls_of(operation).len()
    }

    /// The operations called so far, in order.
    pub fn operations(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.operation).collect()
    }
}
