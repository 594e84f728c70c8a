"""Lambda's Invoke API, answered by the data plane's Lambda runtime (moto's Invoke needs Docker).

Everything else about Lambda (CreateFunction, UpdateFunctionCode, versions, aliases, ...) stays moto's, except
that an update of code or configuration is InProgress (LastUpdateStatus) until the runtime has an environment
for it; meanwhile invocations run the previous code and configuration.
"""

import base64
from urllib.parse import parse_qs, unquote

from moto.awslambda.models import LambdaFunction

from .. import layer
from ..dataplane.lambdas import FUNCTION_REFERENCE, runtime
from ..errors import AWSError

_PREFIX = "/2015-03-31/functions/"
_SUFFIX = "/invocations"


@layer.handles("lambda", "Invoke")
def invoke(request: layer.Request) -> layer.Response:
    path = request.path.rstrip("/")
    if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
        raise AWSError("InvalidParameterValueException", f"Cannot read the function name from {request.path}.")
    function = unquote(path[len(_PREFIX) : -len(_SUFFIX)])
    qualifier = parse_qs(request.query).get("Qualifier", [None])[0]
    headers = {k.lower(): v for k, v in request.headers.items()}
    invocation_type = headers.get("x-amz-invocation-type") or "RequestResponse"
    result = runtime.invoke(
        request.account_id,
        request.region,
        function,
        request.body,
        qualifier,
        invocation_type=invocation_type,
        client_context=headers.get("x-amz-client-context"),
    )
    out = {"Content-Type": "application/json", "x-amzn-RequestId": result.request_id}
    if invocation_type == "RequestResponse":
        out["X-Amz-Executed-Version"] = result.executed_version
        if result.function_error:
            out["X-Amz-Function-Error"] = result.function_error
        if headers.get("x-amz-log-type") == "Tail":
            out["X-Amz-Log-Result"] = base64.b64encode(result.log_result.encode()).decode()
    return layer.Response(result.status_code, out, result.payload)


@layer.handles("lambda", "UpdateFunctionCode", "UpdateFunctionConfiguration")
def update_function(request: layer.Request) -> layer.Response:
    """AWS refuses a second update of a function while the first is InProgress."""
    function = unquote(request.path.rstrip("/")[len(_PREFIX) :].rsplit("/", 1)[0])
    match = FUNCTION_REFERENCE.match(function)
    if match is not None:
        account_id = match["arn_account"] or match["account"] or request.account_id
        if runtime.update_in_progress(account_id, request.region, match["name"]):
            arn = f"arn:aws:lambda:{request.region}:{account_id}:function:{match['name']}"
            message = f"The operation cannot be performed at this time. An update is in progress for resource: {arn}"
            raise AWSError("ResourceConflictException", message, 409)
    return request.forward()


_original_get_configuration = LambdaFunction.get_configuration
_original_update_configuration = LambdaFunction.update_configuration
_original_update_function_code = LambdaFunction.update_function_code


def _get_configuration(self, on_create: bool = False) -> dict:
    config = _original_get_configuration(self, on_create)
    if "LastUpdateStatus" in config and _updating(self):
        config["LastUpdateStatus"] = "InProgress"
    return config


def _update_configuration(self, config_updates: dict) -> dict:
    _original_update_configuration(self, config_updates)
    return _prepared(self)


def _update_function_code(self, updated_spec: dict) -> dict:
    _original_update_function_code(self, updated_spec)
    return _prepared(self)


def _updating(fn) -> bool:
    return str(fn.version) == "$LATEST" and runtime.update_in_progress(fn.account_id, fn.region, fn.function_name)


def _prepared(fn) -> dict:
    if str(fn.version) == "$LATEST":
        runtime.prepare_update(fn.account_id, fn.region, fn.function_name)
    return fn.get_configuration()


LambdaFunction.get_configuration = _get_configuration
LambdaFunction.update_configuration = _update_configuration
LambdaFunction.update_function_code = _update_function_code
