//! `make bench`: each function in its shipped profile against its Python crhelper + boto3
//! peer (`bench/peer/`), measured in the same run, the same way, alternating.
//!
//! Per run and implementation: queue a Create on a fresh Runtime API, then spawn the
//! process (as Lambda does: the event is waiting at the first poll); measure spawn → first
//! Runtime API poll and spawn → response PUT; then warm invocations on the same process;
//! then its peak RSS (VmHWM). Every invocation's wall time comes with the implementation's
//! own time: the wall time less the time its AWS calls spent in the emulators, timed per
//! call at a proxy in front of each ([`emulators`]), so that the ratio does not depend on
//! the emulators' speed. Rust and Python take turns (and turns at going first). Also the
//! binary sizes (x86-64, arm64). Prints median, min and max per metric and implementation
//! with the ratios, and writes JSON (`bench/results/<function>.json`).
//!
//! Then the AWS calls of one Create, one Update and one Delete of the Rust function,
//! counted at a proxy in front of moto and at the Security Hub emulator, next to the
//! fewest calls the function's contract allows (the README's "AWS calls" lists both).
//!
//! Another function joins by adding a [`subjects::Subject`] to [`subjects::SUBJECTS`] (and
//! its peer to `bench/peer/`). Benched: kms-ready, config-setup (each cold Create in an
//! account without recorder, channel or rules), securityhub-enable (each run against a
//! fresh Security Hub emulator, so every cold Create enables the hub),
//! securityhub-standards (each run against a fresh emulator with the hub enabled and no
//! standards; a standard is `READY` at the first read, so neither implementation sleeps
//! between polls).

mod args;
mod calls;
mod emulators;
mod report;
mod run;
mod stats;
mod subjects;

use harness::Moto;

use crate::args::Args;
use crate::calls::Counted;
use crate::report::Measured;
use crate::run::{python_versions, run_once, Implementation, WARM_INVOCATIONS_PER_RUN};
use crate::stats::Samples;
use crate::subjects::{Subject, SUBJECTS};

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let moto = Moto::shared();
    for subject in SUBJECTS.iter().filter(|s| args.benches(s.name)) {
        let report = bench(subject, args.runs, moto).await;
        for path in args.json_paths(subject.name) {
            report::write(path, &report);
        }
        println!();
    }
}

/// Both implementations of `subject`, `runs` times each, taking turns; then the Rust
/// function's calls; prints and returns the report.
async fn bench(subject: &Subject, runs: usize, moto: &'static Moto) -> serde_json::Value {
    let properties = (subject.seed)(moto).await;
    let mut rust = Measured {
        launch: Implementation::Rust.launch(subject),
        samples: Samples::default(),
    };
    let mut python = Measured {
        launch: Implementation::Python.launch(subject),
        samples: Samples::default(),
    };
    let versions = python_versions(&python.launch);
    println!(
        "{} bench: {runs} runs each, alternating, {WARM_INVOCATIONS_PER_RUN} warm invocations per run\n  Rust:   {}\n  Python: {} ({versions})",
        subject.name,
        rust.launch.describe(),
        python.launch.describe(),
    );
    for run in 0..runs {
        let order = if run % 2 == 0 {
            [Implementation::Rust, Implementation::Python]
        } else {
            [Implementation::Python, Implementation::Rust]
        };
        for implementation in order {
            let measured = match implementation {
                Implementation::Rust => &mut rust,
                Implementation::Python => &mut python,
            };
            run_once(
                subject,
                implementation,
                run,
                moto,
                &properties,
                &mut measured.samples,
            )
            .await;
        }
    }
    let counted = Counted::of(subject, moto, &properties).await;
    report::report(subject, runs, &rust, &python, &versions, &counted)
}
