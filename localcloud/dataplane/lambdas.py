"""Lambda functions that really run: warm worker processes running the deployed Python code.

``runtime.invoke(account_id, region, function, payload, qualifier=None)`` is what other data plane components
(the ALB) and the Invoke API call. It looks the function up in moto's Lambda backend, extracts its zip once
per code SHA-256 into a cache directory, and hands the event to a warm worker (``lambda_worker.py``, this
machine's Python) that imported the handler once. Concurrent invocations grow a small pool per function
version; an update starts its new environment while the previous one serves (``prepare_update``);
``reconcile()`` reaps idle workers and retires those of changed or deleted functions; ``stop()``
kills them all. The README's *Lambda* section describes the behaviour and its contract tests.
"""

import base64
import binascii
import contextlib
import hashlib
import io
import json
import logging
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import layer
from ..errors import AWSError
from . import supervisor

log = logging.getLogger("localcloud.dataplane.lambda")

WORKER = Path(__file__).with_name("lambda_worker.py")
MAX_WORKERS_PER_VERSION = int(os.environ.get("LOCALCLOUD_LAMBDA_MAX_WORKERS", "10"))
IDLE_SECONDS = float(os.environ.get("LOCALCLOUD_LAMBDA_IDLE_SECONDS", "300"))
INIT_SECONDS = 10.0  # Lambda's limit for the init phase (importing the handler)
REAP_EVERY_SECONDS = 1.0
LOG_RESULT_BYTES = 4096
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")

FUNCTION_REFERENCE = re.compile(
    r"^(?:arn:aws[a-z-]*:lambda:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):(?P<arn_account>\d{12}):function:"
    r"|(?P<account>\d{12}):function:)?"
    r"(?P<name>[a-zA-Z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]{1,128}))?$"
)


@dataclass
class Invocation:
    """One invocation's answer, as the Invoke API gives it."""

    status_code: int  # 200 RequestResponse, 202 Event, 204 DryRun
    payload: bytes  # the function's result (JSON), or the error document when function_error is set
    function_error: str | None  # "Unhandled" when the function raised, timed out or could not start
    executed_version: str  # "$LATEST" or the version number that ran (an alias resolves to its version)
    log_result: str  # the last 4 KB of the invocation's log, as text (the API sends it base64-encoded)
    request_id: str = ""


@dataclass(frozen=True)
class FunctionSpec:
    """What one invocation runs, read from moto's backend."""

    account_id: str
    region: str
    name: str
    version: str
    arn: str  # the unqualified function ARN
    role: str
    runtime: str
    handler: str
    timeout: float
    memory_size: int
    environment: tuple
    code_sha256: str  # hex
    code: bytes = field(repr=False, compare=False)
    identity: int = 0  # id() of moto's function object: a deleted and recreated function gets new workers

    @property
    def key(self) -> tuple:
        return (self.account_id, self.region, self.name, self.version)

    @property
    def fingerprint(self) -> tuple:
        return (
            self.identity,
            self.role,
            self.runtime,
            self.handler,
            self.timeout,
            self.memory_size,
            self.environment,
            self.code_sha256,
        )


