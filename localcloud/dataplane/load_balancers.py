"""Application Load Balancers' data plane: HTTP(S) listeners on loopback, Lambda targets, health checks.

Every Application Load Balancer gets its own loopback address when it is created (its ``DNSName``). While it
is ``active`` and its region is not in an outage, each HTTP listener (and each HTTPS listener whose ACM
certificate has a private key) serves on (address, port): the listener's rules pick an action, a forward to a
Lambda target group invokes the function through ``localcloud.dataplane.lambdas.runtime`` with the event ALB
builds, and the function's answer is translated back. Lambda target groups with health checks enabled are
checked on their interval; ``DescribeTargetHealth`` and Global Accelerator read the result.
"""

import base64
import contextlib
import http.server
import ipaddress
import json
import logging
import os
import random
import re
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus

from moto.acm.models import acm_backends
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeLoadBalancer, FakeTargetGroup, elbv2_backends

from .. import delays, layer
from ..errors import AWSError
from . import addresses, supervisor

log = logging.getLogger("localcloud.dataplane.load_balancers")

pool = addresses.Pool("load_balancer")
_assigned: dict[str, str] = {}  # ALB ARN -> its loopback address
_assigned_lock = threading.Lock()

LAMBDA_PAYLOAD_LIMIT = 1024 * 1024  # request body and response JSON, both 1 MB (ALB Lambda targets guide)
HEALTH_CHECK_FLOOR_SECONDS = 0.2
HEALTH_CHECK_USER_AGENT = "ELB-HealthChecker/2.0"
_TEXT_TYPES = ("application/json", "application/javascript", "application/xml")
_ERROR_TITLES = {
    400: "400 Bad Request",
    413: "413 Request Entity Too Large",
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}


# --- addresses -------------------------------------------------------------------------------------------


def allocate(load_balancer_arn: str) -> str:
    """A new ALB's loopback address, held until ``release``."""
    with _assigned_lock:
        if load_balancer_arn not in _assigned:
            _assigned[load_balancer_arn] = pool.allocate()[0]
        return _assigned[load_balancer_arn]


def release(load_balancer_arn: str) -> None:
    with _assigned_lock:
        address = _assigned.pop(load_balancer_arn, None)
    if address:
        pool.release([address])


def assigned_addresses() -> dict[str, str]:
    """ALB ARN -> address, for every ALB that exists."""
    with _assigned_lock:
        return dict(_assigned)


@layer.on_reset
def _forget_addresses() -> None:
    with _assigned_lock:
        _assigned.clear()
    pool.clear()


def blocked(region: str) -> bool:
    """Whether the region's load balancers are in an injected outage (a fault on every call to ELB there)."""
    faults = layer.faults
    return faults is not None and (faults.blocks("elasticloadbalancing", region) or faults.blocks("elbv2", region))


def _backend(account_id: str, region: str) -> ELBv2Backend | None:
    # dict.get: never create a backend (or an account) as a side effect of looking.
    regions = dict.get(elbv2_backends, account_id)
    return None if regions is None else dict.get(regions, region)


def _backends() -> list[tuple[str, str, ELBv2Backend]]:
    return [
        (account_id, region, backend)
        for account_id, regions in list(elbv2_backends.items())
        for region, backend in list(regions.items())
    ]


def _load_balancer(account_id: str, region: str, arn: str) -> FakeLoadBalancer | None:
    backend = _backend(account_id, region)
    return None if backend is None else backend.load_balancers.get(arn)


def _is_active(load_balancer: FakeLoadBalancer) -> bool:
    load_balancer.activate()  # our elbv2 layer: 'provisioning' until the delay profile's time has passed
    return load_balancer.state == "active"


def serving_address(account_id: str, region: str, load_balancer_arn: str) -> str | None:
    """The loopback address the ALB serves on right now; None when it is not active, gone, or its region is out."""
    load_balancer = _load_balancer(account_id, region, load_balancer_arn)
    if load_balancer is None or load_balancer.type != "application" or blocked(region):
        return None
    if not _is_active(load_balancer):
        return None
    return assigned_addresses().get(load_balancer_arn)


# --- which target groups a load balancer uses -----------------------------------------------------------


