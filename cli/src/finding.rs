//! One judged fact about the account ([`Finding`]), and how a list of them is shown
//! (a table on a terminal, JSON lines of one document for CI) and turned into an exit code.

use std::fmt::Write as _;

use serde::Serialize;

/// Every check matched the baseline.
pub const EXIT_OK: u8 = 0;
/// At least one check found drift.
pub const EXIT_DRIFT: u8 = 1;
/// The command line was wrong (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// No drift found, but something could not be read or decided (credentials, access,
/// a name the baseline generated that nothing says).
pub const EXIT_ERROR: u8 = 3;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As the baseline intends.
    Ok,
    /// Not as the baseline intends.
    Drift,
    /// Could not be read or decided.
    Unknown,
    /// Reported, not judged: not part of the template (Shield Advanced).
    Info,
}

/// One check of one resource of the baseline in one region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The region read (`global` for Shield Advanced).
    pub region: String,
    /// The logical id in `template.yml` of the resource that owns what was checked.
    pub resource: &'static str,
    /// What was checked, e.g. `recording`, `rule cloudtrail-enabled`.
    pub check: String,
    /// What the baseline intends.
    pub expected: String,
    /// What the account shows.
    pub found: String,
    /// `true` unless the status is drift or unknown.
    pub ok: bool,
    /// The outcome.
    pub status: Status,
}

impl Status {
    /// `Ok` when `holds`, else `Drift`.
    pub fn holds(holds: bool) -> Self {
        if holds {
            Status::Ok
        } else {
            Status::Drift
        }
    }
}

impl Finding {
    /// A finding of `status` (`Unknown`: `found` says what stopped the check).
    pub fn new(
        status: Status,
        resource: &'static str,
        check: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        Self {
            region: String::new(),
            resource,
            check: check.into(),
            expected: expected.into(),
            found: found.into(),
            ok: matches!(status, Status::Ok | Status::Info),
            status,
        }
    }

    /// `found` against `expected`: ok when they are equal.
    pub fn compare(
        resource: &'static str,
        check: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        let (expected, found) = (expected.into(), found.into());
        Self::new(
            Status::holds(expected == found),
            resource,
            check,
            expected,
            found,
        )
    }

    /// The same finding, in `region`.
    pub fn in_region(mut self, region: &str) -> Self {
        self.region = region.to_owned();
        self
    }
}

/// The exit code for `findings`: drift first, then what could not be decided.
pub fn exit_code(findings: &[Finding]) -> u8 {
    if findings.iter().any(|f| f.status == Status::Drift) {
        EXIT_DRIFT
    } else if findings.iter().any(|f| f.status == Status::Unknown) {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

/// `findings` as one JSON document: `{"drift": bool, "findings": [...]}`.
pub fn to_json(findings: &[Finding]) -> String {
    let document = serde_json::json!({
        "drift": exit_code(findings) == EXIT_DRIFT,
        "findings": findings,
    });
    serde_json::to_string_pretty(&document).unwrap_or_default()
}

/// `findings` as a table with aligned columns, then one line per drifted or unknown
/// finding naming it and the resource that owns it.
pub fn to_table(findings: &[Finding]) -> String {
    const HEADER: [&str; 6] = ["REGION", "RESOURCE", "CHECK", "STATUS", "EXPECTED", "FOUND"];
    let rows: Vec<[String; 6]> = findings
        .iter()
        .map(|f| {
            [
                f.region.clone(),
                f.resource.to_owned(),
                f.check.clone(),
                status_word(f.status).to_owned(),
                f.expected.clone(),
                f.found.clone(),
            ]
        })
        .collect();
    let mut out = crate::table::columns(HEADER, &rows);
    let bad: Vec<&Finding> = findings.iter().filter(|f| !f.ok).collect();
    if bad.is_empty() {
        let _ = writeln!(
            out,
            "\nno drift: {} checks as the baseline intends",
            findings.len()
        );
    } else {
        let _ = writeln!(out);
        for f in bad {
            let _ = writeln!(
                out,
                "{}: {} of {} in {}: expected {}, found {}",
                status_word(f.status),
                f.check,
                f.resource,
                f.region,
                f.expected,
                f.found
            );
        }
    }
    out
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Drift => "DRIFT",
        Status::Unknown => "UNKNOWN",
        Status::Info => "info",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_outranks_what_could_not_be_read() {
        let ok = Finding::compare("ConfigSetup", "recording", "true", "true");
        let unknown = Finding::new(
            Status::Unknown,
            "LogsKey",
            "state",
            "Enabled",
            "AccessDenied",
        );
        let drift = Finding::compare("ConfigSetup", "recording", "true", "false");
        assert_eq!(exit_code(std::slice::from_ref(&ok)), EXIT_OK);
        assert_eq!(exit_code(&[ok.clone(), unknown.clone()]), EXIT_ERROR);
        assert_eq!(exit_code(&[unknown, drift, ok]), EXIT_DRIFT);
    }

    #[test]
    fn information_never_fails_the_run() {
        let shield = Finding::new(
            Status::Info,
            "(not in template)",
            "Shield Advanced",
            "-",
            "INACTIVE",
        );
        assert!(shield.ok);
        assert_eq!(exit_code(&[shield]), EXIT_OK);
    }

    #[test]
    fn the_table_names_what_drifted_and_its_owner() {
        let findings = [
            Finding::compare("ConfigSetup", "recording", "true", "false").in_region("us-east-1"),
            Finding::compare("SecurityHub", "subscribed", "yes", "yes").in_region("us-east-1"),
        ];
        let table = to_table(&findings);
        assert!(
            table.starts_with("REGION     RESOURCE     CHECK"),
            "{table}"
        );
        assert!(
            table.contains(
                "DRIFT: recording of ConfigSetup in us-east-1: expected true, found false"
            ),
            "{table}"
        );
        let json: serde_json::Value = serde_json::from_str(&to_json(&findings)).unwrap();
        assert_eq!(json["drift"], true);
        assert_eq!(json["findings"][0]["resource"], "ConfigSetup");
        assert_eq!(json["findings"][0]["ok"], false);
    }
}
