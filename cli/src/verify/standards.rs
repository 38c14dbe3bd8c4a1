//! Security Hub standards: each of `SecurityHubStandardIds` resolves in the region and
//! its subscription is `READY`.

use aws_sdk_securityhub::types::{Standard, StandardsSubscription};
use aws_sdk_securityhub::Client;

use crate::aws::why;
use crate::baseline::Intended;
use crate::finding::{Finding, Status};

const OWNER: &str = "SecurityHubStandards";

pub(super) async fn check(client: &Client, intended: &Intended) -> Vec<Finding> {
    if intended.standards.is_empty() {
        return Vec::new();
    }
    let read = async {
        let catalogue = client.describe_standards().into_paginator().items();
        let catalogue = catalogue.send().try_collect().await.map_err(|e| why(&e))?;
        let enabled = client.get_enabled_standards().into_paginator().items();
        let enabled = enabled.send().try_collect().await.map_err(|e| why(&e))?;
        Ok::<_, String>((catalogue, enabled))
    };
    match read.await {
        Ok((catalogue, enabled)) => intended
            .standards
            .iter()
            .map(|id| judge(id, &catalogue, &enabled))
            .collect(),
        Err(err) => intended
            .standards
            .iter()
            .map(|id| {
                Finding::new(
                    Status::Unknown,
                    OWNER,
                    format!("standard {id}"),
                    "READY",
                    err.clone(),
                )
            })
            .collect(),
    }
}

/// `id`: a short id (`cis-aws-foundations-benchmark/v/1.4.0`) resolved through the
/// region's catalogue, or a full ARN.
pub(super) fn judge(
    id: &str,
    catalogue: &[Standard],
    enabled: &[StandardsSubscription],
) -> Finding {
    let check = format!("standard {id}");
    let arn = if id.starts_with("arn:") {
        Some(id)
    } else {
        let suffix = format!("/{id}");
        catalogue
            .iter()
            .filter_map(|s| s.standards_arn())
            .find(|arn| arn.ends_with(&suffix))
    };
    let Some(arn) = arn else {
        return Finding::compare(OWNER, check, "READY", "not offered in this region");
    };
    let found = enabled
        .iter()
        .find(|s| s.standards_arn() == Some(arn))
        .map_or("not enabled", |s| {
            s.standards_status().map_or("no status", |st| st.as_str())
        });
    Finding::compare(OWNER, check, "READY", found)
}

#[cfg(test)]
mod tests {
    use aws_sdk_securityhub::types::StandardsStatus;

    use super::*;
    use crate::finding::Status;

    const CIS: &str =
        "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/1.4.0";

    fn subscription(status: StandardsStatus) -> StandardsSubscription {
        StandardsSubscription::builder()
            .standards_arn(CIS)
            .standards_status(status)
            .build()
    }

    #[test]
    fn a_short_id_resolves_through_the_catalogue_and_must_be_ready() {
        let catalogue = [Standard::builder().standards_arn(CIS).build()];
        let id = "cis-aws-foundations-benchmark/v/1.4.0";
        let ready = judge(id, &catalogue, &[subscription(StandardsStatus::Ready)]);
        assert_eq!(ready.status, Status::Ok);
        assert_eq!(
            judge(CIS, &[], &[subscription(StandardsStatus::Ready)]).status,
            Status::Ok
        );
        let incomplete = judge(id, &catalogue, &[subscription(StandardsStatus::Incomplete)]);
        assert_eq!(
            (incomplete.status, incomplete.found.as_str()),
            (Status::Drift, "INCOMPLETE")
        );
        assert_eq!(judge(id, &catalogue, &[]).found, "not enabled");
        assert_eq!(
            judge("nist-800-53/v/5.0.0", &catalogue, &[]).found,
            "not offered in this region"
        );
    }
}
