#!/usr/bin/env python3
"""`make invoke FN=... EVENT=...`: run one function locally with cargo-lambda.

Everything stays on 127.0.0.1:
  1. moto server (AWS emulator), seeded with what the sample events name
     (for kms-ready: an Enabled key with alias `alias/demo-key`);
  2. a small HTTP server standing in for the pre-signed ResponseURL, printing
     every response PUT to it;
  3. `cargo lambda watch -A 127.0.0.1`, with the function pointed at moto;
  4. `cargo lambda invoke --invoke-address 127.0.0.1` with the event, its
     ResponseURL rewritten to the local stand-in (query string kept).

Set MOTO_ENDPOINT to reuse a running moto server instead of starting one.

Nothing from the caller's AWS settings reaches the function, moto or the seeding client:
`cargo lambda watch` (and so the function) runs with an environment built from scratch
(see `child_env`), and this script drops every other AWS_* variable for itself.
"""

import argparse
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Passed through from the caller: where the toolchain is and where cargo builds.
PASSED_THROUGH = ("PATH", "HOME", "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "CARGO_TARGET_DIR")


def local_aws_env(endpoint, response_hosts):
    """What the function sees of AWS: the test region, dummy credentials, moto, no IMDS."""
    return {
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "CR_ALLOWED_RESPONSE_HOSTS": response_hosts,
        # `cargo lambda watch` passes the placeholder "function-arn" as the invoked function
        # ARN; the functions admit only stacks of their own region and account (the sample
        # events' StackIds are in this one), so local runs name the ARN Lambda would pass.
        "CR_LOCAL_FUNCTION_ARN": "arn:aws:lambda:us-east-1:123456789012:function:local",
        **FAKE_CREDENTIALS,
    }


def child_env(endpoint, response_hosts, parent=None):
    """The environment of `cargo lambda watch`/`invoke`, built from scratch.

    Only the toolchain's variables come from `parent` (default: this process), with a
    relative CARGO_TARGET_DIR made absolute against the caller's directory; so no
    AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN, AWS_CONFIG_FILE, ... can reach
    the function, which inherits the watcher's environment.
    """
    parent = os.environ if parent is None else parent
    env = {name: parent[name] for name in PASSED_THROUGH if parent.get(name)}
    env.setdefault("PATH", os.defpath)
    if "CARGO_TARGET_DIR" in env:
        env["CARGO_TARGET_DIR"] = os.path.abspath(env["CARGO_TARGET_DIR"])
    env.update(local_aws_env(endpoint, response_hosts))
    return env


def scrub_own_env():
    """Drop the caller's AWS settings from this process too (moto, the seeding client)."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ.update(AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true", **FAKE_CREDENTIALS)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, what, process=None, seconds=600):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{what} did not listen on 127.0.0.1:{port} within {seconds} s")


def seed(function, endpoint):
    """Create what the sample events of `function` refer to."""
    import boto3  # installed with moto

    if function == "config-setup":
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="demo-config-bucket")
        print("seeded moto: bucket demo-config-bucket (create-missing-bucket.json names one that does not exist)")
        return
    if function != "kms-ready":
        return

    kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1", **{
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    if "alias/demo-key" in aliases:
        return
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Logs", "Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
         "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
         "Resource": "*"}]}
    key = kms.create_key(Description="demo key", Policy=json.dumps(policy))["KeyMetadata"]
    kms.create_alias(AliasName="alias/demo-key", TargetKeyId=key["KeyId"])
    print(f"seeded moto: key {key['Arn']} as alias/demo-key")


class ResponseCatcher(http.server.BaseHTTPRequestHandler):
    """Stands in for CloudFormation's pre-signed S3 URL."""

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        print("\nCloudFormation would receive (PUT to the ResponseURL):")
        try:
            print(json.dumps(json.loads(body), indent=2))
        except ValueError:
            print(body.decode(errors="replace"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--function", required=True, help="e.g. kms-ready")
    parser.add_argument("--event", required=True, help="e.g. events/kms-ready/create.json")
    args = parser.parse_args()
    moto_endpoint = os.environ.get("MOTO_ENDPOINT")
    scrub_own_env()

    children = []
    try:
        endpoint = moto_endpoint
        if not endpoint:
            port = free_port()
            # stdin stays open while this script runs: the launcher exits when it closes.
            moto = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "moto_server.py"), str(port)],
                                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            children.append(moto)
            wait_for_port(port, "moto server", moto, 60)
            endpoint = f"http://127.0.0.1:{port}"
        seed(args.function, endpoint)

        catcher = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ResponseCatcher)
        threading.Thread(target=catcher.serve_forever, daemon=True).start()
        catcher_host = f"127.0.0.1:{catcher.server_address[1]}"

        with open(os.path.join(ROOT, args.event)) as f:
            event = json.load(f)
        target = event
        if "Records" in event:  # SNS-wrapped: rewrite the inner request
            target = json.loads(event["Records"][0]["Sns"]["Message"])
        url = urllib.parse.urlsplit(target["ResponseURL"])
        target["ResponseURL"] = urllib.parse.urlunsplit(("http", catcher_host, url.path, url.query, ""))
        if target is not event:
            event["Records"][0]["Sns"]["Message"] = json.dumps(target)
        data = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(event, data)
        data.close()

        watch_port = free_port()
        env = child_env(endpoint, catcher_host)
        watch_cmd = ["cargo", "lambda", "watch", "-A", "127.0.0.1", "--invoke-port", str(watch_port),
                     "--bin", args.function]
        for name, value in local_aws_env(endpoint, catcher_host).items():
            watch_cmd += ["--env-var", f"{name}={value}"]
        watch = subprocess.Popen(watch_cmd, cwd=ROOT, env=env)
        children.append(watch)
        wait_for_port(watch_port, "cargo lambda watch", watch)

        result = subprocess.run(["cargo", "lambda", "invoke", args.function, "--invoke-address", "127.0.0.1",
                                 "--invoke-port", str(watch_port), "--data-file", data.name], cwd=ROOT, env=env)
        time.sleep(0.5)  # let the catcher print
        os.unlink(data.name)
        return result.returncode
    finally:
        for child in reversed(children):
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