class _Worker:
    """One warm execution environment: a worker process and the threads reading what it writes."""

    def __init__(self, spec: FunctionSpec, task_root: Path) -> None:
        self.spec = spec
        self.cold = True
        self.idle_since = time.monotonic()
        self.messages: queue.Queue = queue.Queue()
        self.log_stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{spec.version}]{uuid.uuid4().hex}"
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-B", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(task_root),
            env=_environment(spec, task_root, self.log_stream),
            start_new_session=True,
        )
        threading.Thread(target=self._read_control, daemon=True, name=f"lambda-{spec.name}-control").start()
        threading.Thread(target=self._read_raw, daemon=True, name=f"lambda-{spec.name}-output").start()
        self.init_log: list[str] = []
        self.init_error: dict | None = None
        self.init_timed_out = False
        self.init_ms = 0.0
        deadline = started + INIT_SECONDS
        while True:
            message = self._next(deadline)
            if message is None:
                self.init_timed_out = time.monotonic() >= deadline
                if self.init_error is None and not self.init_timed_out:
                    self.init_error = _exit_error("", self.proc)
                self.kill()
                break
            if "log" in message:
                self.init_log.append(message["log"])
            elif "init_error" in message:
                self.init_error = message["init_error"]
                self.kill()
                break
            elif message.get("ready"):
                break
        self.init_ms = (time.monotonic() - started) * 1000

    def _read_control(self) -> None:
        for line in self.proc.stdout:
            try:
                self.messages.put(json.loads(line))
            except ValueError:
                self.messages.put({"log": line.decode("utf-8", "replace")})
        self.messages.put(None)

    def _read_raw(self) -> None:
        for line in self.proc.stderr:
            self.messages.put({"log": line.decode("utf-8", "replace")})

    def _next(self, deadline: float) -> dict | None:
        """The worker's next message, or None when it ended or the deadline passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            return self.messages.get(timeout=remaining)
        except queue.Empty:
            return None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, request_id: str, event: bytes, arn: str, client_context: dict | None) -> tuple[dict, list[str]]:
        """Run one invocation: (result message, log chunks). A timeout kills the worker."""
        output: list[str] = []
        while not self.messages.empty():  # what the function printed between invocations
            message = self.messages.get_nowait()
            if message is None:
                return {"exit": _exit_error(request_id, self.proc)}, output
            output.append(message.get("log", ""))
        started = time.monotonic()
        deadline = started + self.spec.timeout
        request = {
            "id": request_id,
            "event": event.decode("utf-8") if event else "{}",
            "deadline_ms": int(time.time() * 1000 + self.spec.timeout * 1000),
            "arn": arn,
            "client_context": client_context,
        }
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            return {"exit": _exit_error(request_id, self.proc)}, output
        while True:
            message = self._next(deadline)
            if message is None:
                if time.monotonic() >= deadline:
                    self.kill()
                    return {"timeout": True}, output
                return {"exit": _exit_error(request_id, self.proc)}, output
            if "log" in message:
                output.append(message["log"])
            elif message.get("done"):
                return message, output

    def max_memory_mb(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return max(1, int(line.split()[1]) // 1024)
        return 0

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for stream in (self.proc.stdin,):
            with contextlib.suppress(OSError):
                stream.close()


class _Pool:
    """The warm workers of one function version with one configuration."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self.fingerprint = spec.fingerprint
        self.idle: list[_Worker] = []
        self.size = 0  # idle + busy + starting
        self.retired = False


