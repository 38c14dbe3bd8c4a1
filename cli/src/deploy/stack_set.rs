//! `baseline deploy --stack-set`: a service-managed stack set with automatic deployment to
//! organizational units, created or updated, its instances rolled out with operation
//! preferences, each operation followed to its end and its results shown per account and
//! region (a custom resource's reason code and the runbook's "what to do" where that is
//! the cause); the README's caveats checked first ([`super::caveats`]); every step in the
//! audit log.

use std::io::Write;
use std::time::Duration;

use aws_sdk_cloudformation::types::{
    AutoDeployment, CallAs, DeploymentTargets, ManagedExecution, PermissionModels,
    RegionConcurrencyType, StackSetOperationPreferences, StackSetOperationResultSummary,
};
use aws_sdk_cloudformation::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;
use serde_json::json;

use super::audit::{self, Audit};
use super::caveats::{self, CONTROL_TOWER_CONFIG};
use super::change_set::{capabilities, parameter};
use super::events::{custom_failure, Outcome, RootCause};
use super::output::Output;
use super::{show_parameters, Clients, Deployment, Ending};
use crate::aws::why;
use crate::baseline::Parameters;

/// What `deploy --stack-set` is asked.
#[derive(Clone, Debug)]
pub struct Request {
    /// The stack set's name.
    pub name: String,
    /// The template (translated to plain CloudFormation: `dist/stackset-template.json`),
    /// its parameters and how the run goes.
    pub deployment: Deployment,
    /// The organizational units (or the root) deployed to, automatically to accounts
    /// that join them later.
    pub org_units: Vec<String>,
    /// The regions, in the order the operation goes through them.
    pub regions: Vec<String>,
    /// How the operation rolls out.
    pub preferences: Preferences,
    /// `SELF` (the management account) or `DELEGATED_ADMIN`.
    pub call_as: String,
    /// Keep the stacks of an account that leaves the OUs.
    pub retain_stacks: bool,
    /// Deploy despite the caveats that refuse it.
    pub force: bool,
}

/// The operation preferences: how many accounts at once, how many may fail, regions one
/// after another or in parallel. `RegionOrder` is the order of `--regions`; the API
/// reference: "RegionOrder isn't followed if AutoDeployment is enabled.", and
/// "StackSetOperationPreferences don't apply to AutoDeployment, even if it's enabled."
/// (accounts that join an OU later).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Preferences {
    /// `MaxConcurrentCount`
    pub max_concurrent_count: Option<i32>,
    /// `MaxConcurrentPercentage`
    pub max_concurrent_percentage: Option<i32>,
    /// `FailureToleranceCount`
    pub failure_tolerance_count: Option<i32>,
    /// `FailureTolerancePercentage`
    pub failure_tolerance_percentage: Option<i32>,
    /// `RegionConcurrencyType`: `SEQUENTIAL` or `PARALLEL`.
    pub region_concurrency: String,
}

impl Preferences {
    fn to_sdk(&self, regions: &[String]) -> StackSetOperationPreferences {
        StackSetOperationPreferences::builder()
            .region_concurrency_type(RegionConcurrencyType::from(
                self.region_concurrency.as_str(),
            ))
            .set_region_order(Some(regions.to_vec()))
            .set_max_concurrent_count(self.max_concurrent_count)
            .set_max_concurrent_percentage(self.max_concurrent_percentage)
            .set_failure_tolerance_count(self.failure_tolerance_count)
            .set_failure_tolerance_percentage(self.failure_tolerance_percentage)
            .build()
    }

    fn shown(&self) -> String {
        let pair =
            |name: &str, count: Option<i32>, percentage: Option<i32>| match (count, percentage) {
                (Some(count), _) => format!("{name} {count}"),
                (None, Some(percentage)) => format!("{name} {percentage}%"),
                (None, None) => format!("{name} (AWS's default)"),
            };
        format!(
            "{}, {}, regions {}",
            pair(
                "max concurrent",
                self.max_concurrent_count,
                self.max_concurrent_percentage
            ),
            pair(
                "failure tolerance",
                self.failure_tolerance_count,
                self.failure_tolerance_percentage
            ),
            self.region_concurrency
        )
    }
}

/// One account and region of an operation's results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The OU it was deployed through.
    pub org_unit: Option<String>,
    /// `SUCCEEDED`, `FAILED`, `CANCELLED`, `RUNNING`, `PENDING`.
    pub status: String,
    /// CloudFormation's `StatusReason`.
    pub reason: Option<String>,
    /// The resource that failed, read from the reason, and for a custom resource of this
    /// suite its reason code and what to do.
    pub cause: Option<RootCause>,
}

impl Row {
    fn from(result: &StackSetOperationResultSummary) -> Row {
        let status = result.status().map(|s| s.as_str()).unwrap_or_default();
        let reason = result.status_reason();
        Row {
            account: result.account().unwrap_or("?").to_owned(),
            region: result.region().unwrap_or("?").to_owned(),
            org_unit: result.organizational_unit_id().map(str::to_owned),
            status: status.to_owned(),
            reason: reason.map(str::to_owned),
            cause: reason.and_then(|r| cause(status, r)),
        }
    }

