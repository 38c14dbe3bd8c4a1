//! Shield Advanced: not part of the template (a paid subscription, one per account),
//! so reported, never judged, and never left out.

use aws_config::SdkConfig;
use aws_sdk_shield::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::{in_region, why};
use crate::finding::{Finding, Status};

const OWNER: &str = "(not in template)";
const CHECK: &str = "Shield Advanced";
const HOW: &str = "optional: docs/baseline.md says how to subscribe";

/// Shield's API is served from us-east-1 for the whole account.
pub(super) async fn check(sdk: &SdkConfig) -> Finding {
    let partition_home = match sdk.region().map(|r| r.as_ref()) {
        Some(r) if r.starts_with("cn-") => "cn-north-1",
        Some(r) if r.starts_with("us-gov-") => "us-gov-west-1",
        _ => "us-east-1",
    };
    let client = Client::new(&in_region(sdk, partition_home));
    match client.describe_subscription().send().await {
        Ok(out) => {
            let renew = out
                .subscription()
                .and_then(|s| s.auto_renew())
                .map_or("unknown", |r| r.as_str());
            Finding::new(
                Status::Info,
                OWNER,
                CHECK,
                HOW,
                format!("subscribed (auto-renew {renew})"),
            )
        }
        Err(err) if err.code() == Some("ResourceNotFoundException") => {
            Finding::new(Status::Info, OWNER, CHECK, HOW, "not subscribed")
        }
        Err(err) => Finding::new(
            Status::Info,
            OWNER,
            CHECK,
            HOW,
            format!("not read: {}", why(&err)),
        ),
    }
}
