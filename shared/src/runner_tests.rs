//! The runner's guarantees, against a loopback stand-in for the pre-signed URL.

use std::sync::atomic::{AtomicU32, Ordering};

use lambda_runtime::Context;
use serde::Deserialize;
use serde_json::json;

use super::*;
use crate::properties::{de, ResourceProperties};
use crate::retry::Backoff;
use crate::testing::ResponseServer;

/// A resource whose behaviour the properties choose.
#[derive(Default)]
struct Fake {
    calls: AtomicU32,
    deletes_without_properties: AtomicU32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FakeProperties {
    mode: String,
    #[serde(default, deserialize_with = "de::u64")]
    size: u64,
}

impl ResourceProperties for FakeProperties {
    fn validate(&self) -> Result<(), Failure> {
        if self.size > 10 {
            return Err(Failure::invalid_property("Size", "must be at most 10"));
        }
        Ok(())
    }
}

impl CustomResource for Fake {
    type Properties = FakeProperties;

    /// Behaves as `properties.mode` says; Update and Delete (with properties) do the same.
    async fn create(
        &self,
        context: &RequestContext,
        properties: FakeProperties,
    ) -> Result<Outcome, Failure> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match properties.mode.as_str() {
            "ok" => Ok(Outcome::new().with_data("Size", properties.size.to_string())),
            "secret" => Ok(Outcome::new()
                .with_data("Password", "hunter2")
                .with_no_echo()),
            "fail" => Err(Failure::new(ReasonCode::NotActive, "it is not active")),
            "fail-half-way" => {
                context.step("creating the recorder");
                context.step("starting the recorder");
                Err(Failure::new(ReasonCode::AccessDenied, "no"))
            }
            "panic" => panic!("boom"),
            "hang" => {
                context.step("creating the thing");
                context.step("waiting for the thing");
                std::future::pending().await
            }
            "replace" => Ok(
                Outcome::new().replaced_by(format!("{}-replacement", context.new_physical_id()))
            ),
            "replace-empty" => Ok(Outcome::new().replaced_by("")),
            "block" => {
                context.step("blocking the thread");
                std::thread::sleep(Duration::from_millis(properties.size * 500));
                Ok(Outcome::new())
            }
            other => Err(Failure::new(
                ReasonCode::Internal,
                format!("unknown mode {other}"),
            )),
        }
    }

    async fn update(
        &self,
        context: &RequestContext,
        properties: FakeProperties,
        old: Option<FakeProperties>,
    ) -> Result<Outcome, Failure> {
        let outcome = self.create(context, properties).await?;
        Ok(outcome.with_data(
            "OldMode",
            old.map(|o| o.mode).unwrap_or_else(|| "unparsed".into()),
        ))
    }

    async fn delete(
        &self,
        context: &RequestContext,
        properties: Option<FakeProperties>,
    ) -> Result<Outcome, Failure> {
        match properties {
            Some(properties) => self.create(context, properties).await,
            None => {
                self.deletes_without_properties
                    .fetch_add(1, Ordering::SeqCst);
                Ok(Outcome::new())
            }
        }
    }
}

/// The function ARN Lambda passes with each invocation in these tests.
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:fake";

impl<R: CustomResource> Runner<R> {
    /// Answers `event` as a direct invocation of [`FUNCTION_ARN`] would be.
    async fn answer_event(&self, event: Value, hard_deadline: Instant) -> Result<Value, Error> {
        let origin = Origin::with_accounts(FUNCTION_ARN, "");
        self.answer(Incoming::new(event), &origin, hard_deadline)
            .await
    }
}

struct Setup {
    server: ResponseServer,
    runner: Runner<Fake>,
}

async fn setup() -> Setup {
    let server = ResponseServer::start(vec![]).await;
    let policy = test_policy();
    let runner = Runner::with_settings(
        Fake::default(),
        policy,
        AllowList::with_extra_hosts(&server.addr().to_string()),
    );
    Setup { server, runner }
}

fn test_policy() -> DeliveryPolicy {
    DeliveryPolicy {
        max_attempts: 4,
        backoff: Backoff::new(Duration::from_millis(5), Duration::from_millis(20)),
        attempt_timeout: Duration::from_secs(2),
    }
}

