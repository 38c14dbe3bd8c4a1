//! The metrics, their samples per implementation, and median, min and max of each.

use std::time::Duration;

use serde_json::{json, Value};

/// What is measured per run, in table order ([`Metric::ALL`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Metric {
    FirstPoll,
    ColdCreate,
    ColdCreateOwn,
    Warm,
    WarmOwn,
    PeakRss,
    AnonRss,
    FileRss,
}

impl Metric {
    /// In declaration order: a metric's discriminant is its index.
    pub(crate) const ALL: [Metric; 8] = [
        Metric::FirstPoll,
        Metric::ColdCreate,
        Metric::ColdCreateOwn,
        Metric::Warm,
        Metric::WarmOwn,
        Metric::PeakRss,
        Metric::AnonRss,
        Metric::FileRss,
    ];

    /// Its key in the JSON report.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Metric::FirstPoll => "start_to_first_poll_ms",
            Metric::ColdCreate => "start_to_response_put_ms",
            Metric::ColdCreateOwn => "start_to_response_put_own_ms",
            Metric::Warm => "warm_invocation_ms",
            Metric::WarmOwn => "warm_invocation_own_ms",
            Metric::PeakRss => "peak_rss_mb",
            Metric::AnonRss => "anon_rss_mb",
            Metric::FileRss => "file_rss_mb",
        }
    }

    /// Its row in the printed table.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Metric::FirstPoll => "process start → first Runtime API poll",
            Metric::ColdCreate => "process start → response PUT (Create)",
            Metric::ColdCreateOwn => "  own time (less the emulators')",
            Metric::Warm => "warm invocation (Create)",
            Metric::WarmOwn => "  own time (less the emulators')",
            Metric::PeakRss => "peak RSS (VmHWM)",
            Metric::AnonRss => "  at the end: anonymous (heap, stacks)",
            Metric::FileRss => "  at the end: file-backed (code, libc)",
        }
    }

    pub(crate) fn unit(self) -> &'static str {
        match self {
            Metric::PeakRss | Metric::AnonRss | Metric::FileRss => "MiB",
            _ => "ms",
        }
    }
}

/// Every sample of one implementation of one function, per [`Metric`].
#[derive(Default)]
pub(crate) struct Samples([Vec<f64>; Metric::ALL.len()]);

impl Samples {
    pub(crate) fn push(&mut self, metric: Metric, value: f64) {
        self.0[metric as usize].push(value);
    }

    /// A wall time and the implementation's own time: the wall time less the emulators'
    /// time answering its calls.
    pub(crate) fn push_timed(
        &mut self,
        [wall, own]: [Metric; 2],
        elapsed: Duration,
        in_emulators: Duration,
    ) {
        self.push(wall, ms(elapsed));
        self.push(own, ms(elapsed.saturating_sub(in_emulators)));
    }

    pub(crate) fn of(&self, metric: Metric) -> &[f64] {
        &self.0[metric as usize]
    }

    pub(crate) fn stats(&self, metric: Metric) -> Stats {
        Stats::of(self.of(metric))
    }

    pub(crate) fn median(&self, metric: Metric) -> f64 {
        self.stats(metric).median
    }
}

/// Median, min and max of one metric.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stats {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Stats {
    fn of(values: &[f64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len().is_multiple_of(2) {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        };
        Self {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        }
    }

    pub(crate) fn show(self, unit: &str) -> String {
        format!(
            "{:.1} {unit} ({:.1}–{:.1})",
            self.median, self.min, self.max
        )
    }

    pub(crate) fn json(self, samples: &[f64]) -> Value {
        json!({"median": self.median, "min": self.min, "max": self.max, "samples": samples})
    }
}

pub(crate) fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