def _action_data(action) -> dict:
    return action.data if hasattr(action, "data") else dict(action)


def _forwarded_groups(action) -> list[tuple[str, int]]:
    data = _action_data(action)
    if data.get("Type") != "forward":
        return []
    groups = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
    if groups:
        return [(group["TargetGroupArn"], int(group.get("Weight", 1))) for group in groups]
    return [(data["TargetGroupArn"], 1)] if data.get("TargetGroupArn") else []


def target_groups_of(load_balancer: FakeLoadBalancer) -> list[str]:
    """ARNs of the target groups the load balancer's listeners and rules forward to, in order, once each."""
    arns: list[str] = []
    for listener in list(load_balancer.listeners.values()):
        for rule in list(listener.rules.values()):
            for action in rule.actions:
                for arn, _ in _forwarded_groups(action):
                    if arn not in arns:
                        arns.append(arn)
    return arns


def _users(backend: ELBv2Backend, target_group_arn: str) -> list[FakeLoadBalancer]:
    return [lb for lb in list(backend.load_balancers.values()) if target_group_arn in target_groups_of(lb)]


# --- HTTP ------------------------------------------------------------------------------------------------


@dataclass
class HTTPResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    reason: str = ""


@dataclass
class HTTPRequest:
    method: str
    raw_path: str  # as sent, query included, never decoded
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str
    protocol: str  # http or https
    port: int

    @property
    def path(self) -> str:
        return self.raw_path.partition("?")[0]

    @property
    def query(self) -> str:
        return self.raw_path.partition("?")[2]

    def header(self, name: str) -> str | None:
        found = None
        for key, value in self.headers:
            if key.lower() == name:
                found = value
        return found

    @property
    def host(self) -> str:
        """The Host header without its port."""
        host = self.header("host") or ""
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def error_page(status: int) -> HTTPResponse:
    """ALB's own error page."""
    title = _ERROR_TITLES.get(status, f"{status} {_phrase(status)}")
    body = _html_page(title)
    headers = [("Server", "awselb/2.0"), ("Content-Type", "text/html")]
    return HTTPResponse(status, headers, body.encode(), title.split(" ", 1)[1])