impl Setup {
    fn event(&self, request_type: &str, properties: Value) -> Value {
        let mut event = json!({
            "RequestType": request_type,
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:fake",
            "ResponseURL": self.server.url("responses/one"),
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/guid",
            "RequestId": "req-1",
            "LogicalResourceId": "Thing",
            "ResourceType": "Custom::Fake",
            "ResourceProperties": properties,
        });
        if request_type != "Create" {
            event["PhysicalResourceId"] = json!("phys-existing");
        }
        if request_type == "Update" {
            event["OldResourceProperties"] = json!({"Mode": "ok-before"});
        }
        event
    }

    async fn answer(&self, event: Value) -> Result<Value, Error> {
        self.runner
            .answer_event(event, Instant::now() + Duration::from_secs(30))
            .await
    }

    /// Answers a `request_type` request with `properties`; returns the one body PUT.
    async fn answer_once(&self, request_type: &str, properties: Value) -> Value {
        self.answer(self.event(request_type, properties))
            .await
            .unwrap();
        self.only_put()
    }

    /// The bodies PUT so far, parsed.
    fn puts(&self) -> Vec<Value> {
        self.server
            .requests()
            .iter()
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }

    /// The one body PUT so far.
    fn only_put(&self) -> Value {
        let puts = self.puts();
        assert_eq!(puts.len(), 1, "expected exactly one PUT, got {puts:?}");
        puts.into_iter().next().unwrap()
    }

    fn deletes_without_properties(&self) -> u32 {
        self.runner
            .resource
            .deletes_without_properties
            .load(Ordering::SeqCst)
    }

    fn calls(&self) -> u32 {
        self.runner.resource.calls.load(Ordering::SeqCst)
    }
}

/// A Lambda context whose deadline is `timeout` from now.
fn lambda_context(timeout: Duration) -> Context {
    let mut context = Context::default();
    context.invoked_function_arn = FUNCTION_ARN.to_owned();
    let deadline = SystemTime::now() + timeout;
    context.deadline = deadline.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    context
}

fn reason(body: &Value) -> &str {
    body["Reason"].as_str().unwrap()
}

