//! The end-to-end harness every function's tests (and the benchmark) use.
//!
//! - [`moto`]: one moto server per test process on a free 127.0.0.1 port, from the
//!   venv `make setup` creates.
//! - [`runtime_api`]: the Lambda Runtime API (next / response / error) served on loopback.
//! - [`function`]: a real function binary started against both, with a clean environment.
//! - [`cloudformation`]: CloudFormation's side: requests with a loopback ResponseURL
//!   (served by `cfn_custom_resource_kit::testing::ResponseServer`) and lifecycle sequences.
//!
//! Nothing here talks to a non-loopback address.

pub mod cloudformation;
pub mod function;
pub mod moto;
pub mod runtime_api;

pub use cloudformation::{CfnResponse, Stack};
pub use function::{Binary, Function};
pub use moto::key_policy_allowing;
pub use moto::Moto;
pub use runtime_api::InvocationResult;
