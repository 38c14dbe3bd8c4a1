//! The response body CloudFormation reads: status, reason, ids and `Data`, within 4096 bytes.

use std::collections::{BTreeMap, HashMap};

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};

use crate::error::Error;
use crate::failure::{sanitize_reason, shorten, Failure, ReasonCode};
use crate::request::Routing;

/// CloudFormation's limit on the response body.
pub(crate) const MAX_RESPONSE_BYTES: usize = 4096;

/// CloudFormation's limit on a PhysicalResourceId.
pub(crate) const MAX_PHYSICAL_ID_BYTES: usize = 1024;

/// What a successful handler returns: `Data`, a summary, and (rarely) a replacement id.
///
/// The runner decides the PhysicalResourceId: Create gets the stable id
/// [`crate::RequestContext::physical_id`] gives, Update and Delete echo the id
/// CloudFormation sent. Only [`Outcome::replaced_by`] on an Update changes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    replacement: Option<String>,
    /// `Fn::GetAtt` attributes.
    pub data: BTreeMap<String, String>,
    /// Short human summary sent as the `Reason` of a `SUCCESS`.
    pub summary: Option<String>,
    /// Hide `Data` from `Fn::GetAtt` output in the console.
    pub no_echo: bool,
}

impl Outcome {
    /// An outcome keeping the runner's PhysicalResourceId, with no data.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a `Data` attribute.
    pub fn with_data(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.data.insert(key.into(), value.into());
        self
    }

    /// Sets the `Reason` text of the `SUCCESS` response.
    pub fn with_summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// Sends `NoEcho: true` (the console hides `Data`).
    pub fn with_no_echo(mut self) -> Self {
        self.no_echo = true;
        self
    }

    /// Asks for a replacement: an Update answering with another id, after which
    /// CloudFormation deletes the old one. Refused on Create and Delete (`INTERNAL`).
    /// Never for account-wide singletons (see the README).
    pub fn replaced_by(mut self, new_physical_id: impl Into<String>) -> Self {
        self.replacement = Some(new_physical_id.into());
        self
    }

    /// The replacement id asked for, if any.
    pub fn replacement(&self) -> Option<&str> {
        self.replacement.as_deref()
    }
}

/// The answer to one request, before serialization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    /// `SUCCESS` (`Ok`) or `FAILED` (`Err`).
    pub result: Result<Outcome, Failure>,
    /// The PhysicalResourceId reported.
    pub physical_id: String,
}

impl Answer {
    /// The reason code, for logs; `None` on success.
    pub(crate) fn reason_code(&self) -> Option<ReasonCode> {
        self.result.as_ref().err().map(Failure::code)
    }

    /// What goes back to Lambda: status, reason and ids, never `Data` (it may be `NoEcho`).
    pub(crate) fn summary(&self, routing: &Routing) -> serde_json::Value {
        let (status, reason) = match &self.result {
            Ok(outcome) => (
                "SUCCESS",
                outcome.summary.clone().unwrap_or_else(|| "OK".into()),
            ),
            Err(failure) => ("FAILED", failure.to_string()),
        };
        serde_json::json!({
            "Status": status,
            "Reason": sanitize_reason(&reason),
            "PhysicalResourceId": self.physical_id,
            "StackId": routing.stack_id,
            "RequestId": routing.request_id,
            "LogicalResourceId": routing.logical_resource_id,
        })
    }
}

/// Serializes the response for `routing` within [`MAX_RESPONSE_BYTES`].
///
/// The ids are CloudFormation's and are never changed: a shortened PhysicalResourceId
/// would make the rollback Delete look for a resource that does not exist, orphaning
/// what the Create made. What gives way, in order: the reason (shortened, keeping the
/// code and the start of the message), then `Data` (the answer becomes an honest
/// `FAILED [INTERNAL]` saying so). When not even that fits, the ids alone are too large:
/// no body at all, an error for Lambda and the log.
pub(crate) fn response_body(routing: &Routing, answer: &Answer) -> Result<Vec<u8>, Error> {
    let (mut response, reason) = draft(routing, answer);
    if let Some(body) = fit_reason(&mut response, &reason)? {
        return Ok(body);
    }
    // Even an empty reason does not fit: Data is too large. Say so, without Data.
    response.status = CloudFormationCustomResourceResponseStatus::Failed;
    response.no_echo = false;
    response.data = HashMap::new();
    let too_large = Failure::new(
        ReasonCode::Internal,
        "the response Data exceeds CloudFormation's 4096-byte limit",
    );
    if let Some(body) = fit_reason(&mut response, &too_large.to_string())? {
        return Ok(body);
    }
    Err(Error::ResponseTooLarge(format!(
        "the ids alone (PhysicalResourceId {} bytes, StackId {} bytes, LogicalResourceId {} bytes, RequestId {} bytes) exceed CloudFormation's {MAX_RESPONSE_BYTES}-byte response limit",
        answer.physical_id.len(),
        routing.stack_id.len(),
        routing.logical_resource_id.len(),
        routing.request_id.len()
    )))
}

