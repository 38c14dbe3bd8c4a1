"""Custom::SecurityHubEnable in Python with crhelper and boto3: the benchmark's peer of
functions/securityhub-enable, for the Create the benchmark times.

The same job as the Rust function's Create of a hub with default settings: DescribeHub
(not subscribed: InvalidAccessException "... not subscribed ..."); read the ownership
record (SSM GetParameter under /cfn-custom-resource-kit/ownership/); when there is no hub,
record the intent to own it (PutParameter) before EnableSecurityHub
(EnableDefaultStandards false), then DescribeHub until it shows; `Data` carries `HubArn`,
`SubscribedAt`, `Adopted`. An existing hub is adopted. Delete disables only an owned hub.

Region and endpoints come from the environment as with the Rust SDK: `AWS_REGION` and
`AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SECURITYHUB` (boto3 >= 1.28).

Handler: `securityhub_enable.handler` (run by bootstrap.py).
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


def _hub():
    try:
        return securityhub.describe_hub()
    except securityhub.exceptions.InvalidAccessException as error:
        if "not subscribed" in str(error).lower():
            return None
        raise


@helper.create
@helper.update
def create_or_update(event, context):
    resource_id = physical_id(event)
    name = ledger_name(resource_id)
    hub = _hub()
    record = read_record(ssm, name)
    owned = "hub" in record["owned"]
    if hub is None:
        claim(ssm, name, record, "hub", ["default"])
        owned = True
        securityhub.enable_security_hub(EnableDefaultStandards=False)
        hub, delay = _hub(), 0.2
        while hub is None:
            time.sleep(delay)
            delay = min(delay * 2, 3)
            hub = _hub()
    helper.Data.update(HubArn=hub["HubArn"], SubscribedAt=hub["SubscribedAt"], Adopted=str(not owned).lower())
    return resource_id


@helper.delete
def delete(event, context):
    name = ledger_name(event["PhysicalResourceId"])
    if "hub" in read_record(ssm, name)["owned"] and _hub() is not None:
        securityhub.disable_security_hub()
    try:
        ssm.delete_parameter(Name=name)
    except ssm.exceptions.ParameterNotFound:
        pass


def handler(event, context):
    helper(event, context)
