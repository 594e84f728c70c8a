"""The local cloud's WSGI application: control API, fault injection, our layer, then moto."""

import io
import json
import logging
import os
import threading
import time

from moto.core.responses import BaseResponse
from moto.iam.models import get_account_id_from
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Request as WSGIRequest

from . import (
    DEFAULT_ACCOUNT_ID,
    delays,
    layer,
    services,  # noqa: F401  (registers the layer's handlers)
)
from .dataplane import accelerators as accelerator_dataplane
from .dataplane import supervisor
from .errors import AWSError
from .faults import FaultError, Faults
from .protocol import Call, error_code_of, error_response, identify
from .requestlog import RequestLog

log = logging.getLogger("localcloud")
CONTROL_PREFIX = "/_localcloud/"


class LocalCloud:
    def __init__(self) -> None:
        self.requests = RequestLog()
        self.faults = Faults()
        layer.faults = self.faults
        self.moto = DomainDispatcherApplication(create_backend_app)
        self._reset_lock = threading.Lock()

    def reset(self) -> None:
        with self._reset_lock:
            moto_api_backend.reset()
            layer.reset()
            supervisor.reset()
            self.faults.clear()
            self.requests.clear()

    def __call__(self, environ, start_response):
        request = WSGIRequest(environ)
        body = request.get_data()
        if request.path.startswith(CONTROL_PREFIX):
            status, headers, payload = self._control(request, body)
        else:
            status, headers, payload = self._aws(request, environ, body)
        start_response(f"{status} {_reason(status)}", list(headers.items()))
        return [payload]

    def _aws(self, request: WSGIRequest, environ: dict, body: bytes) -> tuple[int, dict, bytes]:
        started = time.monotonic()
        headers = dict(request.headers)
        call = identify(request.method, request.path, request.query_string.decode(), headers, body)
        try:
            self.faults.check(call.service, call.operation, call.region)
            handler = layer.find(call.service, call.operation)
            forward = lambda: self._forward(environ, body, call)  # noqa: E731
            if handler is None:
                response = forward()
            else:
                request_for_layer = layer.Request(
                    call, _account_id(headers), headers, body, forward, request.path, request.query_string.decode()
                )
                response = handler(request_for_layer)
            status, out_headers, payload = response.status, response.headers, response.body
        except AWSError as error:
            status, out_headers, payload = error_response(call, error)
        self.requests.record(
            service=call.service,
            operation=call.operation,
            region=call.region,
            status=status,
            error_code=error_code_of(status, out_headers, payload),
            duration_ms=round((time.monotonic() - started) * 1000, 1),
        )
        return status, out_headers, payload

    def _forward(self, environ: dict, body: bytes, call: Call) -> layer.Response:
        """Let moto answer; anything it cannot answer in AWS's shape becomes an AWS-style error."""
        if call.protocol == "unknown":
            raise AWSError("UnknownServiceException", f"The local cloud does not serve '{call.service}'.", 400)
        environ = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        try:
            app_iter, status_line, headers = run_wsgi_app(self.moto, environ)
            payload = b"".join(app_iter)
            if hasattr(app_iter, "close"):
                app_iter.close()
        except Exception as exc:  # moto raised instead of answering: never leak an HTML 500
            log.exception("moto failed on %s.%s", call.service, call.operation)
            raise AWSError("InternalFailure", f"{call.service}.{call.operation} failed: {exc}", 500, False) from exc
        status = int(status_line.split()[0])
        out_headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "transfer-encoding")}
        if status >= 400 and b"<html" in payload[:200].lower():
            if status == 404:
                raise AWSError(
                    "UnknownOperationException", f"The local cloud does not implement {call.service}.{call.operation}."
                )
            raise AWSError("InternalFailure", f"{call.service}.{call.operation} failed in the local cloud.", 500, False)
        return layer.Response(status, out_headers, payload)

    def _control(self, request: WSGIRequest, body: bytes) -> tuple[int, dict, bytes]:
        route = request.path[len(CONTROL_PREFIX) :].strip("/")
        method = request.method
        try:
            if route == "health" and method == "GET":
                return _json({"status": "running", "time_scale": delays.time_scale()})
            if route == "requests" and method == "GET":
                return _json({"requests": self.requests.entries()})
            if route == "requests" and method == "DELETE":
                self.requests.clear()
                return _json({"cleared": True})
            if route == "faults" and method == "GET":
                return _json({"faults": self.faults.list()})
            if route == "faults" and method == "POST":
                spec = json.loads(body or b"{}")
                added = [self.faults.add(s) for s in (spec if isinstance(spec, list) else [spec])]
                return _json({"faults": added})
            if route == "faults" and method == "DELETE":
                removed = self.faults.clear(**request.args.to_dict())
                return _json({"cleared": True, "removed": removed})
            if route == "reset" and method == "POST":
                self.reset()
                return _json({"reset": True})
            if route == "delays" and method == "GET":
                return _json(delays.describe())
            if route == "client-locations" and method == "GET":
                return _json(accelerator_dataplane.client_locations.describe())
            if route == "client-locations" and method == "PUT":
                return _json(accelerator_dataplane.client_locations.replace(json.loads(body or b"{}")))
        except (ValueError, FaultError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"error": f"no control route {method} {request.path}"}, 404)


def _account_id(headers: dict) -> str:
    """The account moto files this request under, found the way moto finds it."""
    if os.environ.get("MOTO_ACCOUNT_ID"):
        return os.environ["MOTO_ACCOUNT_ID"]
    if headers.get("x-moto-account-id"):
        return headers["x-moto-account-id"]
    match = BaseResponse.access_key_regex.search(headers.get("Authorization", ""))
    return get_account_id_from(match.group(1)) if match else DEFAULT_ACCOUNT_ID


def _json(data: dict, status: int = 200) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data, default=str).encode()


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
