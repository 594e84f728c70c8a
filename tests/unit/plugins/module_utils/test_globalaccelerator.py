"""Unit tests (no network) of the Global Accelerator comparison, planning and validation logic."""

from unittest.mock import MagicMock

import botocore.exceptions
import pytest

from ansible_collections.activeactive.aws.plugins.module_utils import globalaccelerator as ga

ACC = "arn:aws:globalaccelerator::123456789012:accelerator/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab"
LISTENER = ACC + "/listener/abcdef01"
GROUP = LISTENER + "/endpoint-group/0123456789ab"
ALB1 = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/one/1111111111111111"
ALB2 = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/two/2222222222222222"
ALB3 = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/three/3333333333333333"


def client_error(code, operation="DescribeAccelerator"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, operation)


# ---------------------------------------------------------------------------------------------
# Port ranges and listeners
# ---------------------------------------------------------------------------------------------


class TestPortRanges:
    def test_order_does_not_matter(self):
        a = [{"from_port": 80, "to_port": 80}, {"from_port": 443, "to_port": 443}]
        b = [{"from_port": 443, "to_port": 443}, {"from_port": 80, "to_port": 80}]
        assert ga.port_range_set(a) == ga.port_range_set(b)

    def test_to_port_defaults_to_from_port(self):
        assert ga.port_range_set([{"from_port": 80, "to_port": None}]) == frozenset({(80, 80)})
        assert ga.port_range_set([{"from_port": 80}]) == ga.port_range_set([{"from_port": 80, "to_port": 80}])

    def test_api_and_task_shapes_compare(self):
        listener = {"PortRanges": [{"FromPort": 443, "ToPort": 443}, {"FromPort": 80, "ToPort": 81}]}
        assert ga.listener_port_range_set(listener) == ga.port_range_set(
            [{"from_port": 80, "to_port": 81}, {"from_port": 443}]
        )

    def test_to_api_port_ranges_sorted(self):
        assert ga.to_api_port_ranges([{"from_port": 443}, {"from_port": 80, "to_port": 90}]) == [
            {"FromPort": 80, "ToPort": 90},
            {"FromPort": 443, "ToPort": 443},
        ]

    def test_find_listener_needs_protocol_and_exact_set(self):
        listeners = [
            {"ListenerArn": "tcp", "Protocol": "TCP", "PortRanges": [{"FromPort": 80, "ToPort": 80}]},
            {
                "ListenerArn": "tcp2",
                "Protocol": "TCP",
                "PortRanges": [{"FromPort": 443, "ToPort": 443}, {"FromPort": 80, "ToPort": 80}],
            },
            {"ListenerArn": "udp", "Protocol": "UDP", "PortRanges": [{"FromPort": 80, "ToPort": 80}]},
        ]
        assert ga.find_listener(listeners, "TCP", [{"from_port": 80}])["ListenerArn"] == "tcp"
        assert ga.find_listener(listeners, "UDP", [{"from_port": 80}])["ListenerArn"] == "udp"
        assert ga.find_listener(listeners, "TCP", [{"from_port": 443}, {"from_port": 80}])["ListenerArn"] == "tcp2"
        assert ga.find_listener(listeners, "TCP", [{"from_port": 443}]) is None

    def test_listener_has_port(self):
        listener = {"PortRanges": [{"FromPort": 8000, "ToPort": 8010}]}
        assert ga.listener_has_port(listener, 8005)
        assert not ga.listener_has_port(listener, 8011)

    def test_plan_listener_update(self):
        listener = {
            "Protocol": "TCP",
            "PortRanges": [{"FromPort": 80, "ToPort": 80}, {"FromPort": 443, "ToPort": 443}],
            "ClientAffinity": "NONE",
        }
        same = [{"from_port": 443, "to_port": 443}, {"from_port": 80, "to_port": None}]
        assert ga.plan_listener_update(listener, "TCP", same, "NONE") == {}
        assert ga.plan_listener_update(listener, None, None, None) == {}
        assert ga.plan_listener_update(listener, "TCP", same, "SOURCE_IP") == {"ClientAffinity": "SOURCE_IP"}
        assert ga.plan_listener_update(listener, "UDP", [{"from_port": 81}], None) == {
            "Protocol": "UDP",
            "PortRanges": [{"FromPort": 81, "ToPort": 81}],
        }


