//! End-to-end tests: the real function binaries, served events through the Lambda
//! Runtime API, talking to moto on loopback, answering a loopback ResponseURL.
//!
//! One test binary; the moving parts are in the `harness` library (`src/`). Run through `make test`,
//! which builds the debug binaries and the shipped-profile ones first.

mod baseline;
mod baseline_deploy;
mod baseline_stack_set;
mod config_setup;
mod crashes;
mod faults;
mod kms_ready;
mod ledger;
mod lifecycle;
mod malformed;
mod protocol;
mod resources;
mod securityhub_enable;
mod securityhub_standards;
mod shipped_profile;
mod template;
mod trust;
