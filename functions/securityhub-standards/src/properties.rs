//! `Custom::SecurityHubStandards` properties.

use cfn_custom_resource_kit::{de, Failure, ResourceProperties};
use securityhub_common::OnDelete;
use serde::Deserialize;

use crate::catalog::{parse_arn, parse_short_id};

/// What `Custom::SecurityHubStandards` accepts.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct StandardsProperties {
    /// Full standards ARNs, or short ids such as `cis-aws-foundations-benchmark/v/1.4.0`.
    pub standards: Vec<String>,
    /// Whether Create and Update wait until every standard is `READY`.
    #[serde(default = "yes", deserialize_with = "de::bool")]
    pub wait_for_ready: bool,
    /// What Delete does to the standards this resource enabled (`Disable`: disable
    /// them; `Retain`: leave every standard enabled).
    #[serde(default)]
    pub on_delete: OnDelete,
}

fn yes() -> bool {
    true
}

impl ResourceProperties for StandardsProperties {
    fn validate(&self) -> Result<(), Failure> {
        if self.standards.is_empty() {
            return Err(Failure::invalid_property(
                "Standards",
                "must name at least one standard",
            ));
        }
        for (index, standard) in self.standards.iter().enumerate() {
            let field = format!("Standards[{index}]");
            let well_formed = if standard.starts_with("arn:") {
                parse_arn(standard).is_some()
            } else {
                parse_short_id(standard).is_some()
            };
            if !well_formed {
                return Err(Failure::invalid_property(
                    &field,
                    "is neither a standards ARN (arn:<partition>:securityhub:<region>::standards/<name>/v/<version>, or arn:<partition>:securityhub:::ruleset/<name>/v/<version>) nor a short id such as cis-aws-foundations-benchmark/v/1.4.0",
                ));
            }
            if let Some(first) = self.standards[..index].iter().position(|s| s == standard) {
                return Err(Failure::invalid_property(
                    &field,
                    format!("is the same as Standards[{first}]"),
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
        invalid::<StandardsProperties>(value)
    }

    #[test]
    fn short_ids_and_arns_are_accepted_with_defaults() {
        let parsed: StandardsProperties = properties(json!({"Standards": [
            "aws-foundational-security-best-practices/v/1.0.0",
            "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
            "arn:aws-us-gov:securityhub:us-gov-west-1::standards/nist-800-53/v/5.0.0"
        ]}));
        assert_eq!(parsed.standards.len(), 3);
        assert!(parsed.wait_for_ready);
        assert_eq!(parsed.on_delete, OnDelete::Disable);
        let strings: StandardsProperties = properties(
            json!({"Standards": ["pci-dss/v/4.0.1"], "WaitForReady": "false", "OnDelete": "Retain"}),
        );
        assert!(!strings.wait_for_ready);
        assert_eq!(strings.on_delete, OnDelete::Retain);
    }

    #[test]
    fn standards_are_required_and_not_empty() {
        assert!(reason(json!({})).contains("missing field `Standards`"));
        assert_eq!(
            reason(json!({"Standards": []})),
            "[INVALID_PROPERTIES] Standards: must name at least one standard"
        );
        assert!(reason(json!({"Standards": "pci-dss/v/3.2.1"}))
            .starts_with("[INVALID_PROPERTIES] Standards: "));
    }

    #[test]
    fn a_malformed_standard_is_named_by_index() {
        for bad in [
            "",
            "pci-dss",
            "PCI-DSS/v/3.2.1",
            "pci dss/v/3.2.1",
            "arn:aws:securityhub:us-east-1::pci-dss/v/3.2.1",
            "arn:aws:config:us-east-1::standards/pci-dss/v/3.2.1",
            "arn:aws:securityhub:us-east-1:123456789012:subscription/pci-dss/v/3.2.1",
            "arn:aws:securityhub:us-east-1::standards/",
        ] {
            let text = reason(json!({"Standards": ["pci-dss/v/3.2.1", bad]}));
            assert!(
                text.starts_with("[INVALID_PROPERTIES] Standards[1]: "),
                "{bad}: {text}"
            );
        }
    }

    #[test]
    fn a_standard_named_twice_is_refused() {
        assert_eq!(
            reason(
                json!({"Standards": ["pci-dss/v/3.2.1", "nist-800-53/v/5.0.0", "pci-dss/v/3.2.1"]})
            ),
            "[INVALID_PROPERTIES] Standards[2]: is the same as Standards[0]"
        );
    }

    #[test]
    fn other_fields_name_themselves() {
        assert!(
            reason(json!({"Standards": ["pci-dss/v/3.2.1"], "WaitForReady": "soon"}))
                .starts_with("[INVALID_PROPERTIES] WaitForReady: ")
        );
        assert!(
            reason(json!({"Standards": ["pci-dss/v/3.2.1"], "OnDelete": "Keep"}))
                .starts_with("[INVALID_PROPERTIES] OnDelete: unknown value, expected")
        );
        assert!(
            reason(json!({"Standards": ["pci-dss/v/3.2.1"], "Tags": {}}))
                .contains("unknown field `Tags`")
        );
    }
}
