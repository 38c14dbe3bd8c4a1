//! The `OnDelete` choice. Create and Update record it with the ownership record, so a
//! Delete whose properties do not parse still follows it.

use cfn_custom_resource_kit::{DeletePlan, Failure, Ledger, Outcome, Ownership, RequestContext};
use serde::Deserialize;

/// What Delete does to what the resource enabled (the hub, the standards). What it
/// adopted (enabled before it) it never disables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum OnDelete {
    /// Disable what this resource enabled.
    #[default]
    Disable,
    /// Leave everything enabled.
    Retain,
}

/// Create and Update: reads this resource's ownership record (one of another stack's
/// resource refuses) and records `on_delete` in it.
pub async fn read_ownership(
    ledger: &Ledger,
    context: &RequestContext,
    on_delete: OnDelete,
) -> Result<Ownership, Failure> {
    context.step("reading the ownership record");
    let mut ownership = ledger.read(context).await?;
    let retain = on_delete == OnDelete::Retain;
    ledger
        .record_on_delete(context, &mut ownership, retain)
        .await?;
    Ok(ownership)
}

/// Delete's first step: reads the ownership record and plans by the properties'
/// `on_delete` (`None` when they do not parse: the recorded choice decides).
pub async fn plan_delete(
    ledger: &Ledger,
    context: &RequestContext,
    on_delete: Option<OnDelete>,
) -> Result<DeletePlan, Failure> {
    context.step("reading the ownership record");
    let retain = on_delete.map(|choice| choice == OnDelete::Retain);
    ledger.plan_delete(context, retain).await
}

/// Delete's last step: erases the ownership record and answers `summary`.
pub async fn erase_ownership(
    ledger: &Ledger,
    context: &RequestContext,
    ownership: &Ownership,
    summary: impl Into<String>,
) -> Result<Outcome, Failure> {
    context.step("erasing the ownership record");
    ledger.erase(context, ownership).await?;
    context.step_done();
    Ok(Outcome::new().with_summary(summary))
}
