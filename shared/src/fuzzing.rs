//! The protocol's invariants, for the fuzz targets in `fuzz/` and the property tests in
//! `fuzzing/proptests.rs`: each `check_*` runs one part of the kit on any input and
//! panics when an invariant breaks, so both feed the same checks. Not part of the kit's
//! API: hidden, and compiled only with the `fuzzing` feature (and in the kit's tests).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};
use http::Uri;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::error::Error;
use crate::ledger::{Ledger, PREFIX_ROOT};
use crate::request::{parse_envelope, read_payload, Incoming, RequestType, Routing};
use crate::response::{response_body, Answer, MAX_RESPONSE_BYTES};
use crate::response_url::{AllowList, ResponseUrl};
use crate::{parse_properties, Failure, Outcome, ReasonCode, RequestContext, ResourceProperties};

/// Reads `text` as a Lambda payload, as the runner does, and checks every request in it:
/// no panic; an envelope that parses has CloudFormation's ids (a logical id of 1 to 255
/// letters and digits, no control character in any id), the request type the routing
/// read, and old properties exactly on Update; one that does not is `INVALID_PROPERTIES`.
/// A JSON object reads the same sent directly or as an SNS message.
///
/// Returns the properties (new and old) of each request whose envelope parsed, for
/// [`check_properties`].
pub fn check_payload(text: &str) -> Vec<Value> {
    let results = read_payload(text);
    check_sns_reads_as_direct(text, &results);
    let mut properties = Vec::new();
    for incoming in results.into_iter().flatten() {
        let routing = Routing::from_event(&incoming.request);
        assert_ne!(routing.response_url.as_deref(), Some(""));
        if incoming.unreadable.is_some() {
            continue;
        }
        match parse_envelope(&incoming.request) {
            Ok(envelope) => {
                check_ids(&routing);
                assert_eq!(routing.request_type, envelope.request_type.as_str());
                assert_eq!(
                    envelope.old_properties.is_some(),
                    envelope.request_type == RequestType::Update
                );
                properties.push(envelope.properties);
                properties.extend(envelope.old_properties);
            }
            Err(failure) => assert_eq!(failure.code(), ReasonCode::InvalidProperties),
        }
    }
    properties
}

fn check_ids(routing: &Routing) {
    let logical = &routing.logical_resource_id;
    assert!(
        (1..=255).contains(&logical.len()) && logical.bytes().all(|b| b.is_ascii_alphanumeric()),
        "LogicalResourceId {logical:?} acted on"
    );
    for id in [&routing.request_id, &routing.stack_id]
        .into_iter()
        .chain(&routing.physical_resource_id)
    {
        assert!(!id.chars().any(char::is_control), "id {id:?} acted on");
    }
}

/// A direct payload that is a JSON object without `Records`, and the same text as the
/// message of an SNS record, read alike.
fn check_sns_reads_as_direct(text: &str, direct: &[Result<Incoming, Error>]) {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    if object.contains_key("Records") {
        return;
    }
    let sns = json!({"Records": [{"Sns": {"Message": text}}]}).to_string();
    let as_sns = read_payload(&sns);
    let read = |results: &[Result<Incoming, Error>]| -> Vec<Option<Incoming>> {
        results.iter().map(|r| r.as_ref().ok().cloned()).collect()
    };
    assert_eq!(
        read(direct),
        read(&as_sns),
        "an SNS message reads otherwise"
    );
}

/// A string no template value holds: what [`check_properties`] puts in every value.
const VALUE_MARK: &str = "NoEchoValue7f3a";

/// Parses `properties` as `P`, as the runner does: no panic, every failure
/// `INVALID_PROPERTIES`, and never a value in the reason (each string value replaced by a
/// mark that must not show).
pub fn check_properties<P: ResourceProperties>(properties: &Value) {
    if let Err(failure) = parse_properties::<P>(properties) {
        assert_eq!(failure.code(), ReasonCode::InvalidProperties, "{failure}");
    }
    if let Err(failure) = parse_properties::<P>(&marked(properties)) {
        let reason = failure.to_string();
        assert!(
            !reason.contains(VALUE_MARK),
            "a value in the reason: {reason}"
        );
    }
}

