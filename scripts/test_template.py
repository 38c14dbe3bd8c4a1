"""What no linter checks in template.yml (run by `make lint`, with .venv's Python).

- every custom resource's ServiceToken is the `Arn` of the function of its type (the
  README's resource table maps `Custom::X` to `functions/<name>`);
- each function's execution role allows exactly the actions README.md lists under
  "IAM actions (`<function>`):" (no more, no fewer), plus writing to its own log group;
  no wildcard actions; `Resource: "*"` only for actions without resource-level
  permissions, and never for those with (cfn-lint's copy of the Service Authorization
  Reference says which);
- DependsOn orders KmsReady before every log group encrypted with the key it checks,
  the bucket policy before ConfigSetup, ConfigSetup and SecurityHubEnable before
  SecurityHubStandards; every custom resource has a ServiceTimeout a little above its
  function's Timeout;
- the functions' shape (provided.al2023, arm64, bootstrap, rust-cargolambda, JSON logs
  to an explicit log group with retention) and nothing account-, region- or
  partition-specific, no explicit physical names (a name that is exactly the stack's
  is unique like the stack);
- tags: the four tags of the tagging strategy, from their parameters, on every taggable
  resource, every function and the Security Hub hub;
- alarms: every function's Lambda Errors and FAILED answers, to a topic encrypted with a
  key KmsReady checked for CloudWatch;
- the CloudTrail trail: multi-region, validated, its key checked by KmsReady for
  CloudTrail before the trail names it, CloudTrail's documented key and bucket
  statements with `aws:SourceArn`; with `CreateTrail` true and false (and an
  `ExistingTrailArn`), every reference resolves and nothing of the trail is left over.

Each check is a function returning its findings; the `Catches` tests feed them broken
copies of the template, so every check is shown able to fail.
"""

from __future__ import annotations

import copy
import json
import os
import re
import unittest
from functools import lru_cache
from pathlib import Path

