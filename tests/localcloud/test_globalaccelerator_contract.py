"""Global Accelerator's control plane through boto3: the contract our modules rely on.

Everything here also runs against real AWS (``ACTIVEACTIVE_TEST_TARGET=aws``) except the tests marked
``localcloud_only``; fixtures tear down what a test created there. On the local cloud every test starts
from a reset, so teardown is skipped to keep the suite fast.
"""

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

HOME_REGION = "us-west-2"
NO_RETRIES = Config(retries={"total_max_attempts": 1})
ACCELERATOR_ARN = re.compile(r"^arn:aws:globalaccelerator::\d{12}:accelerator/[0-9a-f-]{36}$")
LISTENER_ARN = re.compile(ACCELERATOR_ARN.pattern[:-1] + r"/listener/[0-9a-f]{8}$")
ENDPOINT_GROUP_ARN = re.compile(LISTENER_ARN.pattern[:-1] + r"/endpoint-group/[0-9a-f]{12}$")
MISSING_ACCELERATOR = "arn:aws:globalaccelerator::123456789012:accelerator/00000000-0000-0000-0000-000000000000"


def token() -> str:
    return str(uuid.uuid4())


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def on_aws(aws) -> bool:
    return aws.endpoint_url is None


@pytest.fixture
def ga(aws):
    return aws.client("globalaccelerator", region=HOME_REGION)


@pytest.fixture
def ga_once(aws):
    """No retries: botocore's standard retry mode would retry LimitExceeded and TransactionInProgress."""
    return aws.client("globalaccelerator", region=HOME_REGION, config=NO_RETRIES)


@pytest.fixture
def wait_deployed(ga, aws):
    timeout, pause = (1800.0, 15.0) if on_aws(aws) else (30.0, 0.05)

    def wait(accelerator_arn: str) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            accelerator = ga.describe_accelerator(AcceleratorArn=accelerator_arn)["Accelerator"]
            if accelerator["Status"] == "DEPLOYED":
                return accelerator
            assert time.monotonic() < deadline, f"{accelerator_arn} still {accelerator['Status']} after {timeout}s"
            time.sleep(pause)

    return wait


@pytest.fixture
def make_eip(aws):
    """Elastic IP allocations: the cheapest real endpoint (AWS only accepts endpoints that exist)."""
    allocated = []

    def make(region: str = "us-east-1") -> str:
        ec2 = aws.client("ec2", region=region)
        allocation_id = ec2.allocate_address(Domain="vpc")["AllocationId"]
        allocated.append((ec2, allocation_id))
        return allocation_id

    yield make
    if on_aws(aws):
        for ec2, allocation_id in allocated:
            ec2.release_address(AllocationId=allocation_id)


@pytest.fixture
def make_accelerator(ga, aws, unique_name, wait_deployed, make_eip):
    # Depends on make_eip so that on AWS the accelerators (and their endpoints) go before the addresses.
    created = []

    def make(**kwargs) -> dict:
        kwargs.setdefault("Name", f"{unique_name}-{len(created)}")
        kwargs.setdefault("IdempotencyToken", token())
        accelerator = ga.create_accelerator(**kwargs)["Accelerator"]
        created.append(accelerator["AcceleratorArn"])
        return accelerator

    yield make
    if on_aws(aws):
        for arn in created:
            tear_down(ga, arn, wait_deployed)


def tear_down(ga, accelerator_arn: str, wait_deployed) -> None:
    try:
        for listener in ga.list_listeners(AcceleratorArn=accelerator_arn, MaxResults=100)["Listeners"]:
            groups = ga.list_endpoint_groups(ListenerArn=listener["ListenerArn"], MaxResults=100)["EndpointGroups"]
            for group in groups:
                ga.delete_endpoint_group(EndpointGroupArn=group["EndpointGroupArn"])
            ga.delete_listener(ListenerArn=listener["ListenerArn"])
        wait_deployed(accelerator_arn)
        ga.update_accelerator(AcceleratorArn=accelerator_arn, Enabled=False)
        wait_deployed(accelerator_arn)
        ga.delete_accelerator(AcceleratorArn=accelerator_arn)
    except ga.exceptions.AcceleratorNotFoundException:
        pass


def make_listener(ga, accelerator_arn: str, *ports: tuple[int, int], protocol: str = "TCP") -> dict:
    port_ranges = [{"FromPort": low, "ToPort": high} for low, high in ports or [(80, 80)]]
    return ga.create_listener(
        AcceleratorArn=accelerator_arn, PortRanges=port_ranges, Protocol=protocol, IdempotencyToken=token()
    )["Listener"]


def make_endpoint_group(ga, listener_arn: str, region: str = "us-east-1", **kwargs) -> dict:
    return ga.create_endpoint_group(
        ListenerArn=listener_arn, EndpointGroupRegion=region, IdempotencyToken=token(), **kwargs
    )["EndpointGroup"]


def endpoint_ids(group: dict) -> list[str]:
    return [endpoint["EndpointId"] for endpoint in group["EndpointDescriptions"]]


# --- accelerators -----------------------------------------------------------------------------------------


def test_create_accelerator_is_in_progress_then_deployed(make_accelerator, wait_deployed):
    accelerator = make_accelerator()
    assert accelerator["Status"] == "IN_PROGRESS"
    assert wait_deployed(accelerator["AcceleratorArn"])["Status"] == "DEPLOYED"