class LambdaRuntime:
    """The data plane component that runs Lambda functions (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._released = threading.Condition(self._lock)
        self._pools: dict[tuple, _Pool] = {}
        self._updating: dict[tuple, tuple] = {}  # key -> the fingerprint whose environment is being prepared
        self._last_reap = 0.0
        self._cache_dir = Path(
            os.environ.get("LOCALCLOUD_LAMBDA_CACHE") or Path(tempfile.gettempdir()) / "localcloud-lambda"
        )
        self._extract_lock = threading.Lock()

    # -- the public interface -------------------------------------------------------------------------

    def invoke(
        self,
        account_id: str,
        region: str,
        function: str,
        payload: bytes,
        qualifier: str | None = None,
        *,
        invocation_type: str = "RequestResponse",
        client_context: str | None = None,
    ) -> Invocation:
        """Invoke a function by name or (partial or full) ARN, as the Invoke API does.

        Raises AWSError for what Lambda answers as an error: ResourceNotFoundException for an unknown function
        or qualifier, InvalidRequestContentException for a payload that is not JSON, InvalidRuntimeException for
        a runtime other than python3.x, ServiceException (500) while a fault makes the region unreachable.
        """
        if layer.faults is not None and layer.faults.blocks("lambda", region):
            raise AWSError("ServiceException", f"Lambda in {region} is unreachable (regional outage).", 500, False)
        if invocation_type not in INVOCATION_TYPES:
            raise AWSError(
                "InvalidParameterValueException",
                f"Invalid invocation type '{invocation_type}': must be one of {', '.join(INVOCATION_TYPES)}.",
            )
        spec, invoked_arn = _resolve(account_id, region, function, qualifier)
        payload = payload or b""
        limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(payload) > limit:
            raise AWSError(
                "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                413,
            )
        if payload.strip():
            try:
                json.loads(payload)
            except ValueError as error:
                raise AWSError(
                    "InvalidRequestContentException",
                    f"Could not parse request body into json: Could not parse payload into json: {error}",
                ) from None
        context = _client_context(client_context)
        if not spec.runtime.startswith("python3."):
            raise AWSError(
                "InvalidRuntimeException",
                f"The local cloud runs Python functions (python3.x) only; {spec.name} has runtime "
                f"'{spec.runtime or 'none (container image)'}'.",
                502,
                False,
            )
        request_id = str(uuid.uuid4())
        if invocation_type == "DryRun":
            return Invocation(204, b"", None, spec.version, "", request_id)
        if invocation_type == "Event":
            threading.Thread(
                target=self._run_event,
                args=(spec, invoked_arn, payload, context, request_id),
                daemon=True,
                name=f"lambda-{spec.name}-event",
            ).start()
            return Invocation(202, b"", None, spec.version, "", request_id)
        return self._run(spec, invoked_arn, payload, context, request_id)

    def prepare_update(self, account_id: str, region: str, name: str) -> None:
        """Start an environment for the function's new code or configuration, as Lambda does on an update.

        Until it is ready, invocations keep running the previous code and configuration in the warm workers
        and ``update_in_progress`` is true (LastUpdateStatus InProgress). A function with no warm worker has
        nothing to switch from: its next invocation starts the new environment.
        """
        key = (account_id, region, name, "$LATEST")
        try:
            spec, _ = _resolve(account_id, region, name, None)
        except AWSError:
            return
        with self._lock:
            pool = self._pools.get(key)
            if pool is None or pool.size == 0 or pool.fingerprint == spec.fingerprint:
                self._updating.pop(key, None)
                return
            if self._updating.get(key) == spec.fingerprint:
                return
            self._updating[key] = spec.fingerprint
        threading.Thread(target=self._warm, args=(spec,), daemon=True, name=f"lambda-{name}-update").start()

    def update_in_progress(self, account_id: str, region: str, name: str) -> bool:
        with self._lock:
            return (account_id, region, name, "$LATEST") in self._updating

    # -- the data plane component ---------------------------------------------------------------------

    def reconcile(self) -> None:
        """Reap workers idle for IDLE_SECONDS and retire those of deleted or changed functions."""
        now = time.monotonic()
        if now - self._last_reap < REAP_EVERY_SECONDS:
            return
        self._last_reap = now
        doomed: list[_Worker] = []
        with self._lock:
            pools = list(self._pools.items())
        for key, pool in pools:
            current = _current_fingerprint(*key)
            with self._lock:
                if current != pool.fingerprint and key not in self._updating:
                    doomed += self._retire(key, pool)
                    continue
                for worker in list(pool.idle):
                    if now - worker.idle_since > IDLE_SECONDS or not worker.alive:
                        pool.idle.remove(worker)
                        pool.size -= 1
                        doomed.append(worker)
                if pool.size == 0 and self._pools.get(key) is pool:
                    del self._pools[key]
        for worker in doomed:
            worker.kill()

    def stop(self) -> None:
        """Kill every worker; invocations still running end as if their environment crashed."""
        with self._lock:
            doomed = [w for key, pool in list(self._pools.items()) for w in self._retire(key, pool)]
            self._updating.clear()
            self._released.notify_all()
        for worker in doomed:
            worker.kill()

    def worker_count(self) -> int:
        """Workers alive now (idle, busy or starting), for tests and diagnostics."""
        with self._lock:
            return sum(pool.size for pool in self._pools.values())

    # -- running ----------------------------------------------------------------------------------------

    def _run_event(self, spec, invoked_arn, payload, context, request_id) -> None:
        try:
            result = self._run(spec, invoked_arn, payload, context, request_id)
            if result.function_error:
                log.info("asynchronous invocation %s of %s failed: %s", request_id, spec.arn, result.payload[:500])
        except Exception:
            log.exception("asynchronous invocation %s of %s failed", request_id, spec.arn)

    def _run(self, spec: FunctionSpec, invoked_arn: str, payload: bytes, context, request_id: str) -> Invocation:
        worker = self._acquire(spec)
        spec = worker.spec  # the previous code and configuration while an update is in progress
        started = time.monotonic()
        lines = [f"START RequestId: {request_id} Version: {spec.version}\n"]
        if worker.init_log:
            lines[:0] = worker.init_log
            worker.init_log = []
        function_error = None
        if worker.init_error is not None or worker.init_timed_out:
            if worker.init_timed_out:
                body = _timeout_error(request_id, INIT_SECONDS)
                lines.append(f"{_now()} {request_id} Task timed out after {INIT_SECONDS:.2f} seconds\n")
            else:
                body = worker.init_error
            payload_out, function_error, reusable = _dump(body), "Unhandled", False
        else:
            result, output = worker.run(request_id, payload, invoked_arn, context)
            lines += output
            if result.get("timeout"):
                payload_out, function_error = _dump(_timeout_error(request_id, spec.timeout)), "Unhandled"
                lines.append(f"{_now()} {request_id} Task timed out after {spec.timeout:.2f} seconds\n")
            elif "exit" in result:
                payload_out, function_error = _dump(result["exit"]), "Unhandled"
                lines.append(f"{_now()} {request_id} {result['exit']['errorMessage']}\n")
            elif result.get("ok"):
                payload_out = (
                    base64.b64decode(result["payload_b64"]) if "payload_b64" in result else result["payload"].encode()
                )
            else:
                payload_out, function_error = _dump(result["error"]), "Unhandled"
            reusable = worker.alive and "exit" not in result and not result.get("timeout")
        duration_ms = (time.monotonic() - started) * 1000
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms"
            f"\tBilled Duration: {max(1, round(duration_ms))} ms"
            f"\tMemory Size: {spec.memory_size} MB\tMax Memory Used: {worker.max_memory_mb() or '-'} MB\t"
        )
        if worker.cold:
            report += f"Init Duration: {worker.init_ms:.2f} ms\t"
            worker.cold = False
        lines += [f"END RequestId: {request_id}\n", report + "\n"]
        self._release(spec, worker, reusable)
        text = "".join(lines)
        _write_cloudwatch(spec, worker.log_stream, text)
        tail = text.encode("utf-8")[-LOG_RESULT_BYTES:].decode("utf-8", "ignore")
        return Invocation(200, payload_out, function_error, spec.version, tail, request_id)

    def _acquire(self, spec: FunctionSpec) -> _Worker:
        """A warm worker for ``spec``, or for the previous code and configuration while an update is prepared."""
        doomed: list[_Worker] = []
        try:
            with self._lock:
                while True:
                    pool = self._pools.get(spec.key)
                    if pool is not None and spec.key in self._updating and not pool.retired:
                        spec = pool.spec
                    if pool is None or pool.fingerprint != spec.fingerprint:
                        if pool is not None:
                            doomed += self._retire(spec.key, pool)
                        pool = self._pools[spec.key] = _Pool(spec)
                    while pool.idle:
                        worker = pool.idle.pop()
                        if worker.alive:
                            return worker
                        pool.size -= 1
                    if pool.size < MAX_WORKERS_PER_VERSION:
                        pool.size += 1
                        break
                    self._released.wait(timeout=1.0)
        finally:
            for worker in doomed:
                worker.kill()
        try:
            return _Worker(spec, self._extract(spec))
        except Exception:
            with self._lock:
                pool.size -= 1
                self._released.notify()
            raise

    def _release(self, spec: FunctionSpec, worker: _Worker, reusable: bool) -> None:
        with self._lock:
            pool = self._pools.get(spec.key)
            owner_alive = pool is not None and pool.fingerprint == worker.spec.fingerprint and not pool.retired
            if reusable and owner_alive:
                worker.idle_since = time.monotonic()
                pool.idle.append(worker)
                self._released.notify()
                return
            if owner_alive:
                pool.size -= 1
                self._released.notify()
        worker.kill()

    def _warm(self, spec: FunctionSpec) -> None:
        """Start one worker for an update, then switch the function over to it."""
        worker = None
        try:
            worker = _Worker(spec, self._extract(spec))
        except Exception:
            log.exception("could not start an environment for the update of %s", spec.arn)
        doomed = []
        with self._lock:
            if self._updating.get(spec.key) != spec.fingerprint:  # superseded by a later update, or a reset
                doomed = [worker] if worker else []
            else:
                del self._updating[spec.key]
                pool = self._pools.get(spec.key)
                if pool is None or pool.fingerprint != spec.fingerprint:
                    if pool is not None:
                        doomed += self._retire(spec.key, pool)
                    pool = self._pools[spec.key] = _Pool(spec)
                if worker is not None and worker.alive and pool.size < MAX_WORKERS_PER_VERSION:
                    pool.size += 1
                    pool.idle.append(worker)
                elif worker is not None:
                    doomed.append(worker)
                self._released.notify_all()
        for each in doomed:
            each.kill()

    def _retire(self, key: tuple, pool: _Pool) -> list[_Worker]:
        """Take a pool out of service (lock held): its idle workers to kill; busy ones die on release."""
        pool.retired = True
        if self._pools.get(key) is pool:
            del self._pools[key]
        doomed, pool.idle = pool.idle, []
        return doomed

    def _extract(self, spec: FunctionSpec) -> Path:
        """The function's code, extracted once per code SHA-256."""
        target = self._cache_dir / spec.code_sha256
        if target.is_dir():
            return target
        with self._extract_lock:
            if target.is_dir():
                return target
            self._cache_dir.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{spec.code_sha256[:12]}-", dir=self._cache_dir))
            try:
                with zipfile.ZipFile(io.BytesIO(spec.code)) as archive:
                    archive.extractall(staging)
            except (zipfile.BadZipFile, OSError, ValueError) as error:
                _remove_tree(staging)
                raise AWSError(
                    "InvalidZipFileException", f"Lambda was unable to unzip the deployment package: {error}", 502, False
                ) from None
            try:
                staging.rename(target)
            except OSError:  # another local cloud extracted the same code just now
                _remove_tree(staging)
        return target


