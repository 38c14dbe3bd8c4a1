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
"""
import os, sys, threading
def watch_parent():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch_parent, daemon=True).start()
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
    bucket = delivery_channel.get("s3BucketName")
    if bucket and self.recorders:
        try:
            s3_backends[self.account_id]["aws"].get_bucket(bucket)
        except Exception:
            raise JsonRESTError("NoSuchBucketException", f"Cannot find a S3 bucket with the name {bucket}.")
    return _put_delivery_channel(self, delivery_channel)
config_models.ConfigBackend.put_delivery_channel = put_delivery_channel
_describe_config_rules = config_models.ConfigBackend.describe_config_rules
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
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
