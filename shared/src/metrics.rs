//! One CloudWatch metric record per answer, in the embedded metric format (EMF): a JSON
//! object on its own line of standard output, which CloudWatch Logs turns into metrics
//! ("Your application writes a structured JSON object to its logs, and CloudWatch
//! extracts the metrics from it", AWS Lambda Developer Guide). No API call on the answer's
//! path and no permission beyond writing logs.
//!
//! Metrics, in the namespace `CR_METRICS_NAMESPACE` (default `CfnCustomResourceKit`):
//! `Answers` (Count, 1 per answer), `Duration` (Milliseconds, arrival to the end of the
//! response PUT) and `AwsCalls` (Count, SDK attempts while answering). Dimensions, each
//! a value the function itself decides (never one an event could choose):
//! `[Function, Status]` (what an alarm on `FAILED` watches) and
//! `[Function, RequestType, Status, ReasonCode]` (`ReasonCode` `NONE` on `SUCCESS`).
//! The record also names the `ResourceType` (a member, not a dimension: the event names
//! it; one that is not a custom resource type name is `Unknown`).

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

/// The environment variable naming the metrics' namespace.
pub(crate) const NAMESPACE_ENV: &str = "CR_METRICS_NAMESPACE";

/// The namespace unless [`NAMESPACE_ENV`] names another.
pub(crate) const DEFAULT_NAMESPACE: &str = "CfnCustomResourceKit";

/// SDK HTTP attempts made by this process (counted by the suite's HTTP client): the
/// difference over one request is its `AwsCalls` (Lambda runs one request at a time).
static SDK_ATTEMPTS: AtomicU64 = AtomicU64::new(0);

/// Counts one SDK HTTP attempt.
pub(crate) fn count_sdk_attempt() {
    SDK_ATTEMPTS.fetch_add(1, Ordering::Relaxed);
}

/// SDK HTTP attempts so far.
pub(crate) fn sdk_attempts() -> u64 {
    SDK_ATTEMPTS.load(Ordering::Relaxed)
}

/// What one answer measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AnswerMetrics<'a> {
    /// The Lambda function (`AWS_LAMBDA_FUNCTION_NAME`).
    pub(crate) function: &'a str,
    /// The request's `ResourceType`, when it is a custom resource type name.
    pub(crate) resource_type: &'a str,
    /// `Create`, `Update`, `Delete`, or `Unknown` for a request of no valid type.
    pub(crate) request_type: &'a str,
    /// `SUCCESS` or `FAILED`.
    pub(crate) status: &'a str,
    /// The reason code, `NONE` on `SUCCESS`.
    pub(crate) reason_code: &'a str,
    /// From the request's arrival to the end of the response PUT.
    pub(crate) duration_ms: u64,
    /// SDK attempts while answering.
    pub(crate) aws_calls: u64,
}

impl AnswerMetrics<'_> {
    /// The EMF record, stamped `timestamp_ms` (ms since the epoch).
    pub(crate) fn record(&self, namespace: &str, timestamp_ms: u64) -> Value {
        json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": namespace,
                    "Dimensions": [
                        ["Function", "Status"],
                        ["Function", "RequestType", "Status", "ReasonCode"]
                    ],
                    "Metrics": [
                        {"Name": "Answers", "Unit": "Count"},
                        {"Name": "Duration", "Unit": "Milliseconds"},
                        {"Name": "AwsCalls", "Unit": "Count"}
                    ]
                }]
            },
            "Function": self.function,
            "ResourceType": resource_type_name(self.resource_type),
            "RequestType": self.request_type,
            "Status": self.status,
            "ReasonCode": self.reason_code,
            "Answers": 1,
            "Duration": self.duration_ms,
            "AwsCalls": self.aws_calls
        })
    }

    /// Writes the record in `namespace` as one line of standard output.
    pub(crate) fn emit(&self, namespace: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        println!("{}", self.record(namespace, now));
    }
}

/// The namespace from [`NAMESPACE_ENV`], else [`DEFAULT_NAMESPACE`].
pub(crate) fn namespace_from_env() -> String {
    std::env::var(NAMESPACE_ENV)
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
}

/// `resource_type` when it is a custom resource type name ("Custom::" and up to 60
/// letters, digits and `_@-`, as CloudFormation requires), else `Unknown`.
fn resource_type_name(resource_type: &str) -> &str {
    let valid = resource_type.strip_prefix("Custom::").is_some_and(|name| {
        !name.is_empty()
            && name.len() <= 60
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '-'))
    });
    if valid || resource_type == "AWS::CloudFormation::CustomResource" {
        resource_type
    } else {
        "Unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_follows_the_embedded_metric_format() {
        let metrics = AnswerMetrics {
            function: "baseline-KmsReadyFunction-1A2B3C",
            resource_type: "Custom::KmsReady",
            request_type: "Create",
            status: "FAILED",
            reason_code: "NOT_ACTIVE",
            duration_ms: 42,
            aws_calls: 3,
        };
        let record = metrics.record("CfnCustomResourceKit", 1_764_000_000_000);
        let directive = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(record["_aws"]["Timestamp"], 1_764_000_000_000u64);
        assert_eq!(directive["Namespace"], "CfnCustomResourceKit");
        // Every dimension and metric the directive names is a member of the record.
        for set in directive["Dimensions"].as_array().unwrap() {
            for name in set.as_array().unwrap() {
                assert!(record[name.as_str().unwrap()].is_string(), "{name}");
            }
        }
        for metric in directive["Metrics"].as_array().unwrap() {
            assert!(
                record[metric["Name"].as_str().unwrap()].is_u64(),
                "{metric}"
            );
        }
        assert_eq!(
            (
                &record["Status"],
                &record["ReasonCode"],
                &record["AwsCalls"]
            ),
            (&json!("FAILED"), &json!("NOT_ACTIVE"), &json!(3))
        );
        // One line.
        assert!(!record.to_string().contains('\n'));
        assert_eq!(record["ResourceType"], "Custom::KmsReady");
        let long = format!("Custom::{}", "x".repeat(61));
        for odd in ["Custom::", "AWS::S3::Bucket", "Custom::a\nb", long.as_str()] {
            assert_eq!(resource_type_name(odd), "Unknown", "{odd}");
        }
    }
}
