"""What the peers share: the ownership record, in SSM Parameter Store under the path the
Rust functions' ledger uses (`/cfn-custom-resource-kit/ownership/<PhysicalResourceId>`)."""

import json
import re

from common import client

LEDGER_PREFIX = "/cfn-custom-resource-kit/ownership"

ssm = client("ssm")


def resource(event):
    """The event's PhysicalResourceId (on Create a new one from the logical id and the
    request id) and the name of its record."""
    physical_id = event.get("PhysicalResourceId") or "{}-{}".format(
        event["LogicalResourceId"], event["RequestId"]
    )
    return physical_id, "{}/{}".format(LEDGER_PREFIX, re.sub(r"[^A-Za-z0-9_.-]", "_", physical_id))


def read_record(name):
    """The record, or an empty one (a resource with none owns nothing)."""
    try:
        return json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return {"owned": {}}


def claim(name, record, kind, items):
    """Adds `items` of `kind` to the record and writes it (before the create call)."""
    record["owned"].setdefault(kind, [])
    record["owned"][kind] += [i for i in items if i not in record["owned"][kind]]
    ssm.put_parameter(Name=name, Value=json.dumps(record), Type="String", Overwrite=True)


def erase(name):
    """Deletes the record (one already gone is no error)."""
    try:
        ssm.delete_parameter(Name=name)
    except ssm.exceptions.ParameterNotFound:
        pass
