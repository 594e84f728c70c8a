"""Test fixtures: a private local cloud per test session, or real AWS when asked for.

Set ``ACTIVEACTIVE_TEST_TARGET=aws`` (with AWS credentials in the environment) to run the contract
tests against real AWS; tests marked ``localcloud_only`` are skipped there.
"""

import json
import os
import urllib.request
import uuid

import boto3
import pytest

REAL_AWS = os.environ.get("ACTIVEACTIVE_TEST_TARGET") == "aws"
TEST_TIME_SCALE = "0.01"


class LocalCloudControl:
    """The local cloud's control API (request log, faults, reset), as tests use it."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def _call(self, method: str, route: str, body=None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.endpoint_url}/_localcloud/{route}", data=data, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def requests(self) -> list[dict]:
        return self._call("GET", "requests")["requests"]

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def add_fault(self, **spec) -> dict:
        return self._call("POST", "faults", spec)["faults"][0]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def reset(self) -> None:
        self._call("POST", "reset", {})


@pytest.fixture(scope="session")
def localcloud():
    """A private local cloud on a free port, running in this test process."""
    if REAL_AWS:
        pytest.skip("runs only against the local cloud")
    os.environ.setdefault("LOCALCLOUD_TIME_SCALE", TEST_TIME_SCALE)
    from localcloud.server import ThreadedLocalCloud

    server = ThreadedLocalCloud().start()
    yield LocalCloudControl(server.endpoint_url)
    server.stop()


class AWS:
    """boto3 clients for the local cloud, or for real AWS."""

    def __init__(self, endpoint_url: str | None) -> None:
        self.endpoint_url = endpoint_url
        self.credentials = (
            {} if endpoint_url is None else {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        )

    def client(self, service: str, region: str = "us-east-1", **kwargs):
        if self.endpoint_url:
            kwargs.setdefault("endpoint_url", self.endpoint_url)
        return boto3.client(service, region_name=region, **self.credentials, **kwargs)

    @property
    def module_defaults(self) -> dict:
        """What tests pass to our and amazon.aws's modules to reach the same AWS."""
        if self.endpoint_url is None:
            return {}
        return {"endpoint_url": self.endpoint_url, "access_key": "test", "secret_key": "test"}


@pytest.fixture
def aws(request):
    """Clients for the target under test; on the local cloud each test starts from a clean state."""
    if REAL_AWS:
        yield AWS(None)
        return
    control = request.getfixturevalue("localcloud")
    control.reset()
    yield AWS(control.endpoint_url)


@pytest.fixture
def unique_name():
    """A name no other test run uses, for resources that must not collide on real AWS."""
    return f"aa-test-{uuid.uuid4().hex[:10]}"


def pytest_collection_modifyitems(config, items):
    if not REAL_AWS:
        return
    skip = pytest.mark.skip(reason="local cloud only")
    for item in items:
        if "localcloud_only" in item.keywords:
            item.add_marker(skip)
