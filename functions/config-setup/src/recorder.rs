//! The configuration recorder: the settings asked for, and how they compare.

use aws_sdk_config::types::{
    ConfigurationRecorder, ExclusionByResourceTypes, RecordingFrequency, RecordingGroup,
    RecordingMode, RecordingModeOverride, RecordingStrategy as ApiStrategy, RecordingStrategyType,
    ResourceType,
};
use cfn_custom_resource_kit::{Failure, ReasonCode};

use crate::properties::{ConfigSetupProperties, RecordingStrategy};

/// Control Tower's recorder, guarded by an SCP: adopted read-only.
pub(crate) const CONTROL_TOWER_RECORDER: &str = "aws-controltower-BaselineConfigRecorder";

/// The tag Control Tower puts on what it manages.
pub(crate) const CONTROL_TOWER_TAG: (&str, &str) =
    ("aws-control-tower", "managed-by-control-tower");

/// The recorder `properties` ask for, under `name`, assuming `role_arn`.
pub(crate) fn desired(
    properties: &ConfigSetupProperties,
    name: &str,
    role_arn: &str,
) -> Result<ConfigurationRecorder, Failure> {
    let types = || -> Vec<ResourceType> {
        properties
            .resource_types
            .iter()
            .map(|t| ResourceType::from(t.as_str()))
            .collect()
    };
    let mut group = RecordingGroup::builder();
    group = match properties.recording_strategy {
        RecordingStrategy::AllSupported => group
            .all_supported(true)
            .include_global_resource_types(properties.records_global_types())
            .recording_strategy(strategy(RecordingStrategyType::AllSupportedResourceTypes)),
        RecordingStrategy::Inclusion => group
            .all_supported(false)
            .include_global_resource_types(false)
            .set_resource_types(Some(types()))
            .recording_strategy(strategy(RecordingStrategyType::InclusionByResourceTypes)),
        RecordingStrategy::Exclusion => group
            .all_supported(false)
            .include_global_resource_types(false)
            .exclusion_by_resource_types(
                ExclusionByResourceTypes::builder()
                    .set_resource_types(Some(types()))
                    .build(),
            )
            .recording_strategy(strategy(RecordingStrategyType::ExclusionByResourceTypes)),
    };
    let mut overrides = Vec::new();
    for entry in &properties.recording_frequency_overrides {
        let mut builder = RecordingModeOverride::builder()
            .recording_frequency(RecordingFrequency::from(entry.recording_frequency.as_str()))
            .set_description(entry.description.clone());
        for resource_type in &entry.resource_types {
            builder = builder.resource_types(ResourceType::from(resource_type.as_str()));
        }
        overrides.push(builder.build().map_err(internal)?);
    }
    let mode = RecordingMode::builder()
        .recording_frequency(RecordingFrequency::from(
            properties.recording_frequency.as_str(),
        ))
        .set_recording_mode_overrides((!overrides.is_empty()).then_some(overrides))
        .build()
        .map_err(internal)?;
    Ok(ConfigurationRecorder::builder()
        .name(name)
        .role_arn(role_arn)
        .recording_group(group.build())
        .recording_mode(mode)
        .build())
}

fn strategy(kind: RecordingStrategyType) -> ApiStrategy {
    ApiStrategy::builder().use_only(kind).build()
}

fn internal(error: impl std::fmt::Display) -> Failure {
    Failure::new(
        ReasonCode::Internal,
        format!("building the recorder: {error}"),
    )
}

/// Whether `existing` already has every setting of `desired` (an absent recording mode
/// is the service's default: continuous, no overrides).
pub(crate) fn matches(existing: &ConfigurationRecorder, desired: &ConfigurationRecorder) -> bool {
    existing.role_arn == desired.role_arn
        && group_key(existing.recording_group.as_ref())
            == group_key(desired.recording_group.as_ref())
        && mode_key(existing.recording_mode.as_ref()) == mode_key(desired.recording_mode.as_ref())
}

type GroupKey = (bool, bool, Vec<String>, Vec<String>, String);

fn group_key(group: Option<&RecordingGroup>) -> GroupKey {
    let Some(group) = group else {
        return (false, false, vec![], vec![], String::new());
    };
    let sorted = |types: Option<&Vec<ResourceType>>| {
        let mut names: Vec<String> = types
            .map(|t| t.iter().map(|r| r.as_str().to_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    };
    let strategy = group
        .recording_strategy
        .as_ref()
        .and_then(|s| s.use_only.as_ref())
        .map(|u| u.as_str().to_owned())
        .unwrap_or_else(|| {
            if group.all_supported {
                "ALL_SUPPORTED_RESOURCE_TYPES".into()
            } else {
                "INCLUSION_BY_RESOURCE_TYPES".into()
            }
        });
    (
        group.all_supported,
        group.include_global_resource_types,
        sorted(group.resource_types.as_ref()),
        sorted(
            group
                .exclusion_by_resource_types
                .as_ref()
                .and_then(|e| e.resource_types.as_ref()),
        ),
        strategy,
    )
}

type ModeKey = (String, Vec<(String, Vec<String>)>);

fn mode_key(mode: Option<&RecordingMode>) -> ModeKey {
    let Some(mode) = mode else {
        return ("CONTINUOUS".into(), vec![]);
    };
    let mut overrides: Vec<(String, Vec<String>)> = mode
        .recording_mode_overrides
        .iter()
        .flatten()
        .map(|o| {
            let mut types: Vec<String> = o
                .resource_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect();
            types.sort();
            (o.recording_frequency.as_str().to_owned(), types)
        })
        .collect();
    overrides.sort();
    (mode.recording_frequency.as_str().to_owned(), overrides)
}

/// Whether the recorder is Control Tower's (by name; tags are checked by the caller).
pub(crate) fn is_control_tower_by_name(recorder: &ConfigurationRecorder) -> bool {
    recorder.name.as_deref() == Some(CONTROL_TOWER_RECORDER)
}