    fn failed(&self) -> bool {
        matches!(self.status.as_str(), "FAILED" | "CANCELLED")
    }

    fn shown_reason(&self) -> String {
        match &self.cause {
            Some(RootCause {
                logical_id,
                custom: Some(custom),
                ..
            }) => format!("{logical_id} [{}] {}", custom.code, custom.message),
            Some(cause) => format!("{}: {}", cause.logical_id, cause.reason),
            None => self.reason.clone().unwrap_or_default(),
        }
    }
}

/// The resource that failed inside a result's `StatusReason`, which carries the stack's
/// failure as `ResourceLogicalId:ID, ResourceType:TYPE, ResourceStatusReason:REASON`;
/// for one of this suite's custom resources, its code and what to do.
pub fn cause(status: &str, reason: &str) -> Option<RootCause> {
    let rest = reason.split_once("ResourceLogicalId:")?.1;
    let (logical_id, rest) = rest.split_once(", ResourceType:")?;
    let (resource_type, reason) = rest.split_once(", ResourceStatusReason:")?;
    Some(RootCause {
        logical_id: logical_id.trim().to_owned(),
        resource_type: resource_type.trim().to_owned(),
        status: status.to_owned(),
        reason: reason.trim().to_owned(),
        custom: custom_failure(resource_type.trim(), reason.trim()),
    })
}

/// The results as a table (account, region, status, reason), then one "what to do" line
/// per failed custom resource and reason code.
pub fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            let (account, region) = (r.account.clone(), r.region.clone());
            [account, region, r.status.clone(), r.shown_reason()]
        })
        .collect();
    let mut text = crate::table::columns(["ACCOUNT", "REGION", "STATUS", "REASON"], &cells);
    let mut shown: Vec<(&str, &str)> = Vec::new();
    for row in rows.iter().filter(|r| r.failed()) {
        let Some(cause) = &row.cause else { continue };
        let Some(custom) = &cause.custom else {
            continue;
        };
        let key = (cause.resource_type.as_str(), custom.code.as_str());
        if shown.contains(&key) {
            continue;
        }
        shown.push(key);
        let what = custom
            .what_to_do
            .as_deref()
            .unwrap_or("see docs/runbook.md for this code");
        text.push_str(&format!(
            "what to do ({} {}, {}): {what}\n",
            cause.logical_id, custom.code, cause.resource_type
        ));
    }
    text
}

/// The OUs and regions a `CreateStackInstances` still has to cover: `present` holds the
/// (OU, region) of each instance; every requested pair missing makes its OU and region
/// part of the call (an instance that exists already is left as it is).
pub fn missing(
    org_units: &[String],
    regions: &[String],
    present: &[(Option<String>, String)],
) -> (Vec<String>, Vec<String>) {
    let mut units = Vec::new();
    let mut wanted = Vec::new();
    for unit in org_units {
        for region in regions {
            let there = present
                .iter()
                .any(|(u, r)| u.as_deref() == Some(unit.as_str()) && r == region);
            if !there {
                if !units.contains(unit) {
                    units.push(unit.clone());
                }
                if !wanted.contains(region) {
                    wanted.push(region.clone());
                }
            }
        }
    }
    let order = |r: &String| regions.iter().position(|x| x == r);
    wanted.sort_by_key(order);
    (units, wanted)
}

/// Whether `text` declares a transform: service-managed stack sets refuse one.
fn has_transform(text: &str) -> bool {
    if text.trim_start().starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        return json.get("Transform").is_some();
    }
    text.lines().any(|l| l.starts_with("Transform:"))
}

/// The stack set's parameters (key, value) when it exists.
async fn describe(
    client: &Client,
    name: &str,
    call_as: &CallAs,
) -> Result<Option<Vec<(String, String)>>, String> {
    let out = client
        .describe_stack_set()
        .stack_set_name(name)
        .call_as(call_as.clone())
        .send()
        .await;
    let out = match out {
        Ok(out) => out,
        // DescribeStackSet, Errors: "StackSetNotFoundException: The specified stack set
        // doesn't exist." A new stack set, then.
        Err(err) if err.code() == Some("StackSetNotFoundException") => return Ok(None),
        Err(err) => return Err(format!("DescribeStackSet {name}: {}", why(&err))),
    };
    let parameters = out.stack_set().map(|s| s.parameters()).unwrap_or_default();
    let pairs = parameters.iter().filter_map(|p| {
        let key = p.parameter_key()?.to_owned();
        Some((key, p.parameter_value().unwrap_or_default().to_owned()))
    });
    Ok(Some(pairs.collect()))
}