# ---------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------


def describe(endpoint_id, weight=128, cip=True):
    return {"EndpointId": endpoint_id, "Weight": weight, "ClientIPPreservationEnabled": cip, "HealthState": "HEALTHY"}


def want(endpoint_id, weight=None, cip=None):
    return {"endpoint_id": endpoint_id, "weight": weight, "client_ip_preservation": cip}


class TestPlanEndpoints:
    def test_unset_endpoints_leave_the_group_alone(self):
        plan = ga.plan_endpoints([describe(ALB1)], None)
        assert not ga.endpoint_plan_changes(plan)

    def test_same_endpoints_no_calls(self):
        plan = ga.plan_endpoints([describe(ALB1), describe(ALB2, 10)], [want(ALB2, 10), want(ALB1)])
        assert plan == {"add": [], "remove": [], "update": None}

    def test_weight_defaults_to_128(self):
        assert not ga.endpoint_plan_changes(ga.plan_endpoints([describe(ALB1, 128)], [want(ALB1)]))
        plan = ga.plan_endpoints([describe(ALB1, 100)], [want(ALB1)])
        assert plan["update"] == [{"EndpointId": ALB1, "Weight": 128, "ClientIPPreservationEnabled": True}]

    def test_membership_only_uses_add_and_remove(self):
        plan = ga.plan_endpoints([describe(ALB1), describe(ALB2)], [want(ALB1), want(ALB3, 5, False)])
        assert plan["update"] is None
        assert plan["add"] == [{"EndpointId": ALB3, "Weight": 5, "ClientIPPreservationEnabled": False}]
        assert plan["remove"] == [ALB2]

    def test_add_leaves_client_ip_preservation_to_aws_when_unset(self):
        plan = ga.plan_endpoints([], [want(ALB1, 7)])
        assert plan["add"] == [{"EndpointId": ALB1, "Weight": 7}]

    def test_no_purge_keeps_unlisted(self):
        plan = ga.plan_endpoints([describe(ALB1), describe(ALB2)], [want(ALB3)], purge_endpoints=False)
        assert plan["remove"] == []
        assert [c["EndpointId"] for c in plan["add"]] == [ALB3]

    def test_empty_list_removes_all(self):
        plan = ga.plan_endpoints([describe(ALB1), describe(ALB2)], [])
        assert sorted(plan["remove"]) == sorted([ALB1, ALB2])
        assert plan["add"] == [] and plan["update"] is None

    def test_weight_change_uses_update_with_the_full_list(self):
        plan = ga.plan_endpoints([describe(ALB1), describe(ALB2, 50, False)], [want(ALB1, 200), want(ALB2, 50)])
        assert plan["add"] == [] and plan["remove"] == []
        assert plan["update"] == [
            {"EndpointId": ALB1, "Weight": 200, "ClientIPPreservationEnabled": True},
            # unchanged endpoint keeps its current client IP preservation
            {"EndpointId": ALB2, "Weight": 50, "ClientIPPreservationEnabled": False},
        ]

    def test_client_ip_change_uses_update(self):
        plan = ga.plan_endpoints([describe(ALB1, cip=True)], [want(ALB1, cip=False)])
        assert plan["update"] == [{"EndpointId": ALB1, "Weight": 128, "ClientIPPreservationEnabled": False}]

    def test_client_ip_unset_is_not_compared(self):
        assert not ga.endpoint_plan_changes(ga.plan_endpoints([describe(ALB1, cip=False)], [want(ALB1)]))

    def test_update_covers_additions_and_removals(self):
        plan = ga.plan_endpoints([describe(ALB1), describe(ALB2)], [want(ALB1, 1), want(ALB3)])
        assert plan["add"] == [] and plan["remove"] == []
        assert [c["EndpointId"] for c in plan["update"]] == [ALB1, ALB3]

    def test_update_without_purge_keeps_unlisted(self):
        plan = ga.plan_endpoints([describe(ALB1), describe(ALB2, 9)], [want(ALB1, 1)], purge_endpoints=False)
        assert plan["update"] == [
            {"EndpointId": ALB1, "Weight": 1, "ClientIPPreservationEnabled": True},
            {"EndpointId": ALB2, "Weight": 9, "ClientIPPreservationEnabled": True},
        ]

    def test_predict_endpoint_group(self):
        group = {"EndpointGroupArn": GROUP, "EndpointDescriptions": [describe(ALB1), describe(ALB2)]}
        plan = ga.plan_endpoints(group["EndpointDescriptions"], [want(ALB1), want(ALB3)])
        predicted = ga.predict_endpoint_group(group, {"TrafficDialPercentage": 50.0}, plan)
        assert [d["EndpointId"] for d in predicted["EndpointDescriptions"]] == [ALB1, ALB3]
        assert predicted["TrafficDialPercentage"] == 50.0
        assert group["EndpointDescriptions"][1]["EndpointId"] == ALB2  # not mutated

    def test_endpoint_configurations_for_create(self):
        assert ga.endpoint_configurations([want(ALB1), want(ALB2, 0, True)]) == [
            {"EndpointId": ALB1, "Weight": 128},
            {"EndpointId": ALB2, "Weight": 0, "ClientIPPreservationEnabled": True},
        ]

    @pytest.mark.parametrize(
        "endpoint_id, lookup",
        [
            (ALB1, False),
            ("i-0123456789abcdef0", False),
            ("i-01234567", False),
            ("eipalloc-0123abcd", False),
            ("my-alb", True),
            ("i-not-an-instance", True),
        ],
    )
    def test_needs_load_balancer_lookup(self, endpoint_id, lookup):
        assert ga.needs_load_balancer_lookup(endpoint_id) is lookup


