"""Running the local cloud: in a thread (tests), in the foreground, or detached (make up / make down)."""

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import LocalCloud
from .dataplane import supervisor


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        logging.getLogger("localcloud.http").debug("%s %s %s", self.command, self.path, code)


class ThreadedLocalCloud:
    """A private local cloud on a free loopback port, for one test session."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.app = LocalCloud()
        self._server = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.endpoint_url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="localcloud", daemon=True)

    def start(self) -> "ThreadedLocalCloud":
        self._thread.start()
        supervisor.start(self.endpoint_url)
        return self

    def stop(self) -> None:
        supervisor.stop()
        self._server.shutdown()
        self._server.server_close()


def serve(port: int, host: str, log_file: str | None) -> None:
    logging.basicConfig(
        filename=log_file,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    server = make_server(host, port, LocalCloud(), threaded=True, request_handler=_QuietHandler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    logging.getLogger("localcloud").info("serving on http://%s:%s", host, port)
    supervisor.start(f"http://{host}:{port}")
    try:
        server.serve_forever()
    finally:
        supervisor.stop()


def health(endpoint_url: str, timeout: float = 1.0) -> dict | None:
    try:
        with urllib.request.urlopen(f"{endpoint_url}/_localcloud/health", timeout=timeout) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


def _state_dir() -> Path:
    return Path(os.environ.get("LOCALCLOUD_STATE_DIR", ".localcloud"))


def up(port: int, host: str, timeout: float = 30.0) -> int:
    endpoint = f"http://{host}:{port}"
    if health(endpoint):
        print(f"local cloud already running on {endpoint}")
        return 0
    if _port_taken(host, port):
        print(f"port {port} is taken by something that is not the local cloud", file=sys.stderr)
        return 1
    state = _state_dir()
    state.mkdir(parents=True, exist_ok=True)
    log_file = state / f"localcloud-{port}.log"
    with open(os.devnull, "rb") as devnull, open(log_file, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "localcloud",
                "serve",
                "--port",
                str(port),
                "--host",
                host,
                "--log-file",
                str(log_file),
            ],
            stdin=devnull,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
    (state / f"localcloud-{port}.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if health(endpoint, timeout=0.5):
            print(f"local cloud running on {endpoint} (pid {proc.pid}, log {log_file})")
            return 0
        if proc.poll() is not None:
            print(f"local cloud exited with {proc.returncode}; see {log_file}", file=sys.stderr)
            return 1
        time.sleep(0.1)
    print(f"local cloud did not answer on {endpoint} within {timeout:.0f}s; see {log_file}", file=sys.stderr)
    return 1


def down(port: int, host: str, timeout: float = 10.0) -> int:
    pid_file = _state_dir() / f"localcloud-{port}.pid"
    if not pid_file.exists():
        print(f"local cloud not running on port {port}")
        return 0
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    print(f"local cloud on port {port} stopped")
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0
