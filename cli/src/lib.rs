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
  6  failed without a rollback; with --stack-set: an operation failed, or failed or was
     cancelled in an account and region (the table names them)
  7  refused: nothing changed (declined at the prompt, no --yes off a terminal, a stack that
     cannot be updated as it stands, a template too large without --template-url; with
     --stack-set: a caveat without --force, a template with a Transform)";

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
    /// `make package` or `sam build`): code locations in S3, not local paths. With
    /// --stack-set, `make package`'s dist/stackset-template.json (no transform).
    #[arg(long, value_name = "FILE")]
    template_file: Option<String>,
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
    #[command(flatten)]
    stack_set: StackSetArgs,
}

/// A service-managed stack set instead of a stack.
#[derive(Debug, Args)]
#[group(id = "stack_set_args", multiple = true, requires = "stack_set")]
struct StackSetArgs {
    /// Deploy a service-managed stack set of this name (automatic deployment to the OUs)
    /// instead of a stack.
    #[arg(long, value_name = "NAME", requires_all = ["org_units", "regions"], group = "stack_set_args")]
    stack_set: Option<String>,
    /// The organizational units (or the root, r-...) to deploy to, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "OU")]
    org_units: Vec<String>,
    /// The regions, comma-separated, in the order the operation goes through them.
    #[arg(long, value_delimiter = ',', value_name = "REGION")]
    regions: Vec<String>,
    /// SELF (the management account) or DELEGATED_ADMIN (a delegated StackSets administrator).
    #[arg(long, default_value = "SELF", value_parser = ["SELF", "DELEGATED_ADMIN"])]
    call_as: String,
    /// Accounts deployed to at once, per region (else --max-concurrent-percentage).
    #[arg(long, value_name = "N", conflicts_with = "max_concurrent_percentage")]
    max_concurrent_count: Option<i32>,
    /// Percentage of the accounts deployed to at once, per region.
    #[arg(long, value_name = "PERCENT", default_value_t = 25)]
    max_concurrent_percentage: i32,
    /// Accounts that may fail, per region, before the operation stops there (else
    /// --failure-tolerance-percentage).
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "failure_tolerance_percentage"
    )]
    failure_tolerance_count: Option<i32>,
    /// Percentage of the accounts that may fail, per region.
    #[arg(long, value_name = "PERCENT", default_value_t = 10)]
    failure_tolerance_percentage: i32,
    /// Regions one after another (in --regions' order) or all at once.
    #[arg(long, default_value = "SEQUENTIAL", value_parser = ["SEQUENTIAL", "PARALLEL"])]
    region_concurrency: String,
    /// Keep the stacks of an account that leaves the OUs (else they are deleted).
    #[arg(long)]
    retain_stacks_on_account_removal: bool,
    /// Deploy although a caveat refuses it (a region twice, no single
    /// GlobalResourceTypesRegion, ExistingRecorder=Fail where Control Tower records).
    #[arg(long)]
    force: bool,
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
    let default_template = match &args.stack_set.stack_set {
        Some(_) => "dist/stackset-template.json",
        None => "packaged.yaml",
    };
    let template = Template::read(args.template_file.as_deref().unwrap_or(default_template))?;
    let given = given(&args.parameters)?;
    let run = deploy::run_name();
    let target = args
        .stack_set
        .stack_set
        .as_ref()
        .unwrap_or(&args.stack_name);
    let mut audit = Audit::open(&args.audit_log, &run, target)?;
    let sdk = match &args.role_arn {
        Some(role) => aws::assume_role(&sdk, role).await,
        None => sdk,
    };
    let terminal = std::io::stdout().is_terminal();
    let approval = Approval::from(args.yes, terminal && std::io::stdin().is_terminal());
    let every = Duration::from_secs(args.poll_seconds);
    let mut out = Output::new(std::io::stdout(), terminal);
    let clients = deploy::Clients::new(&sdk);
    let set = args.stack_set;
    let deployment = deploy::Deployment {
        template,
        template_url: args.template_url,
        given,
        capabilities: args.capabilities,
        role_arn: args.role_arn,
        region,
        approval,
        every,
    };
    let Some(name) = set.stack_set else {
        let request = deploy::Request {
            stack: args.stack_name,
            deployment,
        };
        return Ok(deploy::deploy(&clients, &request, &run, &mut out, &mut audit).await);
    };
    // A count wins over a percentage (clap refuses both given); the percentage's default
    // applies only without a count.
    let (max_concurrent_count, max_concurrent_percentage) =
        count_or_percentage(set.max_concurrent_count, set.max_concurrent_percentage);
    let (failure_tolerance_count, failure_tolerance_percentage) = count_or_percentage(
        set.failure_tolerance_count,
        set.failure_tolerance_percentage,
    );
    let request = deploy::stack_set::Request {
        name,
        deployment,
        org_units: set.org_units,
        regions: set.regions,
        preferences: deploy::stack_set::Preferences {
            max_concurrent_count,
            max_concurrent_percentage,
            failure_tolerance_count,
            failure_tolerance_percentage,
            region_concurrency: set.region_concurrency,
        },
        call_as: set.call_as,
        retain_stacks: set.retain_stacks_on_account_removal,
        force: set.force,
    };
    Ok(deploy::stack_set::deploy(&clients, &request, &mut out, &mut audit).await)
}

/// A count, else the percentage.
fn count_or_percentage(count: Option<i32>, percentage: i32) -> (Option<i32>, Option<i32>) {
    (count, count.is_none().then_some(percentage))
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
