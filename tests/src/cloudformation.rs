//! CloudFormation's side of the protocol: requests, the loopback ResponseURL, and
//! the lifecycle sequences a stack plays (create, update, delete, rollbacks, redelivery).

use std::time::Duration;

use serde_json::{json, Value};

use crate::function::Function;
use crate::runtime_api::InvocationResult;

/// The Lambda timeout used unless a test asks for another.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What CloudFormation received for one request.
#[derive(Clone, Debug)]
pub struct CfnResponse {
    /// Every body PUT to the request's ResponseURL, in order (retries included).
    pub puts: Vec<Value>,
    /// What the function reported to the Lambda Runtime API.
    pub lambda: InvocationResult,
}

impl CfnResponse {
    /// The answer CloudFormation acts on: the last PUT. Panics when there was none.
    pub fn body(&self) -> &Value {
        self.puts
            .last()
            .unwrap_or_else(|| panic!("no response was PUT; Lambda saw {:?}", self.lambda))
    }

    /// `SUCCESS` or `FAILED`.
    pub fn status(&self) -> &str {
        self.body()["Status"].as_str().unwrap_or_default()
    }

    /// The `Reason`.
    pub fn reason(&self) -> &str {
        self.body()["Reason"].as_str().unwrap_or_default()
    }

    /// The `PhysicalResourceId`.
    pub fn physical_id(&self) -> &str {
        self.body()["PhysicalResourceId"]
            .as_str()
            .unwrap_or_default()
    }

    /// A `Data` attribute.
    pub fn data(&self, key: &str) -> Option<&str> {
        self.body()["Data"][key].as_str()
    }

    /// Asserts `SUCCESS`, showing the reason otherwise.
    pub fn assert_success(&self) -> &Self {
        assert_eq!(self.status(), "SUCCESS", "reason: {}", self.reason());
        self
    }

    /// Asserts that the `Reason` holds `text`, showing it otherwise.
    pub fn assert_reason_contains(&self, text: &str) -> &Self {
        self.assert_reason(self.reason().contains(text), "hold", text)
    }

    /// Asserts that the `Reason` starts with `head` (`[CODE] Field: `), showing it otherwise.
    pub fn assert_reason_starts_with(&self, head: &str) -> &Self {
        self.assert_reason(self.reason().starts_with(head), "start with", head)
    }

    fn assert_reason(&self, holds: bool, how: &str, text: &str) -> &Self {
        assert!(
            holds,
            "the reason does not {how} {text:?}: {}",
            self.reason()
        );
        self
    }

    /// Asserts that the answer carries the `PhysicalResourceId` `id`.
    pub fn assert_physical_id(&self, id: &str) -> &Self {
        assert_eq!(self.physical_id(), id, "body: {}", self.body());
        self
    }

    /// Asserts `FAILED` with `[code]`.
    pub fn assert_failed(&self, code: &str) -> &Self {
        assert_eq!(self.status(), "FAILED", "body: {}", self.body());
        self.assert_reason_starts_with(&format!("[{code}] "))
    }
}

/// One custom resource in one stack, as CloudFormation sees it.
pub struct Stack<'a> {
    function: &'a Function,
    /// `StackId`
    pub stack_id: String,
    /// `LogicalResourceId`
    pub logical_id: String,
    /// `ResourceType`
    pub resource_type: String,
    /// The PhysicalResourceId CloudFormation currently holds.
    pub physical_id: Option<String>,
    /// The properties CloudFormation believes the resource has.
    pub properties: Value,
    /// The Lambda timeout for each invocation.
    pub timeout: Duration,
    /// Send properties as given (`300`, `true`) instead of as CloudFormation does
    /// (every scalar a string): what an SDK-driven invocation sends.
    pub native_json: bool,
    sequence: u32,
}

impl<'a> Stack<'a> {
    /// A stack named `name` with one resource `logical_id` of `resource_type`.
    pub fn new(function: &'a Function, name: &str, resource_type: &str, logical_id: &str) -> Self {
        Self {
            function,
            stack_id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/5b1c2d3e-0000-4000-8000-{:012x}", unique_suffix()),
            logical_id: logical_id.to_owned(),
            resource_type: resource_type.to_owned(),
            physical_id: None,
            properties: json!({}),
            timeout: DEFAULT_TIMEOUT,
            native_json: false,
            sequence: 0,
        }
    }

    /// A request of `request_type` with a fresh RequestId and its own ResponseURL path.
    pub fn request(
        &mut self,
        request_type: &str,
        properties: &Value,
        old_properties: Option<&Value>,
    ) -> Value {
        self.sequence += 1;
        let request_id = format!(
            "{:08x}-cfn-{}-{}",
            unique_suffix() as u32,
            request_type.to_lowercase(),
            self.sequence
        );
        let as_sent = |value: &Value| {
            if self.native_json {
                value.clone()
            } else {
                as_cloudformation_sends(value)
            }
        };
        let mut resource_properties = as_sent(properties);
        resource_properties["ServiceToken"] =
            json!("arn:aws:lambda:us-east-1:123456789012:function:under-test");
        let mut event = json!({
            "RequestType": request_type,
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:under-test",
            "ResponseURL": self.function.responses().url(&format!("cfn-responses/{request_id}")),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": self.logical_id,
            "ResourceType": self.resource_type,
            "ResourceProperties": resource_properties,
        });
        if let Some(id) = &self.physical_id {
            if request_type != "Create" {
                event["PhysicalResourceId"] = json!(id);
            }
        }
        if let Some(old) = old_properties {
            let mut old = as_sent(old);
            old["ServiceToken"] =
                json!("arn:aws:lambda:us-east-1:123456789012:function:under-test");
            event["OldResourceProperties"] = old;
        }
        event
    }

