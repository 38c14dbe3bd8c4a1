//! The service's state and what each operation does to it: the hub, its settings and
//! tags, and the standards subscriptions along their life (`PENDING` → `READY` or
//! `INCOMPLETE`; `DELETING` → gone or `FAILED`).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::catalogue::{hub_arn, short_id_of, standards_arn, subscription_arn, ACCOUNT, CATALOGUE};
use super::wire::{
    access_denied, central_configuration, conflict, invalid_access, invalid_input, limit_exceeded,
    not_found, not_subscribed, Answer, ApiError, Parsed,
};
use super::Call;

/// How long `BatchEnableStandards` wants between calls.
const ENABLE_INTERVAL: Duration = Duration::from_secs(1);

/// A standards subscription as the emulator holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The standards ARN.
    pub standards_arn: String,
    /// `arn:<partition>:securityhub:<region>:<account>:subscription/<short id>`
    pub subscription_arn: String,
    /// `PENDING`, `READY`, `INCOMPLETE`, `DELETING` or `FAILED`.
    pub status: String,
    /// `StatusReasonCode`, with `INCOMPLETE`.
    pub reason: Option<String>,
    polls_left: u32,
}

impl Subscription {
    /// `short_id`'s subscription in `region`, `status` for `polls` more polls.
    pub(super) fn new(region: &str, short_id: &str, status: &str, polls: u32) -> Self {
        Self {
            standards_arn: standards_arn(region, short_id),
            subscription_arn: subscription_arn(region, short_id),
            status: status.to_owned(),
            reason: None,
            polls_left: polls,
        }
    }

    /// `name/v/version`
    pub fn short_id(&self) -> &str {
        short_id_of(&self.standards_arn)
    }

    fn to_json(&self) -> Value {
        let mut value = json!({
            "StandardsSubscriptionArn": self.subscription_arn,
            "StandardsArn": self.standards_arn,
            "StandardsInput": {},
            "StandardsStatus": self.status,
            "StandardsControlsUpdatable": if self.status == "READY" { "READY_FOR_UPDATES" } else { "NOT_READY_FOR_UPDATES" },
        });
        if let Some(reason) = &self.reason {
            value["StandardsStatusReason"] = json!({ "StatusReasonCode": reason });
        }
        value
    }
}

/// The hub as the emulator holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hub {
    /// `arn:<partition>:securityhub:<region>:<account>:hub/default`
    pub arn: String,
    /// ISO 8601.
    pub subscribed_at: String,
    /// What `DescribeHub` shows.
    pub auto_enable_controls: bool,
    /// What `DescribeHub` shows.
    pub control_finding_generator: String,
    /// The hub's tags.
    pub tags: BTreeMap<String, String>,
    /// Accepted changes not yet shown: (AutoEnableControls, ControlFindingGenerator, reads left).
    pending_change: Option<(Option<bool>, Option<String>, u32)>,
}

impl Hub {
    /// The hub of `region`, subscribed at `subscribed_at`.
    pub(super) fn new(
        region: &str,
        subscribed_at: String,
        auto_enable_controls: bool,
        control_finding_generator: String,
        tags: BTreeMap<String, String>,
    ) -> Self {
        Self {
            arn: hub_arn(region),
            subscribed_at,
            auto_enable_controls,
            control_finding_generator,
            tags,
            pending_change: None,
        }
    }

    /// Shows a settings change.
    fn apply(&mut self, auto: Option<bool>, generator: Option<String>) {
        if let Some(auto) = auto {
            self.auto_enable_controls = auto;
        }
        if let Some(generator) = generator {
            self.control_finding_generator = generator;
        }
    }
}

