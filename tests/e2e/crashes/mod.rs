//! Crash and redelivery after every AWS call. Lambda kills a process at its timeout;
//! CloudFormation (and Lambda) then deliver the same request again, to a new process.
//!
//! For each function that makes account state, and each request of its lifecycle
//! (Create; Update after a Create; Delete after both), the reference is the request
//! played uninterrupted: its answer, the state it leaves and its N AWS calls, counted
//! at the fault proxy. Then for each k in 1..=N, in a fresh world: the steps before,
//! cleanly; the request, with the proxy forwarding call k and holding its answer (the
//! service acted, the function never hears of it); the process killed there, no answer
//! PUT; the same request (same RequestId, same ids) delivered to a new process. It must
//! answer as the reference did (status, PhysicalResourceId, Data and Reason: see
//! [`TIMING_NOTE`] and [`REASON_DIFFERS`]) and leave the same state (the ledger's
//! records, and the recorder, channel and rules or the hub and standards; a stale
//! singleton record only as the kit allows, taken over by the next claimer); after a
//! Create or an Update, the following Delete must succeed and leave the clean end
//! state: it removes exactly what was made. docs/reliability.md keeps the figures.

mod world;

use std::time::{Duration, Instant};

use harness::{CfnResponse, Stack};

use crate::lifecycle::{self, Detail, Shared, Step, Subject, World, LIFECYCLE};
use world::{response_path, STACK};

/// The Lambda timeout of the killed invocation: never reached, the kill comes first.
const KILLED_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a request may take to reach the call whose answer is held.
const REACH: Duration = Duration::from_secs(30);

/// The one part of a Reason whose presence depends on timing: whether AWS Config still
/// deletes a rule when the request reads it back (a deletion "can take an hour or
/// more", or be over at once). Compared without it: (where it starts, how it ends).
const TIMING_NOTE: (&str, &str) = (
    "; AWS Config is still deleting rule(s) ",
    "finishes on its own)",
);

/// Crash points from which the redelivery answers the uninterrupted run's outcome and
/// state with another Reason: (function, request, first call, its operation, words the
/// Reason must hold). A Delete redelivered after the killed one disabled or removed what
/// the resource made, or erased its record, cannot say what that one did; its Reason must
/// still be true: nothing of the resource's is left.
const REASON_DIFFERS: [(&str, Step, usize, &str, &str); 3] = [
    // The record is erased: "nothing this resource created remains" (the killed Delete
    // removed it; AWS Config's deletion under way goes unsaid).
    (
        "config-setup",
        Step::Delete,
        10,
        "DeleteParameter",
        "nothing this resource created remains",
    ),
    // The record is erased: "this resource did not enable the hub, or an earlier delivery
    // of this Delete already disabled it".
    (
        "securityhub-enable",
        Step::Delete,
        5,
        "DeleteParameter",
        "or an earlier delivery of this Delete already disabled it",
    ),
    // The standard shows as disabled: "the standards this resource enabled are already
    // disabled"; once the record is erased: "this resource enabled no standard, or an
    // earlier delivery of this Delete already disabled them".
    (
        "securityhub-standards",
        Step::Delete,
        4,
        "GetEnabledStandards",
        "already disabled",
    ),
];

/// What CloudFormation reads from an answer: the outcome (status, PhysicalResourceId,
/// Data less what differs between runs by nature, NoEcho) and the Reason.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Answer {
    outcome: String,
    reason: String,
}

impl Answer {
    fn of(response: &CfnResponse) -> Self {
        let outcome = format!(
            "{} {} data {:?} no-echo {}",
            response.status(),
            response.physical_id(),
            lifecycle::data(response),
            response.body()["NoEcho"]
        );
        Self {
            outcome,
            reason: response.reason().to_owned(),
        }
    }

    /// The Reason less [`TIMING_NOTE`].
    fn timeless_reason(&self) -> String {
        let (head, tail) = TIMING_NOTE;
        let Some(start) = self.reason.find(head) else {
            return self.reason.clone();
        };
        let end = self.reason[start..]
            .find(tail)
            .map_or(self.reason.len(), |at| start + at + tail.len());
        format!("{}{}", &self.reason[..start], &self.reason[end..])
    }

