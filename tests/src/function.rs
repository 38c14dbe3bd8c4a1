//! A real function binary (or another Runtime API client, such as the benchmark's Python
//! peer), started against the Runtime API and moto.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::time::Instant;

use cfn_custom_resource_kit::testing::ResponseServer;

use crate::moto::{workspace_root, Moto};
use crate::runtime_api::{InvocationResult, RuntimeApi};

/// Cargo's target directory: `CARGO_TARGET_DIR` when set (a relative one is taken from
/// the workspace root, where `make` runs cargo), else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

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
        let target = target_dir();
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

/// What to start against the Runtime API: a build of a function, or any other command
/// that speaks the Runtime API (the benchmark's Python peer). Either way the process gets
/// the same clean environment ([`Function::start`]).
#[derive(Clone, Debug)]
pub enum Launch {
    /// A function binary of this workspace.
    Binary(Binary),
    /// `program args…`, run from the workspace root, with `env` on top of the clean
    /// environment (and under the caller's `extra_env`).
    Command {
        program: PathBuf,
        args: Vec<String>,
        env: Vec<(String, String)>,
    },
}

impl From<Binary> for Launch {
    fn from(binary: Binary) -> Self {
        Launch::Binary(binary)
    }
}

impl Launch {
    /// A Python Lambda handler (`module.function`) from `bench/peer/`, run by the venv's
    /// Python with `bench/peer/bootstrap.py` (a stdlib Runtime API loop, as a `provided`
    /// runtime runs it), with Lambda's `_HANDLER` and `LAMBDA_TASK_ROOT` set.
    pub fn python_peer(handler: &str) -> Self {
        let root = workspace_root();
        let peer = root.join("bench/peer");
        let python = std::env::var_os("CR_TEST_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".venv/bin/python"));
        Launch::Command {
            program: python,
            args: vec![
                peer.join("bootstrap.py").display().to_string(),
                handler.to_owned(),
            ],
            env: vec![
                ("_HANDLER".to_owned(), handler.to_owned()),
                ("LAMBDA_TASK_ROOT".to_owned(), peer.display().to_string()),
            ],
        }
    }

    /// The command line, for messages.
    pub fn describe(&self) -> String {
        match self {
            Launch::Binary(binary) => binary.path().display().to_string(),
            Launch::Command { program, args, .. } => std::iter::once(program.display().to_string())
                .chain(args.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    fn command(&self) -> Command {
        match self {
            Launch::Binary(binary) => Command::new(binary.path()),
            Launch::Command { program, args, .. } => {
                assert!(
                    program.exists(),
                    "{} is missing: run `make setup`",
                    program.display()
                );
                let mut command = Command::new(program);
                command.args(args).current_dir(workspace_root());
                command
            }
        }
    }

    fn env(&self) -> &[(String, String)] {
        match self {
            Launch::Binary(_) => &[],
            Launch::Command { env, .. } => env,
        }
    }
}

/// An invocation queued on a function's Runtime API, its answer still to come.
pub struct Pending {
    id: String,
    timeout: Duration,
    result: oneshot::Receiver<InvocationResult>,
}

impl Pending {
    /// The Lambda request id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

fn queue_on(
    runtime: &RuntimeApi,
    invocations: &Mutex<u64>,
    payload: Value,
    timeout: Duration,
) -> Pending {
    queue_raw_on(
        runtime,
        invocations,
        serde_json::to_vec(&payload).unwrap(),
        timeout,
    )
}

fn queue_raw_on(
    runtime: &RuntimeApi,
    invocations: &Mutex<u64>,
    payload: Vec<u8>,
    timeout: Duration,
) -> Pending {
    let id = {
        let mut count = invocations.lock().unwrap();
        *count += 1;
        format!("lambda-invocation-{count}")
    };
    let result = runtime.invoke_raw(&id, payload, timeout);
    Pending {
        id,
        timeout,
        result,
    }
}

/// A function whose Runtime API and ResponseURL server run but whose process is not
/// started yet: queue the first event, then [`Prepared::spawn`], as Lambda does
/// (the event is waiting when the process first polls).
pub struct Prepared {
    runtime: RuntimeApi,
    responses: ResponseServer,
    launch: Launch,
    env: Vec<(String, String)>,
    describe: String,
    invocations: Mutex<u64>,
}

/// The command for `launch` with exactly `env` (nothing inherited).
fn command_for(launch: &Launch, env: &[(String, String)]) -> Command {
    let mut command = launch.command();
    command
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

fn spawn_collecting(
    launch: &Launch,
    env: &[(String, String)],
    describe: &str,
    output: &Arc<Mutex<String>>,
) -> Child {
    let mut child = command_for(launch, env)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {describe}: {e}"));
    if let Some(stdout) = child.stdout.take() {
        collect(BufReader::new(stdout), Arc::clone(output));
    }
    if let Some(stderr) = child.stderr.take() {
        collect(BufReader::new(stderr), Arc::clone(output));
    }
    child
}

impl Prepared {
    /// The server its ResponseURLs will point at (for building the first request).
    pub fn responses(&self) -> &ResponseServer {
        &self.responses
    }

    /// Queues an invocation (Lambda deadline `timeout` from now) before the process runs.
    pub fn queue(&self, payload: Value, timeout: Duration) -> Pending {
        queue_on(&self.runtime, &self.invocations, payload, timeout)
    }

    /// Starts the process; [`Function::spawned_at`] is taken just before the spawn.
    pub fn spawn(self) -> Function {
        let output = Arc::new(Mutex::new(String::new()));
        let spawned_at = Instant::now();
        let child = spawn_collecting(&self.launch, &self.env, &self.describe, &output);
        Function {
            runtime: self.runtime,
            responses: self.responses,
            child,
            output,
            spawned_at,
            invocations: self.invocations,
            launch: self.launch,
            env: self.env,
            describe: self.describe,
        }
    }
}

/// The credentials every function under test gets: distinctive, so that a log line
/// holding one is found (moto does not check them).
pub const SECRET_ACCESS_KEY: &str = "e2e-secret-access-key-never-in-a-log";
/// See [`SECRET_ACCESS_KEY`].
pub const SESSION_TOKEN: &str = "e2e-session-token-never-in-a-log";

/// What no function may ever print: the pre-signed ResponseURL's signature (the loopback
/// server's URLs carry it), and the credentials.
pub const NEVER_LOGGED: [&str; 3] = ["s3cr3t-signature", SECRET_ACCESS_KEY, SESSION_TOKEN];

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
    launch: Launch,
    env: Vec<(String, String)>,
    describe: String,
}

impl Function {
    /// Starts `binary` with a clean environment: Lambda's variables, the test region,
    /// dummy credentials, moto as every service endpoint, a fresh ResponseURL server as
    /// the only `CR_ALLOWED_RESPONSE_HOSTS` entry, and `extra_env`.
    pub async fn start(binary: Binary, moto: &Moto, extra_env: &[(&str, String)]) -> Self {
        Self::launch(binary, moto, extra_env).await
    }

    /// Like [`Function::start`], for any [`Launch`] (e.g. [`Launch::python_peer`]).
    pub async fn launch(
        launch: impl Into<Launch>,
        moto: &Moto,
        extra_env: &[(&str, String)],
    ) -> Self {
        Self::prepare(launch, moto, extra_env).await.spawn()
    }

    /// Everything [`Function::launch`] sets up, short of starting the process: the
    /// Runtime API, the ResponseURL server and the command with its clean environment.
    pub async fn prepare(
        launch: impl Into<Launch>,
        moto: &Moto,
        extra_env: &[(&str, String)],
    ) -> Prepared {
        let launch = launch.into();
        let runtime = RuntimeApi::start().await;
        let responses = ResponseServer::start(vec![]).await;
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
            ("AWS_LAMBDA_RUNTIME_API".into(), runtime.address()),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), "under-test".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
            ("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ENDPOINT_URL".into(), moto.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET_ACCESS_KEY.into()),
            ("AWS_SESSION_TOKEN".into(), SESSION_TOKEN.into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            (
                "CR_ALLOWED_RESPONSE_HOSTS".into(),
                responses.addr().to_string(),
            ),
        ];
        let overrides = launch
            .env()
            .iter()
            .cloned()
            .chain(extra_env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        for (name, value) in overrides {
            env.retain(|(existing, _)| *existing != name);
            env.push((name, value));
        }
        Prepared {
            runtime,
            responses,
            describe: launch.describe(),
            launch,
            env,
            invocations: Mutex::new(0),
        }
    }

    /// Invokes the function with a Lambda deadline `timeout` from now and waits for
    /// what it reports to the Runtime API (a few seconds of grace past the deadline).
    pub async fn invoke(&self, payload: Value, timeout: Duration) -> InvocationResult {
        let pending = self.queue(payload, timeout);
        self.wait(pending).await
    }

    /// Queues an invocation (Lambda deadline `timeout` from now) without waiting for it.
    pub fn queue(&self, payload: Value, timeout: Duration) -> Pending {
        queue_on(&self.runtime, &self.invocations, payload, timeout)
    }

    /// Invokes the function with `payload` as it is (JSON or not: a malformed event) and
    /// waits for what it reports to the Runtime API.
    pub async fn invoke_raw(&self, payload: Vec<u8>, timeout: Duration) -> InvocationResult {
        let pending = queue_raw_on(&self.runtime, &self.invocations, payload, timeout);
        self.wait(pending).await
    }

    /// Waits for what the function reports for `pending` (a few seconds of grace past
    /// its deadline); panics with the process output when nothing comes.
    pub async fn wait(&self, pending: Pending) -> InvocationResult {
        let Pending {
            id,
            timeout,
            result,
        } = pending;
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

    /// What the process printed, once `ready` says it holds what a test waits for (its
    /// lines are read from the pipe asynchronously), or after 5 s as it is then.
    pub async fn output_when(&self, ready: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let output = self.output();
            if ready(&output) || Instant::now() >= until {
                return output;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The lines of its output that are JSON (its logs and metric records), parsed.
    pub fn json_lines(&self) -> Vec<Value> {
        json_lines(&self.output())
    }

    /// Its embedded-metric-format records (JSON lines with an `_aws` member), once at
    /// least `count` were printed (or after 5 s, as many as there are).
    pub async fn metric_records(&self, count: usize) -> Vec<Value> {
        let output = self
            .output_when(|output| output.matches(r#""_aws""#).count() >= count)
            .await;
        json_lines(&output)
            .into_iter()
            .filter(|line| line.get("_aws").is_some())
            .collect()
    }

    /// Kills the process (as Lambda does at its timeout) and starts a new one against
    /// the same Runtime API and ResponseURL server: a fresh execution environment.
    /// Invocations the killed process had taken are lost, as in Lambda.
    pub async fn restart(&mut self) {
        let _ = self.child.kill().await;
        self.child = spawn_collecting(&self.launch, &self.env, &self.describe, &self.output);
    }

    /// The process id (for memory measurements).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// Every end-to-end test scans what its functions printed: a line holding the
/// ResponseURL's signature or a credential fails the test (a test already failing is
/// left to report its own failure).
impl Drop for Function {
    fn drop(&mut self) {
        if std::thread::panicking() || !matches!(self.launch, Launch::Binary(_)) {
            return;
        }
        if let Some(line) = leaked(&self.output()) {
            panic!("{} logged a secret: {line}", self.describe);
        }
    }
}

fn json_lines(output: &str) -> Vec<Value> {
    output
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// The first line of `output` holding one of [`NEVER_LOGGED`].
fn leaked(output: &str) -> Option<&str> {
    output
        .lines()
        .find(|line| NEVER_LOGGED.iter().any(|secret| line.contains(secret)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_with_the_signature_or_a_credential_is_found() {
        let url = "https://b.s3.amazonaws.com/x?X-Amz-Signature=s3cr3t-signature";
        for line in [
            format!(r#"{{"level":"TRACE","url":"{url}"}}"#),
            format!("Authorization: {SECRET_ACCESS_KEY}"),
            format!("x-amz-security-token: {SESSION_TOKEN}"),
        ] {
            let output = format!("fine\n{line}\nfine too\n");
            assert_eq!(leaked(&output), Some(line.as_str()));
        }
        assert_eq!(
            leaked(r#"{"url":"https://b.s3.amazonaws.com/x?<redacted>"}"#),
            None
        );
    }
}
