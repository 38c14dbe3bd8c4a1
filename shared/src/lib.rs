//! The CloudFormation custom-resource protocol for Rust Lambda functions.
//!
//! A function implements [`CustomResource`] and calls [`run`]. This crate parses the
//! request (direct or SNS-wrapped) before the typed properties, runs the handler under
//! the Lambda deadline with a panic guard, and PUTs exactly one `SUCCESS` or `FAILED`
//! to the pre-signed ResponseURL, a `FAILED` reason starting with a stable
//! [`ReasonCode`].
//!
//! A complete resource: a `Custom::Greeting` whose `Name` property must not be empty,
//! answering `Fn::GetAtt Greeting.Text`.
//!
//! ```no_run
//! use cfn_custom_resource_kit::{
//!     run, CustomResource, Failure, Outcome, RequestContext, ResourceProperties, RuntimeError,
//! };
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! #[serde(deny_unknown_fields, rename_all = "PascalCase")]
//! struct GreetingProperties {
//!     name: String,
//! }
//!
//! impl ResourceProperties for GreetingProperties {
//!     fn validate(&self) -> Result<(), Failure> {
//!         if self.name.is_empty() {
//!             return Err(Failure::invalid_property("Name", "must not be empty"));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! struct Greeting;
//!
//! impl CustomResource for Greeting {
//!     type Properties = GreetingProperties;
//!
//!     async fn create(
//!         &self,
//!         _context: &RequestContext,
//!         properties: GreetingProperties,
//!     ) -> Result<Outcome, Failure> {
//!         Ok(Outcome::new().with_data("Text", format!("Hello, {}", properties.name)))
//!     }
//!
//!     async fn update(
//!         &self,
//!         context: &RequestContext,
//!         properties: GreetingProperties,
//!         _old: Option<GreetingProperties>,
//!     ) -> Result<Outcome, Failure> {
//!         self.create(context, properties).await
//!     }
//!
//!     async fn delete(
//!         &self,
//!         _context: &RequestContext,
//!         _properties: Option<GreetingProperties>,
//!     ) -> Result<Outcome, Failure> {
//!         Ok(Outcome::new().with_summary("nothing to remove"))
//!     }
//! }
//!
//! // `run` sets up logging and the runtime, and hands over the SDK configuration
//! // (`|aws| MyResource::new(aws_sdk_kms::Client::new(aws))`); this one calls nothing.
//! fn main() -> Result<(), RuntimeError> {
//!     run(|_aws| Greeting)
//! }
//! ```
//!
//! With the `ledger` feature, `Ledger` records in SSM Parameter Store what a resource
//! created, so that Delete removes only that; with `testing`, the `testing` module
//! offers the loopback servers, request builders and in-memory stores its tests use.

#![warn(missing_docs)]

// The runner turns a handler panic into `FAILED [INTERNAL]`; with panic=abort the process
// would die silently and CloudFormation would wait an hour. cargo-lambda's release build
// injects panic=abort unless the workspace's release profile sets `panic = "unwind"`.
#[cfg(panic = "abort")]
compile_error!("cfn-custom-resource-kit needs panic = \"unwind\" (set it in [profile.release])");

mod aws;
mod aws_api;
mod context;
mod delivery;
mod error;
mod failure;
#[cfg(any(feature = "fuzzing", all(test, feature = "ledger")))]
#[doc(hidden)]
pub mod fuzzing;
mod http;
#[cfg(feature = "ledger")]
mod ledger;
mod logging;
mod metrics;
mod origin;
#[cfg(all(any(test, feature = "testing"), feature = "ledger"))]
mod parameter_store;
mod properties;
mod request;
mod resource;
mod response;
mod response_url;
mod retry;
mod runbook;
mod runner;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod watchdog;

pub use aws::endpoint_url;
use aws::load_aws_config;
pub use aws_api::AwsApi;
/// The AWS SDK's configuration, which [`run`] hands a resource to build its clients from.
pub use aws_types::SdkConfig;
pub use context::{fnv1a, RequestContext};
pub use failure::{aws_failure, AwsCall, Failure, ReasonCode, HUB_SETTLING};
pub use http::{https_connector, sdk_http_client};
/// The error `run` returns when the Lambda runtime itself fails.
pub use lambda_runtime::Error as RuntimeError;
#[cfg(feature = "ledger")]
pub use ledger::{DeletePlan, Ledger, Ownership};
use logging::init_logging;
pub use properties::{de, parse_properties, ResourceProperties};
pub use request::RequestType;
pub use resource::CustomResource;
pub use response::Outcome;
pub use retry::{retry, wait_until, Backoff, Probe};
pub use runbook::{render_runbook, Remedy, COMMON_REMEDIES};
pub use runner::run;