def test_create_accelerator_fills_aws_defaults_and_formats(make_accelerator, unique_name):
    accelerator = make_accelerator(Name=unique_name)
    assert accelerator["Name"] == unique_name
    assert accelerator["Enabled"] is True
    assert accelerator["IpAddressType"] == "IPV4"
    assert ACCELERATOR_ARN.match(accelerator["AcceleratorArn"])
    assert re.match(r"^a[0-9a-f]{16}\.awsglobalaccelerator\.com$", accelerator["DnsName"])
    assert "DualStackDnsName" not in accelerator
    [ip_set] = accelerator["IpSets"]
    assert ip_set["IpAddressFamily"] == "IPv4"
    assert len(ip_set["IpAddresses"]) == 2
    assert accelerator["CreatedTime"] <= accelerator["LastModifiedTime"]


def test_dual_stack_accelerator_has_ipv6_set_and_dual_stack_dns_name(make_accelerator):
    accelerator = make_accelerator(IpAddressType="DUAL_STACK")
    families = {ip_set["IpAddressFamily"]: ip_set["IpAddresses"] for ip_set in accelerator["IpSets"]}
    assert sorted(families) == ["IPv4", "IPv6"]
    assert all(ipaddress.ip_address(ip).version == 6 for ip in families["IPv6"])
    label = accelerator["DnsName"].split(".")[0]
    assert accelerator["DualStackDnsName"] == f"{label}.dualstack.awsglobalaccelerator.com"


@pytest.mark.localcloud_only
def test_static_ips_are_distinct_loopback_addresses(make_accelerator):
    addresses = [ip for _ in range(2) for ip in make_accelerator()["IpSets"][0]["IpAddresses"]]
    assert len(set(addresses)) == 4
    assert all(ipaddress.ip_address(ip).is_loopback and ip != "127.0.0.1" for ip in addresses)


