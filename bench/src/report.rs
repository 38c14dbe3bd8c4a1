//! What one function's bench prints and writes: the table of both implementations with
//! the ratios, the AWS calls, the targets met or missed, and the JSON report.

use std::path::PathBuf;

use harness::function::{target_dir, Launch};
use serde_json::{json, Map, Value};

use crate::calls::Counted;
use crate::run::WARM_INVOCATIONS_PER_RUN;
use crate::stats::{Metric, Samples};
use crate::subjects::Subject;

/// The performance targets: the cold Create's own time at most 1/40 of the Python peer's,
/// peak RSS at most 8 MiB and 1/6 of the peer's, the first poll within 5 ms, arm64 ≤ 6 MiB.
const TARGET_SPEEDUP: f64 = 40.0;
const TARGET_RSS_RATIO: f64 = 6.0;
const TARGET_RSS_MB: f64 = 8.0;
const TARGET_FIRST_POLL_MS: f64 = 5.0;
const TARGET_ARM64_MB: f64 = 6.0;

/// One implementation as measured.
pub(crate) struct Measured {
    pub(crate) launch: Launch,
    pub(crate) samples: Samples,
}

/// The bootstrap sizes in MiB (x86-64, arm64), `None` where not built.
struct Sizes {
    x86_64: Option<f64>,
    arm64: Option<f64>,
}

impl Sizes {
    fn of(subject: &Subject) -> Self {
        let target = target_dir();
        let size = |lambda_dir: &str| {
            let path = target.join(lambda_dir).join(subject.name).join("bootstrap");
            std::fs::metadata(path)
                .ok()
                .map(|m| m.len() as f64 / 1_048_576.0)
        };
        Self {
            x86_64: size("lambda"),
            arm64: size("lambda-arm64"),
        }
    }

    fn json(&self) -> Value {
        json!({"x86_64": self.x86_64, "arm64": self.arm64})
    }
}

fn show_size(size: Option<f64>) -> String {
    size.map(|s| format!("{s:.2} MiB"))
        .unwrap_or_else(|| "n/a (not built)".into())
}

fn row(metric: &str, ours: &str, python: &str, ratio: &str) {
    println!("| {metric:<38} | {ours:>24} | {python:>26} | {ratio:>15} |");
}

