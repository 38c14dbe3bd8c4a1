//! Which standard a property names: short ids resolved through `DescribeStandards` for
//! the partition and region the function runs in; full ARNs checked and used as given.

use cfn_custom_resource_kit::{Failure, ReasonCode};

/// Short ids this resource knows to exist in some region. One the region does not list
/// is `UNSUPPORTED` (not available here); any other short id it does not list is
/// `INVALID_PROPERTIES` (no such standard).
pub(crate) const KNOWN_SHORT_IDS: &[&str] = &[
    "aws-foundational-security-best-practices/v/1.0.0",
    "cis-aws-foundations-benchmark/v/1.2.0",
    "cis-aws-foundations-benchmark/v/1.4.0",
    "cis-aws-foundations-benchmark/v/3.0.0",
    "cis-aws-foundations-benchmark/v/5.0.0",
    "nist-800-53/v/5.0.0",
    "nist-800-171/v/2.0.0",
    "pci-dss/v/3.2.1",
    "pci-dss/v/4.0.1",
    "aws-resource-tagging-standard/v/1.0.0",
];

/// Where the function runs: the partition follows from the region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: String,
    /// e.g. `us-east-1`
    pub region: String,
}

impl Location {
    /// The location of `region`.
    pub fn of_region(region: &str) -> Self {
        Self {
            partition: partition_of(region).to_owned(),
            region: region.to_owned(),
        }
    }
}

/// The partition a region belongs to.
pub(crate) fn partition_of(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// A standards ARN taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StandardsArn<'a> {
    /// The partition it names.
    pub partition: &'a str,
    /// The region it names; empty for the region-less `ruleset/` form (CIS 1.2.0).
    pub region: &'a str,
    /// `name/v/version`
    pub short_id: &'a str,
}

/// `arn:<partition>:securityhub:<region>::standards/<id>` or
/// `arn:<partition>:securityhub:::ruleset/<id>`; `None` for anything else (subscription
/// ARNs included).
pub(crate) fn parse_arn(arn: &str) -> Option<StandardsArn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("securityhub"), Some(region), Some(""), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if partition.is_empty()
        || !partition
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-')
        || !region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return None;
    }
    let short_id = resource
        .strip_prefix("standards/")
        .or_else(|| resource.strip_prefix("ruleset/"))?;
    parse_short_id(short_id)?;
    Some(StandardsArn {
        partition,
        region,
        short_id,
    })
}

/// `name/v/version` with a lowercase name and a dotted numeric version.
pub(crate) fn parse_short_id(id: &str) -> Option<&str> {
    let (name, version) = id.split_once("/v/")?;
    let name_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let version_ok = version.chars().next().is_some_and(|c| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_digit() || c == '.');
    (name_ok && version_ok).then_some(id)
}

/// The short id inside a standards ARN (`cis-aws-foundations-benchmark/v/1.2.0`), or the
/// ARN itself when it has another form.
pub(crate) fn short_id_of(arn: &str) -> &str {
    parse_arn(arn).map_or(arn, |parsed| parsed.short_id)
}

/// A requested standard, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Wanted {
    /// The standards ARN `BatchEnableStandards` takes.
    pub arn: String,
    /// `name/v/version`, for messages and `Data.Adopted`.
    pub short_id: String,
}

/// Resolves `requested` (the `Standards` property) against the standards ARNs
/// `DescribeStandards` lists in `location`.
pub(crate) fn resolve(
    requested: &[String],
    listed: &[String],
    location: &Location,
) -> Result<Vec<Wanted>, Failure> {
    let mut resolved: Vec<Wanted> = Vec::with_capacity(requested.len());
    for (index, standard) in requested.iter().enumerate() {
        let field = format!("Standards[{index}]");
        let wanted = if standard.starts_with("arn:") {
            resolve_arn(standard, listed, location, &field)?
        } else {
            resolve_short_id(standard, listed, location, &field)?
        };
        if let Some(first) = resolved.iter().position(|w| w.arn == wanted.arn) {
            return Err(Failure::invalid_property(
                &field,
                format!(
                    "{standard} names the same standard as Standards[{first}] ({})",
                    wanted.arn
                ),
            ));
        }
        resolved.push(wanted);
    }
    Ok(resolved)
}

fn resolve_arn(
    arn: &str,
    listed: &[String],
    location: &Location,
    field: &str,
) -> Result<Wanted, Failure> {
    let Some(parsed) = parse_arn(arn) else {
        return Err(Failure::invalid_property(
            field,
            format!("{arn} is not a standards ARN"),
        ));
    };
    if parsed.partition != location.partition {
        return Err(Failure::invalid_property(
            field,
            format!(
                "{arn} is in partition {}, but this function runs in {} (partition {})",
                parsed.partition, location.region, location.partition
            ),
        ));
    }
    if !parsed.region.is_empty() && parsed.region != location.region {
        return Err(Failure::invalid_property(
            field,
            format!(
                "{arn} names region {}, but this function runs in {}; use the short id {} to get this region's ARN",
                parsed.region, location.region, parsed.short_id
            ),
        ));
    }
    if !listed.iter().any(|listed| listed == arn) {
        return Err(Failure::new(
            ReasonCode::Unsupported,
            format!(
                "{field}: {arn} is not available in {} (DescribeStandards does not list it)",
                location.region
            ),
        ));
    }
    Ok(Wanted {
        arn: arn.to_owned(),
        short_id: parsed.short_id.to_owned(),
    })
}

fn resolve_short_id(
    id: &str,
    listed: &[String],
    location: &Location,
    field: &str,
) -> Result<Wanted, Failure> {
    if let Some(arn) = listed.iter().find(|arn| short_id_of(arn) == id) {
        return Ok(Wanted {
            arn: arn.clone(),
            short_id: id.to_owned(),
        });
    }
    if KNOWN_SHORT_IDS.contains(&id) {
        return Err(Failure::new(
            ReasonCode::Unsupported,
            format!(
                "{field}: {id} is not available in {} (DescribeStandards does not list it)",
                location.region
            ),
        ));
    }
    let available = listed
        .iter()
        .map(|arn| short_id_of(arn))
        .collect::<Vec<_>>()
        .join(", ");
    Err(Failure::invalid_property(
        field,
        format!(
            "{id} is not a Security Hub standard; {} lists: {available}",
            location.region
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("eu-central-2"), "aws");
        assert_eq!(partition_of("cn-north-1"), "aws-cn");
        assert_eq!(partition_of("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("us-iso-east-1"), "aws-iso");
        assert_eq!(partition_of("us-isob-east-1"), "aws-iso-b");
    }

    #[test]
    fn both_arn_forms_parse_and_subscription_arns_do_not() {
        assert_eq!(
            parse_arn("arn:aws-cn:securityhub:cn-north-1::standards/pci-dss/v/3.2.1"),
            Some(StandardsArn {
                partition: "aws-cn",
                region: "cn-north-1",
                short_id: "pci-dss/v/3.2.1"
            })
        );
        assert_eq!(
            parse_arn("arn:aws-us-gov:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"),
            Some(StandardsArn {
                partition: "aws-us-gov",
                region: "",
                short_id: "cis-aws-foundations-benchmark/v/1.2.0"
            })
        );
        assert_eq!(
            parse_arn("arn:aws:securityhub:us-east-1:123456789012:subscription/pci-dss/v/3.2.1"),
            None
        );
        assert_eq!(
            parse_arn("arn:aws:securityhub:us-east-1::hub/default"),
            None
        );
    }
}
