//! `Custom::ConfigSetup` properties and their validation.

use std::collections::BTreeMap;

use cfn_custom_resource_kit::{de, Failure, ResourceProperties};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Recorder names AWS reserves for service-linked recorders.
pub(crate) const RESERVED_RECORDER_PREFIX: &str = "AWSConfigurationRecorderFor";

/// What to do when a customer-managed recorder (or channel) with another name exists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum ExistingRecorder {
    /// Bring it to the requested settings and use it under its own name.
    #[default]
    Adopt,
    /// Answer `FAILED [CONFLICT]` naming it.
    Fail,
}

/// The types AWS Config records only continuously (RecordingModeOverride: "Daily
/// recording cannot be specified for the following resource types").
const CONTINUOUS_ONLY: [&str; 3] = [
    "AWS::Config::ResourceCompliance",
    "AWS::Config::ConformancePackCompliance",
    "AWS::Config::ConfigurationRecorder",
];

/// `recordingGroup.recordingStrategy.useOnly`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum RecordingStrategy {
    /// Every supported resource type (`ALL_SUPPORTED_RESOURCE_TYPES`).
    #[default]
    AllSupported,
    /// Only `ResourceTypes` (`INCLUSION_BY_RESOURCE_TYPES`).
    Inclusion,
    /// Everything but `ResourceTypes` (`EXCLUSION_BY_RESOURCE_TYPES`).
    Exclusion,
}

/// `recordingMode.recordingFrequency`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
pub enum RecordingFrequency {
    /// Every change.
    #[default]
    CONTINUOUS,
    /// Once a day.
    DAILY,
}

impl RecordingFrequency {
    /// The API's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CONTINUOUS => "CONTINUOUS",
            Self::DAILY => "DAILY",
        }
    }
}

/// A delivery or evaluation frequency (`MaximumExecutionFrequency`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[allow(non_camel_case_types)]
pub enum Frequency {
    /// `One_Hour`
    One_Hour,
    /// `Three_Hours`
    Three_Hours,
    /// `Six_Hours`
    Six_Hours,
    /// `Twelve_Hours`
    Twelve_Hours,
    /// `TwentyFour_Hours`
    TwentyFour_Hours,
}

impl Frequency {
    /// The API's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::One_Hour => "One_Hour",
            Self::Three_Hours => "Three_Hours",
            Self::Six_Hours => "Six_Hours",
            Self::Twelve_Hours => "Twelve_Hours",
            Self::TwentyFour_Hours => "TwentyFour_Hours",
        }
    }
}

/// What Delete does to what this resource created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum OnDelete {
    /// Stop and remove what this resource created.
    #[default]
    Remove,
    /// Leave everything as it is.
    Retain,
}

/// One `recordingMode.recordingModeOverrides` entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FrequencyOverride {
    /// The resource types it applies to.
    pub resource_types: Vec<String>,
    /// Their frequency.
    pub recording_frequency: RecordingFrequency,
    /// A note.
    #[serde(default)]
    pub description: Option<String>,
}

/// One AWS managed Config rule.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ManagedRule {
    /// `ConfigRuleName`.
    pub name: String,
    /// The managed rule's identifier, e.g. `CLOUD_TRAIL_ENABLED`.
    pub source_identifier: String,
    /// Rule parameters (an object, or a string holding one).
    #[serde(default, deserialize_with = "de::json_object")]
    pub input_parameters: Option<Map<String, Value>>,
    /// `Scope.ComplianceResourceTypes`.
    #[serde(default)]
    pub resource_types: Vec<String>,
    /// For periodic rules.
    #[serde(default)]
    pub maximum_execution_frequency: Option<Frequency>,
}

