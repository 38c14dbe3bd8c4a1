"""Prints, as JSON, every custom resource of template.yml with the properties CloudFormation
would send it when the stack is deployed with its parameters at their defaults (or
`Name=Value` arguments): conditions applied, intrinsic functions evaluated (a resource's
`Ref` or `Fn::GetAtt` as a stand-in string of the right kind), and every scalar a string,
as CloudFormation sends them. The end-to-end test `template` feeds each to its function's
own property validation, so the template and the functions cannot drift apart.

Usage: custom_resource_properties.py [Name=Value ...]
"""

import json
import re
import sys

from test_template import getatt, load_template, parameters, resolve

PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "security-baseline",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/security-baseline/0a1b2c3d",
}


KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ARN = "arn:aws:{service}:us-east-1:123456789012:{rest}"


def stand_in_ref(name: str, kind: str) -> str:
    """What `Ref` of a resource returns, in a value of that kind's shape."""
    if kind == "AWS::S3::Bucket":
        return f"security-baseline-{name.lower()}-1a2b3c4d"
    if kind == "AWS::KMS::Key":
        return KEY_ID
    if kind == "AWS::SNS::Topic":
        return ARN.format(service="sns", rest=f"security-baseline-{name}-1A2B3C4D")
    return f"security-baseline-{name}-1A2B3C4D"


def stand_in_attribute(name: str, kind: str, attribute: str) -> str:
    """What `Fn::GetAtt` of a resource returns, in a value of that kind's shape."""
    physical = stand_in_ref(name, kind)
    if attribute in ("Arn", "KeyArn", "TrailArn"):
        service = kind.split("::")[1].lower() if kind.startswith("AWS::") else "kms"
        rest = {
            "lambda": f"function:{physical}",
            "kms": f"key/{KEY_ID}",
            "iam": f"role/{physical}",
            "logs": f"log-group:{physical}:*",
            "cloudtrail": f"trail/{physical}",
            "s3": physical,
        }.get(service, physical)
        if service == "iam":
            return f"arn:aws:iam::123456789012:{rest}"
        if service == "s3":
            return f"arn:aws:s3:::{rest}"
        return ARN.format(service=service, rest=rest)
    if attribute == "KeyId":
        return KEY_ID
    return f"{physical}-{attribute}"


def properties(template: dict, overrides: dict[str, str]) -> dict:
    resolved = resolve(template, overrides)
    declared = template.get("Parameters", {})
    params = parameters(template, overrides)
    resources = resolved["Resources"]

    def ref(name: str):
        if name in PSEUDO:
            return PSEUDO[name]
        if name in params:
            if declared[name].get("Type", "").startswith(("CommaDelimitedList", "List<")):
                return [item for item in params[name].split(",")] if params[name] else []
            return params[name]
        if name in resources:
            return stand_in_ref(name, resources[name]["Type"])
        raise AssertionError(f"Ref to {name}, which is neither a parameter nor a resource")

    def attribute(name: str, attribute: str) -> str:
        if name not in resources:
            raise AssertionError(f"Fn::GetAtt of {name}, which is not a resource")
        return stand_in_attribute(name, resources[name]["Type"], attribute)

    def sub(text: str, local: dict) -> str:
        def one(match):
            key = match.group(1)
            if key in local:
                return str(local[key])
            if "." in key:
                return attribute(*key.split(".", 1))
            value = ref(key)
            return ",".join(value) if isinstance(value, list) else value

        return re.sub(r"\$\{([^}!][^}]*)\}", one, text)

    def evaluate(v):
        if isinstance(v, dict) and len(v) == 1:
            (fn, args), = v.items()
            if fn == "Ref":
                return ref(args)
            if fn == "Fn::GetAtt":
                return attribute(*getatt(v))
            if fn == "Fn::Sub":
                text, local = (args, {}) if isinstance(args, str) else (args[0], args[1])
                return sub(text, {k: evaluate(x) for k, x in local.items()})
            if fn == "Fn::Join":
                return args[0].join(str(evaluate(x)) for x in evaluate(args[1]))
            if fn == "Fn::Split":
                return evaluate(args[1]).split(args[0])
            if fn == "Fn::Select":
                return evaluate(args[1])[int(evaluate(args[0]))]
            if fn.startswith("Fn::"):
                raise AssertionError(f"{fn} is not evaluated here")
        if isinstance(v, dict):
            return {k: evaluate(x) for k, x in v.items()}
        if isinstance(v, list):
            return [evaluate(x) for x in v]
        return v

    def as_sent(v):
        """CloudFormation sends every scalar of a custom resource's properties as a string."""
        if isinstance(v, dict):
            return {k: as_sent(x) for k, x in v.items()}
        if isinstance(v, list):
            return [as_sent(x) for x in v]
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    return {
        name: {"Type": r["Type"], "Properties": as_sent(evaluate(r.get("Properties", {})))}
        for name, r in resources.items()
        if r["Type"].startswith("Custom::")
    }


if __name__ == "__main__":
    overrides = dict(arg.split("=", 1) for arg in sys.argv[1:])
    print(json.dumps(properties(load_template(), overrides), indent=1, sort_keys=True))
