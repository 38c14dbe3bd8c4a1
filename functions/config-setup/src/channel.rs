//! The delivery channel: the settings asked for, and how they compare.

use aws_sdk_config::types::{
    ConfigSnapshotDeliveryProperties, DeliveryChannel, MaximumExecutionFrequency,
};

use crate::properties::ConfigSetupProperties;

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
