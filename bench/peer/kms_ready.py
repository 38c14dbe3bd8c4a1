"""Custom::KmsReady in Python with crhelper and boto3: the benchmark's peer of functions/kms-ready.

The same job, written the way crhelper's documentation shows (module-level CfnResource and
boto3 client, the decorator API): Create and Update call DescribeKey until `KeyState` is
`Enabled` (`Creating`/`Updating`/not yet found wait up to `MaxWaitSeconds`, bounded by the
Lambda deadline; any other state fails at once); with `RequiredServicePrincipals`, the key
policy must let them use the key (an Allow naming the principal, or `*` without a condition,
for kms:Decrypt and kms:GenerateDataKey; an unconditional Deny wins); `Data` carries
`KeyArn`, `KeyId`, `KeyState`. Delete has nothing to undo.
"""

import fnmatch
import json
import time

from common import cfn_resource, client

WAITING_STATES = ("Creating", "Updating")
USE_ACTIONS = ("kms:decrypt", "kms:generatedatakey")

helper = cfn_resource()
kms = client("kms")



def _describe(key_id):
    try:
        return kms.describe_key(KeyId=key_id)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        return None


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _names(statement, principal):
    block = statement.get("Principal")
    if block == "*":
        return True
    if not isinstance(block, dict):
        return False
    return principal in _as_list(block.get("Service")) or "*" in _as_list(block.get("AWS"))


def _covers(statement, action):
    return any(fnmatch.fnmatchcase(action, pattern.lower()) for pattern in _as_list(statement.get("Action")))


def _may_use(policy, principal):
    statements = _as_list(policy.get("Statement"))
    for action in USE_ACTIONS:
        allowed = any(
            s.get("Effect") == "Allow" and _names(s, principal) and _covers(s, action)
            and not (s.get("Principal") == "*" and s.get("Condition"))
            for s in statements
        )
        denied = any(
            s.get("Effect") == "Deny" and not s.get("Condition") and _names(s, principal) and _covers(s, action)
            for s in statements
        )
        if not allowed or denied:
            return False
    return True


@helper.create
@helper.update
def create_or_update(event, context):
    properties = event["ResourceProperties"]
    key_id = properties["KeyId"]
    max_wait = int(properties.get("MaxWaitSeconds", 300))
    principals = _as_list(properties.get("RequiredServicePrincipals"))
    # Stop waiting a fifth of the time left (at most 5 s) before the deadline.
    remaining = context.get_remaining_time_in_millis() / 1000.0
    deadline = time.monotonic() + min(max_wait, remaining - min(remaining / 5, 5))
    delay = 0.25
    while True:
        metadata = _describe(key_id)
        state = metadata["KeyState"] if metadata else None
        if state == "Enabled":
            break
        if state is not None and state not in WAITING_STATES:
            raise RuntimeError("[NOT_ACTIVE] key {} is {}".format(key_id, state))
        if time.monotonic() + delay > deadline:
            code = "NOT_FOUND" if state is None else "TIMEOUT"
            raise RuntimeError("[{}] key {} is {} after {} s".format(code, key_id, state or "missing", max_wait))
        time.sleep(delay)
        delay = min(delay * 2, 5)
    if principals:
        policy = json.loads(kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")["Policy"])
        missing = [p for p in principals if not _may_use(policy, p)]
        if missing:
            raise RuntimeError("[NOT_ACTIVE] the key policy does not let {} use the key".format(", ".join(missing)))
    helper.Data.update(KeyArn=metadata["Arn"], KeyId=metadata["KeyId"], KeyState=state)


@helper.delete
def delete(event, context):
    """Nothing to undo."""


def handler(event, context):
    helper(event, context)
