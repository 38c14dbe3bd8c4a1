"""A minimal Lambda runtime for the Python peer: the Runtime API loop, stdlib only.

How a `provided` runtime would run a Python handler, and what the managed Python runtime
does: import the handler module once (the init phase), then forever
`GET /2018-06-01/runtime/invocation/next`, call the handler with the event and a context
object, and `POST .../{request id}/response` with its JSON result or `.../error` with the
exception. An import failure goes to `POST /2018-06-01/runtime/init/error`.

    python bootstrap.py [module.function]     (default: $_HANDLER)

The handler's module is looked up beside this file (`LAMBDA_TASK_ROOT` when set), as
Lambda looks in /var/task. `AWS_LAMBDA_RUNTIME_API` is `host:port` of the Runtime API.
Each peer's handler is `<module>.handler`, its module named after the function it mirrors
(`kms_ready` for kms-ready).
"""

import importlib
import json
import os
import sys
import time
import traceback
import urllib.request

# Lambda's /var/task is read-only: the handler's module is compiled on every cold start.
sys.dont_write_bytecode = True

RUNTIME_API = "http://{}/2018-06-01/runtime".format(os.environ["AWS_LAMBDA_RUNTIME_API"])
TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT") or os.path.dirname(os.path.abspath(__file__))


class LambdaContext:
    """The context object of the managed Python runtime (the attributes handlers use)."""

    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + self.function_name)
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def post(path, body, headers=None):
    request = urllib.request.Request(RUNTIME_API + path, data=body, method="POST", headers=headers or {})
    with urllib.request.urlopen(request) as response:
        response.read()


def error_body(error):
    return json.dumps({
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_exception(type(error), error, error.__traceback__),
    }).encode()


def load_handler(name):
    module_name, _, function_name = name.rpartition(".")
    if not module_name:
        raise ValueError("handler '{}' is not module.function".format(name))
    sys.path.insert(0, TASK_ROOT)
    return getattr(importlib.import_module(module_name), function_name)


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "")
    try:
        handler = load_handler(name)
    except Exception as error:  # noqa: BLE001 - reported to the Runtime API, as Lambda does
        traceback.print_exc()
        post("/init/error", error_body(error), {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
        sys.exit(1)

    while True:
        with urllib.request.urlopen(RUNTIME_API + "/invocation/next") as response:
            headers = response.headers
            event = json.loads(response.read())
        context = LambdaContext(headers)
        trace_id = headers.get("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        path = "/invocation/{}".format(context.aws_request_id)
        try:
            result = handler(event, context)
        except Exception as error:  # noqa: BLE001 - the handler's error goes to Lambda
            traceback.print_exc()
            post(path + "/error", error_body(error), {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
            continue
        post(path + "/response", json.dumps(result).encode())


if __name__ == "__main__":
    main()
