"""Traffic through a converged stack: the application through the static IPs and the ALBs, routing by client
location, writes that survive a regional outage, then playbooks/validate.yml and playbooks/failover_drill.yml
end to end. One stack is converged for the module (run the file on one worker: pytest --dist loadfile).

The stack runs on the local cloud's data plane: functions really run, every ALB serves HTTP on its own
loopback address and checks its target group's health, the static IPs route each connection to the nearest
healthy region. The client is placed in us-east-1, so us-east-1 serves the static IPs.
"""

import http.client
import json
import os
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest
from conftest import AWS, REPO, Ansible
from test_site import THREE_REGIONS, failure_messages, run_site, write_inventory

pytestmark = pytest.mark.localcloud_only

VALIDATE = os.path.join(REPO, "playbooks", "validate.yml")
DRILL = os.path.join(REPO, "playbooks", "failover_drill.yml")
APP = "aa-drill-test"
# The load_balancer role's health check defaults: interval 10 s, timeout 5 s, unhealthy after 2 failures,
# healthy after 2 successes; the accelerator routes back to a recovered endpoint after 30 s (delay profile).
HEALTH_INTERVAL, HEALTH_TIMEOUT, UNHEALTHY_THRESHOLD, HEALTHY_THRESHOLD = 10, 5, 2, 2
GA_FAILBACK = 30


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


def addresses(stack):
    """The accelerator's static IPs and every region's ALB address (its DNSName), as AWS reports them."""
    aws = stack["ansible"].aws
    accelerators = aws.client("globalaccelerator", region="us-west-2").list_accelerators()["Accelerators"]
    (accelerator,) = [a for a in accelerators if a["Name"] == APP]
    albs = {
        region: aws.client("elbv2", region=region).describe_load_balancers(Names=[APP])["LoadBalancers"][0]["DNSName"]
        for region in THREE_REGIONS
    }
    return accelerator["IpSets"][0]["IpAddresses"], albs


def call(host, method, path, body=None, source="127.0.0.1", raw=None):
    """One HTTP request on a new connection from ``source``: (status, JSON body or text)."""
    connection = http.client.HTTPConnection(host, 80, timeout=10, source_address=(source, 0))
    try:
        payload = raw if raw is not None else (None if body is None else json.dumps(body))
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def call_or_error(host, method, path):
    """``call``, or (None, the error) while nothing answers, e.g. a region coming back from an outage."""
    try:
        return call(host, method, path)
    except OSError as error:
        return None, str(error)


def answers(host):
    try:
        call(host, "GET", "/health")
    except OSError:
        return False
    return True


def eventually(fetch, done, timeout=30.0):
    """Poll ``fetch()`` until ``done(result)``; the last result (asserted done by the caller)."""
    deadline = time.monotonic() + timeout
    result = fetch()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(0.1)
        result = fetch()
    return result


def test_every_route_and_error_through_the_static_ips_and_the_albs(stack):
    (first_ip, second_ip), albs = addresses(stack)
    user = f"route-{uuid.uuid4().hex[:8]}"
    for host in (first_ip, second_ip):
        status, body = call(host, "GET", "/health")
        assert (status, body["status"], body["region"]) == (200, "healthy", "us-east-1")
    for region, alb in albs.items():
        status, body = call(alb, "GET", "/health")
        assert (status, body["status"], body["region"]) == (200, "healthy", region)

    status, created = call(first_ip, "POST", "/user", {"userId": user, "data": {"plan": "free", "seats": 3}})
    assert status == 201 and created["userId"] == user and created["created_in_region"] == "us-east-1"
    status, read = call(second_ip, "GET", f"/user/{user}")
    assert status == 200 and read["user"]["data"] == {"plan": "free", "seats": 3} and read["user"]["version"] == 1
    assert isinstance(read["user"]["data"]["seats"], int)
    status, updated = call(first_ip, "PUT", f"/user/{user}", {"data": {"plan": "team"}})
    assert status == 200 and updated["version"] == 2 and updated["updated_in_region"] == "us-east-1"
    assert call(second_ip, "POST", "/user", {"userId": f"{user}-2"})[0] == 201
    status, page = call(second_ip, "GET", "/users?limit=1")
    assert status == 200 and page["count"] == 1 and page["next_token"]
    status, rest = call(second_ip, "GET", f"/users?limit=100&next_token={page['next_token']}")
    listed = [u["userId"] for u in page["users"] + rest["users"]]
    assert status == 200 and sorted(listed) == sorted({*listed}) and {user, f"{user}-2"} <= {*listed}

    assert call(first_ip, "POST", "/user", raw="not json")[0] == 400
    assert call(first_ip, "POST", "/user", {"userId": "", "data": {}})[0] == 400
    assert call(first_ip, "POST", "/user", {"userId": "x" * 129, "data": {}})[0] == 400
    assert call(first_ip, "POST", "/user", {"userId": "bad/id", "data": {}})[0] == 400
    assert call(first_ip, "POST", "/user", {"userId": user, "data": {}})[0] == 409
    assert call(first_ip, "GET", "/user/nobody-here")[0] == 404
    assert call(first_ip, "PUT", "/user/nobody-here", {"data": {}})[0] == 404
    assert call(first_ip, "GET", "/no/such/route")[0] == 404
    assert call(first_ip, "DELETE", "/health")[0] == 405