/// Everything one emulator holds: the service's state, what the knobs set, the calls.
#[derive(Debug)]
pub(super) struct State {
    pub(super) hub: Option<Hub>,
    pub(super) subscriptions: Vec<Subscription>,
    pub(super) pending_polls: u32,
    pub(super) deleting_polls: u32,
    pub(super) setting_delay: u32,
    pub(super) page_size: usize,
    pub(super) centrally_configured: bool,
    pub(super) administrator: Option<String>,
    pub(super) members: u32,
    pub(super) missing_standards: Vec<String>,
    pub(super) incomplete: HashMap<String, String>,
    /// Per short id: how many more disables end `FAILED`, and with which reason code.
    pub(super) failing_disables: HashMap<String, (u32, String)>,
    pub(super) throttles: HashMap<String, u32>,
    pub(super) last_batch_enable: Option<Instant>,
    pub(super) calls: Vec<Call>,
    pub(super) requests: u64,
}

impl State {
    /// No hub, standards `PENDING` for 2 polls, `DELETING` for 1, settings shown after 1 read.
    pub(super) fn new() -> Self {
        Self {
            hub: None,
            subscriptions: Vec::new(),
            pending_polls: 2,
            deleting_polls: 1,
            setting_delay: 1,
            page_size: 4,
            centrally_configured: false,
            administrator: None,
            members: 0,
            missing_standards: Vec::new(),
            incomplete: HashMap::new(),
            failing_disables: HashMap::new(),
            throttles: HashMap::new(),
            last_batch_enable: None,
            calls: Vec::new(),
            requests: 0,
        }
    }

    pub(super) fn handle(
        &mut self,
        operation: &str,
        request: &Parsed,
        recording: bool,
        arrived: Instant,
    ) -> Answer {
        match operation {
            "EnableSecurityHub" => self.enable_security_hub(request),
            "DescribeHub" => self.describe_hub(request),
            "UpdateSecurityHubConfiguration" => self.update_configuration(request),
            "DisableSecurityHub" => self.disable_security_hub(),
            "DescribeStandards" => self.describe_standards(request),
            "GetEnabledStandards" => self.get_enabled_standards(request, recording),
            "BatchEnableStandards" => self.batch_enable_standards(request, arrived),
            "BatchDisableStandards" => self.batch_disable_standards(request),
            "TagResource" | "ListTagsForResource" | "UntagResource" => {
                self.tags(operation, request)
            }
            _ => Err((
                404,
                "UnknownOperationException",
                format!(
                    "{} {} is not an operation of this emulator",
                    request.method, request.path
                ),
            )),
        }
    }

    fn hub_mut(&mut self) -> Result<&mut Hub, ApiError> {
        self.hub.as_mut().ok_or_else(not_subscribed)
    }

    /// The member account's refusal of `what`, if the account is a member.
    fn refused_as_member(&self, what: &str) -> Result<(), ApiError> {
        match &self.administrator {
            Some(administrator) => Err(invalid_access(format!(
                "Account {ACCOUNT} is a member account of administrator {administrator}{what}"
            ))),
            None => Ok(()),
        }
    }

    fn enable_security_hub(&mut self, request: &Parsed) -> Answer {
        if self.hub.is_some() {
            return Err(conflict(format!(
                "Account {ACCOUNT} is already subscribed to Security Hub"
            )));
        }
        let body = &request.body;
        let generator = generator_of(body)?.unwrap_or_else(|| "SECURITY_CONTROL".to_owned());
        let tags = string_map(body.get("Tags"));
        self.hub = Some(Hub::new(
            &request.region,
            iso8601_now(),
            true,
            generator,
            tags,
        ));
        let defaults = body
            .get("EnableDefaultStandards")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if defaults {
            for (short_id, _, by_default) in CATALOGUE {
                if *by_default {
                    self.subscribe(&request.region, short_id);
                }
            }
        }
        Ok(json!({}))
    }

    fn describe_hub(&mut self, request: &Parsed) -> Answer {
        let hub = self.hub_mut()?;
        if let Some(asked) = request.query("HubArn") {
            if asked != hub.arn {
                return Err(not_found(format!(
                    "The request was rejected because no hub was found with ARN {asked}."
                )));
            }
        }
        if let Some((auto, generator, reads)) = hub.pending_change.take() {
            if reads <= 1 {
                hub.apply(auto, generator);
            } else {
                hub.pending_change = Some((auto, generator, reads - 1));
            }
        }
        Ok(json!({
            "HubArn": hub.arn,
            "SubscribedAt": hub.subscribed_at,
            "AutoEnableControls": hub.auto_enable_controls,
            "ControlFindingGenerator": hub.control_finding_generator,
        }))
    }

