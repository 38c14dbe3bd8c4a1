//! The AWS calls of this resource (AWS Config, and IAM for the service-linked role):
//! each retried as the shared error table says, each mapped to a reason code naming the
//! operation.

use aws_sdk_config::operation::delete_config_rule::DeleteConfigRuleOutput;
use aws_sdk_config::types::{
    ConfigRule, ConfigurationRecorder, ConfigurationRecorderStatus, DeliveryChannel, Tag,
};
use aws_sdk_config::Client;
use cfn_custom_resource_kit::{AwsApi, Backoff, Failure, ReasonCode, RequestContext};

/// The AWS Config API as this resource uses it.
#[derive(Clone, Debug)]
pub(crate) struct ConfigApi {
    client: Client,
    aws: AwsApi,
}

/// Whether AWS Config is deleting `rule` (accepted, and done in the background).
pub(crate) fn is_deleting(rule: &ConfigRule) -> bool {
    rule.config_rule_state == Some(aws_sdk_config::types::ConfigRuleState::Deleting)
}

const NO_SUCH_RECORDER: &[&str] = &["NoSuchConfigurationRecorderException"];

impl ConfigApi {
    /// The API over `client`, retrying with `backoff`.
    pub(crate) fn new(client: Client, backoff: Backoff) -> Self {
        Self {
            client,
            aws: AwsApi::new("config", backoff),
        }
    }

    /// The backoff of the resource's own polls.
    pub(crate) fn backoff(&self) -> Backoff {
        self.aws.backoff()
    }

