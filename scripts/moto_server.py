"""moto server on 127.0.0.1, made to behave like AWS where our functions meet a difference.

Usage: python moto_server.py PORT  (exits when its stdin closes, so a test process that
dies takes it along; `make invoke` keeps stdin open).

Differences patched (each is how AWS behaves, checked against the AWS docs):
- IAM names AWS Config's service-linked role `AWSServiceRoleForConfig` (moto derives
  `AWSServiceRoleForconfig` from the service name).
- AWS Config's PutDeliveryChannel answers NoSuchBucketException for a bucket that does not
  exist (moto only checks that a name is given).
- AWS Config's DescribeConfigRules naming a rule that does not exist answers
  NoSuchConfigRuleException, also in an account without any rule (moto then answers an
  empty list).
- S3's GetBucketLocation and HeadBucket honour ExpectedBucketOwner (moto ignores it).
- AWS Config's PutConfigurationRecorder refuses more than one recording-mode override
  (moto accepts any number).
- AWS Config's PutDeliveryChannel keeps the SNS topic of an existing channel when the
  request leaves it out (moto replaces the channel whole).
- AWS Config's DeleteConfigRule leaves the rule in state DELETING (moto removes it at
  once); PutConfigRule and DeleteConfigRule on it answer ResourceInUseException. The
  deletion completes when the harness says so (`POST /_harness/config/finish-rule-deletions`),
  standing in for the hour AWS may take.
- KMS DescribeKey finds a key of another account named by its ARN (moto looks only in
  the caller's account).
- AWS Config's recorder status reports what the recording events processed say; moto has
  none, so the harness sets it (`POST /_harness/config/recorder-status`: a Failure, or a
  newer Success, each with its lastStatusChangeTime).
- CloudFormation's CreateChangeSet for a stack the change would leave as it is creates the
  change set and fails it ("didn't contain changes"), as it does without parameters (moto
  answers the call itself with UpdateStack's "No updates are to be performed." when
  parameters are given).
- CloudFormation's ListStackSetOperationResults answers one result per account and region
  an operation created stack instances in, also for a service-managed stack set's
  organizational units (moto lists only the accounts named in the call).
"""
import os, sys, threading
def watch_parent():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch_parent, daemon=True).start()
# AWS Config Developer Guide, AWS managed policies: "AWS Config uses the service-linked
# role named AWSServiceRoleForConfig to call other AWS services on your behalf."
from moto.iam import models as iam_models
iam_models.SERVICE_NAME_CONVERSION.setdefault("config", "Config")
from moto.config import models as config_models
from moto.core.exceptions import JsonRESTError
from moto.s3.models import s3_backends
_put_delivery_channel = config_models.ConfigBackend.put_delivery_channel
def put_delivery_channel(self, delivery_channel):
    # PutDeliveryChannel (API reference, earlier version): "If you specify a different
    # value for either the S3 bucket or the SNS topic, this action will keep the existing
    # value for the parameter that is not changed."
    existing = self.delivery_channels.get(delivery_channel.get("name"))
    if existing is not None and existing.sns_topic_arn and "snsTopicARN" not in delivery_channel:
        delivery_channel = dict(delivery_channel, snsTopicARN=existing.sns_topic_arn)
    # PutDeliveryChannel, Errors: "NoSuchBucketException: The specified Amazon S3 bucket
    # does not exist."
    bucket = delivery_channel.get("s3BucketName")
    if bucket and self.recorders:
        try:
            s3_backends[self.account_id]["aws"].get_bucket(bucket)
        except Exception:
            raise JsonRESTError("NoSuchBucketException", f"Cannot find a S3 bucket with the name {bucket}.")
    return _put_delivery_channel(self, delivery_channel)