/// What `Custom::ConfigSetup` accepts (see the README).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct ConfigSetupProperties {
    /// Recorder and channel name when this resource creates them (create-only).
    #[serde(default = "default_name")]
    pub recorder_name: String,
    /// The role AWS Config assumes; `None`: the service-linked role.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Adopt or Fail on a recorder or channel of another name.
    #[serde(default)]
    pub existing_recorder: ExistingRecorder,
    /// What to record.
    #[serde(default)]
    pub recording_strategy: RecordingStrategy,
    /// For `Inclusion` / `Exclusion`.
    #[serde(default)]
    pub resource_types: Vec<String>,
    /// Only with `AllSupported` (default true).
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub include_global_resource_types: Option<bool>,
    /// Default recording frequency.
    #[serde(default)]
    pub recording_frequency: RecordingFrequency,
    /// Per-type frequencies.
    #[serde(default)]
    pub recording_frequency_overrides: Vec<FrequencyOverride>,
    /// The S3 bucket AWS Config delivers to.
    pub delivery_bucket_name: String,
    /// The account that owns the bucket (an organization's log-archive account); absent:
    /// the account the function runs in. Checked before the channel is written.
    #[serde(default)]
    pub delivery_bucket_owner: Option<String>,
    /// Key prefix in the bucket.
    #[serde(default)]
    pub delivery_key_prefix: Option<String>,
    /// KMS key for the delivered objects.
    #[serde(default)]
    pub delivery_kms_key_arn: Option<String>,
    /// SNS topic for notifications.
    #[serde(default)]
    pub delivery_sns_topic_arn: Option<String>,
    /// Configuration snapshot frequency.
    #[serde(default)]
    pub snapshot_delivery_frequency: Option<Frequency>,
    /// AWS managed rules to keep in sync.
    #[serde(default)]
    pub managed_rules: Vec<ManagedRule>,
    /// What Delete does.
    #[serde(default)]
    pub on_delete: OnDelete,
    /// Tags on the recorder and rules this resource creates, beside its owner tag.
    #[serde(default, deserialize_with = "de::string_map")]
    pub tags: BTreeMap<String, String>,
}

fn default_name() -> String {
    "default".to_owned()
}

impl ConfigSetupProperties {
    /// Whether global resource types (IAM) are recorded.
    pub fn records_global_types(&self) -> bool {
        self.recording_strategy == RecordingStrategy::AllSupported
            && self.include_global_resource_types.unwrap_or(true)
    }
}

