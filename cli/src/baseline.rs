//! What the baseline intends, as `template.yml` says it: the parameters (their defaults,
//! or the values given on the command line or in a file) and what each custom resource is
//! given. A unit test holds these tables to the template's text.

use std::collections::BTreeMap;

use crate::error::Error;

/// One managed rule of `ConfigSetup`'s `ManagedRules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `Name`
    pub name: &'static str,
    /// `SourceIdentifier`
    pub source_identifier: &'static str,
}

/// `ConfigSetup`'s six managed rules.
pub const RULES: &[Rule] = &[
    rule(
        "s3-bucket-server-side-encryption-enabled",
        "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
    ),
    rule("cloudtrail-enabled", "CLOUD_TRAIL_ENABLED"),
    rule("restricted-ssh", "INCOMING_SSH_DISABLED"),
    rule("rds-storage-encrypted", "RDS_STORAGE_ENCRYPTED"),
    rule(
        "vpc-default-security-group-closed",
        "VPC_DEFAULT_SECURITY_GROUP_CLOSED",
    ),
    rule("root-account-mfa-enabled", "ROOT_ACCOUNT_MFA_ENABLED"),
];

const fn rule(name: &'static str, source_identifier: &'static str) -> Rule {
    Rule {
        name,
        source_identifier,
    }
}

/// The parameters `verify` reads, with the template's defaults.
const DEFAULTS: &[(&str, &str)] = &[
    ("RecordingFrequency", "CONTINUOUS"),
    ("GlobalResourceTypesRegion", ""),
    ("CentralConfigBucketName", ""),
    ("EnableSecurityHub", "true"),
    (
        "SecurityHubStandardIds",
        "aws-foundational-security-best-practices/v/1.0.0,cis-aws-foundations-benchmark/v/1.4.0",
    ),
    ("ControlFindingGenerator", ""),
    ("CreateTrail", "true"),
    ("TagProject", "security-baseline"),
    ("TagEnvironment", "production"),
    ("TagOwner", "security-team"),
    ("TagCostCentre", "security"),
];

/// The template's other parameters: accepted (a deploy passes them on), not read here.
const OTHER_PARAMETERS: &[&str] = &[
    "ExistingRecorder",
    "ConfigOnDelete",
    "CentralConfigBucketOwner",
    "ConfigRecorderRoleArns",
    "SecurityHubOnDelete",
    "ExistingTrailArn",
    "AlarmEmail",
    "AlarmPeriodSeconds",
    "FailedAnswersThreshold",
    "FunctionErrorsThreshold",
    "LogRetentionInDays",
    "FunctionLogLevel",
];

/// The tag keys the template puts on the hub, the recorder and the rules, by parameter.
const TAGS: &[(&str, &str)] = &[
    ("Project", "TagProject"),
    ("Environment", "TagEnvironment"),
    ("Owner", "TagOwner"),
    ("CostCentre", "TagCostCentre"),
];

/// The stack's parameters: the template's defaults, overridden by what is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parameters {
    values: BTreeMap<String, String>,
}

impl Default for Parameters {
    fn default() -> Self {
        let values = DEFAULTS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self { values }
    }
}

impl Parameters {
    /// Sets `key` to `value`; a key the template does not declare is an error.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), Error> {
        let known = DEFAULTS.iter().any(|(k, _)| *k == key) || OTHER_PARAMETERS.contains(&key);
        if !known {
            return Err(Error::Parameter(format!(
                "{key}: template.yml declares no such parameter"
            )));
        }
        self.values.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    /// The value of `key` (empty when neither given nor defaulted).
    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or_default()
    }

    /// What the baseline intends in `region` with these parameters.
    pub fn intended(&self, region: &str) -> Intended {
        let global_region = self.get("GlobalResourceTypesRegion");
        let record_global_here = global_region.is_empty() || global_region == region;
        let hub_on = self.get("EnableSecurityHub") == "true";
        let standards = self
            .get("SecurityHubStandardIds")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Intended {
            region: region.to_owned(),
            recording_frequency: self.get("RecordingFrequency").to_owned(),
            include_global_resource_types: record_global_here,
            central_config_bucket: Some(self.get("CentralConfigBucketName"))
                .filter(|b| !b.is_empty())
                .map(str::to_owned),
            hub_on,
            standards: if hub_on { standards } else { Vec::new() },
            control_finding_generator: Some(self.get("ControlFindingGenerator"))
                .filter(|g| !g.is_empty())
                .map(str::to_owned),
            tags: TAGS
                .iter()
                .map(|(key, parameter)| ((*key).to_owned(), self.get(parameter).to_owned()))
                .collect(),
            trail_on: self.get("CreateTrail") == "true" && record_global_here,
        }
    }
}

/// One `Key=Value` (what `sam deploy --parameter-overrides` takes).
pub fn split_pair(pair: &str) -> Result<(String, String), Error> {
    let (key, value) = pair
        .split_once('=')
        .ok_or_else(|| Error::Parameter(format!("{pair:?}: expected Key=Value")))?;
    Ok((key.to_owned(), value.to_owned()))
}

