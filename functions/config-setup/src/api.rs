//! AWS Config calls: each retried as the shared error table says, each mapped to a
//! reason code naming the operation.

use aws_sdk_config::types::{
    ConfigRule, ConfigurationRecorder, ConfigurationRecorderStatus, DeliveryChannel, Tag,
};
use aws_sdk_config::Client;
use cfn_custom_resource_kit::{aws_failure, retry, Backoff, Failure, RequestContext};

/// The AWS Config API as this resource uses it.
#[derive(Clone, Debug)]
pub struct ConfigApi {
    client: Client,
    backoff: Backoff,
}

fn failure<E>(
    error: &aws_sdk_config::error::SdkError<E, aws_sdk_config::config::http::HttpResponse>,
    operation: &str,
) -> Failure
where
    E: aws_sdk_config::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    aws_failure(error, "config", operation)
}

fn is(failure: &Failure, code: &str) -> bool {
    failure.aws_error_code() == Some(code)
}

/// Whether AWS Config is deleting `rule` (accepted, and done in the background).
pub fn is_deleting(rule: &ConfigRule) -> bool {
    rule.config_rule_state == Some(aws_sdk_config::types::ConfigRuleState::Deleting)
}

impl ConfigApi {
    /// The API over `client`, retrying with `backoff`.
    pub fn new(client: Client, backoff: Backoff) -> Self {
        Self { client, backoff }
    }

    /// The customer-managed recorder, if any. Service-linked recorders (with a service
    /// principal) belong to other services and are never returned.
    pub async fn recorder(
        &self,
        ctx: &RequestContext,
    ) -> Result<Option<ConfigurationRecorder>, Failure> {
        let output = retry(ctx, self.backoff, "describing the recorder", || async {
            self.client
                .describe_configuration_recorders()
                .send()
                .await
                .map_err(|e| failure(&e, "DescribeConfigurationRecorders"))
        })
        .await?;
        Ok(output
            .configuration_recorders
            .unwrap_or_default()
            .into_iter()
            .find(|r| r.service_principal.as_deref().is_none_or(str::is_empty)))
    }

    /// The delivery channel, if any.
    pub async fn channel(&self, ctx: &RequestContext) -> Result<Option<DeliveryChannel>, Failure> {
        let output = retry(
            ctx,
            self.backoff,
            "describing the delivery channel",
            || async {
                self.client
                    .describe_delivery_channels()
                    .send()
                    .await
                    .map_err(|e| failure(&e, "DescribeDeliveryChannels"))
            },
        )
        .await?;
        Ok(output
            .delivery_channels
            .unwrap_or_default()
            .into_iter()
            .next())
    }

    /// The recorder's status (`None`: no such recorder).
    pub async fn status(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<Option<ConfigurationRecorderStatus>, Failure> {
        let result = retry(ctx, self.backoff, "reading the recorder status", || async {
            match self
                .client
                .describe_configuration_recorder_status()
                .configuration_recorder_names(name)
                .send()
                .await
            {
                Ok(output) => Ok(output
                    .configuration_recorders_status
                    .unwrap_or_default()
                    .into_iter()
                    .next()),
                Err(e) => {
                    let f = failure(&e, "DescribeConfigurationRecorderStatus");
                    if is(&f, "NoSuchConfigurationRecorderException") {
                        Ok(None)
                    } else {
                        Err(f)
                    }
                }
            }
        })
        .await?;
        Ok(result)
    }

    /// `PutConfigurationRecorder`.
    pub async fn put_recorder(
        &self,
        ctx: &RequestContext,
        recorder: &ConfigurationRecorder,
    ) -> Result<(), Failure> {
        retry(ctx, self.backoff, "putting the recorder", || async {
            self.client
                .put_configuration_recorder()
                .configuration_recorder(recorder.clone())
                .send()
                .await
                .map(drop)
                .map_err(|e| failure(&e, "PutConfigurationRecorder"))
        })
        .await
    }

    /// `PutDeliveryChannel` (a bucket policy not yet visible is retried for a while).
    pub async fn put_channel(
        &self,
        ctx: &RequestContext,
        channel: &DeliveryChannel,
    ) -> Result<(), Failure> {
        retry(
            ctx,
            self.backoff,
            "putting the delivery channel",
            || async {
                self.client
                    .put_delivery_channel()
                    .delivery_channel(channel.clone())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| {
                        let f = failure(&e, "PutDeliveryChannel");
                        if is(&f, "InsufficientDeliveryPolicyException") {
                            f.context(format!(
                                "AWS Config may not write to bucket {} (bucket policy or ACL)",
                                channel.s3_bucket_name.as_deref().unwrap_or("?")
                            ))
                        } else {
                            f
                        }
                    })
            },
        )
        .await
    }

