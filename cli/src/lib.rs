//! `baseline`: verify (and, next, deploy and watch) the security baseline of
//! `template.yml` in an account and region, from a workstation or CI.
//!
//! `main` only parses and wires; each command is a module: [`verify`] reads the account
//! back, [`finding`] is what it reports and how, [`baseline`] what the template intends.

pub mod aws;
pub mod baseline;
pub mod deploy;
pub mod error;
pub mod finding;
pub mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::baseline::Parameters;
use crate::error::Error;
use crate::finding::{exit_code, to_json, to_table, EXIT_ERROR};
use crate::verify::{Names, Request};

const EXIT_CODES: &str = "\
Exit codes (verify):
  0  every check as the baseline intends
  1  drift: at least one check differs (each named with the template resource that owns it)
  2  usage: the command line is wrong
  3  no drift found, but something could not be read or decided (credentials, access,
     a name the stack generated that no flag or stack output gives)";

/// Deploy, watch and verify the security baseline (template.yml).
#[derive(Debug, Parser)]
#[command(name = "baseline", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// The AWS profile (else AWS_PROFILE, else `default`): keys, SSO, assumed roles.
    #[arg(long, global = true)]
    profile: Option<String>,
    /// The region (else AWS_REGION, else the profile's).
    #[arg(long, global = true)]
    region: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read the account and region back and compare with what the baseline intends.
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// Regions to read, comma-separated (else --region's).
    #[arg(long, value_delimiter = ',')]
    regions: Vec<String>,
    /// One JSON document instead of the table (for CI).
    #[arg(long)]
    json: bool,
    /// The stack whose outputs name the delivery bucket and the keys when no flag does.
    #[arg(long, default_value = "security-baseline")]
    stack_name: String,
    /// Do not read the stack: every generated name comes from the flags.
    #[arg(long, conflicts_with = "stack_name")]
    no_stack: bool,
    /// Stack parameters as deployed, Key=Value (as `sam deploy --parameter-overrides`).
    #[arg(long, num_args = 1.., value_name = "KEY=VALUE")]
    parameter_overrides: Vec<String>,
    /// Stack parameters from a JSON file: CloudFormation's ParameterKey/ParameterValue list,
    /// or one object; --parameter-overrides win.
    #[arg(long, value_name = "FILE")]
    parameters_file: Option<PathBuf>,
    /// The AWS Config delivery bucket (else CentralConfigBucketName, else the stack's).
    #[arg(long)]
    config_bucket: Option<String>,
    /// The CloudWatch Logs key, id, ARN or alias (else the stack's LogsKeyArn).
    #[arg(long)]
    logs_key: Option<String>,
    /// The trail's key (else the stack's TrailKeyArn); checked where the template creates the trail.
    #[arg(long)]
    trail_key: Option<String>,
    /// The recorder in use (else the stack's ConfigRecorderName, else the customer-managed one).
    #[arg(long)]
    recorder_name: Option<String>,
}

/// Parses the command line, runs it and returns its exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("baseline: {err}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Error> {
    let sdk = aws::load(cli.profile.as_deref(), cli.region.as_deref()).await;
    match cli.command {
        Command::Verify(args) => {
            let mut regions = args.regions.clone();
            if regions.is_empty() {
                regions.push(sdk.region().ok_or(Error::NoRegion)?.to_string());
            }
            let request = Request {
                regions,
                parameters: parameters(&args)?,
                names: Names {
                    config_bucket: args.config_bucket,
                    logs_key: args.logs_key,
                    trail_key: args.trail_key,
                    recorder: args.recorder_name,
                },
                stack_name: (!args.no_stack).then_some(args.stack_name),
            };
            let findings = verify::verify(&sdk, &request).await;
            if args.json {
                println!("{}", to_json(&findings));
            } else {
                print!("{}", to_table(&findings));
            }
            Ok(exit_code(&findings))
        }
    }
}

/// The template's defaults, then the file, then the overrides.
fn parameters(args: &VerifyArgs) -> Result<Parameters, Error> {
    let mut parameters = Parameters::default();
    if let Some(path) = &args.parameters_file {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::ParametersFile {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        parameters.set_file(&shown, &text)?;
    }
    for pair in &args.parameter_overrides {
        parameters.set_pair(pair)?;
    }
    Ok(parameters)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent_and_documents_its_exit_codes() {
        Cli::command().debug_assert();
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("Exit codes"), "{help}");
    }
}
