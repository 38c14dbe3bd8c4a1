//! `baseline`: deploy, watch and verify the security baseline of `template.yml` in an
//! account and region, from a workstation or CI.
//!
//! `main` only parses and wires; each command is a module: [`deploy`] makes and runs a
//! change set and follows it, [`verify`] reads the account back, [`finding`] is what it
//! reports and how, [`baseline`] what the template intends.

pub mod aws;
pub mod baseline;
pub mod deploy;
pub mod error;
pub mod finding;
mod table;
pub mod verify;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::baseline::{file_pairs, split_pair, Parameters};
use crate::deploy::audit::{self, Audit};
use crate::deploy::output::Output;
use crate::deploy::prompt::Approval;
use crate::deploy::template::Template;
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

const DEPLOY_EXIT_CODES: &str = "\
Exit codes (deploy):
  0  deployed, or nothing to do (the change set contained no changes)
  2  usage: the command line is wrong
  3  error: a call failed or a file could not be read (credentials, access, a change set
     CloudFormation could not create); nothing was executed
  4  failed and rolled back: the stack is as before; the root cause is printed
  5  the rollback failed: the stack needs attention
  6  failed without a rollback
  7  refused: nothing changed (declined at the prompt, no --yes off a terminal, a stack that
     cannot be updated as it stands, a template too large without --template-url)";

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
    /// Deploy the packaged template: a change set, its changes, then (--yes or a `y`) its
    /// execution, followed live to the outcome; every step in the audit log.
    #[command(after_help = DEPLOY_EXIT_CODES)]
    Deploy(DeployArgs),
}

/// Stack parameters, as `sam deploy` takes them.
#[derive(Debug, Args)]
struct ParameterArgs {
    /// Stack parameters, Key=Value (as `sam deploy --parameter-overrides`).
    #[arg(long, num_args = 1.., value_name = "KEY=VALUE")]
    parameter_overrides: Vec<String>,
    /// Stack parameters from a JSON file: CloudFormation's ParameterKey/ParameterValue list,
    /// or one object; --parameter-overrides win.
    #[arg(long, value_name = "FILE")]
    parameters_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct DeployArgs {
    /// The packaged template (`sam package --output-template-file packaged.yaml` after
    /// `make package` or `sam build`): code locations in S3, not local paths.
    #[arg(long, default_value = "packaged.yaml")]
    template_file: String,
    /// The same template uploaded to S3 (https URL): needed above TemplateBody's 51,200 bytes.
    #[arg(long, value_name = "URL")]
    template_url: Option<String>,
    /// The stack.
    #[arg(long, default_value = "security-baseline")]
    stack_name: String,
    #[command(flatten)]
    parameters: ParameterArgs,
    /// Capabilities the template needs.
    #[arg(long, value_delimiter = ',', default_value = "CAPABILITY_IAM")]
    capabilities: Vec<String>,
    /// A role to assume (STS) for every call: deploy into another account.
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
    /// Execute the change set without asking (needed off a terminal).
    #[arg(long)]
    yes: bool,
    /// The audit log, JSON lines, appended to.
    #[arg(long, value_name = "FILE", default_value = audit::DEFAULT_PATH)]
    audit_log: PathBuf,
    /// Seconds between polls of the change set and the stack's events.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    poll_seconds: u64,
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
    /// Stack parameters as deployed.
    #[command(flatten)]
    parameters: ParameterArgs,
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
                parameters: parameters(&args.parameters)?,
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
        Command::Deploy(args) => deploy(sdk, args).await,
    }
}

async fn deploy(sdk: aws_config::SdkConfig, args: DeployArgs) -> Result<u8, Error> {
    let region = sdk.region().ok_or(Error::NoRegion)?.to_string();
    let template = Template::read(&args.template_file)?;
    let given = given(&args.parameters)?;
    let run = deploy::run_name();
    let mut audit = Audit::open(&args.audit_log, &run, &args.stack_name)?;
    let sdk = match &args.role_arn {
        Some(role) => aws::assume_role(&sdk, role).await,
        None => sdk,
    };
    let terminal = std::io::stdout().is_terminal();
    let request = deploy::Request {
        stack: args.stack_name,
        template,
        template_url: args.template_url,
        given,
        capabilities: args.capabilities,
        role_arn: args.role_arn,
        region,
        approval: Approval::from(args.yes, terminal && std::io::stdin().is_terminal()),
        every: Duration::from_secs(args.poll_seconds),
    };
    let mut out = Output::new(std::io::stdout(), terminal);
    let clients = deploy::Clients::new(&sdk);
    Ok(deploy::deploy(&clients, &request, &run, &mut out, &mut audit).await)
}

/// The parameters given: the file's, then the overrides (which win, coming last).
fn given(args: &ParameterArgs) -> Result<Vec<(String, String)>, Error> {
    let mut pairs = Vec::new();
    if let Some(path) = &args.parameters_file {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::file("parameters file", &shown, e))?;
        pairs.extend(file_pairs(&shown, &text)?);
    }
    for pair in &args.parameter_overrides {
        pairs.push(split_pair(pair)?);
    }
    Ok(pairs)
}

/// The template's defaults, then the parameters given.
fn parameters(args: &ParameterArgs) -> Result<Parameters, Error> {
    let mut parameters = Parameters::default();
    for (key, value) in given(args)? {
        parameters.set(&key, &value)?;
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
        for command in ["verify", "deploy"] {
            let mut cli = Cli::command();
            let sub = cli.find_subcommand_mut(command).expect(command);
            let help = sub.render_long_help().to_string();
            assert!(help.contains(&format!("Exit codes ({command})")), "{help}");
        }
    }
}
