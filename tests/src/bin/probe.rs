//! A function whose handler misbehaves on purpose, built in the shipped profile to
//! prove the runner's guarantees hold in the binary as it ships:
//! - `Behaviour: panic`: the handler panics; CloudFormation must get `FAILED [INTERNAL]`
//!   (not a silent abort).
//! - `Behaviour: block`: the handler blocks the runtime's only thread for
//!   `BlockSeconds`; the watchdog must still send `FAILED [TIMEOUT]` before the deadline.
//! - `Behaviour: secret`: succeeds with `NoEcho` data; Lambda's return value must not
//!   carry it.

use std::time::Duration;

use cfn_custom_resource_kit::{
    de, run, CustomResource, Failure, Outcome, RequestContext, ResourceProperties, RuntimeError,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct ProbeProperties {
    behaviour: String,
    #[serde(default, deserialize_with = "de::u64")]
    block_seconds: u64,
}

impl ResourceProperties for ProbeProperties {}

struct Probe;

impl Probe {
    fn behave(
        &self,
        context: &RequestContext,
        properties: &ProbeProperties,
    ) -> Result<Outcome, Failure> {
        match properties.behaviour.as_str() {
            "block" => {
                context.step("blocking the thread");
                std::thread::sleep(Duration::from_secs(properties.block_seconds));
                Ok(Outcome::new())
            }
            "secret" => Ok(Outcome::new()
                .with_data("Password", "probe-secret-value")
                .with_no_echo()),
            _ => panic!("deliberate panic from the probe"),
        }
    }
}

impl CustomResource for Probe {
    type Properties = ProbeProperties;

    async fn create(
        &self,
        context: &RequestContext,
        properties: ProbeProperties,
    ) -> Result<Outcome, Failure> {
        self.behave(context, &properties)
    }

    async fn delete(
        &self,
        context: &RequestContext,
        properties: Option<ProbeProperties>,
    ) -> Result<Outcome, Failure> {
        match properties {
            Some(properties) => self.behave(context, &properties),
            None => Ok(Outcome::new()),
        }
    }
}

fn main() -> Result<(), RuntimeError> {
    run(|_| Probe)
}