import cfnlint.data.AdditionalSpecs
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(os.environ.get("TEMPLATE", ROOT / "template.yml"))
# Where the "IAM actions (`<function>`):" lists and the resource table may be: README.md,
# and docs/*.md while a function's section waits to be merged into it.
DOCS = [Path(p) for p in os.environ["IAM_DOCS"].split(os.pathsep)] if os.environ.get("IAM_DOCS") else [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/Cargo.toml"))

# The role policy every function gets besides its own: writing to its own log group.
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Properties that would give a resource a fixed physical name (a name that is exactly
# the stack's, `!Ref AWS::StackName`, is unique per account and region like the stack).
NAME_PROPERTIES = {"FunctionName", "RoleName", "LogGroupName", "BucketName", "AliasName", "TrailName"}
STACK_NAME = {"Ref": "AWS::StackName"}
ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9]+")


# ------------------------------------------------------------------ reading the inputs


def load_template(path: Path = TEMPLATE) -> dict:
    template, matches = decode(str(path))
    if template is None:
        raise AssertionError(f"{path} does not parse: {matches}")
    return json.loads(json.dumps(template))  # plain dicts and lists, intrinsics in long form


def read_docs(paths=None) -> str:
    return "\n".join(p.read_text() for p in (paths or DOCS) if p.exists())


def iam_lists(text: str) -> dict[str, list[set[str]]]:
    """Every "IAM actions (`fn`):" bullet list: fn -> the action sets found (one per list).

    An action is a backticked `service:Action` outside parentheses; backticked text in
    parentheses is commentary (a resource, a condition key). Any other backticked text
    outside parentheses is an error, so a malformed item is not silently dropped.
    """
    found: dict[str, list[set[str]]] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        heading = re.search(r"IAM actions \(`([a-z0-9-]+)`\):\s*$", line)
        if not heading:
            continue
        actions: set[str] = set()
        item = ""
        items = []
        for next_line in lines[i + 1 :]:
            if next_line.startswith("- "):
                if item:
                    items.append(item)
                item = next_line[2:]
            elif item and next_line.startswith("  ") and next_line.strip():
                item += " " + next_line.strip()
            elif not next_line.strip() and not item:
                continue  # blank lines before the list
            else:
                break
        if item:
            items.append(item)
        for entry in items:
            outside = entry
            while re.search(r"\([^()]*\)", outside):
                outside = re.sub(r"\([^()]*\)", "", outside)
            for token in re.findall(r"`([^`]*)`", outside):
                if not ACTION.fullmatch(token):
                    raise AssertionError(
                        f"IAM actions (`{heading.group(1)}`): `{token}` is not a service:Action "
                        f"(put commentary in parentheses): {entry!r}"
                    )
                actions.add(token)
        if not actions:
            raise AssertionError(f"IAM actions (`{heading.group(1)}`): an empty list")
        found.setdefault(heading.group(1), []).append(actions)
    return found


def resource_table(text: str) -> dict[str, str]:
    """`Custom::X` -> function name, from the README's resource table rows."""
    return dict(re.findall(r"^\|\s*`(Custom::[A-Za-z0-9]+)`[^|]*\|\s*`functions/([a-z0-9-]+)`", text, re.M))


@lru_cache(maxsize=1)
def iam_reference() -> dict:
    """cfn-lint's copy of the Service Authorization Reference: service -> Actions/Resources."""
    path = Path(cfnlint.data.AdditionalSpecs.__file__).parent / "Policies.json"
    return json.loads(path.read_text())


def resource_types_of(action: str) -> list[str] | None:
    """The resource types an action can be scoped to ([] = none), None = unknown action."""
    service, name = action.split(":", 1)
    entry = iam_reference().get(service.lower(), {}).get("Actions", {}).get(name.lower())
    return None if entry is None else entry.get("Resources", [])


# ------------------------------------------------------------------ template helpers


def resources(template: dict) -> dict:
    return template.get("Resources", {})


def functions(template: dict) -> dict[str, dict]:
    """logical id -> properties (Globals merged) of every AWS::Serverless::Function."""
    defaults = template.get("Globals", {}).get("Function", {})
    return {
        name: {**defaults, **r.get("Properties", {})}
        for name, r in resources(template).items()
        if r.get("Type") == "AWS::Serverless::Function"
    }


def function_of_binary(template: dict, binary: str) -> str | None:
    for name, r in resources(template).items():
        if r.get("Type") == "AWS::Serverless::Function":
            if r.get("Metadata", {}).get("BuildProperties", {}).get("Binary") == binary:
                return name
    return None


def getatt(value) -> tuple[str, str] | None:
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        target = value["Fn::GetAtt"]
        if isinstance(target, str):
            target = target.split(".", 1)
        return tuple(target)
    return None


def ref(value) -> str | None:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return value["Ref"]
    return None


def depends_on(resource: dict) -> set[str]:
    value = resource.get("DependsOn", [])
    return {value} if isinstance(value, str) else set(value)


def refs_in(value) -> set[str]:
    """Every `Ref` anywhere in `value` (both branches of an `Fn::If`)."""
    if isinstance(value, dict):
        found = {value["Ref"]} if set(value) == {"Ref"} else set()
        for item in value.values():
            found |= refs_in(item)
        return found
    if isinstance(value, list):
        return set().union(*(refs_in(item) for item in value)) if value else set()
    return set()


def waits_for(res: dict, name: str) -> set[str]:
    """What `name` waits for: its DependsOn, and what a handle it depends on references."""
    direct = depends_on(res[name])
    through = {r for d in direct if d in res for r in refs_in(res[d].get("Metadata", {}))}
    return direct | through


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def statements(role: dict, policy_filter) -> list[dict]:
    out = []
    for policy in role.get("Properties", {}).get("Policies", []):
        if policy_filter(policy.get("PolicyName")):
            out.extend(as_list(policy["PolicyDocument"]["Statement"]))
    return out


# ------------------------------------------------------------------ the checks
# Each returns a list of findings (empty = fine).


def check_functions(template: dict, expected: list[str]) -> list[str]:
    findings = []
    fns = functions(template)
    for binary in expected:
        name = function_of_binary(template, binary)
        if name is None:
            findings.append(f"no AWS::Serverless::Function builds functions/{binary} (BuildProperties.Binary)")
            continue
        p, meta = fns[name], resources(template)[name].get("Metadata", {})
        want = {
            "Runtime": "provided.al2023",
            "Handler": "bootstrap",
            "Architectures": ["arm64"],
            "CodeUri": f"functions/{binary}",
        }
        for key, value in want.items():
            if p.get(key) != value:
                findings.append(f"{name}: {key} is {p.get(key)!r}, not {value!r}")
        if meta.get("BuildMethod") != "rust-cargolambda":
            findings.append(f"{name}: Metadata.BuildMethod is not rust-cargolambda")
        timeout = p.get("Timeout")
        if not isinstance(timeout, int) or not 1 <= timeout <= 900:
            findings.append(f"{name}: Timeout {timeout!r} is not 1..900 s")
        logging = p.get("LoggingConfig", {})
        if logging.get("LogFormat") != "JSON":
            findings.append(f"{name}: LoggingConfig.LogFormat is not JSON")
        group = ref(logging.get("LogGroup"))
        group_resource = resources(template).get(group or "", {})
        if group_resource.get("Type") != "AWS::Logs::LogGroup":
            findings.append(f"{name}: LoggingConfig.LogGroup is not a Ref to a log group of this template")
        elif "RetentionInDays" not in group_resource.get("Properties", {}):
            findings.append(f"{name}: its log group {group} never expires (no RetentionInDays)")
        role = getatt(p.get("Role"))
        if not role or role[1] != "Arn" or resources(template).get(role[0], {}).get("Type") != "AWS::IAM::Role":
            findings.append(f"{name}: Role is not the Arn of a role of this template")
    extra = sorted(set(fns) - {function_of_binary(template, b) for b in expected})
    if extra:
        findings.append(f"functions with no functions/ package: {extra}")
    return findings


def check_service_tokens(template: dict, types: dict[str, str]) -> list[str]:
    findings = []
    for name, r in resources(template).items():
        kind = r.get("Type", "")
        if not (kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource"):
            continue
        binary = types.get(kind)
        if binary is None:
            findings.append(f"{name}: {kind} is not in the README's resource table")
            continue
        want = function_of_binary(template, binary)
        token = getatt(r.get("Properties", {}).get("ServiceToken"))
        if token != (want, "Arn"):
            findings.append(f"{name} ({kind}): ServiceToken is {token}, not the Arn of {want} (functions/{binary})")
    return findings


def check_timeouts(template: dict, types: dict[str, str]) -> list[str]:
    """ServiceTimeout set, above the function's Timeout (its answer comes first), at most 5 min more."""
    findings = []
    fns = functions(template)
    for name, r in resources(template).items():
        binary = types.get(r.get("Type", ""))
        if binary is None:
            continue
        service_timeout = r.get("Properties", {}).get("ServiceTimeout")
        timeout = fns.get(function_of_binary(template, binary) or "", {}).get("Timeout")
        try:
            service_timeout = int(service_timeout)
        except (TypeError, ValueError):
            findings.append(f"{name}: no ServiceTimeout (CloudFormation would wait an hour)")
            continue
        if not isinstance(timeout, int) or not timeout < service_timeout <= timeout + 300:
            findings.append(f"{name}: ServiceTimeout {service_timeout} is not in ({timeout}, {timeout}+300]")
    return findings


def check_policies(template: dict, readme_actions: dict[str, set[str]], expected: list[str]) -> list[str]:
    findings = []
    fns = functions(template)
    for binary in expected:
        name = function_of_binary(template, binary)
        if name is None:
            continue  # check_functions reports it
        role_id = (getatt(fns[name].get("Role")) or ("",))[0]
        role = resources(template).get(role_id)
        if role is None:
            continue
        policy_names = [p.get("PolicyName") for p in role.get("Properties", {}).get("Policies", [])]
        if sorted(policy_names) != sorted(["logs", binary]):
            findings.append(f"{role_id}: policies {policy_names}, not exactly 'logs' and '{binary}'")
        if role.get("Properties", {}).get("ManagedPolicyArns"):
            findings.append(f"{role_id}: managed policies attached (their actions are not the README's)")
        group = ref(fns[name].get("LoggingConfig", {}).get("LogGroup"))
        for s in statements(role, lambda n: n == "logs"):
            if set(as_list(s.get("Action"))) - LOG_ACTIONS or getatt(s.get("Resource")) != (group, "Arn"):
                findings.append(f"{role_id}: the logs policy does more than write to {group}: {s}")
        granted: set[str] = set()
        for s in statements(role, lambda n: n != "logs"):
            if s.get("Effect") != "Allow" or "NotAction" in s or "NotResource" in s:
                findings.append(f"{role_id}: only plain Allow statements expected: {s}")
                continue
            actions = set(as_list(s.get("Action", [])))
            granted |= actions
            wildcard_resource = "*" in as_list(s.get("Resource"))
            for action in sorted(actions):
                if "*" in action or "?" in action:
                    findings.append(f"{role_id}: wildcard action {action}")
                    continue
                kinds = resource_types_of(action)
                if kinds is None:
                    findings.append(f"{role_id}: {action} is not an IAM action")
                elif wildcard_resource and kinds:
                    findings.append(f"{role_id}: {action} on Resource \"*\" although it can be scoped to {kinds}")
                elif not wildcard_resource and not kinds:
                    findings.append(f"{role_id}: {action} has no resource-level permissions: Resource must be \"*\"")
        listed = readme_actions.get(binary)
        if listed is None:
            findings.append(f"README.md lists no \"IAM actions (`{binary}`):\"")
            continue
        if granted - listed:
            findings.append(f"{role_id} allows what README does not list for {binary}: {sorted(granted - listed)}")
        if listed - granted:
            findings.append(f"{role_id} lacks what README lists for {binary}: {sorted(listed - granted)}")
    return findings


def check_depends_on(template: dict) -> list[str]:
    findings = []
    res = resources(template)
    of_type = lambda t: {n for n, r in res.items() if r.get("Type") == t}  # noqa: E731
    # KmsReady -> every log group encrypted with a key of this template.
    ready_for_key = {}
    for n in of_type("Custom::KmsReady"):
        key = ref(res[n].get("Properties", {}).get("KeyId"))
        ready_for_key.setdefault(key, set()).add(n)
    for n in of_type("AWS::Logs::LogGroup"):
        key = res[n].get("Properties", {}).get("KmsKeyId")
        if key is None:
            continue
        key_id = (getatt(key) or (ref(key),))[0]
        if not ready_for_key.get(key_id, set()) & depends_on(res[n]):
            findings.append(f"log group {n} is encrypted with {key_id} but does not DependsOn its KmsReady")
    if not any(res[n].get("Properties", {}).get("KmsKeyId") for n in of_type("AWS::Logs::LogGroup")):
        findings.append("no KMS-encrypted log group")
    # The delivery bucket's policy -> ConfigSetup.
    for n in of_type("Custom::ConfigSetup"):
        buckets = refs_in(res[n].get("Properties", {}).get("DeliveryBucketName")) & of_type("AWS::S3::Bucket")
        bucket = ",".join(sorted(buckets))
        policies = {p for p in of_type("AWS::S3::BucketPolicy") if ref(res[p]["Properties"].get("Bucket")) in buckets}
        if not policies or not policies <= waits_for(res, n):
            findings.append(f"{n} does not DependsOn the policy of its bucket {bucket}")
    # ConfigSetup and SecurityHubEnable -> SecurityHubStandards.
    for n in of_type("Custom::SecurityHubStandards"):
        for needed in ("Custom::ConfigSetup", "Custom::SecurityHubEnable"):
            if not of_type(needed) or not of_type(needed) <= depends_on(res[n]):
                findings.append(f"{n} does not DependsOn the {needed} resource(s) {sorted(of_type(needed))}")
    return findings


def strings(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def check_portable(template: dict) -> list[str]:
    """No account ids, regions, partitions or fixed physical names in Resources and Outputs."""
    findings = []
    region = re.compile(r"\b(us|eu|eusc|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso[a-z]?)?-[a-z]+-[0-9]\b")
    for section in ("Resources", "Outputs"):
        for path, s in strings(template.get(section, {}), section):
            if path.endswith((".Description", ".comment")):
                continue
            if re.search(r"(?<![0-9])[0-9]{12}(?![0-9])", s):
                findings.append(f"{path}: an account id in {s!r}")
            if region.search(s):
                findings.append(f"{path}: a region in {s!r} (use ${{AWS::Region}})")
            if re.search(r"arn:aws[a-z-]*:", s) or "amazonaws.com.cn" in s:
                findings.append(f"{path}: a partition in {s!r} (use ${{AWS::Partition}} / ${{AWS::URLSuffix}})")
    for name, r in resources(template).items():
        props = r.get("Properties", {})
        fixed = {p for p in NAME_PROPERTIES & set(props) if props[p] != STACK_NAME}
        if fixed:
            findings.append(f"{name}: explicit physical name {sorted(fixed)} (collides across stacks)")
    return findings


CLOUDTRAIL = "cloudtrail.amazonaws.com"


def check_trail(template: dict) -> list[str]:
    """Every trail as a security team wants it, its key checked by KmsReady for CloudTrail.

    Multi-region, logging, global service events, log file validation, management
    events; `KMSKeyId` is the `KeyArn` of a `Custom::KmsReady` requiring CloudTrail (so
    the trail waits for the check) on a rotated key whose policy has CloudTrail's
    documented statements with `aws:SourceArn` and the encryption-context condition; the
    bucket blocks public access, is versioned, retained, with a lifecycle, TLS-only, and
    its policy gives CloudTrail `GetBucketAcl` and `PutObject` for `aws:SourceArn` only;
    the trail waits for that policy; CloudWatch Logs delivery to a KMS-encrypted group.
    """
    findings = []
    res = resources(template)
    trails = {n: r for n, r in res.items() if r.get("Type") == "AWS::CloudTrail::Trail"}
    if not trails:
        return ["no AWS::CloudTrail::Trail"]
    for name, trail in trails.items():
        p = trail.get("Properties", {})
        for key in ("IsLogging", "IsMultiRegionTrail", "IncludeGlobalServiceEvents", "EnableLogFileValidation"):
            if p.get(key) is not True:
                findings.append(f"{name}: {key} is not true")
        if not any(s.get("IncludeManagementEvents") is True and s.get("ReadWriteType") == "All" for s in p.get("EventSelectors", [])):
            findings.append(f"{name}: no selector of all management events")
        ready = getatt(p.get("KMSKeyId"))
        checker = res.get(ready[0], {}) if ready else {}
        if not ready or ready[1] != "KeyArn" or checker.get("Type") != "Custom::KmsReady":
            findings.append(f"{name}: KMSKeyId is not the KeyArn of a Custom::KmsReady (the trail must wait for the check)")
            continue
        if CLOUDTRAIL not in as_list(checker["Properties"].get("RequiredServicePrincipals", [])):
            findings.append(f"{ready[0]}: RequiredServicePrincipals lacks {CLOUDTRAIL}")
        key = res.get(ref(checker["Properties"].get("KeyId")) or "", {})
        if key.get("Properties", {}).get("EnableKeyRotation") is not True:
            findings.append(f"{name}: its key does not rotate")
        key_statements = as_list(key.get("Properties", {}).get("KeyPolicy", {}).get("Statement", []))
        service = [st for st in key_statements if st.get("Principal") == {"Service": CLOUDTRAIL}]
        actions = {a for st in service for a in as_list(st.get("Action"))}
        if not {"kms:GenerateDataKey*", "kms:DescribeKey"} <= actions:
            findings.append(f"{name}: the key policy lacks CloudTrail's kms:GenerateDataKey* and kms:DescribeKey")
        for st in service:
            conditions = {k for block in st.get("Condition", {}).values() for k in block}
            if "aws:SourceArn" not in conditions:
                findings.append(f"{name}: key statement {st.get('Sid')} has no aws:SourceArn condition")
            if "kms:GenerateDataKey*" in as_list(st.get("Action")) and "kms:EncryptionContext:aws:cloudtrail:arn" not in conditions:
                findings.append(f"{name}: key statement {st.get('Sid')} has no encryption-context condition")
        bucket_name = ref(p.get("S3BucketName"))
        bucket = res.get(bucket_name or "", {})
        bp = bucket.get("Properties", {})
        if bucket.get("DeletionPolicy") != "Retain":
            findings.append(f"{name}: bucket {bucket_name} is not retained")
        if set(bp.get("PublicAccessBlockConfiguration", {}).values()) != {True} or len(bp.get("PublicAccessBlockConfiguration", {})) != 4:
            findings.append(f"{name}: bucket {bucket_name} does not block all public access")
        if bp.get("VersioningConfiguration", {}).get("Status") != "Enabled":
            findings.append(f"{name}: bucket {bucket_name} is not versioned")
        if not bp.get("LifecycleConfiguration", {}).get("Rules"):
            findings.append(f"{name}: bucket {bucket_name} has no lifecycle")
        policies = [n for n, r in res.items() if r.get("Type") == "AWS::S3::BucketPolicy" and ref(r["Properties"].get("Bucket")) == bucket_name]
        if not policies or not set(policies) <= depends_on(trail):
            findings.append(f"{name}: does not DependsOn the policy of its bucket {bucket_name}")
        bucket_statements = [st for n in policies for st in as_list(res[n]["Properties"]["PolicyDocument"]["Statement"])]
        if not any(st.get("Effect") == "Deny" and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false" for st in bucket_statements):
            findings.append(f"{name}: bucket {bucket_name} allows plain HTTP")
        granted = set()
        for st in bucket_statements:
            if st.get("Principal") == {"Service": CLOUDTRAIL}:
                if "aws:SourceArn" not in st.get("Condition", {}).get("StringEquals", {}):
                    findings.append(f"{name}: bucket statement {st.get('Sid')} has no aws:SourceArn condition")
                granted |= set(as_list(st.get("Action")))
        if granted != {"s3:GetBucketAcl", "s3:PutObject"}:
            findings.append(f"{name}: the bucket policy gives CloudTrail {sorted(granted)}, not GetBucketAcl and PutObject")
        group = getatt(p.get("CloudWatchLogsLogGroupArn"))
        if not group or not res.get(group[0], {}).get("Properties", {}).get("KmsKeyId"):
            findings.append(f"{name}: no CloudWatch Logs delivery to a KMS-encrypted log group")
    return findings


def check_alarms(template: dict) -> list[str]:
    """Each function: an alarm on its Lambda Errors and one on its FAILED answers (the
    metric records its answers write), both to a topic encrypted with a key KmsReady
    checked for cloudwatch.amazonaws.com."""
    findings = []
    res = resources(template)
    alarms = [r["Properties"] for r in res.values() if r.get("Type") == "AWS::CloudWatch::Alarm"]
    for name in functions(template):
        def watches(namespace, metric, dims):
            return [
                a for a in alarms
                if a.get("Namespace") == namespace and a.get("MetricName") == metric
                and {d["Name"]: d["Value"] for d in a.get("Dimensions", [])} == dims
            ]
        for what, found in (
            ("Lambda Errors", watches("AWS/Lambda", "Errors", {"FunctionName": {"Ref": name}})),
            ("FAILED answers", watches("CfnCustomResourceKit", "Answers", {"Function": {"Ref": name}, "Status": "FAILED"})),
        ):
            if not found:
                findings.append(f"{name}: no alarm on its {what}")
            for alarm in found:
                topics = {ref(a) for a in alarm.get("AlarmActions", [])}
                for topic in topics:
                    key = getatt(res.get(topic or "", {}).get("Properties", {}).get("KmsMasterKeyId"))
                    checker = res.get(key[0], {}) if key else {}
                    if checker.get("Type") != "Custom::KmsReady" or "cloudwatch.amazonaws.com" not in as_list(checker["Properties"].get("RequiredServicePrincipals", [])):
                        findings.append(f"{name}: the {what} alarm's topic {topic} is not encrypted with a key checked for cloudwatch.amazonaws.com")
                if not topics:
                    findings.append(f"{name}: the {what} alarm notifies no one")
    return findings


TAG_PARAMETERS = {"Project": "TagProject", "Environment": "TagEnvironment", "Owner": "TagOwner", "CostCentre": "TagCostCentre"}
TAGGABLE = {
    "AWS::CloudTrail::Trail", "AWS::CloudWatch::Alarm", "AWS::IAM::Role", "AWS::KMS::Key",
    "AWS::Logs::LogGroup", "AWS::S3::Bucket", "AWS::SNS::Topic",
}


def check_tags(template: dict) -> list[str]:
    """The tagging strategy's four tags, from the parameters, on every taggable resource
    (list form), on every function (the Globals' map), on the Security Hub hub and on
    what ConfigSetup creates."""
    findings = []
    wanted = {key: {"Ref": param} for key, param in TAG_PARAMETERS.items()}
    for name, r in resources(template).items():
        kind = r.get("Type")
        if kind in TAGGABLE:
            tags = {t.get("Key"): t.get("Value") for t in r.get("Properties", {}).get("Tags", [])}
        elif kind in ("Custom::SecurityHubEnable", "Custom::ConfigSetup"):
            tags = r.get("Properties", {}).get("Tags", {})
        else:
            continue
        missing = sorted(k for k, v in wanted.items() if tags.get(k) != v)
        if missing:
            findings.append(f"{name} ({kind}): tags {missing} missing or not from their parameters")
    function_tags = template.get("Globals", {}).get("Function", {}).get("Tags", {})
    missing = sorted(k for k, v in wanted.items() if function_tags.get(k) != v)
    if missing:
        findings.append(f"Globals.Function: tags {missing} missing")
    return findings


def parameters(template: dict, overrides: dict[str, str]) -> dict[str, str]:
    """Every parameter's value: the override given, else its default."""
    params = {n: str(p.get("Default", "")) for n, p in template.get("Parameters", {}).items()}
    params.update(overrides)
    return params


def resolve(template: dict, overrides: dict[str, str]) -> dict:
    """The template as CloudFormation sees it with these parameter values (others at their
    defaults): conditions evaluated, resources and outputs whose condition is false
    dropped, every `Fn::If` replaced by its branch (`AWS::NoValue` removes the key)."""
    params = parameters(template, overrides)
    conditions: dict[str, bool] = {}

    def value(v):
        if isinstance(v, dict) and set(v) == {"Ref"}:
            return params.get(v["Ref"], v["Ref"])
        return v

    def holds(expr) -> bool:
        (fn, args), = expr.items()
        if fn == "Fn::Equals":
            return value(args[0]) == value(args[1])
        if fn == "Fn::Not":
            return not holds(args[0])
        if fn == "Fn::And":
            return all(holds(a) for a in args)
        if fn == "Fn::Or":
            return any(holds(a) for a in args)
        if fn == "Condition":
            return condition(args)
        raise AssertionError(f"unknown condition function {fn}")

    def condition(name: str) -> bool:
        if name not in conditions:
            conditions[name] = holds(template["Conditions"][name])
        return conditions[name]

    NO_VALUE = object()

    def walk(v):
        if isinstance(v, dict):
            if set(v) == {"Fn::If"}:
                name, yes, no = v["Fn::If"]
                return walk(yes if condition(name) else no)
            if v == {"Ref": "AWS::NoValue"}:
                return NO_VALUE
            out = {k: walk(x) for k, x in v.items()}
            return {k: x for k, x in out.items() if x is not NO_VALUE}
        if isinstance(v, list):
            return [x for x in (walk(i) for i in v) if x is not NO_VALUE]
        return v

    resolved = copy.deepcopy(template)
    for section in ("Resources", "Outputs"):
        resolved[section] = {
            n: walk(r) for n, r in template.get(section, {}).items() if "Condition" not in r or condition(r["Condition"])
        }
    return resolved


def check_references(template: dict) -> list[str]:
    """Every Ref, GetAtt and DependsOn names a resource that exists (or a parameter)."""
    findings = []
    res = resources(template)
    known = set(res) | set(template.get("Parameters", {}))

    def targets(v):
        if isinstance(v, dict):
            if set(v) == {"Ref"} and not v["Ref"].startswith("AWS::"):
                yield v["Ref"]
            if getatt(v):
                yield getatt(v)[0]
            if set(v) == {"Fn::Sub"}:
                text = v["Fn::Sub"] if isinstance(v["Fn::Sub"], str) else v["Fn::Sub"][0]
                for name in re.findall(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}", text):
                    yield name
            for x in v.values():
                yield from targets(x)
        elif isinstance(v, list):
            for x in v:
                yield from targets(x)

    for section in ("Resources", "Outputs"):
        for name, r in template.get(section, {}).items():
            for target in set(targets(r)) | (depends_on(r) if section == "Resources" else set()):
                if target not in known:
                    findings.append(f"{section}.{name} refers to {target}, which does not exist here")
    return findings


# ------------------------------------------------------------------ the tests


def readme_actions(text: str) -> dict[str, set[str]]:
    merged = {}
    for fn, sets in iam_lists(text).items():
        if any(s != sets[0] for s in sets):
            raise AssertionError(f"the IAM action lists for {fn} disagree: {sets}")
        merged[fn] = sets[0]
    return merged


class Template(unittest.TestCase):
    """The real template against the real README."""

    @classmethod
    def setUpClass(cls):
        cls.template = load_template()
        cls.docs = read_docs()
        cls.types = resource_table(cls.docs)

    def assertNoFindings(self, findings):
        self.assertEqual(findings, [], "\n" + "\n".join(findings))

    def test_readme_lists_the_iam_actions_of_every_function(self):
        lists = readme_actions(self.docs)
        self.assertEqual(sorted(set(FUNCTIONS) - set(lists)), [], "functions without an IAM actions list")
        for fn, actions in lists.items():
            unknown = sorted(a for a in actions if resource_types_of(a) is None)
            self.assertEqual(unknown, [], f"README lists unknown IAM actions for {fn}")

    def test_the_resource_table_names_every_function(self):
        self.assertEqual(sorted(set(self.types.values())), FUNCTIONS)

    def test_functions_are_arm64_rust_with_json_logs_and_their_own_role(self):
        self.assertNoFindings(check_functions(self.template, FUNCTIONS))

    def test_every_service_token_points_at_the_function_of_its_type(self):
        self.assertNoFindings(check_service_tokens(self.template, self.types))

    def test_every_custom_resource_gives_up_minutes_after_its_function(self):
        self.assertNoFindings(check_timeouts(self.template, self.types))

    def test_each_role_allows_exactly_the_actions_readme_lists(self):
        self.assertNoFindings(check_policies(self.template, readme_actions(self.docs), FUNCTIONS))

    def test_depends_on_orders_the_baseline(self):
        self.assertNoFindings(check_depends_on(self.template))

    def test_nothing_is_account_region_or_partition_specific(self):
        self.assertNoFindings(check_portable(self.template))

    def test_every_taggable_resource_carries_the_tagging_strategy(self):
        self.assertNoFindings(check_tags(self.template))

    def test_every_function_has_alarms_on_errors_and_failed_answers(self):
        self.assertNoFindings(check_alarms(self.template))

    def test_the_dashboard_is_json_and_shows_every_function_and_failed_answers_by_reason(self):
        body = resources(self.template)["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
        dashboard = json.loads(re.sub(r"\$\{[^}]+\}", "X", body))
        text = json.dumps(dashboard)
        for name in functions(self.template):
            self.assertIn("${%s}" % name, body, f"{name} is not on the dashboard")
        self.assertIn("ReasonCode", text)

    def test_the_trail_is_what_a_security_team_wants_and_waits_for_its_key_check(self):
        self.assertNoFindings(check_trail(self.template))

    def test_with_a_trail_every_reference_resolves_and_the_rule_checks_its_bucket(self):
        t = resolve(self.template, {"CreateTrail": "true"})
        self.assertNoFindings(check_references(t))
        self.assertNoFindings(check_trail(t))
        self.assertEqual(set(resources(t)) & TRAIL_RESOURCES, TRAIL_RESOURCES)
        self.assertEqual(set(t["Outputs"]) & TRAIL_OUTPUTS, TRAIL_OUTPUTS)
        rule = cloudtrail_rule(t)
        self.assertEqual(rule["InputParameters"], {"s3BucketName": {"Ref": "TrailBucket"}})

    def test_without_a_trail_nothing_of_it_remains_and_every_reference_resolves(self):
        t = resolve(self.template, {"CreateTrail": "false"})
        self.assertNoFindings(check_references(t))
        self.assertEqual(set(resources(t)) & TRAIL_RESOURCES, set())
        self.assertEqual(set(t["Outputs"]) & TRAIL_OUTPUTS, set())
        self.assertNotIn("InputParameters", cloudtrail_rule(t), "any trail satisfies the rule")
        # One multi-region trail per account: another region's stack set instance has none.
        t = resolve(self.template, {"CreateTrail": "true", "GlobalResourceTypesRegion": "eu-west-1"})
        self.assertEqual(set(resources(t)) & TRAIL_RESOURCES, set())
        self.assertNoFindings(check_references(t))
        existing = "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"
        t = resolve(self.template, {"CreateTrail": "false", "ExistingTrailArn": existing})
        self.assertNoFindings(check_references(t))
        self.assertEqual(t["Outputs"]["TrailArn"]["Value"], {"Ref": "ExistingTrailArn"})
        self.assertEqual(set(t["Outputs"]) & TRAIL_OUTPUTS, {"TrailArn"})


TRAIL_RESOURCES = {"TrailKey", "TrailKeyReady", "TrailBucket", "TrailBucketPolicy", "TrailLogGroup", "TrailLogsRole", "Trail"}
TRAIL_OUTPUTS = {"TrailArn", "TrailBucketName", "TrailKeyArn"}


def cloudtrail_rule(template: dict) -> dict:
    setup = next(r for r in resources(template).values() if r.get("Type") == "Custom::ConfigSetup")
    return next(r for r in setup["Properties"]["ManagedRules"] if r["SourceIdentifier"] == "CLOUD_TRAIL_ENABLED")


class Catches(unittest.TestCase):
    """Each check finds what it is for, in a broken copy of the template or README."""

    @classmethod
    def setUpClass(cls):
        cls.template = load_template()
        cls.docs = read_docs()
        cls.types = resource_table(cls.docs)
        cls.actions = readme_actions(cls.docs)

    def broken(self):
        return copy.deepcopy(self.template)

    def custom(self, t, kind):
        return next(r for r in resources(t).values() if r["Type"] == kind)

    def role_statements(self, t, binary):
        role = getatt(functions(t)[function_of_binary(t, binary)]["Role"])[0]
        return statements(resources(t)[role], lambda n: n == binary)

    def test_a_service_token_of_another_function(self):
        t = self.broken()
        self.custom(t, "Custom::ConfigSetup")["Properties"]["ServiceToken"] = {"Fn::GetAtt": ["KmsReadyFunction", "Arn"]}
        self.assertIn("ConfigSetup (Custom::ConfigSetup)", " ".join(check_service_tokens(t, self.types)))

    def test_a_missing_service_timeout(self):
        t = self.broken()
        del self.custom(t, "Custom::KmsReady")["Properties"]["ServiceTimeout"]
        self.assertIn("no ServiceTimeout", " ".join(check_timeouts(t, self.types)))

    def test_an_action_readme_does_not_list(self):
        t = self.broken()
        self.role_statements(t, "kms-ready")[0]["Action"].append("kms:Decrypt")
        self.assertIn("does not list for kms-ready: ['kms:Decrypt']", " ".join(check_policies(t, self.actions, FUNCTIONS)))

    def test_a_listed_action_the_role_lacks(self):
        actions = copy.deepcopy(self.actions)
        actions["config-setup"].add("config:PutRetentionConfiguration")
        findings = " ".join(check_policies(self.template, actions, FUNCTIONS))
        self.assertIn("lacks what README lists for config-setup: ['config:PutRetentionConfiguration']", findings)

    def test_a_wildcard_action_or_resource(self):
        t = self.broken()
        s = self.role_statements(t, "kms-ready")[0]
        s["Action"].append("kms:*")
        s["Resource"] = "*"
        findings = " ".join(check_policies(t, self.actions, FUNCTIONS))
        self.assertIn("wildcard action kms:*", findings)
        self.assertIn('kms:DescribeKey on Resource "*" although it can be scoped', findings)

    def test_a_readme_list_with_commentary_outside_parentheses(self):
        with self.assertRaisesRegex(AssertionError, "`AWSServiceRoleForConfig` is not a service:Action"):
            iam_lists("IAM actions (`x`):\n\n- `iam:GetRole` on `AWSServiceRoleForConfig`\n")
        self.assertEqual(
            iam_lists("IAM actions (`x`):\n\n- `a:B`, `a:C` (`a:NotThis`)\n- `iam:X` (condition\n  `iam:Key`)\n\nend"),
            {"x": [{"a:B", "a:C", "iam:X"}]},
        )

    def test_a_log_group_that_does_not_wait_for_kms_ready(self):
        t = self.broken()
        resources(t)["ConfigSetupLogGroup"].pop("DependsOn")
        self.assertIn("ConfigSetupLogGroup is encrypted", " ".join(check_depends_on(t)))

    def test_standards_that_do_not_wait_for_config_and_the_hub(self):
        t = self.broken()
        self.custom(t, "Custom::SecurityHubStandards")["DependsOn"] = ["SecurityHub"]
        self.assertIn("does not DependsOn the Custom::ConfigSetup", " ".join(check_depends_on(t)))

    def test_a_function_on_x86_without_retention(self):
        t = self.broken()
        resources(t)["KmsReadyFunction"]["Properties"]["Architectures"] = ["x86_64"]
        del resources(t)["KmsReadyLogGroup"]["Properties"]["RetentionInDays"]
        findings = " ".join(check_functions(t, FUNCTIONS))
        self.assertIn("KmsReadyFunction: Architectures", findings)
        self.assertIn("never expires", findings)

    def test_a_trail_that_does_not_wait_for_its_key_check(self):
        t = self.broken()
        resources(t)["Trail"]["Properties"]["KMSKeyId"] = {"Fn::GetAtt": ["TrailKey", "Arn"]}
        self.assertIn("not the KeyArn of a Custom::KmsReady", " ".join(check_trail(t)))

    def test_a_key_check_without_cloudtrail_and_policies_without_source_arn(self):
        t = self.broken()
        resources(t)["TrailKeyReady"]["Properties"]["RequiredServicePrincipals"] = ["logs.amazonaws.com"]
        for st in resources(t)["TrailKey"]["Properties"]["KeyPolicy"]["Statement"]:
            st.pop("Condition", None)
        for st in resources(t)["TrailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]:
            if st.get("Sid") == "AWSCloudTrailWrite":
                del st["Condition"]["StringEquals"]["aws:SourceArn"]
        findings = " ".join(check_trail(t))
        self.assertIn("RequiredServicePrincipals lacks cloudtrail.amazonaws.com", findings)
        self.assertIn("key statement AllowCloudTrailToEncryptLogs has no aws:SourceArn", findings)
        self.assertIn("no encryption-context condition", findings)
        self.assertIn("bucket statement AWSCloudTrailWrite has no aws:SourceArn", findings)

    def test_an_open_unversioned_bucket_and_a_single_region_trail(self):
        t = self.broken()
        bucket = resources(t)["TrailBucket"]
        bucket["DeletionPolicy"] = "Delete"
        bucket["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] = False
        del bucket["Properties"]["VersioningConfiguration"]
        resources(t)["Trail"]["Properties"]["IsMultiRegionTrail"] = False
        resources(t)["Trail"].pop("DependsOn")
        findings = " ".join(check_trail(t))
        for what in ("not retained", "does not block all public access", "not versioned", "IsMultiRegionTrail is not true", "does not DependsOn the policy"):
            self.assertIn(what, findings)

    def test_a_resource_without_its_tags(self):
        t = self.broken()
        del resources(t)["TrailBucket"]["Properties"]["Tags"]
        resources(t)["KmsReadyRole"]["Properties"]["Tags"] = [{"Key": "Owner", "Value": "me"}]
        del t["Globals"]["Function"]["Tags"]["CostCentre"]
        findings = " ".join(check_tags(t))
        self.assertIn("TrailBucket (AWS::S3::Bucket): tags ['CostCentre', 'Environment', 'Owner', 'Project']", findings)
        self.assertIn("KmsReadyRole (AWS::IAM::Role)", findings)
        self.assertIn("Globals.Function: tags ['CostCentre'] missing", findings)

    def test_a_function_without_alarms_and_a_topic_without_a_checked_key(self):
        t = self.broken()
        del resources(t)["KmsReadyErrorsAlarm"]
        resources(t)["AlarmTopic"]["Properties"]["KmsMasterKeyId"] = {"Fn::GetAtt": ["LogsKey", "Arn"]}
        findings = " ".join(check_alarms(t))
        self.assertIn("KmsReadyFunction: no alarm on its Lambda Errors", findings)
        self.assertIn("not encrypted with a key checked for cloudwatch.amazonaws.com", findings)

    def test_a_reference_the_toggle_leaves_dangling(self):
        t = self.broken()
        # The rule naming the trail bucket without the TrailOn guard.
        cloudtrail_rule(t)["InputParameters"] = {"s3BucketName": {"Ref": "TrailBucket"}}
        findings = " ".join(check_references(resolve(t, {"CreateTrail": "false"})))
        self.assertIn("refers to TrailBucket, which does not exist here", findings)

    def test_a_hard_coded_account_region_or_name(self):
        t = self.broken()
        props = resources(t)["ConfigBucket"]["Properties"]
        props["BucketName"] = "baseline-123456789012-eu-west-1"
        findings = " ".join(check_portable(t))
        for what in ("an account id", "a region", "explicit physical name"):
            self.assertIn(what, findings)
        resources(t)["Trail"]["Properties"]["TrailName"] = "baseline-trail"
        self.assertIn("Trail: explicit physical name ['TrailName']", " ".join(check_portable(t)))


if __name__ == "__main__":
    unittest.main()