    /// Asserts the same outcome, and unless `reason_may_differ` the same Reason (less
    /// [`TIMING_NOTE`]); returns whether that note made the difference.
    fn assert_as(&self, expected: &Answer, reason_may_differ: bool, what: &str) -> bool {
        assert_eq!(self.outcome, expected.outcome, "{what}: the outcome");
        if !reason_may_differ {
            assert_eq!(
                self.timeless_reason(),
                expected.timeless_reason(),
                "{what}: the Reason (full: {:?}, expected {:?})",
                self.reason,
                expected.reason
            );
        }
        !reason_may_differ && self.reason != expected.reason
    }
}

/// What the uninterrupted request did.
#[derive(Clone, Debug)]
struct Played {
    answer: Answer,
    state: Vec<String>,
    /// The AWS calls it made, in order, at the proxy.
    calls: Vec<String>,
}

/// The uninterrupted runs: the lifecycle (Create, Update, Delete), and a Delete right
/// after the Create (what follows a crashed Create).
#[derive(Clone, Debug)]
struct Reference {
    lifecycle: Vec<Played>,
    delete_after_create: Played,
}

impl Reference {
    /// What the Delete following `step` answers and leaves.
    fn delete_after(&self, step: Step) -> &Played {
        match step {
            Step::Create => &self.delete_after_create,
            _ => &self.lifecycle[2],
        }
    }
}

/// Sends `step` and expects one `SUCCESS`; CloudFormation then holds its id.
async fn play(world: &World, stack: &mut Stack<'_>, step: Step, label: &str) -> CfnResponse {
    world.before(step).await;
    let event = world.event(stack, step);
    let response = stack.send(&event).await;
    assert_eq!(response.puts.len(), 1, "{label}: {step:?} answered once");
    assert_eq!(
        response.status(),
        "SUCCESS",
        "{label}: {step:?}: {}",
        response.reason()
    );
    world.succeeded(stack, step, response.physical_id());
    response
}

/// `steps` played uninterrupted in a fresh world: what each answers, leaves and calls.
async fn played(subject: Subject, shared: &Shared, steps: &[Step]) -> Vec<Played> {
    let world = World::start(subject, shared).await;
    let mut stack = world.stack(STACK);
    let mut played = Vec::new();
    for &step in steps {
        world.proxy.reset_calls();
        let response = play(&world, &mut stack, step, subject.name()).await;
        played.push(Played {
            answer: Answer::of(&response),
            state: world.state(Detail::Full).await,
            calls: world.proxy.calls(),
        });
    }
    played
}

async fn reference(subject: Subject, shared: &Shared) -> Reference {
    let lifecycle = played(subject, shared, &LIFECYCLE).await;
    let mut short = played(subject, shared, &[Step::Create, Step::Delete]).await;
    Reference {
        lifecycle,
        delete_after_create: short.remove(1),
    }
}

/// One crash point: `step` killed once call `call` (1-based) acted.
#[derive(Clone, Debug)]
struct Case {
    step: Step,
    call: usize,
}

impl Case {
    fn label(&self, subject: Subject, reference: &Reference) -> String {
        let operation = &reference.lifecycle[self.index()].calls[self.call - 1];
        format!(
            "{} {:?} killed after call {} ({operation})",
            subject.name(),
            self.step,
            self.call
        )
    }

    fn index(&self) -> usize {
        LIFECYCLE.iter().position(|s| *s == self.step).unwrap()
    }

    /// The words the Reason must hold when [`REASON_DIFFERS`] lists this crash point
    /// (checking that the listed call is still the operation named there).
    fn reason_differs(&self, subject: Subject, reference: &Reference) -> Option<&'static str> {
        REASON_DIFFERS
            .iter()
            .find(|&&(name, step, from, operation, _)| {
                if (name, step) != (subject.name(), self.step) {
                    return false;
                }
                let calls = &reference.lifecycle[self.index()].calls;
                assert_eq!(
                    calls.get(from - 1).map(String::as_str),
                    Some(operation),
                    "{name} {step:?}: REASON_DIFFERS names call {from}: {calls:?}"
                );
                self.call >= from
            })
            .map(|&(.., words)| words)
    }
}

