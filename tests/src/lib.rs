//! The end-to-end harness every function's tests (and the benchmark) use.
//!
//! - [`moto`]: one moto server per test process on a free 127.0.0.1 port, from the
//!   venv `make setup` creates.
//! - [`runtime_api`]: the Lambda Runtime API (next / response / error) served on loopback.
//! - [`function`]: a real function binary started against both, with a clean environment.
//! - [`cloudformation`]: CloudFormation's side: requests with a loopback ResponseURL
//!   (served by `cfn_custom_resource_kit::testing::ResponseServer`) and lifecycle sequences.
//! - [`securityhub`]: a Security Hub CSPM emulator (moto lacks the standards API), one
//!   per test, with the real REST wire format; its module doc says why and how.
//!
//! - [`baseline`]: the `baseline` CLI run against the emulators.
//!
//! Nothing here talks to a non-loopback address.

pub mod baseline;
pub mod cloudformation;
pub mod fault_proxy;
pub mod function;
pub mod moto;
pub mod runtime_api;
pub mod securityhub;

pub use baseline::{run_baseline, Ran};
pub use cloudformation::{CfnResponse, Stack};
pub use fault_proxy::{Fault, FaultProxy};
pub use function::{Binary, Function};
pub use moto::key_policy_allowing;
pub use moto::Moto;
pub use runtime_api::InvocationResult;
pub use securityhub::SecurityHub;

/// Serialises the tests that touch moto's AWS Config (one recorder per region, shared
/// by every test of the process): hold the guard for the whole test.
pub async fn config_lock() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// A `CR_LEDGER_PREFIX` of its own, for a test that starts from a fresh account: moto's
/// SSM lives as long as the test process, and ownership records (and the singleton
/// records of the recorder and the hub) left by other tests would otherwise make this
/// test's resources adopt what it creates.
pub fn fresh_ledger() -> (&'static str, String) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    (
        "CR_LEDGER_PREFIX",
        format!("/e2e/{}-{n}", std::process::id()),
    )
}