/// Whether Control Tower's Config stack set is among the management account's active
/// stack sets.
async fn control_tower(client: &Client) -> Result<bool, String> {
    let pages = client
        .list_stack_sets()
        .status(aws_sdk_cloudformation::types::StackSetStatus::Active)
        .call_as(CallAs::SelfValue);
    let sets = pages.into_paginator().items().send().try_collect().await;
    let sets = sets.map_err(|e| format!("ListStackSets: {}", why(&e)))?;
    Ok(sets.iter().any(|s| {
        s.stack_set_name()
            .is_some_and(|n| n.starts_with(CONTROL_TOWER_CONFIG))
    }))
}

/// Each instance's (OU, region).
async fn instances(
    client: &Client,
    name: &str,
    call_as: &CallAs,
) -> Result<Vec<(Option<String>, String)>, String> {
    let pages = client
        .list_stack_instances()
        .stack_set_name(name)
        .call_as(call_as.clone());
    let items = pages.into_paginator().items().send().try_collect().await;
    let items = items.map_err(|e| format!("ListStackInstances {name}: {}", why(&e)))?;
    Ok(items
        .iter()
        .map(|i| {
            let unit = i.organizational_unit_id().map(str::to_owned);
            (unit, i.region().unwrap_or_default().to_owned())
        })
        .collect())
}

/// Polls operation `id` until it ends (`SUCCEEDED`, `FAILED`, `STOPPED`), printing each
/// status it passes through; answers the last status and its reason.
async fn wait<O: Write>(
    client: &Client,
    name: &str,
    id: &str,
    call_as: &CallAs,
    every: Duration,
    out: &mut Output<O>,
) -> Result<(String, Option<String>), String> {
    let mut last = String::new();
    loop {
        let described = client
            .describe_stack_set_operation()
            .stack_set_name(name)
            .operation_id(id)
            .call_as(call_as.clone())
            .send()
            .await;
        let described =
            described.map_err(|e| format!("DescribeStackSetOperation {id}: {}", why(&e)))?;
        let operation = described.stack_set_operation();
        let status = operation.and_then(|o| o.status()).map(|s| s.as_str());
        let status = status.unwrap_or_default().to_owned();
        let reason = operation.and_then(|o| o.status_reason()).map(str::to_owned);
        if status != last {
            let because = reason.as_deref().map(|r| format!(": {r}"));
            out.line(&format!(
                "{}  operation {id} {status}{}",
                audit::now().get(11..19).unwrap_or_default(),
                because.unwrap_or_default()
            ));
            last.clone_from(&status);
        }
        if matches!(status.as_str(), "SUCCEEDED" | "FAILED" | "STOPPED") {
            return Ok((status, reason));
        }
        tokio::time::sleep(every).await;
    }
}

/// Every result of operation `id`, all pages.
async fn results(
    client: &Client,
    name: &str,
    id: &str,
    call_as: &CallAs,
) -> Result<Vec<Row>, String> {
    let pages = client
        .list_stack_set_operation_results()
        .stack_set_name(name)
        .operation_id(id)
        .call_as(call_as.clone());
    let items = pages.into_paginator().items().send().try_collect().await;
    let items = items.map_err(|e| format!("ListStackSetOperationResults {id}: {}", why(&e)))?;
    Ok(items.iter().map(Row::from).collect())
}

/// Deploys the stack set of `request`: prints to `out`, records to `audit`, answers the
/// exit code.
pub async fn deploy<O: Write, A: Write>(
    clients: &Clients,
    request: &Request,
    out: &mut Output<O>,
    audit: &mut Audit<A>,
) -> u8 {
    let ending = steps(clients, request, out, audit)
        .await
        .unwrap_or_else(Ending::Error);
    super::finish(&ending, out, audit)
}

