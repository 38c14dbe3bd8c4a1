//! The AWS Config recorder: it exists, records, with the intended scope, frequency and
//! role, and no `Failure` newer than its last start.

use aws_sdk_config::types::{
    ConfigurationRecorder, ConfigurationRecorderStatus, RecorderStatus, RecordingFrequency,
};
use aws_sdk_config::Client;

use crate::aws::why;
use crate::baseline::Intended;
use crate::finding::{Finding, Status};

const OWNER: &str = "ConfigSetup";
/// The template gives ConfigSetup no `RoleArn`: the service-linked role.
const ROLE: &str = "AWSServiceRoleForConfig";

pub(super) async fn check(
    client: &Client,
    intended: &Intended,
    name: Option<&str>,
) -> Vec<Finding> {
    let recorders = client.describe_configuration_recorders().send().await;
    let statuses = client.describe_configuration_recorder_status().send().await;
    match (recorders, statuses) {
        (Ok(recorders), Ok(statuses)) => judge(
            intended,
            name,
            recorders.configuration_recorders(),
            statuses.configuration_recorders_status(),
        ),
        (Err(err), _) => vec![Finding::new(
            Status::Unknown,
            OWNER,
            "recorder",
            "a recorder",
            why(&err),
        )],
        (_, Err(err)) => vec![Finding::new(
            Status::Unknown,
            OWNER,
            "recording",
            "recording",
            why(&err),
        )],
    }
}

/// Judges the recorder `name` (else the customer-managed one: no service principal).
pub(super) fn judge(
    intended: &Intended,
    name: Option<&str>,
    recorders: &[ConfigurationRecorder],
    statuses: &[ConfigurationRecorderStatus],
) -> Vec<Finding> {
    let recorder = recorders.iter().find(|r| match name {
        Some(name) => r.name() == Some(name),
        None => r.service_principal().is_none(),
    });
    let wanted = name.map_or("a customer-managed recorder".to_owned(), |n| {
        format!("recorder {n}")
    });
    let Some(recorder) = recorder else {
        return vec![Finding::compare(OWNER, "recorder", wanted, "none")];
    };
    let name = recorder.name().unwrap_or_default();
    let status = statuses.iter().find(|s| s.name() == Some(name));
    let role = recorder.role_arn().unwrap_or_default();
    let frequency = recorder
        .recording_mode()
        .map(|m| m.recording_frequency().clone())
        .unwrap_or(RecordingFrequency::Continuous);
    vec![
        Finding::compare(
            OWNER,
            "recording",
            "recording",
            match status {
                Some(s) if s.recording() => "recording",
                Some(_) => "stopped",
                None => "no status",
            },
        ),
        Finding::compare(
            OWNER,
            "scope",
            scope(intended.include_global_resource_types),
            found_scope(recorder),
        ),
        Finding::compare(
            OWNER,
            "frequency",
            &intended.recording_frequency,
            frequency.as_str(),
        ),
        Finding::new(
            Status::holds(role.ends_with(&format!("/{ROLE}"))),
            OWNER,
            "role",
            format!("the service-linked role {ROLE}"),
            role,
        ),
        last_status(status),
    ]
}

fn scope(include_global: bool) -> String {
    let global = if include_global {
        "included"
    } else {
        "excluded"
    };
    format!("all supported types, global types {global}")
}

fn found_scope(recorder: &ConfigurationRecorder) -> String {
    match recorder.recording_group() {
        Some(group) if group.all_supported() => scope(group.include_global_resource_types()),
        Some(group) => {
            let strategy = group
                .recording_strategy()
                .and_then(|s| s.use_only())
                .map_or("no strategy", |s| s.as_str());
            format!("{strategy}, {} types listed", group.resource_types().len())
        }
        None => "no recording group".to_owned(),
    }
}