# ---------------------------------------------------------------------------------------------
# Endpoint group settings
# ---------------------------------------------------------------------------------------------

GROUP_DESCRIPTION = {
    "EndpointGroupArn": GROUP,
    "EndpointGroupRegion": "eu-west-1",
    "TrafficDialPercentage": 100.0,
    "HealthCheckPort": 80,
    "HealthCheckProtocol": "TCP",
    "HealthCheckPath": "/",
    "HealthCheckIntervalSeconds": 30,
    "ThresholdCount": 3,
    "PortOverrides": [{"ListenerPort": 80, "EndpointPort": 8080}],
}


def group_params(**kwargs):
    params = {option: None for option, _field in ga.ENDPOINT_GROUP_FIELDS}
    params["port_overrides"] = None
    params.update(kwargs)
    return params


class TestEndpointGroupUpdate:
    def test_unset_fields_are_not_compared(self):
        assert ga.plan_endpoint_group_update(GROUP_DESCRIPTION, group_params()) == {}

    def test_only_set_fields_are_compared(self):
        params = group_params(health_check_interval_seconds=10, threshold_count=3, health_check_path="/")
        assert ga.plan_endpoint_group_update(GROUP_DESCRIPTION, params) == {"HealthCheckIntervalSeconds": 10}

    def test_dial_compares_as_float(self):
        assert ga.plan_endpoint_group_update(GROUP_DESCRIPTION, group_params(traffic_dial_percentage=100)) == {}
        assert ga.plan_endpoint_group_update(GROUP_DESCRIPTION, group_params(traffic_dial_percentage=0)) == {
            "TrafficDialPercentage": 0.0
        }

    def test_all_health_check_fields(self):
        params = group_params(
            health_check_port=443,
            health_check_protocol="HTTPS",
            health_check_path="/health",
            threshold_count=5,
        )
        assert ga.plan_endpoint_group_update(GROUP_DESCRIPTION, params) == {
            "HealthCheckPort": 443,
            "HealthCheckProtocol": "HTTPS",
            "HealthCheckPath": "/health",
            "ThresholdCount": 5,
        }

    def test_port_overrides_as_set(self):
        same = group_params(port_overrides=[{"listener_port": 80, "endpoint_port": 8080}])
        assert ga.plan_endpoint_group_update(GROUP_DESCRIPTION, same) == {}
        cleared = group_params(port_overrides=[])
        assert ga.plan_endpoint_group_update(GROUP_DESCRIPTION, cleared) == {"PortOverrides": []}
        more = group_params(
            port_overrides=[{"listener_port": 443, "endpoint_port": 8443}, {"listener_port": 80, "endpoint_port": 8080}]
        )
        assert ga.plan_endpoint_group_update(GROUP_DESCRIPTION, more) == {
            "PortOverrides": [{"ListenerPort": 80, "EndpointPort": 8080}, {"ListenerPort": 443, "EndpointPort": 8443}]
        }

    def test_settings_for_create_leave_unset_out(self):
        assert ga.endpoint_group_settings(group_params(threshold_count=2)) == {"ThresholdCount": 2}


