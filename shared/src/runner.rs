//! The lifecycle runner: one request in, exactly one response out.

use std::any::Any;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::time::Instant;
use tracing::Instrument;

use crate::context::{answered_physical_id, Progress, RequestContext};
use crate::delivery::{Delivery, DeliveryPolicy};
use crate::error::Error;
use crate::failure::{Failure, ReasonCode};
use crate::metrics::{sdk_attempts, AnswerMetrics};
use crate::origin::Origin;
use crate::properties::parse_properties;
use crate::request::{parse_envelope, read_payload, Envelope, Incoming, RequestType, Routing};
use crate::resource::CustomResource;
use crate::response::{response_body, Answer, Outcome, MAX_PHYSICAL_ID_BYTES};
use crate::response_url::{AllowList, ResponseUrl};
use crate::watchdog::{Guard, Watchdog};

/// Time kept after the last response PUT for reporting to Lambda.
const PUT_RESERVE: Duration = Duration::from_millis(100);

/// The least time the watchdog leaves the runner's own timer before it answers instead.
const WATCHDOG_GRACE: Duration = Duration::from_millis(100);

/// The most time kept back from the handler for sending the response.
const MAX_SAFETY_MARGIN: Duration = Duration::from_secs(5);

/// Time kept for the response PUT after the handler's deadline:
/// at most [`MAX_SAFETY_MARGIN`], and a fifth of the time left for short deadlines.
pub(crate) fn safety_margin(time_left: Duration) -> Duration {
    (time_left / 5).min(MAX_SAFETY_MARGIN)
}

/// When each part of answering one request must be over, all from the Lambda deadline
/// and the moment the request arrived: the one place that does this arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Deadlines {
    /// The handler's deadline (its `RequestContext::deadline`): the Lambda deadline less
    /// the [`safety_margin`].
    pub(crate) work: Instant,
    /// When the watchdog answers `FAILED [TIMEOUT]` itself if the handler has not
    /// yielded: a quarter of the margin (at least [`WATCHDOG_GRACE`]) after `work`.
    pub(crate) watchdog: Instant,
    /// The last moment a response PUT may start: the Lambda deadline less a reserve
    /// ([`PUT_RESERVE`], at most half the margin) for reporting to Lambda.
    pub(crate) put: Instant,
    /// The Lambda deadline.
    pub(crate) lambda: Instant,
}

impl Deadlines {
    /// The deadlines of a request that arrived at `now` with Lambda's deadline `lambda`.
    pub(crate) fn new(now: Instant, lambda: Instant) -> Self {
        let margin = safety_margin(lambda.saturating_duration_since(now));
        let work = lambda.checked_sub(margin).unwrap_or(lambda);
        let reserve = PUT_RESERVE.min(margin / 2);
        Self {
            work,
            watchdog: work + (margin / 4).max(WATCHDOG_GRACE),
            put: lambda.checked_sub(reserve).unwrap_or(lambda),
            lambda,
        }
    }

    /// How long to wait at `now` for a watchdog PUT under way (it makes one attempt even
    /// past the deadline).
    pub(crate) fn watchdog_done_by(&self, now: Instant) -> Instant {
        self.lambda.max(now + WATCHDOG_GRACE * 10)
    }
}

