//! The REST (restJson1) wire format: a request parsed into its operation, query, region
//! and JSON body; an answer written as the service writes it.
//!
//! Errors carry the type in `x-amzn-ErrorType` and `{"Code", "Message"}` in the body,
//! with the status codes of the Security Hub API reference (401 `InvalidAccessException`,
//! 403 `AccessDeniedException`, 400 `InvalidInputException`, 404
//! `ResourceNotFoundException`, 409 `ResourceConflictException`, 429
//! `LimitExceededException`). The region comes from the request's SigV4 credential
//! scope. The exact wording of the organization refusals is the emulator's own (the
//! functions match the service's key phrases: "central configuration", "member
//! account", "administrator").

use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use super::catalogue::ACCOUNT;
use super::{Call, Inner};

/// An error answer: HTTP status, error type, message.
pub(crate) type ApiError = (u16, &'static str, String);

/// What an operation answers: the JSON body, or an error.
pub(crate) type Answer = Result<Value, ApiError>;

/// One parsed request.
pub(super) struct Parsed {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) region: String,
    pub(super) body: Value,
}

impl Parsed {
    /// The query parameter `name`, if sent.
    pub(super) fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The body's list of strings `key`, if sent.
    pub(super) fn strings(&self, key: &str) -> Option<Vec<String>> {
        self.body.get(key).and_then(Value::as_array).map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
    }
}

/// Answers one request: waits while its operation is held, throttles it when asked to,
/// else lets the state answer; records the call.
pub(super) async fn answer(inner: &Inner, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let arrived = Instant::now();
    let parsed = parse(request).await;
    let operation = operation_of(&parsed.method, &parsed.path);
    inner.wait_while_held(operation).await;
    let recording = operation != "GetEnabledStandards" || inner.config_records().await;
    let mut state = inner.state();
    state.requests += 1;
    let answer = if state.take_throttle(operation) {
        Err(limit_exceeded())
    } else {
        state.handle(operation, &parsed, recording, arrived)
    };
    let request_id = format!(
        "5e1b0c2d-0000-4000-8000-{:012x}",
        state.requests & 0xffff_ffff_ffff
    );
    let (status, error) = match &answer {
        Ok(_) => (200, None),
        Err((status, code, _)) => (*status, Some(*code)),
    };
    state.calls.push(Call {
        operation: operation.to_owned(),
        status,
        error: error.map(str::to_owned),
        body: parsed.body,
        at: arrived,
    });
    drop(state);
    written(answer, &request_id)
}

/// `answer` as the service writes it: JSON, the request id, and for an error its type in
/// `x-amzn-ErrorType` and `{"Code", "Message"}` in the body. The fault proxy's Security
/// Hub faults are written here too.
pub(crate) fn written(answer: Answer, request_id: &str) -> Response<Full<Bytes>> {
    let (status, error, body) = match answer {
        Ok(body) => (200, None, body),
        Err((status, code, message)) => (
            status,
            Some(code),
            json!({"Code": code, "Message": message}),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).expect("status");
    let headers = response.headers_mut();
    headers.insert("content-type", "application/json".parse().expect("header"));
    headers.insert("x-amzn-requestid", request_id.parse().expect("header"));
    if let Some(code) = error {
        headers.insert("x-amzn-errortype", code.parse().expect("header"));
    }
    response
}

/// The operation a method and path name (`Unknown` for any other).
pub(crate) fn operation_of(method: &Method, path: &str) -> &'static str {
    match (method.as_str(), path) {
        ("POST", "/accounts") => "EnableSecurityHub",
        ("GET", "/accounts") => "DescribeHub",
        ("PATCH", "/accounts") => "UpdateSecurityHubConfiguration",
        ("DELETE", "/accounts") => "DisableSecurityHub",
        ("GET", "/standards") => "DescribeStandards",
        ("POST", "/standards/get") => "GetEnabledStandards",
        ("POST", "/standards/register") => "BatchEnableStandards",
        ("POST", "/standards/deregister") => "BatchDisableStandards",
        ("POST", p) if p.starts_with("/tags/") => "TagResource",
        ("GET", p) if p.starts_with("/tags/") => "ListTagsForResource",
        ("DELETE", p) if p.starts_with("/tags/") => "UntagResource",
        _ => "Unknown",
    }
}

async fn parse(request: Request<Incoming>) -> Parsed {
    let (parts, body) = request.into_parts();
    let query = parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect();
    let region = credential_scope(&parts.headers)
        .map(|(region, _)| region)
        .unwrap_or_else(|| "us-east-1".to_owned());
    let bytes = body.collect().await.map(|b| b.to_bytes());
    Parsed {
        path: percent_decode(parts.uri.path()),
        method: parts.method,
        query,
        region,
        body: serde_json::from_slice(&bytes.unwrap_or_default()).unwrap_or(Value::Null),
    }
}

/// The region and the service a call is signed for: its SigV4 `Authorization` header's
/// credential scope (`Credential=<key>/<date>/<region>/<service>/aws4_request`).
pub(crate) fn credential_scope(headers: &HeaderMap) -> Option<(String, String)> {
    let authorization = headers.get("authorization")?.to_str().ok()?;
    let scope = authorization.split("Credential=").nth(1)?;
    let mut fields = scope.split([',', ' ']).next()?.split('/').skip(2);
    Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---- the error shapes, by type ----

pub(super) fn invalid_input(message: String) -> ApiError {
    (400, "InvalidInputException", message)
}

pub(super) fn invalid_access(message: String) -> ApiError {
    (401, "InvalidAccessException", message)
}

pub(super) fn access_denied(message: String) -> ApiError {
    (403, "AccessDeniedException", message)
}

pub(super) fn not_found(message: String) -> ApiError {
    (404, "ResourceNotFoundException", message)
}

pub(super) fn conflict(message: String) -> ApiError {
    (409, "ResourceConflictException", message)
}

pub(super) fn limit_exceeded() -> ApiError {
    (429, "LimitExceededException", "Rate exceeded".to_owned())
}

pub(super) fn not_subscribed() -> ApiError {
    invalid_access(format!(
        "Account {ACCOUNT} is not subscribed to AWS Security Hub"
    ))
}

pub(super) fn central_configuration(operation: &str) -> ApiError {
    access_denied(format!(
        "{operation} is not allowed: account {ACCOUNT} is managed by a central configuration policy of the Security Hub delegated administrator; change the configuration policy instead"
    ))
}
