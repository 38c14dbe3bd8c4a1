"""Custom::ConfigSetup in Python with crhelper and boto3: the benchmark's peer of
functions/config-setup, for the Create the benchmark times.

The same job as the Rust function's Create in an account without a recorder: read the
ownership record (SSM GetParameter under /cfn-custom-resource-kit/ownership/), the
recorders and delivery channels; with no `RoleArn`, look up the Config service-linked role
(IAM GetRole, CreateServiceLinkedRole when missing); record the intent to own the recorder
and channel (PutParameter) before PutConfigurationRecorder (all supported types, global
types, `recordingStrategy` explicit, continuous recording) and PutDeliveryChannel; start the
recorder; read the requested rules, record and put the missing ones (tagged); then verify
by reading back: the recorder status records and every rule is ACTIVE. `Data`:
`RecorderName`, `DeliveryChannelName`, `Recording`, `RuleNames`, `Adopted`. An existing
recorder is adopted (brought to these settings under its own name).
"""

from common import cfn_resource, client, poll
from ledger import claim, read_record, resource

SLR_NAME = "AWSServiceRoleForConfig"

helper = cfn_resource()
config = client("config")
iam = client("iam")


def _service_linked_role():
    try:
        return iam.get_role(RoleName=SLR_NAME)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        try:
            return iam.create_service_linked_role(AWSServiceName="config.amazonaws.com")["Role"]["Arn"]
        except iam.exceptions.InvalidInputException:
            return iam.get_role(RoleName=SLR_NAME)["Role"]["Arn"]


@helper.create
@helper.update
def create_or_update(event, context):
    properties = event["ResourceProperties"]
    resource_id, ledger = resource(event)
    record = read_record(ledger)
    recorders = [
        r for r in config.describe_configuration_recorders()["ConfigurationRecorders"]
        if not r.get("servicePrincipal")
    ]
    channels = config.describe_delivery_channels()["DeliveryChannels"]
    adopted = bool(recorders or channels)
    name = recorders[0]["name"] if recorders else properties.get("RecorderName", "default")
    channel_name = channels[0]["name"] if channels else name
    role_arn = properties.get("RoleArn") or _service_linked_role()
    recorder = {
        "name": name,
        "roleARN": role_arn,
        "recordingGroup": {
            "allSupported": True,
            "includeGlobalResourceTypes": True,
            "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
        },
        "recordingMode": {"recordingFrequency": properties.get("RecordingFrequency", "CONTINUOUS")},
    }
    channel = {"name": channel_name, "s3BucketName": properties["DeliveryBucketName"]}
    if not adopted:
        claim(ledger, record, "recorder", [name])
    config.put_configuration_recorder(ConfigurationRecorder=recorder)
    config.put_delivery_channel(DeliveryChannel=channel)
    status = config.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])
    if not status["ConfigurationRecordersStatus"][0].get("recording"):
        config.start_configuration_recorder(ConfigurationRecorderName=name)

    rules = properties.get("ManagedRules", [])
    names = [r["Name"] for r in rules]
    existing = set()
    if names:
        try:
            existing = {r["ConfigRuleName"] for r in config.describe_config_rules(ConfigRuleNames=names)["ConfigRules"]}
        except config.exceptions.NoSuchConfigRuleException:
            existing = set()
    missing = [r for r in rules if r["Name"] not in existing]
    if missing:
        claim(ledger, record, "rule", [r["Name"] for r in missing])
    for rule in missing:
        config.put_config_rule(
            ConfigRule={
                "ConfigRuleName": rule["Name"],
                "Source": {"Owner": "AWS", "SourceIdentifier": rule["SourceIdentifier"]},
            },
            Tags=[{"Key": "cfn-custom-resource-kit:owner", "Value": resource_id}],
        )

    status = config.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])
    state = status["ConfigurationRecordersStatus"][0]
    if not state.get("recording") or state.get("lastStatus") == "Failure":
        raise RuntimeError("[NOT_ACTIVE] recorder {} does not record".format(name))
    if names:
        poll(
            lambda: config.describe_config_rules(ConfigRuleNames=names)["ConfigRules"],
            lambda found: all(r.get("ConfigRuleState") == "ACTIVE" for r in found) and len(found) == len(names),
        )
    helper.Data.update(
        RecorderName=name,
        DeliveryChannelName=channel_name,
        Recording="true",
        RuleNames=",".join(names),
        Adopted=str(adopted).lower(),
    )
    return resource_id


@helper.delete
def delete(event, context):
    """Not timed by the benchmark: the Create is what it compares."""


def handler(event, context):
    helper(event, context)
