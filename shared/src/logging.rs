//! Log setup: `lambda_runtime`'s default subscriber settings, minus the raw-event trace.

use lambda_runtime::tracing::subscriber::filter::{Directive, EnvFilter, LevelFilter};

/// Log targets capped below TRACE whatever the configured level: at TRACE,
/// `lambda_runtime` prints the raw event, and the event's ResponseURL is a credential.
const CAPPED_TARGETS: [&str; 6] = [
    "lambda_runtime=debug",
    "lambda_runtime_api_client=debug",
    "reqwest=debug",
    "hyper=info",
    "hyper_util=info",
    "h2=info",
];

/// Starts logging to stdout like `lambda_runtime::tracing::init_default_subscriber`:
/// level from `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`, else INFO), JSON when
/// `AWS_LAMBDA_LOG_FORMAT=JSON`; span fields (RequestId, StackId, LogicalResourceId,
/// RequestType) ride on every line.
pub fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let mut filter = EnvFilter::default().add_directive(level.into());
    for target in CAPPED_TARGETS {
        if let Ok(directive) = target.parse::<Directive>() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // `try_init`: a second call (tests) keeps the first subscriber.
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