#[tokio::test]
async fn create_success_sends_one_success_with_data_and_a_generated_id() {
    let s = setup().await;
    let returned = s
        .answer(s.event("Create", json!({"Mode": "ok", "Size": "7"})))
        .await
        .unwrap();
    let body = s.only_put();
    assert_eq!(returned["Status"], body["Status"]);
    assert_eq!(returned["PhysicalResourceId"], body["PhysicalResourceId"]);
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["Data"]["Size"], "7");
    assert_eq!(body["RequestId"], "req-1");
    assert_eq!(body["LogicalResourceId"], "Thing");
    assert!(body["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .starts_with("demo-Thing-"));
}

#[tokio::test]
async fn bad_property_value_fails_naming_the_field_without_calling_the_handler() {
    let s = setup().await;
    let body = s
        .answer_once("Create", json!({"Mode": "ok", "Size": "lots"}))
        .await;
    assert_eq!(body["Status"], "FAILED");
    assert!(
        reason(&body).starts_with("[INVALID_PROPERTIES] Size: "),
        "{body}"
    );
    assert_eq!(s.calls(), 0);
}

#[tokio::test]
async fn unknown_property_fails_naming_it() {
    let s = setup().await;
    let body = s
        .answer_once("Create", json!({"Mode": "ok", "Colour": "red"}))
        .await;
    assert!(
        reason(&body).starts_with("[INVALID_PROPERTIES] Colour: unknown field `Colour`"),
        "{body}"
    );
}

#[tokio::test]
async fn validation_failure_is_invalid_properties() {
    let s = setup().await;
    s.answer(s.event("Create", json!({"Mode": "ok", "Size": 11})))
        .await
        .unwrap();
    assert_eq!(
        reason(&s.only_put()),
        "[INVALID_PROPERTIES] Size: must be at most 10; done: nothing; pending: nothing"
    );
}

#[tokio::test]
async fn unknown_request_type_fails_with_the_events_physical_id() {
    let s = setup().await;
    let body = s.answer_once("Explode", json!({"Mode": "ok"})).await;
    assert_eq!(body["Status"], "FAILED");
    assert!(reason(&body).starts_with("[INVALID_PROPERTIES] "), "{body}");
    assert_eq!(body["PhysicalResourceId"], "phys-existing");
}

#[tokio::test]
async fn handler_failure_is_reported_with_its_code_and_a_stable_id() {
    let s = setup().await;
    s.answer(s.event("Create", json!({"Mode": "fail"})))
        .await
        .unwrap();
    s.answer(s.event("Create", json!({"Mode": "fail"})))
        .await
        .unwrap();
    let puts = s.puts();
    assert_eq!(
        reason(&puts[0]),
        "[NOT_ACTIVE] it is not active; done: nothing; pending: nothing"
    );
    assert_eq!(
        puts[0], puts[1],
        "a redelivered request gets the same answer"
    );
    assert!(puts[0]["PhysicalResourceId"]
        .as_str()
        .unwrap()
        .starts_with("demo-Thing-"));
}

#[tokio::test]
async fn failed_update_keeps_the_existing_physical_id() {
    let s = setup().await;
    s.answer(s.event("Update", json!({"Mode": "fail"})))
        .await
        .unwrap();
    assert_eq!(s.only_put()["PhysicalResourceId"], "phys-existing");
}

#[tokio::test]
async fn update_receives_the_old_properties() {
    let s = setup().await;
    let body = s.answer_once("Update", json!({"Mode": "ok"})).await;
    assert_eq!(body["Data"]["OldMode"], "ok-before");
    assert_eq!(body["PhysicalResourceId"], "phys-existing");
}

#[tokio::test]
async fn a_panic_becomes_failed_internal() {
    let s = setup().await;
    let body = s.answer_once("Create", json!({"Mode": "panic"})).await;
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(
        reason(&body),
        "[INTERNAL] the handler panicked: boom; what to do: report it with the log lines; the stack can be rolled back, and a Delete still works; done: nothing; pending: nothing"
    );
}

#[tokio::test]
async fn an_update_keeps_the_physical_id_unless_it_asks_for_a_replacement() {
    let s = setup().await;
    let kept = s.answer_once("Update", json!({"Mode": "ok"})).await;
    assert_eq!(kept["PhysicalResourceId"], "phys-existing");
    let s = setup().await;
    let replaced = s.answer_once("Update", json!({"Mode": "replace"})).await;
    assert_eq!(replaced["Status"], "SUCCESS");
    let new_id = replaced["PhysicalResourceId"].as_str().unwrap();
    assert_ne!(new_id, "phys-existing");
    assert!(new_id.starts_with("demo-Thing-"), "{new_id}");
}

#[tokio::test]
async fn create_and_delete_may_not_ask_for_a_replacement() {
    for request_type in ["Create", "Delete"] {
        let s = setup().await;
        let body = s
            .answer_once(request_type, json!({"Mode": "replace"}))
            .await;
        assert_eq!(body["Status"], "FAILED", "{request_type}");
        assert!(
            reason(&body).starts_with(&format!(
                "[INTERNAL] a {request_type} may not change the PhysicalResourceId"
            )),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_empty_replacement_id_is_an_internal_failure() {
    let s = setup().await;
    let body = s
        .answer_once("Update", json!({"Mode": "replace-empty"}))
        .await;
    assert!(reason(&body).starts_with(
        "[INTERNAL] the handler asked for a replacement PhysicalResourceId of 0 bytes"
    ));
    assert_eq!(body["PhysicalResourceId"], "phys-existing");
}

#[tokio::test]
async fn a_failed_answer_ends_with_what_was_done_and_what_was_pending() {
    let s = setup().await;
    let body = s
        .answer_once("Create", json!({"Mode": "fail-half-way"}))
        .await;
    assert_eq!(
        reason(&body),
        "[ACCESS_DENIED] no; done: creating the recorder; pending: starting the recorder"
    );
}

#[tokio::test]
async fn a_failed_create_reports_the_id_its_rollback_delete_will_carry() {
    let s = setup().await;
    let failed = s.answer_once("Create", json!({"Mode": "fail"})).await;
    let succeeded = setup()
        .await
        .answer_once("Create", json!({"Mode": "ok"}))
        .await;
    assert_eq!(
        failed["PhysicalResourceId"],
        succeeded["PhysicalResourceId"]
    );
}

#[tokio::test]
async fn lambda_gets_a_summary_without_data_so_no_echo_values_stay_hidden() {
    let s = setup().await;
    let returned = s
        .answer(s.event("Create", json!({"Mode": "secret"})))
        .await
        .unwrap();
    let put = s.only_put();
    assert_eq!(put["Data"]["Password"], "hunter2");
    assert_eq!(put["NoEcho"], true);
    assert_eq!(returned["Status"], "SUCCESS");
    assert_eq!(returned["PhysicalResourceId"], put["PhysicalResourceId"]);
    assert!(returned.get("Data").is_none(), "{returned}");
    assert!(!returned.to_string().contains("hunter2"), "{returned}");
}

/// The handler blocks the runner's only thread past the deadline: the runner's timer
/// cannot fire, so the one answer must come from the watchdog's own thread.
#[test]
fn a_handler_that_blocks_its_thread_still_gets_a_timeout_answer_before_the_deadline() {
    // The ResponseURL stand-in runs on a runtime of its own, as S3 would.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = server_runtime.block_on(ResponseServer::start(vec![]));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let runner = Runner::with_settings(
        Fake::default(),
        test_policy(),
        AllowList::with_extra_hosts(&server.addr().to_string()),
    );
    let event = json!({
        "RequestType": "Create",
        "ResponseURL": server.url("responses/blocked"),
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/guid",
        "RequestId": "req-block",
        "LogicalResourceId": "Thing",
        "ResourceType": "Custom::Fake",
        "ResourceProperties": {"Mode": "block", "Size": 6},
    });
    let started = std::time::Instant::now();
    let hard_deadline = Duration::from_millis(1500);
    let returned = runtime.block_on(async {
        runner
            .answer_event(event, Instant::now() + hard_deadline)
            .await
            .unwrap()
    });
    assert!(
        started.elapsed() >= Duration::from_millis(3000),
        "the handler blocked 3 s"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "exactly one answer: {requests:?}");
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["Status"], "FAILED");
    let text = reason(&body);
    assert!(text.starts_with("[TIMEOUT] "), "{text}");
    assert!(text.contains("pending: blocking the thread"), "{text}");
    assert!(
        requests[0].received_at < started + hard_deadline,
        "the watchdog answered {:?} after the start, past the deadline",
        requests[0].received_at - started
    );
    assert_eq!(returned["Status"], "FAILED");
}

#[tokio::test]
async fn the_deadline_sends_timeout_naming_done_and_pending_steps_in_time() {
    let s = setup().await;
    let started = Instant::now();
    let hard_deadline = started + Duration::from_millis(1500);
    s.runner
        .answer_event(s.event("Create", json!({"Mode": "hang"})), hard_deadline)
        .await
        .unwrap();
    assert!(
        Instant::now() < hard_deadline,
        "the answer must arrive before the Lambda deadline"
    );
    let body = s.only_put();
    assert_eq!(body["Status"], "FAILED");
    let text = reason(&body);
    assert!(text.starts_with("[TIMEOUT] "), "{text}");
    assert!(
        text.contains("done: creating the thing; pending: waiting for the thing"),
        "{text}"
    );
}

#[tokio::test]
async fn delete_with_unparseable_properties_succeeds_without_them() {
    let s = setup().await;
    let body = s
        .answer_once("Delete", json!({"Mode": 42, "Bogus": true}))
        .await;
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["PhysicalResourceId"], "phys-existing");
    assert_eq!(s.deletes_without_properties(), 1);
}

#[tokio::test]
async fn an_sns_wrapped_request_is_answered_like_a_direct_one() {
    let s = setup().await;
    let inner = s.event("Create", json!({"Mode": "ok", "Size": 3}));
    let payload =
        json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": inner.to_string()}}]});
    let context = lambda_context(Duration::from_secs(30));
    s.runner
        .handle(LambdaEvent::new(payload, context))
        .await
        .unwrap();
    let body = s.only_put();
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["Data"]["Size"], "3");
}

