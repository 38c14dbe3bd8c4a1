//! The delivery channel: the settings asked for and how they compare (plan), putting it
//! and reading it back (apply, verify), and deleting it on Delete.

use aws_sdk_config::types::{
    ConfigSnapshotDeliveryProperties, DeliveryChannel, MaximumExecutionFrequency,
};
use cfn_custom_resource_kit::{Failure, Ownership, ReasonCode, RequestContext};

use crate::api::ConfigApi;
use crate::properties::ConfigSetupProperties;
use crate::recorder;

/// The ledger kind of the channel this resource created.
pub(crate) const KIND: &str = "channel";

/// The channel a Create or Update converges: its name, whether it is adopted, what
/// exists and what the properties ask for.
pub(crate) struct Plan {
    pub(crate) name: String,
    pub(crate) adopted: bool,
    existing: Option<DeliveryChannel>,
    wanted: DeliveryChannel,
}

impl Plan {
    /// The plan for `existing`: which channel to use as [`recorder::decide`] says
    /// (`CONFLICT` under `ExistingRecorder: Fail`), with the settings `properties` ask for.
    pub(crate) fn new(
        existing: Option<DeliveryChannel>,
        properties: &ConfigSetupProperties,
        owned: &Ownership,
    ) -> Result<Self, Failure> {
        let found = existing.as_ref().and_then(|c| c.name.as_deref());
        let (name, adopted) = recorder::decide("delivery channel", found, properties, owned, KIND)?;
        Ok(Self {
            wanted: desired(properties, &name),
            name,
            adopted,
            existing,
        })
    }

    /// The ledger claim for the channel when this request creates it.
    pub(crate) fn claim(&self) -> Option<(&'static str, &str)> {
        self.existing
            .is_none()
            .then_some((KIND, self.name.as_str()))
    }

    /// Whether the channel must be put (missing, or with other settings).
    pub(crate) fn needs_put(&self) -> bool {
        self.existing
            .as_ref()
            .is_none_or(|c| !matches(c, &self.wanted))
    }
}

/// Puts the channel (read back by [`verify`]).
pub(crate) async fn put(
    api: &ConfigApi,
    context: &RequestContext,
    plan: &Plan,
) -> Result<(), Failure> {
    context.step(format!("putting delivery channel {}", plan.name));
    api.put_channel(context, &plan.wanted).await
}

/// Reads the channel back after PutDeliveryChannel: every field the properties set or
/// leave out must show as they say. PutDeliveryChannel may keep a field the request
/// leaves out ("this action will keep the existing value for the parameter that is
/// not changed", PutDeliveryChannel, an earlier version of the API reference): such a
/// field cannot be cleared in place, and that is said, never answered `SUCCESS`.
pub(crate) async fn verify(
    api: &ConfigApi,
    context: &RequestContext,
    plan: &Plan,
) -> Result<(), Failure> {
    let name = &plan.name;
    context.step(format!("reading delivery channel {name} back"));
    let differing = match api.channel(context).await? {
        Some(found) => differences(&found, &plan.wanted),
        None => vec!["the channel itself (it is gone)"],
    };
    if differing.is_empty() {
        return Ok(());
    }
    Err(Failure::new(
        ReasonCode::NotActive,
        format!(
            "delivery channel {name} read back after PutDeliveryChannel differs from the properties in {}: PutDeliveryChannel keeps a setting a request leaves out, so removing one needs the channel deleted (recorder stopped first) and put again",
            differing.join(", ")
        ),
    ))
}

/// Delete: deletes the channel `name` this resource created (its recorder, when it
/// created that too, `recorder`, already stopped). Answers what it kept instead: the
/// channel an adopted recorder records through, as deleting the last channel needs the
/// recorder stopped, and that recorder is not ours.
pub(crate) async fn remove(
    api: &ConfigApi,
    context: &RequestContext,
    name: &str,
    recorder: Option<&str>,
) -> Result<Option<String>, Failure> {
    if recorder.is_none() && adopted_recorder_records(api, context).await? {
        return Ok(Some(format!(
            "delivery channel {name} (the adopted recorder records through it)"
        )));
    }
    context.step(format!("deleting delivery channel {name}"));
    match (api.delete_channel(context, name).await, recorder) {
        // The recorder records again (or still): stop it first, then retry.
        (Err(failure), Some(recorder))
            if failure.aws_error_code() == Some("LastDeliveryChannelDeleteFailedException") =>
        {
            context.step(format!("stopping recorder {recorder} again"));
            api.stop(context, recorder).await?;
            context.step(format!("deleting delivery channel {name} again"));
            api.delete_channel(context, name).await?;
        }
        (other, _) => other?,
    }
    Ok(None)
}

/// Whether the region's recorder (one this resource adopted) records.
async fn adopted_recorder_records(
    api: &ConfigApi,
    context: &RequestContext,
) -> Result<bool, Failure> {
    let Some(found) = api.recorder(context).await? else {
        return Ok(false);
    };
    let name = found.name.unwrap_or_default();
    Ok(api
        .status(context, &name)
        .await?
        .is_some_and(|s| s.recording))
}

/// The channel `properties` ask for, under `name`.
pub(crate) fn desired(properties: &ConfigSetupProperties, name: &str) -> DeliveryChannel {
    DeliveryChannel::builder()
        .name(name)
        .s3_bucket_name(&properties.delivery_bucket_name)
        .set_s3_key_prefix(properties.delivery_key_prefix.clone())
        .set_s3_kms_key_arn(properties.delivery_kms_key_arn.clone())
        .set_sns_topic_arn(properties.delivery_sns_topic_arn.clone())
        .set_config_snapshot_delivery_properties(properties.snapshot_delivery_frequency.map(
            |frequency| {
                ConfigSnapshotDeliveryProperties::builder()
                    .delivery_frequency(MaximumExecutionFrequency::from(frequency.as_str()))
                    .build()
            },
        ))
        .build()
}

/// Whether `existing` already has every setting of `desired`.
pub(crate) fn matches(existing: &DeliveryChannel, desired: &DeliveryChannel) -> bool {
    differences(existing, desired).is_empty()
}

/// The properties whose setting `existing` does not have as `desired` says (a setting
/// `desired` leaves out must be absent).
pub(crate) fn differences(
    existing: &DeliveryChannel,
    desired: &DeliveryChannel,
) -> Vec<&'static str> {
    let frequency = |channel: &DeliveryChannel| {
        channel
            .config_snapshot_delivery_properties
            .as_ref()
            .and_then(|p| p.delivery_frequency.clone())
    };
    let text = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
    [
        (
            "DeliveryBucketName",
            existing.s3_bucket_name == desired.s3_bucket_name,
        ),
        (
            "DeliveryKeyPrefix",
            text(&existing.s3_key_prefix) == text(&desired.s3_key_prefix),
        ),
        (
            "DeliveryKmsKeyArn",
            text(&existing.s3_kms_key_arn) == text(&desired.s3_kms_key_arn),
        ),
        (
            "DeliverySnsTopicArn",
            text(&existing.sns_topic_arn) == text(&desired.sns_topic_arn),
        ),
        (
            "SnapshotDeliveryFrequency",
            frequency(existing) == frequency(desired),
        ),
    ]
    .into_iter()
    .filter_map(|(field, same)| (!same).then_some(field))
    .collect()
}