# ---------------------------------------------------------------------------------------------
# Accelerator
# ---------------------------------------------------------------------------------------------


class TestAccelerator:
    def test_plan_update(self):
        accelerator = {"Enabled": True, "IpAddressType": "IPV4"}
        assert ga.plan_accelerator_update(accelerator) == {}
        assert ga.plan_accelerator_update(accelerator, True, "IPV4") == {}
        assert ga.plan_accelerator_update(accelerator, False, "DUAL_STACK") == {
            "Enabled": False,
            "IpAddressType": "DUAL_STACK",
        }

    def test_ip_addresses_are_create_only(self):
        accelerator = {
            "AcceleratorArn": ACC,
            "IpSets": [
                {"IpFamily": "IPv4", "IpAddressFamily": "IPv4", "IpAddresses": ["192.0.2.1", "192.0.2.2"]},
                {"IpAddressFamily": "IPv6", "IpAddresses": ["2001:db8::1"]},
            ],
        }
        assert ga.ip_addresses_change_error(accelerator, None) is None
        assert ga.ip_addresses_change_error(accelerator, ["192.0.2.2"]) is None
        message = ga.ip_addresses_change_error(accelerator, ["198.51.100.7"])
        assert "only be set when an accelerator is created" in message
        assert "192.0.2.1" in message and "198.51.100.7" in message

    def test_flow_logs_untouched_when_unset(self):
        assert ga.plan_flow_logs({"FlowLogsEnabled": True}, None) == []

    def test_flow_logs_enable(self):
        calls = ga.plan_flow_logs({"FlowLogsEnabled": False}, {"enabled": True, "s3_bucket": "b", "s3_prefix": "p/"})
        assert calls == [{"FlowLogsEnabled": True, "FlowLogsS3Bucket": "b", "FlowLogsS3Prefix": "p/"}]

    def test_flow_logs_disable(self):
        assert ga.plan_flow_logs({"FlowLogsEnabled": True}, {"enabled": False}) == [{"FlowLogsEnabled": False}]
        assert ga.plan_flow_logs({"FlowLogsEnabled": False}, {"enabled": False}) == []

    def test_flow_logs_same(self):
        current = {"FlowLogsEnabled": True, "FlowLogsS3Bucket": "b", "FlowLogsS3Prefix": "p/"}
        assert ga.plan_flow_logs(current, {"enabled": True, "s3_bucket": "b", "s3_prefix": "p/"}) == []

    def test_flow_logs_new_location_disables_first(self):
        current = {"FlowLogsEnabled": True, "FlowLogsS3Bucket": "b", "FlowLogsS3Prefix": "p/"}
        calls = ga.plan_flow_logs(current, {"enabled": True, "s3_bucket": "b", "s3_prefix": "q/"})
        assert calls == [
            {"FlowLogsEnabled": False},
            {"FlowLogsEnabled": True, "FlowLogsS3Bucket": "b", "FlowLogsS3Prefix": "q/"},
        ]
        assert ga.predict_attributes(current, calls)["FlowLogsS3Prefix"] == "q/"

    def test_normalize(self):
        import datetime

        accelerator = {
            "AcceleratorArn": ACC,
            "Name": "x",
            "IpSets": [{"IpAddressFamily": "IPv4", "IpAddresses": ["192.0.2.1"]}],
            "DnsName": "a0123456789abcdef.awsglobalaccelerator.com",
            "CreatedTime": datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
        }
        result = ga.normalize_accelerator(
            accelerator, {"Team": "web"}, {"FlowLogsEnabled": True, "FlowLogsS3Bucket": "b"}
        )
        assert result["hosted_zone_id"] == "Z2BJ6XQ5FK7U4H"
        assert result["tags"] == {"Team": "web"}
        assert result["ip_sets"] == [{"ip_address_family": "IPv4", "ip_addresses": ["192.0.2.1"]}]
        assert result["dual_stack_dns_name"] is None
        assert result["created_time"] == "2024-01-02T00:00:00+00:00"
        assert result["attributes"] == {"flow_logs_enabled": True, "flow_logs_s3_bucket": "b"}
        assert ga.normalize_accelerator(None) == {}

    def test_ambiguous_name_lists_arns(self):
        matches = [{"Name": "x", "AcceleratorArn": "arn:b"}, {"Name": "x", "AcceleratorArn": "arn:a"}]
        message = ga.ambiguous_name_message("accelerator", "x", matches)
        assert "Found 2 accelerators named x" in message and "arn:a, arn:b" in message