/// The size of the body `answer` makes, with its reason whole (nothing given way).
pub(crate) fn full_body_len(routing: &Routing, answer: &Answer) -> usize {
    let (mut response, reason) = draft(routing, answer);
    response.reason = Some(reason);
    serde_json::to_vec(&response).map_or(usize::MAX, |body| body.len())
}

/// The response as `answer` would have it, and its sanitized reason (not yet set).
fn draft(routing: &Routing, answer: &Answer) -> (CloudFormationCustomResourceResponse, String) {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.stack_id = routing.stack_id.clone();
    response.request_id = routing.request_id.clone();
    response.logical_resource_id = routing.logical_resource_id.clone();
    response.physical_resource_id = answer.physical_id.clone();
    let reason = match &answer.result {
        Ok(outcome) => {
            response.status = CloudFormationCustomResourceResponseStatus::Success;
            response.no_echo = outcome.no_echo;
            response.data = outcome.data.clone().into_iter().collect::<HashMap<_, _>>();
            outcome.summary.clone().unwrap_or_else(|| "OK".to_owned())
        }
        Err(failure) => {
            response.status = CloudFormationCustomResourceResponseStatus::Failed;
            failure.to_string()
        }
    };
    (response, sanitize_reason(&reason))
}

/// The body with the longest prefix of `reason` that fits, or `None` when not even an
/// empty reason does. JSON escaping can make the reason longer on the wire than in
/// memory (a control character takes six bytes), hence the binary search.
fn fit_reason(
    response: &mut CloudFormationCustomResourceResponse,
    reason: &str,
) -> Result<Option<Vec<u8>>, Error> {
    response.reason = Some(reason.to_owned());
    let body = serde_json::to_vec(response)?;
    if body.len() <= MAX_RESPONSE_BYTES {
        return Ok(Some(body));
    }
    let (mut fits, mut low, mut too_long) = (None, 0, reason.len());
    while low < too_long {
        let mid = (low + too_long) / 2;
        response.reason = Some(shorten(reason, mid));
        let body = serde_json::to_vec(response)?;
        if body.len() <= MAX_RESPONSE_BYTES {
            fits = Some(body);
            low = mid + 1;
        } else {
            too_long = mid;
        }
    }
    if fits.is_none() {
        response.reason = Some(String::new());
        let body = serde_json::to_vec(response)?;
        if body.len() <= MAX_RESPONSE_BYTES {
            fits = Some(body);
        }
    }
    Ok(fits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn routing() -> Routing {
        Routing {
            response_url: Some("https://x.s3.amazonaws.com/p?sig=1".into()),
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1".into(),
            request_id: "req-1".into(),
            logical_resource_id: "KeyReady".into(),
            physical_resource_id: None,
            request_type: "Create".into(),
            resource_type: "Custom::KmsReady".into(),
        }
    }

    fn parse(body: &[u8]) -> Value {
        serde_json::from_slice(body).unwrap()
    }

    #[test]
    fn success_carries_ids_and_data() {
        let answer = Answer {
            result: Ok(Outcome::new()
                .with_data("KeyArn", "arn:k")
                .with_summary("key is Enabled")),
            physical_id: "phys-1".into(),
        };
        let body = parse(&response_body(&routing(), &answer).unwrap());
        assert_eq!(body["Status"], "SUCCESS");
        assert_eq!(body["PhysicalResourceId"], "phys-1");
        assert_eq!(
            body["StackId"],
            "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1"
        );
        assert_eq!(body["RequestId"], "req-1");
        assert_eq!(body["LogicalResourceId"], "KeyReady");
        assert_eq!(body["Data"]["KeyArn"], "arn:k");
        assert_eq!(body["Reason"], "key is Enabled");
        assert_eq!(body["NoEcho"], false);
    }

    #[test]
    fn failure_carries_the_id_and_the_coded_reason() {
        let answer = Answer {
            result: Err(Failure::new(
                ReasonCode::NotActive,
                "key is Disabled\nsee console",
            )),
            physical_id: "KeyReady-abc".into(),
        };
        let body = parse(&response_body(&routing(), &answer).unwrap());
        assert_eq!(body["Status"], "FAILED");
        assert_eq!(body["PhysicalResourceId"], "KeyReady-abc");
        assert_eq!(body["Reason"], "[NOT_ACTIVE] key is Disabled see console");
        assert_eq!(body["Data"], serde_json::json!({}));
    }

    #[test]
    fn long_reasons_are_shortened_to_fit_keeping_the_code() {
        for filler in ["x", "\"", "é", "\u{1}"] {
            let answer = Answer {
                result: Err(Failure::new(
                    ReasonCode::ServiceError,
                    filler.repeat(10_000),
                )),
                physical_id: "id".into(),
            };
            let bytes = response_body(&routing(), &answer).unwrap();
            assert!(
                bytes.len() <= MAX_RESPONSE_BYTES,
                "{filler}: {}",
                bytes.len()
            );
            assert!(
                bytes.len() > MAX_RESPONSE_BYTES - 64,
                "{filler}: wasted space {}",
                bytes.len()
            );
            let reason = parse(&bytes)["Reason"].as_str().unwrap().to_owned();
            assert!(reason.starts_with("[SERVICE_ERROR] "), "{reason}");
            assert!(reason.ends_with("..."));
        }
    }

    #[test]
    fn oversized_data_becomes_an_honest_internal_failure() {
        let answer = Answer {
            result: Ok(Outcome::new().with_data("Big", "y".repeat(5000))),
            physical_id: "fallback".into(),
        };
        let bytes = response_body(&routing(), &answer).unwrap();
        assert!(bytes.len() <= MAX_RESPONSE_BYTES);
        let body = parse(&bytes);
        assert_eq!(body["Status"], "FAILED");
        assert!(body["Reason"].as_str().unwrap().starts_with("[INTERNAL] "));
        assert_eq!(body["PhysicalResourceId"], "fallback");
        assert_eq!(body["Data"], serde_json::json!({}));
    }

    #[test]
    fn a_long_physical_id_is_never_shortened() {
        // CloudFormation allows 1 KB; the rollback Delete must find the same id.
        let id = format!("stack-Resource-{}", "i".repeat(1000));
        for result in [
            Ok(Outcome::new().with_data("Big", "y".repeat(5000))),
            Err(Failure::new(ReasonCode::NotActive, "z".repeat(5000))),
        ] {
            let answer = Answer {
                result,
                physical_id: id.clone(),
            };
            let bytes = response_body(&routing(), &answer).unwrap();
            assert!(bytes.len() <= MAX_RESPONSE_BYTES);
            let body = parse(&bytes);
            assert_eq!(body["PhysicalResourceId"], id.as_str());
            assert_eq!(body["StackId"], routing().stack_id.as_str());
        }
    }

    #[test]
    fn ids_too_large_to_answer_are_an_error_not_a_rewrite() {
        // Control characters escape to six bytes each: 1000 of them take 6000 on the wire.
        for id in ["\u{1}".repeat(1000), "x".repeat(5000)] {
            let answer = Answer {
                result: Err(Failure::new(ReasonCode::Internal, "boom")),
                physical_id: id,
            };
            let error = response_body(&routing(), &answer).unwrap_err();
            assert!(matches!(error, Error::ResponseTooLarge(_)), "{error}");
        }
        let mut huge = routing();
        huge.stack_id = "\u{2}".repeat(800);
        let answer = Answer {
            result: Ok(Outcome::new().with_data("Big", "y".repeat(5000))),
            physical_id: "id".into(),
        };
        assert!(matches!(
            response_body(&huge, &answer),
            Err(Error::ResponseTooLarge(_))
        ));
    }

    #[test]
    fn the_summary_for_lambda_never_carries_data() {
        let answer = Answer {
            result: Ok(Outcome::new().with_data("Secret", "hidden").with_no_echo()),
            physical_id: "phys-1".into(),
        };
        let summary = answer.summary(&routing());
        assert_eq!(summary["Status"], "SUCCESS");
        assert_eq!(summary["PhysicalResourceId"], "phys-1");
        assert!(summary.get("Data").is_none());
        assert!(!summary.to_string().contains("hidden"));
    }
}
