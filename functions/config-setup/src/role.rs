//! The role AWS Config assumes: `RoleArn`, or the service-linked role
//! (`AWSServiceRoleForConfig`), created when missing.

use cfn_custom_resource_kit::{Failure, ReasonCode, RequestContext};

use crate::api::IamApi;
use crate::properties::ConfigSetupProperties;

/// The role's name.
pub(crate) const SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForConfig";

/// The service it is linked to.
pub(crate) const CONFIG_SERVICE: &str = "config.amazonaws.com";

/// The ARN of the role the recorder assumes: `RoleArn` when given, else the Config
/// service-linked role's.
pub(crate) async fn arn(
    iam: &IamApi,
    context: &RequestContext,
    properties: &ConfigSetupProperties,
) -> Result<String, Failure> {
    match &properties.role_arn {
        Some(arn) => Ok(arn.clone()),
        None => service_linked_role_arn(iam, context).await,
    }
}

/// The ARN of the Config service-linked role, creating the role when it is missing
/// ("already exists" from a concurrent create is fine).
async fn service_linked_role_arn(
    iam: &IamApi,
    context: &RequestContext,
) -> Result<String, Failure> {
    context.step("looking up the Config service-linked role");
    if let Some(arn) = iam.role_arn(context, SERVICE_LINKED_ROLE).await? {
        return Ok(arn);
    }
    context.step("creating the Config service-linked role");
    // "Already exists" (a concurrent create) is CONFLICT: read the role then.
    match iam
        .create_service_linked_role(context, CONFIG_SERVICE)
        .await?
    {
        Some(arn) => Ok(arn),
        None => iam
            .role_arn(context, SERVICE_LINKED_ROLE)
            .await?
            .ok_or_else(|| {
                Failure::new(
                    ReasonCode::DependencyNotReady,
                    format!("{SERVICE_LINKED_ROLE} was reported as existing but cannot be read"),
                )
            }),
    }
}
