//! Typed resource properties: unknown names rejected, CloudFormation's strings tolerated.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::failure::{Failure, ReasonCode};

/// Property names CloudFormation adds to every custom resource; never the handler's business.
pub(crate) const RESERVED_PROPERTIES: [&str; 2] = ["ServiceToken", "ServiceTimeout"];

/// The typed properties of one resource type.
///
/// Derive `Deserialize` with `#[serde(deny_unknown_fields, rename_all = "PascalCase")]`
/// and use the [`de`] helpers for scalars; put checks serde cannot express in `validate`.
pub trait ResourceProperties: DeserializeOwned + Send + Sync + 'static {
    /// Checks ranges and formats; the failure names the field.
    fn validate(&self) -> Result<(), Failure> {
        Ok(())
    }
}

/// Parses `ResourceProperties` (minus `ServiceToken`/`ServiceTimeout`) into `P` and validates it.
///
/// Every failure is `INVALID_PROPERTIES` and names the offending field.
pub fn parse_properties<P: ResourceProperties>(raw: &Value) -> Result<P, Failure> {
    let mut map = match raw {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        other => {
            return Err(Failure::invalid_property(
                "ResourceProperties",
                format!("must be an object, got {}", json_kind(other)),
            ))
        }
    };
    // CloudFormation's own properties: the function's ARN and a number of seconds, each
    // sent as a string; any other shape is not from CloudFormation.
    for name in RESERVED_PROPERTIES {
        if map.remove(name).is_some_and(|value| !value.is_string()) {
            return Err(Failure::invalid_property(
                name,
                "must be a string, as CloudFormation sends it",
            ));
        }
    }
    let properties: P = serde_path_to_error::deserialize(Value::Object(map)).map_err(|error| {
        let path = error.path().to_string();
        let problem = without_values(&error.into_inner().to_string());
        if path == "." {
            Failure::new(ReasonCode::InvalidProperties, problem)
        } else {
            Failure::invalid_property(&path, problem)
        }
    })?;
    properties.validate()?;
    Ok(properties)
}

/// serde's messages quote the value they refused (`invalid type: string "s3cr3t",
/// expected a boolean`); a `NoEcho` parameter passed to a mistyped property would then
/// show in the stack events and the logs. Keeps the kind and the expectation, drops the
/// value. Field names (`unknown field `Colour``) are the template's words and stay.
pub(crate) fn without_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            // The value comes first and may itself contain ", expected ": split at the last.
            let (unexpected, expected) = match rest.rsplit_once(", expected ") {
                Some((unexpected, expected)) => (unexpected, Some(expected)),
                None => (rest, None),
            };
            let kind = value_kind(unexpected);
            return match expected {
                Some(expected) => format!("{prefix}{kind}, expected {expected}"),
                None => format!("{prefix}{kind}"),
            };
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        return match rest.rsplit_once("`, expected ") {
            Some((_, expected)) => format!("unknown value, expected {expected}"),
            None => "unknown value".to_owned(),
        };
    }
    message.to_owned()
}

