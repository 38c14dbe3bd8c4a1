//! The last-resort answer: a thread of its own that PUTs `FAILED [TIMEOUT]` when the
//! runner's own timer could not, because the handler blocked the runtime's thread.
//!
//! Each request arms a [`Guard`]. Whoever claims it first sends the one answer: the
//! runner when the handler finishes (or its timer fires) in time, the watchdog when the
//! guard is still unclaimed a little after the handler's deadline. The watchdog has its
//! own single-threaded runtime and its own HTTP client, so nothing it needs runs on the
//! thread the handler may be blocking.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::context::RequestContext;
use crate::delivery::{Delivery, DeliveryPolicy};
use crate::failure::{Failure, ReasonCode};
use crate::request::Routing;
use crate::response::{response_body, Answer};
use crate::response_url::ResponseUrl;

/// One request's claim on its single answer.
pub(crate) struct Guard {
    claimed: AtomicBool,
    /// Set once the watchdog's PUT is over (delivered or not).
    delivered: tokio::sync::watch::Sender<bool>,
    fire_at: Instant,
    put_deadline: Instant,
    url: ResponseUrl,
    routing: Routing,
    context: RequestContext,
}

impl Guard {
    /// A guard the watchdog fires at `fire_at`, PUTting before `put_deadline`.
    pub(crate) fn new(
        context: RequestContext,
        routing: Routing,
        url: ResponseUrl,
        fire_at: tokio::time::Instant,
        put_deadline: tokio::time::Instant,
    ) -> Self {
        Self {
            claimed: AtomicBool::new(false),
            delivered: tokio::sync::watch::Sender::new(false),
            fire_at: fire_at.into_std(),
            put_deadline: put_deadline.into_std(),
            url,
            routing,
            context,
        }
    }

    /// Takes the right to answer; `false` when the other side already has it.
    pub(crate) fn claim(&self) -> bool {
        !self.claimed.swap(true, Ordering::SeqCst)
    }

    /// Waits (at most until `deadline`) until the watchdog's PUT is over, so the runner
    /// reports to Lambda only after CloudFormation has its answer.
    pub(crate) async fn watchdog_done(&self, deadline: tokio::time::Instant) {
        let mut done = self.delivered.subscribe();
        let _ = tokio::time::timeout_at(deadline, done.wait_for(|over| *over)).await;
    }

    fn is_claimed(&self) -> bool {
        self.claimed.load(Ordering::SeqCst)
    }

    /// The answer the watchdog sends: `TIMEOUT` with the request's progress.
    pub(crate) fn timeout_answer(&self) -> Answer {
        let progress = self.context.progress().describe();
        Answer {
            result: Err(Failure::new(
                ReasonCode::Timeout,
                format!(
                    "the Lambda deadline (less a safety margin) arrived before {} finished, and the handler did not yield (it blocked its thread)",
                    self.context.request_type()
                ),
            )
            .with_progress(progress)),
            physical_id: self.context.physical_id().to_owned(),
        }
    }
}

/// The watchdog thread's mailbox.
pub(crate) struct Watchdog {
    sender: Mutex<Sender<Arc<Guard>>>,
}

impl Watchdog {
    /// Starts the watchdog thread; it ends when the watchdog is dropped.
    pub(crate) fn start(policy: DeliveryPolicy) -> Self {
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("cfn-response-watchdog".into())
            .spawn(move || watch(receiver, policy))
            .expect("the watchdog thread starts");
        Self {
            sender: Mutex::new(sender),
        }
    }

    /// Hands `guard` to the watchdog.
    pub(crate) fn arm(&self, guard: Arc<Guard>) {
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if sender.send(guard).is_err() {
            tracing::error!("the response watchdog is gone; only the runner can answer");
        }
    }
}

fn watch(receiver: Receiver<Arc<Guard>>, policy: DeliveryPolicy) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(error = %error, "the response watchdog has no runtime");
            return;
        }
    };
    // Its own client (built when it first fires): a pooled connection of the runner's
    // would live on the runner's thread.
    let delivery = Delivery::new(policy);
    let mut armed: Vec<Arc<Guard>> = Vec::new();
    loop {
        armed.retain(|guard| !guard.is_claimed());
        let next = armed.iter().map(|guard| guard.fire_at).min();
        let received = match next {
            Some(at) => receiver.recv_timeout(at.saturating_duration_since(Instant::now())),
            None => receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(guard) => armed.push(guard),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) if armed.is_empty() => return,
            Err(RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let now = Instant::now();
        for guard in armed.iter().filter(|guard| guard.fire_at <= now) {
            if guard.claim() {
                runtime.block_on(fire(&delivery, guard));
                guard.delivered.send_replace(true);
            }
        }
    }
}

async fn fire(delivery: &Delivery, guard: &Guard) {
    let answer = guard.timeout_answer();
    let body = match response_body(&guard.routing, &answer) {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(error = %error, "the watchdog could not build its answer");
            return;
        }
    };
    let deadline = tokio::time::Instant::from_std(guard.put_deadline);
    match delivery.put(&guard.url, &body, deadline).await {
        Ok(attempts) => tracing::error!(
            request_id = %guard.routing.request_id,
            outcome = "FAILED",
            reason_code = "TIMEOUT",
            attempts,
            url = %guard.url,
            "the handler blocked its thread past the deadline; the watchdog answered"
        ),
        Err(error) => tracing::error!(
            request_id = %guard.routing.request_id,
            error = %error,
            "the watchdog's answer was not delivered"
        ),
    }
}
