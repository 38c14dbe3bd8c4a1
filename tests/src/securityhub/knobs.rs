//! What a test programs: delays, failures, throttles, holds, and the account's
//! situation (organization, region, what was enabled before the test).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::state::{Hub, State, Subscription};
use super::{Inner, Recording, SecurityHub};
use crate::moto::Moto;

impl SecurityHub {
    /// How many `GetEnabledStandards` calls a new subscription stays `PENDING`.
    pub fn pending_polls(&self, polls: u32) -> &Self {
        self.inner.state().pending_polls = polls;
        self
    }

    /// How many `GetEnabledStandards` calls a disabled subscription stays `DELETING`.
    pub fn deleting_polls(&self, polls: u32) -> &Self {
        self.inner.state().deleting_polls = polls;
        self
    }

    /// How many `DescribeHub` reads an accepted settings change takes to show.
    pub fn setting_delay(&self, reads: u32) -> &Self {
        self.inner.state().setting_delay = reads;
        self
    }

    /// Where the AWS Config recording state comes from.
    pub fn recording(&self, recording: Recording) -> &Self {
        *self
            .inner
            .recording
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = recording;
        self
    }

    /// Asks moto's AWS Config whether a recorder records (take [`crate::config_lock`]).
    pub async fn recording_from_moto(&self, moto: &Moto) -> &Self {
        let client = aws_sdk_config::Client::new(&moto.sdk_config().await);
        self.recording(Recording::FromMoto(client))
    }

    /// Holds every call of `operation` until [`Self::release`]: two requests racing
    /// for the same thing can then be lined up exactly (both past their reads, neither
    /// served yet), as two stacks deployed at the same moment may be.
    pub fn hold(&self, operation: &str) -> &Self {
        self.inner
            .held
            .send_modify(|held| held.push(operation.to_owned()));
        self
    }

    /// Lets the held calls of `operation` (and later ones) through.
    pub fn release(&self, operation: &str) -> &Self {
        self.inner
            .held
            .send_modify(|held| held.retain(|op| op != operation));
        self
    }

    /// Waits (up to 10 s) until `count` calls of a held `operation` are waiting.
    pub async fn wait_for_held(&self, operation: &str, count: usize) {
        let started = Instant::now();
        while self
            .inner
            .waiting
            .lock()
            .unwrap()
            .get(operation)
            .copied()
            .unwrap_or_default()
            < count
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{count} held {operation} calls never arrived"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Answers the next `times` calls of `operation` with `LimitExceededException` (429).
    pub fn throttle(&self, operation: &str, times: u32) -> &Self {
        self.inner
            .state()
            .throttles
            .insert(operation.to_owned(), times);
        self
    }

    /// The account is governed by a central configuration policy: changes are refused.
    pub fn centrally_configured(&self, yes: bool) -> &Self {
        self.inner.state().centrally_configured = yes;
        self
    }

    /// The account is a member of `administrator` (or of none).
    pub fn member_of(&self, administrator: Option<&str>) -> &Self {
        self.inner.state().administrator = administrator.map(str::to_owned);
        self
    }

    /// The account is an administrator with this many member accounts.
    pub fn members(&self, count: u32) -> &Self {
        self.inner.state().members = count;
        self
    }

    /// This region does not offer the standard `short_id`.
    pub fn without_standard(&self, short_id: &str) -> &Self {
        self.inner
            .state()
            .missing_standards
            .push(short_id.to_owned());
        self
    }

    /// `short_id` leaves `PENDING` as `INCOMPLETE` with `reason`, whatever AWS Config does.
    pub fn incomplete(&self, short_id: &str, reason: &str) -> &Self {
        self.inner
            .state()
            .incomplete
            .insert(short_id.to_owned(), reason.to_owned());
        self
    }

    /// The next `times` disables of `short_id` end `FAILED` with `reason` instead of
    /// gone: StandardsSubscription, "FAILED - The standard could not be disabled. One or
    /// more errors (StandardsStatusReason) occurred when AWS Security Hub CSPM attempted
    /// to disable the standard."
    pub fn failing_disables(&self, short_id: &str, times: u32, reason: &str) -> &Self {
        self.inner
            .state()
            .failing_disables
            .insert(short_id.to_owned(), (times, reason.to_owned()));
        self
    }

    /// A hub enabled before the test (someone else's), in `region`.
    pub fn hub_enabled_before(&self, region: &str, generator: &str, auto_enable: bool) -> &Self {
        self.inner.state().hub = Some(Hub::new(
            region,
            "2024-03-01T08:00:00.000Z".into(),
            auto_enable,
            generator.into(),
            BTreeMap::new(),
        ));
        self
    }

    /// A standard enabled and `READY` before the test (someone else's), in `region`.
    pub fn standard_enabled_before(&self, region: &str, short_id: &str) -> &Self {
        self.inner
            .state()
            .subscriptions
            .push(Subscription::new(region, short_id, "READY", 0));
        self
    }
}

impl Inner {
    /// Waits while [`SecurityHub::hold`] holds `operation`, counted as waiting.
    pub(super) async fn wait_while_held(&self, operation: &str) {
        let mut held = self.held.subscribe();
        if !held.borrow().iter().any(|op| op == operation) {
            return;
        }
        *self
            .waiting
            .lock()
            .unwrap()
            .entry(operation.to_owned())
            .or_default() += 1;
        let _ = held
            .wait_for(|held| !held.iter().any(|op| op == operation))
            .await;
    }
}

impl State {
    /// Whether this call of `operation` is one [`SecurityHub::throttle`] asked to refuse.
    pub(super) fn take_throttle(&mut self, operation: &str) -> bool {
        match self.throttles.get_mut(operation) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }
}
