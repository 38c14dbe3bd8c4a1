//! `Custom::KmsReady` properties.

use cfn_custom_resource_kit::{de, Failure, ResourceProperties};
use serde::Deserialize;

/// The longest `MaxWaitSeconds` accepted (the Lambda deadline caps it further).
pub(crate) const MAX_WAIT_LIMIT_SECONDS: u64 = 3600;

/// What `Custom::KmsReady` accepts.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct KmsReadyProperties {
    /// Key id, key ARN, alias name (`alias/x`) or alias ARN.
    pub key_id: String,
    /// How long `Creating`/`Updating`/not-yet-found may last.
    #[serde(default = "default_max_wait", deserialize_with = "de::u64")]
    pub max_wait_seconds: u64,
    /// Service principals the key policy must let use the key.
    #[serde(default)]
    pub required_service_principals: Vec<String>,
    /// The KMS actions each of them must be allowed; empty: what each service documents
    /// (see `key_policy::SERVICE_NEEDS`).
    #[serde(default)]
    pub required_actions: Vec<String>,
}

fn default_max_wait() -> u64 {
    300
}

impl ResourceProperties for KmsReadyProperties {
    fn validate(&self) -> Result<(), Failure> {
        let key_id = &self.key_id;
        if key_id.trim().is_empty() {
            return Err(Failure::invalid_property("KeyId", "must not be empty"));
        }
        if key_id.len() > 2048 || key_id.chars().any(char::is_whitespace) {
            return Err(Failure::invalid_property(
                "KeyId",
                "must be a key id, key ARN, alias name or alias ARN (no spaces, at most 2048 characters)",
            ));
        }
        if self.max_wait_seconds > MAX_WAIT_LIMIT_SECONDS {
            return Err(Failure::invalid_property(
                "MaxWaitSeconds",
                format!("must be at most {MAX_WAIT_LIMIT_SECONDS}"),
            ));
        }
        for (index, principal) in self.required_service_principals.iter().enumerate() {
            if !is_service_principal(principal) {
                return Err(Failure::invalid_property(
                    &format!("RequiredServicePrincipals[{index}]"),
                    "is not a service principal such as logs.us-east-1.amazonaws.com",
                ));
            }
        }
        if !self.required_actions.is_empty() && self.required_service_principals.is_empty() {
            return Err(Failure::invalid_property(
                "RequiredActions",
                "needs RequiredServicePrincipals: it names what each of them must be allowed",
            ));
        }
        for (index, action) in self.required_actions.iter().enumerate() {
            let name = action.strip_prefix("kms:");
            if !name.is_some_and(|n| {
                !n.is_empty() && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphabetic())
            }) {
                return Err(Failure::invalid_property(
                    &format!("RequiredActions[{index}]"),
                    "is not a KMS action such as kms:Decrypt (no wildcards)",
                ));
            }
        }
        Ok(())
    }
}

fn is_service_principal(principal: &str) -> bool {
    let name = principal
        .strip_suffix(".amazonaws.com")
        .or_else(|| principal.strip_suffix(".amazonaws.com.cn"));
    name.is_some_and(|name| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cfn_custom_resource_kit::parse_properties;
    use cfn_custom_resource_kit::testing::invalid;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Result<KmsReadyProperties, Failure> {
        parse_properties(&value)
    }

    /// The `INVALID_PROPERTIES` reason for `value`.
    fn reason(value: serde_json::Value) -> String {
        invalid::<KmsReadyProperties>(value)
    }

    #[test]
    fn defaults_and_string_numbers() {
        let parsed = parse(json!({"KeyId": "alias/x"})).unwrap();
        assert_eq!(parsed.max_wait_seconds, 300);
        assert!(parsed.required_service_principals.is_empty());
        assert_eq!(
            parse(json!({"KeyId": "k", "MaxWaitSeconds": "12"}))
                .unwrap()
                .max_wait_seconds,
            12
        );
    }

    #[test]
    fn key_id_is_required_and_not_blank() {
        assert!(reason(json!({})).contains("missing field `KeyId`"));
        assert_eq!(
            reason(json!({"KeyId": "  "})),
            "[INVALID_PROPERTIES] KeyId: must not be empty"
        );
        assert!(reason(json!({"KeyId": "a b"})).starts_with("[INVALID_PROPERTIES] KeyId: "));
        assert!(reason(json!({"KeyId": "alias/x\n"})).starts_with("[INVALID_PROPERTIES] KeyId: "));
    }

    #[test]
    fn max_wait_is_bounded() {
        assert!(reason(json!({"KeyId": "k", "MaxWaitSeconds": "3601"}))
            .starts_with("[INVALID_PROPERTIES] MaxWaitSeconds: must be at most 3600"));
        assert!(reason(json!({"KeyId": "k", "MaxWaitSeconds": "-5"}))
            .starts_with("[INVALID_PROPERTIES] MaxWaitSeconds: "));
    }

    #[test]
    fn principals_must_look_like_service_principals() {
        parse(json!({"KeyId": "k", "RequiredServicePrincipals": ["logs.us-east-1.amazonaws.com", "config.amazonaws.com"]}))
            .unwrap();
        assert!(reason(json!({"KeyId": "k", "RequiredServicePrincipals": ["logs.amazonaws.com", "arn:aws:iam::1:root"]}))
            .starts_with("[INVALID_PROPERTIES] RequiredServicePrincipals[1]: "));
        assert!(
            reason(json!({"KeyId": "k", "RequiredServicePrincipals": "logs.amazonaws.com"}))
                .starts_with("[INVALID_PROPERTIES] RequiredServicePrincipals: ")
        );
    }

    #[test]
    fn required_actions_are_kms_actions_for_named_principals() {
        let principals = json!(["events.amazonaws.com"]);
        parse(json!({"KeyId": "k", "RequiredServicePrincipals": principals, "RequiredActions": ["kms:Decrypt", "kms:GenerateDataKey"]}))
            .unwrap();
        assert!(
            reason(json!({"KeyId": "k", "RequiredActions": ["kms:Decrypt"]})).starts_with(
                "[INVALID_PROPERTIES] RequiredActions: needs RequiredServicePrincipals"
            )
        );
        for bad in ["kms:Decrypt*", "s3:GetObject", "kms:", "decrypt"] {
            assert!(
                reason(json!({"KeyId": "k", "RequiredServicePrincipals": principals, "RequiredActions": ["kms:Decrypt", bad]}))
                    .starts_with("[INVALID_PROPERTIES] RequiredActions[1]: "),
                "{bad}"
            );
        }
    }
}