    fn update_configuration(&mut self, request: &Parsed) -> Answer {
        self.hub_mut()?;
        if self.centrally_configured {
            return Err(central_configuration("UpdateSecurityHubConfiguration"));
        }
        let auto = request
            .body
            .get("AutoEnableControls")
            .and_then(Value::as_bool);
        let generator = generator_of(&request.body)?;
        if generator.is_some() {
            self.refused_as_member(
                ": ControlFindingGenerator can only be updated in the administrator account",
            )?;
        }
        let delay = self.setting_delay;
        let hub = self.hub_mut()?;
        if delay == 0 {
            hub.apply(auto, generator);
        } else {
            let (old_auto, old_generator) = hub
                .pending_change
                .take()
                .map(|(a, g, _)| (a, g))
                .unwrap_or_default();
            hub.pending_change = Some((auto.or(old_auto), generator.or(old_generator), delay));
        }
        Ok(json!({}))
    }

    fn disable_security_hub(&mut self) -> Answer {
        self.hub_mut()?;
        if self.centrally_configured {
            return Err(central_configuration("DisableSecurityHub"));
        }
        self.refused_as_member(
            ". Disassociate it from the administrator account before disabling Security Hub",
        )?;
        if self.members > 0 {
            return Err(invalid_input(format!(
                "Account {ACCOUNT} is the Security Hub administrator account for {} member accounts. Disassociate and delete the member accounts before disabling Security Hub",
                self.members
            )));
        }
        self.hub = None;
        self.subscriptions.clear();
        Ok(json!({}))
    }

    fn offered(&self, region: &str) -> Vec<(String, &'static str, bool)> {
        CATALOGUE
            .iter()
            .filter(|(id, _, _)| !self.missing_standards.iter().any(|m| m == id))
            .map(|(id, name, by_default)| (standards_arn(region, id), *name, *by_default))
            .collect()
    }

