//! What a request answers: `Data` and the summary, and the limits an answer and the
//! ownership record must fit (checked before any change).

use cfn_custom_resource_kit::{Failure, Ledger, Outcome, Ownership, RequestContext};

use crate::properties::ConfigSetupProperties;
use crate::{channel, recorder, rules};

/// What a convergence found and did, for `Data`.
pub(crate) struct Converged {
    pub(crate) recorder_name: String,
    pub(crate) channel_name: String,
    pub(crate) adopted: bool,
    /// AWS Control Tower's recorder, adopted read-only.
    pub(crate) control_tower: bool,
}

/// The answer to a Create or Update, its summary followed by `notes`.
pub(crate) fn outcome(
    converged: &Converged,
    rule_names: &[String],
    notes: impl IntoIterator<Item = String>,
) -> Outcome {
    let summary = match converged.control_tower {
        true => "AWS Control Tower's recorder records (adopted read-only)".to_owned(),
        false => format!(
            "recorder {} records through channel {}; {} rule(s) ACTIVE",
            converged.recorder_name,
            converged.channel_name,
            rule_names.len()
        ),
    };
    Outcome::new()
        .with_data("RecorderName", &converged.recorder_name)
        .with_data("DeliveryChannelName", &converged.channel_name)
        .with_data("Recording", "true")
        .with_data("RuleNames", rule_names.join(","))
        .with_data("Adopted", converged.adopted.to_string())
        .with_summary(joined(summary, notes))
}

/// `summary`, then each of `notes`, separated by `; `.
pub(crate) fn joined(summary: String, notes: impl IntoIterator<Item = String>) -> String {
    notes
        .into_iter()
        .fold(summary, |summary, note| format!("{summary}; {note}"))
}

/// What an answer says of rules whose deletion AWS Config accepted and has not finished.
pub(crate) fn deletion_note(under_way: &[String]) -> Option<String> {
    (!under_way.is_empty()).then(|| {
        format!(
            "AWS Config is still deleting rule(s) {} (accepted; it can take an hour or more and finishes on its own)",
            under_way.join(", ")
        )
    })
}

/// The answer lists every rule (`Data.RuleNames`) and the ownership record every rule
/// this resource creates; CloudFormation takes 4096 bytes of response, a standard SSM
/// parameter 4096 bytes of record. Checked before any change (recorder and channel
/// under the name the properties give, every rule created), so a long rule list is
/// refused up front instead of doing all its work and then failing to say so.
pub(crate) fn check_limits(
    context: &RequestContext,
    ledger: &Ledger,
    properties: &ConfigSetupProperties,
    owned: &Ownership,
) -> Result<(), Failure> {
    let names = rules::names(properties);
    let converged = Converged {
        recorder_name: properties.recorder_name.clone(),
        channel_name: properties.recorder_name.clone(),
        adopted: false,
        control_tower: false,
    };
    let too_many = |what: &str, size: usize| {
        Failure::invalid_property(
            "ManagedRules",
            format!("{} rules with names of {} characters in all make {what} of {size} bytes, over its limit of 4096; use fewer or shorter rule names, or split them over two resources", names.len(), names.iter().map(String::len).sum::<usize>()),
        )
    };
    context
        .check_answer_fits(&outcome(&converged, &names, None))
        .map_err(|size| {
            too_many(
                "the response to CloudFormation (Data.RuleNames lists every rule)",
                size,
            )
        })?;
    let mut claims = vec![
        (recorder::KIND, converged.recorder_name.as_str()),
        (channel::KIND, converged.channel_name.as_str()),
    ];
    claims.extend(names.iter().map(|name| (rules::KIND, name.as_str())));
    ledger
        .check_claims_fit(context, owned, &claims)
        .map_err(|size| too_many("an ownership record", size))
}
