#!/usr/bin/env python3
"""`make package`'s last step: what a CloudFormation StackSet needs, from `sam build`'s output.

A stack set deploys one template to many accounts and regions, and a Lambda function's
code must come from an S3 bucket in the function's own region. Service-managed stack
sets also refuse templates that use a transform or macro (`AWS::Serverless`). So this
writes, under --out:

- `artifacts/<key-prefix><function>-<sha256/16>.zip`: each bootstrap, zipped
  reproducibly (fixed time stamps, mode 0755); the content hash in the key means a new
  build is a new key, so a stack set update always replaces the code;
- `stackset-template.json`: template.yml translated to plain CloudFormation with the
  AWS SAM translator (offline; every role is explicit, so no managed policy is looked
  up), each function's code at `Bucket: ${ArtifactBucketPrefix}-${AWS::Region}`,
  `Key: <the key above>`, and the new parameter `ArtifactBucketPrefix`;
- `artifacts.json`: function, key, sha256 and size of each zip.

Copying `artifacts/` into the bucket `<prefix>-<region>` of every target region is the
publisher's step (README, "Building and deploying"). Runs with .venv-sam's Python.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import zipfile
from pathlib import Path

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

PLACEHOLDER_BUCKET = "artifact-bucket-placeholder"
BUCKET_PARAMETER = "ArtifactBucketPrefix"
TEMPLATE_BODY_LIMIT = 51_200  # bytes; larger templates need --template-url
TRANSLATION_REGION = "eu-south-2"  # any region: must not appear in the output


class NoManagedPolicies:
    """The translator asks for AWS managed policy ARNs only for `Policies:` names; the
    template gives every function an explicit role, so there is nothing to look up."""

    def load(self):
        return {}


def reproducible_zip(bootstrap: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = (0o100755 & 0xFFFF) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, bootstrap.read_bytes())
    return buffer.getvalue()


def package(build_dir: Path, out: Path, key_prefix: str) -> dict:
    template = yaml_parse((build_dir / "template.yaml").read_text())
    artifacts = []
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary", name)
        bootstrap = build_dir / props["CodeUri"] / "bootstrap"
        data = reproducible_zip(bootstrap)
        sha = hashlib.sha256(data).hexdigest()
        key = f"{key_prefix}{binary}-{sha[:16]}.zip"
        (out / "artifacts" / key).parent.mkdir(parents=True, exist_ok=True)
        (out / "artifacts" / key).write_bytes(data)
        artifacts.append({"function": binary, "logicalId": name, "key": key, "sha256": sha, "bytes": len(data)})
        props["CodeUri"] = {"Bucket": PLACEHOLDER_BUCKET, "Key": key}

    template["Parameters"][BUCKET_PARAMETER] = {
        "Type": "String",
        # Room for "-<region>" within S3's 63 characters; no dots (virtual-host TLS).
        "AllowedPattern": "^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$",
        "ConstraintDescription": "3 to 48 lowercase letters, digits and hyphens",
        "Description": (
            "The functions' code is read from the bucket <prefix>-<region> in each region the "
            "stack set deploys to (one bucket per region, readable by the organization)."
        ),
    }
    interface = template.setdefault("Metadata", {}).setdefault("AWS::CloudFormation::Interface", {})
    interface.setdefault("ParameterGroups", []).append(
        {"Label": {"default": "Code artifacts"}, "Parameters": [BUCKET_PARAMETER]}
    )
    interface.setdefault("ParameterLabels", {})[BUCKET_PARAMETER] = {"default": "Artifact bucket prefix"}

    # The translator wants a region for its pseudo-parameter values; the template never
    # needs one resolved, and the check below proves none leaked into the output.
    os.environ["AWS_DEFAULT_REGION"] = TRANSLATION_REGION
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    plain = transform(template, {}, NoManagedPolicies(), passthrough_metadata=True)
    replaced = 0
    for resource in plain["Resources"].values():
        code = resource.get("Properties", {}).get("Code", {})
        if resource.get("Type") == "AWS::Lambda::Function" and code.get("S3Bucket") == PLACEHOLDER_BUCKET:
            code["S3Bucket"] = {"Fn::Sub": "${" + BUCKET_PARAMETER + "}-${AWS::Region}"}
            replaced += 1
    text = json.dumps(plain, indent=1, sort_keys=False)
    if replaced != len(artifacts) or PLACEHOLDER_BUCKET in text or "Transform" in plain:
        raise SystemExit(f"translation left {len(artifacts) - replaced} function(s) without their code location")
    if TRANSLATION_REGION in text:
        raise SystemExit(f"the translator wrote the region {TRANSLATION_REGION} into the template")

    out.mkdir(parents=True, exist_ok=True)
    (out / "stackset-template.json").write_text(text + "\n")
    (out / "artifacts.json").write_text(json.dumps(artifacts, indent=2) + "\n")
    return {"template_bytes": len(text) + 1, "artifacts": artifacts}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--key-prefix", default="cfn-custom-resource-kit/")
    args = parser.parse_args(argv)
    summary = package(args.build_dir, args.out, args.key_prefix)
    for a in summary["artifacts"]:
        print(f"artifact {a['function']}: {args.out}/artifacts/{a['key']} ({a['bytes']} bytes zipped)")
    size = summary["template_bytes"]
    how = "--template-body" if size <= TEMPLATE_BODY_LIMIT else "--template-url (over the 51,200-byte body limit)"
    print(f"stack set template: {args.out}/stackset-template.json ({size} bytes: {how})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