@pytest.mark.localcloud_only
def test_concurrent_creates_get_distinct_addresses(aws, unique_name):
    results: list[dict] = []

    def create(index: int) -> None:
        client = aws.client("globalaccelerator", region=HOME_REGION)
        results.append(client.create_accelerator(Name=f"{unique_name}-{index}", IdempotencyToken=token()))

    threads = [threading.Thread(target=create, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    addresses = [ip for result in results for ip in result["Accelerator"]["IpSets"][0]["IpAddresses"]]
    assert len(results) == 8
    assert len(set(addresses)) == 16


def test_same_idempotency_token_returns_the_original_accelerator(ga, make_accelerator, unique_name):
    request = {"Name": unique_name, "IdempotencyToken": token()}
    first = make_accelerator(**request)
    again = make_accelerator(**request)
    assert again["AcceleratorArn"] == first["AcceleratorArn"]
    listed = ga.get_paginator("list_accelerators").paginate().build_full_result()["Accelerators"]
    assert [a["AcceleratorArn"] for a in listed].count(first["AcceleratorArn"]) == 1


@pytest.mark.localcloud_only
def test_token_of_a_deleted_accelerator_creates_a_new_one(ga, make_accelerator, wait_deployed, unique_name):
    request = {"Name": unique_name, "Enabled": False, "IdempotencyToken": token()}
    first = make_accelerator(**request)["AcceleratorArn"]
    wait_deployed(first)
    ga.delete_accelerator(AcceleratorArn=first)
    assert make_accelerator(**request)["AcceleratorArn"] != first


@pytest.mark.localcloud_only
def test_bring_your_own_ip_addresses_are_not_served(ga, unique_name):
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        ga.create_accelerator(Name=unique_name, IpAddresses=["192.0.2.250"], IdempotencyToken=token())


@pytest.mark.parametrize(
    "name", ["-starts-with-dash", "ends-with-dash-", ".dot", "dot.", "under_score", "sp ace", "a" * 65]
)
def test_invalid_accelerator_names_are_refused(ga, name):
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        ga.create_accelerator(Name=name, IdempotencyToken=token())


def test_longest_and_dotted_names_are_accepted(make_accelerator):
    assert make_accelerator(Name="a" * 64)["Name"] == "a" * 64
    assert make_accelerator(Name="a.b-c9")["Name"] == "a.b-c9"


def test_unknown_ip_address_type_is_refused(ga, unique_name):
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        ga.create_accelerator(Name=unique_name, IpAddressType="IPV6", IdempotencyToken=token())


def test_requests_for_other_regions_are_refused(aws):
    # AWS has no endpoint outside us-west-2 (the connection fails); the local cloud answers with an error.
    client = aws.client("globalaccelerator", region="eu-west-1", config=NO_RETRIES)
    with pytest.raises((ClientError, EndpointConnectionError)) as excinfo:
        client.list_accelerators()
    if not on_aws(aws):
        assert error_code(excinfo) == "InvalidSignatureException"
        assert "us-west-2" in str(excinfo.value)


def test_update_accelerator_renames_and_disables_keeping_its_addresses(
    ga, make_accelerator, wait_deployed, unique_name
):
    created = make_accelerator()
    arn = created["AcceleratorArn"]
    wait_deployed(arn)
    updated = ga.update_accelerator(AcceleratorArn=arn, Name=f"{unique_name}-renamed", Enabled=False)["Accelerator"]
    assert (updated["Name"], updated["Enabled"], updated["Status"]) == (f"{unique_name}-renamed", False, "IN_PROGRESS")
    disabled = wait_deployed(arn)
    enabled = ga.update_accelerator(AcceleratorArn=arn, Enabled=True)["Accelerator"]
    assert disabled["Enabled"] is False and enabled["Enabled"] is True
    assert created["IpSets"] == disabled["IpSets"] == enabled["IpSets"]
    assert created["DnsName"] == enabled["DnsName"]


@pytest.mark.localcloud_only
def test_update_accelerator_switches_ip_address_type(ga, make_accelerator, wait_deployed):
    # AWS only lets an accelerator with dual-stack endpoints switch; the local cloud does not check that.
    arn = make_accelerator()["AcceleratorArn"]
    wait_deployed(arn)
    dual = ga.update_accelerator(AcceleratorArn=arn, IpAddressType="DUAL_STACK")["Accelerator"]
    assert "DualStackDnsName" in dual
    assert {ip_set["IpAddressFamily"] for ip_set in dual["IpSets"]} == {"IPv4", "IPv6"}


@pytest.mark.localcloud_only
def test_accelerator_changes_are_refused_while_in_progress(ga_once, make_accelerator):
    arn = make_accelerator()["AcceleratorArn"]
    with pytest.raises(ga_once.exceptions.TransactionInProgressException):
        ga_once.update_accelerator(AcceleratorArn=arn, Name="renamed")
    with pytest.raises(ga_once.exceptions.TransactionInProgressException):
        ga_once.update_accelerator_attributes(AcceleratorArn=arn, FlowLogsEnabled=False)


@pytest.mark.localcloud_only
def test_every_change_below_the_accelerator_starts_a_deployment(ga, make_accelerator, wait_deployed, make_eip):
    arn = make_accelerator()["AcceleratorArn"]
    wait_deployed(arn)
    listener_arn = make_listener(ga, arn)["ListenerArn"]
    assert ga.describe_accelerator(AcceleratorArn=arn)["Accelerator"]["Status"] == "IN_PROGRESS"
    wait_deployed(arn)
    group_arn = make_endpoint_group(ga, listener_arn)["EndpointGroupArn"]
    assert ga.describe_accelerator(AcceleratorArn=arn)["Accelerator"]["Status"] == "IN_PROGRESS"
    wait_deployed(arn)
    ga.add_endpoints(EndpointGroupArn=group_arn, EndpointConfigurations=[{"EndpointId": make_eip()}])
    assert ga.describe_accelerator(AcceleratorArn=arn)["Accelerator"]["Status"] == "IN_PROGRESS"
    deployed = wait_deployed(arn)
    ga.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert ga.describe_accelerator(AcceleratorArn=arn)["Accelerator"]["Status"] == "DEPLOYED"
    assert deployed["LastModifiedTime"] > deployed["CreatedTime"]


def test_unknown_and_malformed_arns(ga):
    with pytest.raises(ga.exceptions.AcceleratorNotFoundException):
        ga.describe_accelerator(AcceleratorArn=MISSING_ACCELERATOR)
    with pytest.raises(ga.exceptions.ListenerNotFoundException):
        ga.describe_listener(ListenerArn=f"{MISSING_ACCELERATOR}/listener/0123abcd")
    with pytest.raises(ga.exceptions.EndpointGroupNotFoundException):
        ga.describe_endpoint_group(
            EndpointGroupArn=f"{MISSING_ACCELERATOR}/listener/0123abcd/endpoint-group/0123456789ab"
        )
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        ga.describe_accelerator(AcceleratorArn="not-an-arn")


# --- deletion order ---------------------------------------------------------------------------------------


def test_delete_order_endpoint_groups_listeners_disable_then_accelerator(ga, make_accelerator, wait_deployed):
    arn = make_accelerator()["AcceleratorArn"]
    listener_arn = make_listener(ga, arn)["ListenerArn"]
    group_arn = make_endpoint_group(ga, listener_arn)["EndpointGroupArn"]
    wait_deployed(arn)
    with pytest.raises(ga.exceptions.AcceleratorNotDisabledException):
        ga.delete_accelerator(AcceleratorArn=arn)
    with pytest.raises(ga.exceptions.AssociatedEndpointGroupFoundException):
        ga.delete_listener(ListenerArn=listener_arn)
    ga.update_accelerator(AcceleratorArn=arn, Enabled=False)
    wait_deployed(arn)
    with pytest.raises(ga.exceptions.AssociatedListenerFoundException):
        ga.delete_accelerator(AcceleratorArn=arn)
    ga.delete_endpoint_group(EndpointGroupArn=group_arn)
    ga.delete_listener(ListenerArn=listener_arn)
    wait_deployed(arn)
    ga.delete_accelerator(AcceleratorArn=arn)
    with pytest.raises(ga.exceptions.AcceleratorNotFoundException):
        ga.describe_accelerator(AcceleratorArn=arn)


@pytest.mark.localcloud_only
def test_delete_waits_for_the_disable_and_other_changes_to_deploy(ga_once, make_accelerator, wait_deployed):
    arn = make_accelerator(Enabled=False)["AcceleratorArn"]
    with pytest.raises(ga_once.exceptions.TransactionInProgressException):
        ga_once.delete_accelerator(AcceleratorArn=arn)
    wait_deployed(arn)
    ga_once.update_accelerator(AcceleratorArn=arn, Enabled=True)
    wait_deployed(arn)
    ga_once.update_accelerator(AcceleratorArn=arn, Enabled=False)
    with pytest.raises(ga_once.exceptions.AcceleratorNotDisabledException):
        ga_once.delete_accelerator(AcceleratorArn=arn)
    wait_deployed(arn)
    ga_once.delete_accelerator(AcceleratorArn=arn)


# --- attributes -------------------------------------------------------------------------------------------


def test_flow_logs_are_off_by_default_and_need_bucket_and_prefix(ga, make_accelerator, wait_deployed):
    arn = make_accelerator()["AcceleratorArn"]
    attributes = ga.describe_accelerator_attributes(AcceleratorArn=arn)["AcceleratorAttributes"]
    assert attributes["FlowLogsEnabled"] is False
    wait_deployed(arn)
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        ga.update_accelerator_attributes(AcceleratorArn=arn, FlowLogsEnabled=True, FlowLogsS3Bucket="bucket")


@pytest.mark.localcloud_only
def test_enabling_flow_logs_starts_a_deployment(ga, make_accelerator, wait_deployed):
    # On AWS this needs a bucket whose policy lets Global Accelerator write; the local cloud does not check it.
    arn = make_accelerator()["AcceleratorArn"]
    wait_deployed(arn)
    given = {"FlowLogsEnabled": True, "FlowLogsS3Bucket": "flow-logs", "FlowLogsS3Prefix": "ga/"}
    attributes = ga.update_accelerator_attributes(AcceleratorArn=arn, **given)["AcceleratorAttributes"]
    assert attributes == given
    assert ga.describe_accelerator(AcceleratorArn=arn)["Accelerator"]["Status"] == "IN_PROGRESS"
    assert ga.describe_accelerator_attributes(AcceleratorArn=arn)["AcceleratorAttributes"] == given


# --- listeners --------------------------------------------------------------------------------------------


def test_listener_crud(ga, make_accelerator):
    arn = make_accelerator()["AcceleratorArn"]
    listener = make_listener(ga, arn, (443, 443), (8000, 8010))
    assert LISTENER_ARN.match(listener["ListenerArn"]) and listener["ListenerArn"].startswith(arn)
    assert listener["ClientAffinity"] == "NONE"
    assert listener["PortRanges"] == [{"FromPort": 443, "ToPort": 443}, {"FromPort": 8000, "ToPort": 8010}]
    updated = ga.update_listener(ListenerArn=listener["ListenerArn"], Protocol="UDP", ClientAffinity="SOURCE_IP")
    assert updated["Listener"]["PortRanges"] == listener["PortRanges"]
    assert (updated["Listener"]["Protocol"], updated["Listener"]["ClientAffinity"]) == ("UDP", "SOURCE_IP")
    assert ga.describe_listener(ListenerArn=listener["ListenerArn"])["Listener"] == updated["Listener"]
    ga.delete_listener(ListenerArn=listener["ListenerArn"])
    assert ga.list_listeners(AcceleratorArn=arn)["Listeners"] == []


def test_same_idempotency_token_returns_the_original_listener(ga, make_accelerator):
    arn = make_accelerator()["AcceleratorArn"]
    request = {"AcceleratorArn": arn, "PortRanges": [{"FromPort": 80, "ToPort": 80}], "Protocol": "TCP"}
    request["IdempotencyToken"] = token()
    first, again = ga.create_listener(**request), ga.create_listener(**request)
    assert first["Listener"]["ListenerArn"] == again["Listener"]["ListenerArn"]
    assert len(ga.list_listeners(AcceleratorArn=arn)["Listeners"]) == 1


def test_listener_on_unknown_accelerator(ga):
    with pytest.raises(ga.exceptions.AcceleratorNotFoundException):
        make_listener(ga, MISSING_ACCELERATOR)


@pytest.mark.parametrize(
    "ports",
    [[(80, 90), (85, 95)], [(90, 80)], [(1, 65536)]],
    ids=["overlapping", "from-above-to", "beyond-65535"],
)
def test_invalid_port_ranges(ga, make_accelerator, ports):
    arn = make_accelerator()["AcceleratorArn"]
    with pytest.raises(ga.exceptions.InvalidPortRangeException):
        make_listener(ga, arn, *ports)


def test_ports_are_unique_across_the_accelerators_listeners(ga, make_accelerator):
    arn = make_accelerator()["AcceleratorArn"]
    web = make_listener(ga, arn, (80, 80), (443, 443))
    games = make_listener(ga, arn, (3000, 3010), protocol="UDP")
    with pytest.raises(ga.exceptions.InvalidPortRangeException):
        make_listener(ga, arn, (3005, 3005), protocol="UDP")
    with pytest.raises(ga.exceptions.InvalidPortRangeException):
        ga.update_listener(ListenerArn=games["ListenerArn"], PortRanges=[{"FromPort": 443, "ToPort": 450}])
    moved = ga.update_listener(ListenerArn=web["ListenerArn"], PortRanges=[{"FromPort": 80, "ToPort": 81}])
    assert moved["Listener"]["PortRanges"] == [{"FromPort": 80, "ToPort": 81}]


def test_listener_quotas(ga_once, make_accelerator):
    arn = make_accelerator()["AcceleratorArn"]
    with pytest.raises(ga_once.exceptions.LimitExceededException):
        make_listener(ga_once, arn, *[(port, port) for port in range(1000, 1011)])
    for port in range(10):
        make_listener(ga_once, arn, (2000 + port, 2000 + port))
    with pytest.raises(ga_once.exceptions.LimitExceededException):
        make_listener(ga_once, arn, (3000, 3000))


# --- endpoint groups --------------------------------------------------------------------------------------


def test_endpoint_group_defaults(ga, make_accelerator, make_eip):
    listener = make_listener(ga, make_accelerator()["AcceleratorArn"], (443, 443), (80, 80))
    eip = make_eip("eu-west-1")
    group = make_endpoint_group(ga, listener["ListenerArn"], "eu-west-1", EndpointConfigurations=[{"EndpointId": eip}])
    assert ENDPOINT_GROUP_ARN.match(group["EndpointGroupArn"])
    assert group["EndpointGroupArn"].startswith(listener["ListenerArn"])
    assert group["EndpointGroupRegion"] == "eu-west-1"
    assert group["TrafficDialPercentage"] == 100.0
    assert group["HealthCheckPort"] == 443
    assert group["HealthCheckProtocol"] == "TCP"
    assert group["HealthCheckPath"] == "/"
    assert group["HealthCheckIntervalSeconds"] == 30
    assert group["ThresholdCount"] == 3
    assert group["PortOverrides"] == []
    [endpoint] = group["EndpointDescriptions"]
    assert (endpoint["EndpointId"], endpoint["Weight"]) == (eip, 128)
    assert endpoint["ClientIPPreservationEnabled"] is False


def test_one_endpoint_group_per_region_per_listener(ga, make_accelerator):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    make_endpoint_group(ga, listener_arn, "us-east-1")
    with pytest.raises(ga.exceptions.EndpointGroupAlreadyExistsException):
        make_endpoint_group(ga, listener_arn, "us-east-1")
    assert make_endpoint_group(ga, listener_arn, "us-east-2")["EndpointGroupRegion"] == "us-east-2"


def test_same_idempotency_token_returns_the_original_endpoint_group(ga, make_accelerator):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    request = {"ListenerArn": listener_arn, "EndpointGroupRegion": "us-east-1", "IdempotencyToken": token()}
    first, again = ga.create_endpoint_group(**request), ga.create_endpoint_group(**request)
    assert first["EndpointGroup"]["EndpointGroupArn"] == again["EndpointGroup"]["EndpointGroupArn"]


def test_endpoint_group_on_unknown_listener(ga):
    with pytest.raises(ga.exceptions.ListenerNotFoundException):
        make_endpoint_group(ga, f"{MISSING_ACCELERATOR}/listener/0123abcd")


@pytest.mark.parametrize(
    "settings",
    [
        {"EndpointGroupRegion": "moon-east-1"},
        {"TrafficDialPercentage": 100.5},
        {"HealthCheckIntervalSeconds": 20},
        {"HealthCheckIntervalSeconds": 31},
        {"ThresholdCount": 11},
        {"HealthCheckPort": 65536},
        {"HealthCheckProtocol": "UDP"},
        {"HealthCheckPath": "health"},
        {"HealthCheckPath": "/with space"},
        {"EndpointConfigurations": [{"EndpointId": "eipalloc-0123456789abcdef0"}]},
        {"EndpointConfigurations": [{"EndpointId": "not-an-endpoint"}]},
        {"PortOverrides": [{"ListenerPort": 80, "EndpointPort": 65536}]},
        {"PortOverrides": [{"ListenerPort": 80, "EndpointPort": 8080}, {"ListenerPort": 80, "EndpointPort": 8081}]},
        {"PortOverrides": [{"ListenerPort": 80, "EndpointPort": 443}]},
    ],
    ids=lambda settings: json.dumps(settings)[:60],
)
def test_endpoint_group_settings_are_validated(ga, make_accelerator, settings):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"], (80, 80), (443, 443))["ListenerArn"]
    request = {"ListenerArn": listener_arn, "EndpointGroupRegion": "us-east-1", "IdempotencyToken": token()}
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        ga.create_endpoint_group(**{**request, **settings})


def test_endpoint_weight_must_be_0_to_255(ga, make_accelerator, make_eip):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        make_endpoint_group(ga, listener_arn, EndpointConfigurations=[{"EndpointId": make_eip(), "Weight": 256}])
    group = make_endpoint_group(ga, listener_arn, EndpointConfigurations=[{"EndpointId": make_eip(), "Weight": 0}])
    assert group["EndpointDescriptions"][0]["Weight"] == 0


def test_port_override_quota(ga_once, make_accelerator):
    listener_arn = make_listener(ga_once, make_accelerator()["AcceleratorArn"], (100, 110))["ListenerArn"]
    overrides = [{"ListenerPort": 100 + i, "EndpointPort": 8100 + i} for i in range(11)]
    with pytest.raises(ga_once.exceptions.LimitExceededException):
        make_endpoint_group(ga_once, listener_arn, PortOverrides=overrides)
    group = make_endpoint_group(ga_once, listener_arn, PortOverrides=overrides[:10])
    assert len(group["PortOverrides"]) == 10


@pytest.mark.localcloud_only
def test_endpoint_quota(ga_once, make_accelerator, make_eip):
    # Eleven Elastic IPs exceed AWS's default quota of five per region, so this runs on the local cloud only.
    listener_arn = make_listener(ga_once, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    eleven = [{"EndpointId": make_eip()} for _ in range(11)]
    with pytest.raises(ga_once.exceptions.LimitExceededException):
        make_endpoint_group(ga_once, listener_arn, EndpointConfigurations=eleven)
    group_arn = make_endpoint_group(ga_once, listener_arn, EndpointConfigurations=eleven[:10])["EndpointGroupArn"]
    with pytest.raises(ga_once.exceptions.LimitExceededException):
        ga_once.add_endpoints(EndpointGroupArn=group_arn, EndpointConfigurations=eleven[10:])


def test_update_endpoint_group_keeps_what_it_is_not_given(ga, make_accelerator, make_eip):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"], (80, 80))["ListenerArn"]
    first, second = make_eip(), make_eip()
    group = make_endpoint_group(
        ga,
        listener_arn,
        EndpointConfigurations=[{"EndpointId": first, "Weight": 10}],
        HealthCheckProtocol="HTTP",
        HealthCheckPath="/healthz",
        HealthCheckIntervalSeconds=10,
        ThresholdCount=2,
        PortOverrides=[{"ListenerPort": 80, "EndpointPort": 8080}],
    )
    dialed = ga.update_endpoint_group(EndpointGroupArn=group["EndpointGroupArn"], TrafficDialPercentage=25.0)
    assert dialed["EndpointGroup"]["TrafficDialPercentage"] == 25.0
    untouched = set(group) - {"TrafficDialPercentage", "EndpointDescriptions"}
    assert {key: dialed["EndpointGroup"][key] for key in untouched} == {key: group[key] for key in untouched}
    assert [(e["EndpointId"], e["Weight"]) for e in dialed["EndpointGroup"]["EndpointDescriptions"]] == [(first, 10)]
    replaced = ga.update_endpoint_group(
        EndpointGroupArn=group["EndpointGroupArn"], EndpointConfigurations=[{"EndpointId": second}], PortOverrides=[]
    )["EndpointGroup"]
    assert endpoint_ids(replaced) == [second]
    assert replaced["EndpointDescriptions"][0]["Weight"] == 128
    assert replaced["PortOverrides"] == []
    assert (replaced["HealthCheckPath"], replaced["TrafficDialPercentage"]) == ("/healthz", 25.0)
    described = ga.describe_endpoint_group(EndpointGroupArn=group["EndpointGroupArn"])["EndpointGroup"]
    assert (endpoint_ids(described), described["PortOverrides"]) == ([second], [])


def test_add_and_remove_endpoints(ga, make_accelerator, make_eip):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    first, second = make_eip(), make_eip()
    group_arn = make_endpoint_group(ga, listener_arn, EndpointConfigurations=[{"EndpointId": first}])[
        "EndpointGroupArn"
    ]
    added = ga.add_endpoints(EndpointGroupArn=group_arn, EndpointConfigurations=[{"EndpointId": second, "Weight": 7}])
    assert added["EndpointGroupArn"] == group_arn
    assert [(e["EndpointId"], e["Weight"]) for e in added["EndpointDescriptions"]] == [(second, 7)]
    group = ga.describe_endpoint_group(EndpointGroupArn=group_arn)["EndpointGroup"]
    assert sorted(endpoint_ids(group)) == sorted([first, second])
    ga.remove_endpoints(EndpointGroupArn=group_arn, EndpointIdentifiers=[{"EndpointId": first}])
    assert endpoint_ids(ga.describe_endpoint_group(EndpointGroupArn=group_arn)["EndpointGroup"]) == [second]


def test_add_existing_or_remove_missing_endpoint(ga, make_accelerator, make_eip):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    present, absent = make_eip(), make_eip()
    group_arn = make_endpoint_group(ga, listener_arn, EndpointConfigurations=[{"EndpointId": present}])[
        "EndpointGroupArn"
    ]
    with pytest.raises(ga.exceptions.EndpointAlreadyExistsException):
        ga.add_endpoints(EndpointGroupArn=group_arn, EndpointConfigurations=[{"EndpointId": present}])
    with pytest.raises(ga.exceptions.EndpointNotFoundException):
        ga.remove_endpoints(EndpointGroupArn=group_arn, EndpointIdentifiers=[{"EndpointId": absent}])
    assert endpoint_ids(ga.describe_endpoint_group(EndpointGroupArn=group_arn)["EndpointGroup"]) == [present]


def test_endpoint_group_crud(ga, make_accelerator):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    group = make_endpoint_group(ga, listener_arn)
    assert ga.describe_endpoint_group(EndpointGroupArn=group["EndpointGroupArn"])["EndpointGroup"] == group
    assert ga.list_endpoint_groups(ListenerArn=listener_arn)["EndpointGroups"] == [group]
    ga.delete_endpoint_group(EndpointGroupArn=group["EndpointGroupArn"])
    assert ga.list_endpoint_groups(ListenerArn=listener_arn)["EndpointGroups"] == []
    with pytest.raises(ga.exceptions.EndpointGroupNotFoundException):
        ga.delete_endpoint_group(EndpointGroupArn=group["EndpointGroupArn"])


# --- endpoint health --------------------------------------------------------------------------------------


def make_alb(aws, region: str, name: str) -> tuple[str, str]:
    """An ALB forwarding to a target group with one running instance; returns (ALB ARN, target group ARN)."""
    ec2, elbv2 = aws.client("ec2", region=region), aws.client("elbv2", region=region)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"]
        for i, zone in enumerate("ab")
    ]
    alb_arn = elbv2.create_load_balancer(Name=name, Subnets=[s["SubnetId"] for s in subnets], Type="application")[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    target_group_arn = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc_id)["TargetGroups"][0][
        "TargetGroupArn"
    ]
    elbv2.create_listener(
        LoadBalancerArn=alb_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
    )
    instance_id = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnets[0]["SubnetId"])[
        "Instances"
    ][0]["InstanceId"]
    elbv2.register_targets(TargetGroupArn=target_group_arn, Targets=[{"Id": instance_id}])
    return alb_arn, target_group_arn


def wait_for_health(ga, group_arn: str, wanted: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        [endpoint] = ga.describe_endpoint_group(EndpointGroupArn=group_arn)["EndpointGroup"]["EndpointDescriptions"]
        if endpoint["HealthState"] == wanted:
            return endpoint
        assert time.monotonic() < deadline, f"endpoint still {endpoint['HealthState']}, wanted {wanted}"
        time.sleep(0.05)


@pytest.mark.localcloud_only
def test_alb_endpoint_health_follows_its_target_groups(aws, ga, make_accelerator, unique_name):
    alb_arn, target_group_arn = make_alb(aws, "eu-west-1", unique_name)
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    group = make_endpoint_group(ga, listener_arn, "eu-west-1", EndpointConfigurations=[{"EndpointId": alb_arn}])
    [endpoint] = group["EndpointDescriptions"]
    assert (endpoint["HealthState"], endpoint["ClientIPPreservationEnabled"]) == ("INITIAL", True)
    wait_for_health(ga, group["EndpointGroupArn"], "HEALTHY")
    target_id = aws.client("elbv2", region="eu-west-1").describe_target_health(TargetGroupArn=target_group_arn)[
        "TargetHealthDescriptions"
    ][0]["Target"]["Id"]
    aws.client("elbv2", region="eu-west-1").deregister_targets(
        TargetGroupArn=target_group_arn, Targets=[{"Id": target_id}]
    )
    wait_for_health(ga, group["EndpointGroupArn"], "UNHEALTHY")


@pytest.mark.localcloud_only
def test_alb_must_be_in_the_endpoint_groups_region(aws, ga, make_accelerator, unique_name):
    alb_arn, _ = make_alb(aws, "eu-west-1", unique_name)
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        make_endpoint_group(ga, listener_arn, "us-east-1", EndpointConfigurations=[{"EndpointId": alb_arn}])


@pytest.mark.localcloud_only
def test_instance_endpoint_preserves_client_ip_and_turns_healthy(aws, ga, make_accelerator):
    instance_id = aws.client("ec2", region="us-east-1").run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)[
        "Instances"
    ][0]["InstanceId"]
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    group = make_endpoint_group(ga, listener_arn, EndpointConfigurations=[{"EndpointId": instance_id}])
    assert group["EndpointDescriptions"][0]["ClientIPPreservationEnabled"] is True
    assert wait_for_health(ga, group["EndpointGroupArn"], "HEALTHY")["EndpointId"] == instance_id


# --- listing and pagination -------------------------------------------------------------------------------


def test_list_accelerators_pages(ga, make_accelerator):
    mine = {make_accelerator()["AcceleratorArn"] for _ in range(3)}
    seen, pages, kwargs = [], 0, {"MaxResults": 2}
    while True:
        page = ga.list_accelerators(**kwargs)
        assert len(page["Accelerators"]) <= 2
        seen += [accelerator["AcceleratorArn"] for accelerator in page["Accelerators"]]
        pages += 1
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert mine <= set(seen) and len(seen) == len(set(seen))
    assert pages >= 2


def test_list_listeners_and_endpoint_groups_page(ga, make_accelerator):
    arn = make_accelerator()["AcceleratorArn"]
    listeners = [make_listener(ga, arn, (port, port))["ListenerArn"] for port in (80, 81, 82)]
    paged = list(ga.get_paginator("list_listeners").paginate(AcceleratorArn=arn, PaginationConfig={"PageSize": 2}))
    assert [len(page["Listeners"]) for page in paged] == [2, 1]
    assert {item["ListenerArn"] for page in paged for item in page["Listeners"]} == set(listeners)
    groups = [
        make_endpoint_group(ga, listeners[0], region)["EndpointGroupArn"]
        for region in ("us-east-1", "us-east-2", "eu-west-1")
    ]
    paged = ga.get_paginator("list_endpoint_groups").paginate(
        ListenerArn=listeners[0], PaginationConfig={"PageSize": 1}
    )
    assert sorted(group["EndpointGroupArn"] for page in paged for group in page["EndpointGroups"]) == sorted(groups)


def test_list_page_size_is_1_to_100_and_tokens_are_checked(ga, make_accelerator):
    arn = make_accelerator()["AcceleratorArn"]
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        ga.list_accelerators(MaxResults=101)
    with pytest.raises(ga.exceptions.InvalidNextTokenException):
        ga.list_accelerators(NextToken="not-a-token")
    with pytest.raises(ga.exceptions.InvalidNextTokenException):
        ga.list_listeners(AcceleratorArn=arn, NextToken="not-a-token")
    with pytest.raises(ga.exceptions.AcceleratorNotFoundException):
        ga.list_listeners(AcceleratorArn=MISSING_ACCELERATOR)


@pytest.mark.localcloud_only
def test_accelerator_quota_and_default_page_size(ga_once, make_accelerator):
    arns = [make_accelerator()["AcceleratorArn"] for _ in range(20)]
    with pytest.raises(ga_once.exceptions.LimitExceededException):
        make_accelerator()
    first_page = ga_once.list_accelerators()
    assert [a["AcceleratorArn"] for a in first_page["Accelerators"]] == arns[:10]
    assert "NextToken" in first_page


# --- tags -------------------------------------------------------------------------------------------------


def test_tags_on_accelerators(ga, make_accelerator):
    arn = make_accelerator(Tags=[{"Key": "team", "Value": "edge"}, {"Key": "env", "Value": "test"}])["AcceleratorArn"]
    ga.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "cost", "Value": "42"}])
    ga.untag_resource(ResourceArn=arn, TagKeys=["team", "never-set"])
    tags = ga.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert sorted((tag["Key"], tag["Value"]) for tag in tags) == [("cost", "42"), ("env", "prod")]


