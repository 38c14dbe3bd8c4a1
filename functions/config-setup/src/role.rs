//! The AWS Config service-linked role (`AWSServiceRoleForConfig`), created when missing.

use aws_sdk_iam::Client;
use cfn_custom_resource_kit::{aws_failure, retry, Backoff, Failure, ReasonCode, RequestContext};

/// The role's name.
pub const SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForConfig";

/// The service it is linked to.
pub const CONFIG_SERVICE: &str = "config.amazonaws.com";

/// The ARN of the Config service-linked role, creating the role when it is missing
/// ("already exists" from a concurrent create is fine).
pub async fn service_linked_role_arn(
    iam: &Client,
    ctx: &RequestContext,
    backoff: Backoff,
) -> Result<String, Failure> {
    ctx.step("looking up the Config service-linked role");
    if let Some(arn) = existing(iam, ctx, backoff).await? {
        return Ok(arn);
    }
    ctx.step("creating the Config service-linked role");
    let created = retry(ctx, backoff, "creating the service-linked role", || async {
        match iam
            .create_service_linked_role()
            .aws_service_name(CONFIG_SERVICE)
            .send()
            .await
        {
            Ok(output) => Ok(output.role.map(|role| role.arn)),
            Err(error) => {
                let failure = aws_failure(&error, "iam", "CreateServiceLinkedRole");
                if failure.code() == ReasonCode::Conflict {
                    Ok(None)
                } else {
                    Err(failure)
                }
            }
        }
    })
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
    retry(ctx, backoff, "reading the service-linked role", || async {
        match iam.get_role().role_name(SERVICE_LINKED_ROLE).send().await {
            Ok(output) => Ok(output.role.map(|role| role.arn)),
            Err(error) => {
                let failure = aws_failure(&error, "iam", "GetRole");
                if failure.code() == ReasonCode::NotFound {
                    Ok(None)
                } else {
                    Err(failure)
                }
            }
        }
    })
    .await
}
