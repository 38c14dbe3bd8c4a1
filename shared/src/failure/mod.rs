//! Failures: the stable reason codes a `FAILED` answer starts with, the coded
//! [`Failure`] every handler returns, and how an AWS SDK error becomes one.
//!
//! An AWS error is classified by the first of these that decides, in this order:
//! 1. [`tables::GENERIC`]: rules true of every service (an SCP denial is `ORG_MANAGED`);
//! 2. the service's own table ([`tables::table`]), where a code means the same thing in
//!    every function that calls the service;
//! 3. the rules by code family and HTTP status in [`classify`] (throttling, access
//!    denied, 5xx, `NotFound`, quotas, conflicts, invalid input), with `SERVICE_ERROR`
//!    for anything left.

mod classify;
mod reason;
mod tables;

pub use classify::aws_failure;
pub(crate) use reason::{sanitize_reason, shorten, Retry};
pub use reason::{AwsCall, Failure, ReasonCode};
#[cfg(any(test, feature = "testing"))]
pub(crate) use tables::table as error_table;
pub use tables::HUB_SETTLING;