def test_only_accelerators_take_tags(ga, make_accelerator):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    with pytest.raises(ga.exceptions.AcceleratorNotFoundException):
        ga.tag_resource(ResourceArn=listener_arn, Tags=[{"Key": "k", "Value": "v"}])
    with pytest.raises(ga.exceptions.AcceleratorNotFoundException):
        ga.tag_resource(ResourceArn=MISSING_ACCELERATOR, Tags=[{"Key": "k", "Value": "v"}])
    with pytest.raises(ga.exceptions.AcceleratorNotFoundException):
        ga.list_tags_for_resource(ResourceArn=MISSING_ACCELERATOR)


@pytest.mark.localcloud_only
def test_listeners_and_endpoint_groups_list_no_tags(ga, make_accelerator):
    listener_arn = make_listener(ga, make_accelerator()["AcceleratorArn"])["ListenerArn"]
    group_arn = make_endpoint_group(ga, listener_arn)["EndpointGroupArn"]
    assert ga.list_tags_for_resource(ResourceArn=listener_arn)["Tags"] == []
    assert ga.list_tags_for_resource(ResourceArn=group_arn)["Tags"] == []
    with pytest.raises(ga.exceptions.ListenerNotFoundException):
        ga.list_tags_for_resource(ResourceArn=f"{MISSING_ACCELERATOR}/listener/0123abcd")


