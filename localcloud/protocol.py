"""Reading AWS wire requests (service, operation, region) and writing AWS errors, per protocol."""

import functools
import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.session

from .errors import AWSError

_SIGNING_ALIASES = {"monitoring": "cloudwatch", "email": "ses", "states": "stepfunctions"}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@functools.cache
def service_model(name: str):
    try:
        return botocore.session.get_session().get_service_model(name)
    except Exception:  # an unknown service name: botocore raises UnknownServiceError
        return None


@functools.cache
def _rest_routes(name: str) -> list:
    model = service_model(name)
    routes = []
    for op_name in model.operation_names if model else []:
        http = model.operation_model(op_name).http
        path = http.get("requestUri", "/").split("?")[0]
        pattern = re.sub(r"\\\{[^}]+?\\\+\\\}", ".+", re.escape(path))
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        literal = len(re.sub(r"\{[^}]+\}", "", path))
        routes.append((http.get("method", "POST"), re.compile(f"^{pattern}/?$"), literal, op_name))
    routes.sort(key=lambda r: -r[2])
    return routes


@dataclass
class Call:
    """What one HTTP request asks of AWS."""

    service: str
    operation: str
    region: str
    protocol: str
    params: dict = field(default_factory=dict)


def identify(method: str, path: str, query: str, headers: dict, body: bytes) -> Call:
    auth = headers.get("Authorization", "")
    match = _CREDENTIAL_SCOPE.search(auth)
    region, signing_name = (match.group(1), match.group(2)) if match else ("us-east-1", "")
    target = headers.get("X-Amz-Target", "")
    form = {}
    content_type = headers.get("Content-Type", "")
    if "x-www-form-urlencoded" in content_type or (method == "GET" and query):
        source = body.decode("utf-8", "replace") if method != "GET" else query
        form = {k: v[0] for k, v in parse_qs(source, keep_blank_values=True).items()}

    service = _SIGNING_ALIASES.get(signing_name, signing_name)
    if signing_name == "elasticloadbalancing":
        service = "elbv2" if form.get("Version") == "2015-12-01" else "elb"
    if target.startswith("DynamoDBStreams_"):
        service = "dynamodbstreams"
    model = service_model(service) if service else None
    protocol = model.metadata.get("protocol", "query") if model else "unknown"

    operation, params = "", {}
    if target:
        operation = target.rsplit(".", 1)[-1]
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
    elif "Action" in form:
        operation, params = form["Action"], form
    elif model is not None:
        for route_method, pattern, _, op_name in _rest_routes(service):
            if route_method == method and pattern.match(path):
                operation = op_name
                break
    return Call(service or "unknown", operation or "Unknown", region, protocol, params)


def error_response(call: Call, error: AWSError) -> tuple[int, dict, bytes]:
    """An error in the shape the caller's SDK parses for that service's protocol."""
    request_id = str(uuid.uuid4())
    if call.protocol in ("json", "rest-json", "unknown"):
        code = error.code
        if call.service in ("dynamodb", "dynamodbstreams"):
            code = f"com.amazonaws.dynamodb.v20120810#{error.code}"
        body = {"__type": code, "message": error.message}
        if call.protocol == "json":
            body["Message"] = error.message
        headers = {
            "Content-Type": "application/x-amz-json-1.1" if call.protocol != "rest-json" else "application/json",
            "x-amzn-ErrorType": error.code,
            "x-amzn-RequestId": request_id,
        }
        return error.status, headers, json.dumps(body).encode()
    code, message = escape(error.code), escape(error.message)
    if call.protocol == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    else:
        kind = "Sender" if error.sender_fault else "Receiver"
        xml = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return error.status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, xml.encode()


_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")


def error_code_of(status: int, headers: dict, body: bytes) -> str | None:
    """The AWS error code in a response, for the request log."""
    if status < 400:
        return None
    header = {k.lower(): v for k, v in headers.items()}.get("x-amzn-errortype")
    if header:
        return header.split(":")[0]
    try:
        parsed = json.loads(body)
        code = parsed.get("__type") or parsed.get("code") or parsed.get("Code")
        if code:
            return str(code).rsplit("#", 1)[-1]
    except (ValueError, AttributeError):
        pass
    match = _XML_CODE.search(body or b"")
    return match.group(1).decode() if match else f"HTTP{status}"
