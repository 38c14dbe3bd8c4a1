"""What every peer shares: its crhelper resource (the response PUT plain HTTP for listed
loopback hosts), its boto3 clients, and the wait between reads of a state that settles."""

import os
import time
from http.client import HTTPConnection, HTTPSConnection

import boto3
import crhelper.utils
from crhelper import CfnResource


def loopback_aware_connection(host, context=None, **kwargs):
    """crhelper always PUTs over HTTPS. In the benchmark the ResponseURL is a plain-http
    server on 127.0.0.1, listed in CR_ALLOWED_RESPONSE_HOSTS: the same rule the Rust
    function follows (plain http only for loopback hosts listed there). Anything else
    still goes over HTTPS, exactly as crhelper does it."""
    allowed = {h.strip() for h in os.environ.get("CR_ALLOWED_RESPONSE_HOSTS", "").split(",") if h.strip()}
    name = host.rsplit(":", 1)[0]
    if host in allowed and name in ("127.0.0.1", "localhost", "[::1]"):
        return HTTPConnection(host, **kwargs)
    return HTTPSConnection(host, context=context, **kwargs)


def cfn_resource():
    """The peers' crhelper resource, its response PUT going through
    `loopback_aware_connection`."""
    crhelper.utils.HTTPSConnection = loopback_aware_connection
    return CfnResource(json_logging=False, log_level="INFO", boto_level="CRITICAL")


def client(service):
    """A boto3 client for `service`. Region and endpoints come from the environment as with
    the Rust SDK: `AWS_REGION` (passed explicitly, as crhelper does for its own clients)
    and `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` (boto3 >= 1.28)."""
    return boto3.client(service, region_name=os.environ.get("AWS_REGION"))


def poll(read, done):
    """Calls `read` until `done` accepts what it returns, and returns that: 0.2 s between
    the first two reads, then twice as long each time, at most 3 s."""
    delay = 0.2
    result = read()
    while not done(result):
        time.sleep(delay)
        delay = min(delay * 2, 3)
        result = read()
    return result
