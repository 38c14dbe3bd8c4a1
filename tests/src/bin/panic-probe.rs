//! A function whose handler panics: built in the shipped profile to prove that a
//! panic reaches CloudFormation as `FAILED [INTERNAL]` (not a silent abort).

use cfn_custom_resource::{
    run, CustomResource, Failure, Outcome, RequestContext, ResourceProperties, RuntimeError,
};
use serde::Deserialize;

/// Accepts any properties.
#[derive(Deserialize)]
struct AnyProperties {}

impl ResourceProperties for AnyProperties {}

struct Panics;

impl CustomResource for Panics {
    type Properties = AnyProperties;

    async fn create(&self, _: &RequestContext, _: AnyProperties) -> Result<Outcome, Failure> {
        panic!("deliberate panic from panic-probe")
    }

    async fn update(
        &self,
        _: &RequestContext,
        _: AnyProperties,
        _: Option<AnyProperties>,
    ) -> Result<Outcome, Failure> {
        panic!("deliberate panic from panic-probe")
    }

    async fn delete(
        &self,
        _: &RequestContext,
        _: Option<AnyProperties>,
    ) -> Result<Outcome, Failure> {
        panic!("deliberate panic from panic-probe")
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), RuntimeError> {
    cfn_custom_resource::init_logging();
    run(Panics).await
}