# -- helpers ------------------------------------------------------------------------------------------------


def _resolve(account_id: str, region: str, function: str, qualifier: str | None) -> tuple[FunctionSpec, str]:
    """The function version an invocation runs and the ARN it was invoked by."""
    from moto.awslambda.exceptions import LambdaClientError
    from moto.awslambda.models import lambda_backends
    from moto.utilities.utils import get_partition

    match = FUNCTION_REFERENCE.match(function or "")
    if match is None:
        raise AWSError(
            "ValidationException",
            f"1 validation error detected: Value '{function}' at 'functionName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: "
            r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
            r"([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?",
        )
    name = match["name"]
    derived = match["qualifier"]
    if derived and qualifier and derived != qualifier:
        raise AWSError(
            "InvalidParameterValueException",
            "The derived qualifier from the function name does not match the specified qualifier.",
        )
    qualifier = derived or qualifier
    account_id = match["arn_account"] or match["account"] or account_id
    partition = get_partition(region)
    unqualified = f"arn:{partition}:lambda:{region}:{account_id}:function:{name}"
    invoked_arn = f"{unqualified}:{qualifier}" if qualifier else unqualified
    if match["region"] and match["region"] != region:
        raise AWSError("ResourceNotFoundException", f"Function not found: {function}", 404)
    try:
        fn = lambda_backends[account_id][region].get_function(name, qualifier)
    except LambdaClientError as error:
        status = 404 if error.error_type == "ResourceNotFoundException" else 400
        raise AWSError(error.error_type, error.message, status) from None
    return _spec(fn, account_id, region, unqualified), invoked_arn