    /// `StartConfigurationRecorder`.
    pub async fn start(&self, ctx: &RequestContext, name: &str) -> Result<(), Failure> {
        retry(ctx, self.backoff, "starting the recorder", || async {
            self.client
                .start_configuration_recorder()
                .configuration_recorder_name(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| failure(&e, "StartConfigurationRecorder"))
        })
        .await
    }

    /// `StopConfigurationRecorder`; a recorder already gone is fine.
    pub async fn stop(&self, ctx: &RequestContext, name: &str) -> Result<(), Failure> {
        retry(ctx, self.backoff, "stopping the recorder", || async {
            match self
                .client
                .stop_configuration_recorder()
                .configuration_recorder_name(name)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let f = failure(&e, "StopConfigurationRecorder");
                    if is(&f, "NoSuchConfigurationRecorderException") {
                        Ok(())
                    } else {
                        Err(f)
                    }
                }
            }
        })
        .await
    }

    /// `DeleteDeliveryChannel`; gone is fine. `LastDeliveryChannelDeleteFailedException`
    /// (the recorder still records) is returned for the caller to stop and retry.
    pub async fn delete_channel(&self, ctx: &RequestContext, name: &str) -> Result<(), Failure> {
        retry(
            ctx,
            self.backoff,
            "deleting the delivery channel",
            || async {
                match self
                    .client
                    .delete_delivery_channel()
                    .delivery_channel_name(name)
                    .send()
                    .await
                {
                    Ok(_) => Ok(()),
                    Err(e) => {
                        let f = failure(&e, "DeleteDeliveryChannel");
                        if is(&f, "NoSuchDeliveryChannelException") {
                            Ok(())
                        } else {
                            Err(f)
                        }
                    }
                }
            },
        )
        .await
    }

    /// `DeleteConfigurationRecorder`; gone is fine.
    pub async fn delete_recorder(&self, ctx: &RequestContext, name: &str) -> Result<(), Failure> {
        retry(ctx, self.backoff, "deleting the recorder", || async {
            match self
                .client
                .delete_configuration_recorder()
                .configuration_recorder_name(name)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let f = failure(&e, "DeleteConfigurationRecorder");
                    if is(&f, "NoSuchConfigurationRecorderException") {
                        Ok(())
                    } else {
                        Err(f)
                    }
                }
            }
        })
        .await
    }

    /// The rule named `name`, if it exists.
    pub async fn rule(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<Option<ConfigRule>, Failure> {
        Ok(self.rules(ctx, &[name]).await?.into_iter().next().flatten())
    }

    /// The rules named `names` (at most 25), in order; `None` for each that does not exist.
    pub async fn rules(
        &self,
        ctx: &RequestContext,
        names: &[&str],
    ) -> Result<Vec<Option<ConfigRule>>, Failure> {
        let found = retry(ctx, self.backoff, "describing Config rules", || async {
            let request = self
                .client
                .describe_config_rules()
                .set_config_rule_names(Some(names.iter().map(|n| (*n).to_owned()).collect()));
            match request.send().await {
                Ok(output) => Ok(Some(output.config_rules.unwrap_or_default())),
                Err(e) => {
                    let f = failure(&e, "DescribeConfigRules");
                    if is(&f, "NoSuchConfigRuleException") {
                        Ok(None)
                    } else {
                        Err(f)
                    }
                }
            }
        })
        .await?;
        match found {
            Some(rules) => Ok(names
                .iter()
                .map(|name| {
                    rules
                        .iter()
                        .find(|r| r.config_rule_name.as_deref() == Some(name))
                        .cloned()
                })
                .collect()),
            // One of them is missing (the call names none): ask one by one.
            None if names.len() > 1 => {
                let mut each = Vec::with_capacity(names.len());
                for name in names {
                    each.push(Box::pin(self.rules(ctx, &[name])).await?.pop().flatten());
                }
                Ok(each)
            }
            None => Ok(vec![None]),
        }
    }

    /// `PutConfigRule`, tagging a rule this resource creates.
    pub async fn put_rule(
        &self,
        ctx: &RequestContext,
        rule: &ConfigRule,
        tag: Option<&Tag>,
    ) -> Result<(), Failure> {
        let name = rule.config_rule_name.as_deref().unwrap_or("?");
        retry(
            ctx,
            self.backoff,
            &format!("putting rule {name}"),
            || async {
                self.client
                    .put_config_rule()
                    .config_rule(rule.clone())
                    .set_tags(tag.map(|t| vec![t.clone()]))
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| failure(&e, "PutConfigRule").context(format!("rule {name}")))
            },
        )
        .await
    }

    /// `DeleteConfigRule`: asks AWS Config to delete the rule, which it does in the
    /// background ("Config sets the state of a rule to DELETING until the deletion is
    /// complete", DeleteConfigRule). Gone already is fine. `ResourceInUseException` has
    /// three causes ("Config is deleting this rule", "the rule is deleting your evaluation
    /// results", "a remediation action is associated with the rule"): the rule's state
    /// tells them apart. DELETING is a deletion already accepted; the others are retried
    /// for a while, then `CONFLICT`.
    pub async fn delete_rule(&self, ctx: &RequestContext, name: &str) -> Result<(), Failure> {
        retry(
            ctx,
            self.backoff,
            &format!("deleting rule {name}"),
            || async {
                match self
                    .client
                    .delete_config_rule()
                    .config_rule_name(name)
                    .send()
                    .await
                {
                    Ok(_) => Ok(()),
                    Err(e) => {
                        let f = failure(&e, "DeleteConfigRule");
                        if is(&f, "NoSuchConfigRuleException") {
                            return Ok(());
                        }
                        if is(&f, "ResourceInUseException")
                            && self.rule(ctx, name).await?.is_none_or(|r| is_deleting(&r))
                        {
                            return Ok(());
                        }
                        Err(f.context(format!("rule {name}")))
                    }
                }
            },
        )
        .await
    }

    /// The recorder's tags (to recognise Control Tower's); none when it has no ARN.
    pub async fn recorder_tags(
        &self,
        ctx: &RequestContext,
        recorder: &ConfigurationRecorder,
    ) -> Result<Vec<Tag>, Failure> {
        match recorder.arn.as_deref() {
            Some(arn) => self.tags(ctx, arn, "reading the recorder's tags").await,
            None => Ok(Vec::new()),
        }
    }

    /// The rule's tags (its owner tag); none when it has no ARN.
    pub async fn rule_tags(
        &self,
        ctx: &RequestContext,
        rule: &ConfigRule,
    ) -> Result<Vec<Tag>, Failure> {
        match rule.config_rule_arn.as_deref() {
            Some(arn) => self.tags(ctx, arn, "reading the rule's tags").await,
            None => Ok(Vec::new()),
        }
    }

    async fn tags(&self, ctx: &RequestContext, arn: &str, what: &str) -> Result<Vec<Tag>, Failure> {
        retry(ctx, self.backoff, what, || async {
            self.client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map(|output| output.tags.unwrap_or_default())
                .map_err(|e| failure(&e, "ListTagsForResource"))
        })
        .await
    }
}
