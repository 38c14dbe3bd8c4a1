//! The hub as the Security Hub API shows it, and the calls that change it.

use std::collections::BTreeMap;
use std::future::ready;

use aws_sdk_securityhub::types::ControlFindingGenerator as ApiGenerator;
use aws_sdk_securityhub::Client;
use cfn_custom_resource_kit::{
    wait_until, AwsApi, Backoff, Failure, Probe, ReasonCode, RequestContext,
};
use securityhub_common::{is_not_subscribed, HUB_SETTLING};

use crate::properties::{ControlFindingGenerator, HubProperties};

/// `DescribeHub` as this resource reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hub {
    /// `arn:<partition>:securityhub:<region>:<account>:hub/default`
    pub arn: String,
    /// When the account subscribed (ISO 8601).
    pub subscribed_at: String,
    /// Whether new controls are enabled automatically.
    pub auto_enable_controls: Option<bool>,
    /// `SECURITY_CONTROL` or `STANDARD_CONTROL`.
    pub control_finding_generator: Option<ApiGenerator>,
}

/// A setting the properties name and the hub does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Difference {
    /// The property (and API field) name.
    pub setting: &'static str,
    /// What the hub has (`unset` when the API did not say).
    pub found: String,
    /// What the properties ask for.
    pub wanted: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is {}, the properties ask for {}",
            self.setting, self.found, self.wanted
        )
    }
}

/// The settings of `hub` that differ from what `properties` name (unset properties never differ).
pub(crate) fn differences(hub: &Hub, properties: &HubProperties) -> Vec<Difference> {
    let mut found = Vec::new();
    if let Some(wanted) = properties.control_finding_generator {
        if hub.control_finding_generator != Some(wanted.into()) {
            found.push(Difference {
                setting: "ControlFindingGenerator",
                found: hub
                    .control_finding_generator
                    .as_ref()
                    .map_or("unset", ApiGenerator::as_str)
                    .into(),
                wanted: wanted.as_str().into(),
            });
        }
    }
    if let Some(wanted) = properties.auto_enable_controls {
        if hub.auto_enable_controls != Some(wanted) {
            found.push(Difference {
                setting: "AutoEnableControls",
                found: hub
                    .auto_enable_controls
                    .map_or_else(|| "unset".into(), |v| v.to_string()),
                wanted: wanted.to_string(),
            });
        }
    }
    found
}

/// The settings as they must read after an update: what the properties name, and for
/// what they leave unset, the value `before` the update had. UpdateSecurityHubConfiguration
/// documents no default for a field left out ("Required: No"), so this resource sends only
/// what the properties name and reads both back: an unset setting the update changed is
/// put back.
pub(crate) fn expected_after_update(before: &Hub, properties: &HubProperties) -> HubProperties {
    let mut expected = properties.clone();
    if expected.control_finding_generator.is_none() {
        expected.control_finding_generator = before
            .control_finding_generator
            .as_ref()
            .and_then(ControlFindingGenerator::from_api);
    }
    if expected.auto_enable_controls.is_none() {
        expected.auto_enable_controls = before.auto_enable_controls;
    }
    expected
}

/// The Security Hub calls of this resource, each retried as the shared crate decides.
#[derive(Clone, Debug)]
pub(crate) struct HubApi {
    client: Client,
    aws: AwsApi,
}

impl HubApi {
    /// Calls through `client`, polling and retrying with `backoff`.
    pub(crate) fn new(client: Client, backoff: Backoff) -> Self {
        Self {
            client,
            aws: AwsApi::new("securityhub", backoff),
        }
    }

    /// `DescribeHub`: `None` when the account is not subscribed.
    pub(crate) async fn describe(&self, context: &RequestContext) -> Result<Option<Hub>, Failure> {
        let read = || self.client.describe_hub().send();
        let output = self
            .aws
            .call_or_none_if(
                context,
                "DescribeHub",
                "reading the hub",
                is_not_subscribed,
                read,
            )
            .await?;
        Ok(output.map(|output| Hub {
            arn: output.hub_arn.unwrap_or_default(),
            subscribed_at: output.subscribed_at.unwrap_or_default(),
            auto_enable_controls: output.auto_enable_controls,
            control_finding_generator: output.control_finding_generator,
        }))
    }