/// Prints the comparison, the calls and the targets; returns the JSON report.
pub(crate) fn report(
    subject: &Subject,
    runs: usize,
    rust: &Measured,
    python: &Measured,
    versions: &str,
    counted: &Counted,
) -> Value {
    let sizes = Sizes::of(subject);
    println!();
    row(
        &format!("metric: median (min–max), {runs} runs"),
        subject.name,
        "Python crhelper + boto3",
        "Python ÷ Rust",
    );
    println!(
        "|{}|{}|{}|{}|",
        "-".repeat(40),
        "-".repeat(26),
        "-".repeat(28),
        "-".repeat(17)
    );
    let mut rust_json = Map::new();
    let mut python_json = Map::new();
    let mut ratios = Map::new();
    for metric in Metric::ALL {
        let (ours, theirs) = (rust.samples.stats(metric), python.samples.stats(metric));
        let ratio = theirs.median / ours.median;
        row(
            metric.label(),
            &ours.show(metric.unit()),
            &theirs.show(metric.unit()),
            &format!("{ratio:.1}×"),
        );
        rust_json.insert(metric.key().into(), ours.json(rust.samples.of(metric)));
        python_json.insert(metric.key().into(), theirs.json(python.samples.of(metric)));
        ratios.insert(metric.key().into(), json!(ratio));
    }
    row("binary size x86-64", &show_size(sizes.x86_64), "", "");
    row("binary size arm64", &show_size(sizes.arm64), "", "");
    let in_emulators = |measured: &Measured| {
        measured.samples.median(Metric::ColdCreate) - measured.samples.median(Metric::ColdCreateOwn)
    };
    println!(
        "  own time: the wall time less the emulators' time answering the calls, timed at a \
         proxy per call; cold Create: Rust {:.1} ms, Python {:.1} ms in the emulators (medians)",
        in_emulators(rust),
        in_emulators(python),
    );

    let calls = counted.report(subject);

    let median = |measured: &Measured, metric| measured.samples.median(metric);
    let speedup = median(python, Metric::ColdCreateOwn) / median(rust, Metric::ColdCreateOwn);
    let wall_speedup = median(python, Metric::ColdCreate) / median(rust, Metric::ColdCreate);
    let rss_ratio = median(python, Metric::PeakRss) / median(rust, Metric::PeakRss);
    let first_poll = median(rust, Metric::FirstPoll);
    let rss = median(rust, Metric::PeakRss);
    let checks = [
        (
            format!("process start → first poll ≤ {TARGET_FIRST_POLL_MS} ms ({first_poll:.1} ms)"),
            Some(first_poll <= TARGET_FIRST_POLL_MS),
        ),
        (
            format!(
                "cold Create's own time ≥ {TARGET_SPEEDUP}× shorter than the peer's \
                 ({speedup:.1}×; wall time {wall_speedup:.1}×)"
            ),
            Some(speedup >= TARGET_SPEEDUP),
        ),
        (
            format!("peak RSS ≤ {TARGET_RSS_MB} MiB ({rss:.1} MiB)"),
            Some(rss <= TARGET_RSS_MB),
        ),
        (
            format!("peak RSS ≥ {TARGET_RSS_RATIO}× smaller than the peer's ({rss_ratio:.1}×)"),
            Some(rss_ratio >= TARGET_RSS_RATIO),
        ),
        (
            format!(
                "arm64 bootstrap ≤ {TARGET_ARM64_MB} MiB ({})",
                show_size(sizes.arm64)
            ),
            // Not measured (no arm64 build) is neither met nor missed.
            sizes.arm64.map(|s| s <= TARGET_ARM64_MB),
        ),
        (
            format!(
                "AWS calls are the contract's minimum, made/minimum ({})",
                counted.line(subject)
            ),
            Some(counted.at_minimum(subject)),
        ),
    ];
    println!();
    for (check, met) in &checks {
        let verdict = match met {
            Some(true) => "meets ",
            Some(false) => "MISSES",
            None => "n/a   ",
        };
        println!("  {verdict} {check}");
    }
    let targets_met = checks.iter().all(|(_, met)| *met == Some(true));

    // The Rust function's times and peak RSS (not its RSS split).
    let medians: Map<String, Value> = Metric::ALL[..=Metric::PeakRss as usize]
        .iter()
        .map(|&metric| (metric.key().to_owned(), json!(median(rust, metric))))
        .collect();
    json!({
        "function": subject.name,
        "runs": runs,
        "order": "alternating: Rust first on runs 1, 3, 5, …; Python first on runs 2, 4, …",
        "warm_invocations_per_run": WARM_INVOCATIONS_PER_RUN,
        "own_time": "wall time less the emulators' time answering the implementation's AWS calls, \
            summed per call at a proxy in front of each emulator",
        "rust": {
            "profile": "release (cargo lambda build --release)",
            "command": rust.launch.describe(),
            "metrics": rust_json,
            "binary_size_mb": sizes.json(),
        },
        "python_crhelper_boto3": {
            "command": python.launch.describe(),
            "versions": versions,
            "metrics": python_json,
        },
        "median": medians,
        "binary_size_mb": sizes.json(),
        "aws_calls": calls,
        "ratios_python_over_rust": ratios,
        "ratios": {
            "cold_create_speedup": speedup,
            "cold_create_wall_speedup": wall_speedup,
            "peak_rss_ratio": rss_ratio,
        },
        "targets": {
            "start_to_first_poll_ms": TARGET_FIRST_POLL_MS,
            "cold_create_speedup": TARGET_SPEEDUP,
            "peak_rss_mb": TARGET_RSS_MB,
            "peak_rss_ratio": TARGET_RSS_RATIO,
            "arm64_bootstrap_mib": TARGET_ARM64_MB,
            "aws_calls": "at most the contract's minimum per request type",
        },
        "targets_met": targets_met,
    })
}

/// Where the report goes: `path`, its folder created.
pub(crate) fn write(path: PathBuf, report: &Value) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create the report folder");
    }
    std::fs::write(&path, serde_json::to_string_pretty(report).unwrap())
        .expect("write the JSON report");
    println!("wrote {}", path.display());
}