/// `value` with each string value (not the object keys) replaced by [`VALUE_MARK`].
fn marked(value: &Value) -> Value {
    match value {
        Value::String(_) => Value::from(VALUE_MARK),
        Value::Array(items) => items.iter().map(marked).collect(),
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| (key.clone(), marked(value)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => other.clone(),
    }
}

/// One answer to serialize: CloudFormation's ids, and a success carrying `data` or, when
/// `failure` is set, a failure with that message.
#[derive(Clone, Debug, Default)]
pub struct AnswerCase {
    /// `StackId`
    pub stack_id: String,
    /// `RequestId`
    pub request_id: String,
    /// `LogicalResourceId`
    pub logical_resource_id: String,
    /// The PhysicalResourceId answered.
    pub physical_id: String,
    /// `Data` of a success.
    pub data: BTreeMap<String, String>,
    /// The summary of a success.
    pub summary: Option<String>,
    /// `NoEcho` of a success.
    pub no_echo: bool,
    /// The message of a failure (a failure when set).
    pub failure: Option<String>,
}

/// An [`AnswerCase`] as plain parts (what a fuzzer or a strategy generates): the ids
/// (stack, request, logical, physical), `Data`, summary, `NoEcho`, failure message.
pub type AnswerParts = (
    [String; 4],
    BTreeMap<String, String>,
    Option<String>,
    bool,
    Option<String>,
);

impl From<AnswerParts> for AnswerCase {
    fn from((ids, data, summary, no_echo, failure): AnswerParts) -> Self {
        let [stack_id, request_id, logical_resource_id, physical_id] = ids;
        Self {
            stack_id,
            request_id,
            logical_resource_id,
            physical_id,
            data,
            summary,
            no_echo,
            failure,
        }
    }
}

/// Serializes `case` as the runner does: no panic; a body is at most 4096 bytes, JSON,
/// with every id unchanged, a `SUCCESS` only for a success and with its `Data` and
/// `NoEcho` whole; no body only when the ids alone leave no room.
pub fn check_response_body(case: &AnswerCase) {
    let routing = Routing {
        stack_id: case.stack_id.clone(),
        request_id: case.request_id.clone(),
        logical_resource_id: case.logical_resource_id.clone(),
        ..Routing::default()
    };
    let result = match &case.failure {
        Some(message) => Err(Failure::new(ReasonCode::ServiceError, message.clone())),
        None => {
            let mut outcome = Outcome::new();
            outcome.data = case.data.clone();
            outcome.summary = case.summary.clone();
            outcome.no_echo = case.no_echo;
            Ok(outcome)
        }
    };
    let answer = Answer {
        result,
        physical_id: case.physical_id.clone(),
    };
    let body = match response_body(&routing, &answer) {
        Ok(body) => body,
        Err(Error::ResponseTooLarge(_)) => {
            assert!(
                ids_alone_len(case) > MAX_RESPONSE_BYTES,
                "refused, yet fits"
            );
            return;
        }
        Err(error) => panic!("no body: {error}"),
    };
    assert!(body.len() <= MAX_RESPONSE_BYTES, "{} bytes", body.len());
    let body: Value = serde_json::from_slice(&body).expect("the body is JSON");
    for (field, id) in [
        ("PhysicalResourceId", &case.physical_id),
        ("StackId", &case.stack_id),
        ("RequestId", &case.request_id),
        ("LogicalResourceId", &case.logical_resource_id),
    ] {
        assert_eq!(body[field].as_str(), Some(id.as_str()), "{field} changed");
    }
    let reason = body["Reason"].as_str().expect("a reason");
    if body["Status"] == "SUCCESS" {
        assert!(case.failure.is_none(), "a failure answered SUCCESS");
        assert_eq!(body["Data"], json!(case.data));
        assert_eq!(body["NoEcho"], case.no_echo);
    } else {
        assert_eq!(body["Status"], "FAILED");
        assert_eq!(body["Data"], json!({}));
        // Whatever of the reason fits, code first; with room for three bytes or fewer, only
        // (part of) the cut mark.
        let kept = reason.trim_end_matches('.');
        assert!(kept.is_empty() || kept.starts_with('['), "{reason}");
    }
}

/// The size of the smallest answer the ids allow: `FAILED`, no reason, no `Data`.
fn ids_alone_len(case: &AnswerCase) -> usize {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.status = CloudFormationCustomResourceResponseStatus::Failed;
    response.reason = Some(String::new());
    response.stack_id = case.stack_id.clone();
    response.request_id = case.request_id.clone();
    response.logical_resource_id = case.logical_resource_id.clone();
    response.physical_resource_id = case.physical_id.clone();
    serde_json::to_vec(&response).map_or(usize::MAX, |body| body.len())
}

/// Checks `raw` against the default allow-list and against one with `extra_hosts`
/// (`CR_ALLOWED_RESPONSE_HOSTS`): no panic; allowed by default ⇒ `https` on port 443 to
/// an S3 host; allowed ⇒ no user info, and `https` or plain `http` to a listed loopback
/// host; listing hosts only adds; neither the shown URL nor a refusal carries the query
/// string or the user info.
pub fn check_response_url(raw: &str, extra_hosts: &str) {
    let listed: Vec<String> = extra_hosts
        .split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .collect();
    let by_default = ResponseUrl::parse(raw, &AllowList::default());
    let with_extra = ResponseUrl::parse(raw, &AllowList::with_extra_hosts(extra_hosts));
    if let Ok(url) = &by_default {
        let uri = url.uri();
        assert_eq!(uri.scheme_str(), Some("https"), "{url}");
        assert!(uri.port_u16().is_none_or(|port| port == 443), "{url}");
        assert!(looks_like_s3(uri.host().unwrap_or_default()), "{url}");
        assert!(with_extra.is_ok(), "listing hosts refused {url}");
    }
    match &with_extra {
        Ok(url) => {
            let uri = url.uri();
            let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
            assert!(!authority.contains('@'), "user info allowed: {url}");
            let host = uri.host().unwrap_or_default().to_ascii_lowercase();
            let listed_host = listed.iter().any(|entry| entry.contains(&host));
            match uri.scheme_str() {
                Some("https") => assert!(listed_host || looks_like_s3(&host), "{url}"),
                Some("http") => assert!(listed_host && is_loopback(&host), "{url}"),
                other => panic!("scheme {other:?} allowed: {url}"),
            }
            let shown = format!(
                "{}://{authority}{}",
                uri.scheme_str().unwrap_or_default(),
                uri.path()
            );
            assert_eq!(url.redacted(), shown);
        }
        Err(error) => check_refusal_hides_secrets(raw, &error.to_string()),
    }
}

/// Only an S3 endpoint's DNS names: under `amazonaws.com` or `amazonaws.com.cn`, with
/// an `s3` label.
fn looks_like_s3(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    [".amazonaws.com", ".amazonaws.com.cn"]
        .iter()
        .any(|domain| host.ends_with(domain))
        && host.split('.').any(|label| label.starts_with("s3"))
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A refusal shows at most scheme, host, port and path: never the query string or the
/// user info (unless the same text is also in what may be shown).
fn check_refusal_hides_secrets(raw: &str, refusal: &str) {
    let Ok(uri) = raw.parse::<Uri>() else {
        return;
    };
    let authority = uri.authority().map(|a| a.as_str()).unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let scheme = uri.scheme_str().unwrap_or_default();
    let shown = format!("{scheme}://{host_port}{}", uri.path());
    let user_info = authority.rsplit_once('@').map(|(user, _)| user);
    for secret in [uri.query(), user_info].into_iter().flatten() {
        if secret.len() >= 4 && !shown.contains(secret) && !ALL_REFUSALS.contains(secret) {
            assert!(
                !refusal.contains(secret),
                "a refusal shows {secret:?}: {refusal}"
            );
        }
    }
}

/// The fixed words of every refusal: a secret that is one of them proves nothing.
const ALL_REFUSALS: &str = "unusable ResponseURL: not a URL, not an absolute URL with a host, the URL has no host, carries credentials, is not allowed (https on port 443 to an S3 endpoint, or a host listed in CR_ALLOWED_RESPONSE_HOSTS)";

/// The ownership record's parameter for `physical_id` in the ledger of `function`,
/// checked against what SSM accepts. "Parameter names can include only the following
/// symbols and letters: `a-zA-Z0-9_.-`", with `/` between levels; "Parameter hierarchies
/// are limited to a maximum depth of fifteen levels"; "The maximum length for a
/// parameter name that you specify is 1011 characters." (SSM API Reference,
/// PutParameter, `Name`.) The prefix is the default one, `function` a package name
/// (`[a-z0-9-]`, 1 to 64 characters; others are skipped).
pub fn check_parameter_name(function: &str, physical_id: &str) -> Option<String> {
    let name = parameter_name(function, physical_id)?;
    assert!(name.len() <= 1011, "{} characters", name.len());
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(&b)),
        "{name}"
    );
    assert!(
        name.split('/').skip(1).all(|level| !level.is_empty()),
        "{name}"
    );
    assert!(name.matches('/').count() <= 15, "{name}");
    Some(name)
}

