//! `Custom::SecurityHubEnable` Lambda entry point.

use cfn_custom_resource_kit::{init_logging, load_aws_config, run, RuntimeError};
use securityhub_enable::SecurityHubEnable;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), RuntimeError> {
    init_logging();
    let config = load_aws_config().await;
    let securityhub = aws_sdk_securityhub::Client::new(&config);
    let ssm = aws_sdk_ssm::Client::new(&config);
    run(SecurityHubEnable::new(securityhub, ssm)).await
}