async fn steps<O: Write, A: Write>(
    clients: &Clients,
    request: &Request,
    out: &mut Output<O>,
    audit: &mut Audit<A>,
) -> Result<Ending, String> {
    let cfn = &clients.cloudformation;
    let call_as = CallAs::from(request.call_as.as_str());
    let identity = super::identity(clients).await?;
    let existing = describe(cfn, &request.name, &call_as).await?;
    let previous: Vec<String> = existing.iter().flatten().map(|(k, _)| k.clone()).collect();
    let deployment = &request.deployment;
    let template = &deployment.template;
    let sent = template
        .to_send(&deployment.given, &previous)
        .map_err(|e| e.to_string())?;
    let shown = template.shown(&sent);
    // What the instances will run with: defaults, then the stack set's, then the given.
    let mut effective = Parameters::default();
    for (key, value) in existing.iter().flatten().chain(&deployment.given) {
        let _ = effective.set(key, value);
    }
    // Control Tower's stack sets are self-managed ones of the management account: a
    // delegated administrator cannot list them.
    let control_tower = match call_as {
        CallAs::DelegatedAdmin => Err("only the management account lists them".to_owned()),
        _ => control_tower(cfn).await,
    };
    let mut start = deployment.start(&identity, &shown);
    for (key, value) in [
        ("call_as", json!(request.call_as)),
        ("stack_set_exists", json!(existing.is_some())),
        ("org_units", json!(request.org_units)),
        ("regions", json!(request.regions)),
        ("preferences", json!(request.preferences)),
        (
            "retain_stacks_on_account_removal",
            json!(request.retain_stacks),
        ),
    ] {
        start[key] = value;
    }
    audit.record("start", start);
    let kind = if existing.is_some() { "update" } else { "new" };
    out.line(&format!(
        "deploying {} (sha256 {}) to stack set {} ({kind}, service-managed, automatic deployment) from {} as {} (call as {})",
        template.path,
        &template.sha256[..12],
        request.name,
        deployment.region,
        identity["arn"].as_str().unwrap_or("?"),
        request.call_as
    ));
    out.line(&format!(
        "targets: {} in {} (in this order); {}",
        request.org_units.join(","),
        request.regions.join(","),
        request.preferences.shown()
    ));
    show_parameters(out, &shown);
    let found = caveats::check(&request.regions, &effective, control_tower);
    for caveat in &found {
        let kind = if caveat.refuse { "caveat" } else { "note" };
        out.line(&format!("{kind}: {}", caveat.text));
    }
    let texts = |refuse: bool| -> Vec<&str> {
        let matching = found.iter().filter(|c| c.refuse == refuse);
        matching.map(|c| c.text.as_str()).collect()
    };
    audit.record(
        "caveats",
        json!({"refused": texts(true), "notes": texts(false), "force": request.force}),
    );
    if !texts(true).is_empty() && !request.force {
        return Ok(Ending::Refused(
            "the caveats above; fix the parameters or regions, or --force to deploy anyway"
                .to_owned(),
        ));
    }
    if has_transform(&template.text) {
        return Ok(Ending::Refused(format!(
            "{} declares a Transform, which service-managed stack sets refuse: use make package's dist/stackset-template.json",
            template.path
        )));
    }
    if let Some(refused) = deployment.too_large() {
        return Ok(refused);
    }
    let (verb, done) = match existing {
        Some(_) => ("Update", "updated"),
        None => ("Create", "created"),
    };
    let question = format!("{verb} stack set {} and roll it out?", request.name);
    if let Err(why) = deployment.approve(&question, out, audit) {
        return Ok(Ending::Refused(format!(
            "stack set {} not {done} ({why})",
            request.name
        )));
    }
    let mut failed = false;
    let (org_units, regions) = match existing {
        None => {
            create_set(cfn, request, &sent, &call_as).await?;
            (request.org_units.clone(), request.regions.clone())
        }
        Some(_) => {
            let id = update_set(cfn, request, &sent, &call_as).await?;
            failed |= follow(cfn, request, &id, "UPDATE", &call_as, out, audit).await?;
            let present = instances(cfn, &request.name, &call_as).await?;
            missing(&request.org_units, &request.regions, &present)
        }
    };
    if !org_units.is_empty() {
        let id = create_instances(cfn, request, &org_units, &regions, &call_as).await?;
        failed |= follow(cfn, request, &id, "CREATE", &call_as, out, audit).await?;
    }
    let outcome = if failed {
        Outcome::Failed
    } else {
        Outcome::Deployed
    };
    Ok(Ending::Ran(outcome, None))
}

/// Follows operation `id` to its end, prints and records its results; answers whether it
/// failed anywhere.
async fn follow<O: Write, A: Write>(
    cfn: &Client,
    request: &Request,
    id: &str,
    action: &str,
    call_as: &CallAs,
    out: &mut Output<O>,
    audit: &mut Audit<A>,
) -> Result<bool, String> {
    let name = &request.name;
    out.line(&format!("operation {id} ({action}) started"));
    let (status, reason) = wait(cfn, name, id, call_as, request.deployment.every, out).await?;
    let rows = results(cfn, name, id, call_as).await?;
    audit.record(
        "operation",
        json!({"id": id, "action": action, "status": status, "reason": reason, "results": rows}),
    );
    let failures = rows.iter().filter(|r| r.failed()).count();
    out.line(&format!(
        "operation {id} ({action}) {status}: {} accounts and regions, {failures} failed or cancelled",
        rows.len()
    ));
    if !rows.is_empty() {
        out.line(&table(&rows));
    }
    Ok(status != "SUCCEEDED" || failures > 0)
}

/// Automatic deployment to accounts that join the OUs; their stacks kept or deleted when
/// they leave, as asked.
fn auto_deployment(request: &Request) -> AutoDeployment {
    AutoDeployment::builder()
        .enabled(true)
        .retain_stacks_on_account_removal(request.retain_stacks)
        .build()
}

