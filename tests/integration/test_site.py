"""playbooks/site.yml over the region inventory: the inventory check, and the stack it builds."""

import json
import os
import re
import time
from pathlib import Path

import pytest
from conftest import REPO

SITE = os.path.join(REPO, "playbooks", "site.yml")


def write_inventory(tmp_path, hosts: dict, app_name="aa-site-test") -> str:
    lines = ["regions:", "  hosts:"]
    for host, hostvars in hosts.items():
        lines.append(f"    {host}:")
        lines += [f"      {key}: {json.dumps(value)}" for key, value in hostvars.items()]
    path = tmp_path / "hosts.yml"
    path.write_text("\n".join(lines) + "\n")
    group_vars = tmp_path / "group_vars"
    group_vars.mkdir(exist_ok=True)
    local_vars = Path(REPO, "inventories", "local", "group_vars", "all.yml").read_text()
    local_vars = re.sub(r"(?m)^activeactive_app_name: .*$", f"activeactive_app_name: {app_name}", local_vars)
    (group_vars / "all.yml").write_text(local_vars)
    return str(path)


def run_site(ansible, inventory, check=False, diff=False):
    args = ["-i", inventory]
    if ansible.aws.endpoint_url:
        args += ["-e", f"activeactive_endpoint_url={ansible.aws.endpoint_url}"]
    return ansible.playbook_report(SITE, args, check=check, diff=diff)


def failure_messages(report) -> str:
    return json.dumps(
        [
            result.get("msg")
            for play in report["plays"]
            for task in play["tasks"]
            for result in task["hosts"].values()
            if result.get("failed")
        ]
    )


THREE_REGIONS = {"us-east-1": {"activeactive_primary": True}, "eu-west-1": {}, "ap-southeast-1": {}}


@pytest.mark.localcloud_only
@pytest.mark.parametrize(
    "hosts,message",
    [
        ({"us-east-1": {"activeactive_primary": True}, "mars-north-1": {}}, "Unknown AWS region(s) mars-north-1"),
        ({"us-east-1": {}, "eu-west-1": {}}, "No region is the primary"),
        (
            {"us-east-1": {"activeactive_primary": True}, "eu-west-1": {"activeactive_primary": True}},
            "More than one region is the primary (us-east-1, eu-west-1)",
        ),
        (
            {
                "primary": {"activeactive_primary": True, "activeactive_region": "us-east-1"},
                "again": {"activeactive_region": "us-east-1"},
            },
            "Each region may appear once",
        ),
    ],
)
def test_bad_inventory_stops_before_any_aws_call(ansible, localcloud, tmp_path, hosts, message):
    localcloud.clear_requests()
    report, returncode, _ = run_site(ansible, write_inventory(tmp_path, hosts))
    assert returncode != 0
    assert message in failure_messages(report)
    assert localcloud.requests() == []


@pytest.mark.localcloud_only
def test_too_long_app_name_stops_before_any_aws_call(ansible, localcloud, tmp_path):
    localcloud.clear_requests()
    report, returncode, _ = run_site(ansible, write_inventory(tmp_path, THREE_REGIONS, app_name="x" * 30))
    assert returncode != 0
    assert "at most 29 characters" in failure_messages(report)
    assert localcloud.requests() == []


def changed_hosts(report) -> dict:
    return {host: stats["changed"] for host, stats in report["stats"].items() if stats["changed"]}


def shown(report) -> str:
    return json.dumps(
        [
            result.get("msg")
            for play in report["plays"]
            for task in play["tasks"]
            for result in task["hosts"].values()
            if task["task"]["name"] == "Show the stack"
        ]
    )


def endpoint_group(ga, app_name, region) -> dict:
    accelerator = next(a for a in ga.list_accelerators()["Accelerators"] if a["Name"] == app_name)
    listener = ga.list_listeners(AcceleratorArn=accelerator["AcceleratorArn"])["Listeners"][0]
    groups = ga.list_endpoint_groups(ListenerArn=listener["ListenerArn"])["EndpointGroups"]
    return next(g for g in groups if g["EndpointGroupRegion"] == region)