/// A function's `main`: sets up logging, then serves Lambda invocations on a
/// single-threaded runtime until the runtime API stops, for the resource `make` builds
/// from the SDK configuration.
///
/// Logging honours `AWS_LAMBDA_LOG_LEVEL` (a ceiling for every target) and
/// `AWS_LAMBDA_LOG_FORMAT=JSON`, else `RUST_LOG`. The SDK configuration comes from the
/// environment (region, the execution role's credentials, `AWS_ENDPOINT_URL[_<SERVICE>]`)
/// on the kit's one HTTP stack, with the SDK's own retries off (the kit retries, within
/// the request's deadline), attempts capped at 20 s and connections at 3 s.
///
/// `make` runs when the first invocation arrives, not before the first Runtime API poll:
/// building an SDK client builds its endpoint resolver, and each SDK crate parses its
/// partition table then (JSON and a dozen regexes, about 0.4 ms per crate here), as the
/// watchdog thread starts. None of it is needed to ask Lambda for the first event, so
/// Lambda's init phase ends that much sooner; the first request pays it once. `make`
/// must not panic: it runs before any request can be answered (build SDK clients there,
/// nothing that can fail).
pub fn run<R, F>(make: F) -> Result<(), lambda_runtime::Error>
where
    R: CustomResource,
    F: FnOnce(&aws_types::SdkConfig) -> R + Send + 'static,
{
    crate::init_logging();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(serve(move || make(&crate::load_aws_config())))
}

/// Serves Lambda invocations with the resource `make` builds on the first one.
async fn serve<R, F>(make: F) -> Result<(), lambda_runtime::Error>
where
    R: CustomResource,
    F: FnOnce() -> R + Send + 'static,
{
    let runner = Arc::new(LazyLock::new(move || Runner::new(make())));
    // The payload arrives as raw text: a typed read in the runtime would refuse one nested
    // past serde_json's recursion limit before any handler ran, and nothing would answer.
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let runner = Arc::clone(&runner);
        async move { LazyLock::force(&runner).handle_text(event).await }
    }))
    .await
}

/// Parses, dispatches and answers requests for one resource type.
pub(crate) struct Runner<R> {
    resource: Arc<R>,
    delivery: Delivery,
    allow_list: AllowList,
    watchdog: Watchdog,
    /// The Lambda function's name, the `Function` dimension of its answers' metrics.
    function_name: String,
    /// The namespace of its answers' metrics (read once, as the function's name is).
    metrics_namespace: String,
}

impl<R: CustomResource> Runner<R> {
    /// A runner with the default delivery policy and the allow-list from the environment.
    pub(crate) fn new(resource: R) -> Self {
        Self::with_settings(resource, DeliveryPolicy::default(), AllowList::from_env())
    }

    /// A runner with explicit delivery policy and allow-list (tests).
    pub(crate) fn with_settings(
        resource: R,
        policy: DeliveryPolicy,
        allow_list: AllowList,
    ) -> Self {
        Self {
            resource: Arc::new(resource),
            delivery: Delivery::new(policy.clone()),
            allow_list,
            watchdog: Watchdog::start(policy),
            function_name: std::env::var("AWS_LAMBDA_FUNCTION_NAME")
                .unwrap_or_else(|_| "unknown".to_owned()),
            metrics_namespace: crate::metrics::namespace_from_env(),
        }
    }