impl ResourceProperties for ConfigSetupProperties {
    fn validate(&self) -> Result<(), Failure> {
        validate_recorder_name(&self.recorder_name)?;
        validate_tags(&self.tags)?;
        if let Some(role) = &self.role_arn {
            check_arn("RoleArn", role, "iam", |resource| {
                resource.starts_with("role/")
            })?;
        }
        match (self.recording_strategy, self.resource_types.is_empty()) {
            (RecordingStrategy::AllSupported, false) => return Err(Failure::invalid_property(
                "ResourceTypes",
                "must be empty with RecordingStrategy AllSupported (use Inclusion or Exclusion)",
            )),
            (RecordingStrategy::Inclusion | RecordingStrategy::Exclusion, true) => {
                return Err(Failure::invalid_property(
                    "ResourceTypes",
                    format!(
                        "must name at least one resource type with RecordingStrategy {:?}",
                        self.recording_strategy
                    ),
                ))
            }
            _ => {}
        }
        // Global types (AWS::IAM::*) follow the strategy's own list outside AllSupported:
        // "The includeGlobalResourceTypes field has no impact on the
        // EXCLUSION_BY_RESOURCE_TYPES recording strategy" (RecordingGroup), and with
        // Inclusion only the listed types are recorded. A value here would mislead.
        match (self.recording_strategy, self.include_global_resource_types) {
            (RecordingStrategy::Inclusion, Some(_)) => {
                return Err(Failure::invalid_property(
                    "IncludeGlobalResourceTypes",
                    "only applies with RecordingStrategy AllSupported: with Inclusion, list the AWS::IAM::* types to record in ResourceTypes",
                ))
            }
            (RecordingStrategy::Exclusion, Some(_)) => {
                return Err(Failure::invalid_property(
                    "IncludeGlobalResourceTypes",
                    "has no effect with RecordingStrategy Exclusion: global types (AWS::IAM::*) are recorded unless ResourceTypes lists them",
                ))
            }
            _ => {}
        }
        check_resource_types("ResourceTypes", &self.resource_types)?;
        // "recordingModeOverrides ... Array Members: Maximum number of 1 item" (AWS Config
        // API Reference, RecordingMode).
        if self.recording_frequency_overrides.len() > 1 {
            return Err(Failure::invalid_property(
                "RecordingFrequencyOverrides",
                "at most one override: AWS Config's recordingModeOverrides holds one (list every type that needs the other frequency in it)",
            ));
        }
        for (index, entry) in self.recording_frequency_overrides.iter().enumerate() {
            let field = format!("RecordingFrequencyOverrides[{index}].ResourceTypes");
            if entry.resource_types.is_empty() {
                return Err(Failure::invalid_property(&field, "must not be empty"));
            }
            check_resource_types(&field, &entry.resource_types)?;
            // "Daily recording cannot be specified for the following resource types"
            // (AWS Config API Reference, RecordingModeOverride).
            if entry.recording_frequency == RecordingFrequency::DAILY {
                for (position, resource_type) in entry.resource_types.iter().enumerate() {
                    if CONTINUOUS_ONLY.contains(&resource_type.as_str()) {
                        return Err(Failure::invalid_property(
                            &format!("{field}[{position}]"),
                            format!(
                                "cannot be recorded DAILY: AWS Config records {} continuously only",
                                CONTINUOUS_ONLY.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        validate_bucket(&self.delivery_bucket_name)?;
        if let Some(owner) = &self.delivery_bucket_owner {
            if owner.len() != 12 || !owner.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Failure::invalid_property(
                    "DeliveryBucketOwner",
                    "must be a 12-digit AWS account id",
                ));
            }
        }
        if let Some(prefix) = &self.delivery_key_prefix {
            if prefix.is_empty() || prefix.len() > 256 || prefix.starts_with('/') {
                return Err(Failure::invalid_property(
                    "DeliveryKeyPrefix",
                    "must be 1 to 256 characters and not start with /",
                ));
            }
        }
        if let Some(key) = &self.delivery_kms_key_arn {
            // "The Amazon Resource Name (ARN) of the ... KMS key" (DeliveryChannel): an
            // alias ARN is not documented as accepted, so only a key ARN is.
            check_arn("DeliveryKmsKeyArn", key, "kms", |resource| {
                resource.len() > "key/".len() && resource.starts_with("key/")
            })?;
        }
        if let Some(topic) = &self.delivery_sns_topic_arn {
            check_arn("DeliverySnsTopicArn", topic, "sns", |resource| {
                !resource.is_empty() && !resource.contains('/')
            })?;
        }
        for (index, rule) in self.managed_rules.iter().enumerate() {
            validate_rule(index, rule)?;
            let earlier = &self.managed_rules[..index];
            if let Some(first) = earlier.iter().position(|r| r.name == rule.name) {
                return Err(Failure::invalid_property(
                    &format!("ManagedRules[{index}].Name"),
                    format!("is also the name of ManagedRules[{first}]; rule names must be unique"),
                ));
            }
        }
        Ok(())
    }
}

/// AWS Config's Tag: "Key … Length Constraints: Minimum length of 1. Maximum length of
/// 128", "Value … Maximum length of 256", at most 50 tags per resource (one is the owner
/// tag); `aws:` is AWS's own prefix.
fn validate_tags(tags: &BTreeMap<String, String>) -> Result<(), Failure> {
    if tags.len() > 49 {
        return Err(Failure::invalid_property(
            "Tags",
            "at most 49 tags (AWS Config takes 50 per resource, and this resource adds its owner tag)",
        ));
    }
    for (key, value) in tags {
        let field = format!("Tags.{key}");
        if key.is_empty()
            || key.chars().count() > 128
            || key.to_ascii_lowercase().starts_with("aws:")
        {
            return Err(Failure::invalid_property(
                "Tags",
                "a key must have 1 to 128 characters and not start with aws:",
            ));
        }
        if key == crate::tags::OWNER_TAG {
            return Err(Failure::invalid_property(
                &field,
                "is this resource's own owner tag",
            ));
        }
        if value.chars().count() > 256 {
            return Err(Failure::invalid_property(
                &field,
                "a value has at most 256 characters",
            ));
        }
    }
    Ok(())
}

fn validate_recorder_name(name: &str) -> Result<(), Failure> {
    if name.trim().is_empty() || name.len() > 256 {
        return Err(Failure::invalid_property(
            "RecorderName",
            "must be 1 to 256 characters",
        ));
    }
    if name.starts_with(RESERVED_RECORDER_PREFIX) {
        return Err(Failure::invalid_property(
            "RecorderName",
            format!("may not start with {RESERVED_RECORDER_PREFIX} (reserved for service-linked recorders)"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Failure::invalid_property(
            "RecorderName",
            "must not contain control characters",
        ));
    }
    Ok(())
}

fn validate_rule(index: usize, rule: &ManagedRule) -> Result<(), Failure> {
    let field = |name: &str| format!("ManagedRules[{index}].{name}");
    let name_ok = !rule.name.is_empty()
        && rule.name.len() <= 128
        && rule
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !name_ok {
        return Err(Failure::invalid_property(
            &field("Name"),
            "must be 1 to 128 letters, digits, - or _",
        ));
    }
    let identifier_ok = !rule.source_identifier.is_empty()
        && rule.source_identifier.len() <= 256
        && rule
            .source_identifier
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !identifier_ok {
        return Err(Failure::invalid_property(
            &field("SourceIdentifier"),
            "is not an AWS managed rule identifier such as CLOUD_TRAIL_ENABLED",
        ));
    }
    check_resource_types(&field("ResourceTypes"), &rule.resource_types)?;
    if let Some(parameters) = &rule.input_parameters {
        let text = Value::Object(parameters.clone()).to_string();
        if text.len() > 1024 {
            return Err(Failure::invalid_property(
                &field("InputParameters"),
                "must be at most 1024 characters as JSON",
            ));
        }
    }
    Ok(())
}

fn check_resource_types(field: &str, types: &[String]) -> Result<(), Failure> {
    for (index, resource_type) in types.iter().enumerate() {
        let parts: Vec<&str> = resource_type.split("::").collect();
        let ok = parts.len() == 3
            && parts[0] == "AWS"
            && parts[1..]
                .iter()
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
        if !ok {
            return Err(Failure::invalid_property(
                &format!("{field}[{index}]"),
                "is not a resource type such as AWS::S3::Bucket",
            ));
        }
    }
    Ok(())
}

fn validate_bucket(bucket: &str) -> Result<(), Failure> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Failure::invalid_property(
            "DeliveryBucketName",
            "is not an S3 bucket name (3 to 63 lowercase letters, digits, dots, hyphens)",
        ))
    }
}

/// Checks `arn:<partition>:<service>:<region>:<account>:<resource>`.
fn check_arn(
    field: &str,
    arn: &str,
    service: &str,
    resource_ok: impl Fn(&str) -> bool,
) -> Result<(), Failure> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && matches!(
            parts[1],
            "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b"
        )
        && parts[2] == service
        && (parts[4].len() == 12 && parts[4].chars().all(|c| c.is_ascii_digit()))
        && resource_ok(parts[5]);
    if ok {
        Ok(())
    } else {
        Err(Failure::invalid_property(
            field,
            format!("is not an {service} ARN of the expected shape"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cfn_custom_resource_kit::parse_properties;
    use cfn_custom_resource_kit::testing::invalid;
    use serde_json::json;

    fn parse(value: Value) -> Result<ConfigSetupProperties, Failure> {
        parse_properties(&value)
    }

    /// The `INVALID_PROPERTIES` reason for `value`.
    fn reason(value: Value) -> String {
        invalid::<ConfigSetupProperties>(value)
    }

    fn with(extra: Value) -> Value {
        let mut base = json!({"DeliveryBucketName": "config-bucket-1"});
        for (key, value) in extra.as_object().unwrap() {
            base[key] = value.clone();
        }
        base
    }

    #[test]
    fn defaults_follow_the_contract() {
        let parsed = parse(with(json!({}))).unwrap();
        assert_eq!(parsed.recorder_name, "default");
        assert_eq!(parsed.role_arn, None);
        assert_eq!(parsed.existing_recorder, ExistingRecorder::Adopt);
        assert_eq!(parsed.recording_strategy, RecordingStrategy::AllSupported);
        assert!(parsed.records_global_types());
        assert_eq!(parsed.recording_frequency, RecordingFrequency::CONTINUOUS);
        assert_eq!(parsed.on_delete, OnDelete::Remove);
    }

    #[test]
    fn cloudformation_strings_parse() {
        let parsed = parse(with(json!({
            "IncludeGlobalResourceTypes": "false",
            "SnapshotDeliveryFrequency": "Six_Hours",
            "ManagedRules": [{"Name": "s3-sse", "SourceIdentifier": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
                              "InputParameters": "{\"a\":\"1\"}", "MaximumExecutionFrequency": "One_Hour"}],
        })))
        .unwrap();
        assert!(!parsed.records_global_types());
        assert_eq!(
            parsed.snapshot_delivery_frequency,
            Some(Frequency::Six_Hours)
        );
        assert_eq!(
            parsed.managed_rules[0].input_parameters.as_ref().unwrap()["a"],
            "1"
        );
    }

    #[test]
    fn strategy_and_resource_types_must_agree() {
        assert!(reason(with(json!({"ResourceTypes": ["AWS::S3::Bucket"]})))
            .starts_with("[INVALID_PROPERTIES] ResourceTypes: must be empty"));
        assert!(reason(with(json!({"RecordingStrategy": "Inclusion"})))
            .starts_with("[INVALID_PROPERTIES] ResourceTypes: must name at least one"));
        assert!(reason(with(json!({"RecordingStrategy": "Exclusion", "ResourceTypes": ["AWS::IAM::Role"], "IncludeGlobalResourceTypes": "true"})))
            .starts_with("[INVALID_PROPERTIES] IncludeGlobalResourceTypes: "));
        assert!(reason(with(
            json!({"RecordingStrategy": "Inclusion", "ResourceTypes": ["S3 bucket"]})
        ))
        .starts_with("[INVALID_PROPERTIES] ResourceTypes[0]: "));
        parse(with(
            json!({"RecordingStrategy": "Exclusion", "ResourceTypes": ["AWS::IAM::Role"]}),
        ))
        .unwrap();
    }

    #[test]
    fn enum_values_are_checked_by_name() {
        assert!(reason(with(json!({"RecordingStrategy": "Everything"})))
            .starts_with("[INVALID_PROPERTIES] RecordingStrategy: unknown value, expected one of"));
        assert!(reason(with(json!({"ExistingRecorder": "Replace"})))
            .starts_with("[INVALID_PROPERTIES] ExistingRecorder: "));
        assert!(reason(with(json!({"RecordingFrequency": "HOURLY"})))
            .starts_with("[INVALID_PROPERTIES] RecordingFrequency: "));
        assert!(reason(with(json!({"OnDelete": "Delete"})))
            .starts_with("[INVALID_PROPERTIES] OnDelete: "));
    }

    #[test]
    fn arns_and_names_have_their_shapes() {
        assert!(reason(with(json!({"RoleArn": "my-role"})))
            .starts_with("[INVALID_PROPERTIES] RoleArn: "));
        parse(with(
            json!({"RoleArn": "arn:aws-cn:iam::123456789012:role/config"}),
        ))
        .unwrap();
        assert!(reason(with(
            json!({"DeliveryKmsKeyArn": "arn:aws:kms:us-east-1:123:key/x"})
        ))
        .starts_with("[INVALID_PROPERTIES] DeliveryKmsKeyArn: "));
        // An alias ARN is not documented as accepted by the delivery channel.
        assert!(reason(with(json!({
            "DeliveryKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/config"
        })))
        .starts_with("[INVALID_PROPERTIES] DeliveryKmsKeyArn: "));
        assert!(reason(with(
            json!({"DeliverySnsTopicArn": "arn:aws:sqs:us-east-1:123456789012:q"})
        ))
        .starts_with("[INVALID_PROPERTIES] DeliverySnsTopicArn: "));
        assert!(reason(json!({"DeliveryBucketName": "Bad_Bucket"}))
            .starts_with("[INVALID_PROPERTIES] DeliveryBucketName: "));
        assert!(reason(json!({})).contains("missing field `DeliveryBucketName`"));
    }

    #[test]
    fn tags_stay_within_aws_configs_limits() {
        let base = json!({"DeliveryBucketName": "b-ok"});
        let with = |tags: Value| {
            let mut v = base.clone();
            v["Tags"] = tags;
            v
        };
        parse(with(json!({"Team": "security"}))).unwrap();
        assert!(reason(with(json!({"aws:x": "y"}))).starts_with("[INVALID_PROPERTIES] Tags: "));
        assert!(reason(with(json!({"cfn-custom-resource-kit:owner": "y"})))
            .starts_with("[INVALID_PROPERTIES] Tags.cfn-custom-resource-kit:owner: "));
        assert!(reason(with(json!({"k": "v".repeat(257)})))
            .starts_with("[INVALID_PROPERTIES] Tags.k: "));
        let many: Map<String, Value> = (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(
            reason(with(Value::Object(many))).starts_with("[INVALID_PROPERTIES] Tags: at most 49")
        );
    }

    #[test]
    fn the_reserved_recorder_prefix_is_refused() {
        assert!(reason(with(
            json!({"RecorderName": "AWSConfigurationRecorderForSecurityHub"})
        ))
        .starts_with(
            "[INVALID_PROPERTIES] RecorderName: may not start with AWSConfigurationRecorderFor"
        ));
    }

    #[test]
    fn rule_names_are_unique_and_well_formed() {
        let rule = json!({"Name": "r", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"});
        assert!(
            reason(with(json!({"ManagedRules": [rule, rule]}))).starts_with(
                "[INVALID_PROPERTIES] ManagedRules[1].Name: is also the name of ManagedRules[0]"
            )
        );
        assert!(reason(with(
            json!({"ManagedRules": [{"Name": "r", "SourceIdentifier": "cloud-trail"}]})
        ))
        .starts_with("[INVALID_PROPERTIES] ManagedRules[0].SourceIdentifier: "));
        assert!(reason(with(
            json!({"ManagedRules": [{"Name": "r", "SourceIdentifier": "X", "Colour": 1}]})
        ))
        .contains("unknown field `Colour`"));
        assert!(reason(with(json!({"ManagedRules": [{"Name": "r", "SourceIdentifier": "X", "InputParameters": "{oops"}]})))
            .starts_with("[INVALID_PROPERTIES] ManagedRules[0].InputParameters: "));
    }

    #[test]
    fn one_recording_frequency_override_at_most_and_never_daily_for_config_types() {
        let types = |t: &str| json!({"ResourceTypes": [t], "RecordingFrequency": "DAILY"});
        let two = json!({"RecordingFrequencyOverrides": [types("AWS::S3::Bucket"), types("AWS::EC2::VPC")]});
        assert!(reason(with(two))
            .starts_with("[INVALID_PROPERTIES] RecordingFrequencyOverrides: at most one override"));
        for continuous_only in CONTINUOUS_ONLY {
            let daily = json!({"RecordingFrequencyOverrides": [{
                "ResourceTypes": ["AWS::S3::Bucket", continuous_only],
                "RecordingFrequency": "DAILY"
            }]});
            assert!(reason(with(daily)).starts_with(
                "[INVALID_PROPERTIES] RecordingFrequencyOverrides[0].ResourceTypes[1]: cannot be recorded DAILY"
            ));
            let continuous = json!({"RecordingFrequencyOverrides": [{
                "ResourceTypes": [continuous_only],
                "RecordingFrequency": "CONTINUOUS"
            }]});
            parse(with(continuous)).unwrap();
        }
        parse(with(
            json!({"RecordingFrequencyOverrides": [types("AWS::S3::Bucket")]}),
        ))
        .unwrap();
    }

    #[test]
    fn global_types_follow_the_strategys_list_outside_all_supported() {
        for value in ["true", "false"] {
            let exclusion = json!({"RecordingStrategy": "Exclusion", "ResourceTypes": ["AWS::S3::Bucket"], "IncludeGlobalResourceTypes": value});
            assert!(
                reason(with(exclusion)).contains("has no effect with RecordingStrategy Exclusion")
            );
            let inclusion = json!({"RecordingStrategy": "Inclusion", "ResourceTypes": ["AWS::S3::Bucket"], "IncludeGlobalResourceTypes": value});
            assert!(reason(with(inclusion))
                .contains("list the AWS::IAM::* types to record in ResourceTypes"));
        }
        parse(with(
            json!({"RecordingStrategy": "Exclusion", "ResourceTypes": ["AWS::IAM::User"]}),
        ))
        .unwrap();
    }
}
