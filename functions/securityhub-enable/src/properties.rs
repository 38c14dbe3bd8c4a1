//! `Custom::SecurityHubEnable` properties.

use std::collections::BTreeMap;

use aws_sdk_securityhub::types::ControlFindingGenerator as ApiGenerator;
use cfn_custom_resource_kit::{de, Failure, ResourceProperties};
use securityhub_common::OnDelete;
use serde::Deserialize;

/// The most tags Security Hub accepts on a resource.
pub(crate) const MAX_TAGS: usize = 50;

/// What `Custom::SecurityHubEnable` accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct HubProperties {
    /// Whether `EnableSecurityHub` turns on the default standards. Only used when this
    /// resource enables the hub. Default `false` (the service's own default is `true`).
    #[serde(default, deserialize_with = "de::bool")]
    pub enable_default_standards: bool,
    /// Consolidated control findings; `None` leaves the hub's value as found.
    #[serde(default)]
    pub control_finding_generator: Option<ControlFindingGenerator>,
    /// Whether new controls are enabled automatically; `None` leaves the hub's value as found.
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub auto_enable_controls: Option<bool>,
    /// Tags on the hub (`hub/default`).
    #[serde(default, deserialize_with = "de::string_map")]
    pub tags: BTreeMap<String, String>,
    /// What Delete does to a hub this resource enabled (`Disable`: disable it; `Retain`:
    /// leave it enabled).
    #[serde(default)]
    pub on_delete: OnDelete,
}

/// `ControlFindingGenerator` as the Security Hub API spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum ControlFindingGenerator {
    /// One finding per control check, whatever the standards (consolidated findings).
    #[serde(rename = "SECURITY_CONTROL")]
    SecurityControl,
    /// One finding per control check and standard.
    #[serde(rename = "STANDARD_CONTROL")]
    StandardControl,
}

impl ControlFindingGenerator {
    /// The setting for an API value (`None` for one this version does not know).
    pub fn from_api(value: &ApiGenerator) -> Option<Self> {
        match value {
            ApiGenerator::SecurityControl => Some(Self::SecurityControl),
            ApiGenerator::StandardControl => Some(Self::StandardControl),
            _ => None,
        }
    }

    /// The API value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecurityControl => "SECURITY_CONTROL",
            Self::StandardControl => "STANDARD_CONTROL",
        }
    }
}

impl From<ControlFindingGenerator> for ApiGenerator {
    fn from(setting: ControlFindingGenerator) -> Self {
        match setting {
            ControlFindingGenerator::SecurityControl => Self::SecurityControl,
            ControlFindingGenerator::StandardControl => Self::StandardControl,
        }
    }
}

impl ResourceProperties for HubProperties {
    fn validate(&self) -> Result<(), Failure> {
        if self.tags.len() > MAX_TAGS {
            return Err(Failure::invalid_property(
                "Tags",
                format!(
                    "at most {MAX_TAGS} tags are allowed, got {}",
                    self.tags.len()
                ),
            ));
        }
        for (key, value) in &self.tags {
            let field = format!("Tags.{key}");
            if key.is_empty() || key.chars().count() > 128 {
                return Err(Failure::invalid_property(
                    &field,
                    "a tag key must have 1 to 128 characters",
                ));
            }
            if key.to_ascii_lowercase().starts_with("aws:") {
                return Err(Failure::invalid_property(
                    &field,
                    "the aws: prefix is reserved for AWS",
                ));
            }
            if value.chars().count() > 256 {
                return Err(Failure::invalid_property(
                    &field,
                    "a tag value must have at most 256 characters",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cfn_custom_resource_kit::testing::{invalid, properties};
    use serde_json::json;

    /// The `INVALID_PROPERTIES` reason for `value`.
    fn reason(value: serde_json::Value) -> String {
        invalid::<HubProperties>(value)
    }

    #[test]
    fn nothing_is_required_and_unset_settings_stay_unset() {
        let parsed: HubProperties = properties(json!({}));
        assert!(!parsed.enable_default_standards);
        assert_eq!(parsed.control_finding_generator, None);
        assert_eq!(parsed.auto_enable_controls, None);
        assert!(parsed.tags.is_empty());
        assert_eq!(parsed.on_delete, OnDelete::Disable);
    }

    #[test]
    fn cloudformation_strings_are_accepted() {
        let parsed: HubProperties = properties(json!({
            "EnableDefaultStandards": "true",
            "ControlFindingGenerator": "STANDARD_CONTROL",
            "AutoEnableControls": "false",
            "Tags": {"Team": "security", "Tier": 1},
            "OnDelete": "Retain"
        }));
        assert!(parsed.enable_default_standards);
        assert_eq!(
            parsed.control_finding_generator,
            Some(ControlFindingGenerator::StandardControl)
        );
        assert_eq!(parsed.auto_enable_controls, Some(false));
        assert_eq!(parsed.tags["Tier"], "1");
        assert_eq!(parsed.on_delete, OnDelete::Retain);
    }

    #[test]
    fn bad_values_name_their_field() {
        assert!(reason(json!({"ControlFindingGenerator": "CONSOLIDATED"}))
            .starts_with("[INVALID_PROPERTIES] ControlFindingGenerator: unknown value, expected"));
        assert!(reason(json!({"AutoEnableControls": "yes"}))
            .starts_with("[INVALID_PROPERTIES] AutoEnableControls: "));
        assert!(reason(json!({"OnDelete": "Delete"}))
            .starts_with("[INVALID_PROPERTIES] OnDelete: unknown value, expected"));
        assert!(reason(json!({"EnableDefaultStandards": "maybe"}))
            .starts_with("[INVALID_PROPERTIES] EnableDefaultStandards: "));
        assert!(reason(json!({"Standards": ["x"]})).contains("unknown field `Standards`"));
    }

    #[test]
    fn tags_follow_the_service_limits() {
        assert_eq!(
            reason(json!({"Tags": {"aws:owner": "x"}})),
            "[INVALID_PROPERTIES] Tags.aws:owner: the aws: prefix is reserved for AWS"
        );
        assert!(reason(json!({"Tags": {"k": "v".repeat(257)}}))
            .starts_with("[INVALID_PROPERTIES] Tags.k: "));
        assert!(reason(json!({"Tags": {"k".repeat(129): "v"}}))
            .starts_with("[INVALID_PROPERTIES] Tags.kkk"));
        let many: serde_json::Map<String, serde_json::Value> =
            (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(reason(json!({ "Tags": many }))
            .starts_with("[INVALID_PROPERTIES] Tags: at most 50 tags"));
        assert!(reason(json!({"Tags": {"k": {"nested": "v"}}}))
            .starts_with("[INVALID_PROPERTIES] Tags: "));
    }
}