config_models.ConfigBackend.put_delivery_channel = put_delivery_channel
_describe_config_rules = config_models.ConfigBackend.describe_config_rules
# AWS Config API Reference, DescribeConfigRules, Errors: "NoSuchConfigRuleException: The
# Config rule in the request is not valid. Verify that the rule is an Config Process Check
# rule, that the rule name is correct, and that valid Amazon Resouce Names (ARNs) are used
# before trying again."
def describe_config_rules(self, config_rule_names, next_token):
    for name in config_rule_names or []:
        if name not in self.config_rules:
            raise config_models.NoSuchConfigRuleException(name)
    return _describe_config_rules(self, config_rule_names, next_token)
config_models.ConfigBackend.describe_config_rules = describe_config_rules
# Amazon S3 API Reference, GetBucketLocation (and HeadBucket), x-amz-expected-bucket-owner:
# "The account ID of the expected bucket owner. If the bucket is owned by a different
# account, the request fails with the HTTP status code 403 Forbidden (access denied)."
from moto.s3.responses import S3Response
def _expected_owner(method):
    def guarded(self, *args, **kwargs):
        expected = self.headers.get("x-amz-expected-bucket-owner")
        if expected:
            try:
                owner = self.backend.get_bucket(self.bucket_name).account_id
            except Exception:
                owner = None
            if owner is not None and owner != expected:
                return 403, {}, ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                                 "<Message>Access Denied</Message></Error>")
        return method(self, *args, **kwargs)
    return guarded
for _name in ("get_bucket_location", "head_bucket"):
    setattr(S3Response, _name, _expected_owner(getattr(S3Response, _name)))
# AWS Config API Reference, RecordingMode, recordingModeOverrides: "Array Members: Maximum
# number of 1 item." A longer list fails the request's validation, as every AWS JSON API
# answers a constraint it models.
_put_configuration_recorder = config_models.ConfigBackend.put_configuration_recorder
def put_configuration_recorder(self, config_recorder):
    overrides = (config_recorder.get("recordingMode") or {}).get("recordingModeOverrides") or []
    if len(overrides) > 1:
        raise JsonRESTError(
            "ValidationException",
            "1 validation error detected: Value at 'configurationRecorder.recordingMode.recordingModeOverrides' "
            "failed to satisfy constraint: Member must have length less than or equal to 1",
        )
    return _put_configuration_recorder(self, config_recorder)
config_models.ConfigBackend.put_configuration_recorder = put_configuration_recorder
# AWS KMS API Reference, DescribeKey: "Cross-account use: Yes. To perform this operation
# with a KMS key in a different AWS account, specify the key ARN or alias ARN in the value
# of the KeyId parameter." (The key policy's grant to the caller is not evaluated here.)
import json as _json
from moto.kms.responses import KmsResponse
from moto.kms.models import kms_backends
from moto.kms.exceptions import NotFoundException as _KmsNotFound
_describe_key = KmsResponse.describe_key
def describe_key(self):
    key_id = self._get_param("KeyId") or ""
    parts = key_id.split(":")
    if key_id.startswith("arn:") and ":key/" in key_id and len(parts) > 5 and parts[4] != self.current_account:
        backend = kms_backends[parts[4]][parts[3]]
        if backend.get_key_id(key_id) not in backend.keys:
            raise _KmsNotFound(f"Key '{key_id}' does not exist")
        return _json.dumps(backend.describe_key(backend.get_key_id(key_id)).to_dict())
    return _describe_key(self)
KmsResponse.describe_key = describe_key
# AWS Config API Reference, DeleteConfigRule: "Config sets the state of a rule to DELETING
# until the deletion is complete. You cannot update a rule while it is in this state. If
# you make a PutConfigRule or DeleteConfigRule request for the rule, you will receive a
# ResourceInUseException." (Config Developer Guide, Deleting rules: the deletion "might
# take an hour or more".) moto's PutConfigRule already refuses a rule not ACTIVE.
def delete_config_rule(self, rule_name):
    rule = self.config_rules.get(rule_name)
    if not rule:
        raise config_models.NoSuchConfigRuleException(rule_name)
    if rule.config_rule_state == "DELETING":
        raise config_models.ResourceInUseException(
            f"The rule {rule_name} is currently being deleted.  Please retry after some time"
        )
    rule.config_rule_state = "DELETING"
