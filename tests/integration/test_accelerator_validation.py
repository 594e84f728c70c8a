"""Every bound the Global Accelerator API enforces is checked by the modules before any AWS call."""

import os

import pytest

pytestmark = pytest.mark.integration

REAL_AWS = os.environ.get("ACTIVEACTIVE_TEST_TARGET") == "aws"
ALB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/alb/50dc6c495c0c9188"
LISTENER_ARN = "arn:aws:globalaccelerator::123456789012:accelerator/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab/listener/ab"
GROUP = {"accelerator": "val-app", "listener_port": 80, "endpoint_group_region": "eu-west-1"}
LISTENER = {"accelerator": "val-app", "protocol": "TCP"}


def endpoints(*weights):
    return [{"endpoint_id": f"i-{n:08x}", "weight": weight} for n, weight in enumerate(weights)]


# (module, options, a fragment of the error message). Each message names the option and what it accepts.
CASES = [
    ("accelerator", {"name": "-app"}, "name must be 1 to 64 characters of letters, digits, '.' and '-'"),
    ("accelerator", {"name": "app."}, "name must be 1 to 64 characters"),
    ("accelerator", {"name": "a" * 65}, "name must be 1 to 64 characters"),
    ("accelerator", {"name": "my_app"}, "name must be 1 to 64 characters"),
    ("accelerator", {"name": "app", "ip_address_type": "IPV6"}, "ip_address_type must be one of: IPV4, DUAL_STACK"),
    ("accelerator", {"name": "app", "ip_addresses": ["192.0.2.1"] * 3}, "ip_addresses takes at most 2 addresses"),
    ("accelerator", {"name": "app", "ip_addresses": ["2001:db8::1"]}, "ip_addresses must hold IPv4 addresses"),
    (
        "accelerator",
        {"name": "app", "flow_logs": {"enabled": True, "s3_bucket": "b"}},
        "flow_logs.s3_prefix is required when flow_logs.enabled is true",
    ),
    ("accelerator", {"name": "app", "flow_logs": {"s3_bucket": "b"}}, "missing required arguments: enabled"),
    ("accelerator", {"name": "app", "tags": {"aws:owner": "x"}}, "tags keys must not start with 'aws:'"),
    ("accelerator", {"name": "app", "tags": {"k" * 129: "x"}}, "tags keys must be 1 to 128 characters"),
    ("accelerator", {"name": "app", "tags": {"k": "v" * 257}}, "must be at most 256 characters"),
    ("accelerator", {"name": "app", "wait_timeout": -1}, "wait_timeout must be between 0 and 86400"),
    ("accelerator_listener", {**LISTENER, "port_ranges": []}, "port_ranges must hold 1 to 10 port ranges, got 0"),
    (
        "accelerator_listener",
        {**LISTENER, "port_ranges": [{"from_port": p} for p in range(1, 12)]},
        "port_ranges must hold 1 to 10 port ranges, got 11",
    ),
    (
        "accelerator_listener",
        {**LISTENER, "port_ranges": [{"from_port": 0}]},
        "port_ranges[0].from_port must be between 1 and 65535, got 0",
    ),
    (
        "accelerator_listener",
        {**LISTENER, "port_ranges": [{"from_port": 80, "to_port": 65536}]},
        "port_ranges[0].to_port must be between 1 and 65535, got 65536",
    ),
    (
        "accelerator_listener",
        {**LISTENER, "port_ranges": [{"from_port": 90, "to_port": 80}]},
        "port_ranges[0].from_port (90) must not be above to_port (80)",
    ),
    (
        "accelerator_listener",
        {**LISTENER, "port_ranges": [{"from_port": 80, "to_port": 90}, {"from_port": 85}]},
        "port_ranges must not overlap",
    ),
    (
        "accelerator_listener",
        {"accelerator": "val-app", "protocol": "HTTP", "port_ranges": [{"from_port": 80}]},
        "protocol must be one of: TCP, UDP",
    ),
    (
        "accelerator_listener",
        {**LISTENER, "port_ranges": [{"from_port": 80}], "client_affinity": "COOKIE"},
        "client_affinity must be one of: NONE, SOURCE_IP",
    ),
    (
        "accelerator_listener",
        {"accelerator": "val-app", "port_ranges": [{"from_port": 80}]},
        "protocol is required when listener_arn is not set",
    ),
    ("accelerator_listener", {"listener_arn": "arn:aws:s3:::bucket"}, "listener_arn must be a Global Accelerator"),
    (
        "accelerator_listener",
        {"listener_arn": LISTENER_ARN, "accelerator": "val-app"},
        "parameters are mutually exclusive: accelerator|listener_arn",
    ),
    (
        "accelerator_endpoint_group",
        {**GROUP, "endpoints": endpoints(256)},
        "endpoints[0].weight must be between 0 and 255",
    ),
    (
        "accelerator_endpoint_group",
        {**GROUP, "endpoints": endpoints(-1)},
        "endpoints[0].weight must be between 0 and 255",
    ),
    (
        "accelerator_endpoint_group",
        {**GROUP, "endpoints": endpoints(*[1] * 11)},
        "endpoints takes at most 10 endpoints, got 11",
    ),
    (
        "accelerator_endpoint_group",
        {**GROUP, "endpoints": [{"endpoint_id": ALB}, {"endpoint_id": ALB}]},
        "is listed more than once",
    ),
    (
        "accelerator_endpoint_group",
        {**GROUP, "traffic_dial_percentage": 100.5},
        "traffic_dial_percentage must be between 0 and 100",
    ),
    (
        "accelerator_endpoint_group",
        {**GROUP, "health_check_interval_seconds": 15},
        "health_check_interval_seconds must be one of: 10, 30",
    ),
    ("accelerator_endpoint_group", {**GROUP, "threshold_count": 0}, "threshold_count must be between 1 and 10"),
    ("accelerator_endpoint_group", {**GROUP, "threshold_count": 11}, "threshold_count must be between 1 and 10"),
    ("accelerator_endpoint_group", {**GROUP, "health_check_port": 0}, "health_check_port must be between 1 and 65535"),
    (
        "accelerator_endpoint_group",
        {**GROUP, "health_check_protocol": "UDP"},
        "health_check_protocol must be one of: TCP, HTTP, HTTPS",
    ),
    ("accelerator_endpoint_group", {**GROUP, "health_check_path": "health"}, "health_check_path must start with '/'"),
    ("accelerator_endpoint_group", {**GROUP, "health_check_path": "/a b"}, "health_check_path must start with '/'"),
    (
        "accelerator_endpoint_group",
        {**GROUP, "port_overrides": [{"listener_port": p, "endpoint_port": p + 1000} for p in range(1, 12)]},
        "port_overrides takes at most 10 overrides, got 11",
    ),
    (
        "accelerator_endpoint_group",
        {**GROUP, "port_overrides": [{"listener_port": 80, "endpoint_port": 70000}]},
        "port_overrides[0].endpoint_port must be between 1 and 65535",
    ),
    ("accelerator_endpoint_group", {**GROUP, "listener_port": 0}, "listener_port must be between 1 and 65535"),
    (
        "accelerator_endpoint_group",
        {**GROUP, "endpoint_group_region": "europe"},
        "endpoint_group_region must be an AWS region name",
    ),
    (
        "accelerator_endpoint_group",
        {"endpoint_group_region": "eu-west-1"},
        "either listener_arn, or accelerator and listener_port, are required",
    ),
]


def test_invalid_input_fails_before_any_call(ansible, aws, request):
    if not REAL_AWS:
        request.getfixturevalue("localcloud").clear_requests()
    tasks = [
        {"name": f"case {i}", f"activeactive.aws.{module}": options, "ignore_errors": True}
        for i, (module, options, _message) in enumerate(CASES)
    ]
    results = ansible.run(tasks)
    for (module, options, message), result in zip(CASES, results, strict=True):
        assert result.get("failed") is True, (module, options, result)
        assert message in result["msg"], (module, options, result["msg"])
        assert "exception" not in result or "Traceback" not in str(result.get("exception")), result
    # No Global Accelerator call was even made, and nothing was created.
    if not REAL_AWS:
        calls = [r for r in request.getfixturevalue("localcloud").requests() if r["service"] == "globalaccelerator"]
        assert calls == []
    client = aws.client("globalaccelerator", region="us-west-2")
    assert all(a["Name"] != "app" for a in client.list_accelerators(MaxResults=100)["Accelerators"])
