//! `Custom::SecurityHubStandards` Lambda entry point.

use cfn_custom_resource_kit::{init_logging, load_aws_config, run, RuntimeError};
use securityhub_standards::SecurityHubStandards;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), RuntimeError> {
    init_logging();
    run(|| {
        let config = load_aws_config();
        SecurityHubStandards::new(
            aws_sdk_securityhub::Client::new(&config),
            aws_sdk_ssm::Client::new(&config),
        )
    })
    .await
}
