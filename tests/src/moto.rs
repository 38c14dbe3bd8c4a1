//! moto server on loopback, shared by every test of the process.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The Python launcher (`scripts/moto_server.py`, also used by `make invoke`): serves
/// moto on the given port, exits when its stdin closes (when the test process that
/// started it ends, however it ends), and makes moto behave like AWS where the
/// functions meet a difference (see the script).
const LAUNCHER: &str = include_str!("../../scripts/moto_server.py");

/// A running moto server.
pub struct Moto {
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
    _process: Child,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The workspace root (where `Makefile` and `.venv` live).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The venv's Python (`make setup`), or `CR_TEST_PYTHON`.
pub fn python() -> PathBuf {
    std::env::var_os("CR_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl Moto {
    /// The process-wide moto server, started on first use.
    pub fn shared() -> &'static Moto {
        MOTO.get_or_init(Self::start)
    }

    fn start() -> Moto {
        let python = python();
        assert!(
            python.exists(),
            "{} is missing: run `make setup` (it creates the venv with moto[server])",
            python.display()
        );
        let port = free_port();
        let mut process = Command::new(&python)
            .args(["-c", LAUNCHER, &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start moto server");
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = process.try_wait() {
                let mut stderr = String::new();
                if let Some(err) = process.stderr.take() {
                    for line in BufReader::new(err).lines().map_while(Result::ok) {
                        stderr.push_str(&line);
                        stderr.push('\n');
                    }
                }
                panic!("moto server exited with {status}:\n{stderr}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto server did not listen within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // moto logs every request on stderr: drain it so the pipe never fills.
        if let Some(stderr) = process.stderr.take() {
            std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
        }
        Moto {
            endpoint,
            _process: process,
        }
    }

    /// Creates an S3 bucket (path-style `PUT /<bucket>`, as the S3 API takes it).
    pub async fn create_bucket(&self, name: &str) {
        let response = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint))
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request",
            )
            .send()
            .await
            .expect("moto S3 CreateBucket");
        assert!(
            response.status().is_success(),
            "CreateBucket {name}: {}",
            response.status()
        );
    }

    /// SDK configuration for test set-up calls (create a key, disable it, ...).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        self.sdk_config_with(aws_sdk_kms::config::Credentials::new(
            "testing", "testing", None, None, "e2e",
        ))
        .await
    }

    /// SDK configuration for moto with `credentials` (which decide the account).
    async fn sdk_config_with(
        &self,
        credentials: aws_sdk_kms::config::Credentials,
    ) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(cfn_custom_resource_kit::sdk_http_client())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials)
            .load()
            .await
    }

    /// Completes every rule deletion under way: the time AWS Config takes to delete a
    /// rule ("might take an hour or more") has passed. moto keeps a deleted rule in
    /// state DELETING until then (see `scripts/moto_server.py`).
    pub async fn finish_rule_deletions(&self) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/_harness/config/finish-rule-deletions",
                self.endpoint
            ))
            .send()
            .await
            .expect("moto: finish rule deletions");
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// Sets what AWS Config's recorder `name` reports of its latest recording event
    /// (`lastStatus` `Failure` or `Success`, with an error for a Failure), changed at
    /// `changed_at`: moto processes no recording event (see `scripts/moto_server.py`).
    pub async fn set_recorder_status(
        &self,
        name: &str,
        last_status: &str,
        error: Option<(&str, &str)>,
        changed_at: std::time::SystemTime,
    ) {
        let at = changed_at
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs_f64();
        let body = serde_json::json!({
            "name": name,
            "lastStatus": last_status,
            "lastErrorCode": error.map(|e| e.0),
            "lastErrorMessage": error.map(|e| e.1),
            "lastStatusChangeTime": at,
        });
        let response = reqwest::Client::new()
            .post(format!("{}/_harness/config/recorder-status", self.endpoint))
            .body(body.to_string())
            .send()
            .await
            .expect("moto: set the recorder status");
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// SDK configuration acting as `account` (credentials from STS AssumeRole of a role
    /// in it: moto keeps a separate state per account, and takes the account from the
    /// credentials).
    pub async fn sdk_config_as(&self, account: &str) -> aws_config::SdkConfig {
        let sts = aws_sdk_sts::Client::new(&self.sdk_config().await);
        let assumed = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/e2e-other-account"))
            .role_session_name("e2e")
            .send()
            .await
            .expect("moto AssumeRole");
        let credentials = assumed.credentials.expect("credentials");
        self.sdk_config_with(aws_sdk_kms::config::Credentials::new(
            credentials.access_key_id,
            credentials.secret_access_key,
            Some(credentials.session_token),
            None,
            "e2e-other-account",
        ))
        .await
    }

    /// Makes AWS Config record, as done by hand outside any stack: recorder `name` (all
    /// supported types, no global ones) with `role_arn`, a delivery channel `name` to
    /// `bucket` (moto checks that it exists, as AWS does), the recorder started.
    pub async fn start_recording(&self, name: &str, role_arn: &str, bucket: &str) {
        use aws_sdk_config::types::{ConfigurationRecorder, DeliveryChannel, RecordingGroup};
        let config = aws_sdk_config::Client::new(&self.sdk_config().await);
        let group = RecordingGroup::builder()
            .all_supported(true)
            .include_global_resource_types(false)
            .build();
        let recorder = ConfigurationRecorder::builder()
            .name(name)
            .role_arn(role_arn)
            .recording_group(group)
            .build();
        config
            .put_configuration_recorder()
            .configuration_recorder(recorder)
            .send()
            .await
            .expect("moto PutConfigurationRecorder");
        let channel = DeliveryChannel::builder()
            .name(name)
            .s3_bucket_name(bucket)
            .build();
        config
            .put_delivery_channel()
            .delivery_channel(channel)
            .send()
            .await
            .expect("moto PutDeliveryChannel");
        config
            .start_configuration_recorder()
            .configuration_recorder_name(name)
            .send()
            .await
            .expect("moto StartConfigurationRecorder");
    }

    /// Removes every rule, delivery channel and recorder from AWS Config (recorders
    /// stopped first, channels before recorders, as the service requires).
    pub async fn empty_config(&self) {
        let config = aws_sdk_config::Client::new(&self.sdk_config().await);
        let rules = config
            .describe_config_rules()
            .send()
            .await
            .expect("moto DescribeConfigRules");
        for rule in rules.config_rules() {
            if rule.config_rule_state() == Some(&aws_sdk_config::types::ConfigRuleState::Deleting) {
                continue;
            }
            config
                .delete_config_rule()
                .config_rule_name(rule.config_rule_name().unwrap_or_default())
                .send()
                .await
                .expect("moto DeleteConfigRule");
        }
        self.finish_rule_deletions().await;
        let recorders = config
            .describe_configuration_recorders()
            .send()
            .await
            .expect("moto DescribeConfigurationRecorders");
        let recorders: Vec<&str> = recorders
            .configuration_recorders()
            .iter()
            .filter_map(|r| r.name())
            .collect();
        for name in &recorders {
            // Already stopped is fine.
            let _ = config
                .stop_configuration_recorder()
                .configuration_recorder_name(*name)
                .send()
                .await;
        }
        let channels = config
            .describe_delivery_channels()
            .send()
            .await
            .expect("moto DescribeDeliveryChannels");
        for name in channels.delivery_channels().iter().filter_map(|c| c.name()) {
            config
                .delete_delivery_channel()
                .delivery_channel_name(name)
                .send()
                .await
                .expect("moto DeleteDeliveryChannel");
        }
        for name in recorders {
            config
                .delete_configuration_recorder()
                .configuration_recorder_name(name)
                .send()
                .await
                .expect("moto DeleteConfigurationRecorder");
        }
    }
}

/// A key policy: the account root may do everything, and `service` may use the key
/// (the statement CloudWatch Logs' documentation asks for).
pub fn key_policy_allowing(service: &str) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Service", "Effect": "Allow", "Principal": {"Service": service},
         "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
         "Resource": "*"}
    ]})
    .to_string()
}