def test_untag_a_deleted_accelerator_succeeds(ga, make_accelerator, wait_deployed):
    arn = make_accelerator(Enabled=False, Tags=[{"Key": "k", "Value": "v"}])["AcceleratorArn"]
    wait_deployed(arn)
    ga.delete_accelerator(AcceleratorArn=arn)
    ga.untag_resource(ResourceArn=arn, TagKeys=["k"])


def test_tag_values_are_validated(ga, make_accelerator):
    arn = make_accelerator()["AcceleratorArn"]
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        ga.tag_resource(ResourceArn=arn, Tags=[{"Key": "k" * 129, "Value": "v"}])
    with pytest.raises(ga.exceptions.InvalidArgumentException):
        ga.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v" * 257}])


# --- the local cloud itself -------------------------------------------------------------------------------


@pytest.mark.localcloud_only
def test_reset_forgets_every_accelerator(ga, make_accelerator, localcloud):
    arn = make_accelerator()["AcceleratorArn"]
    localcloud.reset()
    assert ga.list_accelerators()["Accelerators"] == []
    with pytest.raises(ga.exceptions.AcceleratorNotFoundException):
        ga.describe_accelerator(AcceleratorArn=arn)


@pytest.mark.localcloud_only
def test_unimplemented_operations_answer_an_aws_error(ga):
    with pytest.raises(ClientError) as excinfo:
        ga.list_custom_routing_accelerators()
    assert error_code(excinfo) == "UnknownOperationException"


def _aws_cli() -> str | None:
    next_to_python = os.path.dirname(sys.executable)
    return shutil.which("aws", path=os.pathsep.join([next_to_python, os.environ.get("PATH", "")]))


@pytest.mark.skipif(_aws_cli() is None, reason="the AWS CLI is not installed")
def test_aws_cli_creates_and_describes_an_accelerator(aws, ga, unique_name, make_accelerator, wait_deployed):
    command = [_aws_cli(), "globalaccelerator", "--region", HOME_REGION, "--output", "json"]
    env = dict(os.environ)
    if aws.endpoint_url:
        command += ["--endpoint-url", aws.endpoint_url]
        env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_CONFIG_FILE=os.devnull)
    arn = make_accelerator()["AcceleratorArn"]
    run = subprocess.run(
        [*command, "describe-accelerator", "--accelerator-arn", arn],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    described = json.loads(run.stdout)["Accelerator"]
    assert described["AcceleratorArn"] == arn
    assert isinstance(described["CreatedTime"], int | float)
    run = subprocess.run(
        [*command, "list-accelerators", "--max-results", "101"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert run.returncode != 0 and "InvalidArgumentException" in run.stderr
