//! SSM Parameter Store in memory, for unit tests of a resource that keeps an ownership
//! ledger (`aws-smithy-mocks` rules over one shared map).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_ssm::error::ErrorMetadata;
use aws_sdk_ssm::operation::delete_parameter::DeleteParameterOutput;
use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
use aws_sdk_ssm::operation::put_parameter::{PutParameterError, PutParameterOutput};
use aws_sdk_ssm::types::error::{ParameterAlreadyExists, ParameterNotFound};
use aws_sdk_ssm::types::Parameter;
use aws_smithy_mocks::{mock, mock_client, MockResponse, Rule, RuleMode};

/// The resource's own record is any parameter under `/resource/` (its name depends on the
/// ledger's prefix and the physical id, which a test need not spell out); every other
/// parameter (singleton records, other resources' records) is kept by name. As in SSM,
/// `PutParameter` without `Overwrite` on an existing parameter is
/// `ParameterAlreadyExists`, and a missing one reads as `ParameterNotFound`.
#[derive(Debug)]
pub struct ParameterStore {
    record: Arc<Mutex<Option<String>>>,
    others: Arc<Mutex<BTreeMap<String, String>>>,
    get: Rule,
    put: Rule,
    delete: Rule,
}

fn is_own_record(name: &str) -> bool {
    name.contains("/resource/")
}

fn meta(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).build()
}

impl Default for ParameterStore {
    fn default() -> Self {
        Self::new()
    }
}

impl ParameterStore {
    /// An empty store: no record, no other parameter.
    pub fn new() -> Self {
        let record: Arc<Mutex<Option<String>>> = Arc::default();
        let others: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
        let (read, read_others) = (Arc::clone(&record), Arc::clone(&others));
        let get = mock!(aws_sdk_ssm::Client::get_parameter).then_compute_response(move |input| {
            let name = input.name().unwrap_or_default();
            let other = read_others.lock().unwrap().get(name).cloned();
            let value = match other {
                None if is_own_record(name) => read.lock().unwrap().clone(),
                other => other,
            };
            match value {
                Some(value) => MockResponse::Output(
                    GetParameterOutput::builder()
                        .parameter(Parameter::builder().name(name).value(value).build())
                        .build(),
                ),
                None => MockResponse::Error(GetParameterError::ParameterNotFound(
                    ParameterNotFound::builder()
                        .meta(meta("ParameterNotFound"))
                        .build(),
                )),
            }
        });
        let (written, written_others) = (Arc::clone(&record), Arc::clone(&others));
        let put = mock!(aws_sdk_ssm::Client::put_parameter).then_compute_response(move |input| {
            let name = input.name().unwrap_or_default().to_owned();
            let value = input.value().unwrap_or_default().to_owned();
            let mut others = written_others.lock().unwrap();
            let exists = if is_own_record(&name) && !others.contains_key(&name) {
                written.lock().unwrap().is_some()
            } else {
                others.contains_key(&name)
            };
            if exists && input.overwrite() != Some(true) {
                return MockResponse::Error(PutParameterError::ParameterAlreadyExists(
                    ParameterAlreadyExists::builder()
                        .meta(meta("ParameterAlreadyExists"))
                        .build(),
                ));
            }
            if is_own_record(&name) && !others.contains_key(&name) {
                *written.lock().unwrap() = Some(value);
            } else {
                others.insert(name, value);
            }
            MockResponse::Output(PutParameterOutput::builder().build())
        });
        let (erased, erased_others) = (Arc::clone(&record), Arc::clone(&others));
        let delete =
            mock!(aws_sdk_ssm::Client::delete_parameter).then_compute_output(move |input| {
                let name = input.name().unwrap_or_default();
                if erased_others.lock().unwrap().remove(name).is_none() && is_own_record(name) {
                    *erased.lock().unwrap() = None;
                }
                DeleteParameterOutput::builder().build()
            });
        Self {
            record,
            others,
            get,
            put,
            delete,
        }
    }

    /// A store holding `record` as the resource's own ownership record.
    pub fn with_record(record: serde_json::Value) -> Self {
        let store = Self::new();
        store.set_record(Some(record));
        store
    }

    /// An SSM client over the store (SDK retries off: the kit retries).
    pub fn client(&self) -> aws_sdk_ssm::Client {
        mock_client!(
            aws_sdk_ssm,
            RuleMode::MatchAny,
            [&self.get, &self.put, &self.delete],
            |config| config.retry_config(aws_sdk_ssm::config::retry::RetryConfig::disabled())
        )
    }

    /// The resource's own record, parsed (`None`: there is none).
    pub fn record(&self) -> Option<serde_json::Value> {
        let value = self.record.lock().unwrap().clone()?;
        Some(serde_json::from_str(&value).expect("the record is JSON"))
    }

    /// A reader of the resource's own record, for a mock of another service that checks
    /// what was recorded before its call.
    pub fn record_reader(&self) -> impl Fn() -> Option<serde_json::Value> + Send + Sync + 'static {
        let record = Arc::clone(&self.record);
        move || {
            let value = record.lock().unwrap().clone()?;
            serde_json::from_str(&value).ok()
        }
    }

    /// Replaces (or removes) the resource's own record.
    pub fn set_record(&self, record: Option<serde_json::Value>) {
        *self.record.lock().unwrap() = record.map(|r| r.to_string());
    }

    /// The names the record says are owned of `kind`, sorted (empty without a record).
    pub fn owned(&self, kind: &str) -> Vec<String> {
        let mut owned: Vec<String> = self
            .record()
            .and_then(|r| r["owned"][kind].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        owned.sort();
        owned
    }

    /// Whether the record was erased (`DeleteParameter` called, and no record left).
    pub fn erased(&self) -> bool {
        self.record.lock().unwrap().is_none() && self.delete.num_calls() > 0
    }

    /// The parameters other than the resource's record (name → value).
    pub fn others(&self) -> BTreeMap<String, String> {
        self.others.lock().unwrap().clone()
    }

    /// Seeds another parameter (another resource's record, a singleton record).
    pub fn seed(&self, name: &str, value: serde_json::Value) {
        self.others
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_string());
    }

    /// How many `PutParameter` calls were made.
    pub fn puts(&self) -> usize {
        self.put.num_calls()
    }

    /// How many `DeleteParameter` calls were made.
    pub fn deletes(&self) -> usize {
        self.delete.num_calls()
    }
}