#[tokio::test]
async fn no_response_url_means_no_put_and_an_error_for_lambda() {
    let s = setup().await;
    let mut event = s.event("Create", json!({"Mode": "ok"}));
    event.as_object_mut().unwrap().remove("ResponseURL");
    let error = s.answer(event).await.unwrap_err();
    assert!(matches!(error, Error::UnusableResponseUrl(_)), "{error}");
    assert!(s.server.requests().is_empty());
    assert_eq!(s.calls(), 0);
}

#[tokio::test]
async fn a_response_url_outside_the_allow_list_is_never_contacted() {
    let s = setup().await;
    let unlisted = ResponseServer::start(vec![]).await;
    let mut event = s.event("Create", json!({"Mode": "ok"}));
    event["ResponseURL"] = json!(unlisted.url("collect"));
    let error = s.answer(event).await.unwrap_err();
    assert!(matches!(error, Error::UnusableResponseUrl(_)), "{error}");
    assert!(!error.to_string().contains("s3cr3t"), "{error}");
    assert!(
        unlisted.requests().is_empty(),
        "an unlisted host was contacted"
    );
    assert_eq!(s.calls(), 0);
}

#[tokio::test]
async fn a_delete_with_a_malformed_envelope_still_succeeds() {
    let s = setup().await;
    let mut event = s.event("Delete", json!({"Mode": "ok"}));
    let object = event.as_object_mut().unwrap();
    object.remove("ResourceProperties");
    object.remove("ResourceType");
    s.answer(event).await.unwrap();
    let body = s.only_put();
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(body["PhysicalResourceId"], "phys-existing");
    assert_eq!(s.deletes_without_properties(), 1);
}