    /// `EnableSecurityHub` with the requested settings and tags. "Already subscribed"
    /// (`ResourceConflictException`, e.g. after a lost answer to our own call) is fine:
    /// whose hub it is was decided by the read before.
    pub(crate) async fn enable(
        &self,
        context: &RequestContext,
        properties: &HubProperties,
    ) -> Result<(), Failure> {
        let tags = (!properties.tags.is_empty()).then(|| {
            properties
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        });
        let generator = properties.control_finding_generator.map(ApiGenerator::from);
        self.aws
            .call_or_absent(
                context,
                "EnableSecurityHub",
                "enabling Security Hub",
                &["ResourceConflictException"],
                || {
                    self.client
                        .enable_security_hub()
                        .enable_default_standards(properties.enable_default_standards)
                        .set_control_finding_generator(generator.clone())
                        .set_tags(tags.clone())
                        .send()
                },
            )
            .await
            .map(drop)
    }

    /// Polls `DescribeHub` until the hub shows (a fresh hub may take a moment).
    pub(crate) async fn wait_until_enabled(
        &self,
        context: &RequestContext,
    ) -> Result<Hub, Failure> {
        wait_until(
            context,
            HUB_SETTLING,
            self.aws.backoff(),
            "waiting for the hub to show as enabled",
            || async {
                Ok(match self.describe(context).await? {
                    Some(hub) => Probe::Ready(hub),
                    None => Probe::NotYet(Failure::new(
                        ReasonCode::DependencyNotReady,
                        "EnableSecurityHub succeeded but DescribeHub still says the account is not subscribed",
                    )),
                })
            },
        )
        .await
    }

    /// `UpdateSecurityHubConfiguration` with only the settings that differ. A refusal
    /// because the account is a member or centrally configured is `ORG_MANAGED`, naming
    /// what differs.
    pub(crate) async fn update_settings(
        &self,
        context: &RequestContext,
        properties: &HubProperties,
        differing: &[Difference],
    ) -> Result<(), Failure> {
        let differs = |setting: &str| differing.iter().any(|d| d.setting == setting);
        let generator = properties
            .control_finding_generator
            .filter(|_| differs("ControlFindingGenerator"))
            .map(ApiGenerator::from);
        let auto_enable = properties
            .auto_enable_controls
            .filter(|_| differs("AutoEnableControls"));
        let what = differing
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        self.aws
            .call(
                context,
                "UpdateSecurityHubConfiguration",
                "updating the hub's settings",
                || {
                    self.client
                        .update_security_hub_configuration()
                        .set_control_finding_generator(generator.clone())
                        .set_auto_enable_controls(auto_enable)
                        .send()
                },
            )
            .await
            .map(drop)
        .map_err(|failure| match failure.code() {
            ReasonCode::OrgManaged => failure.context(format!(
                "the hub's settings differ from the properties ({what}) and this account may not change them; change them in the Security Hub administrator account or its configuration policy, or leave the properties unset"
            )),
            _ => failure.context(format!("changing the hub's settings ({what})")),
        })
    }

    /// Polls `DescribeHub` until no setting the properties name differs (the new value
    /// shows after a delay), within the deadline.
    pub(crate) async fn wait_for_settings(
        &self,
        context: &RequestContext,
        properties: &HubProperties,
    ) -> Result<Hub, Failure> {
        wait_until(
            context,
            context.remaining(),
            self.aws.backoff(),
            "waiting for the hub's settings to show",
            || async {
                let Some(hub) = self.describe(context).await? else {
                    return Err(Failure::new(
                        ReasonCode::NotActive,
                        "the hub was disabled while its settings were being changed",
                    ));
                };
                let still = differences(&hub, properties);
                Ok(if still.is_empty() {
                    Probe::Ready(hub)
                } else {
                    let text = still
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ");
                    Probe::NotYet(Failure::new(
                        ReasonCode::NotActive,
                        format!("DescribeHub does not show the change yet: {text}"),
                    ))
                })
            },
        )
        .await
    }

