//! The configuration recorder: which one to use (read, AWS Control Tower's recognised),
//! the settings asked for and how they compare (plan), putting and starting it (apply),
//! and reading back that it records (verify).

use std::time::{Duration, SystemTime};

use aws_sdk_config::types::{
    ConfigurationRecorder, ExclusionByResourceTypes, RecorderStatus, RecordingFrequency,
    RecordingGroup, RecordingMode, RecordingModeOverride, RecordingStrategy as ApiStrategy,
    RecordingStrategyType, ResourceType,
};
use cfn_custom_resource_kit::{wait_until, Failure, Ownership, Probe, ReasonCode, RequestContext};

use crate::api::ConfigApi;
use crate::properties::{ConfigSetupProperties, ExistingRecorder, RecordingStrategy};
use crate::tags;

/// The ledger kind of the recorder this resource created.
pub(crate) const KIND: &str = "recorder";

/// How long a started recorder may take to report `recording`.
pub(crate) const RECORDING_WAIT: Duration = Duration::from_secs(60);

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

/// The region's customer-managed recorder, as found.
pub(crate) enum Found {
    /// None, or one this resource may bring to the properties (its own, or one to adopt).
    Manageable(Option<ConfigurationRecorder>),
    /// AWS Control Tower's: read-only.
    ControlTower(ConfigurationRecorder),
}

/// Reads the region's customer-managed recorder and tells AWS Control Tower's apart (by
/// name, else by its tag).
pub(crate) async fn find(
    api: &ConfigApi,
    context: &RequestContext,
    owned: &Ownership,
) -> Result<Found, Failure> {
    let Some(found) = api.recorder(context).await? else {
        return Ok(Found::Manageable(None));
    };
    // A recorder this resource created is not Control Tower's: no need to ask.
    let ours = found.name.as_deref().is_some_and(|n| owned.owns(KIND, n));
    let control_tower = !ours
        && (found.name.as_deref() == Some(CONTROL_TOWER_RECORDER)
            || has_control_tower_tag(api, context, &found).await?);
    Ok(match control_tower {
        true => Found::ControlTower(found),
        false => Found::Manageable(Some(found)),
    })
}

async fn has_control_tower_tag(
    api: &ConfigApi,
    context: &RequestContext,
    found: &ConfigurationRecorder,
) -> Result<bool, Failure> {
    let tags = api
        .tags(context, found.arn.as_deref(), "reading the recorder's tags")
        .await?;
    Ok(tags.iter().any(|tag| {
        tag.key.as_deref() == Some(CONTROL_TOWER_TAG.0)
            && tag.value.as_deref() == Some(CONTROL_TOWER_TAG.1)
    }))
}

/// Control Tower's recorder is guarded by an SCP: read-only. It records: its name (rules
/// are still this resource's to manage); it does not: `ORG_MANAGED`.
pub(crate) async fn check_control_tower(
    api: &ConfigApi,
    context: &RequestContext,
    found: &ConfigurationRecorder,
) -> Result<String, Failure> {
    let name = found.name.clone().unwrap_or_default();
    context.step(format!(
        "checking Control Tower's recorder {name} (read-only)"
    ));
    if !api
        .status(context, &name)
        .await?
        .is_some_and(|s| s.recording)
    {
        return Err(Failure::new(
            ReasonCode::OrgManaged,
            format!("recorder {name} belongs to AWS Control Tower and does not record; re-register the OU in Control Tower (this resource never changes it)"),
        ));
    }
    Ok(name)
}

/// Which recorder (or channel) to use and whether it is adopted: ours per the ledger
/// (`kind`), an existing one under our name (adopted), another name (adopted, or
/// `CONFLICT` under `ExistingRecorder: Fail`), or none yet (ours, under `RecorderName`).
pub(crate) fn decide(
    what: &str,
    existing: Option<&str>,
    properties: &ConfigSetupProperties,
    owned: &Ownership,
    kind: &str,
) -> Result<(String, bool), Failure> {
    match existing {
        None => Ok((properties.recorder_name.clone(), false)),
        Some(name) if owned.owns(kind, name) => Ok((name.to_owned(), false)),
        Some(name) if name == properties.recorder_name => Ok((name.to_owned(), true)),
        Some(name) => match properties.existing_recorder {
            ExistingRecorder::Adopt => Ok((name.to_owned(), true)),
            ExistingRecorder::Fail => Err(Failure::new(
                ReasonCode::Conflict,
                format!(
                    "a {what} named {name:?} already exists (one per region) and ExistingRecorder is Fail; set ExistingRecorder to Adopt to use it, or remove it"
                ),
            )),
        },
    }
}

/// The recorder a Create or Update converges: its name, whether it is adopted, what
/// exists and what the properties ask for.
pub(crate) struct Plan {
    pub(crate) name: String,
    pub(crate) adopted: bool,
    existing: Option<ConfigurationRecorder>,
    wanted: ConfigurationRecorder,
}

impl Plan {
    /// The plan for `existing` (of `name`, `adopted` as [`decide`] says), assuming
    /// `role_arn`.
    pub(crate) fn new(
        existing: Option<ConfigurationRecorder>,
        (name, adopted): (String, bool),
        properties: &ConfigSetupProperties,
        role_arn: &str,
    ) -> Result<Self, Failure> {
        let wanted = desired(properties, &name, role_arn)?;
        Ok(Self {
            name,
            adopted,
            existing,
            wanted,
        })
    }

    /// Whether this request creates the recorder.
    pub(crate) fn is_new(&self) -> bool {
        self.existing.is_none()
    }

    /// The ledger claim for the recorder when this request creates it.
    pub(crate) fn claim(&self) -> Option<(&'static str, &str)> {
        self.is_new().then_some((KIND, self.name.as_str()))
    }

