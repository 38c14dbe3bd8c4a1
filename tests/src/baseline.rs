//! The `baseline` CLI (`cli/`) run as a process against the emulators, as an operator
//! would run it: dummy credentials, the region, and no profile, credentials file or
//! instance metadata in reach.

use std::path::Path;

use crate::{Binary, Moto};

/// What a run printed on stdout and how it exited.
pub struct Ran {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Everything printed on stdout.
    pub stdout: String,
}

impl Ran {
    /// Asserts that the output shows `text`.
    pub fn shows(&self, text: &str) {
        assert!(
            self.stdout.contains(text),
            "{text:?} not in:\n{}",
            self.stdout
        );
    }
}

/// Runs `baseline ARGS` in `dir` with moto as every endpoint and `env` added (e.g. the
/// Security Hub emulator's endpoint); stdin is not a terminal. Prints what it printed.
pub async fn run_baseline(moto: &Moto, dir: &Path, env: &[(&str, String)], args: &[&str]) -> Ran {
    let output = tokio::process::Command::new(Binary::Debug("baseline").path())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs([
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
        ])
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("run baseline");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("$ baseline {}\n{stdout}{stderr}", args.join(" "));
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout,
    }
}
