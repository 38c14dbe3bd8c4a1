//! The runner of a suite's cases: each its own task, so that one case's panic is its
//! outcome and the others run on.

use std::any::Any;
use std::future::Future;

/// What a suite's cases gave.
pub(crate) struct Outcomes<T> {
    /// Each case's output, in order; none where it panicked.
    pub(crate) outputs: Vec<Option<T>>,
    /// Each case that panicked: its label and the panic's message.
    failures: Vec<String>,
}

impl<T> Outcomes<T> {
    /// Fails naming every case that failed.
    pub(crate) fn assert_passed(&self) {
        assert!(
            self.failures.is_empty(),
            "{} of {} case(s) failed:\n{}",
            self.failures.len(),
            self.outputs.len(),
            self.failures.join("\n")
        );
    }
}

/// Runs each labelled case as its own task, at once unless `one_at_a_time`.
pub(crate) async fn run_all<T, F>(cases: Vec<(String, F)>, one_at_a_time: bool) -> Outcomes<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let mut pending = Vec::new();
    let mut ended = Vec::new();
    for (label, case) in cases {
        let task = tokio::spawn(case);
        if one_at_a_time {
            ended.push((label, task.await));
        } else {
            pending.push((label, task));
        }
    }
    for (label, task) in pending {
        ended.push((label, task.await));
    }
    let mut outcomes = Outcomes {
        outputs: Vec::new(),
        failures: Vec::new(),
    };
    for (label, ended) in ended {
        match ended {
            Ok(output) => outcomes.outputs.push(Some(output)),
            Err(error) => {
                let message = match error.try_into_panic() {
                    Ok(panic) => message(panic.as_ref()),
                    Err(_) => "cancelled".to_owned(),
                };
                outcomes.failures.push(format!("{label}:\n  {message}"));
                outcomes.outputs.push(None);
            }
        }
    }
    outcomes
}

/// Runs the labelled cases at once; once all are over, fails naming every case that failed.
pub(crate) async fn all_pass<T, F>(cases: Vec<(String, F)>)
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    run_all(cases, false).await.assert_passed();
}

/// A panic's message.
fn message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|m| (*m).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}