async fn create_set(
    client: &Client,
    request: &Request,
    sent: &[super::template::Sent],
    call_as: &CallAs,
) -> Result<(), String> {
    client
        .create_stack_set()
        .stack_set_name(&request.name)
        .description("baseline deploy --stack-set")
        .permission_model(PermissionModels::ServiceManaged)
        .auto_deployment(auto_deployment(request))
        .managed_execution(ManagedExecution::builder().active(true).build())
        .call_as(call_as.clone())
        .set_capabilities(Some(capabilities(&request.deployment.capabilities)))
        .set_parameters(Some(sent.iter().map(parameter).collect()))
        .set_template_body(request.deployment.template_body())
        .set_template_url(request.deployment.template_url.clone())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("CreateStackSet {}: {}", request.name, why(&e)))
}

async fn update_set(
    client: &Client,
    request: &Request,
    sent: &[super::template::Sent],
    call_as: &CallAs,
) -> Result<String, String> {
    let out = client
        .update_stack_set()
        .stack_set_name(&request.name)
        .description("baseline deploy --stack-set")
        .permission_model(PermissionModels::ServiceManaged)
        .auto_deployment(auto_deployment(request))
        .managed_execution(ManagedExecution::builder().active(true).build())
        .operation_preferences(request.preferences.to_sdk(&request.regions))
        .call_as(call_as.clone())
        .set_capabilities(Some(capabilities(&request.deployment.capabilities)))
        .set_parameters(Some(sent.iter().map(parameter).collect()))
        .set_template_body(request.deployment.template_body())
        .set_template_url(request.deployment.template_url.clone())
        .send()
        .await
        .map_err(|e| format!("UpdateStackSet {}: {}", request.name, why(&e)))?;
    out.operation_id()
        .map(str::to_owned)
        .ok_or_else(|| "UpdateStackSet answered no operation id".to_owned())
}

