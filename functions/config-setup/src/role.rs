//! The AWS Config service-linked role (`AWSServiceRoleForConfig`), created when missing.

use std::future::ready;

use aws_sdk_iam::Client;
use cfn_custom_resource_kit::{AwsApi, Backoff, Failure, ReasonCode, RequestContext};

/// The role's name.
pub(crate) const SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForConfig";

/// The service it is linked to.
pub(crate) const CONFIG_SERVICE: &str = "config.amazonaws.com";

/// The ARN of the Config service-linked role, creating the role when it is missing
/// ("already exists" from a concurrent create is fine).
pub(crate) async fn service_linked_role_arn(
    iam: &Client,
    ctx: &RequestContext,
    backoff: Backoff,
) -> Result<String, Failure> {
    ctx.step("looking up the Config service-linked role");
    if let Some(arn) = existing(iam, ctx, backoff).await? {
        return Ok(arn);
    }
    ctx.step("creating the Config service-linked role");
    // "Already exists" (a concurrent create) is CONFLICT: read the role then.
    let created = AwsApi::new("iam", backoff)
        .call_or_else(
            ctx,
            "CreateServiceLinkedRole",
            "creating the service-linked role",
            || {
                let sent = iam
                    .create_service_linked_role()
                    .aws_service_name(CONFIG_SERVICE)
                    .send();
                async move { sent.await.map(|output| output.role.map(|role| role.arn)) }
            },
            |failure| {
                ready(match failure.code() {
                    ReasonCode::Conflict => Ok(None),
                    _ => Err(failure),
                })
            },
        )
        .await?;
    match created {
        Some(arn) => Ok(arn),
        None => existing(iam, ctx, backoff).await?.ok_or_else(|| {
            Failure::new(
                ReasonCode::DependencyNotReady,
                format!("{SERVICE_LINKED_ROLE} was reported as existing but cannot be read"),
            )
        }),
    }
}

async fn existing(
    iam: &Client,
    ctx: &RequestContext,
    backoff: Backoff,
) -> Result<Option<String>, Failure> {
    AwsApi::new("iam", backoff)
        .call_or_else(
            ctx,
            "GetRole",
            "reading the service-linked role",
            || {
                let sent = iam.get_role().role_name(SERVICE_LINKED_ROLE).send();
                async move { sent.await.map(|output| output.role.map(|role| role.arn)) }
            },
            |failure| {
                ready(match failure.code() {
                    ReasonCode::NotFound => Ok(None),
                    _ => Err(failure),
                })
            },
        )
        .await
}