def wait_until(predicate, timeout=120):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def assert_least_privilege(aws, app_name):
    iam = aws.client("iam")
    role = iam.get_role(RoleName=f"{app_name}-function")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    document = iam.get_role_policy(RoleName=f"{app_name}-function", PolicyName=f"{app_name}-table-and-logs")
    document = document["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    statements = {s["Sid"]: s for s in document["Statement"]}
    account = aws.client("sts").get_caller_identity()["Account"]
    assert sorted(statements["TableReadWrite"]["Resource"]) == sorted(
        f"arn:aws:dynamodb:{region}:{account}:table/{app_name}{suffix}"
        for region in THREE_REGIONS
        for suffix in ("", "/index/*")
    )
    assert "dynamodb:DeleteTable" not in statements["TableReadWrite"]["Action"]
    assert all(f":log-group:/aws/lambda/{app_name}" in arn for arn in statements["OwnLogGroups"]["Resource"])
    assert {s["Effect"] for s in document["Statement"]} == {"Allow"}


def test_site_converges_shows_and_repairs_drift_then_changes_nothing(ansible, aws, tmp_path):
    app = "aa-site-drift"
    inventory = write_inventory(tmp_path, THREE_REGIONS, app_name=app)
    report, returncode, stderr = run_site(ansible, inventory)
    assert returncode == 0, stderr
    assert "Static IPs: " in shown(report)
    assert_least_privilege(aws, app)

    report, returncode, stderr = run_site(ansible, inventory)
    assert returncode == 0, stderr
    assert changed_hosts(report) == {}
    report, returncode, stderr = run_site(ansible, inventory, check=True, diff=True)
    assert returncode == 0, stderr
    assert changed_hosts(report) == {}

    # Drift: a traffic dial turned down in eu-west-1, the ap-southeast-1 replica deleted.
    ga = aws.client("globalaccelerator", region="us-west-2")
    group = endpoint_group(ga, app, "eu-west-1")
    ga.update_endpoint_group(EndpointGroupArn=group["EndpointGroupArn"], TrafficDialPercentage=40.0)
    aws.client("dynamodb", region="ap-southeast-1").update_table(TableName=app, DeletionProtectionEnabled=False)
    home = aws.client("dynamodb", region="us-east-1")

    def settled():
        table = home.describe_table(TableName=app)["Table"]
        return table["TableStatus"] == "ACTIVE" and all(r["ReplicaStatus"] == "ACTIVE" for r in table["Replicas"])

    wait_until(settled)
    home.update_table(TableName=app, ReplicaUpdates=[{"Delete": {"RegionName": "ap-southeast-1"}}])
    wait_until(
        lambda: (
            "ap-southeast-1"
            not in [r["RegionName"] for r in home.describe_table(TableName=app)["Table"].get("Replicas", [])]
        )
    )

    report, returncode, stderr = run_site(ansible, inventory, check=True, diff=True)
    assert returncode == 0, stderr
    assert set(changed_hosts(report)) == {"eu-west-1", "ap-southeast-1"}
    assert endpoint_group(ga, app, "eu-west-1")["TrafficDialPercentage"] == 40.0

    report, returncode, stderr = run_site(ansible, inventory)
    assert returncode == 0, stderr
    assert set(changed_hosts(report)) == {"eu-west-1", "ap-southeast-1"}
    assert endpoint_group(ga, app, "eu-west-1")["TrafficDialPercentage"] == 100.0
    replicas = home.describe_table(TableName=app)["Table"]["Replicas"]
    assert sorted((r["RegionName"], r["ReplicaStatus"]) for r in replicas) == [
        ("ap-southeast-1", "ACTIVE"),
        ("eu-west-1", "ACTIVE"),
    ]
    described = aws.client("dynamodb", region="ap-southeast-1").describe_table(TableName=app)["Table"]
    assert described["DeletionProtectionEnabled"] is True


@pytest.mark.localcloud_only
def test_site_in_check_mode_on_an_empty_account_changes_nothing(ansible, aws, localcloud, tmp_path):
    report, returncode, stderr = run_site(ansible, write_inventory(tmp_path, THREE_REGIONS), check=True)
    assert returncode == 0, stderr
    assert aws.client("iam").list_roles()["Roles"] == []
    mutating = [r for r in localcloud.requests() if not r["operation"].startswith(("Get", "List", "Describe"))]
    assert mutating == []