    /// The customer-managed recorder, if any. Service-linked recorders (with a service
    /// principal) belong to other services and are never returned.
    pub(crate) async fn recorder(
        &self,
        context: &RequestContext,
    ) -> Result<Option<ConfigurationRecorder>, Failure> {
        let output = self
            .aws
            .call(
                context,
                "DescribeConfigurationRecorders",
                "describing the recorder",
                || self.client.describe_configuration_recorders().send(),
            )
            .await?;
        Ok(output
            .configuration_recorders
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.service_principal.as_deref().is_none_or(str::is_empty)))
    }

    /// The delivery channel, if any.
    pub(crate) async fn channel(
        &self,
        context: &RequestContext,
    ) -> Result<Option<DeliveryChannel>, Failure> {
        let output = self
            .aws
            .call(
                context,
                "DescribeDeliveryChannels",
                "describing the delivery channel",
                || self.client.describe_delivery_channels().send(),
            )
            .await?;
        Ok(output
            .delivery_channels
            .unwrap_or_default()
            .into_iter()
            .next())
    }

    /// The recorder's status (`None`: no such recorder).
    pub(crate) async fn status(
        &self,
        context: &RequestContext,
        name: &str,
    ) -> Result<Option<ConfigurationRecorderStatus>, Failure> {
        let output = self
            .aws
            .call_or_absent(
                context,
                "DescribeConfigurationRecorderStatus",
                "reading the recorder status",
                NO_SUCH_RECORDER,
                || {
                    self.client
                        .describe_configuration_recorder_status()
                        .configuration_recorder_names(name)
                        .send()
                },
            )
            .await?;
        Ok(output.and_then(|o| {
            o.configuration_recorders_status
                .unwrap_or_default()
                .into_iter()
                .next()
        }))
    }

    /// `PutConfigurationRecorder`, with `tags` when this request creates it.
    pub(crate) async fn put_recorder(
        &self,
        context: &RequestContext,
        recorder: &ConfigurationRecorder,
        tags: &[Tag],
    ) -> Result<(), Failure> {
        self.aws
            .call(
                context,
                "PutConfigurationRecorder",
                "putting the recorder",
                || {
                    self.client
                        .put_configuration_recorder()
                        .configuration_recorder(recorder.clone())
                        .set_tags((!tags.is_empty()).then(|| tags.to_vec()))
                        .send()
                },
            )
            .await
            .map(drop)
    }

    /// `PutDeliveryChannel` (a bucket policy not yet visible is retried for a while).
    pub(crate) async fn put_channel(
        &self,
        context: &RequestContext,
        channel: &DeliveryChannel,
    ) -> Result<(), Failure> {
        let bucket = channel.s3_bucket_name.as_deref().unwrap_or("?");
        self.aws
            .call_or_else(
                context,
                "PutDeliveryChannel",
                "putting the delivery channel",
                || {
                    self.client
                        .put_delivery_channel()
                        .delivery_channel(channel.clone())
                        .send()
                },
                |f| async move {
                    Err(match f.aws_error_code() {
                        Some("InsufficientDeliveryPolicyException") => f.context(format!(
                            "AWS Config may not write to bucket {bucket} (bucket policy or ACL)"
                        )),
                        _ => f,
                    })
                },
            )
            .await
            .map(drop)
    }

    /// `StartConfigurationRecorder`.
    pub(crate) async fn start(&self, context: &RequestContext, name: &str) -> Result<(), Failure> {
        self.aws
            .call(
                context,
                "StartConfigurationRecorder",
                "starting the recorder",
                || {
                    self.client
                        .start_configuration_recorder()
                        .configuration_recorder_name(name)
                        .send()
                },
            )
            .await
            .map(drop)
    }

    /// `StopConfigurationRecorder`; a recorder already gone is fine.
    pub(crate) async fn stop(&self, context: &RequestContext, name: &str) -> Result<(), Failure> {
        self.aws
            .call_or_absent(
                context,
                "StopConfigurationRecorder",
                "stopping the recorder",
                NO_SUCH_RECORDER,
                || {
                    self.client
                        .stop_configuration_recorder()
                        .configuration_recorder_name(name)
                        .send()
                },
            )
            .await
            .map(drop)
    }

    /// `DeleteDeliveryChannel`; gone is fine. `LastDeliveryChannelDeleteFailedException`
    /// (the recorder still records) is returned for the caller to stop and retry.
    pub(crate) async fn delete_channel(
        &self,
        context: &RequestContext,
        name: &str,
    ) -> Result<(), Failure> {
        self.aws
            .call_or_absent(
                context,
                "DeleteDeliveryChannel",
                "deleting the delivery channel",
                &["NoSuchDeliveryChannelException"],
                || {
                    self.client
                        .delete_delivery_channel()
                        .delivery_channel_name(name)
                        .send()
                },
            )
            .await
            .map(drop)
    }

    /// `DeleteConfigurationRecorder`; gone is fine.
    pub(crate) async fn delete_recorder(
        &self,
        context: &RequestContext,
        name: &str,
    ) -> Result<(), Failure> {
        self.aws
            .call_or_absent(
                context,
                "DeleteConfigurationRecorder",
                "deleting the recorder",
                NO_SUCH_RECORDER,
                || {
                    self.client
                        .delete_configuration_recorder()
                        .configuration_recorder_name(name)
                        .send()
                },
            )
            .await
            .map(drop)
    }

    /// The rule named `name`, if it exists.
    pub(crate) async fn rule(
        &self,
        context: &RequestContext,
        name: &str,
    ) -> Result<Option<ConfigRule>, Failure> {
        Ok(self
            .rules(context, &[name])
            .await?
            .into_iter()
            .next()
            .flatten())
    }

    /// The rules named `names` (at most 25), in order; `None` for each that does not exist.
    pub(crate) async fn rules(
        &self,
        context: &RequestContext,
        names: &[&str],
    ) -> Result<Vec<Option<ConfigRule>>, Failure> {
        let found = self
            .aws
            .call_or_absent(
                context,
                "DescribeConfigRules",
                "describing Config rules",
                &["NoSuchConfigRuleException"],
                || {
                    self.client
                        .describe_config_rules()
                        .set_config_rule_names(Some(
                            names.iter().map(|n| (*n).to_owned()).collect(),
                        ))
                        .send()
                },
            )
            .await?;
        match found {
            Some(output) => {
                let rules = output.config_rules.unwrap_or_default();
                Ok(names
                    .iter()
                    .map(|name| {
                        rules
                            .iter()
                            .find(|r| r.config_rule_name.as_deref() == Some(name))
                            .cloned()
                    })
                    .collect())
            }
            // One of them is missing (the call names none): ask one by one.
            None if names.len() > 1 => {
                let mut each = Vec::with_capacity(names.len());
                for name in names {
                    each.push(
                        Box::pin(self.rules(context, &[name]))
                            .await?
                            .pop()
                            .flatten(),
                    );
                }
                Ok(each)
            }
            None => Ok(vec![None]),
        }
    }

    /// `PutConfigRule`, with `tags` on a rule this resource creates (none otherwise).
    pub(crate) async fn put_rule(
        &self,
        context: &RequestContext,
        rule: &ConfigRule,
        tags: &[Tag],
    ) -> Result<(), Failure> {
        let name = rule.config_rule_name.as_deref().unwrap_or("?");
        self.aws
            .call(
                context,
                "PutConfigRule",
                &format!("putting rule {name}"),
                || {
                    self.client
                        .put_config_rule()
                        .config_rule(rule.clone())
                        .set_tags((!tags.is_empty()).then(|| tags.to_vec()))
                        .send()
                },
            )
            .await
            .map(drop)
            .map_err(|f| f.context(format!("rule {name}")))
    }

    /// `DeleteConfigRule`: asks AWS Config to delete the rule, which it does in the
    /// background ("Config sets the state of a rule to DELETING until the deletion is
    /// complete", DeleteConfigRule). Gone already is fine. `ResourceInUseException` has
    /// three causes ("Config is deleting this rule", "the rule is deleting your evaluation
    /// results", "a remediation action is associated with the rule"): the rule's state
    /// tells them apart. DELETING is a deletion already accepted; the others are retried
    /// for a while, then `CONFLICT`.
    pub(crate) async fn delete_rule(
        &self,
        context: &RequestContext,
        name: &str,
    ) -> Result<(), Failure> {
        self.aws
            .call_or_else(
                context,
                "DeleteConfigRule",
                &format!("deleting rule {name}"),
                || {
                    self.client
                        .delete_config_rule()
                        .config_rule_name(name)
                        .send()
                },
                |f| async move {
                    let done = match f.aws_error_code() {
                        Some("NoSuchConfigRuleException") => true,
                        Some("ResourceInUseException") => self
                            .rule(context, name)
                            .await?
                            .is_none_or(|r| is_deleting(&r)),
                        _ => false,
                    };
                    match done {
                        true => Ok(DeleteConfigRuleOutput::builder().build()),
                        false => Err(f.context(format!("rule {name}"))),
                    }
                },
            )
            .await
            .map(drop)
    }

    /// `TagResource` then `UntagResource` (when `removed` names keys) on `arn`.
    pub(crate) async fn retag(
        &self,
        context: &RequestContext,
        arn: &str,
        tags: &[Tag],
        removed: &[String],
    ) -> Result<(), Failure> {
        if !tags.is_empty() {
            self.aws
                .call(context, "TagResource", "tagging", || {
                    self.client
                        .tag_resource()
                        .resource_arn(arn)
                        .set_tags(Some(tags.to_vec()))
                        .send()
                })
                .await?;
        }
        if !removed.is_empty() {
            self.aws
                .call(context, "UntagResource", "untagging", || {
                    self.client
                        .untag_resource()
                        .resource_arn(arn)
                        .set_tag_keys(Some(removed.to_vec()))
                        .send()
                })
                .await?;
        }
        Ok(())
    }

    /// The tags of the recorder or rule with `arn` (to recognise Control Tower's recorder,
    /// or read a rule's owner tag); none when it has no ARN. `what` names the step.
    pub(crate) async fn tags(
        &self,
        context: &RequestContext,
        arn: Option<&str>,
        what: &str,
    ) -> Result<Vec<Tag>, Failure> {
        let Some(arn) = arn else {
            return Ok(Vec::new());
        };
        let output = self
            .aws
            .call(context, "ListTagsForResource", what, || {
                self.client
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
            })
            .await?;
        Ok(output.tags.unwrap_or_default())
    }
}