    /// Whether the recorder must be put (missing, or with other settings).
    pub(crate) fn needs_put(&self) -> bool {
        self.existing
            .as_ref()
            .is_none_or(|r| !matches(r, &self.wanted))
    }
}

/// Puts the recorder; one this request creates carries the owner tag and the Tags
/// property.
pub(crate) async fn put(
    api: &ConfigApi,
    context: &RequestContext,
    properties: &ConfigSetupProperties,
    plan: &Plan,
) -> Result<(), Failure> {
    context.step(format!("putting recorder {}", plan.name));
    let tags = match plan.is_new() {
        true => tags::creation(context, &properties.tags),
        false => Vec::new(),
    };
    api.put_recorder(context, &plan.wanted, &tags).await
}

/// Starts the recorder unless it records already. A recorder this request created does
/// not record yet: no need to ask. For one that existed, the status read is also the
/// verification when it records well. Answers whether it is verified so, and when it was
/// started (`None`: it was recording).
pub(crate) async fn start(
    api: &ConfigApi,
    context: &RequestContext,
    plan: &Plan,
) -> Result<(bool, Option<SystemTime>), Failure> {
    let name = &plan.name;
    let (recording, verified) = match plan.is_new() {
        true => (false, false),
        false => {
            context.step(format!("reading the status of recorder {name}"));
            let status = api.status(context, name).await?;
            let recording = status.as_ref().is_some_and(|s| s.recording);
            let failed = status
                .as_ref()
                .is_some_and(|s| s.last_status == Some(RecorderStatus::Failure));
            (recording, recording && !failed)
        }
    };
    if recording {
        return Ok((verified, None));
    }
    let now = SystemTime::now();
    context.step(format!("starting recorder {name}"));
    api.start(context, name).await?;
    Ok((verified, Some(now)))
}

/// Waits (up to a minute) until the recorder another resource claimed exists.
pub(crate) async fn wait_until_created(
    api: &ConfigApi,
    context: &RequestContext,
) -> Result<(), Failure> {
    context.step("waiting for the recorder another resource is creating");
    wait_until(
        context,
        RECORDING_WAIT,
        api.backoff(),
        "waiting for the recorder another resource is creating",
        || async {
            match api.recorder(context).await? {
                Some(_) => Ok(Probe::Ready(())),
                None => Ok(Probe::NotYet(Failure::new(
                    ReasonCode::DependencyNotReady,
                    "another resource claimed the region's recorder and has not created it yet; deploy again once it has",
                ))),
            }
        },
    )
    .await
}

/// Waits until the recorder records. `lastStatus` is "The status of the latest
/// recording event processed by the recorder" (ConfigurationRecorderStatus): a
/// `Failure` from before `changed_at` (this request's first change to the recorder or
/// channel) is history the change may have repaired, and Config reports anew only
/// after it processes a new recording event (with DAILY recording, up to a day). So
/// only a `Failure` newer than the change (`lastStatusChangeTime`), or any `Failure`
/// when nothing changed, is `NOT_ACTIVE`. An older one is waited on for a newer
/// status within [`RECORDING_WAIT`]; when none comes, the answer says so (the note
/// returned) instead of judging by it.
pub(crate) async fn verify(
    api: &ConfigApi,
    context: &RequestContext,
    name: &str,
    changed_at: Option<SystemTime>,
) -> Result<Option<String>, Failure> {
    context.step(format!("verifying that recorder {name} records"));
    let started = tokio::time::Instant::now();
    wait_until(
        context,
        RECORDING_WAIT + Duration::from_secs(5),
        api.backoff(),
        &format!("waiting for recorder {name} to record"),
        || async {
            let status = api.status(context, name).await?;
            let Some(status) = status else {
                return Err(Failure::new(
                    ReasonCode::NotActive,
                    format!("recorder {name} is gone"),
                ));
            };
            let failure = format!(
                "{}: {}",
                status.last_error_code.as_deref().unwrap_or("no error code"),
                status.last_error_message.as_deref().unwrap_or("no message")
            );
            let history = status.last_status == Some(RecorderStatus::Failure)
                && changed_at.is_some_and(|changed| {
                    status
                        .last_status_change_time
                        .and_then(|t| SystemTime::try_from(t).ok())
                        .is_some_and(|at| at < changed)
                });
            if status.last_status == Some(RecorderStatus::Failure) && !history {
                return Err(Failure::new(
                    ReasonCode::NotActive,
                    format!("recorder {name} reports its last delivery failed: {failure}"),
                ));
            }
            if !status.recording {
                return Ok(Probe::NotYet(Failure::new(
                    ReasonCode::NotActive,
                    format!("recorder {name} does not record"),
                )));
            }
            if !history {
                return Ok(Probe::Ready(None));
            }
            if started.elapsed() >= RECORDING_WAIT {
                return Ok(Probe::Ready(Some(format!(
                    "its last status is still the Failure from before this request's changes ({failure}): no newer status came within {} s, as AWS Config reports one only after it processes a new recording event (with DAILY recording, up to a day later)",
                    RECORDING_WAIT.as_secs()
                ))));
            }
            Ok(Probe::NotYet(Failure::new(
                ReasonCode::NotActive,
                format!("recorder {name}'s last status is a Failure from before this request's changes"),
            )))
        },
    )
    .await
}

/// The ARN of the region's recorder when this resource created it (for an Update's
/// retag).
pub(crate) async fn owned_arn(
    api: &ConfigApi,
    context: &RequestContext,
    owned: &Ownership,
) -> Result<Option<String>, Failure> {
    Ok(api
        .recorder(context)
        .await?
        .filter(|r| r.name.as_deref().is_some_and(|n| owned.owns(KIND, n)))
        .and_then(|r| r.arn))
}