def _spec(fn, account_id: str, region: str, unqualified_arn: str) -> FunctionSpec:
    code = getattr(fn, "code_bytes", b"") or b""
    environment = tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items()))
    return FunctionSpec(
        account_id=account_id,
        region=region,
        name=fn.function_name,
        version=str(fn.version),
        arn=unqualified_arn,
        role=fn.role,
        runtime=fn.run_time or "",
        handler=fn.handler or "",
        timeout=float(fn.timeout or 3),
        memory_size=int(fn.memory_size or 128),
        environment=environment,
        code_sha256=getattr(fn, "code_digest", "") or hashlib.sha256(code).hexdigest(),
        code=code,
        identity=id(fn),
    )


def _current_fingerprint(account_id: str, region: str, name: str, version: str) -> tuple | None:
    """The fingerprint of a function version as moto has it now, or None when it is gone."""
    from moto.awslambda.models import lambda_backends

    try:
        fn = lambda_backends[account_id][region].get_function(name, version)
    except Exception:
        return None
    return _spec(fn, account_id, region, "").fingerprint


def _environment(spec: FunctionSpec, task_root: Path, log_stream: str) -> dict:
    """The worker's environment: Lambda's defined variables over the function's own, and nothing of ours."""
    access_key, secret_key, session_token = _credentials(spec)
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH", ""),
        # keep this machine's AWS config and credential files out of the function's SDK
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env.update(dict(spec.environment))
    env.update(
        {
            "_HANDLER": spec.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "LAMBDA_TASK_ROOT": str(task_root),
            "LAMBDA_RUNTIME_DIR": str(WORKER.parent),
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_SESSION_TOKEN": session_token,
        }
    )
    if supervisor.endpoint_url:
        env["AWS_ENDPOINT_URL"] = supervisor.endpoint_url
    return {k: v for k, v in env.items() if v != ""}