/// The kind of value serde's `Unexpected` describes, without the value itself.
fn value_kind(unexpected: &str) -> &str {
    const KINDS: [(&str, &str); 6] = [
        ("string ", "a string"),
        ("integer `", "an integer"),
        ("floating point `", "a number"),
        ("boolean `", "a boolean"),
        ("character `", "a character"),
        ("byte array", "a byte array"),
    ];
    KINDS
        .iter()
        .find(|(shown, _)| unexpected.starts_with(shown))
        .map_or(
            // The other kinds (`map`, `sequence`, `unit value`, ...) carry no value; a
            // message we do not know is replaced whole rather than risk a value.
            if unexpected.contains(['`', '"']) {
                "another value"
            } else {
                unexpected
            },
            |(_, kind)| kind,
        )
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `deserialize_with` helpers that accept both native JSON scalars and the strings
/// CloudFormation sends (`"true"`, `"300"`).
pub mod de {
    use std::fmt;

    use std::collections::BTreeMap;

    use serde::de::{self, Deserializer, Visitor};
    use serde::Deserialize;
    use serde_json::{Map, Value};

    struct BoolVisitor;

    impl Visitor<'_> for BoolVisitor {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean (true or false)")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            match v.trim() {
                t if t.eq_ignore_ascii_case("true") => Ok(true),
                f if f.eq_ignore_ascii_case("false") => Ok(false),
                _ => Err(E::invalid_value(
                    de::Unexpected::Other("a string that is neither true nor false"),
                    &self,
                )),
            }
        }
    }

    struct U64Visitor;

    impl Visitor<'_> for U64Visitor {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative whole number")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            if v.fract() == 0.0 && v >= 0.0 && v <= u64::MAX as f64 {
                Ok(v as u64)
            } else {
                Err(E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            v.trim().parse().map_err(|_| {
                E::invalid_value(
                    de::Unexpected::Other("a string that is not a number"),
                    &self,
                )
            })
        }
    }

    /// A boolean given as `true` or `"true"`.
    pub fn bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(BoolVisitor)
    }

    /// A whole number given as `300` or `"300"`.
    pub fn u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(U64Visitor)
    }

    /// An optional boolean (`None` when absent; use with `#[serde(default)]`).
    pub fn opt_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
        bool(deserializer).map(Some)
    }

    /// An optional whole number (`None` when absent; use with `#[serde(default)]`).
    pub fn opt_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
        u64(deserializer).map(Some)
    }

    /// A map of strings such as `Tags`: `{"Team": "sec", "Tier": 1}`; scalar values
    /// become their text, nested values are refused.
    pub fn string_map<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, String>, D::Error> {
        let raw = BTreeMap::<String, Value>::deserialize(deserializer)?;
        raw.into_iter()
            .map(|(key, value)| match value {
                Value::String(text) => Ok((key, text)),
                Value::Bool(_) | Value::Number(_) => Ok((key, value.to_string())),
                _ => Err(de::Error::custom(format!(
                    "the value of `{key}` must be a string"
                ))),
            })
            .collect()
    }

    /// A JSON object given as an object or as a string holding one (CloudFormation
    /// templates write `InputParameters` both ways). An empty string is no object.
    pub fn json_object<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Map<String, Value>>, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Object(map) => Ok(Some(map)),
            Value::String(text) if text.trim().is_empty() => Ok(None),
            Value::String(text) => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(map)) => Ok(Some(map)),
                Ok(_) => Err(de::Error::custom("must be a JSON object")),
                Err(error) => Err(de::Error::custom(format!("must be a JSON object: {error}"))),
            },
            Value::Null => Ok(None),
            _ => Err(de::Error::custom(
                "must be a JSON object (or a string holding one)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct Sample {
        name: String,
        #[serde(default, deserialize_with = "de::bool")]
        enabled: bool,
        #[serde(default = "default_wait", deserialize_with = "de::u64")]
        wait: u64,
        #[serde(default)]
        items: Vec<String>,
    }

    fn default_wait() -> u64 {
        300
    }

    impl ResourceProperties for Sample {
        fn validate(&self) -> Result<(), Failure> {
            if self.wait > 900 {
                return Err(Failure::invalid_property("Wait", "must be at most 900"));
            }
            Ok(())
        }
    }

    fn parse(value: Value) -> Result<Sample, Failure> {
        parse_properties(&value)
    }

    fn message(value: Value) -> String {
        let failure = parse(value).unwrap_err();
        assert_eq!(failure.code(), ReasonCode::InvalidProperties);
        failure.to_string()
    }

    #[test]
    fn cloudformations_own_properties_must_be_strings() {
        #[derive(Debug, serde::Deserialize)]
        struct Empty {}
        impl ResourceProperties for Empty {}
        parse_properties::<Empty>(&json!({"ServiceToken": "arn", "ServiceTimeout": "600"}))
            .unwrap();
        for name in ["ServiceToken", "ServiceTimeout"] {
            let failure = parse_properties::<Empty>(&json!({name: 600})).unwrap_err();
            assert_eq!(
                failure.to_string().split(';').next().unwrap(),
                format!(
                    "[INVALID_PROPERTIES] {name}: must be a string, as CloudFormation sends it"
                )
            );
        }
    }

    #[test]
    fn strings_and_native_scalars_are_both_accepted() {
        let from_strings = parse(json!({"Name": "a", "Enabled": "true", "Wait": "42"})).unwrap();
        let from_native = parse(json!({"Name": "a", "Enabled": true, "Wait": 42})).unwrap();
        assert_eq!(from_strings, from_native);
        assert!(from_strings.enabled);
        assert_eq!(from_strings.wait, 42);
        assert!(
            !parse(json!({"Name": "a", "Enabled": "FALSE"}))
                .unwrap()
                .enabled
        );
    }

    #[test]
    fn defaults_apply_when_absent() {
        let parsed = parse(json!({"Name": "a"})).unwrap();
        assert_eq!(parsed.wait, 300);
        assert!(!parsed.enabled);
        assert!(parsed.items.is_empty());
    }

    #[test]
    fn service_token_and_service_timeout_are_ignored() {
        parse(json!({"Name": "a", "ServiceToken": "arn:aws:lambda:x", "ServiceTimeout": "60"}))
            .unwrap();
    }

    #[test]
    fn unknown_property_is_rejected_by_name() {
        let text = message(json!({"Name": "a", "Colour": "red"}));
        assert!(text.contains("unknown field `Colour`"), "{text}");
    }

    #[test]
    fn missing_property_is_named() {
        let text = message(json!({}));
        assert!(text.contains("missing field `Name`"), "{text}");
    }

    #[test]
    fn bad_scalars_name_their_field() {
        assert!(message(json!({"Name": "a", "Wait": "soon"}))
            .starts_with("[INVALID_PROPERTIES] Wait: "));
        assert!(
            message(json!({"Name": "a", "Wait": -1})).starts_with("[INVALID_PROPERTIES] Wait: ")
        );
        assert!(
            message(json!({"Name": "a", "Wait": 1.5})).starts_with("[INVALID_PROPERTIES] Wait: ")
        );
        assert!(message(json!({"Name": "a", "Enabled": "yes"}))
            .starts_with("[INVALID_PROPERTIES] Enabled: "));
    }

    #[test]
    fn list_elements_are_named_by_index() {
        let text = message(json!({"Name": "a", "Items": ["ok", 7]}));
        assert!(
            text.starts_with("[INVALID_PROPERTIES] Items[1]: "),
            "{text}"
        );
    }

    #[test]
    fn validation_runs_after_parsing() {
        assert_eq!(
            message(json!({"Name": "a", "Wait": "901"})),
            "[INVALID_PROPERTIES] Wait: must be at most 900"
        );
    }

    #[test]
    fn properties_must_be_an_object() {
        assert!(message(json!("text")).contains("ResourceProperties: must be an object"));
        assert!(parse(Value::Null)
            .unwrap_err()
            .to_string()
            .contains("missing field `Name`"));
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Choice {
        Keep,
        Drop,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct Secretive {
        #[serde(default, deserialize_with = "de::opt_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "de::opt_u64")]
        count: Option<u64>,
        #[serde(default)]
        choice: Option<Choice>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        names: Vec<String>,
    }

    impl ResourceProperties for Secretive {}

    #[test]
    fn refused_values_never_reach_the_reason() {
        // What a NoEcho parameter passed to a mistyped property would look like.
        let secret = "s3cr3t-\"`, expected hunter2";
        let values = [
            json!({"Flag": secret}),
            json!({"Count": secret}),
            json!({"Choice": secret}),
            json!({"Name": 4242}),
            json!({"Name": 42.5}),
            json!({"Name": true}),
            json!({"Names": secret}),
            json!({"Names": [secret, 4242]}),
            json!({"Count": -4242}),
            json!({"Count": 4242.5}),
        ];
        for value in values {
            let reason = parse_properties::<Secretive>(&value)
                .unwrap_err()
                .to_string();
            assert!(reason.starts_with("[INVALID_PROPERTIES] "), "{reason}");
            for leak in ["s3cr3t", "hunter2", "4242"] {
                assert!(!reason.contains(leak), "{value}: {reason}");
            }
        }
        let reason = parse_properties::<Secretive>(&json!({"Choice": secret}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            reason,
            "[INVALID_PROPERTIES] Choice: unknown value, expected `Keep` or `Drop`"
        );
        let reason = parse_properties::<Secretive>(&json!({"Flag": secret}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            reason,
            "[INVALID_PROPERTIES] Flag: invalid value: a string that is neither true nor false, expected a boolean (true or false)"
        );
        let reason = parse_properties::<Secretive>(&json!({"Name": 4242}))
            .unwrap_err()
            .to_string();
        assert_eq!(
            reason,
            "[INVALID_PROPERTIES] Name: invalid type: an integer, expected a string"
        );
    }

    #[test]
    fn messages_without_values_are_kept() {
        for kept in [
            "unknown field `Colour`, expected `Name`",
            "missing field `Name`",
            "invalid type: map, expected a string",
            "invalid length 3, expected 2 elements",
        ] {
            assert_eq!(without_values(kept), kept);
        }
        assert_eq!(
            without_values("invalid value: something `odd`, expected x"),
            "invalid value: another value, expected x"
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct Rich {
        #[serde(default, deserialize_with = "de::opt_bool")]
        auto: Option<bool>,
        #[serde(default, deserialize_with = "de::opt_u64")]
        limit: Option<u64>,
        #[serde(default, deserialize_with = "de::string_map")]
        tags: std::collections::BTreeMap<String, String>,
        #[serde(default, deserialize_with = "de::json_object")]
        input_parameters: Option<Map<String, Value>>,
        #[serde(default)]
        rules: Vec<RichRule>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    struct RichRule {
        name: String,
        #[serde(default, deserialize_with = "de::opt_bool")]
        enabled: Option<bool>,
    }

    impl ResourceProperties for Rich {}

    #[test]
    fn optional_scalars_maps_json_objects_and_lists_of_objects() {
        let parsed: Rich = parse_properties(&json!({
            "Auto": "false", "Limit": "25", "Tags": {"Team": "sec", "Tier": 1},
            "InputParameters": "{\"maxAccessKeyAge\": \"90\"}",
            "Rules": [{"Name": "a", "Enabled": "true"}, {"Name": "b"}]
        }))
        .unwrap();
        assert_eq!(parsed.auto, Some(false));
        assert_eq!(parsed.limit, Some(25));
        assert_eq!(parsed.tags["Tier"], "1");
        assert_eq!(parsed.input_parameters.unwrap()["maxAccessKeyAge"], "90");
        assert_eq!(parsed.rules[0].enabled, Some(true));
        assert_eq!(parsed.rules[1].enabled, None);
        let empty: Rich = parse_properties(&json!({})).unwrap();
        assert_eq!(
            (empty.auto, empty.limit, empty.input_parameters),
            (None, None, None)
        );
        let as_object: Rich = parse_properties(&json!({"InputParameters": {"a": "1"}})).unwrap();
        assert_eq!(as_object.input_parameters.unwrap()["a"], "1");
    }

    #[test]
    fn rich_properties_name_the_field_that_is_wrong() {
        let fail = |value: Value| parse_properties::<Rich>(&value).unwrap_err().to_string();
        assert!(fail(json!({"InputParameters": "{not json"}))
            .starts_with("[INVALID_PROPERTIES] InputParameters: must be a JSON object"));
        assert!(fail(json!({"InputParameters": "[1]"}))
            .starts_with("[INVALID_PROPERTIES] InputParameters: "));
        assert!(fail(json!({"Tags": {"A": {"B": "c"}}})).starts_with("[INVALID_PROPERTIES] Tags: "));
        assert!(
            fail(json!({"Rules": [{"Name": "a"}, {"Name": "b", "Colour": "red"}]}))
                .starts_with("[INVALID_PROPERTIES] Rules[1].Colour: unknown field `Colour`")
        );
        assert!(fail(json!({"Auto": "maybe"})).starts_with("[INVALID_PROPERTIES] Auto: "));
    }
}
