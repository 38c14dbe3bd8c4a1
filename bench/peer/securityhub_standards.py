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

Region and endpoints come from the environment as with the Rust SDK: `AWS_REGION` and
`AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SECURITYHUB` (boto3 >= 1.28).

Handler: `securityhub_standards.handler` (run by bootstrap.py).
"""

import os
import time

import boto3

from ledger import claim, ledger_name, physical_id, read_record
from loopback import cfn_resource

helper = cfn_resource()
region = os.environ.get("AWS_REGION")
securityhub = boto3.client("securityhub", region_name=region)
ssm = boto3.client("ssm", region_name=region)


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


@helper.create
@helper.update
def create_or_update(event, context):
    properties = event["ResourceProperties"]
    resource_id = physical_id(event)
    name = ledger_name(resource_id)
    wanted = _resolve(properties["Standards"])
    record = read_record(ssm, name)
    enabled = _enabled()
    missing = [arn for arn in wanted if arn not in enabled]
    if missing:
        claim(ssm, name, record, "standard", missing)
        securityhub.batch_enable_standards(
            StandardsSubscriptionRequests=[{"StandardsArn": arn} for arn in missing]
        )
    delay = 0.2
    while True:
        enabled = _enabled()
        states = [enabled.get(arn, {}).get("StandardsStatus", "PENDING") for arn in wanted]
        failed = [arn for arn, state in zip(wanted, states) if state in ("INCOMPLETE", "FAILED")]
        if failed:
            raise RuntimeError("not ready: {}".format(", ".join(map(_short_id, failed))))
        if all(state == "READY" for state in states):
            break
        time.sleep(delay)
        delay = min(delay * 2, 3)
    owned = record["owned"].get("standard", [])
    helper.Data.update(
        StandardsSubscriptionArns=",".join(enabled[arn]["StandardsSubscriptionArn"] for arn in wanted),
        Adopted=",".join(_short_id(arn) for arn in wanted if arn not in owned),
    )
    return resource_id


@helper.delete
def delete(event, context):
    name = ledger_name(event["PhysicalResourceId"])
    owned = read_record(ssm, name)["owned"].get("standard", [])
    enabled = _enabled()
    leaving = [enabled[arn]["StandardsSubscriptionArn"] for arn in owned if arn in enabled]
    if leaving:
        securityhub.batch_disable_standards(StandardsSubscriptionArns=leaving)
        delay = 0.2
        while any(arn in _enabled() for arn in owned):
            time.sleep(delay)
            delay = min(delay * 2, 3)
    try:
        ssm.delete_parameter(Name=name)
    except ssm.exceptions.ParameterNotFound:
        pass


def handler(event, context):
    helper(event, context)