async fn create_instances(
    client: &Client,
    request: &Request,
    org_units: &[String],
    regions: &[String],
    call_as: &CallAs,
) -> Result<String, String> {
    let targets = DeploymentTargets::builder()
        .set_organizational_unit_ids(Some(org_units.to_vec()))
        .build();
    let out = client
        .create_stack_instances()
        .stack_set_name(&request.name)
        .deployment_targets(targets)
        .set_regions(Some(regions.to_vec()))
        .operation_preferences(request.preferences.to_sdk(regions))
        .call_as(call_as.clone())
        .send()
        .await
        .map_err(|e| format!("CreateStackInstances {}: {}", request.name, why(&e)))?;
    out.operation_id()
        .map(str::to_owned)
        .ok_or_else(|| "CreateStackInstances answered no operation id".to_owned())
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::operation::create_stack_instances::CreateStackInstancesOutput;
    use aws_sdk_cloudformation::operation::create_stack_set::CreateStackSetOutput;
    use aws_sdk_cloudformation::operation::describe_stack_set::{
        DescribeStackSetError, DescribeStackSetOutput,
    };
    use aws_sdk_cloudformation::operation::describe_stack_set_operation::DescribeStackSetOperationOutput;
    use aws_sdk_cloudformation::operation::list_stack_instances::ListStackInstancesOutput;
    use aws_sdk_cloudformation::operation::list_stack_set_operation_results::ListStackSetOperationResultsOutput;
    use aws_sdk_cloudformation::operation::list_stack_sets::ListStackSetsOutput;
    use aws_sdk_cloudformation::operation::update_stack_set::UpdateStackSetOutput;
    use aws_sdk_cloudformation::types::{
        Parameter, StackInstanceSummary, StackSet, StackSetOperation,
        StackSetOperationResultStatus, StackSetOperationStatus, StackSetSummary,
    };
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;
    use serde_json::Value;

    use super::*;
    use crate::deploy::prompt::Approval;
    use crate::deploy::template::Template;

    const TEMPLATE: &str = r#"{"Parameters": {"GlobalResourceTypesRegion": {"Type": "String"}, "EnableSecurityHub": {"Type": "String"}, "ArtifactBucketPrefix": {"Type": "String"}}, "Resources": {}}"#;

    /// A result's reason as CloudFormation words a stack instance whose ConfigSetup answered
    /// FAILED: the stack's failure, its resource and the function's answer.
    const NOT_ACTIVE: &str = "ResourceLogicalId:ConfigSetup, ResourceType:Custom::ConfigSetup, ResourceStatusReason:Received response status [FAILED] from custom resource. Message returned: [NOT_ACTIVE] the recorder does not record: lastStatus Failure (RequestId: 0b6c2b8e-3f1c-4d0e-9a8e-1f2e3d4c5b6a).";

    fn request(given: &[(&str, &str)], regions: &[&str]) -> Request {
        let given = given
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        Request {
            name: "security-baseline".into(),
            deployment: Deployment {
                template: Template::new("dist/stackset-template.json", TEMPLATE.into()),
                template_url: None,
                given: given.collect(),
                capabilities: vec!["CAPABILITY_IAM".into()],
                role_arn: None,
                region: "eu-west-1".into(),
                approval: Approval::Given,
                every: Duration::ZERO,
            },
            org_units: vec!["ou-ab12-11111111".into(), "ou-ab12-22222222".into()],
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            preferences: Preferences {
                max_concurrent_percentage: Some(25),
                failure_tolerance_count: Some(1),
                region_concurrency: "SEQUENTIAL".into(),
                ..Preferences::default()
            },
            call_as: "DELEGATED_ADMIN".into(),
            retain_stacks: false,
            force: false,
        }
    }

    const HOME: (&str, &str) = ("GlobalResourceTypesRegion", "eu-west-1");
    const NO_HUB: (&str, &str) = ("EnableSecurityHub", "false");

    fn sts() -> aws_sdk_sts::Client {
        let identity = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            GetCallerIdentityOutput::builder()
                .account("111111111111")
                .arn("arn:aws:sts::111111111111:assumed-role/stacksets-admin/baseline-deploy")
                .build()
        });
        mock_client!(aws_sdk_sts, [&identity])
    }

    fn no_stack_set() -> Rule {
        mock!(Client::describe_stack_set).then_error(|| {
            let meta = ErrorMetadata::builder().code("StackSetNotFoundException");
            DescribeStackSetError::generic(
                meta.message("StackSet security-baseline not found").build(),
            )
        })
    }

    fn operation(status: StackSetOperationStatus) -> DescribeStackSetOperationOutput {
        let operation = StackSetOperation::builder().status(status).build();
        DescribeStackSetOperationOutput::builder()
            .stack_set_operation(operation)
            .build()
    }

    fn result(
        account: &str,
        region: &str,
        status: &str,
        reason: Option<&str>,
    ) -> StackSetOperationResultSummary {
        StackSetOperationResultSummary::builder()
            .account(account)
            .region(region)
            .organizational_unit_id("ou-ab12-11111111")
            .status(StackSetOperationResultStatus::from(status))
            .set_status_reason(reason.map(str::to_owned))
            .build()
    }

    async fn run(cloudformation: Client, request: &Request) -> (u8, String, Vec<Value>) {
        let clients = Clients {
            cloudformation,
            sts: sts(),
        };
        let mut out = Output::new(Vec::new(), false);
        let mut audit = Audit::to(Vec::new(), "baseline-1", &request.name);
        let code = deploy(&clients, request, &mut out, &mut audit).await;
        let printed = String::from_utf8(out.writer().clone()).unwrap();
        let log = String::from_utf8(audit.writer().clone()).unwrap();
        let lines = log.lines().map(|l| serde_json::from_str(l).unwrap());
        (code, printed, lines.collect())
    }

    /// Asserts that `printed` shows each of `texts`.
    fn shows(printed: &str, texts: &[&str]) {
        for text in texts {
            assert!(printed.contains(text), "{text:?} not in\n{printed}");
        }
    }

    fn records(lines: &[Value]) -> Vec<&str> {
        lines
            .iter()
            .map(|l| l["record"].as_str().unwrap())
            .collect()
    }

    /// A new stack set: created, its instances rolled out in the regions' order, the
    /// operation followed until it fails, one account's ConfigSetup answered NOT_ACTIVE.
    #[tokio::test]
    async fn a_new_stack_set_rolls_out_and_a_failed_custom_resource_gives_its_code_and_what_to_do()
    {
        let create_set = mock!(Client::create_stack_set)
            .match_requests(|r| {
                r.permission_model() == Some(&PermissionModels::ServiceManaged)
                    && r.auto_deployment().and_then(|a| a.enabled()) == Some(true)
                    && r.auto_deployment()
                        .and_then(|a| a.retain_stacks_on_account_removal())
                        == Some(false)
                    && r.call_as() == Some(&CallAs::DelegatedAdmin)
                    && r.capabilities().len() == 1
                    && r.template_body() == Some(TEMPLATE)
            })
            .then_output(|| {
                CreateStackSetOutput::builder()
                    .stack_set_id("security-baseline:1")
                    .build()
            });
        let create_instances = mock!(Client::create_stack_instances)
            .match_requests(|r| {
                let targets = r.deployment_targets().unwrap();
                let preferences = r.operation_preferences().unwrap();
                targets.organizational_unit_ids().len() == 2
                    && r.regions() == ["eu-west-1", "eu-central-1"]
                    && preferences.region_order() == ["eu-west-1", "eu-central-1"]
                    && preferences.max_concurrent_percentage() == Some(25)
                    && preferences.failure_tolerance_count() == Some(1)
                    && preferences.region_concurrency_type()
                        == Some(&RegionConcurrencyType::Sequential)
            })
            .then_output(|| {
                CreateStackInstancesOutput::builder()
                    .operation_id("op-1")
                    .build()
            });
        let describe = mock!(Client::describe_stack_set_operation)
            .sequence()
            .output(|| operation(StackSetOperationStatus::Running))
            .output(|| operation(StackSetOperationStatus::Running))
            .output(|| operation(StackSetOperationStatus::Failed))
            .build();
        let results = mock!(Client::list_stack_set_operation_results).then_output(|| {
            ListStackSetOperationResultsOutput::builder()
                .summaries(result("222222222222", "eu-west-1", "SUCCEEDED", None))
                .summaries(result(
                    "333333333333",
                    "eu-west-1",
                    "FAILED",
                    Some(NOT_ACTIVE),
                ))
                .summaries(result(
                    "444444444444",
                    "eu-west-1",
                    "CANCELLED",
                    Some("Cancelled since failure tolerance has exceeded"),
                ))
                .build()
        });
        let no_set = no_stack_set();
        let cloudformation = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&no_set, &create_set, &create_instances, &describe, &results]
        );
        let request = request(&[HOME, NO_HUB], &["eu-west-1", "eu-central-1"]);
        let (code, printed, lines) = run(cloudformation, &request).await;

        assert_eq!(code, super::super::events::EXIT_FAILED, "{printed}");
        assert_eq!(
            (create_set.num_calls(), create_instances.num_calls()),
            (1, 1)
        );
        assert_eq!(describe.num_calls(), 3, "polled until FAILED");
        assert_eq!(
            printed.matches("operation op-1 RUNNING").count(),
            1,
            "{printed}"
        );
        for shown in [
            "to stack set security-baseline (new, service-managed, automatic deployment) from eu-west-1",
            "targets: ou-ab12-11111111,ou-ab12-22222222 in eu-west-1,eu-central-1 (in this order); max concurrent 25%, failure tolerance 1, regions SEQUENTIAL",
            "operation op-1 (CREATE) FAILED: 3 accounts and regions, 2 failed or cancelled",
            "ACCOUNT       REGION     STATUS     REASON",
            "222222222222  eu-west-1  SUCCEEDED\n",
            "333333333333  eu-west-1  FAILED     ConfigSetup [NOT_ACTIVE] the recorder does not record: lastStatus Failure\n",
            "444444444444  eu-west-1  CANCELLED  Cancelled since failure tolerance has exceeded",
            "what to do (ConfigSetup NOT_ACTIVE, Custom::ConfigSetup): ",
            "note: one recorder per region: whether Control Tower records could not be read (only the management account lists them)",
        ] {
            assert!(printed.contains(shown), "{shown:?} not in\n{printed}");
        }
        assert!(printed.ends_with("failed (exit 6)\n"), "{printed}");

        assert_eq!(
            records(&lines),
            ["start", "caveats", "approval", "operation", "outcome"]
        );
        assert_eq!(lines[0]["call_as"], "DELEGATED_ADMIN");
        assert_eq!(lines[0]["stack_set_exists"], false);
        assert_eq!(lines[0]["regions"][1], "eu-central-1");
        assert_eq!(lines[1]["refused"], serde_json::json!([]));
        let failed = &lines[3]["results"][1];
        assert_eq!(failed["account"], "333333333333");
        assert_eq!(failed["cause"]["custom"]["code"], "NOT_ACTIVE");
        assert!(failed["cause"]["custom"]["what_to_do"]
            .as_str()
            .is_some_and(|w| !w.is_empty()));
        assert_eq!(lines[4]["exit_code"], 6);
    }

    /// An existing stack set: updated (the parameters not given keep their values), then
    /// instances created only for the OU not deployed yet.
    #[tokio::test]
    async fn an_update_keeps_previous_parameters_and_adds_only_what_is_missing() {
        let existing = mock!(Client::describe_stack_set).then_output(|| {
            let previous = |key: &str, value: &str| {
                Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build()
            };
            let set = StackSet::builder()
                .parameters(previous("GlobalResourceTypesRegion", "eu-west-1"))
                .parameters(previous("EnableSecurityHub", "false"))
                .parameters(previous("ArtifactBucketPrefix", "acme"))
                .build();
            DescribeStackSetOutput::builder().stack_set(set).build()
        });
        let update = mock!(Client::update_stack_set)
            .match_requests(|r| {
                let kept = r
                    .parameters()
                    .iter()
                    .filter(|p| p.use_previous_value() == Some(true));
                kept.count() == 3 && r.operation_preferences().is_some()
            })
            .then_output(|| {
                UpdateStackSetOutput::builder()
                    .operation_id("op-update")
                    .build()
            });
        let present = mock!(Client::list_stack_instances).then_output(|| {
            let instance = |region: &str| {
                StackInstanceSummary::builder()
                    .organizational_unit_id("ou-ab12-11111111")
                    .account("222222222222")
                    .region(region)
                    .build()
            };
            ListStackInstancesOutput::builder()
                .summaries(instance("eu-west-1"))
                .summaries(instance("eu-central-1"))
                .build()
        });
        let create_instances = mock!(Client::create_stack_instances)
            .match_requests(|r| {
                r.deployment_targets().unwrap().organizational_unit_ids() == ["ou-ab12-22222222"]
            })
            .then_output(|| {
                CreateStackInstancesOutput::builder()
                    .operation_id("op-add")
                    .build()
            });
        let describe = mock!(Client::describe_stack_set_operation)
            .then_output(|| operation(StackSetOperationStatus::Succeeded));
        let results = mock!(Client::list_stack_set_operation_results).then_output(|| {
            ListStackSetOperationResultsOutput::builder()
                .summaries(result("222222222222", "eu-west-1", "SUCCEEDED", None))
                .build()
        });
        let cloudformation = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [
                &existing,
                &update,
                &present,
                &create_instances,
                &describe,
                &results
            ]
        );
        let request = request(&[], &["eu-west-1", "eu-central-1"]);
        let (code, printed, lines) = run(cloudformation, &request).await;

        assert_eq!(code, 0, "{printed}");
        assert_eq!((update.num_calls(), create_instances.num_calls()), (1, 1));
        shows(
            &printed,
            &[
                "(update, service-managed",
                "operation op-update (UPDATE) SUCCEEDED",
                "operation op-add (CREATE) SUCCEEDED",
            ],
        );
        assert!(printed.ends_with("deployed (exit 0)\n"), "{printed}");
        let kinds = records(&lines);
        assert_eq!(
            kinds,
            [
                "start",
                "caveats",
                "approval",
                "operation",
                "operation",
                "outcome"
            ]
        );
        assert_eq!(
            lines[0]["parameters"]["ArtifactBucketPrefix"],
            "(previous value)"
        );
    }

    /// The caveats refuse before anything is created: a region twice, and no single
    /// region for global resource types; Control Tower's stack set is named in a note.
    #[tokio::test]
    async fn a_refusing_caveat_stops_before_any_change_unless_forced() {
        let create_set =
            mock!(Client::create_stack_set).then_output(|| CreateStackSetOutput::builder().build());
        let tower = mock!(Client::list_stack_sets).then_output(|| {
            let summary = StackSetSummary::builder()
                .stack_set_name("AWSControlTowerBP-BASELINE-CONFIG")
                .build();
            ListStackSetsOutput::builder().summaries(summary).build()
        });
        let no_set = no_stack_set();
        let cloudformation = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&no_set, &tower, &create_set]
        );
        let mut request = request(&[], &["eu-west-1", "eu-west-1"]);
        request.call_as = "SELF".into();
        let (code, printed, lines) = run(cloudformation, &request).await;

        assert_eq!(code, super::super::events::EXIT_REFUSED, "{printed}");
        assert_eq!(create_set.num_calls(), 0);
        shows(
            &printed,
            &[
                "caveat: one recorder per region: eu-west-1 is named twice",
                "caveat: global resource types once per account",
                "note: one recorder per region: Control Tower records",
                "note: Security Hub administrator and members",
                "refused: the caveats above",
            ],
        );
        assert_eq!(records(&lines), ["start", "caveats", "outcome"]);
        assert_eq!(lines[1]["refused"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_result_reason_names_the_failed_resource_and_a_custom_one_its_code() {
        let cause = cause("FAILED", NOT_ACTIVE).unwrap();
        assert_eq!(
            (cause.logical_id.as_str(), cause.resource_type.as_str()),
            ("ConfigSetup", "Custom::ConfigSetup")
        );
        let custom = cause.custom.unwrap();
        assert_eq!(custom.code, "NOT_ACTIVE");
        assert_eq!(
            custom.message,
            "the recorder does not record: lastStatus Failure"
        );
        let plain = "ResourceLogicalId:LogsKey, ResourceType:AWS::KMS::Key, ResourceStatusReason:Access denied.";
        let cause = super::cause("FAILED", plain).unwrap();
        assert_eq!(
            (cause.reason.as_str(), cause.custom),
            ("Access denied.", None)
        );
        assert_eq!(
            super::cause(
                "CANCELLED",
                "Cancelled since failure tolerance has exceeded"
            ),
            None
        );
    }

    #[test]
    fn only_the_ous_and_regions_with_an_instance_missing_are_created() {
        let units = ["ou-a".to_owned(), "ou-b".to_owned()];
        let regions = ["eu-west-1".to_owned(), "us-east-1".to_owned()];
        let at = |u: &str, r: &str| (Some(u.to_owned()), r.to_owned());
        let all = [
            at("ou-a", "eu-west-1"),
            at("ou-a", "us-east-1"),
            at("ou-b", "eu-west-1"),
            at("ou-b", "us-east-1"),
        ];
        assert_eq!(missing(&units, &regions, &all), (vec![], vec![]));
        assert_eq!(
            missing(&units, &regions, &all[..3]),
            (vec!["ou-b".to_owned()], vec!["us-east-1".to_owned()])
        );
        assert_eq!(
            missing(&units, &regions, &[]),
            (units.to_vec(), regions.to_vec())
        );
        assert!(has_transform(
            "Transform: AWS::Serverless-2016-10-31\nResources: {}\n"
        ));
        assert!(has_transform(
            r#"{"Transform": "AWS::Serverless-2016-10-31"}"#
        ));
        assert!(!has_transform(TEMPLATE));
    }
}