    /// The page of `items` that `token` names, as `{key: [...], "NextToken"?}`.
    fn page<T>(
        &self,
        key: &str,
        items: &[T],
        token: Option<&str>,
        max: Option<usize>,
        to_json: impl Fn(&T) -> Value,
    ) -> Answer {
        let start = match token {
            None => 0,
            Some(token) => token
                .strip_prefix("page-")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n <= items.len())
                .ok_or_else(|| invalid_input(format!("Invalid NextToken: {token}")))?,
        };
        let size = max.unwrap_or(self.page_size).clamp(1, 100);
        let end = (start + size).min(items.len());
        let mut body = json!({ key: items[start..end].iter().map(to_json).collect::<Vec<_>>() });
        if end < items.len() {
            body["NextToken"] = json!(format!("page-{end}"));
        }
        Ok(body)
    }

    fn describe_standards(&mut self, request: &Parsed) -> Answer {
        self.hub_mut()?;
        let offered = self.offered(&request.region);
        let max = request.query("MaxResults").and_then(|m| m.parse().ok());
        self.page(
            "Standards",
            &offered,
            request.query("NextToken"),
            max,
            |(arn, name, by_default)| {
                json!({
                    "StandardsArn": arn,
                    "Name": name,
                    "Description": format!("{name} (emulated)"),
                    "EnabledByDefault": by_default,
                    "StandardsManagedBy": {"Company": "AWS", "Product": "Security Hub"},
                })
            },
        )
    }

    /// Moves every subscription one poll along its life: `PENDING` and `DELETING` are
    /// shown for their polls, then `PENDING` becomes `READY` or `INCOMPLETE` and
    /// `DELETING` is gone (or `FAILED`, see [`super::SecurityHub::failing_disables`]).
    fn tick(&mut self, recording: bool) {
        let failing = &mut self.failing_disables;
        self.subscriptions.retain_mut(|s| {
            if !(s.status == "DELETING" && s.polls_left == 0) {
                return true;
            }
            match failing.get_mut(s.short_id()) {
                Some((times, reason)) if *times > 0 => {
                    *times -= 1;
                    s.status = "FAILED".into();
                    s.reason = Some(reason.clone());
                    true
                }
                _ => false,
            }
        });
        for subscription in &mut self.subscriptions {
            match subscription.status.as_str() {
                "PENDING" | "DELETING" if subscription.polls_left > 0 => {
                    subscription.polls_left -= 1;
                }
                "PENDING" => {
                    let reason = self
                        .incomplete
                        .get(subscription.short_id())
                        .cloned()
                        .or_else(|| {
                            (!recording).then(|| "NO_AVAILABLE_CONFIGURATION_RECORDER".to_owned())
                        });
                    subscription.status = if reason.is_some() {
                        "INCOMPLETE".into()
                    } else {
                        "READY".into()
                    };
                    subscription.reason = reason;
                }
                _ => {}
            }
        }
    }

    fn get_enabled_standards(&mut self, request: &Parsed, recording: bool) -> Answer {
        self.hub_mut()?;
        let token = request.body.get("NextToken").and_then(Value::as_str);
        if token.is_none() {
            self.tick(recording);
        }
        let wanted = request.strings("StandardsSubscriptionArns");
        let visible: Vec<&Subscription> = self
            .subscriptions
            .iter()
            .filter(|s| {
                wanted
                    .as_ref()
                    .is_none_or(|w| w.contains(&s.subscription_arn))
            })
            .collect();
        let max = request
            .body
            .get("MaxResults")
            .and_then(Value::as_u64)
            .map(|m| m as usize);
        self.page("StandardsSubscriptions", &visible, token, max, |s| {
            s.to_json()
        })
    }

    fn subscribe(&mut self, region: &str, short_id: &str) -> Subscription {
        let arn = standards_arn(region, short_id);
        if let Some(existing) = self.subscriptions.iter().find(|s| s.standards_arn == arn) {
            return existing.clone();
        }
        let subscription = Subscription::new(region, short_id, "PENDING", self.pending_polls);
        self.subscriptions.push(subscription.clone());
        subscription
    }

    fn batch_enable_standards(&mut self, request: &Parsed, arrived: Instant) -> Answer {
        self.hub_mut()?;
        if self.centrally_configured {
            return Err(central_configuration("BatchEnableStandards"));
        }
        if self
            .last_batch_enable
            .is_some_and(|last| arrived.duration_since(last) < ENABLE_INTERVAL)
        {
            return Err(limit_exceeded());
        }
        self.last_batch_enable = Some(arrived);
        let requests = request
            .body
            .get("StandardsSubscriptionRequests")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if requests.is_empty() || requests.len() > 25 {
            return Err(invalid_input(format!(
                "StandardsSubscriptionRequests must have 1 to 25 items, got {}",
                requests.len()
            )));
        }
        let offered = self.offered(&request.region);
        let mut ids = Vec::new();
        let mut invalid = Vec::new();
        for item in &requests {
            let arn = item
                .get("StandardsArn")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if offered.iter().any(|(offered, _, _)| offered == arn) {
                ids.push(short_id_of(arn).to_owned());
            } else {
                invalid.push(json!({ "StandardsArn": arn }).to_string());
            }
        }
        if !invalid.is_empty() {
            return Err(invalid_input(format!(
                "Invalid StandardsSubscriptionRequest(s): [{}]",
                invalid.join(",")
            )));
        }
        self.refuse_in_state("DELETING", |s| ids.iter().any(|id| s.short_id() == id))?;
        let made: Vec<Value> = ids
            .iter()
            .map(|id| self.subscribe(&request.region, id).to_json())
            .collect();
        Ok(json!({ "StandardsSubscriptions": made }))
    }

    /// The service's refusal of subscriptions it cannot change in `status` (those that
    /// `chosen` picks): "StandardsSubscription(s) in state PENDING, please try later".
    fn refuse_in_state(
        &self,
        status: &str,
        chosen: impl Fn(&Subscription) -> bool,
    ) -> Result<(), ApiError> {
        let refused: Vec<String> = self
            .subscriptions
            .iter()
            .filter(|s| s.status == status && chosen(s))
            .map(|s| format!("\"{}\"", s.subscription_arn))
            .collect();
        if refused.is_empty() {
            return Ok(());
        }
        Err(invalid_input(format!(
            "StandardsSubscription(s) in state {status}, please try later: [{}]",
            refused.join(",")
        )))
    }

    fn batch_disable_standards(&mut self, request: &Parsed) -> Answer {
        self.hub_mut()?;
        if self.centrally_configured {
            return Err(central_configuration("BatchDisableStandards"));
        }
        let arns = request
            .strings("StandardsSubscriptionArns")
            .unwrap_or_default();
        if arns.is_empty() || arns.len() > 25 {
            return Err(invalid_input(format!(
                "StandardsSubscriptionArns must have 1 to 25 items, got {}",
                arns.len()
            )));
        }
        if let Some(standards) = arns
            .iter()
            .find(|arn| arn.contains("::standards/") || arn.contains(":::ruleset/"))
        {
            return Err(access_denied(format!(
                "User: arn:aws:sts::{ACCOUNT}:assumed-role/under-test/under-test is not authorized to perform: securityhub:BatchDisableStandards on resource: {standards}"
            )));
        }
        let unknown: Vec<&String> = arns
            .iter()
            .filter(|arn| {
                !self
                    .subscriptions
                    .iter()
                    .any(|s| &s.subscription_arn == *arn)
            })
            .collect();
        if !unknown.is_empty() {
            return Err(invalid_input(format!(
                "The standards subscription(s) do not exist: {unknown:?}"
            )));
        }
        self.refuse_in_state("PENDING", |s| arns.contains(&s.subscription_arn))?;
        let polls = self.deleting_polls;
        let mut changed = Vec::new();
        for subscription in &mut self.subscriptions {
            if !arns.contains(&subscription.subscription_arn) {
                continue;
            }
            if subscription.status != "DELETING" {
                subscription.status = "DELETING".into();
                subscription.reason = None;
                subscription.polls_left = polls;
            }
            changed.push(subscription.to_json());
        }
        Ok(json!({ "StandardsSubscriptions": changed }))
    }

    fn tags(&mut self, operation: &str, request: &Parsed) -> Answer {
        let arn = request.path.trim_start_matches("/tags/").to_owned();
        let hub = self.hub_mut()?;
        if arn != hub.arn {
            return Err(not_found(format!(
                "The request was rejected because no resource was found with ARN {arn}."
            )));
        }
        match operation {
            "TagResource" => {
                let tags = string_map(request.body.get("Tags"));
                if tags.is_empty() {
                    return Err(invalid_input("Tags must not be empty".into()));
                }
                hub.tags.extend(tags);
                Ok(json!({}))
            }
            "UntagResource" => {
                for (key, value) in &request.query {
                    if key == "tagKeys" {
                        hub.tags.remove(value);
                    }
                }
                Ok(json!({}))
            }
            _ => Ok(json!({ "Tags": hub.tags })),
        }
    }
}

/// The body's `ControlFindingGenerator`, if sent and one of the two the service knows.
fn generator_of(body: &Value) -> Result<Option<String>, ApiError> {
    match body.get("ControlFindingGenerator").and_then(Value::as_str) {
        None => Ok(None),
        Some(g @ ("SECURITY_CONTROL" | "STANDARD_CONTROL")) => Ok(Some(g.to_owned())),
        Some(other) => Err(invalid_input(format!(
            "Invalid ControlFindingGenerator: {other}"
        ))),
    }
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|map: &Map<String, Value>| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Now as ISO 8601 with milliseconds (`2026-01-15T09:30:00.000Z`).
fn iso8601_now() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}