/// The parameters of a JSON file: CloudFormation's list
/// (`[{"ParameterKey": ..., "ParameterValue": ...}]`) or one object (`{"Key": "Value"}`).
pub fn file_pairs(path: &str, text: &str) -> Result<Vec<(String, String)>, Error> {
    let bad = |message: String| Error::file("parameters file", path, message);
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    match json {
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| {
                Ok((
                    k,
                    scalar(&v).ok_or_else(|| bad("values must be strings".into()))?,
                ))
            })
            .collect(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| {
                let key = item["ParameterKey"].as_str();
                let value = scalar(&item["ParameterValue"]);
                key.zip(value)
                    .map(|(k, v)| (k.to_owned(), v))
                    .ok_or_else(|| bad("each entry needs ParameterKey and ParameterValue".into()))
            })
            .collect(),
        _ => Err(bad(
            "expected a JSON object or a list of ParameterKey/ParameterValue".into(),
        )),
    }
}

fn scalar(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What the baseline intends in one region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intended {
    /// The region.
    pub region: String,
    /// `RecordingFrequency`.
    pub recording_frequency: String,
    /// The template's `RecordGlobalHere` condition.
    pub include_global_resource_types: bool,
    /// `CentralConfigBucketName`, when given (else the stack's own `ConfigBucket`).
    pub central_config_bucket: Option<String>,
    /// The template's `SecurityHubOn` condition.
    pub hub_on: bool,
    /// `SecurityHubStandardIds` when Security Hub is on (the `StandardsOn` condition: non-empty).
    pub standards: Vec<String>,
    /// `ControlFindingGenerator`, when set (empty leaves the hub's setting as found).
    pub control_finding_generator: Option<String>,
    /// The four tags on the hub (and on the recorder and rules ConfigSetup creates).
    pub tags: BTreeMap<String, String>,
    /// The template's `TrailOn` condition (the trail key exists and is checked).
    pub trail_on: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = include_str!("../../template.yml");

    /// The lines of the template's `Parameters:` section.
    fn parameter_section() -> Vec<&'static str> {
        TEMPLATE
            .lines()
            .skip_while(|l| *l != "Parameters:")
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .collect()
    }

    #[test]
    fn the_parameters_are_the_templates_own_with_its_defaults() {
        let mut declared: Vec<String> = crate::deploy::template::declared(TEMPLATE)
            .into_iter()
            .map(|p| p.name)
            .collect();
        declared.sort_unstable();
        let mut ours: Vec<&str> = DEFAULTS.iter().map(|(k, _)| *k).collect();
        ours.extend(OTHER_PARAMETERS);
        ours.sort_unstable();
        assert_eq!(ours, declared);
        let section = parameter_section();
        for (name, default) in DEFAULTS {
            let block: Vec<&&str> = section
                .iter()
                .skip_while(|l| **l != format!("  {name}:"))
                .skip(1)
                .take_while(|l| l.starts_with("    "))
                .collect();
            let quoted = format!("    Default: \"{default}\"");
            let plain = format!("    Default: {default}");
            assert!(
                block.iter().any(|l| **l == quoted || **l == plain),
                "{name}'s default in template.yml is not {default:?}: {block:?}"
            );
        }
    }

    #[test]
    fn the_rules_are_config_setups_managed_rules() {
        let setup = TEMPLATE
            .split("\n  ConfigSetup:\n")
            .nth(1)
            .expect("ConfigSetup in template.yml");
        let rules = setup.split("\n\n").next().unwrap_or_default();
        let names: Vec<&str> = rules
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- Name: "))
            .collect();
        assert_eq!(names, RULES.iter().map(|r| r.name).collect::<Vec<_>>());
        for rule in RULES {
            assert!(
                rules.contains(&format!("SourceIdentifier: {}", rule.source_identifier)),
                "{}",
                rule.name
            );
        }
    }

    #[test]
    fn given_values_override_the_defaults_and_unknown_keys_are_refused() {
        let mut parameters = Parameters::default();
        let mut given = vec![split_pair("EnableSecurityHub=false").unwrap()];
        let list =
            r#"[{"ParameterKey": "GlobalResourceTypesRegion", "ParameterValue": "eu-west-1"}]"#;
        given.extend(file_pairs("p.json", list).unwrap());
        given.extend(file_pairs("q.json", r#"{"CreateTrail": "true"}"#).unwrap());
        for (key, value) in &given {
            parameters.set(key, value).unwrap();
        }
        let intended = parameters.intended("us-east-1");
        assert!(!intended.hub_on);
        assert!(
            intended.standards.is_empty(),
            "no standards without the hub"
        );
        assert!(!intended.include_global_resource_types);
        assert!(
            !intended.trail_on,
            "the trail lives where global types are recorded"
        );
        assert!(parameters.intended("eu-west-1").trail_on);
        let err = parameters.set("EnableSecurtyHub", "true").unwrap_err();
        assert!(err.to_string().contains("EnableSecurtyHub"), "{err}");
        assert!(split_pair("no-equals").is_err());
    }

    #[test]
    fn the_defaults_intend_what_the_template_deploys_alone() {
        let intended = Parameters::default().intended("us-east-1");
        assert_eq!(intended.recording_frequency, "CONTINUOUS");
        assert!(intended.include_global_resource_types && intended.hub_on && intended.trail_on);
        assert_eq!(intended.standards.len(), 2);
        assert_eq!(intended.tags["Project"], "security-baseline");
        assert_eq!(intended.central_config_bucket, None);
        assert_eq!(intended.control_finding_generator, None);
    }
}
