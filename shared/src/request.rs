//! The request envelope: SNS unwrapping, lenient routing fields, the typed envelope.

use std::fmt;

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest;
use serde_json::Value;

use crate::error::Error;
use crate::failure::{Failure, ReasonCode};

/// The lifecycle step CloudFormation asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestType {
    /// `Create`
    Create,
    /// `Update`
    Update,
    /// `Delete`
    Delete,
}

impl RequestType {
    /// The request type named `name` (CloudFormation's spelling), if it is one.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        [Self::Create, Self::Update, Self::Delete]
            .into_iter()
            .find(|t| t.as_str() == name)
    }

    /// The name CloudFormation uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Delete => "Delete",
        }
    }
}

impl fmt::Display for RequestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields needed to answer, read leniently so that even a request whose
/// envelope is malformed gets its `FAILED` response.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Routing {
    /// `ResponseURL`: a credential, never logged (see [`crate::ResponseUrl::redacted`]).
    pub response_url: Option<String>,
    /// `StackId`
    pub stack_id: String,
    /// `RequestId`
    pub request_id: String,
    /// `LogicalResourceId`
    pub logical_resource_id: String,
    /// `PhysicalResourceId`, absent on Create.
    pub physical_resource_id: Option<String>,
    /// `RequestType` as sent, possibly unknown.
    pub request_type: String,
    /// `ResourceType`, e.g. `Custom::KmsReady`.
    pub resource_type: String,
}

impl fmt::Debug for Routing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routing")
            .field(
                "response_url",
                &self.response_url.as_ref().map(|_| "<redacted>"),
            )
            .field("stack_id", &self.stack_id)
            .field("request_id", &self.request_id)
            .field("logical_resource_id", &self.logical_resource_id)
            .field("physical_resource_id", &self.physical_resource_id)
            .field("request_type", &self.request_type)
            .finish()
    }
}

impl Routing {
    /// Reads the routing fields from a raw CloudFormation request; missing ones stay empty.
    pub fn from_event(event: &Value) -> Self {
        let text = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_owned);
        Self {
            response_url: text("ResponseURL").filter(|url| !url.is_empty()),
            stack_id: text("StackId").unwrap_or_default(),
            request_id: text("RequestId").unwrap_or_default(),
            logical_resource_id: text("LogicalResourceId").unwrap_or_default(),
            physical_resource_id: text("PhysicalResourceId").filter(|id| !id.is_empty()),
            request_type: text("RequestType").unwrap_or_default(),
            resource_type: text("ResourceType").unwrap_or_default(),
        }
    }
}

/// A request whose envelope parsed: what to do and with which (still untyped) properties.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Envelope {
    /// Create, Update or Delete.
    pub request_type: RequestType,
    /// `ResourceProperties`.
    pub properties: Value,
    /// `OldResourceProperties` (Update only).
    pub old_properties: Option<Value>,
}

/// Parses the envelope with `aws_lambda_events`' CloudFormation types, before any
/// typed property is looked at. A malformed envelope is `INVALID_PROPERTIES`.
pub(crate) fn parse_envelope(event: &Value) -> Result<Envelope, Failure> {
    let request: CloudFormationCustomResourceRequest = serde_path_to_error::deserialize(event)
        .map_err(|error| {
            Failure::new(
                ReasonCode::InvalidProperties,
                format!(
                    "malformed CloudFormation request: {}: {}",
                    error.path(),
                    crate::properties::without_values(&error.inner().to_string())
                ),
            )
        })?;
    check_ids(event)?;
    Ok(match request {
        CloudFormationCustomResourceRequest::Create(create) => Envelope {
            request_type: RequestType::Create,
            properties: create.resource_properties,
            old_properties: None,
        },
        CloudFormationCustomResourceRequest::Update(update) => Envelope {
            request_type: RequestType::Update,
            properties: update.resource_properties,
            old_properties: Some(update.old_resource_properties),
        },
        CloudFormationCustomResourceRequest::Delete(delete) => Envelope {
            request_type: RequestType::Delete,
            properties: delete.resource_properties,
            old_properties: None,
        },
        _ => {
            return Err(Failure::new(
                ReasonCode::InvalidProperties,
                "RequestType: not one of Create, Update, Delete",
            ))
        }
    })
}

