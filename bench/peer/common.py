"""What every peer shares: crhelper's response PUT, plain HTTP for listed loopback hosts."""

import os
from http.client import HTTPConnection, HTTPSConnection

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
