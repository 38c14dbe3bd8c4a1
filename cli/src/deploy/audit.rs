//! The audit log: one JSON object per line, appended, so one file holds every run.
//! Each line has `time` (UTC, RFC 3339), `run` (the change set's name), `stack` and
//! `record`: `start` (who, the role assumed, the template's file and SHA-256, the
//! parameters with `NoEcho` ones masked), `change_set` (its id, kind and changes, or
//! nothing to do), `approval`, `event` (every stack event, as CloudFormation gives it),
//! `outcome` (its word, the exit code, the root cause of a failure).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use serde_json::{json, Map, Value};

use crate::error::Error;

/// Where the audit log goes unless `--audit-log` says otherwise (the working directory).
pub const DEFAULT_PATH: &str = "baseline-deploy.audit.jsonl";

/// The audit log of one run.
#[derive(Debug)]
pub struct Audit<W> {
    out: W,
    run: String,
    stack: String,
    failed: Option<String>,
}

/// Now, as the audit log writes time.
pub fn now() -> String {
    DateTime::from(SystemTime::now())
        .fmt(Format::DateTime)
        .unwrap_or_default()
}

impl Audit<std::fs::File> {
    /// Appends to `path` (created when missing).
    pub fn open(path: &Path, run: &str, stack: &str) -> Result<Self, Error> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::file("audit log", path.display(), e))?;
        Ok(Audit::to(file, run, stack))
    }
}

impl<W: Write> Audit<W> {
    /// An audit log written to `out`.
    pub fn to(out: W, run: &str, stack: &str) -> Self {
        Audit {
            out,
            run: run.to_owned(),
            stack: stack.to_owned(),
            failed: None,
        }
    }

    /// Writes one line: the `record` kind and `fields` (a JSON object). A write that
    /// fails does not stop the deployment under way; [`Audit::failed`] says why.
    pub fn record(&mut self, record: &str, fields: Value) {
        let mut line = Map::new();
        line.insert("time".into(), now().into());
        line.insert("run".into(), self.run.clone().into());
        line.insert("stack".into(), self.stack.clone().into());
        line.insert("record".into(), record.into());
        if let Value::Object(fields) = fields {
            line.extend(fields);
        }
        let text = Value::Object(line).to_string();
        let written = writeln!(self.out, "{text}").and_then(|()| self.out.flush());
        if let Err(err) = written {
            self.failed.get_or_insert(err.to_string());
        }
    }

    /// Why a line could not be written, if one could not.
    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// What was written.
    pub fn writer(&self) -> &W {
        &self.out
    }
}

/// The `who` of the `start` record: GetCallerIdentity's answer.
pub fn who(account: Option<&str>, arn: Option<&str>, user_id: Option<&str>) -> Value {
    json!({"account": account, "arn": arn, "user_id": user_id})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_record_is_one_json_line_with_time_run_and_stack() {
        let mut audit = Audit::to(Vec::new(), "baseline-20261130T100340Z", "security-baseline");
        audit.record(
            "start",
            json!({"who": who(Some("123456789012"), None, None)}),
        );
        audit.record("outcome", json!({"outcome": "deployed", "exit_code": 0}));
        let text = String::from_utf8(audit.writer().clone()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["record"], "start");
        assert_eq!(lines[0]["who"]["account"], "123456789012");
        assert_eq!(lines[1]["run"], "baseline-20261130T100340Z");
        assert_eq!(lines[1]["stack"], "security-baseline");
        assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(audit.failed(), None);
    }
}
