"""Custom::SecurityHubEnable in Python with crhelper and boto3: the benchmark's peer of
functions/securityhub-enable, for the Create the benchmark times.

The same job as the Rust function's Create of a hub with default settings: DescribeHub
(not subscribed: InvalidAccessException "... not subscribed ..."); read the ownership
record (SSM GetParameter under /cfn-custom-resource-kit/ownership/); when there is no hub,
record the intent to own it (PutParameter) before EnableSecurityHub
(EnableDefaultStandards false), then DescribeHub until it shows; `Data` carries `HubArn`,
`SubscribedAt`, `Adopted`. An existing hub is adopted. Delete disables only an owned hub.
"""

from common import cfn_resource, client, poll
from ledger import claim, erase, read_record, resource

helper = cfn_resource()
securityhub = client("securityhub")


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
    resource_id, name = resource(event)
    hub = _hub()
    record = read_record(name)
    owned = "hub" in record["owned"]
    if hub is None:
        claim(name, record, "hub", ["default"])
        owned = True
        securityhub.enable_security_hub(EnableDefaultStandards=False)
        hub = poll(_hub, lambda hub: hub is not None)
    helper.Data.update(HubArn=hub["HubArn"], SubscribedAt=hub["SubscribedAt"], Adopted=str(not owned).lower())
    return resource_id


@helper.delete
def delete(event, context):
    _, name = resource(event)
    if "hub" in read_record(name)["owned"] and _hub() is not None:
        securityhub.disable_security_hub()
    erase(name)


def handler(event, context):
    helper(event, context)