def _html_page(title: str) -> str:
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _wildcard(pattern: str, value: str, case_sensitive: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _condition_values(condition: dict, config: str) -> list:
    return (condition.get(config) or {}).get("Values") or condition.get("Values") or []


def condition_matches(condition: dict, request: HTTPRequest) -> bool:
    field_name = condition.get("Field")
    if field_name == "path-pattern":
        return any(_wildcard(v, request.path, True) for v in _condition_values(condition, "PathPatternConfig"))
    if field_name == "host-header":
        return any(_wildcard(v, request.host, False) for v in _condition_values(condition, "HostHeaderConfig"))
    if field_name == "http-request-method":
        return request.method in _condition_values(condition, "HttpRequestMethodConfig")
    if field_name == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        value = request.header(str(config.get("HttpHeaderName", "")).lower())
        return value is not None and any(_wildcard(v, value, False) for v in config.get("Values") or [])
    if field_name == "query-string":
        pairs = [(k, v) for k, v in _query_pairs(request.query)]
        return any(
            any(
                (not wanted.get("Key") or _wildcard(wanted["Key"], k, False)) and _wildcard(wanted["Value"], v, False)
                for k, v in pairs
            )
            for wanted in (condition.get("QueryStringConfig") or {}).get("Values") or []
        )
    if field_name == "source-ip":
        client = ipaddress.ip_address(request.client_ip)
        return any(
            client in ipaddress.ip_network(v, strict=False) for v in _condition_values(condition, "SourceIpConfig")
        )
    return False


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """Query parameters as ALB passes them to Lambda: split on & and =, never URL-decoded."""
    pairs = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def route(listener, request: HTTPRequest) -> list:
    """The actions of the first rule (by priority) whose conditions all match, else the default actions."""
    rules = [rule for rule in list(listener.rules.values()) if not rule.is_default]
    rules.sort(key=lambda rule: int(rule.priority))
    for rule in rules:
        if all(condition_matches(condition, request) for condition in rule.conditions):
            return list(rule.actions)
    return list(listener.default_actions)


def _final_action(actions: list) -> dict | None:
    ordered = sorted((_action_data(a) for a in actions), key=lambda data: int(data.get("Order", 50000)))
    return ordered[-1] if ordered else None


def fixed_response(config: dict) -> HTTPResponse:
    status = int(config.get("StatusCode", 200))
    headers = [("Server", "awselb/2.0"), ("Content-Type", config.get("ContentType") or "text/plain; charset=utf-8")]
    return HTTPResponse(status, headers, (config.get("MessageBody") or "").encode())


def redirect(config: dict, request: HTTPRequest) -> HTTPResponse:
    values = {
        "protocol": request.protocol,
        "host": request.host,
        "port": str(request.port),
        "path": request.path.lstrip("/"),
        "query": request.query,
    }

    def fill(template: str) -> str:
        return re.sub(r"#\{(protocol|host|port|path|query)\}", lambda m: values[m.group(1)], template)

    protocol = fill(config.get("Protocol") or "#{protocol}").lower()
    host = fill(config.get("Host") or "#{host}")
    port = fill(config.get("Port") or "#{port}")
    path = fill(config.get("Path") or "/#{path}")
    query = fill(config.get("Query") if config.get("Query") is not None else "#{query}")
    default_port = {"http": "80", "https": "443"}.get(protocol)
    location = f"{protocol}://{host}{'' if port == default_port else ':' + port}{path}{'?' + query if query else ''}"
    status = 301 if config.get("StatusCode", "HTTP_301") == "HTTP_301" else 302
    title = f"{status} {'Moved Permanently' if status == 301 else 'Moved Temporarily'}"
    body = _html_page(title)
    headers = [("Server", "awselb/2.0"), ("Content-Type", "text/html"), ("Location", location)]
    return HTTPResponse(status, headers, body.encode(), title.split(" ", 1)[1])


def _is_text(content_type: str | None) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind.startswith("text/") or kind in _TEXT_TYPES


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def lambda_event(target_group_arn: str, request: HTTPRequest, multi_value: bool) -> dict:
    """The event ALB sends a Lambda target (ELB guide, 'Receive events from the load balancer')."""
    headers = [(k.lower(), v) for k, v in request.headers]
    forwarded_for = request.header("x-forwarded-for")
    added = {
        "x-forwarded-for": f"{forwarded_for}, {request.client_ip}" if forwarded_for else request.client_ip,
        "x-forwarded-proto": request.protocol,
        "x-forwarded-port": str(request.port),
        "x-amzn-trace-id": request.header("x-amzn-trace-id") or _trace_id(),
    }
    headers = [(k, v) for k, v in headers if k not in added] + list(added.items())
    pairs = _query_pairs(request.query)
    event: dict = {"requestContext": {"elb": {"targetGroupArn": target_group_arn}}, "httpMethod": request.method}
    event["path"] = request.path
    if multi_value:
        multi_query: dict[str, list[str]] = {}
        for key, value in pairs:
            multi_query.setdefault(key, []).append(value)
        multi_headers: dict[str, list[str]] = {}
        for key, value in headers:
            multi_headers.setdefault(key, []).append(value)
        event["multiValueQueryStringParameters"] = multi_query
        event["multiValueHeaders"] = multi_headers
    else:
        event["queryStringParameters"] = dict(pairs)  # a repeated key: the last value
        event["headers"] = dict(headers)
    body = request.body
    text = _is_text(request.header("content-type"))
    if text:
        try:
            event["body"], event["isBase64Encoded"] = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text = False
    if not text:
        event["body"] = base64.b64encode(body).decode() if body else ""
        event["isBase64Encoded"] = bool(body)
    return event


def lambda_response(payload: bytes, multi_value: bool) -> HTTPResponse | None:
    """The HTTP response for the function's answer; None when the answer is not one ALB accepts (a 502)."""
    if len(payload) > LAMBDA_PAYLOAD_LIMIT:
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    status = data.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return None
    description = data.get("statusDescription")
    reason = description.split(" ", 1)[1] if isinstance(description, str) and " " in description else _phrase(status)
    headers: list[tuple[str, str]] = []
    if multi_value:
        for name, values in (data.get("multiValueHeaders") or {}).items():
            for value in values if isinstance(values, list) else [values]:
                if value is not None:
                    headers.append((str(name), _header_value(value)))
    else:
        for name, value in (data.get("headers") or {}).items():
            if value is not None:
                headers.append((str(name), _header_value(value)))
    body = data.get("body")
    if body is None:
        body = ""
    if not isinstance(body, str):
        return None
    if data.get("isBase64Encoded") is True:
        try:
            raw = base64.b64decode(body, validate=True)
        except ValueError:
            return None
    else:
        raw = body.encode()
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/octet-stream"))
    return HTTPResponse(status, headers, raw, reason)


def _header_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def split_function_arn(target_id: str) -> tuple[str, str | None]:
    """(function name, qualifier) of a registered Lambda target: a function ARN, maybe with a version or alias."""
    parts = target_id.split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return parts[6], parts[7] if len(parts) > 7 else None
    return target_id, None


def _function_location(account_id: str, region: str, target_id: str) -> tuple[str, str]:
    parts = target_id.split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return parts[4] or account_id, parts[3] or region
    return account_id, region


def invoke(account_id: str, region: str, target_id: str, payload: bytes):
    from .lambdas import runtime  # another part of the data plane; imported when first needed

    function_account, function_region = _function_location(account_id, region, target_id)
    name, qualifier = split_function_arn(target_id)
    return runtime.invoke(function_account, function_region, name, payload, qualifier=qualifier)


def _multi_value(target_group: FakeTargetGroup) -> bool:
    return str(target_group.attributes.get("lambda.multi_value_headers.enabled", "false")).lower() == "true"


def forward(account_id: str, region: str, target_group_arn: str, request: HTTPRequest) -> HTTPResponse:
    backend = _backend(account_id, region)
    target_group = None if backend is None else backend.target_groups.get(target_group_arn)
    if target_group is None or not target_group.targets:
        return error_page(503)
    if target_group.target_type != "lambda":
        # Instances, IP addresses and ALBs in a target group are not reachable from the local cloud.
        return error_page(502)
    if len(request.body) > LAMBDA_PAYLOAD_LIMIT:
        return error_page(413)
    target_id = next(iter(list(target_group.targets)))  # a Lambda target group holds one function
    multi_value = _multi_value(target_group)
    payload = json.dumps(lambda_event(target_group.arn, request, multi_value)).encode()
    try:
        invocation = invoke(account_id, region, target_id, payload)
    except AWSError as error:  # throttled, missing, or the function's region is out: ALB answers 502
        log.info("ALB could not invoke %s: %s %s", target_id, error.code, error.message)
        return error_page(502)
    except Exception:
        log.exception("ALB could not invoke %s", target_id)
        return error_page(502)
    if invocation.function_error:
        return error_page(502)
    return lambda_response(invocation.payload, multi_value) or error_page(502)


def answer(account_id: str, region: str, load_balancer_arn: str, listener_arn: str, request: HTTPRequest):
    """The response to one request on a listener, or None when the listener is gone (close the connection)."""
    load_balancer = _load_balancer(account_id, region, load_balancer_arn)
    listener = None if load_balancer is None else load_balancer.listeners.get(listener_arn)
    if listener is None:
        return None
    action = _final_action(route(listener, request))
    kind = (action or {}).get("Type")
    if kind == "fixed-response":
        return fixed_response(action.get("FixedResponseConfig") or {})
    if kind == "redirect":
        return redirect(action.get("RedirectConfig") or {}, request)
    if kind == "forward":
        groups = [(arn, weight) for arn, weight in _forwarded_groups(action) if weight > 0]
        if not groups:
            return error_page(503)
        chosen = random.choices([arn for arn, _ in groups], weights=[weight for _, weight in groups])[0]
        return forward(account_id, region, chosen, request)
    return error_page(500)  # authenticate-* alone, or nothing to do: not served by the local cloud


# --- listeners -------------------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_ListenerServer"

    def log_message(self, format, *args):  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)

    def __getattr__(self, name: str):
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        server = self.server
        if server.stopping.is_set() or blocked(server.region):
            self._reset()
            return
        try:
            body = self._read_body()
        except ValueError:
            self._write(error_page(400))
            self.close_connection = True
            return
        request = HTTPRequest(
            method=self.command,
            raw_path=self.path,
            headers=list(self.headers.items()),
            body=body,
            client_ip=self.client_address[0],
            protocol=server.protocol,
            port=server.port,
        )
        try:
            response = answer(server.account_id, server.region, server.load_balancer_arn, server.listener_arn, request)
        except Exception:
            log.exception("ALB listener %s failed on %s %s", server.listener_arn, self.command, self.path)
            response = error_page(500)
        if response is None or server.stopping.is_set():
            self._reset()
            return
        self._write(response)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, response: HTTPResponse) -> None:
        self.send_response_only(response.status, response.reason or _phrase(response.status))
        self.send_header("Date", self.date_time_string())
        for name, value in response.headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close" if self.close_connection else "keep-alive")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset, as an unreachable load balancer would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class _ListenerServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, key: tuple, address: str, port: int, protocol: str, context: ssl.SSLContext | None):
        self.account_id, self.region, self.load_balancer_arn, self.listener_arn = key
        self.port = port
        self.protocol = protocol
        self.stopping = threading.Event()
        super().__init__((address, port), _Handler)
        if context is not None:
            self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=f"alb-{address}:{port}", daemon=True
        )
        self._thread.start()

    def handle_error(self, request, client_address) -> None:
        # A client that fails the TLS handshake (one that does not trust the certificate, plain HTTP on an
        # HTTPS port) or drops the connection: a debug line, not socketserver's traceback on stderr.
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # ssl.SSLError, ConnectionResetError, BrokenPipeError, ...
            log.debug("ALB listener %s: connection from %s failed: %s", self.listener_arn, client_address[0], error)
            return
        log.exception("ALB listener %s failed on a connection from %s", self.listener_arn, client_address[0])

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