/// `lastStatus` is "the status of the latest recording event processed": a `Failure`
/// from before the recorder's last start is history that start may have repaired.
fn last_status(status: Option<&ConfigurationRecorderStatus>) -> Finding {
    let expected = "no Failure since the last start";
    let Some(status) = status else {
        return Finding::compare(OWNER, "last status", expected, "no status");
    };
    let Some(last) = status.last_status() else {
        return Finding::new(Status::Ok, OWNER, "last status", expected, "none yet");
    };
    if *last != RecorderStatus::Failure {
        return Finding::new(Status::Ok, OWNER, "last status", expected, last.as_str());
    }
    let newer = match (status.last_status_change_time(), status.last_start_time()) {
        (Some(changed), Some(started)) => changed.as_nanos() >= started.as_nanos(),
        _ => true,
    };
    let error = format!(
        "Failure {}: {}",
        status.last_error_code().unwrap_or("(no code)"),
        status.last_error_message().unwrap_or("(no message)")
    );
    if newer {
        Finding::new(Status::Drift, OWNER, "last status", expected, error)
    } else {
        Finding::new(
            Status::Ok,
            OWNER,
            "last status",
            expected,
            format!("{error} (before the last start)"),
        )
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_config::types::RecordingGroup;
    use aws_smithy_types::DateTime;

    use super::*;
    use crate::baseline::Parameters;
    use crate::finding::Status;

    fn recorder(include_global: bool) -> ConfigurationRecorder {
        ConfigurationRecorder::builder()
            .name("default")
            .role_arn("arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
            .recording_group(
                RecordingGroup::builder()
                    .all_supported(true)
                    .include_global_resource_types(include_global)
                    .build(),
            )
            .build()
    }

    fn status(
        recording: bool,
        failure_at: Option<i64>,
        started_at: i64,
    ) -> ConfigurationRecorderStatus {
        let mut status = ConfigurationRecorderStatus::builder()
            .name("default")
            .recording(recording)
            .last_start_time(DateTime::from_secs(started_at));
        if let Some(at) = failure_at {
            status = status
                .last_status(RecorderStatus::Failure)
                .last_status_change_time(DateTime::from_secs(at))
                .last_error_code("AccessDenied")
                .last_error_message("bucket policy");
        }
        status.build()
    }

    fn drifted(findings: &[Finding]) -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f.status != Status::Ok)
            .map(|f| f.check.as_str())
            .collect()
    }

    /// The default baseline's judgement of the recorder `default`, started at 100 s.
    fn judged(include_global: bool, recording: bool, failure_at: Option<i64>) -> Vec<Finding> {
        let intended = Parameters::default().intended("us-east-1");
        let statuses = [status(recording, failure_at, 100)];
        judge(&intended, None, &[recorder(include_global)], &statuses)
    }

    #[test]
    fn each_departure_from_the_intended_recorder_drifts_on_its_own_check() {
        let none: &[&str] = &[];
        for (include_global, recording, failure_at, expected) in [
            (true, true, None, none),
            (false, false, None, &["recording", "scope"]),
            (true, true, Some(200), &["last status"]),
            (true, true, Some(50), none),
        ] {
            let findings = judged(include_global, recording, failure_at);
            assert_eq!(drifted(&findings), expected, "{findings:#?}");
            assert!(findings.iter().all(|f| f.resource == "ConfigSetup"));
        }
    }

    #[test]
    fn a_failure_is_shown_with_its_error_and_an_old_one_as_history() {
        let newer = judged(true, true, Some(200));
        assert!(
            newer[4].found.contains("AccessDenied: bucket policy"),
            "{:?}",
            newer[4]
        );
        let older = judged(true, true, Some(50));
        assert!(
            older[4].found.ends_with("(before the last start)"),
            "{:?}",
            older[4]
        );
    }

    #[test]
    fn no_recorder_or_another_name_drifts() {
        let intended = Parameters::default().intended("us-east-1");
        let none = judge(&intended, None, &[], &[]);
        assert_eq!(
            (none[0].check.as_str(), none[0].found.as_str()),
            ("recorder", "none")
        );
        let other = judge(&intended, Some("baseline"), &[recorder(true)], &[]);
        assert_eq!(other[0].expected, "recorder baseline");
    }
}
