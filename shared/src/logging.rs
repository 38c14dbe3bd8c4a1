//! Log setup: `lambda_runtime`'s default subscriber settings, minus the raw-event trace.

use lambda_runtime::tracing::subscriber::filter::{filter_fn, EnvFilter, FilterFn, LevelFilter};
use lambda_runtime::tracing::subscriber::layer::SubscriberExt;
use lambda_runtime::tracing::subscriber::util::SubscriberInitExt;
use tracing::{Level, Metadata};

/// Log targets held below a level whatever the configured one: at TRACE,
/// `lambda_runtime` prints the raw event, and the event's ResponseURL is a credential.
/// These caps only ever lower a level: the configured level stays the ceiling.
const CAPPED_TARGETS: [(&str, Level); 6] = [
    ("lambda_runtime", Level::DEBUG),
    ("lambda_runtime_api_client", Level::DEBUG),
    ("aws_smithy_http_client", Level::DEBUG),
    ("hyper", Level::INFO),
    ("hyper_util", Level::INFO),
    ("h2", Level::INFO),
];

/// Starts logging to stdout like `lambda_runtime::tracing::init_default_subscriber`:
/// the level from `AWS_LAMBDA_LOG_LEVEL` (a ceiling for every target), else `RUST_LOG`
/// read as `tracing-subscriber` directives (`info,cfn_custom_resource_kit=debug`), else
/// INFO; JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`. Span fields (RequestId, StackId,
/// LogicalResourceId, RequestType) ride on every line.
pub(crate) fn init_logging() {
    let lambda_level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok();
    let rust_log = std::env::var("RUST_LOG").ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let fmt = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(env_filter(lambda_level.as_deref(), rust_log.as_deref()));
    // `try_init`: a second call (tests) keeps the first subscriber.
    let _ = if json {
        fmt.json()
            .flatten_event(true)
            .finish()
            .with(secret_safe())
            .try_init()
    } else {
        fmt.finish().with(secret_safe()).try_init()
    };
}

/// The level filter: `AWS_LAMBDA_LOG_LEVEL` wins, then `RUST_LOG` directives, then INFO.
fn env_filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> EnvFilter {
    if let Some(level) = lambda_level.and_then(|level| level.trim().parse::<LevelFilter>().ok()) {
        return EnvFilter::default().add_directive(level.into());
    }
    rust_log
        .filter(|directives| !directives.trim().is_empty())
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::default().add_directive(LevelFilter::INFO.into()))
}

/// Drops events of [`CAPPED_TARGETS`] above their cap.
fn secret_safe() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    filter_fn(within_caps as fn(&Metadata<'_>) -> bool)
}

fn within_caps(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    CAPPED_TARGETS
        .iter()
        .find(|(prefix, _)| {
            target == *prefix
                || target
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with("::"))
        })
        .is_none_or(|(_, cap)| metadata.level() <= cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Logs one event per (target, level) under the filters; returns the lines printed.
    fn printed(lambda_level: Option<&str>, rust_log: Option<&str>) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = lambda_runtime::tracing::subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_env_filter(env_filter(lambda_level, rust_log))
            .finish()
            .with(secret_safe());
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lambda_runtime", "runtime-trace");
            tracing::debug!(target: "lambda_runtime", "runtime-debug");
            tracing::info!(target: "lambda_runtime", "runtime-info");
            tracing::warn!(target: "lambda_runtime::layers", "runtime-warn");
            tracing::debug!(target: "hyper_util::client", "hyper-debug");
            tracing::trace!(target: "kms_ready", "function-trace");
            tracing::debug!(target: "kms_ready", "function-debug");
            tracing::info!(target: "kms_ready", "function-info");
            tracing::warn!(target: "kms_ready", "function-warn");
        });
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    fn has(text: &str, marker: &str) -> bool {
        text.contains(marker)
    }

    #[test]
    fn the_lambda_log_level_is_a_ceiling_for_every_target() {
        let text = printed(Some("WARN"), None);
        assert!(
            has(&text, "runtime-warn") && has(&text, "function-warn"),
            "{text}"
        );
        for quiet in [
            "runtime-debug",
            "runtime-info",
            "hyper-debug",
            "function-info",
            "function-debug",
        ] {
            assert!(!has(&text, quiet), "{quiet} printed under WARN:\n{text}");
        }
    }

    #[test]
    fn trace_never_reaches_the_runtime_that_prints_the_raw_event() {
        let text = printed(Some("TRACE"), None);
        assert!(has(&text, "function-trace"), "{text}");
        assert!(has(&text, "runtime-debug"), "{text}");
        assert!(!has(&text, "runtime-trace"), "{text}");
        assert!(!has(&text, "hyper-debug"), "{text}");
    }

    #[test]
    fn rust_log_is_read_as_directives() {
        let text = printed(None, Some("warn,kms_ready=debug"));
        assert!(
            has(&text, "function-debug") && has(&text, "function-info"),
            "{text}"
        );
        assert!(!has(&text, "function-trace"), "{text}");
        assert!(!has(&text, "runtime-info"), "{text}");
        assert!(has(&text, "runtime-warn"), "{text}");
        let trace_all = printed(None, Some("trace"));
        assert!(!has(&trace_all, "runtime-trace"), "{trace_all}");
    }

    #[test]
    fn the_lambda_level_wins_over_rust_log_and_info_is_the_default() {
        let text = printed(Some("ERROR"), Some("trace"));
        assert!(!has(&text, "function-warn"), "{text}");
        let default = printed(None, None);
        assert!(
            has(&default, "function-info") && !has(&default, "function-debug"),
            "{default}"
        );
        let unparsable = printed(None, Some("=[[["));
        assert!(has(&unparsable, "function-info"), "{unparsable}");
    }
}