def _tls_context(account_id: str, region: str, certificate_arn: str | None) -> ssl.SSLContext | None:
    """A server context from the listener's ACM certificate and key, or None when moto holds no usable pair."""
    if not certificate_arn:
        return None
    regions = dict.get(acm_backends, account_id)
    backend = None if regions is None else dict.get(regions, region)
    bundle = None if backend is None else backend._certificates.get(certificate_arn)
    if bundle is None or not getattr(bundle, "key", None):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as directory:
        cert_file, key_file = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        with open(cert_file, "wb") as handle:
            handle.write(_pem(bundle.cert))
        with open(key_file, "wb") as handle:
            handle.write(_pem(bundle.key))
        try:
            context.load_cert_chain(cert_file, key_file)
        except (ssl.SSLError, ValueError):
            log.warning("the certificate %s cannot serve TLS (certificate or key not loadable)", certificate_arn)
            return None
    return context


def _pem(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


# --- health checks ---------------------------------------------------------------------------------------


def scaled(seconds: float) -> float:
    """A health check interval or timeout at the local cloud's time scale, never below 0.2 s."""
    return max(HEALTH_CHECK_FLOOR_SECONDS, float(seconds) * delays.time_scale())


def _matcher_accepts(matcher: dict | None, status: int) -> bool:
    spec = str((matcher or {}).get("HttpCode") or "200")
    for part in spec.split(","):
        part = part.strip()
        low, _, high = part.partition("-")
        if low.isdigit() and (int(low) <= status <= int(high) if high.isdigit() else status == int(low)):
            return True
    return False


def _health_check_settings(target_group: FakeTargetGroup) -> tuple:
    return (
        bool(target_group.health_check_enabled),
        target_group.health_check_path or "/",
        str(target_group.health_check_interval_seconds),
        str(target_group.health_check_timeout_seconds),
        str(target_group.healthy_threshold_count),
        str(target_group.unhealthy_threshold_count),
        json.dumps(getattr(target_group, "matcher", None), sort_keys=True),
    )


def health_check_event(target_group: FakeTargetGroup) -> dict:
    path, _, query = (target_group.health_check_path or "/").partition("?")
    request = HTTPRequest("GET", f"{path}?{query}" if query else path, [], b"", "", "http", 0)
    event: dict = {"requestContext": {"elb": {"targetGroupArn": target_group.arn}}, "httpMethod": "GET", "path": path}
    if _multi_value(target_group):
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in _query_pairs(request.query)}
        event["multiValueHeaders"] = {"user-agent": [HEALTH_CHECK_USER_AGENT]}
    else:
        event["queryStringParameters"] = dict(_query_pairs(request.query))
        event["headers"] = {"user-agent": HEALTH_CHECK_USER_AGENT}
    event["body"], event["isBase64Encoded"] = "", False
    return event


