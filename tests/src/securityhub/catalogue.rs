//! What the emulated service offers and how it names things: the account, the standards
//! of every region, and the ARNs of hubs, standards and subscriptions.

/// The account every request acts for (moto's default account).
pub const ACCOUNT: &str = "123456789012";

/// The standards every region offers here: (short id, name, enabled by default).
/// CIS 1.2.0 has the region-less `ruleset/` ARN, the others `<region>::standards/`.
pub const CATALOGUE: &[(&str, &str, bool)] = &[
    (
        "aws-foundational-security-best-practices/v/1.0.0",
        "AWS Foundational Security Best Practices v1.0.0",
        true,
    ),
    (
        "cis-aws-foundations-benchmark/v/1.2.0",
        "CIS AWS Foundations Benchmark v1.2.0",
        true,
    ),
    (
        "cis-aws-foundations-benchmark/v/1.4.0",
        "CIS AWS Foundations Benchmark v1.4.0",
        false,
    ),
    (
        "cis-aws-foundations-benchmark/v/3.0.0",
        "CIS AWS Foundations Benchmark v3.0.0",
        false,
    ),
    (
        "cis-aws-foundations-benchmark/v/5.0.0",
        "CIS AWS Foundations Benchmark v5.0.0",
        false,
    ),
    (
        "nist-800-53/v/5.0.0",
        "NIST Special Publication 800-53 Revision 5",
        false,
    ),
    ("nist-800-171/v/2.0.0", "NIST SP 800-171 Revision 2", false),
    ("pci-dss/v/3.2.1", "PCI DSS v3.2.1", false),
    ("pci-dss/v/4.0.1", "PCI DSS v4.0.1", false),
    (
        "aws-resource-tagging-standard/v/1.0.0",
        "AWS Resource Tagging Standard v1.0.0",
        false,
    ),
];

/// The partition of a region.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The standards ARN of `short_id` in `region` (CIS 1.2.0: the region-less `ruleset/` form).
pub fn standards_arn(region: &str, short_id: &str) -> String {
    let partition = partition_of(region);
    if short_id == "cis-aws-foundations-benchmark/v/1.2.0" {
        format!("arn:{partition}:securityhub:::ruleset/{short_id}")
    } else {
        format!("arn:{partition}:securityhub:{region}::standards/{short_id}")
    }
}

/// The subscription ARN of `short_id` in `region`.
pub fn subscription_arn(region: &str, short_id: &str) -> String {
    let partition = partition_of(region);
    format!("arn:{partition}:securityhub:{region}:{ACCOUNT}:subscription/{short_id}")
}

/// The hub ARN in `region`.
pub fn hub_arn(region: &str) -> String {
    let partition = partition_of(region);
    format!("arn:{partition}:securityhub:{region}:{ACCOUNT}:hub/default")
}

/// `name/v/version` of a standards or subscription ARN.
pub(super) fn short_id_of(arn: &str) -> &str {
    arn.split_once(":standards/")
        .or_else(|| arn.split_once(":ruleset/"))
        .or_else(|| arn.split_once(":subscription/"))
        .map_or(arn, |(_, id)| id)
}
