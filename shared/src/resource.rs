//! The lifecycle trait each function implements.

use std::future::Future;

use crate::context::RequestContext;
use crate::failure::Failure;
use crate::properties::ResourceProperties;
use crate::response::Outcome;

/// A custom resource type: typed properties and the three lifecycle handlers.
///
/// Handlers return the PhysicalResourceId and `Data` in an [`Outcome`], or a coded
/// [`Failure`]. The runner parses the properties first (bad ones never reach
/// `create`/`update`), enforces the deadline, catches panics and sends the response.
pub trait CustomResource: Send + Sync + 'static {
    /// The resource's properties.
    type Properties: ResourceProperties;

    /// The resource's runbook: what each reason code it answers means, what to check,
    /// what to do (codes it does not list fall back to [`crate::COMMON_REMEDIES`]). A
    /// `FAILED` reason ends with the entry's "what to do".
    const RUNBOOK: &'static [crate::Remedy] = &[];

    /// Creates (or adopts) the resource. [`RequestContext::new_physical_id`] gives a stable id.
    fn create(
        &self,
        context: &RequestContext,
        properties: Self::Properties,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send;

    /// Brings the resource to `properties`. `old` is `None` when the old properties do
    /// not parse (e.g. they belonged to a Create that failed on them). Returning another
    /// physical id than [`RequestContext::physical_id`] means replacement.
    ///
    /// By default, [`Self::create`] with the new properties, keeping the id: right for a
    /// resource whose Create converges to its properties (a check, a wait, a setting);
    /// one that must compare with `old` implements this.
    fn update(
        &self,
        context: &RequestContext,
        properties: Self::Properties,
        old: Option<Self::Properties>,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send {
        drop(old);
        self.create(context, properties)
    }

    /// Removes what this resource owns. `properties` is `None` when they do not parse:
    /// Delete then does only what needs no properties, and should succeed.
    ///
    /// By default, nothing: right for a resource that creates nothing (a check, a wait),
    /// and the safe side for any other, which implements this to remove what it made.
    fn delete(
        &self,
        context: &RequestContext,
        properties: Option<Self::Properties>,
    ) -> impl Future<Output = Result<Outcome, Failure>> + Send {
        let _ = (context, properties);
        std::future::ready(Ok(Outcome::new().with_summary("nothing to undo")))
    }
}
