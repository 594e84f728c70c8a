"""target_group_health_check through Ansible, checked against what ELBv2 reports afterwards."""

import os

import pytest

pytestmark = pytest.mark.integration

REAL_AWS = os.environ.get("ACTIVEACTIVE_TEST_TARGET") == "aws"
REGION = "eu-west-1"
SETTINGS = {
    "protocol": "HTTP",
    "path": "/health",
    "interval": 10,
    "timeout": 5,
    "healthy_threshold": 2,
    "unhealthy_threshold": 3,
    "http_codes": "200",
}


@pytest.fixture
def unique_name(unique_name):
    return unique_name.replace("test", "tg")[:32]


@pytest.fixture
def target_group(aws, unique_name):
    elbv2 = aws.client("elbv2", region=REGION)
    group = elbv2.create_target_group(Name=unique_name, TargetType="lambda")["TargetGroups"][0]
    yield group
    elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])


def described(aws, arn):
    return aws.client("elbv2", region=REGION).describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]


def health_check(target_group, **options):
    return {"activeactive.aws.target_group_health_check": {"target_group": target_group, **options}}


def test_turns_health_checks_on_idempotently_and_off(ansible, aws, target_group):
    name, arn = target_group["TargetGroupName"], target_group["TargetGroupArn"]
    assert described(aws, arn)["HealthCheckEnabled"] is False  # AWS's default for Lambda target groups

    (planned,) = ansible.run([health_check(name, **SETTINGS)], check=True, diff=True, region=REGION)
    assert planned["changed"] and planned["health_check"]["enabled"] is True
    assert planned["diff"]["before"]["enabled"] is False
    assert described(aws, arn)["HealthCheckEnabled"] is False

    first, second = ansible.run([health_check(name, **SETTINGS), health_check(arn, **SETTINGS)], region=REGION)
    assert first["changed"] and not second["changed"]
    group = described(aws, arn)
    assert group["HealthCheckEnabled"] is True
    assert (group["HealthCheckPath"], group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (
        "/health",
        10,
        5,
    )
    assert (group["HealthyThresholdCount"], group["UnhealthyThresholdCount"], group["Matcher"]["HttpCode"]) == (
        2,
        3,
        "200",
    )
    assert second["health_check"] == first["health_check"]

    (only_path,) = ansible.run([health_check(name, path="/ready")], region=REGION)
    assert only_path["changed"]
    group = described(aws, arn)
    assert (group["HealthCheckPath"], group["HealthCheckIntervalSeconds"]) == ("/ready", 10)

    off, off_again = ansible.run(
        [health_check(name, state="absent"), health_check(name, state="absent")], region=REGION
    )
    assert off["changed"] and not off_again["changed"]
    assert described(aws, arn)["HealthCheckEnabled"] is False


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"interval": 10, "timeout": 10}, "timeout (10) must be smaller than interval (10)"),
        ({"healthy_threshold": 11}, "healthy_threshold must be between 2 and 10"),
        ({"path": "health"}, "path must start with '/'"),
        ({"http_codes": "ok"}, "http_codes must be codes like"),
        ({"port": "eighty"}, "port must be 'traffic-port' or a port number"),
    ],
)
def test_bad_settings_fail_before_any_call(ansible, request, options, message):
    if not REAL_AWS:
        request.getfixturevalue("localcloud").clear_requests()
    (failed,) = ansible.run([health_check("any-group", **options)], expect_failure=True, region=REGION)
    assert message in failed["msg"]
    if not REAL_AWS:
        assert request.getfixturevalue("localcloud").requests() == []


def test_a_missing_group_is_an_error_except_in_check_mode(ansible, unique_name):
    (failed,) = ansible.run([health_check(unique_name, **SETTINGS)], expect_failure=True, region=REGION)
    assert failed["msg"] == f"Target group {unique_name} does not exist"
    (planned,) = ansible.run([health_check(unique_name, **SETTINGS)], check=True, region=REGION)
    assert planned["changed"] and planned["health_check"]["path"] == "/health"