/// The ids CloudFormation sends have known shapes; a request whose ids do not is not
/// CloudFormation's, and is answered without acting. "The logical ID must be
/// alphanumeric (A-Za-z0-9) and unique within the template" (CloudFormation User Guide,
/// Resources), at most 255 characters; no id CloudFormation sends, and none this kit
/// answers, holds a control character.
fn check_ids(event: &Value) -> Result<(), Failure> {
    let logical = event["LogicalResourceId"].as_str().unwrap_or_default();
    if logical.is_empty()
        || logical.len() > 255
        || !logical.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(Failure::new(
            ReasonCode::InvalidProperties,
            "LogicalResourceId: not a CloudFormation logical id (1 to 255 letters and digits)",
        ));
    }
    for field in ["RequestId", "PhysicalResourceId", "StackId"] {
        if event[field]
            .as_str()
            .is_some_and(|id| id.chars().any(char::is_control))
        {
            return Err(Failure::new(
                ReasonCode::InvalidProperties,
                format!("{field}: holds control characters, which no CloudFormation id has"),
            ));
        }
    }
    Ok(())
}

/// One CloudFormation request read from a Lambda payload.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Incoming {
    /// The request (on an unreadable one, only the top-level fields that could be read).
    pub request: Value,
    /// Why the request could not be read whole, if it could not.
    pub unreadable: Option<Failure>,
}

impl Incoming {
    /// A request read whole.
    pub(crate) fn new(request: Value) -> Self {
        Self {
            request,
            unreadable: None,
        }
    }
}

/// Top-level fields, each kept as raw text. serde_json skips a raw value without
/// recursion, so this reads an object whose values are nested past its recursion limit.
type RawFields = std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>;

/// Reads the CloudFormation requests in a Lambda payload given as JSON text.
///
/// serde_json refuses input nested deeper than 128 levels. Before this read, the Lambda
/// runtime itself refused such a payload and no handler ran: CloudFormation waited an
/// hour. Here each top-level field is read on its own, so the routing fields of a request
/// whose properties nest too deeply still are, and the request is answered.
pub(crate) fn read_payload(text: &str) -> Vec<Result<Incoming, Error>> {
    let Ok(fields) = serde_json::from_str::<RawFields>(text) else {
        return vec![Err(Error::InvalidEvent(
            "the payload is not a JSON object".into(),
        ))];
    };
    // A direct invocation: the payload is the request (also when `Records` is no list, so
    // a request carrying a stray `Records` field is still answered).
    let Some(Ok(records)) = fields
        .get("Records")
        .map(|records| serde_json::from_str::<Vec<RawFields>>(records.get()))
    else {
        return vec![Ok(read_fields(fields))];
    };
    if records.is_empty() {
        return vec![Err(no_records())];
    }
    // An SNS-backed custom resource: one result per record, so one bad record does not
    // silence the others.
    records
        .iter()
        .map(|record| {
            let message = record
                .get("Sns")
                .and_then(|sns| serde_json::from_str::<RawFields>(sns.get()).ok())
                .and_then(|sns| {
                    let message = sns.get("Message")?;
                    serde_json::from_str::<String>(message.get()).ok()
                })
                .ok_or_else(|| Error::InvalidEvent("a record without Sns.Message".into()))?;
            read_request(&message)
        })
        .collect()
}

/// An SNS envelope without records: nothing to answer, which Lambda is told.
fn no_records() -> Error {
    Error::InvalidEvent("an SNS envelope without records: no request to answer".into())
}

/// One request from JSON text: whole, or its readable top-level fields.
fn read_request(text: &str) -> Result<Incoming, Error> {
    if let Ok(request) = serde_json::from_str(text) {
        return Ok(Incoming::new(request));
    }
    serde_json::from_str::<RawFields>(text)
        .map(read_fields)
        .map_err(|error| Error::InvalidEvent(format!("Sns.Message is not JSON: {error}")))
}