# ---------------------------------------------------------------------------------------------
# ARNs and tokens
# ---------------------------------------------------------------------------------------------


class TestIdentity:
    def test_parent_arns(self):
        assert ga.accelerator_arn_of(LISTENER) == ACC
        assert ga.accelerator_arn_of(GROUP) == ACC
        assert ga.listener_arn_of(GROUP) == LISTENER
        with pytest.raises(ValueError):
            ga.accelerator_arn_of("arn:aws:s3:::bucket")

    def test_is_arn(self):
        assert ga.is_arn(ACC)
        assert not ga.is_arn("my-accelerator")

    def test_token_is_deterministic(self):
        request = {"Name": "x", "Enabled": True, "Tags": [{"Key": "a", "Value": "b"}]}
        same = {"Tags": [{"Key": "a", "Value": "b"}], "Enabled": True, "Name": "x"}
        assert ga.idempotency_token("accelerator", request) == ga.idempotency_token("accelerator", same)
        assert len(ga.idempotency_token("accelerator", request)) <= 255

    def test_token_depends_on_the_request(self):
        base = ga.idempotency_token("accelerator", {"Name": "x"})
        assert base != ga.idempotency_token("accelerator", {"Name": "y"})
        assert base != ga.idempotency_token("listener", {"Name": "x"})
        assert base != ga.idempotency_token("accelerator", {"Name": "x"}, "arn:stale")

    def test_create_idempotently_retries_with_a_new_token_after_a_stale_answer(self):
        tokens = []
        live = {"arn:new"}

        def create(IdempotencyToken, **request):
            tokens.append(IdempotencyToken)
            return {"Arn": "arn:stale" if len(tokens) == 1 else "arn:new"}

        result = ga.create_idempotently(
            create, lambda arn: {"Arn": arn} if arn in live else None, "Arn", "thing", {"Name": "x"}, settle_timeout=0
        )
        assert result == {"Arn": "arn:new"}
        assert tokens == [
            ga.idempotency_token("thing", {"Name": "x"}),
            ga.idempotency_token("thing", {"Name": "x"}, "arn:stale"),
        ]

    def test_create_idempotently_one_call_when_live(self):
        create = MagicMock(return_value={"Arn": "arn:1"})
        ga.create_idempotently(create, lambda arn: {"Arn": arn}, "Arn", "thing", {"Name": "x"})
        create.assert_called_once_with(IdempotencyToken=ga.idempotency_token("thing", {"Name": "x"}), Name="x")


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def accelerator_params(**kwargs):
    params = {
        "name": "my-app",
        "ip_addresses": None,
        "flow_logs": None,
        "tags": None,
        "wait_timeout": 1800,
    }
    params.update(kwargs)
    return params


def listener_params(**kwargs):
    params = {
        "accelerator": "my-app",
        "listener_arn": None,
        "protocol": "TCP",
        "port_ranges": [{"from_port": 80, "to_port": None}],
        "wait_timeout": 1800,
    }
    params.update(kwargs)
    return params


def endpoint_group_params(**kwargs):
    params = {
        "accelerator": "my-app",
        "listener_arn": None,
        "listener_port": 80,
        "endpoint_group_region": "eu-west-1",
        "endpoints": None,
        "traffic_dial_percentage": None,
        "health_check_port": None,
        "health_check_protocol": None,
        "health_check_path": None,
        "health_check_interval_seconds": None,
        "threshold_count": None,
        "port_overrides": None,
        "wait_timeout": 1800,
    }
    params.update(kwargs)
    return params