def test_each_client_goes_to_its_nearest_region(stack, localcloud):
    (static_ip, _), _ = addresses(stack)
    sources = {"127.0.0.2": "eu-west-1", "127.0.0.3": "ap-southeast-1"}
    # A client in Frankfurt is nearest to Ireland, one in Sydney to Singapore; the default stays in Virginia.
    locations = {"127.0.0.2": "eu-central-1", "127.0.0.3": "ap-southeast-2"}
    control(localcloud.endpoint_url, "PUT", "client-locations", {"default": "us-east-1", "sources": locations})
    try:
        for source, region in {"127.0.0.1": "us-east-1", **sources}.items():
            served = {call(static_ip, "GET", "/health", source=source)[1]["region"] for _ in range(5)}
            assert served == {region}, source
    finally:
        control(localcloud.endpoint_url, "PUT", "client-locations", {"default": "us-east-1", "sources": {}})


def test_writes_acknowledged_before_and_during_an_outage_reach_every_region(stack, localcloud):
    (static_ip, _), albs = addresses(stack)
    run_id = uuid.uuid4().hex[:6]
    before = f"before-{run_id}"
    assert call(albs["eu-west-1"], "POST", "/user", {"userId": before, "data": {"n": 0}})[0] == 201
    localcloud.add_fault(region="eu-west-1", error_code="ServiceUnavailable", status=503)
    try:
        assert eventually(lambda: answers(albs["eu-west-1"]), lambda answered: not answered) is False
        during = [f"during-{run_id}-{n}" for n in range(3)]
        for n, user in enumerate(during):
            host = static_ip if n % 2 == 0 else albs["ap-southeast-1"]
            assert call(host, "POST", "/user", {"userId": user, "data": {"n": n}})[0] == 201
        assert call(static_ip, "PUT", f"/user/{before}", {"data": {"n": 1}})[0] == 200
    finally:
        control(localcloud.endpoint_url, "DELETE", "faults?region=eu-west-1")
    for region, alb in albs.items():
        for user in [before, *during]:
            status, body = eventually(
                lambda: call_or_error(alb, "GET", f"/user/{user}"),  # noqa: B023
                lambda r: r[0] == 200,
            )
            assert status == 200, (region, user, body)
        status, body = eventually(
            lambda: call_or_error(alb, "GET", f"/user/{before}"),  # noqa: B023
            lambda r: r[0] == 200 and r[1]["user"]["version"] == 2,
        )
        assert body["user"]["data"] == {"n": 1}, region


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
    # Failback: the target group needs HEALTHY_THRESHOLD passed checks (the first one up to an interval away),
    # then the accelerator waits GA_FAILBACK before it routes to the region again.
    bound = scaled(HEALTH_INTERVAL, stack["time_scale"]) * (HEALTHY_THRESHOLD + 1)
    bound += stack["time_scale"] * GA_FAILBACK + 5
    assert report["failback"]["completed"] is True
    assert 0 <= report["failback"]["seconds"] <= bound
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