#[tokio::test]
async fn a_deadline_already_passed_still_gets_one_timeout_answer() {
    let s = setup().await;
    s.runner
        .answer_event(s.event("Create", json!({"Mode": "hang"})), Instant::now())
        .await
        .unwrap();
    let body = s.only_put();
    assert!(reason(&body).starts_with("[TIMEOUT] "), "{body}");
}

#[tokio::test]
async fn every_sns_record_is_answered_even_after_a_bad_one() {
    let s = setup().await;
    let good = s.event("Create", json!({"Mode": "ok"}));
    let payload = json!({"Records": [
        {"EventSource": "aws:sns", "Sns": {"Message": "not json"}},
        {"EventSource": "aws:sns", "Sns": {"Message": good.to_string()}}
    ]});
    let context = lambda_context(Duration::from_secs(30));
    let error = s
        .runner
        .handle(LambdaEvent::new(payload, context))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidEvent(_)), "{error}");
    assert_eq!(s.only_put()["Status"], "SUCCESS");
}

#[tokio::test]
async fn the_response_put_is_retried_after_two_server_errors() {
    let s = setup().await;
    s.server.plan(vec![503, 503]);
    s.answer(s.event("Create", json!({"Mode": "ok"})))
        .await
        .unwrap();
    let puts = s.puts();
    assert_eq!(puts.len(), 3);
    assert!(
        puts.iter().all(|p| *p == puts[0]),
        "every attempt sends the same body"
    );
    assert_eq!(
        s.calls(),
        1,
        "the handler runs once however often the PUT is retried"
    );
}

#[tokio::test]
async fn a_refused_response_put_is_not_retried_and_reported_to_lambda() {
    let s = setup().await;
    s.server.plan(vec![403]);
    let error = s
        .answer(s.event("Create", json!({"Mode": "ok"})))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::ResponseRefused { status: 403, .. }),
        "{error}"
    );
    assert_eq!(s.server.requests().len(), 1);
}

#[test]
fn lambda_deadlines_are_read_as_epoch_milliseconds() {
    let now = Instant::now();
    let now_ms = 1_795_000_000_000;
    assert_eq!(
        lambda_deadline(now_ms + 30_000, now_ms, now),
        now + Duration::from_secs(30)
    );
    assert_eq!(
        lambda_deadline(now_ms - 5, now_ms, now),
        now,
        "a passed deadline is now"
    );
    assert_eq!(
        lambda_deadline(600_000, now_ms, now),
        now + Duration::from_secs(900),
        "cargo lambda watch's constant is no deadline"
    );
}

#[test]
fn safety_margin_is_a_fifth_of_short_deadlines_and_at_most_five_seconds() {
    assert_eq!(
        safety_margin(Duration::from_secs(10)),
        Duration::from_secs(2)
    );
    assert_eq!(
        safety_margin(Duration::from_secs(900)),
        Duration::from_secs(5)
    );
    assert_eq!(safety_margin(Duration::ZERO), Duration::ZERO);
}

