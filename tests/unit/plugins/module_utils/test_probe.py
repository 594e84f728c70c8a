"""probe: one request, polling until a condition, and the traffic generator, against a tiny local HTTP server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.activeactive.aws.plugins.module_utils import probe


class App:
    """Answers GET /thing with ``answers`` in turn (the last one repeats); records every request."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.seen = []


@pytest.fixture
def server():
    apps = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self):
            app = apps["app"]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else None
            app.seen.append((self.command, self.path, body, self.headers.get("Connection")))
            status, document = app.answers.pop(0) if len(app.answers) > 1 else app.answers[0]
            data = json.dumps(document).encode() if not isinstance(document, bytes) else document
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _answer

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def start(answers):
        apps["app"] = App(answers)
        return f"http://127.0.0.1:{httpd.server_address[1]}", apps["app"]

    yield start
    httpd.shutdown()
    httpd.server_close()


def no_wait(waited):
    return lambda seconds: waited.append(seconds)


def test_poll_waits_for_the_condition_and_a_run_of_consecutive_answers(server):
    url, app = server([(404, {}), (200, {"user": {"version": 1}}), (200, {"user": {"version": 2}})])
    waited = []
    result = probe.poll(
        url + "/user/x", json_equals={"user.version": 2}, consecutive=2, interval=0.25, wait=no_wait(waited)
    )
    assert result["satisfied"] is True
    assert result["attempts"] == 4
    assert waited == [0.25, 0.25, 0.25]
    assert result["first_satisfied_sent_at"] <= result["satisfied_at"]
    assert all(connection == "close" for *_, connection in app.seen)


def test_poll_not_equals_and_timeout(server):
    url, _ = server([(200, {"region": "a"})])
    result = probe.poll(url + "/health", json_not_equals={"region": "a"}, timeout=0)
    assert result["satisfied"] is False
    assert result["attempts"] == 1
    assert result["json"] == {"region": "a"}


def test_a_write_is_sent_once_with_its_json_body(server):
    url, app = server([(409, {"error": "exists"}), (201, {})])
    result = probe.poll(url + "/user", method="POST", body={"userId": "u"}, status_codes=[201], timeout=30)
    assert result["satisfied"] is False
    assert len(app.seen) == 1
    assert json.loads(app.seen[0][2]) == {"userId": "u"}


def test_network_errors_are_answers_not_exceptions():
    answer = probe.request("http://127.0.0.1:9/", timeout=1)
    assert answer["status"] is None
    assert "ConnectionRefused" in answer["error"]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"url": "ftp://x/"}, "not an http"),
        ({"url": "http:///nohost"}, "not an http"),
        ({"url": "http://x/", "method": "PATCH"}, "method 'PATCH'"),
        ({"url": "http://x/", "consecutive": 0}, "consecutive"),
        ({"url": "http://x/", "timeout": -1}, "must not be negative"),
    ],
)
def test_poll_names_bad_input(kwargs, message):
    with pytest.raises(probe.ProbeError, match=message):
        probe.poll(**kwargs)


def test_traffic_records_every_request_until_the_stop_file(server, tmp_path):
    url, app = server(
        [(200, {"region": "a"}), (503, {"status": "unhealthy", "region": "a"}), (200, {"served_from_region": "b"})]
    )
    output, stop = tmp_path / "out" / "samples.jsonl", tmp_path / "stop"
    waited = []

    def wait(seconds):
        waited.append(seconds)
        if len(waited) == 5:
            stop.write_text("")

    result = probe.generate_traffic(url + "/users", str(output), rate=100, stop_file=str(stop), wait=wait)
    lines = probe.read_samples(str(output))
    assert result["stopped_by"] == "stop_file"
    assert result["requests"] == len(lines) == len(app.seen)
    assert [line["region"] for line in lines[:3]] == ["a", "a", "b"]
    assert [line["error"] for line in lines[:3]] == [None, "HTTP 503", None]
    assert result["errors"] == 1 and result["by_region"]["b"] == len(lines) - 2
    assert all(0 < s <= 0.01 * (i + 1) for i, s in enumerate(waited))


def test_traffic_stops_after_its_duration(tmp_path):
    clock = iter(range(0, 1000)).__next__

    def send(url, method, body, headers, timeout, clock_):
        t = clock_()
        return {"sent_at": t, "received_at": t, "status": None, "json": None, "text": "", "error": "OSError: down"}

    output = tmp_path / "s.jsonl"
    result = probe.generate_traffic(
        "http://x/", str(output), rate=1, duration=5, clock=clock, send=send, wait=no_wait([])
    )
    assert result["stopped_by"] == "duration"
    assert 1 <= result["requests"] <= 3
    assert result["errors"] == result["requests"]


def test_a_torn_last_line_is_dropped_but_a_bad_middle_line_is_an_error(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"seq": 1, "t": 1}\n{"seq": 2, "t"')
    assert probe.read_samples(str(path)) == [{"seq": 1, "t": 1}]
    path.write_text('{"seq": 1\n{"seq": 2, "t": 1}\n')
    with pytest.raises(probe.ProbeError, match="line 1 is not JSON"):
        probe.read_samples(str(path))
