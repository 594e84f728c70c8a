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
    # Tests assume their own scale, whatever a developer's shell or make exported for `make up`.
    os.environ["LOCALCLOUD_TIME_SCALE"] = os.environ.get("LOCALCLOUD_TEST_TIME_SCALE", TEST_TIME_SCALE)
    from localcloud.server import ThreadedLocalCloud

    server = ThreadedLocalCloud().start()
    yield LocalCloudControl(server.endpoint_url)
    server.stop()


class AWS:
    """boto3 clients for the local cloud, or for real AWS."""

    def __init__(self, endpoint_url: str | None) -> None:
        self.endpoint_url = endpoint_url
        self.credentials = (
            {}
            if endpoint_url is None
            else {"aws_access_key_id": "localcloud", "aws_secret_access_key": "localcloud-secret"}
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
        return {"endpoint_url": self.endpoint_url, "access_key": "localcloud", "secret_key": "localcloud-secret"}


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


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure_collection_link() -> str:
    """Make `activeactive.aws` resolve to this checkout, as `make collections` does."""
    link_dir = os.path.join(REPO, ".collections", "ansible_collections", "activeactive")
    os.makedirs(link_dir, exist_ok=True)
    link = os.path.join(link_dir, "aws")
    if not os.path.islink(link):
        try:
            os.symlink(os.path.join("..", "..", ".."), link)
        except FileExistsError:  # another pytest-xdist worker made it just now
            if not os.path.islink(link):
                raise
    return os.path.join(REPO, ".collections")


class Ansible:
    """Runs tasks through ansible-playbook on localhost and returns each task's result.

    ``module_defaults`` for ``group/activeactive.aws.aws`` point every module, ours and amazon.aws's,
    at the AWS under test.
    """

    def __init__(self, aws: AWS, tmp_path) -> None:
        self.aws = aws
        self.tmp_path = tmp_path
        self.collections_path = ensure_collection_link()

    def run(self, tasks, check=False, diff=False, extra_vars=None, expect_failure=False, region="us-east-1"):
        import sys

        import yaml

        defaults = dict(self.aws.module_defaults, region=region)
        play = [
            {
                "name": "Test",
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "module_defaults": {"group/activeactive.aws.aws": defaults},
                "tasks": tasks,
            }
        ]
        playbook = self.tmp_path / f"play-{uuid.uuid4().hex[:8]}.yml"
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        args = ["-i", "localhost,", "-e", f"ansible_python_interpreter={sys.executable}"]
        if extra_vars:
            args += ["-e", json.dumps(extra_vars)]
        report, returncode, stderr = self.playbook_report(str(playbook), args, check=check, diff=diff)
        results = [task["hosts"].get("localhost", {}) for play in report["plays"] for task in play["tasks"]]
        if (returncode != 0) != expect_failure:
            raise AssertionError(
                f"ansible-playbook exit {returncode} (expected {'failure' if expect_failure else 'success'}):\n"
                + json.dumps(results, indent=2, default=str)[-6000:]
                + stderr[-2000:]
            )
        return results

    def playbook_report(self, playbook, args=(), check=False, diff=False, env=None, timeout=1200):
        """Run ansible-playbook with the JSON callback: (report, exit code, stderr).

        ``args`` go on the command line after the playbook (inventory, extra vars, ``--forks`` ...), ``env`` on top
        of the environment that points Ansible at this checkout.
        """
        import subprocess
        import sys

        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), playbook, *args]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        full_env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=self.collections_path,
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
            ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            **(env or {}),
        )
        proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=REPO, timeout=timeout)
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError(f"ansible-playbook printed no JSON:\n{proc.stdout}\n{proc.stderr}") from None
        return report, proc.returncode, proc.stderr


@pytest.fixture
def ansible(aws, tmp_path):
    """Run tasks through Ansible against the AWS under test: ``ansible.run([task, ...])``."""
    return Ansible(aws, tmp_path)