    /// `ListTagsForResource` of the hub.
    pub(crate) async fn tags(
        &self,
        context: &RequestContext,
        hub_arn: &str,
    ) -> Result<BTreeMap<String, String>, Failure> {
        let output = self
            .aws
            .call(
                context,
                "ListTagsForResource",
                "reading the hub's tags",
                || {
                    self.client
                        .list_tags_for_resource()
                        .resource_arn(hub_arn)
                        .send()
                },
            )
            .await?;
        Ok(output.tags.unwrap_or_default().into_iter().collect())
    }

    /// `TagResource` on the hub.
    pub(crate) async fn tag(
        &self,
        context: &RequestContext,
        hub_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), Failure> {
        let tags: std::collections::HashMap<String, String> =
            tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        self.aws
            .call(context, "TagResource", "tagging the hub", || {
                self.client
                    .tag_resource()
                    .resource_arn(hub_arn)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await
            .map(drop)
    }

    /// `UntagResource` on the hub.
    pub(crate) async fn untag(
        &self,
        context: &RequestContext,
        hub_arn: &str,
        keys: &[String],
    ) -> Result<(), Failure> {
        self.aws
            .call(context, "UntagResource", "untagging the hub", || {
                self.client
                    .untag_resource()
                    .resource_arn(hub_arn)
                    .set_tag_keys(Some(keys.to_vec()))
                    .send()
            })
            .await
            .map(drop)
    }

    /// `DisableSecurityHub`. Not subscribed is fine. A refusal because the account is an
    /// administrator with members, or a member, is `CONFLICT` with the service's words
    /// and what to do.
    pub(crate) async fn disable(&self, context: &RequestContext) -> Result<(), Failure> {
        self.aws
            .call_or_else(
                context,
                "DisableSecurityHub",
                "disabling Security Hub",
                || {
                    let sent = self.client.disable_security_hub().send();
                    async move { sent.await.map(drop) }
                },
                |failure| {
                    ready(if is_not_subscribed(&failure) {
                        Ok(())
                    } else if is_membership_refusal(&failure) {
                        Err(failure.with_code(ReasonCode::Conflict).permanent().context(
                            "Security Hub refused to be disabled because of this account's administrator or member role; disassociate the member accounts (or this account from its administrator) first, or set OnDelete: Retain",
                        ))
                    } else {
                        Err(failure)
                    })
                },
            )
            .await
    }

    /// Polls `DescribeHub` until the account is no longer subscribed, within the deadline.
    pub(crate) async fn wait_until_disabled(
        &self,
        context: &RequestContext,
    ) -> Result<(), Failure> {
        wait_until(
            context,
            context.remaining(),
            self.aws.backoff(),
            "waiting for the hub to show as disabled",
            || async {
                Ok(match self.describe(context).await? {
                    None => Probe::Ready(()),
                    Some(hub) => Probe::NotYet(Failure::new(
                        ReasonCode::DependencyNotReady,
                        format!(
                            "DisableSecurityHub succeeded but DescribeHub still shows {}",
                            hub.arn
                        ),
                    )),
                })
            },
        )
        .await
    }
}

/// Whether a `DisableSecurityHub` refusal is about the account's place in an
/// administrator/member relationship (not IAM, not "not subscribed").
fn is_membership_refusal(failure: &Failure) -> bool {
    let code = failure.aws_error_code().unwrap_or_default();
    if !matches!(code, "InvalidAccessException" | "InvalidInputException") {
        return false;
    }
    let message = failure.message().to_ascii_lowercase();
    ["member", "administrator", "master account"]
        .iter()
        .any(|word| message.contains(word))
}