class TestValidation:
    def test_valid_params_pass(self):
        assert ga.validate_accelerator_params(accelerator_params()) == []
        assert ga.validate_listener_params(listener_params()) == []
        assert ga.validate_endpoint_group_params(endpoint_group_params()) == []

    @pytest.mark.parametrize("name", ["a", "my.app-1", "A" * 64])
    def test_good_names(self, name):
        assert ga.validate_accelerator_params(accelerator_params(name=name)) == []

    @pytest.mark.parametrize("name", ["", "-app", "app-", ".app", "app.", "my_app", "a" * 65, "sp ace"])
    def test_bad_names(self, name):
        errors = ga.validate_accelerator_params(accelerator_params(name=name))
        assert len(errors) == 1 and errors[0].startswith("name must be 1 to 64 characters")

    def test_ip_addresses(self):
        assert ga.validate_accelerator_params(accelerator_params(ip_addresses=["192.0.2.1", "192.0.2.2"])) == []
        errors = ga.validate_accelerator_params(accelerator_params(ip_addresses=["1.1.1.1", "2.2.2.2", "3.3.3.3"]))
        assert errors == ["ip_addresses takes at most 2 addresses, got 3"]
        assert ga.validate_accelerator_params(accelerator_params(ip_addresses=["nope"])) == [
            "ip_addresses must hold IPv4 addresses, got 'nope'"
        ]

    def test_flow_logs_need_bucket_and_prefix(self):
        errors = ga.validate_accelerator_params(accelerator_params(flow_logs={"enabled": True, "s3_bucket": "b"}))
        assert errors == ["flow_logs.s3_prefix is required when flow_logs.enabled is true"]
        assert ga.validate_accelerator_params(accelerator_params(flow_logs={"enabled": False})) == []

    def test_tags(self):
        errors = ga.validate_accelerator_params(
            accelerator_params(tags={"aws:x": "1", "k" * 129: "v", "ok": "v" * 257})
        )
        assert len(errors) == 3

    @pytest.mark.parametrize(
        "ranges, message",
        [
            ([], "port_ranges must hold 1 to 10 port ranges, got 0"),
            ([{"from_port": p} for p in range(1, 12)], "port_ranges must hold 1 to 10 port ranges, got 11"),
            ([{"from_port": 0}], "port_ranges[0].from_port must be between 1 and 65535, got 0"),
            ([{"from_port": 80, "to_port": 65536}], "port_ranges[0].to_port must be between 1 and 65535, got 65536"),
            ([{"from_port": 90, "to_port": 80}], "port_ranges[0].from_port (90) must not be above to_port (80)"),
            (
                [{"from_port": 80, "to_port": 90}, {"from_port": 85}],
                "port_ranges must not overlap: 80-90 and 85-85 do",
            ),
        ],
    )
    def test_port_ranges(self, ranges, message):
        assert message in ga.validate_listener_params(listener_params(port_ranges=ranges))

    def test_listener_identity_required(self):
        errors = ga.validate_listener_params(listener_params(accelerator=None, protocol=None, port_ranges=None))
        assert "protocol is required when listener_arn is not set" in errors
        assert (
            ga.validate_listener_params(
                listener_params(accelerator=None, protocol=None, port_ranges=None, listener_arn=LISTENER)
            )
            == []
        )
        assert ga.validate_listener_params(listener_params(accelerator=None, listener_arn="arn:nope")) == [
            "listener_arn must be a Global Accelerator listener ARN, got 'arn:nope'"
        ]

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"endpoints": [want(ALB1, 256)]}, "endpoints[0].weight must be between 0 and 255, got 256"),
            ({"endpoints": [want(ALB1, -1)]}, "endpoints[0].weight must be between 0 and 255, got -1"),
            (
                {"endpoints": [want(f"i-{n:08x}") for n in range(11)]},
                "endpoints takes at most 10 endpoints, got 11",
            ),
            ({"endpoints": [want(ALB1), want(ALB1)]}, f"endpoints[1].endpoint_id {ALB1} is listed more than once"),
            ({"endpoints": [want("")]}, "endpoints[0].endpoint_id must be 1 to 255 characters"),
            ({"traffic_dial_percentage": 100.5}, "traffic_dial_percentage must be between 0 and 100, got 100.5"),
            ({"traffic_dial_percentage": -1.0}, "traffic_dial_percentage must be between 0 and 100, got -1.0"),
            ({"health_check_interval_seconds": 15}, "health_check_interval_seconds must be one of 10, 30, got 15"),
            ({"threshold_count": 0}, "threshold_count must be between 1 and 10, got 0"),
            ({"threshold_count": 11}, "threshold_count must be between 1 and 10, got 11"),
            ({"health_check_port": 70000}, "health_check_port must be between 1 and 65535, got 70000"),
            ({"health_check_protocol": "UDP"}, "health_check_protocol must be one of TCP, HTTP, HTTPS, got 'UDP'"),
            ({"listener_port": 0}, "listener_port must be between 1 and 65535, got 0"),
            ({"endpoint_group_region": "europe"}, "endpoint_group_region must be an AWS region name"),
            (
                {"port_overrides": [{"listener_port": p, "endpoint_port": p + 1} for p in range(1, 12)]},
                "port_overrides takes at most 10 overrides, got 11",
            ),
            (
                {"port_overrides": [{"listener_port": 80, "endpoint_port": 0}]},
                "port_overrides[0].endpoint_port must be between 1 and 65535, got 0",
            ),
            (
                {
                    "port_overrides": [
                        {"listener_port": 80, "endpoint_port": 81},
                        {"listener_port": 80, "endpoint_port": 82},
                    ]
                },
                "port_overrides[1].listener_port 80 is repeated",
            ),
            ({"accelerator": None, "listener_port": None}, "either listener_arn, or accelerator and listener_port"),
        ],
    )
    def test_endpoint_group_bounds(self, kwargs, message):
        errors = ga.validate_endpoint_group_params(endpoint_group_params(**kwargs))
        assert any(e.startswith(message) for e in errors), errors

    @pytest.mark.parametrize("path", ["/", "/health", "/a-b_c.d~e?f=g&h#i:j@k%20+l\\m"])
    def test_good_health_check_paths(self, path):
        assert ga.validate_endpoint_group_params(endpoint_group_params(health_check_path=path)) == []

    @pytest.mark.parametrize("path", ["health", "/sp ace", "/quote'", "/" + "a" * 255])
    def test_bad_health_check_paths(self, path):
        errors = ga.validate_endpoint_group_params(endpoint_group_params(health_check_path=path))
        assert len(errors) == 1 and errors[0].startswith("health_check_path must start with '/'")

    def test_boundaries_are_allowed(self):
        params = endpoint_group_params(
            endpoints=[want(ALB1, 0), want(ALB2, 255)],
            traffic_dial_percentage=0.0,
            health_check_interval_seconds=10,
            threshold_count=10,
            health_check_port=65535,
        )
        assert ga.validate_endpoint_group_params(params) == []

    def test_message(self):
        assert ga.validation_failure_message(["a", "b"]) == "Invalid parameters: a; b"


