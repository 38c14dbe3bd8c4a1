//! The runner of a suite's cases: each its own task, so that one case's panic is its
//! outcome and the others run on.

use std::any::Any;
use std::future::Future;

/// What a case that panicked left: the panic's payload.
pub(crate) type Panic = Box<dyn Any + Send>;

/// Runs each case as its own task, at once unless `one_at_a_time`; returns their
/// outcomes in order.
pub(crate) async fn run_all<T, F>(
    cases: impl IntoIterator<Item = F>,
    one_at_a_time: bool,
) -> Vec<Result<T, Panic>>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let mut pending = Vec::new();
    let mut outcomes = Vec::new();
    for case in cases {
        let task = tokio::spawn(case);
        if one_at_a_time {
            outcomes.push(task.await);
        } else {
            pending.push(task);
        }
    }
    for task in pending {
        outcomes.push(task.await);
    }
    outcomes
        .into_iter()
        .map(|outcome| {
            outcome.map_err(|error| {
                error
                    .try_into_panic()
                    .unwrap_or_else(|_| Box::new("cancelled"))
            })
        })
        .collect()
}

/// A panic's message.
pub(crate) fn message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|m| (*m).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
