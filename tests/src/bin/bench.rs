//! `make bench`: kms-ready in its shipped profile, medians over repeated cold starts.
//!
//! Per run: spawn the binary with a Create already queued (as Lambda does), measure
//! spawn → first Runtime API poll and spawn → response PUT; then warm invocations on
//! the same process; then its peak RSS (VmHWM). Also the binary sizes (x86-64, arm64).
//! Prints a table and writes JSON.

use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_kms::Client;
use harness::cloudformation::DEFAULT_TIMEOUT;
use harness::moto::workspace_root;
use harness::{Binary, Function, Moto, Stack};
use serde_json::json;

/// The Python crhelper + boto3 function doing the same job, measured on this kind of
/// machine (cold Create 0.55 s, peak RSS 54 MB), and the factors we hold kms-ready to.
const PYTHON_COLD_CREATE_MS: f64 = 550.0;
const PYTHON_PEAK_RSS_MB: f64 = 54.0;
const TARGET_SPEEDUP: f64 = 10.0;
const TARGET_RSS_RATIO: f64 = 4.0;
const WARM_INVOCATIONS_PER_RUN: usize = 5;

struct Args {
    runs: usize,
    json: Option<PathBuf>,
}

fn args() -> Args {
    let mut parsed = Args {
        runs: 9,
        json: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => parsed.runs = args.next().and_then(|v| v.parse().ok()).expect("--runs N"),
            "--json" => parsed.json = args.next().map(PathBuf::from),
            other => panic!("unknown argument {other}; usage: bench [--runs N] [--json PATH]"),
        }
    }
    assert!(parsed.runs >= 1, "--runs must be at least 1");
    parsed
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

fn peak_rss_kb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn size_mb(path: PathBuf) -> Option<f64> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.len() as f64 / 1_048_576.0)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args = args();
    let moto = Moto::shared();
    let kms = Client::new(&moto.sdk_config().await);
    let key = kms
        .create_key()
        .send()
        .await
        .expect("moto CreateKey")
        .key_metadata
        .expect("metadata");
    let properties = json!({"KeyId": key.key_id});
    let binary = Binary::Shipped("kms-ready");
    println!(
        "kms-ready bench: {} ({} runs, {} warm invocations each)",
        binary.path().display(),
        args.runs,
        WARM_INVOCATIONS_PER_RUN
    );

    let (mut to_poll, mut to_put, mut warm, mut rss) = (vec![], vec![], vec![], vec![]);
    for run in 0..args.runs {
        let function = Function::start(binary, moto, &[]).await;
        let spawned = function.spawned_at.into_std();
        let mut stack = Stack::new(&function, "bench", "Custom::KmsReady", "KeyReady");
        let event = stack.request("Create", &properties, None);
        let cold = stack.send(&event).await;
        cold.assert_success();
        let put = function
            .responses()
            .requests()
            .first()
            .expect("a PUT")
            .received_at;
        to_put.push(ms(put - spawned));
        to_poll.push(ms(
            function.first_poll().expect("polled").into_std() - spawned
        ));
        for _ in 0..WARM_INVOCATIONS_PER_RUN {
            let event = stack.request("Create", &properties, None);
            let started = std::time::Instant::now();
            function.invoke(event, DEFAULT_TIMEOUT).await;
            warm.push(ms(started.elapsed()));
        }
        let peak = function.pid().and_then(peak_rss_kb).expect("VmHWM") / 1024.0;
        rss.push(peak);
        eprintln!(
            "run {}: start→poll {:.1} ms, start→PUT {:.1} ms, peak RSS {:.1} MB",
            run + 1,
            to_poll[run],
            to_put[run],
            peak
        );
    }

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let size_x86 = size_mb(target.join("lambda/kms-ready/bootstrap"));
    let size_arm = size_mb(target.join("lambda-arm64/kms-ready/bootstrap"));
    let (poll, put, warm_ms, rss_mb) = (
        median(&mut to_poll),
        median(&mut to_put),
        median(&mut warm),
        median(&mut rss),
    );
    let speedup = PYTHON_COLD_CREATE_MS / put;
    let rss_ratio = PYTHON_PEAK_RSS_MB / rss_mb;
    let verdict = |ok: bool| if ok { "meets target" } else { "MISSES target" };
    let size = |s: Option<f64>| {
        s.map(|s| format!("{s:.2} MB"))
            .unwrap_or_else(|| "n/a (not built)".into())
    };

    let row = |metric: &str, ours: String, python: &str, ratio: &str| {
        println!("| {metric:<38} | {ours:>15} | {python:>23} | {ratio:>14} |");
    };
    println!();
    row(
        &format!("metric (median of {} runs)", args.runs),
        "kms-ready".into(),
        "Python crhelper + boto3",
        "ratio",
    );
    println!(
        "|{}|{}|{}|{}|",
        "-".repeat(40),
        "-".repeat(17),
        "-".repeat(25),
        "-".repeat(16)
    );
    row(
        "process start → first Runtime API poll",
        format!("{poll:.1} ms"),
        "",
        "",
    );
    let python_create = format!("{PYTHON_COLD_CREATE_MS:.0} ms");
    row(
        "process start → response PUT (Create)",
        format!("{put:.1} ms"),
        &python_create,
        &format!("{speedup:.1}× faster"),
    );
    row(
        "warm invocation (Create)",
        format!("{warm_ms:.1} ms"),
        "",
        "",
    );
    let python_rss = format!("{PYTHON_PEAK_RSS_MB:.0} MB");
    row(
        "peak RSS",
        format!("{rss_mb:.1} MB"),
        &python_rss,
        &format!("{rss_ratio:.1}× smaller"),
    );
    row("binary size x86-64", size(size_x86), "", "");
    row("binary size arm64", size(size_arm), "", "");
    println!();
    println!("cold Create ≥ {TARGET_SPEEDUP}× faster: {} ({speedup:.1}×); peak RSS ≥ {TARGET_RSS_RATIO}× smaller: {} ({rss_ratio:.1}×)",
        verdict(speedup >= TARGET_SPEEDUP), verdict(rss_ratio >= TARGET_RSS_RATIO));

    if let Some(path) = args.json {
        let report = json!({
            "function": "kms-ready",
            "profile": "release (cargo lambda build --release)",
            "runs": args.runs,
            "warm_invocations_per_run": WARM_INVOCATIONS_PER_RUN,
            "median": {
                "start_to_first_poll_ms": poll,
                "start_to_response_put_ms": put,
                "warm_invocation_ms": warm_ms,
                "peak_rss_mb": rss_mb,
            },
            "binary_size_mb": {"x86_64": size_x86, "arm64": size_arm},
            "baseline_python_crhelper_boto3": {"cold_create_ms": PYTHON_COLD_CREATE_MS, "peak_rss_mb": PYTHON_PEAK_RSS_MB},
            "ratios": {"cold_create_speedup": speedup, "peak_rss_ratio": rss_ratio},
            "targets_met": speedup >= TARGET_SPEEDUP && rss_ratio >= TARGET_RSS_RATIO,
        });
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the report folder");
        }
        std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap())
            .expect("write the JSON report");
        println!("wrote {}", path.display());
    }
}
