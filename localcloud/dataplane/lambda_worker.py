"""A warm Lambda execution environment: imports the handler once, then serves invocations one at a time.

``lambdas.py`` starts this file as a script with this machine's Python, the function's code extracted in
``LAMBDA_TASK_ROOT`` (also the working directory), the handler in ``_HANDLER`` and the function's environment.
It speaks newline-delimited JSON with the parent over its original stdin and stdout:

- to the parent: ``{"ready": true}`` or ``{"init_error": {...}}`` (then it exits) once the handler is imported;
  ``{"log": text}`` for everything the function prints or logs; ``{"done": true, ...}`` after each invocation;
- from the parent: ``{"id", "event", "deadline_ms", "arn", "client_context"}`` per invocation.

Only the standard library is imported here, so the function's own imports decide what is loaded. Errors are
shaped as the Python runtime interface client (awslambdaric) shapes them.
"""

import base64
import decimal
import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback

ERROR_LOG_LINE_TERMINATE = "\r"
ERROR_LOG_IDENT = "\u00a0"

_control_out = None
_send_lock = threading.Lock()
_request_id = None


def send(message: dict) -> None:
    data = (json.dumps(message) + "\n").encode()
    with _send_lock:
        _control_out.write(data)
        _control_out.flush()


class LogStream:
    """sys.stdout and sys.stderr of the function: every write goes to the parent at once, like Lambda's."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text) -> int:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if text:
            send({"log": text})
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 2  # fd 1 and 2 both lead to the parent's raw output pipe

    @property
    def buffer(self):
        return self

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False


class FaultError(Exception):
    def __init__(self, error_type: str, message: str, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


class ClientContext:
    def __init__(self, data: dict) -> None:
        self.custom = data.get("custom")
        self.env = data.get("env")
        self.client = data.get("client")


class CognitoIdentity:
    cognito_identity_id = None
    cognito_identity_pool_id = None


class LambdaContext:
    """What the handler gets as ``context``: the attributes and method Lambda's Python runtime gives."""

    def __init__(self, request_id: str, deadline_ms: int, arn: str, client_context: dict | None) -> None:
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = arn
        self.client_context = None if client_context is None else ClientContext(client_context)
        self.identity = CognitoIdentity()
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, msg) -> None:
        sys.stdout.write(str(msg))


def make_error(message, error_type, stack_trace, request_id) -> dict:
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id or "",
        "stackTrace": stack_trace or [],
    }


def log_error(error: dict) -> None:
    """The runtime's text-format error log line: one record, lines joined by carriage returns."""
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}", "Traceback (most recent call last):"]
    for element in error["stackTrace"]:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(ERROR_LOG_IDENT * (len(line) - len(stripped)) + stripped)
    sys.stdout.write(ERROR_LOG_LINE_TERMINATE.join(lines) + "\n")


def user_frames(tb) -> list[str]:
    """The traceback without this file's frames at its start, formatted as the runtime formats it."""
    frames = traceback.extract_tb(tb)
    while frames and frames[0].filename == __file__:
        frames = frames[1:]
    return traceback.format_list(frames)


def load_handler(handler: str):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}") from None
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise FaultError(
                "Runtime.BuiltInModuleConflict", f"Cannot use built-in module {module_name} as a handler module"
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise FaultError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}") from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise FaultError(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}", trace
        ) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultError(
            "Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'"
        ) from None


def json_default(value):
    """Decimals as numbers, as the runtime's encoder writes them (here through int or float)."""
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return float("nan")
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def marshal(response) -> dict:
    if isinstance(response, bytes):
        return {"payload_b64": base64.b64encode(response).decode()}
    try:
        return {"payload": json.dumps(response, default=json_default)}
    except Exception as error:  # anything the encoder raises is a marshal error
        raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {error}") from None


def serve(handler) -> None:
    global _request_id
    control_in = _control_in
    for line in control_in:
        request = json.loads(line)
        _request_id = request["id"]
        try:
            context = LambdaContext(_request_id, request["deadline_ms"], request["arn"], request.get("client_context"))
            event = json.loads(request["event"])
            result = {"done": True, "ok": True, **marshal(handler(event, context))}
        except FaultError as fault:
            error = make_error(fault.message, fault.error_type, fault.trace, _request_id)
            log_error(error)
            result = {"done": True, "ok": False, "error": error}
        except Exception as exc:  # the function's own exception: an Unhandled function error
            error = make_error(str(exc), type(exc).__name__, user_frames(exc.__traceback__), _request_id)
            log_error(error)
            result = {"done": True, "ok": False, "error": error}
        send(result)


class RequestIdFilter(logging.Filter):
    def filter(self, record) -> bool:
        record.aws_request_id = _request_id or ""
        return True


def setup_logging() -> None:
    """The root handler Lambda's Python runtime installs (text format)."""
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.terminator = ""
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"
        )
    )
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)


_control_in = None


def main() -> None:
    global _control_in, _control_out
    _control_in = os.fdopen(os.dup(0), "rb")
    _control_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # output written below Python (subprocesses, C code) reaches the parent's raw pipe
    sys.stdin = open(os.devnull)  # noqa: SIM115
    sys.stdout = sys.stderr = LogStream()
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path[0] = task_root  # instead of this file's directory: the function's code comes first, as in /var/task
    os.chdir(task_root)
    setup_logging()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except FaultError as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, None)
        log_error(error)
        send({"init_error": error})
        return
    except Exception as exc:  # the module raised while being imported
        error = make_error(str(exc), type(exc).__name__, user_frames(exc.__traceback__), None)
        log_error(error)
        send({"init_error": error})
        return
    send({"ready": True})
    serve(handler)


if __name__ == "__main__":
    main()