config_models.ConfigBackend.delete_config_rule = delete_config_rule
def finish_rule_deletions():
    for account in config_models.config_backends.values():
        for backend in account.values():
            for name in [n for n, r in backend.config_rules.items() if r.config_rule_state == "DELETING"]:
                del backend.config_rules[name]
# AWS Config API Reference, ConfigurationRecorderStatus: lastStatus is "The status of the
# latest recording event processed by the recorder", lastStatusChangeTime "The time of the
# latest change in status of an recording event processed by the recorder". moto
# processes no recording event: the harness says what the last one was.
def set_recorder_status(body):
    import json
    wanted = json.loads(body or b"{}")
    for account in config_models.config_backends.values():
        for backend in account.values():
            recorder = backend.recorders.get(wanted.get("name"))
            if recorder is not None:
                status = recorder.status
                status.last_status = wanted.get("lastStatus")
                status.last_error_code = wanted.get("lastErrorCode")
                status.last_error_message = wanted.get("lastErrorMessage")
                status.last_status_change_time = wanted.get("lastStatusChangeTime")
# CloudFormation API Reference, CreateChangeSet: "After the CreateChangeSet call
# successfully completes, CloudFormation starts creating the change set. To check the
# status of the change set or to review it, use the DescribeChangeSet action."
# DescribeChangeSet, StatusReason: "A description of the change set's status. For example,
# if your attempt to create a change set failed, CloudFormation shows the error message."
# A change set with nothing to change is created, then FAILED with that message.
from moto.cloudformation import responses as cfn_responses
_create_change_set = cfn_responses.CloudFormationResponse.create_change_set
_validate_different_update = cfn_responses.CloudFormationResponse._validate_different_update
NO_CHANGES = ("The submitted information didn't contain changes. "
              "Submit different information to create a change set.")
def create_change_set(self):
    unchanged = []
    def note_unchanged(*args):
        try:
            _validate_different_update(self, *args)
        except cfn_responses.ValidationError:
            unchanged.append(True)
    self._validate_different_update = note_unchanged
    result = _create_change_set(self)
    if unchanged:
        change_set = self.cloudformation_backend.describe_change_set(self._get_param("ChangeSetName"))
        change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
        change_set.status_reason = NO_CHANGES
    return result
cfn_responses.CloudFormationResponse.create_change_set = create_change_set
# CloudFormation API Reference, ListStackSetOperationResults: "Returns summary information
# about the results of a stack set operation."; StackSetOperationResultSummary: "The
# structure that contains information about a specified operation's results for a given
# account in a given Region." The accounts an OU target reached are results too.
from moto.cloudformation import models as cfn_models
_create_stack_instances = cfn_models.StackSet.create_stack_instances
def create_stack_instances(self, accounts, regions, deployment_targets, parameters):
    before = {(i.account_id, i.region_name) for i in self.instances.stack_instances}
    operation_id = _create_stack_instances(self, accounts, regions, deployment_targets, parameters)
    reached = [(i.account_id, i.region_name) for i in self.instances.stack_instances
               if (i.account_id, i.region_name) not in before and i.account_id not in accounts]
    self.get_operation(operation_id)["Instances"] += [{a: r} for a, r in reached]
    return operation_id
cfn_models.StackSet.create_stack_instances = create_stack_instances
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
_dispatch = DomainDispatcherApplication.__call__
def dispatch(self, environ, start_response):
    # The harness's controls: the time AWS takes to finish deleting rules has passed; the
    # recorder processed a recording event with this outcome.
    path = environ.get("PATH_INFO")
    if path == "/_harness/config/finish-rule-deletions":
        finish_rule_deletions()
    elif path == "/_harness/config/recorder-status":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        set_recorder_status(environ["wsgi.input"].read(length))
    else:
        return _dispatch(self, environ, start_response)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done"]
DomainDispatcherApplication.__call__ = dispatch
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
