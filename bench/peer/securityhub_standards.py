"""Custom::SecurityHubStandards in Python with crhelper and boto3: the benchmark's peer of
functions/securityhub-standards, for the Create the benchmark times.

The same job as the Rust function's Create: resolve the requested short ids through
DescribeStandards (every page) for this region; read the ownership record (SSM
GetParameter under /cfn-custom-resource-kit/ownership/) and the enabled standards
(GetEnabledStandards, every page; pages of 100 as the Rust function asks); record the intent to own the missing ones
(PutParameter) before one BatchEnableStandards for them; then GetEnabledStandards until
every requested standard is READY (INCOMPLETE or FAILED fail the request). `Data`:
`StandardsSubscriptionArns`, `Adopted`. Standards enabled before are adopted. Delete
disables only the standards the record says this resource enabled, waits until they are
gone, and erases the record.
"""

from common import cfn_resource, client, poll
from ledger import claim, erase, read_record, resource

helper = cfn_resource()
securityhub = client("securityhub")


def _short_id(standards_arn):
    """`pci-dss/v/3.2.1` of `arn:...:standards/pci-dss/v/3.2.1` (or `...:ruleset/...`)."""
    return standards_arn.split(":", 5)[5].split("/", 1)[1]


def _resolve(standards):
    listed = {}
    for page in securityhub.get_paginator("describe_standards").paginate(PaginationConfig={"PageSize": 100}):
        for standard in page["Standards"]:
            listed[_short_id(standard["StandardsArn"])] = standard["StandardsArn"]
    resolved = []
    for standard in standards:
        if standard.startswith("arn:"):
            resolved.append(standard)
        elif standard in listed:
            resolved.append(listed[standard])
        else:
            raise ValueError("unknown standard {}".format(standard))
    return resolved


def _enabled():
    subscriptions = {}
    for page in securityhub.get_paginator("get_enabled_standards").paginate(PaginationConfig={"PageSize": 100}):
        for subscription in page["StandardsSubscriptions"]:
            subscriptions[subscription["StandardsArn"]] = subscription
    return subscriptions


def _ready(wanted, enabled):
    """Whether every standard of `wanted` is READY; fails on one INCOMPLETE or FAILED."""
    states = [enabled.get(arn, {}).get("StandardsStatus", "PENDING") for arn in wanted]
    failed = [arn for arn, state in zip(wanted, states) if state in ("INCOMPLETE", "FAILED")]
    if failed:
        raise RuntimeError("not ready: {}".format(", ".join(map(_short_id, failed))))
    return all(state == "READY" for state in states)


@helper.create
@helper.update
def create_or_update(event, context):
    resource_id, name = resource(event)
    wanted = _resolve(event["ResourceProperties"]["Standards"])
    record = read_record(name)
    enabled = _enabled()
    missing = [arn for arn in wanted if arn not in enabled]
    if missing:
        claim(name, record, "standard", missing)
        securityhub.batch_enable_standards(
            StandardsSubscriptionRequests=[{"StandardsArn": arn} for arn in missing]
        )
    enabled = poll(_enabled, lambda enabled: _ready(wanted, enabled))
    owned = record["owned"].get("standard", [])
    helper.Data.update(
        StandardsSubscriptionArns=",".join(enabled[arn]["StandardsSubscriptionArn"] for arn in wanted),
        Adopted=",".join(_short_id(arn) for arn in wanted if arn not in owned),
    )
    return resource_id


@helper.delete
def delete(event, context):
    _, name = resource(event)
    owned = read_record(name)["owned"].get("standard", [])
    enabled = _enabled()
    leaving = [enabled[arn]["StandardsSubscriptionArn"] for arn in owned if arn in enabled]
    if leaving:
        securityhub.batch_disable_standards(StandardsSubscriptionArns=leaving)
        poll(_enabled, lambda enabled: not any(arn in enabled for arn in owned))
    erase(name)


def handler(event, context):
    helper(event, context)