# ---------------------------------------------------------------------------------------------
# boto3 wrappers: errors, missing resources, retries, waiting
# ---------------------------------------------------------------------------------------------


class TestWrappers:
    def test_missing_is_none(self):
        client = MagicMock()
        client.describe_accelerator.side_effect = client_error("AcceleratorNotFoundException")
        assert ga.describe_accelerator(client, ACC) is None

    def test_other_errors_raise_module_error(self):
        client = MagicMock()
        client.describe_accelerator.side_effect = client_error("InvalidArgumentException")
        with pytest.raises(ga.AnsibleGlobalAcceleratorError) as e:
            ga.describe_accelerator(client, ACC)
        assert e.value.message == "Failed to describe accelerator"

    def test_transaction_in_progress_is_retried(self, no_sleep):
        client = MagicMock()
        client.update_accelerator.side_effect = [
            client_error("TransactionInProgressException"),
            {"Accelerator": {"AcceleratorArn": ACC}},
        ]
        assert ga.update_accelerator(client, ACC, Enabled=False) == {"AcceleratorArn": ACC}
        assert client.update_accelerator.call_count == 2

    @pytest.mark.parametrize(
        "code",
        ["AssociatedListenerFoundException", "AcceleratorNotDisabledException", "TransactionInProgressException"],
    )
    def test_teardown_errors_are_retried(self, no_sleep, code):
        client = MagicMock()
        client.delete_accelerator.side_effect = [client_error(code), {}]
        assert ga.delete_accelerator(client, ACC) is True

    def test_delete_of_a_missing_accelerator_is_not_an_error(self):
        client = MagicMock()
        client.delete_accelerator.side_effect = client_error("AcceleratorNotFoundException")
        assert ga.delete_accelerator(client, ACC) is False

    def test_listener_and_endpoint_group_calls_name_their_own_resource(self):
        client = MagicMock()
        pages = client.get_paginator.return_value.paginate.return_value.build_full_result
        pages.return_value = {"EndpointGroups": [{"EndpointGroupArn": GROUP}]}
        assert ga.list_endpoint_groups(client, LISTENER) == [{"EndpointGroupArn": GROUP}]
        client.get_paginator.assert_called_with("list_endpoint_groups")
        client.get_paginator.return_value.paginate.assert_called_with(ListenerArn=LISTENER)
        client.describe_listener.return_value = {"Listener": {"ListenerArn": LISTENER}}
        assert ga.describe_listener(client, LISTENER) == {"ListenerArn": LISTENER}
        client.describe_listener.assert_called_once_with(ListenerArn=LISTENER)
        client.create_listener.return_value = {"Listener": {"ListenerArn": LISTENER}}
        assert ga.create_listener(client, AcceleratorArn=ACC, Protocol="TCP") == {"ListenerArn": LISTENER}
        client.create_listener.assert_called_once_with(AcceleratorArn=ACC, Protocol="TCP")
        client.update_endpoint_group.return_value = {"EndpointGroup": {"EndpointGroupArn": GROUP}}
        assert ga.update_endpoint_group(client, GROUP, TrafficDialPercentage=0.0) == {"EndpointGroupArn": GROUP}
        client.update_endpoint_group.assert_called_once_with(EndpointGroupArn=GROUP, TrafficDialPercentage=0.0)
        assert ga.delete_endpoint_group(client, GROUP) is True
        client.delete_endpoint_group.assert_called_once_with(EndpointGroupArn=GROUP)
        client.describe_endpoint_group.side_effect = client_error("EndpointGroupNotFoundException")
        assert ga.describe_endpoint_group(client, GROUP) is None
        client.describe_listener.side_effect = client_error("InvalidArgumentException")
        with pytest.raises(ga.AnsibleGlobalAcceleratorError) as e:
            ga.describe_listener(client, LISTENER)
        assert e.value.message == "Failed to describe listener"
        assert [ga.list_listeners.__name__, ga.delete_endpoint_group.__name__] == [
            "list_listeners",
            "delete_endpoint_group",
        ]

    def test_wait_for_deployed(self, no_sleep):
        client = MagicMock()
        client.describe_accelerator.side_effect = [
            {"Accelerator": {"Status": "IN_PROGRESS"}},
            {"Accelerator": {"Status": "DEPLOYED"}},
        ]
        assert ga.wait_for_deployed(client, ACC, 60) == {"Status": "DEPLOYED"}

    def test_wait_for_deployed_times_out(self):
        client = MagicMock()
        client.describe_accelerator.return_value = {"Accelerator": {"Status": "IN_PROGRESS"}}
        with pytest.raises(ga.AnsibleGlobalAcceleratorError) as e:
            ga.wait_for_deployed(client, ACC, 0)
        assert "last status: IN_PROGRESS" in e.value.message

    def test_resolve_accelerator_by_name_fails_when_ambiguous(self):
        client = MagicMock()
        client.get_paginator.return_value.paginate.return_value.build_full_result.return_value = {
            "Accelerators": [{"Name": "x", "AcceleratorArn": "arn:1"}, {"Name": "x", "AcceleratorArn": "arn:2"}]
        }
        with pytest.raises(ga.AnsibleGlobalAcceleratorError) as e:
            ga.resolve_accelerator(client, "x")
        assert "arn:1, arn:2" in e.value.message

    def test_resolve_accelerator_by_arn_describes(self):
        client = MagicMock()
        client.describe_accelerator.return_value = {"Accelerator": {"AcceleratorArn": ACC}}
        assert ga.resolve_accelerator(client, ACC) == {"AcceleratorArn": ACC}
        client.get_paginator.assert_not_called()
