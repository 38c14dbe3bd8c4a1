//! The AWS calls of one Create, one Update and one Delete of the Rust function, next to
//! the fewest calls the function's contract allows (the README's "AWS calls" lists both).

use std::time::Duration;

use harness::{Binary, Function, Moto, Stack};
use serde_json::{json, Map, Value};

use crate::emulators::Emulators;
use crate::subjects::Subject;

/// The request types counted, in order.
const COUNTED: [&str; 3] = ["Create", "Update", "Delete"];

/// The operations of each request type ([`COUNTED`]), in call order.
pub(crate) struct Counted([Vec<String>; 3]);

impl Counted {
    /// The AWS operations the Rust function calls for one Create, one Update and one
    /// Delete (in that order, on one warm process), counted at the proxy in front of moto
    /// (every JSON and query protocol service) and at the Security Hub emulator.
    pub(crate) async fn of(subject: &Subject, moto: &'static Moto, properties: &Value) -> Self {
        let mut emulators = Emulators::start(subject, moto).await;
        let function =
            Function::launch(Binary::Shipped(subject.name), moto, &emulators.env()).await;
        let mut stack = Stack::new(
            &function,
            "bench-calls",
            subject.resource_type,
            subject.logical_id,
        );
        let mut calls: [Vec<String>; 3] = Default::default();
        for (index, request_type) in COUNTED.into_iter().enumerate() {
            if index > 0 {
                // Security Hub takes one BatchEnableStandards per second and account: an Update
                // sent within that second would count the service's refusal and the retry.
                tokio::time::sleep(Duration::from_millis(1100)).await;
            }
            emulators.count_from_here();
            let response = match request_type {
                "Create" => stack.create(properties.clone()).await,
                "Update" => stack.update((subject.update)(properties)).await,
                _ => stack.delete().await,
            };
            assert_eq!(
                response.status(),
                "SUCCESS",
                "{} {request_type}: {}\noutput:\n{}",
                subject.name,
                response.body(),
                function.output()
            );
            calls[index] = emulators.calls();
        }
        Self(calls)
    }

    /// Prints each request type's calls beside the minimum; returns them as JSON.
    pub(crate) fn report(&self, subject: &Subject) -> Value {
        println!(
            "\nAWS calls of {} (one Create, Update, Delete; counted at a proxy in front of moto{}):",
            subject.name,
            if subject.security_hub.is_some() {
                " and at the Security Hub emulator"
            } else {
                ""
            }
        );
        let mut report = Map::new();
        for ((request_type, made), minimum) in
            COUNTED.iter().zip(&self.0).zip(subject.minimum_calls)
        {
            println!(
                "  {request_type:<6} {:>2} calls (minimum {:>2}): {}",
                made.len(),
                minimum.len(),
                summarize(made)
            );
            report.insert(
                request_type.to_lowercase(),
                json!({"count": made.len(), "calls": made, "minimum": minimum.len(), "minimum_calls": minimum}),
            );
        }
        Value::Object(report)
    }

    /// Whether every request type made exactly the operations of its minimum, each as many
    /// times: fewer calls than the declared minimum would mean the declaration is stale (or
    /// a call the contract needs went missing), so it misses too.
    pub(crate) fn at_minimum(&self, subject: &Subject) -> bool {
        self.0
            .iter()
            .zip(subject.minimum_calls)
            .all(|(made, minimum)| same_calls(made, minimum))
    }

    /// `Create 1/1, Update 1/1, Delete 0/0`: made/minimum per request type.
    pub(crate) fn line(&self, subject: &Subject) -> String {
        COUNTED
            .iter()
            .zip(&self.0)
            .zip(subject.minimum_calls)
            .map(|((request_type, made), minimum)| {
                format!("{request_type} {}/{}", made.len(), minimum.len())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether `made` holds exactly the operations of `minimum`, each as many times.
fn same_calls(made: &[String], minimum: &[&str]) -> bool {
    let mut made: Vec<&str> = made.iter().map(String::as_str).collect();
    let mut minimum = minimum.to_vec();
    made.sort_unstable();
    minimum.sort_unstable();
    made == minimum
}

/// `A, B ×2, C`: each operation once, in first-call order, with its count.
fn summarize(calls: &[String]) -> String {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for call in calls {
        match seen.iter_mut().find(|(name, _)| name == call) {
            Some((_, count)) => *count += 1,
            None => seen.push((call, 1)),
        }
    }
    if seen.is_empty() {
        return "none".into();
    }
    seen.iter()
        .map(|(name, count)| match count {
            1 => (*name).to_owned(),
            n => format!("{name} ×{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