/// IAM as this resource uses it: the AWS Config service-linked role.
#[derive(Clone, Debug)]
pub(crate) struct IamApi {
    client: aws_sdk_iam::Client,
    aws: AwsApi,
}

impl IamApi {
    /// The API over `client`, retrying with `backoff`.
    pub(crate) fn new(client: aws_sdk_iam::Client, backoff: Backoff) -> Self {
        Self {
            client,
            aws: AwsApi::new("iam", backoff),
        }
    }

    /// The ARN of the role `name` (`None`: no such role).
    pub(crate) async fn role_arn(
        &self,
        context: &RequestContext,
        name: &str,
    ) -> Result<Option<String>, Failure> {
        self.aws
            .call_or_none_if(
                context,
                "GetRole",
                "reading the service-linked role",
                |failure| failure.code() == ReasonCode::NotFound,
                || {
                    let sent = self.client.get_role().role_name(name).send();
                    async move { sent.await.map(|output| output.role.map(|role| role.arn)) }
                },
            )
            .await
            .map(Option::flatten)
    }

    /// `CreateServiceLinkedRole` for `service`: the new role's ARN; `None` when it
    /// already exists ("already exists" from a concurrent create is `CONFLICT`).
    pub(crate) async fn create_service_linked_role(
        &self,
        context: &RequestContext,
        service: &str,
    ) -> Result<Option<String>, Failure> {
        self.aws
            .call_or_none_if(
                context,
                "CreateServiceLinkedRole",
                "creating the service-linked role",
                |failure| failure.code() == ReasonCode::Conflict,
                || {
                    let sent = self
                        .client
                        .create_service_linked_role()
                        .aws_service_name(service)
                        .send();
                    async move { sent.await.map(|output| output.role.map(|role| role.arn)) }
                },
            )
            .await
            .map(Option::flatten)
    }
}