/// Every deadline of a request, as offsets from its arrival (ms), for the time Lambda
/// left it: the handler's, the watchdog's, the last PUT's, Lambda's.
#[test]
fn the_deadlines_of_a_request_follow_from_the_time_left() {
    let now = Instant::now();
    let ms = |at: Instant| at.saturating_duration_since(now).as_millis() as u64;
    for (left, work, watchdog, put) in [
        // Long: 5 s margin; the watchdog 1.25 s after the handler's deadline; the PUT may
        // start until 100 ms before Lambda's.
        (900_000, 895_000, 896_250, 899_900),
        (30_000, 25_000, 26_250, 29_900),
        // Short: a fifth of the time left.
        (10_000, 8_000, 8_500, 9_900),
        (1_000, 800, 900, 900),
        // Very short: the reserve shrinks to half the margin, the watchdog keeps 100 ms.
        (100, 80, 180, 90),
        (0, 0, 100, 0),
    ] {
        let d = Deadlines::new(now, now + Duration::from_millis(left));
        assert_eq!(
            (ms(d.work), ms(d.watchdog), ms(d.put), ms(d.lambda)),
            (work, watchdog, put, left),
            "{left} ms left"
        );
        assert!(d.work <= d.put && d.put <= d.lambda, "{left} ms left");
    }
    // Already past: nothing underflows.
    let late = Deadlines::new(now + Duration::from_secs(1), now);
    assert_eq!((late.work, late.put), (now, now));
}

#[tokio::test]
async fn a_stack_of_another_account_or_region_is_refused_before_the_handler() {
    let s = setup().await;
    for (stack_id, named) in [
        (
            "arn:aws:cloudformation:us-east-1:210987654321:stack/demo/guid",
            "account 210987654321",
        ),
        (
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/guid",
            "region eu-west-1",
        ),
        ("not-a-stack", "not a CloudFormation stack ARN"),
    ] {
        for request_type in ["Create", "Update", "Delete"] {
            let mut event = s.event(request_type, json!({"Mode": "ok"}));
            event["StackId"] = json!(stack_id);
            s.answer(event).await.unwrap();
        }
        let puts = s.puts();
        for body in &puts[puts.len() - 3..] {
            assert_eq!(body["Status"], "FAILED");
            let text = reason(body);
            assert!(text.starts_with("[ACCESS_DENIED] "), "{text}");
            assert!(text.contains(named), "{text}");
        }
        // Update and Delete keep the id CloudFormation sent.
        assert_eq!(puts[puts.len() - 1]["PhysicalResourceId"], "phys-existing");
    }
    assert_eq!(s.calls(), 0, "the handler never ran");
    assert_eq!(s.deletes_without_properties(), 0);
}

#[tokio::test]
async fn without_a_function_arn_every_request_is_refused() {
    let s = setup().await;
    let mut context = lambda_context(Duration::from_secs(30));
    context.invoked_function_arn = String::new();
    s.runner
        .handle(LambdaEvent::new(
            s.event("Create", json!({"Mode": "ok"})),
            context,
        ))
        .await
        .unwrap();
    assert!(reason(&s.only_put()).starts_with("[ACCESS_DENIED] "));
    assert_eq!(s.calls(), 0);
}

#[tokio::test]
async fn a_payload_nested_past_the_parsers_limit_is_answered() {
    let s = setup().await;
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    for request_type in ["Create", "Delete"] {
        let event = s.event(request_type, json!("PLACEHOLDER"));
        let text = event
            .to_string()
            .replace("\"PLACEHOLDER\"", &format!("{{\"Mode\": {deep}}}"));
        let raw = serde_json::value::RawValue::from_string(text).unwrap();
        s.runner
            .handle_text(LambdaEvent::new(
                raw,
                lambda_context(Duration::from_secs(30)),
            ))
            .await
            .unwrap();
    }
    let puts = s.puts();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[0]["Status"], "FAILED");
    assert!(
        reason(&puts[0])
            .starts_with("[INVALID_PROPERTIES] ResourceProperties: cannot be read: nested deeper"),
        "{}",
        puts[0]
    );
    // A Delete never fails on its properties: it runs without them.
    assert_eq!(puts[1]["Status"], "SUCCESS", "{}", puts[1]);
    assert_eq!(puts[1]["PhysicalResourceId"], "phys-existing");
    assert_eq!(s.calls(), 0);
    assert_eq!(s.deletes_without_properties(), 1);
}

#[tokio::test]
async fn ids_too_large_for_any_answer_get_no_put_and_an_error_for_lambda() {
    let s = setup().await;
    let mut event = s.event("Delete", json!({"Mode": "ok"}));
    event["PhysicalResourceId"] = json!("\u{1}".repeat(1000));
    let error = s.answer(event).await.unwrap_err();
    assert!(matches!(error, Error::ResponseTooLarge(_)), "{error}");
    assert!(s.server.requests().is_empty());
}
