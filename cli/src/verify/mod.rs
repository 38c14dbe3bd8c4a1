//! `baseline verify`: reads the account and region back directly, one module per check,
//! and judges what it reads against what the baseline intends ([`crate::baseline`]).
//! Each module splits the read (SDK calls) from the judgement (a pure function over what
//! was read), which the unit tests exercise.
//!
//! The stack is read only for the names CloudFormation generated (the delivery bucket,
//! the keys; its outputs), and only when no flag names them; every state comes from the
//! services themselves.

mod channel;
mod hub;
mod key;
mod recorder;
mod rules;
mod shield;
mod standards;

use aws_config::SdkConfig;

use crate::aws::{in_region, url_suffix, why};
use crate::baseline::{Intended, Parameters};
use crate::finding::Finding;

/// Names the template leaves to CloudFormation, from flags or the stack's outputs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// The delivery bucket (`ConfigBucketName` output).
    pub config_bucket: Option<String>,
    /// The CloudWatch Logs key (`LogsKeyArn` output).
    pub logs_key: Option<String>,
    /// The trail's key (`TrailKeyArn` output).
    pub trail_key: Option<String>,
    /// The recorder in use (`ConfigRecorderName` output); else the customer-managed one.
    pub recorder: Option<String>,
}

impl Names {
    /// Each name missing here taken from `other`.
    fn or(self, other: Names) -> Names {
        Names {
            config_bucket: self.config_bucket.or(other.config_bucket),
            logs_key: self.logs_key.or(other.logs_key),
            trail_key: self.trail_key.or(other.trail_key),
            recorder: self.recorder.or(other.recorder),
        }
    }

    fn complete_for(&self, intended: &Intended) -> bool {
        (self.config_bucket.is_some() || intended.central_config_bucket.is_some())
            && self.logs_key.is_some()
            && (self.trail_key.is_some() || !intended.trail_on)
    }
}

/// What `verify` is asked.
#[derive(Clone, Debug)]
pub struct Request {
    /// The regions to read, in order.
    pub regions: Vec<String>,
    /// The stack's parameters.
    pub parameters: Parameters,
    /// Names given on the command line.
    pub names: Names,
    /// The stack whose outputs name what the flags do not.
    pub stack_name: Option<String>,
}

/// Every finding, region by region, then Shield Advanced (account-wide).
pub async fn verify(sdk: &SdkConfig, request: &Request) -> Vec<Finding> {
    let mut findings = Vec::new();
    for region in &request.regions {
        let sdk = in_region(sdk, region);
        let intended = request.parameters.intended(region);
        let (names, stack_note) = names(&sdk, request, &intended).await;
        let mut here = region_findings(&sdk, &intended, &names, stack_note.as_deref()).await;
        findings.extend(here.drain(..).map(|f| f.in_region(region)));
    }
    findings.push(shield::check(sdk).await.in_region("global"));
    findings
}

async fn region_findings(
    sdk: &SdkConfig,
    intended: &Intended,
    names: &Names,
    stack_note: Option<&str>,
) -> Vec<Finding> {
    let config = aws_sdk_config::Client::new(sdk);
    let hub = aws_sdk_securityhub::Client::new(sdk);
    let kms = aws_sdk_kms::Client::new(sdk);
    let unnamed = |flag: &str| match stack_note {
        Some(note) => format!("no name: pass {flag} ({note})"),
        None => format!("no name: pass {flag} or --stack-name"),
    };
    let bucket = intended
        .central_config_bucket
        .clone()
        .or_else(|| names.config_bucket.clone())
        .ok_or_else(|| unnamed("--config-bucket"));
    let mut findings = recorder::check(&config, intended, names.recorder.as_deref()).await;
    findings.push(channel::check(&config, bucket).await);
    findings.extend(rules::check(&config).await);
    findings.extend(hub::check(&hub, intended).await);
    findings.extend(standards::check(&hub, intended).await);
    let logs = format!("logs.{}.{}", intended.region, url_suffix(&intended.region));
    let logs_key = key::Key {
        resource: "LogsKey",
        id: names.logs_key.clone().ok_or_else(|| unnamed("--logs-key")),
        principals: vec![logs, "cloudwatch.amazonaws.com".to_owned()],
    };
    findings.extend(key::check(&kms, &logs_key).await);
    if intended.trail_on {
        let trail_key = key::Key {
            resource: "TrailKey",
            id: names
                .trail_key
                .clone()
                .ok_or_else(|| unnamed("--trail-key")),
            principals: vec!["cloudtrail.amazonaws.com".to_owned()],
        };
        findings.extend(key::check(&kms, &trail_key).await);
    }
    findings
}

/// The names from the flags, completed from the stack's outputs when one is missing;
/// with a note saying why the stack could not name them.
async fn names(sdk: &SdkConfig, request: &Request, intended: &Intended) -> (Names, Option<String>) {
    let given = request.names.clone();
    let Some(stack) = request.stack_name.as_deref() else {
        return (given, None);
    };
    if given.complete_for(intended) {
        return (given, None);
    }
    let client = aws_sdk_cloudformation::Client::new(sdk);
    match client.describe_stacks().stack_name(stack).send().await {
        Ok(out) => {
            let outputs = out
                .stacks()
                .first()
                .map(|s| s.outputs())
                .unwrap_or_default();
            let output = |key: &str| {
                outputs
                    .iter()
                    .find(|o| o.output_key() == Some(key))
                    .and_then(|o| o.output_value())
                    .map(str::to_owned)
            };
            let from_stack = Names {
                config_bucket: output("ConfigBucketName"),
                logs_key: output("LogsKeyArn"),
                trail_key: output("TrailKeyArn"),
                recorder: output("ConfigRecorderName"),
            };
            (
                given.or(from_stack),
                Some(format!("stack {stack} has no such output")),
            )
        }
        Err(err) => (given, Some(format!("stack {stack}: {}", why(&err)))),
    }
}
