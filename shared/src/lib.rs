//! The CloudFormation custom-resource protocol, shared by every function of the suite.
//!
//! A function implements [`CustomResource`] and calls [`run`]. This crate parses the
//! request (direct or SNS-wrapped) before the typed properties, runs the handler under
//! the Lambda deadline with a panic guard, and PUTs exactly one `SUCCESS` or `FAILED`
//! to the pre-signed ResponseURL.

// The runner turns a handler panic into `FAILED [INTERNAL]`; with panic=abort the process
// would die silently and CloudFormation would wait an hour. cargo-lambda's release build
// injects panic=abort unless the workspace's release profile sets `panic = "unwind"`.
#[cfg(panic = "abort")]
compile_error!("cfn-custom-resource needs panic = \"unwind\" (set it in [profile.release])");

mod aws;
mod aws_error;
mod context;
mod delivery;
mod error;
mod logging;
mod properties;
mod reason;
mod request;
mod resource;
mod response;
mod response_url;
pub mod retry;
mod runner;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use aws::load_aws_config;
pub use aws_error::aws_failure;
pub use context::{Progress, RequestContext};
pub use delivery::{Delivery, DeliveryPolicy};
pub use error::Error;
/// The error `run` returns when the Lambda runtime itself fails.
pub use lambda_runtime::Error as RuntimeError;
pub use logging::init_logging;
pub use properties::{de, parse_properties, ResourceProperties, RESERVED_PROPERTIES};
pub use reason::{AwsCall, Failure, ReasonCode};
pub use request::{parse_envelope, unwrap_payload, Envelope, RequestType, Routing};
pub use resource::CustomResource;
pub use response::{response_body, Answer, Outcome, MAX_PHYSICAL_ID_BYTES, MAX_RESPONSE_BYTES};
pub use response_url::{AllowList, ResponseUrl, ALLOWED_HOSTS_ENV};
pub use retry::{retry, Backoff, RetryPolicy};
pub use runner::{run, Runner};
