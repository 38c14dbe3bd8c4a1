//! Security Hub CSPM: subscribed, with the control finding generator the template sets
//! (when it sets one) and the stack's four tags.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_securityhub::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::aws::why;
use crate::baseline::Intended;
use crate::finding::{Finding, Status};

const OWNER: &str = "SecurityHub";

pub(super) async fn check(client: &Client, intended: &Intended) -> Vec<Finding> {
    if !intended.hub_on {
        return vec![Finding::new(
            Status::Info,
            OWNER,
            "subscribed",
            "not in this baseline (EnableSecurityHub=false)",
            "not read",
        )];
    }
    let hub = match client.describe_hub().send().await {
        Ok(hub) => hub,
        // DescribeHub of an account that is not subscribed: InvalidAccessException,
        // "Account ... is not subscribed to AWS Security Hub".
        Err(err)
            if err.code() == Some("InvalidAccessException")
                && why(&err).contains("not subscribed") =>
        {
            return vec![Finding::compare(
                OWNER,
                "subscribed",
                "subscribed",
                "not subscribed",
            )];
        }
        Err(err) => {
            return vec![Finding::new(
                Status::Unknown,
                OWNER,
                "subscribed",
                "subscribed",
                why(&err),
            )]
        }
    };
    let mut findings = vec![Finding::compare(
        OWNER,
        "subscribed",
        "subscribed",
        "subscribed",
    )];
    if let Some(generator) = &intended.control_finding_generator {
        let found = hub
            .control_finding_generator()
            .map_or("none", |g| g.as_str());
        findings.push(Finding::compare(
            OWNER,
            "control finding generator",
            generator,
            found,
        ));
    }
    let arn = hub.hub_arn().unwrap_or_default();
    findings.push(
        match client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
        {
            Ok(out) => judge_tags(&intended.tags, out.tags()),
            Err(err) => Finding::new(
                Status::Unknown,
                OWNER,
                "tags",
                show(&intended.tags),
                why(&err),
            ),
        },
    );
    findings
}

/// The stack's tags must be on the hub; other tags are not the baseline's.
pub(super) fn judge_tags(
    intended: &BTreeMap<String, String>,
    found: Option<&HashMap<String, String>>,
) -> Finding {
    let found: BTreeMap<String, String> = intended
        .keys()
        .filter_map(|k| Some((k.clone(), found?.get(k)?.clone())))
        .collect();
    Finding::compare(OWNER, "tags", show(intended), show(&found))
}

fn show(tags: &BTreeMap<String, String>) -> String {
    if tags.is_empty() {
        return "none".to_owned();
    }
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::Parameters;
    use crate::finding::Status;

    #[test]
    fn the_stacks_tags_must_be_on_the_hub_and_others_are_ignored() {
        let intended = Parameters::default().intended("us-east-1").tags;
        let mut on_hub: HashMap<String, String> = intended.clone().into_iter().collect();
        on_hub.insert("Team".into(), "security".into());
        assert_eq!(judge_tags(&intended, Some(&on_hub)).status, Status::Ok);
        on_hub.remove("Owner");
        let drift = judge_tags(&intended, Some(&on_hub));
        assert_eq!(drift.status, Status::Drift);
        assert!(!drift.found.contains("Owner"), "{}", drift.found);
        assert_eq!(judge_tags(&intended, None).found, "none");
    }
}