/// The fields that parse, and a failure naming those that do not (nested too deeply).
fn read_fields(fields: RawFields) -> Incoming {
    let mut request = serde_json::Map::new();
    let mut unreadable = Vec::new();
    for (name, raw) in fields {
        match serde_json::from_str::<Value>(raw.get()) {
            Ok(value) => {
                request.insert(name, value);
            }
            Err(_) => unreadable.push(name),
        }
    }
    let unreadable = (!unreadable.is_empty()).then(|| {
        Failure::invalid_property(
            &unreadable.join(", "),
            "cannot be read: nested deeper than the 128 levels a JSON parser here reads, or not valid JSON",
        )
    });
    Incoming {
        request: Value::Object(request),
        unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CREATE: &str = include_str!("../fixtures/create.json");
    const UPDATE: &str = include_str!("../fixtures/update.json");
    const DELETE: &str = include_str!("../fixtures/delete.json");
    const SNS: &str = include_str!("../fixtures/sns-create.json");

    fn event(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn create_update_and_delete_envelopes_parse() {
        let create = parse_envelope(&event(CREATE)).unwrap();
        assert_eq!(create.request_type, RequestType::Create);
        assert_eq!(create.properties["KeyId"], "alias/demo");
        assert_eq!(create.old_properties, None);

        let update = parse_envelope(&event(UPDATE)).unwrap();
        assert_eq!(update.request_type, RequestType::Update);
        assert_eq!(update.old_properties.unwrap()["KeyId"], "alias/old");

        let delete = parse_envelope(&event(DELETE)).unwrap();
        assert_eq!(delete.request_type, RequestType::Delete);
    }

    #[test]
    fn routing_is_read_even_when_the_envelope_is_bad() {
        let mut bad = event(UPDATE);
        bad["RequestType"] = json!("Explode");
        assert!(parse_envelope(&bad).is_err());
        let routing = Routing::from_event(&bad);
        assert_eq!(routing.request_type, "Explode");
        assert_eq!(
            routing.physical_resource_id.as_deref(),
            Some("kms-ready-existing")
        );
        assert!(routing.response_url.unwrap().starts_with("https://"));
    }

    #[test]
    fn unknown_request_type_fails_with_invalid_properties() {
        let mut bad = event(CREATE);
        bad["RequestType"] = json!("Explode");
        let failure = parse_envelope(&bad).unwrap_err();
        assert_eq!(failure.code(), ReasonCode::InvalidProperties);
        assert!(failure.message().contains("unknown value"), "{failure}");
        assert!(!failure.message().contains("Explode"), "{failure}");
    }

    #[test]
    fn routing_debug_never_shows_the_response_url() {
        let routing = Routing::from_event(&event(CREATE));
        let shown = format!("{routing:?}");
        assert!(!shown.contains("Signature"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn direct_payload_is_returned_as_is() {
        let requests: Vec<Incoming> = read_payload(CREATE)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(requests, vec![Incoming::new(event(CREATE))]);
    }

    #[test]
    fn sns_record_message_is_unwrapped() {
        let requests: Vec<Incoming> = read_payload(SNS).into_iter().map(Result::unwrap).collect();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].request["RequestType"], "Create");
        assert_eq!(
            requests[0].request["ResourceProperties"]["KeyId"],
            "alias/demo"
        );
    }

    #[test]
    fn sns_record_without_json_message_is_an_invalid_event() {
        let payload =
            json!({"Records": [{"Sns": {"Message": "not json"}}, {"Sns": {"Message": "{}"}}]});
        let results = read_payload(&payload.to_string());
        assert_eq!(results.len(), 2, "one result per record");
        assert!(matches!(results[0], Err(Error::InvalidEvent(_))));
        assert!(
            results[1].is_ok(),
            "a bad record does not hide the next one"
        );
    }

    #[test]
    fn an_sns_envelope_without_records_is_not_an_answerable_event() {
        for results in [
            read_payload(r#"{"Records": []}"#),
            read_payload(r#"{"Records": [], "Deep": [[[[[[]]]]]]}"#),
        ] {
            assert!(matches!(results.as_slice(), [Err(Error::InvalidEvent(_))]));
        }
    }

    #[test]
    fn ids_cloudformation_never_sends_are_invalid_naming_the_field() {
        let mut create = event(CREATE);
        parse_envelope(&create).unwrap();
        for (field, value, named) in [
            (
                "LogicalResourceId",
                json!("My-Resource"),
                "LogicalResourceId",
            ),
            (
                "LogicalResourceId",
                json!("L".repeat(256)),
                "LogicalResourceId",
            ),
            (
                "LogicalResourceId",
                json!("Re\u{0}source"),
                "LogicalResourceId",
            ),
            ("RequestId", json!("req\nuest"), "RequestId"),
            (
                "PhysicalResourceId",
                json!("id\u{1b}[31m"),
                "PhysicalResourceId",
            ),
        ] {
            let saved = create.clone();
            create[field] = value;
            let failure = parse_envelope(&create).unwrap_err();
            assert_eq!(failure.code(), ReasonCode::InvalidProperties);
            assert!(failure.message().starts_with(named), "{failure}");
            create = saved;
        }
    }

    /// `depth` nested lists around a string: past serde_json's recursion limit at 200.
    fn nested(depth: usize) -> String {
        format!("{}\"x\"{}", "[".repeat(depth), "]".repeat(depth))
    }

    fn deep_create() -> String {
        let mut event = event(CREATE);
        event["ResourceProperties"] = json!("PLACEHOLDER");
        event.to_string().replace(
            "\"PLACEHOLDER\"",
            &format!("{{\"KeyId\": {}}}", nested(200)),
        )
    }

    #[test]
    fn a_request_nested_too_deeply_keeps_its_routing_fields() {
        let text = deep_create();
        assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "the limit holds"
        );
        let requests = read_payload(&text);
        assert_eq!(requests.len(), 1);
        let incoming = requests.into_iter().next().unwrap().unwrap();
        let routing = Routing::from_event(&incoming.request);
        assert_eq!(routing.request_type, "Create");
        assert!(routing.response_url.unwrap().starts_with("https://"));
        assert_eq!(routing.logical_resource_id, "KeyReady");
        let failure = incoming.unreadable.unwrap();
        assert_eq!(failure.code(), ReasonCode::InvalidProperties);
        assert!(
            failure
                .message()
                .starts_with("ResourceProperties: cannot be read: nested deeper"),
            "{failure}"
        );
    }

    #[test]
    fn an_sns_message_nested_too_deeply_keeps_its_routing_fields() {
        let payload = json!({"Records": [{"Sns": {"Message": deep_create()}}]}).to_string();
        let incoming = read_payload(&payload).into_iter().next().unwrap().unwrap();
        assert_eq!(incoming.request["RequestType"], "Create");
        assert!(incoming.unreadable.is_some());
        // The same SNS envelope nested too deeply itself.
        let payload = format!(
            "{{\"Records\": [{{\"Sns\": {{\"Message\": {}, \"Deep\": {}}}}}]}}",
            serde_json::to_string(&deep_create()).unwrap(),
            nested(200)
        );
        let incoming = read_payload(&payload).into_iter().next().unwrap().unwrap();
        assert_eq!(incoming.request["RequestType"], "Create");
    }

    #[test]
    fn a_payload_read_whole_has_nothing_unreadable() {
        let incoming = read_payload(CREATE).into_iter().next().unwrap().unwrap();
        assert_eq!(incoming, Incoming::new(event(CREATE)));
        assert!(matches!(
            read_payload("not json").remove(0),
            Err(Error::InvalidEvent(_))
        ));
    }

    /// The Lambda runtime reads the payload as `serde_path_to_error` over
    /// `serde_json::Deserializer::from_slice` (lambda_runtime's `deserializer.rs`): a raw
    /// value must come through that, however deep the payload.
    #[test]
    fn the_runtime_hands_over_a_deep_payload_as_raw_text() {
        let text = deep_create();
        let mut deserializer = serde_json::Deserializer::from_slice(text.as_bytes());
        let raw: Box<serde_json::value::RawValue> =
            serde_path_to_error::deserialize(&mut deserializer).unwrap();
        assert_eq!(raw.get(), text);
    }
}
