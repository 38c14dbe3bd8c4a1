//! A real function binary, started against the Runtime API and moto.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

use cfn_custom_resource::testing::ResponseServer;

use crate::moto::{workspace_root, Moto};
use crate::runtime_api::{InvocationResult, RuntimeApi};

/// Which build of a function to run.
#[derive(Clone, Copy, Debug)]
pub enum Binary {
    /// `target/debug/<name>`: what `cargo build` makes.
    Debug(&'static str),
    /// `target/lambda/<name>/bootstrap`: `cargo lambda build --release`, the shipped profile.
    Shipped(&'static str),
}

impl Binary {
    /// Where the binary is; panics with the command that builds it when it is missing.
    pub fn path(self) -> PathBuf {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"));
        let (path, build) = match self {
            Binary::Debug(name) => (
                target.join("debug").join(name),
                format!("cargo build --bin {name}"),
            ),
            Binary::Shipped(name) => (
                target.join("lambda").join(name).join("bootstrap"),
                "make shipped".to_owned(),
            ),
        };
        assert!(
            path.exists(),
            "{} is missing: run `{build}` (make test does)",
            path.display()
        );
        path
    }
}

/// A running function process, its Runtime API, and the loopback server standing in
/// for its ResponseURLs (the one host on its allow-list).
pub struct Function {
    runtime: RuntimeApi,
    responses: ResponseServer,
    child: Child,
    output: Arc<Mutex<String>>,
    /// When the process was spawned.
    pub spawned_at: Instant,
    invocations: Mutex<u64>,
}

impl Function {
    /// Starts `binary` with a clean environment: Lambda's variables, the test region,
    /// dummy credentials, moto as every service endpoint, a fresh ResponseURL server as
    /// the only `CR_ALLOWED_RESPONSE_HOSTS` entry, and `extra_env`.
    pub async fn start(binary: Binary, moto: &Moto, extra_env: &[(&str, String)]) -> Self {
        let runtime = RuntimeApi::start().await;
        let responses = ResponseServer::start(vec![]).await;
        let mut command = Command::new(binary.path());
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", "under-test")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("CR_ALLOWED_RESPONSE_HOSTS", responses.addr().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let spawned_at = Instant::now();
        let mut child = command.spawn().expect("spawn the function binary");
        let output = Arc::new(Mutex::new(String::new()));
        if let Some(stdout) = child.stdout.take() {
            collect(BufReader::new(stdout), Arc::clone(&output));
        }
        if let Some(stderr) = child.stderr.take() {
            collect(BufReader::new(stderr), Arc::clone(&output));
        }
        Self {
            runtime,
            responses,
            child,
            output,
            spawned_at,
            invocations: Mutex::new(0),
        }
    }

    /// Invokes the function with a Lambda deadline `timeout` from now and waits for
    /// what it reports to the Runtime API (a few seconds of grace past the deadline).
    pub async fn invoke(&self, payload: Value, timeout: Duration) -> InvocationResult {
        let id = {
            let mut count = self.invocations.lock().unwrap();
            *count += 1;
            format!("lambda-invocation-{count}")
        };
        let result = self.runtime.invoke(&id, payload, timeout);
        match tokio::time::timeout(timeout + Duration::from_secs(5), result).await {
            Ok(Ok(result)) => result,
            _ => panic!(
                "the function reported nothing for {id} within its deadline\ninit error: {:?}\noutput:\n{}",
                self.runtime.init_error(),
                self.output()
            ),
        }
    }

    /// The server its ResponseURLs point at: what reached it, and planned failures.
    pub fn responses(&self) -> &ResponseServer {
        &self.responses
    }

    /// When the process first polled for an event.
    pub fn first_poll(&self) -> Option<Instant> {
        self.runtime.first_poll()
    }

    /// Everything the process printed so far (its logs).
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The process id (for memory measurements).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

fn collect<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    reader: BufReader<R>,
    output: Arc<Mutex<String>>,
) {
    tokio::spawn(async move {
        let mut lines = reader.lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut output = output.lock().unwrap();
            output.push_str(&line);
            output.push('\n');
        }
    });
}
