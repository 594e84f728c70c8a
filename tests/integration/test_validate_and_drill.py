"""playbooks/validate.yml and playbooks/failover_drill.yml end to end, on one stack converged for the module.

The stack runs on the local cloud's data plane: functions really run, every ALB serves HTTP on its own
loopback address and checks its target group's health, the static IPs route each connection to the nearest
healthy region. The client is placed in us-east-1, so us-east-1 serves the static IPs.
"""

import json
import os
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from conftest import AWS, REPO, Ansible
from test_site import THREE_REGIONS, failure_messages, run_site, write_inventory

pytestmark = pytest.mark.localcloud_only

VALIDATE = os.path.join(REPO, "playbooks", "validate.yml")
DRILL = os.path.join(REPO, "playbooks", "failover_drill.yml")
APP = "aa-drill-test"
# The load_balancer role's health check defaults: interval 10 s, timeout 5 s, unhealthy after 2 failures.
HEALTH_INTERVAL, HEALTH_TIMEOUT, UNHEALTHY_THRESHOLD = 10, 5, 2


def control(endpoint_url, method, route, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{endpoint_url}/_localcloud/{route}", data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def stack(localcloud, tmp_path_factory):
    """site.yml converged once on a clean local cloud; the client located in us-east-1."""
    localcloud.reset()
    tmp_path = tmp_path_factory.mktemp("drill")
    ansible = Ansible(AWS(localcloud.endpoint_url), tmp_path)
    inventory = write_inventory(tmp_path, THREE_REGIONS, app_name=APP)
    report, returncode, stderr = run_site(ansible, inventory)
    assert returncode == 0, failure_messages(report) + stderr[-2000:]
    control(localcloud.endpoint_url, "PUT", "client-locations", {"default": "us-east-1", "sources": {}})
    time_scale = control(localcloud.endpoint_url, "GET", "health")["time_scale"]
    return {"ansible": ansible, "inventory": inventory, "tmp_path": tmp_path, "time_scale": time_scale}


def run(stack, playbook, extra_vars=None, check=False):
    args = ["-i", stack["inventory"], "-e", f"activeactive_endpoint_url={stack['ansible'].aws.endpoint_url}"]
    if extra_vars:
        args += ["-e", json.dumps(extra_vars)]
    return stack["ansible"].playbook_report(playbook, args, check=check)


def task_results(report, name):
    return [
        result
        for play in report["plays"]
        for task in play["tasks"]
        if task["task"]["name"] == name
        for result in task["hosts"].values()
    ]


def test_validate_passes_and_reports_every_check_per_region(stack):
    report, returncode, stderr = run(stack, VALIDATE)
    assert returncode == 0, failure_messages(report) + stderr[-2000:]
    summary = task_results(report, "Summarise every check")[0]["ansible_facts"]["validate_summary"]
    assert summary["user"].startswith("validate-")
    assert list(summary["static_ip_health"].values()) == [True, True]
    assert summary["create_through_first_ip"] is True and summary["update_through_second_ip"] is True
    regions = {r["region"]: r for r in summary["regions"]}
    assert set(regions) == set(THREE_REGIONS)
    for region in regions.values():
        assert region["alb_health"] is True
        assert region["replicated_create"] is True and region["replicated_update"] is True
        assert 0 <= region["create_lag_seconds"] < 30 and 0 <= region["update_lag_seconds"] < 30
    shown = json.dumps(task_results(report, "Show the summary")[0]["msg"])
    assert "All checks passed" in shown


def test_validate_fails_naming_the_region_whose_alb_is_down(stack, localcloud):
    # The region's function cannot be invoked; its ALB and the rest of its API still answer.
    localcloud.add_fault(service="lambda", region="ap-southeast-1", error_code="ServiceException", status=500)
    try:
        report, returncode, _ = run(stack, VALIDATE, {"validate_replication_timeout": 5, "validate_health_timeout": 2})
    finally:
        localcloud.clear_faults()
    assert returncode != 0
    failed = task_results(report, "Fail when a check failed")[0]["msg"]
    assert "/health through the ALB in ap-southeast-1" in failed
    assert "create not served in ap-southeast-1" in failed
    assert "eu-west-1" not in failed


def test_validate_in_check_mode_writes_nothing(stack, localcloud):
    localcloud.clear_requests()
    report, returncode, stderr = run(stack, VALIDATE, check=True)
    assert returncode == 0, failure_messages(report) + stderr[-2000:]
    summary = task_results(report, "Summarise every check")[0]["ansible_facts"]["validate_summary"]
    assert summary["create_through_first_ip"] == "skipped (check mode)"
    mutating = [r for r in localcloud.requests() if not r["operation"].startswith(("Get", "List", "Describe"))]
    assert mutating == []


def scaled(seconds, time_scale):
    return max(0.2, seconds * time_scale)  # the local cloud's health check floor


def assert_drill_report(stack, directory, method, expect_errors):
    with open(os.path.join(directory, "report.json")) as source:
        report = json.load(source)
    assert report["drill"]["method"] == method
    assert report["drill_region"] == report["baseline_region"] == "us-east-1"
    # Failover: the target group needs UNHEALTHY_THRESHOLD failed checks, one interval apart, each up to the
    # timeout; plus slack for a loaded machine.
    bound = scaled(HEALTH_INTERVAL, stack["time_scale"]) * (UNHEALTHY_THRESHOLD + 1)
    bound += scaled(HEALTH_TIMEOUT, stack["time_scale"]) + 5
    assert report["failover"]["completed"] is True
    assert 0 <= report["failover"]["seconds"] <= bound
    assert report["failback"]["completed"] is True
    assert report["failback"]["seconds"] >= 0
    samples = report["samples"]
    assert len(samples) == report["totals"]["requests"] >= 20
    assert all(s["phase"] in ("before", "failover", "out", "failback", "after") for s in samples)
    assert all(s["outcome"] in ("drill_region", "other_region", "error") for s in samples)
    assert sum(p["requests"] for p in report["totals"]["by_phase"].values()) == len(samples)
    # Before the region went out nothing fails, except a request still in flight when it did.
    before_errors = [s for s in samples if s["phase"] == "before" and s["outcome"] == "error"]
    assert all(s["t"] + s["latency_ms"] / 1000 >= report["region_out"] for s in before_errors)
    assert {s["region"] for s in samples if s["phase"] == "out"} <= {"eu-west-1", "ap-southeast-1"}
    assert all(s["outcome"] == "other_region" for s in samples if s["phase"] == "out")
    assert any(s["phase"] == "out" for s in samples)
    if not expect_errors:
        assert report["totals"]["errors"] == 0
    root = ET.parse(os.path.join(directory, "timeline.svg")).getroot()
    marks = [c for c in root.iter("{http://www.w3.org/2000/svg}circle") if "sample" in c.get("class", "")]
    assert len(marks) == len(samples)
    return report


@pytest.mark.parametrize("method,expect_errors", [("outage", True), ("health_switch", False), ("dial", False)])
def test_drill_fails_over_and_back_and_reports_it(stack, localcloud, method, expect_errors):
    directory = str(stack["tmp_path"] / f"report-{method}")
    report, returncode, stderr = run(
        stack, DRILL, {"drill_method": method, "drill_rate": 20, "drill_report_dir": directory}
    )
    assert returncode == 0, failure_messages(report) + stderr[-3000:]
    headline = task_results(report, "Show the headline figures")[0]["msg"]
    assert headline[0].startswith("us-east-1 out: failover ")
    assert_drill_report(stack, directory, method, expect_errors)
    assert localcloud._call("GET", "faults")["faults"] == []


def test_drill_restores_the_region_when_it_fails_midway(stack, localcloud):
    """A failover that never comes (timeout 0 with every region down) still lifts the outage and reports."""
    directory = str(stack["tmp_path"] / "report-failed")
    for region in ("eu-west-1", "ap-southeast-1"):
        localcloud.add_fault(region=region, error_code="ServiceUnavailable", status=503)
    try:
        report, returncode, _ = run(
            stack,
            DRILL,
            {"drill_method": "outage", "drill_rate": 20, "drill_report_dir": directory, "drill_failover_timeout": 1},
        )
    finally:
        localcloud.clear_faults()
    assert returncode != 0
    assert task_results(report, "Lift the local cloud's faults")[0].get("status") in (200, 204)
    with open(os.path.join(directory, "report.json")) as source:
        assert json.load(source)["failover"]["completed"] is False


def test_drill_in_check_mode_sends_no_traffic_and_changes_nothing(stack, localcloud):
    localcloud.clear_requests()
    directory = stack["tmp_path"] / "report-check"
    report, returncode, stderr = run(
        stack, DRILL, {"drill_method": "health_switch", "drill_report_dir": str(directory)}, check=True
    )
    assert returncode == 0, failure_messages(report) + stderr[-2000:]
    assert not (directory / "samples.jsonl").exists()
    mutating = [r for r in localcloud.requests() if not r["operation"].startswith(("Get", "List", "Describe"))]
    assert mutating == []
