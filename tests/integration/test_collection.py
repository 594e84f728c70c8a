"""The collection as Ansible sees it: retries through throttling, module_defaults, the local cloud's make targets."""

import os
import socket
import subprocess

import pytest
from conftest import REPO


@pytest.mark.localcloud_only
def test_amazon_aws_module_retries_through_throttling(ansible, localcloud):
    # More throttles than botocore's own retries absorb (legacy mode: 4 retries), so only the
    # module's AWSRetry can get through.
    localcloud.add_fault(service="sts", operation="GetCallerIdentity", error_code="Throttling", count=6)
    result = ansible.run([{"name": "Who am I", "amazon.aws.aws_caller_info": {}}])
    assert result[0]["account"] == "123456789012"
    codes = [r["error_code"] for r in localcloud.requests() if r["operation"] == "GetCallerIdentity"]
    assert codes == ["Throttling"] * 6 + [None]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.localcloud_only
def test_make_up_and_down_are_idempotent(tmp_path):
    port = str(_free_port())
    env = dict(os.environ, LOCALCLOUD_STATE_DIR=str(tmp_path))

    def make(target):
        return subprocess.run(
            ["make", "-s", target, f"LOCALCLOUD_PORT={port}"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    try:
        first = make("up")
        assert first.returncode == 0, first.stderr
        assert f"running on http://127.0.0.1:{port}" in first.stdout
        second = make("up")
        assert second.returncode == 0 and "already running" in second.stdout
        with socket.create_connection(("127.0.0.1", int(port)), timeout=2):
            pass
        assert (tmp_path / f"localcloud-{port}.log").exists()
    finally:
        stopped = make("down")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    again = make("down")
    assert again.returncode == 0 and "not running" in again.stdout
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(port)), timeout=1):
        pass
