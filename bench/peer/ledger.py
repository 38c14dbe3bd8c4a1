"""What the peers share: the ownership record, in SSM Parameter Store under the path the
Rust functions' ledger uses (`/cfn-custom-resource-kit/ownership/<PhysicalResourceId>`)."""

import json
import re

LEDGER_PREFIX = "/cfn-custom-resource-kit/ownership"


def physical_id(event):
    """The event's PhysicalResourceId, or on Create a new one from the logical id and the
    request id."""
    return event.get("PhysicalResourceId") or "{}-{}".format(
        event["LogicalResourceId"], event["RequestId"]
    )


def ledger_name(physical_id):
    return "{}/{}".format(LEDGER_PREFIX, re.sub(r"[^A-Za-z0-9_.-]", "_", physical_id))


def read_record(ssm, name):
    """The record, or an empty one (a resource with none owns nothing)."""
    try:
        return json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return {"owned": {}}


def claim(ssm, name, record, kind, items):
    """Adds `items` of `kind` to the record and writes it (before the create call)."""
    record["owned"].setdefault(kind, [])
    record["owned"][kind] += [i for i in items if i not in record["owned"][kind]]
    ssm.put_parameter(Name=name, Value=json.dumps(record), Type="String", Overwrite=True)