/// Two resources never share an ownership record: distinct PhysicalResourceIds give
/// distinct parameter names.
pub fn check_distinct_names(function: &str, one: &str, other: &str) {
    let (Some((one_id, one_name)), Some((other_id, other_name))) =
        (answered(function, one), answered(function, other))
    else {
        return;
    };
    if one_id != other_id {
        assert_ne!(
            one_name, other_name,
            "{one_id:?} and {other_id:?} share a record"
        );
    }
}

/// The PhysicalResourceId a request carrying `physical_id` answers with, and its name.
fn answered(function: &str, physical_id: &str) -> Option<(String, String)> {
    let context = update_of(physical_id);
    let name = parameter_name(function, physical_id)?;
    Some((context.physical_id().to_owned(), name))
}

fn update_of(physical_id: &str) -> RequestContext {
    RequestContext::for_tests_of(RequestType::Update, Some(physical_id), Instant::now())
}

fn parameter_name(function: &str, physical_id: &str) -> Option<String> {
    let package_name = (1..=64).contains(&function.len())
        && function
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !package_name {
        return None;
    }
    // Never called: naming needs a client, not a connection. Built once (it is not cheap).
    static CLIENT: OnceLock<aws_sdk_ssm::Client> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        aws_sdk_ssm::Client::from_conf(
            aws_sdk_ssm::Config::builder()
                .behavior_version(aws_sdk_ssm::config::BehaviorVersion::latest())
                .build(),
        )
    });
    let ledger = Ledger::with_prefix(client.clone(), &format!("{PREFIX_ROOT}/{function}"));
    Some(ledger.parameter_name(&update_of(physical_id)))
}

#[cfg(test)]
mod proptests;