    /// Invokes the function with `event` and collects what reached its ResponseURL.
    pub async fn send(&self, event: &Value) -> CfnResponse {
        let lambda = self.function.invoke(event.clone(), self.timeout).await;
        let path = format!(
            "cfn-responses/{}",
            event["RequestId"].as_str().unwrap_or_default()
        );
        let puts = self
            .function
            .responses()
            .requests_to(&path)
            .iter()
            .map(|put| {
                assert_eq!(put.method, "PUT");
                assert_eq!(
                    put.content_type.as_deref(),
                    Some(""),
                    "CloudFormation's URL needs an empty Content-Type"
                );
                assert_eq!(put.content_length, Some(put.body.len()));
                assert!(put.body.len() <= 4096, "response body over 4096 bytes");
                serde_json::from_slice(&put.body).expect("response body is JSON")
            })
            .collect();
        CfnResponse { puts, lambda }
    }

    /// Create with `properties`; CloudFormation keeps the reported id, even from a FAILED.
    pub async fn create(&mut self, properties: Value) -> CfnResponse {
        let event = self.request("Create", &properties, None);
        let response = self.send(&event).await;
        self.physical_id = Some(response.physical_id().to_owned());
        self.properties = properties;
        response
    }

    /// [`Self::create`], asserting `SUCCESS`.
    pub async fn assert_created(&mut self, properties: Value) -> CfnResponse {
        let response = self.create(properties).await;
        response.assert_success();
        response
    }

    /// [`Self::create`], asserting `FAILED` with `[code]` and a reason that holds `text`.
    pub async fn assert_create_fails(
        &mut self,
        properties: Value,
        code: &str,
        text: &str,
    ) -> CfnResponse {
        let response = self.create(properties).await;
        response.assert_failed(code).assert_reason_contains(text);
        response
    }

    /// One Create delivered twice (CloudFormation redelivers when no answer arrived):
    /// asserts that each delivery is answered once and the redelivery with the same body.
    /// CloudFormation then holds the id answered and `properties`. Returns both answers.
    pub async fn create_delivered_twice(
        &mut self,
        properties: Value,
    ) -> (CfnResponse, CfnResponse) {
        let event = self.request("Create", &properties, None);
        let first = self.send(&event).await;
        let second = self.send(&event).await;
        assert_eq!(
            second.puts.len(),
            2,
            "each delivery answers once (the server saw both)"
        );
        assert_eq!(
            second.puts[0], second.puts[1],
            "the redelivered request gets the same body"
        );
        self.physical_id = Some(first.physical_id().to_owned());
        self.properties = properties;
        (first, second)
    }

    /// Update to `properties`; on SUCCESS CloudFormation keeps the new id and properties.
    pub async fn update(&mut self, properties: Value) -> CfnResponse {
        let old = self.properties.clone();
        let event = self.request("Update", &properties, Some(&old));
        let response = self.send(&event).await;
        if response.status() == "SUCCESS" {
            self.physical_id = Some(response.physical_id().to_owned());
            self.properties = properties;
        }
        response
    }

    /// An Update that fails, then the rollback CloudFormation sends: an Update back to
    /// the old properties (with the failed ones as `OldResourceProperties`).
    pub async fn update_then_roll_back(&mut self, properties: Value) -> (CfnResponse, CfnResponse) {
        let old = self.properties.clone();
        let event = self.request("Update", &properties, Some(&old));
        let failed = self.send(&event).await;
        let rollback_event = self.request("Update", &old, Some(&properties));
        let rollback = self.send(&rollback_event).await;
        (failed, rollback)
    }

    /// Delete the resource CloudFormation holds.
    pub async fn delete(&mut self) -> CfnResponse {
        let properties = self.properties.clone();
        let event = self.request("Delete", &properties, None);
        self.send(&event).await
    }
}

/// The baseline template's six AWS Config managed rules under README's short names (the
/// template's own, which `verify` looks for: [`crate::baseline::template_config_setup`]).
pub fn baseline_managed_rules() -> Value {
    json!([
        {"Name": "s3-bucket-sse", "SourceIdentifier": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED"},
        {"Name": "cloudtrail-enabled", "SourceIdentifier": "CLOUD_TRAIL_ENABLED"},
        {"Name": "restricted-ssh", "SourceIdentifier": "INCOMING_SSH_DISABLED"},
        {"Name": "rds-storage-encrypted", "SourceIdentifier": "RDS_STORAGE_ENCRYPTED"},
        {"Name": "vpc-default-sg-closed", "SourceIdentifier": "VPC_DEFAULT_SECURITY_GROUP_CLOSED"},
        {"Name": "root-mfa", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED", "MaximumExecutionFrequency": "TwentyFour_Hours"}
    ])
}

/// Properties as CloudFormation delivers them: every scalar (number, boolean) a
/// string, at any depth; `null` values dropped (CloudFormation omits them).
pub fn as_cloudformation_sends(value: &Value) -> Value {
    match value {
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Array(items) => Value::Array(items.iter().map(as_cloudformation_sends).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), as_cloudformation_sends(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A 48-bit value distinct per call within a process (time mixed with a counter).
fn unique_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    (nanos
        ^ COUNTER
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .rotate_left(40))
        & 0xffff_ffff_ffff
}
