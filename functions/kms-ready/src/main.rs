//! `Custom::KmsReady` Lambda entry point.

use cfn_custom_resource_kit::{init_logging, load_aws_config, run, RuntimeError};
use kms_ready::KmsReady;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), RuntimeError> {
    init_logging();
    run(|| KmsReady::new(aws_sdk_kms::Client::new(&load_aws_config()))).await
}