    /// [`Self::handle_text`] for a payload already parsed (tests).
    #[cfg(test)]
    pub(crate) async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let requests = read_payload(&event.payload.to_string());
        self.handle_requests(requests, &event.context).await
    }

    /// Handles one Lambda invocation, its payload given as JSON text and read leniently
    /// ([`read_payload`]). Returns a summary of each answer sent (status, reason, ids;
    /// never `Data`, which may be `NoEcho`), for `cargo lambda invoke` and async
    /// destinations.
    ///
    /// An `Err` goes back to Lambda: only when the event cannot be answered or the
    /// response could not be delivered.
    pub(crate) async fn handle_text(
        &self,
        event: LambdaEvent<Box<RawValue>>,
    ) -> Result<Value, Error> {
        self.handle_requests(read_payload(event.payload.get()), &event.context)
            .await
    }

    async fn handle_requests(
        &self,
        requests: Vec<Result<Incoming, Error>>,
        context: &lambda_runtime::Context,
    ) -> Result<Value, Error> {
        let hard_deadline = instant_from_epoch_ms(context.deadline);
        let origin = Origin::of_function(&context.invoked_function_arn);
        let mut sent = Vec::new();
        let mut first_error = None;
        for request in requests {
            let answered = match request {
                Ok(request) => self.answer(request, &origin, hard_deadline).await,
                Err(error) => {
                    tracing::error!(error = %error, "the event is not a CloudFormation request; no response can be sent");
                    Err(error)
                }
            };
            match answered {
                Ok(summary) => sent.push(summary),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if let Some(error) = first_error {
            return Err(error);
        }
        Ok(if sent.len() == 1 {
            sent.remove(0)
        } else {
            Value::Array(sent)
        })
    }

    /// Answers one CloudFormation request from `origin` before `hard_deadline` (the
    /// Lambda deadline).
    async fn answer(
        &self,
        incoming: Incoming,
        origin: &Result<Origin, Failure>,
        hard_deadline: Instant,
    ) -> Result<Value, Error> {
        let started = Instant::now();
        let calls_before = sdk_attempts();
        let routing = Routing::from_event(&incoming.request);
        let span = tracing::info_span!(
            "request",
            request_id = %routing.request_id,
            stack_id = %routing.stack_id,
            logical_resource_id = %routing.logical_resource_id,
            request_type = %routing.request_type,
            resource_type = %routing.resource_type,
        );
        async {
            let url = self.response_url(&routing)?;
            // Ids too large for any answer: nothing is done that could not be reported.
            let smallest = unhandled(&routing, Failure::new(ReasonCode::Internal, ""));
            if let Err(error) = response_body(&routing, &smallest) {
                tracing::error!(error = %error, "no response can be sent; nothing was done");
                return Err(error);
            }
            let deadlines = Deadlines::new(started, hard_deadline);
            let (answer, guard) = self
                .execute(incoming, origin, &routing, &url, deadlines)
                .await;
            if let Some(guard) = guard.as_ref().filter(|guard| !guard.claim()) {
                guard
                    .watchdog_done(deadlines.watchdog_done_by(Instant::now()))
                    .await;
                tracing::warn!("the watchdog already answered this request; nothing more is sent");
                let answer = guard.timeout_answer();
                self.measure(&routing, &answer, started, calls_before);
                return Ok(answer.summary(&routing));
            }
            let summary = answer.summary(&routing);
            let body = response_body(&routing, &answer).inspect_err(|error| {
                tracing::error!(outcome = status_of(&answer), error = %error, "no response can be sent");
            })?;
            let status = status_of(&answer);
            let reason_code = answer.reason_code().map(ReasonCode::as_str).unwrap_or("");
            let reason = summary["Reason"].as_str().unwrap_or_default();
            let delivered = self.delivery.put(&url, &body, deadlines.put).await;
            self.measure(&routing, &answer, started, calls_before);
            match delivered {
                Ok(attempts) => {
                    tracing::info!(
                        outcome = status,
                        reason_code,
                        reason = %reason,
                        duration_ms = started.elapsed().as_millis() as u64,
                        attempts,
                        url = %url,
                        "response delivered"
                    );
                    Ok(summary)
                }
                Err(error) => {
                    tracing::error!(
                        outcome = status,
                        reason_code,
                        duration_ms = started.elapsed().as_millis() as u64,
                        error = %error,
                        "response not delivered"
                    );
                    Err(error)
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Writes the answer's metric record (one per answer, the watchdog's included).
    fn measure(&self, routing: &Routing, answer: &Answer, started: Instant, calls_before: u64) {
        AnswerMetrics {
            function: &self.function_name,
            resource_type: &routing.resource_type,
            request_type: RequestType::from_name(&routing.request_type)
                .map_or("Unknown", RequestType::as_str),
            status: status_of(answer),
            reason_code: answer.reason_code().map_or("NONE", ReasonCode::as_str),
            duration_ms: started.elapsed().as_millis() as u64,
            aws_calls: sdk_attempts().saturating_sub(calls_before),
        }
        .emit(&self.metrics_namespace);
    }

    fn response_url(&self, routing: &Routing) -> Result<ResponseUrl, Error> {
        let Some(raw) = routing.response_url.as_deref() else {
            let error = Error::UnusableResponseUrl("the request has no ResponseURL".into());
            tracing::error!(error = %error, "no response can be sent");
            return Err(error);
        };
        ResponseUrl::parse(raw, &self.allow_list).inspect_err(|error| {
            tracing::error!(error = %error, "no response can be sent");
        })
    }

    /// Runs the handler under `deadlines.work`, the panic guard and the watchdog; returns
    /// the answer and the guard the watchdog holds (none when no handler ran).
    async fn execute(
        &self,
        incoming: Incoming,
        origin: &Result<Origin, Failure>,
        routing: &Routing,
        url: &ResponseUrl,
        deadlines: Deadlines,
    ) -> (Answer, Option<Arc<Guard>>) {
        // A request not from this function's own stacks is never CloudFormation's: refused
        // before any AWS call, whatever its type (no real stack waits on its answer).
        if let Err(failure) = origin
            .as_ref()
            .map_err(Failure::clone)
            .and_then(|origin| origin.admit(&routing.stack_id))
        {
            tracing::warn!(reason = %failure, "request refused: not from this function's own stacks");
            return (unhandled(routing, failure), None);
        }
        let parsed = match incoming.unreadable {
            Some(failure) => Err(failure),
            None => parse_envelope(&incoming.request),
        };
        let envelope = match parsed {
            Ok(envelope) => envelope,
            // A Delete must not wedge a rollback on a malformed envelope: run it without properties.
            Err(failure) if routing.request_type == RequestType::Delete.as_str() => {
                tracing::warn!(reason = %failure, "malformed Delete request; deleting without properties");
                Envelope {
                    request_type: RequestType::Delete,
                    properties: Value::Null,
                    old_properties: None,
                }
            }
            Err(failure) => {
                let failure = failure.with_progress(Progress::default().describe());
                return (unhandled(routing, failure), None);
            }
        };
        let request_type = envelope.request_type;
        let account = origin.as_ref().map(Origin::account).unwrap_or_default();
        let context = RequestContext::new(request_type, routing.clone(), deadlines.work)
            .with_account_id(account);
        let guard = Arc::new(Guard::new(
            context.clone(),
            routing.clone(),
            url.clone(),
            deadlines.watchdog,
            deadlines.put,
        ));
        self.watchdog.arm(Arc::clone(&guard));
        let resource = Arc::clone(&self.resource);
        let task_context = context.clone();
        let mut task = tokio::spawn(
            async move { dispatch(resource.as_ref(), &task_context, envelope).await }
                .instrument(tracing::Span::current()),
        );
        let result = match tokio::time::timeout_at(deadlines.work, &mut task).await {
            Ok(Ok(result)) => result.and_then(|outcome| settle_physical_id(&context, outcome)),
            Ok(Err(join_error)) if join_error.is_panic() => {
                let message = panic_message(join_error.into_panic());
                tracing::error!(panic = %message, "the handler panicked");
                Err(Failure::new(
                    ReasonCode::Internal,
                    format!("the handler panicked: {message}"),
                ))
            }
            Ok(Err(_)) => Err(Failure::new(
                ReasonCode::Internal,
                "the handler was cancelled",
            )),
            Err(_) => {
                task.abort();
                Err(Failure::new(
                    ReasonCode::Timeout,
                    format!(
                        "the Lambda deadline (less a safety margin) arrived before {request_type} finished"
                    ),
                ))
            }
        };
        let answer = match result {
            Ok(outcome) => Answer {
                physical_id: outcome
                    .replacement()
                    .map_or_else(|| context.physical_id().to_owned(), str::to_owned),
                result: Ok(outcome),
            },
            Err(failure) => {
                let failure = match crate::runbook::remedy_for(R::RUNBOOK, failure.code()) {
                    Some(remedy) => failure.with_remedy(remedy.action),
                    None => failure,
                };
                Answer {
                    result: Err(failure.with_progress(context.progress().describe())),
                    physical_id: context.physical_id().to_owned(),
                }
            }
        };
        (answer, Some(guard))
    }
}

async fn dispatch<R: CustomResource>(
    resource: &R,
    context: &RequestContext,
    envelope: Envelope,
) -> Result<Outcome, Failure> {
    match envelope.request_type {
        RequestType::Create => {
            let properties = parse_properties(&envelope.properties)?;
            resource.create(context, properties).await
        }
        RequestType::Update => {
            let properties = parse_properties(&envelope.properties)?;
            let old = envelope
                .old_properties
                .as_ref()
                .and_then(|old| parse_properties(old).ok());
            resource.update(context, properties, old).await
        }
        RequestType::Delete => {
            let properties = match parse_properties(&envelope.properties) {
                Ok(properties) => Some(properties),
                Err(failure) => {
                    tracing::warn!(
                        reason = %failure,
                        "Delete goes on without properties: they do not parse (most likely the Create failed on them)"
                    );
                    None
                }
            };
            resource.delete(context, properties).await
        }
    }
}

/// The physical id rules: only an Update may ask for a replacement, with a valid id.
fn settle_physical_id(context: &RequestContext, outcome: Outcome) -> Result<Outcome, Failure> {
    let Some(replacement) = outcome.replacement() else {
        return Ok(outcome);
    };
    let request_type = context.request_type();
    if replacement == context.physical_id() {
        return Ok(outcome);
    }
    if request_type != RequestType::Update {
        return Err(Failure::new(
            ReasonCode::Internal,
            format!("a {request_type} may not change the PhysicalResourceId (only an Update can replace a resource)"),
        ));
    }
    let length = replacement.len();
    if length == 0 || length > MAX_PHYSICAL_ID_BYTES {
        return Err(Failure::new(
            ReasonCode::Internal,
            format!("the handler asked for a replacement PhysicalResourceId of {length} bytes (1 to {MAX_PHYSICAL_ID_BYTES} allowed)"),
        ));
    }
    tracing::warn!(
        old = %context.physical_id(),
        new = %replacement,
        "replacement: CloudFormation will send a Delete for the old PhysicalResourceId"
    );
    Ok(outcome)
}

/// The `FAILED` answer to a request no handler ran for: with Create's generated id, or
/// the id CloudFormation sent (also for an unknown request type), if it sent one.
fn unhandled(routing: &Routing, failure: Failure) -> Answer {
    let request_type = match routing.request_type.as_str() {
        "Create" => RequestType::Create,
        _ => RequestType::Update,
    };
    Answer {
        physical_id: answered_physical_id(request_type, routing),
        result: Err(failure),
    }
}

fn status_of(answer: &Answer) -> &'static str {
    if answer.result.is_ok() {
        "SUCCESS"
    } else {
        "FAILED"
    }
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic payload".to_owned())
}

/// The longest a Lambda function may run; the budget assumed without a usable deadline.
const LAMBDA_MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// A deadline this far in the past is not a clock skew but a runtime that sends no real
/// deadline (`cargo lambda watch` sends a constant `600000`, i.e. 1970).
const IMPLAUSIBLY_LATE: Duration = Duration::from_secs(86_400);

/// Converts Lambda's deadline (ms since the epoch) to a monotonic instant.
fn instant_from_epoch_ms(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    lambda_deadline(deadline_ms, now_ms, Instant::now())
}

fn lambda_deadline(deadline_ms: u64, now_ms: u64, now: Instant) -> Instant {
    if deadline_ms.saturating_add(IMPLAUSIBLY_LATE.as_millis() as u64) < now_ms {
        tracing::warn!(
            deadline_ms,
            "the runtime sent no plausible deadline (a local emulator?); assuming Lambda's maximum of 900 s"
        );
        return now + LAMBDA_MAX_TIMEOUT;
    }
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_ms)).min(LAMBDA_MAX_TIMEOUT);
    now + left
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;