def _credentials(spec: FunctionSpec) -> tuple[str, str, str]:
    """Temporary credentials of the function's role, from moto's STS: the local cloud files calls under its account."""
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    try:
        role = sts_backends[spec.account_id][get_partition(spec.region)].assume_role(
            region_name=spec.region,
            role_session_name=spec.name,
            role_arn=spec.role,
            policy="",
            duration=43200,
            external_id="",
        )
        return role.access_key_id, role.secret_access_key, role.session_token
    except Exception:  # a role moto cannot assume: the default account's static keys
        log.warning("could not assume %s for %s; using static credentials", spec.role, spec.arn, exc_info=True)
        return "localcloud", "localcloud-secret", ""


def _client_context(header: str | None) -> dict | None:
    if not header:
        return None
    try:
        context = json.loads(base64.b64decode(header, validate=True))
    except (ValueError, binascii.Error):
        raise AWSError(
            "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object."
        ) from None
    if not isinstance(context, dict):
        raise AWSError("InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.")
    return context


def _timeout_error(request_id: str, seconds: float) -> dict:
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds",
    }


def _exit_error(request_id: str, proc: subprocess.Popen) -> dict:
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=2)
    code = proc.returncode
    reason = "signal: killed" if code is not None and code < 0 else f"exit status {code}"
    prefix = f"RequestId: {request_id} " if request_id else ""
    return {"errorType": "Runtime.ExitError", "errorMessage": f"{prefix}Error: Runtime exited with error: {reason}"}


def _dump(document: dict) -> bytes:
    return json.dumps(document).encode()


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def _write_cloudwatch(spec: FunctionSpec, stream: str, text: str) -> None:
    """The invocation's log lines into moto's CloudWatch Logs, group /aws/lambda/<name>."""
    from moto.logs.models import logs_backends

    group = f"/aws/lambda/{spec.name}"
    try:
        backend = logs_backends[spec.account_id][spec.region]
        backend.ensure_log_group(group)
        if stream not in backend.groups[group].streams:
            backend.create_log_stream(group, stream)
        millis = int(time.time() * 1000)
        events = [{"timestamp": millis, "message": line} for line in text.splitlines() if line]
        if events:
            backend.put_log_events(group, stream, events)
    except Exception:
        log.debug("could not write the logs of %s to CloudWatch Logs", spec.arn, exc_info=True)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


runtime = supervisor.register(LambdaRuntime())
