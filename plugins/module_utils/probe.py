# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP probing of the application: one request, polling until a condition, and a steady traffic stream.

Plain standard library (http.client), no AWS call. Every request opens its own connection, so a
Global Accelerator static IP routes each one anew, as it routes each new client connection.
"""

import json
import os
import threading
import time
from urllib.parse import urlsplit

try:
    import http.client as http_client
except ImportError:  # pragma: no cover  (Python 3 always has it)
    http_client = None

READ_METHODS = ("GET", "HEAD")
WRITE_METHODS = ("POST", "PUT", "DELETE")


class ProbeError(Exception):
    """Bad input; the message says what is wrong."""


def check_url(url):
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeError(f"url '{url}' is not an http:// or https:// URL with a host.")
    return parts


def request(url, method="GET", body=None, headers=None, timeout=10.0, clock=time.time):
    """Send one request on a new connection; never raises for network errors.

    Returns ``{"sent_at", "received_at", "status", "json", "text", "error"}``: ``status`` is None and
    ``error`` says why when no HTTP answer came back; ``json`` is the parsed body when it is JSON.
    """
    parts = check_url(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    data = None
    send_headers = {"Connection": "close", "Accept": "application/json"}
    if body is not None:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        data = data.encode() if isinstance(data, str) else data
        send_headers["Content-Type"] = "application/json"
    send_headers.update(headers or {})
    connection_class = http_client.HTTPSConnection if parts.scheme == "https" else http_client.HTTPConnection
    result = {"sent_at": clock(), "received_at": None, "status": None, "json": None, "text": "", "error": None}
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=data, headers=send_headers)
        response = connection.getresponse()
        raw = response.read()
        result["status"] = response.status
        result["text"] = raw.decode("utf-8", "replace")[:2000]
        try:
            result["json"] = json.loads(raw) if raw else None
        except ValueError:
            result["json"] = None
    except (OSError, http_client.HTTPException) as e:
        result["error"] = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    finally:
        connection.close()
        result["received_at"] = clock()
    return result


def json_path(document, path):
    """The value at a dotted path (``user.version``) of a JSON document, or a KeyError."""
    value = document
    for key in path.split("."):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            raise KeyError(path)
    return value


def _same(a, b):
    return a == b or str(a) == str(b)


def satisfies(answer, status_codes, json_equals=None, json_not_equals=None):
    """Whether one answer meets the condition: an expected status and every JSON path check."""
    if answer["error"] is not None or answer["status"] not in status_codes:
        return False
    for path, wanted in (json_equals or {}).items():
        try:
            if not _same(json_path(answer["json"], path), wanted):
                return False
        except KeyError:
            return False
    for path, unwanted in (json_not_equals or {}).items():
        try:
            if _same(json_path(answer["json"], path), unwanted):
                return False
        except KeyError:
            return False
    return True


def poll(
    url,
    method="GET",
    body=None,
    headers=None,
    status_codes=(200,),
    json_equals=None,
    json_not_equals=None,
    consecutive=1,
    timeout=60.0,
    interval=0.5,
    request_timeout=10.0,
    clock=time.time,
    wait=None,
):
    """Request ``url`` until ``consecutive`` answers in a row satisfy the condition, or ``timeout`` passes.

    A write (POST, PUT, DELETE) is sent once and never repeated. Returns a dict: ``satisfied``, ``attempts``,
    ``started_at``, ``first_satisfied_sent_at`` (send time of the first answer of the satisfying run),
    ``satisfied_at`` (receipt time of the answer that completed it), ``elapsed`` (from ``started_at`` to
    ``satisfied_at``, or to the end), ``status``, ``json``, ``error``, ``text`` of the last answer.
    """
    method = method.upper()
    if method not in READ_METHODS + WRITE_METHODS:
        raise ProbeError(f"method '{method}' is not one of {', '.join(READ_METHODS + WRITE_METHODS)}.")
    if consecutive < 1:
        raise ProbeError("consecutive must be at least 1.")
    if timeout < 0 or interval < 0 or request_timeout <= 0:
        raise ProbeError("timeout and interval must not be negative, request_timeout must be positive.")
    check_url(url)
    wait = wait or threading.Event().wait
    started = clock()
    deadline = started + timeout
    attempts = 0
    run = 0
    run_started = None
    answer = None
    while True:
        answer = request(url, method, body, headers, request_timeout, clock)
        attempts += 1
        if satisfies(answer, status_codes, json_equals, json_not_equals):
            run += 1
            run_started = answer["sent_at"] if run == 1 else run_started
            if run >= consecutive:
                break
        else:
            run, run_started = 0, None
        if method in WRITE_METHODS:
            break
        remaining = deadline - clock()
        if remaining <= 0:
            break
        wait(min(interval, remaining))
    satisfied = run >= consecutive
    return {
        "satisfied": satisfied,
        "attempts": attempts,
        "started_at": started,
        "first_satisfied_sent_at": run_started if satisfied else None,
        "satisfied_at": answer["received_at"] if satisfied else None,
        "elapsed": round((answer["received_at"] if satisfied else clock()) - started, 6),
        "status": answer["status"],
        "json": answer["json"],
        "text": answer["text"],
        "error": answer["error"],
    }


def serving_region(document, keys):
    """The region a JSON answer says served it, from the first of ``keys`` it has."""
    if isinstance(document, dict):
        for key in keys:
            if isinstance(document.get(key), str):
                return document[key]
    return None


def generate_traffic(
    url,
    output,
    rate=10.0,
    duration=600.0,
    stop_file=None,
    request_timeout=2.0,
    region_keys=("region", "served_from_region"),
    clock=time.time,
    wait=None,
    send=None,
):
    """Send requests at ``rate`` per second until ``stop_file`` exists or ``duration`` has passed.

    Every request is one JSON line in ``output``: ``seq``, ``t`` (send time, epoch seconds),
    ``latency_ms``, ``status`` (None without an HTTP answer), ``region`` (from the body) and ``error``
    (None when the answer was a 2xx; otherwise the network error or ``HTTP <status>``). A request is
    sent at its slot; when one takes longer than a slot, the next goes right after it (no burst).
    """
    if rate <= 0 or duration <= 0 or request_timeout <= 0:
        raise ProbeError("rate, duration and request_timeout must be positive.")
    check_url(url)
    wait = wait or threading.Event().wait
    send = send or request
    started = clock()
    period = 1.0 / rate
    counts = {"requests": 0, "ok": 0, "errors": 0, "by_region": {}}
    stopped_by = "duration"
    directory = os.path.dirname(os.path.abspath(output))
    os.makedirs(directory, exist_ok=True)
    with open(output, "w") as out:
        seq = 0
        while True:
            if stop_file and os.path.exists(stop_file):
                stopped_by = "stop_file"
                break
            now = clock()
            if now - started >= duration:
                break
            answer = send(url, "GET", None, None, request_timeout, clock)
            region = serving_region(answer["json"], region_keys)
            ok = answer["error"] is None and answer["status"] is not None and 200 <= answer["status"] < 300
            error = None if ok else (answer["error"] or f"HTTP {answer['status']}")
            seq += 1
            line = {
                "seq": seq,
                "t": round(answer["sent_at"], 6),
                "latency_ms": round((answer["received_at"] - answer["sent_at"]) * 1000, 3),
                "status": answer["status"],
                "region": region,
                "error": error,
            }
            out.write(json.dumps(line) + "\n")
            out.flush()
            counts["requests"] += 1
            counts["ok" if ok else "errors"] += 1
            key = region or "(none)"
            counts["by_region"][key] = counts["by_region"].get(key, 0) + 1
            delay = started + seq * period - clock()
            if delay > 0:
                wait(delay)
    return dict(counts, started_at=started, ended_at=clock(), stopped_by=stopped_by, output=output)


def read_samples(path):
    """The JSON lines of a traffic file; a torn last line (the writer stopped mid-line) is dropped."""
    with open(path) as source:
        lines = [line.strip() for line in source]
    lines = [line for line in lines if line]
    samples = []
    for number, line in enumerate(lines, 1):
        try:
            samples.append(json.loads(line))
        except ValueError:
            if number == len(lines):
                break
            raise ProbeError(f"{path} line {number} is not JSON: {line[:80]}") from None
    return samples