/// What one crash point showed.
#[derive(Clone, Debug)]
struct Tried {
    /// The redelivered answer's Reason lacked (or added) AWS Config's [`TIMING_NOTE`].
    timing_note: bool,
    /// The redelivered Delete left a stale singleton record, taken over by the next claimer.
    stale_singleton: bool,
}

/// Runs one case.
async fn run(subject: Subject, shared: Shared, reference: Reference, case: Case) -> Tried {
    let label = case.label(subject, &reference);
    let mut world = World::start(subject, &shared).await;
    let mut stack = world.stack(STACK);
    let index = case.index();
    for &step in &LIFECYCLE[..index] {
        play(&world, &mut stack, step, &label).await;
    }
    world.before(case.step).await;
    let event = world.event(&mut stack, case.step);
    let path = response_path(event["RequestId"].as_str().unwrap());
    world.proxy.stall_answer(case.call);
    let _lost = world.function.queue(event.clone(), KILLED_TIMEOUT);
    let started = Instant::now();
    let expected = &reference.lifecycle[index];
    loop {
        if let Some(held) = world.proxy.answers_held().pop() {
            assert_eq!(
                held,
                expected.calls[case.call - 1],
                "{label}: call {} is the reference's (calls: {:?})",
                case.call,
                world.proxy.calls()
            );
            break;
        }
        let answered = world.function.responses().requests_to(&path).len();
        assert!(
            answered == 0 && started.elapsed() < REACH,
            "{label}: the request never reached call {} (calls: {:?}, answered: {answered})",
            case.call,
            world.proxy.calls(),
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Lambda kills the process at its timeout; the request is delivered again to a new
    // execution environment (same RequestId, same ids), and calls are answered again.
    let held_by_cloudformation = (stack.physical_id.clone(), stack.properties.clone());
    drop(stack);
    world.function.restart().await;
    assert!(
        world.function.responses().requests_to(&path).is_empty(),
        "{label}: the killed process answered nothing"
    );
    let mut stack = world.stack(STACK);
    (stack.physical_id, stack.properties) = held_by_cloudformation;
    let response = stack.send(&event).await;
    assert_eq!(
        response.puts.len(),
        1,
        "{label}: the redelivery answered once"
    );
    let truth = case.reason_differs(subject, &reference);
    let timing_note = Answer::of(&response).assert_as(
        &expected.answer,
        truth.is_some(),
        &format!("{label}: the redelivery answers as the uninterrupted run"),
    );
    if let Some(words) = truth {
        let reason = response.reason();
        assert!(
            reason.contains(words),
            "{label}: the redelivered Reason must say {words:?}: {reason}"
        );
    }
    let state = world.state(Detail::Full).await;
    let stale: Vec<&String> = state
        .iter()
        .filter(|s| !expected.state.contains(s))
        .collect();
    let stale_singleton = case.step == Step::Delete
        && !stale.is_empty()
        && stale.iter().all(|s| s.starts_with("ledger /singleton/"));
    if stale_singleton {
        // The kit erases the record, then the singleton records it held: "a crash in
        // between leaves stale singleton records, which the next claimer takes over".
        let kept: Vec<&String> = state.iter().filter(|s| !stale.contains(s)).collect();
        let expected: Vec<&String> = expected.state.iter().collect();
        assert_eq!(kept, expected, "{label}: the uninterrupted run's state");
        next_claimer_takes_over(&world, &reference, &label).await;
    } else {
        assert_eq!(
            state, expected.state,
            "{label}: the uninterrupted run's state"
        );
    }
    if case.step != Step::Delete {
        world.succeeded(&mut stack, case.step, response.physical_id());
        let deleted = play(&world, &mut stack, Step::Delete, &label).await;
        let expected = reference.delete_after(case.step);
        Answer::of(&deleted).assert_as(
            &expected.answer,
            false,
            &format!("{label}: the following Delete"),
        );
        assert_eq!(
            world.state(Detail::Full).await,
            expected.state,
            "{label}: the following Delete leaves the clean end state"
        );
    }
    Tried {
        timing_note,
        stale_singleton,
    }
}

/// Another stack's Create, then its Delete: it creates the singleton (it does not adopt
/// it because of a stale record), and its Delete leaves the clean end state.
async fn next_claimer_takes_over(world: &World, reference: &Reference, label: &str) {
    let label = format!("{label}: the next claimer");
    if matches!(world.subject, Subject::ConfigSetup) {
        // Its rule's name is free again once AWS Config finished deleting it.
        harness::Moto::shared().finish_rule_deletions().await;
    }
    let mut stack = world.stack("crashes-next");
    play(world, &mut stack, Step::Create, &label).await;
    play(world, &mut stack, Step::Delete, &label).await;
    assert_eq!(
        world.state(Detail::Full).await,
        reference.delete_after_create.state,
        "{label}: its Delete leaves the clean end state"
    );
}

/// Every crash point of every request, or those `sample` keeps.
fn cases(reference: &Reference, sample: impl Fn(Step, usize) -> bool) -> Vec<Case> {
    LIFECYCLE
        .iter()
        .zip(&reference.lifecycle)
        .flat_map(|(&step, r)| (1..=r.calls.len()).map(move |call| Case { step, call }))
        .filter(|case| sample(case.step, case.call))
        .collect()
}

/// Runs every case of `subject` (at once unless it must run alone), prints the crash
/// points tried per request, and fails naming every case that failed.
async fn suite(subject: Subject) {
    let alone = subject.alone().await;
    let started = Instant::now();
    let shared = subject.shared().await;
    let reference = reference(subject, &shared).await;
    let cases = cases(&reference, |_, _| true);
    let runs = cases.iter().map(|case| {
        let run = run(subject, shared.clone(), reference.clone(), case.clone());
        (case.label(subject, &reference), run)
    });
    let outcomes = lifecycle::run_all(runs.collect(), alone.is_some()).await;
    let tried: Vec<(&Case, &Option<Tried>)> = cases.iter().zip(&outcomes.outputs).collect();
    println!(
        "{}: {} crash points in {:.0} s",
        subject.name(),
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    // The figures: per request, its calls, the crash points tried (k: killed once call k
    // acted), those whose Reason differs (REASON_DIFFERS), those whose Reason differed by
    // AWS Config's TIMING_NOTE only, those that left a stale
    // singleton record the next claimer took over, and those that failed.
    let points = |step: Step, keep: &dyn Fn(&Case, &Option<Tried>) -> bool| {
        let calls: Vec<String> = tried
            .iter()
            .filter(|(case, outcome)| case.step == step && keep(case, outcome))
            .map(|(case, _)| case.call.to_string())
            .collect();
        if calls.is_empty() {
            "none".to_owned()
        } else {
            format!("{} ({})", calls.len(), calls.join(" "))
        }
    };
    for (&step, played) in LIFECYCLE.iter().zip(&reference.lifecycle) {
        println!(
            "| {} | {step:?} | {} | {} | {} | {} | {} | {} |",
            subject.name(),
            played.calls.len(),
            points(step, &|_, _| true),
            points(step, &|case, _| case
                .reason_differs(subject, &reference)
                .is_some()),
            points(step, &|_, outcome| outcome
                .as_ref()
                .is_some_and(|t| t.timing_note)),
            points(step, &|_, outcome| {
                outcome.as_ref().is_some_and(|t| t.stale_singleton)
            }),
            points(step, &|_, outcome| outcome.is_none()),
        );
    }
    for (&step, played) in LIFECYCLE.iter().zip(&reference.lifecycle) {
        println!(
            "{} {step:?} calls: {}",
            subject.name(),
            played.calls.join(", ")
        );
    }
    outcomes.assert_passed();
}

/// Each function that makes account state (kms-ready only reads) ends as uninterrupted;
/// their suites run at once, each printing its figures.
#[tokio::test(flavor = "multi_thread")]
async fn each_function_making_state_ends_as_uninterrupted_after_a_crash_at_every_call() {
    let making_state = [
        Subject::ConfigSetup,
        Subject::SecurityHubEnable,
        Subject::SecurityHubStandards,
    ];
    let suites = making_state.map(|subject| (subject.name().to_owned(), suite(subject)));
    lifecycle::all_pass(suites.into()).await;
}