@dataclass
class _Check:
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    result: tuple[bool, str | None, str | None] | None = None  # (passed, reason, description)


@dataclass
class _TargetHealth:
    settings: tuple
    state: str = "initial"
    reason: str | None = "Elb.InitialHealthChecking"
    description: str | None = "Initial health checks in progress"
    successes: int = 0
    failures: int = 0
    next_due: float = 0.0
    check: _Check | None = None


def _judge(invocation, matcher: dict | None) -> tuple[bool, str | None, str | None]:
    if invocation.function_error:
        return False, "Target.FailedHealthChecks", f"The Lambda function failed: {invocation.function_error}"
    response = lambda_response(invocation.payload, False)
    if response is None:
        return False, "Target.FailedHealthChecks", "The Lambda function returned an invalid response"
    if not _matcher_accepts(matcher, response.status):
        return False, "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{response.status}]"
    return True, None, None


class LoadBalancers:
    """The component: listeners of active ALBs, and health checks of the Lambda target groups they use."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._servers: dict[tuple, tuple[tuple, _ListenerServer]] = {}  # key -> (spec, server)
        self._failed_binds: dict[tuple, float] = {}
        self._health: dict[tuple, _TargetHealth] = {}  # (account, region, group ARN, target ID) -> state

    # listeners

    def _wanted_listeners(self) -> dict[tuple, tuple]:
        wanted = {}
        for account_id, region, backend in _backends():
            if blocked(region):
                continue
            for load_balancer in list(backend.load_balancers.values()):
                if load_balancer.type != "application" or not _is_active(load_balancer):
                    continue
                address = assigned_addresses().get(load_balancer.arn)
                if address is None:
                    continue
                for listener in list(load_balancer.listeners.values()):
                    if listener.protocol not in ("HTTP", "HTTPS"):
                        continue
                    certificate = listener.certificate if listener.protocol == "HTTPS" else None
                    if listener.protocol == "HTTPS" and not certificate:
                        continue
                    key = (account_id, region, load_balancer.arn, listener.arn)
                    wanted[key] = (address, int(listener.port), listener.protocol.lower(), certificate)
        return wanted

    def _reconcile_listeners(self) -> None:
        wanted = self._wanted_listeners()
        for key in [k for k, (spec, _) in self._servers.items() if wanted.get(k) != spec]:
            _, server = self._servers.pop(key)
            server.stop()
        now = time.monotonic()
        for key, spec in wanted.items():
            if key in self._servers or self._failed_binds.get((key, spec), 0.0) > now:
                continue
            address, port, protocol, certificate = spec
            context = None
            if protocol == "https":
                context = _tls_context(key[0], key[1], certificate)
                if context is None:
                    self._failed_binds[(key, spec)] = now + 5.0
                    continue
            try:
                self._servers[key] = (spec, _ListenerServer(key, address, port, protocol, context))
            except OSError as error:
                log.warning("ALB listener %s cannot bind %s:%s: %s", key[3], address, port, error)
                self._failed_binds[(key, spec)] = now + 2.0

    # health checks

    def target_health(self, target_group: FakeTargetGroup, target_id: str) -> tuple[str, str | None, str | None]:
        backend = _backend(target_group.account_id, target_group.region_name)
        users = [] if backend is None else _users(backend, target_group.arn)
        if not users:
            return (
                "unused",
                "Target.NotInUse",
                "Target group is not configured to receive traffic from the load balancer",
            )
        if not target_group.health_check_enabled:
            return "unavailable", "Target.HealthCheckDisabled", "Health checks disabled"
        if not any(_is_active(lb) for lb in users):
            return "initial", "Elb.RegistrationInProgress", "Target registration is in progress"
        with self._lock:
            record = self._health.get((target_group.account_id, target_group.region_name, target_group.arn, target_id))
            if record is None or record.settings != _health_check_settings(target_group):
                return "initial", "Elb.InitialHealthChecking", "Initial health checks in progress"
            return record.state, record.reason, record.description

    def _reconcile_health(self) -> None:
        now = time.monotonic()
        live = set()
        for account_id, region, backend in _backends():
            for target_group in list(backend.target_groups.values()):
                if target_group.target_type != "lambda" or not target_group.health_check_enabled:
                    continue
                if not any(_is_active(lb) for lb in _users(backend, target_group.arn)):
                    continue
                for target_id in list(target_group.targets):
                    key = (account_id, region, target_group.arn, target_id)
                    live.add(key)
                    self._check(key, target_group, now)
        with self._lock:
            for key in set(self._health) - live:
                del self._health[key]

    def _check(self, key: tuple, target_group: FakeTargetGroup, now: float) -> None:
        settings = _health_check_settings(target_group)
        with self._lock:
            record = self._health.get(key)
            if record is None or record.settings != settings:
                record = self._health[key] = _TargetHealth(settings, next_due=now + scaled(settings[2]))
            check = record.check
            if check is not None:
                if check.done.is_set():
                    self._record(record, check.result, target_group)
                elif now - check.started >= scaled(settings[3]):
                    self._record(record, (False, "Target.Timeout", "Request timed out"), target_group)
                else:
                    return
                record.check = None
            if now < record.next_due:
                return
            record.next_due = now + scaled(settings[2])
            if blocked(key[1]):
                self._record(
                    record, (False, "Elb.InternalError", "Health checks failed due to an internal error"), target_group
                )
                return
            record.check = _Check(now)
        payload = json.dumps(health_check_event(target_group)).encode()
        threading.Thread(
            target=self._run_check,
            args=(record.check, key, payload, getattr(target_group, "matcher", None)),
            daemon=True,
        ).start()

    @staticmethod
    def _run_check(check: _Check, key: tuple, payload: bytes, matcher: dict | None) -> None:
        try:
            check.result = _judge(invoke(key[0], key[1], key[3], payload), matcher)
        except AWSError as error:
            check.result = (
                False,
                "Target.FailedHealthChecks",
                f"The Lambda function could not be invoked: {error.code}",
            )
        except Exception as error:
            log.exception("health check of %s failed", key[3])
            check.result = (False, "Elb.InternalError", f"Health checks failed due to an internal error: {error}")
        check.done.set()

    @staticmethod
    def _record(record: _TargetHealth, result, target_group: FakeTargetGroup) -> None:
        passed, reason, description = result
        if passed:
            record.successes, record.failures = record.successes + 1, 0
            # A new target must pass one health check; an unhealthy one HealthyThresholdCount in a row.
            if record.state == "initial" or record.successes >= int(target_group.healthy_threshold_count):
                record.state, record.reason, record.description = "healthy", None, None
            return
        record.failures, record.successes = record.failures + 1, 0
        if record.state == "unhealthy" or record.failures >= int(target_group.unhealthy_threshold_count):
            record.state, record.reason, record.description = "unhealthy", reason, description

    # component

    def reconcile(self) -> None:
        with self._lock:
            self._reconcile_listeners()
        self._reconcile_health()

    def stop(self) -> None:
        with self._lock:
            servers = [server for _, server in self._servers.values()]
            self._servers.clear()
            self._failed_binds.clear()
            self._health.clear()
        for server in servers:
            server.stop()

    def serving(self) -> dict[tuple, tuple]:
        with self._lock:
            return {key: spec for key, (spec, _) in self._servers.items()}


component = supervisor.register(LoadBalancers())


# --- moto: DescribeTargetHealth of Lambda targets reads the health checks above --------------------------

_original_health_for = FakeTargetGroup.health_for


def _health_for(self, target, ec2_backend):
    if self.target_type != "lambda" or target["Id"] not in self.targets:
        return _original_health_for(self, target, ec2_backend)
    state, reason, description = component.target_health(self, target["Id"])
    return FakeHealthStatus(target["Id"], None, None, state, reason, description)


FakeTargetGroup.health_for = _health_for
