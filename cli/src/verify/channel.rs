//! The delivery channel: it exists and delivers to the bucket the template names.

use aws_sdk_config::types::DeliveryChannel;
use aws_sdk_config::Client;

use crate::aws::why;
use crate::finding::{Finding, Status};

const OWNER: &str = "ConfigSetup";
const CHECK: &str = "delivery bucket";

/// `bucket`: the intended bucket, or why it is not known.
pub(super) async fn check(client: &Client, bucket: Result<String, String>) -> Finding {
    match client.describe_delivery_channels().send().await {
        Ok(out) => judge(bucket, out.delivery_channels()),
        Err(err) => Finding::new(
            Status::Unknown,
            OWNER,
            CHECK,
            bucket.unwrap_or_default(),
            why(&err),
        ),
    }
}

pub(super) fn judge(bucket: Result<String, String>, channels: &[DeliveryChannel]) -> Finding {
    let found = channels
        .first()
        .map_or("no delivery channel".to_owned(), |c| {
            c.s3_bucket_name().unwrap_or("(none)").to_owned()
        });
    match bucket {
        Ok(bucket) => Finding::compare(OWNER, CHECK, bucket, found),
        Err(why) => Finding::new(Status::Unknown, OWNER, CHECK, why, found),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;

    fn channel(bucket: &str) -> DeliveryChannel {
        DeliveryChannel::builder()
            .name("default")
            .s3_bucket_name(bucket)
            .build()
    }

    #[test]
    fn the_channel_must_deliver_to_the_named_bucket() {
        assert_eq!(judge(Ok("b".into()), &[channel("b")]).status, Status::Ok);
        let other = judge(Ok("b".into()), &[channel("elsewhere")]);
        assert_eq!(
            (other.status, other.found.as_str()),
            (Status::Drift, "elsewhere")
        );
        assert_eq!(judge(Ok("b".into()), &[]).found, "no delivery channel");
    }

    #[test]
    fn an_unnamed_bucket_is_unknown_not_ok() {
        let finding = judge(Err("no name: pass --config-bucket".into()), &[channel("b")]);
        assert_eq!(finding.status, Status::Unknown);
        assert!(!finding.ok);
    }
}
