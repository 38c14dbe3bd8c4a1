//! `Custom::SecurityHubStandards` Lambda entry point.

use cfn_custom_resource_kit::{init_logging, load_aws_config, run, Ledger, RuntimeError};
use securityhub_standards::SecurityHubStandards;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), RuntimeError> {
    init_logging();
    run(|| {
        let config = load_aws_config();
        let ledger = Ledger::new(aws_sdk_ssm::Client::new(&config), "securityhub-standards");
        SecurityHubStandards::new(aws_sdk_securityhub::Client::new(&config), ledger)
    })
    .await
}
