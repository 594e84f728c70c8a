"""playbooks/site.yml over the region inventory: the inventory check, and the stack it builds."""

import json
import os
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
    (group_vars / "all.yml").write_text(local_vars + f"activeactive_app_name: {app_name}\n")
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


def test_site_builds_the_function_identity_then_changes_nothing(ansible, aws, tmp_path):
    inventory = write_inventory(tmp_path, THREE_REGIONS)
    report, returncode, stderr = run_site(ansible, inventory)
    assert returncode == 0, stderr
    assert sum(s["changed"] for s in report["stats"].values()) > 0

    iam = aws.client("iam")
    role = iam.get_role(RoleName="aa-site-test-function")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    policy = iam.get_role_policy(RoleName="aa-site-test-function", PolicyName="aa-site-test-table-and-logs")
    document = policy["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    statements = {s["Sid"]: s for s in document["Statement"]}
    account = aws.client("sts").get_caller_identity()["Account"]
    assert sorted(statements["TableReadWrite"]["Resource"]) == sorted(
        f"arn:aws:dynamodb:{region}:{account}:table/aa-site-test{suffix}"
        for region in THREE_REGIONS
        for suffix in ("", "/index/*")
    )
    assert "dynamodb:DeleteTable" not in statements["TableReadWrite"]["Action"]
    assert all(":log-group:/aws/lambda/aa-site-test" in arn for arn in statements["OwnLogGroups"]["Resource"])
    assert {s["Effect"] for s in document["Statement"]} == {"Allow"}

    report, returncode, stderr = run_site(ansible, inventory)
    assert returncode == 0, stderr
    assert {host: s["changed"] for host, s in report["stats"].items()} == dict.fromkeys(THREE_REGIONS, 0)

    report, returncode, stderr = run_site(ansible, inventory, check=True, diff=True)
    assert returncode == 0, stderr
    assert sum(s["changed"] for s in report["stats"].values()) == 0


@pytest.mark.localcloud_only
def test_site_in_check_mode_on_an_empty_account_changes_nothing(ansible, aws, localcloud, tmp_path):
    report, returncode, stderr = run_site(ansible, write_inventory(tmp_path, THREE_REGIONS), check=True)
    assert returncode == 0, stderr
    assert aws.client("iam").list_roles()["Roles"] == []
    mutating = [r for r in localcloud.requests() if not r["operation"].startswith(("Get", "List", "Describe"))]
    assert mutating == []
