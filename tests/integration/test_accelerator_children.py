"""accelerator_listener and accelerator_endpoint_group (with real ALBs in eu-west-1), through Ansible."""

import os
from collections import Counter

import pytest

pytestmark = pytest.mark.integration

REAL_AWS = os.environ.get("ACTIVEACTIVE_TEST_TARGET") == "aws"
REGION = "eu-west-1"


@pytest.fixture
def unique_name(unique_name):
    # Ansible masks the no_log secret_key ("test" on the local cloud) in every result: keep it out of names.
    return unique_name.replace("test", "ga")


def ga(aws):
    return aws.client("globalaccelerator", region="us-west-2")


@pytest.fixture
def albs(aws, unique_name):
    """Two internet-facing ALBs in eu-west-1, in the default VPC's subnets."""
    ec2 = aws.client("ec2", region=REGION)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    subnet_ids = [s["SubnetId"] for s in subnets[:2]]
    elbv2 = aws.client("elbv2", region=REGION)
    made = [
        elbv2.create_load_balancer(Name=f"{unique_name}-{n}", Subnets=subnet_ids, Type="application")["LoadBalancers"][
            0
        ]
        for n in (1, 2)
    ]
    yield made
    for alb in made:
        elbv2.delete_load_balancer(LoadBalancerArn=alb["LoadBalancerArn"])


def task(module, **options):
    return {"name": module, f"activeactive.aws.{module}": options}


def checked(task_):
    return {**task_, "check_mode": True, "diff": True}


def with_diff(task_):
    return {**task_, "diff": True}


def tolerated(task_):
    return {**task_, "ignore_errors": True}


def test_listener_and_endpoint_group(ansible, aws, unique_name, albs, request):
    if not REAL_AWS:
        request.getfixturevalue("localcloud").clear_requests()
    name = unique_name
    alb1, alb2 = albs
    ports = [{"from_port": 80}, {"from_port": 443}]
    listener_options = {"accelerator": name, "protocol": "TCP", "port_ranges": ports}
    listener = task("accelerator_listener", **listener_options)
    group_identity = {"accelerator": name, "listener_port": 443, "endpoint_group_region": REGION}
    group = task(
        "accelerator_endpoint_group",
        **group_identity,
        endpoints=[{"endpoint_id": alb1["LoadBalancerName"]}],  # a name, resolved to the ARN
        health_check_interval_seconds=10,
    )
    reweighted = task(
        "accelerator_endpoint_group",
        **group_identity,
        endpoints=[{"endpoint_id": alb1["LoadBalancerArn"], "weight": 7}],
    )
    both = task(
        "accelerator_endpoint_group",
        **group_identity,
        endpoints=[
            {"endpoint_id": alb1["LoadBalancerArn"], "weight": 7},
            {"endpoint_id": alb2["LoadBalancerArn"], "weight": 200, "client_ip_preservation": False},
        ],
    )
    second_only = task(
        "accelerator_endpoint_group",
        **group_identity,
        endpoints=[{"endpoint_id": alb2["LoadBalancerName"], "weight": 200}],
    )
    settings = task(
        "accelerator_endpoint_group",
        listener_arn="{{ made_listener.listener.listener_arn }}",
        endpoint_group_region=REGION,
        traffic_dial_percentage=50,
        health_check_port=443,
        health_check_protocol="HTTP",
        health_check_path="/health",
        threshold_count=5,
        port_overrides=[{"listener_port": 443, "endpoint_port": 8443}],
    )
    results = ansible.run(
        [
            task("accelerator", name=name),
            checked(listener),
            {**with_diff(listener), "register": "made_listener"},
            task("accelerator_listener", accelerator=name, protocol="TCP", port_ranges=list(reversed(ports))),
            with_diff(task("accelerator_listener", **listener_options, client_affinity="SOURCE_IP")),
            checked(group),
            with_diff(group),
            group,
            checked(reweighted),
            with_diff(reweighted),
            both,
            second_only,
            with_diff(settings),
            settings,
            task("accelerator_info", names=[name], include_endpoint_groups=True),
            tolerated(task("accelerator_listener", **listener_options, state="absent")),
            tolerated(task("accelerator", name=name, state="absent")),
            task(
                "accelerator_listener",
                listener_arn="{{ made_listener.listener.listener_arn }}",
                port_ranges=[{"from_port": 8080, "to_port": 8081}, {"from_port": 443}],
            ),
        ]
    )
    (
        accelerator,
        listener_checked,
        listener_made,
        listener_again,
        affinity,
        group_checked,
        group_made,
        group_again,
        reweight_checked,
        reweight,
        added,
        removed,
        settings_changed,
        settings_again,
        info,
        listener_delete,
        accelerator_delete,
        listener_moved,
    ) = results
    accelerator_arn = accelerator["accelerator"]["accelerator_arn"]

    # Listener: check mode, create, same ports in another order, client affinity.
    assert listener_checked["changed"] is True
    assert listener_checked["listener"]["listener_arn"] is None
    assert listener_checked["diff"]["before"] == {}
    assert listener_made["changed"] is True
    listener_arn = listener_made["listener"]["listener_arn"]
    assert listener_made["listener"] == {
        "listener_arn": listener_arn,
        "accelerator_arn": accelerator_arn,
        "protocol": "TCP",
        "client_affinity": "NONE",
        "port_ranges": [{"from_port": 80, "to_port": 80}, {"from_port": 443, "to_port": 443}],
    }
    assert listener_again["changed"] is False and listener_again["listener"]["listener_arn"] == listener_arn
    assert affinity["changed"] is True
    assert affinity["diff"]["before"]["client_affinity"] == "NONE"
    assert affinity["listener"]["client_affinity"] == "SOURCE_IP"

    # Endpoint group: check mode, create with an ALB name, idempotent.
    assert group_checked["changed"] is True
    assert group_checked["endpoint_group"]["endpoint_descriptions"][0]["endpoint_id"] == alb1["LoadBalancerArn"]
    assert group_made["changed"] is True
    made = group_made["endpoint_group"]
    assert made["listener_arn"] == listener_arn and made["accelerator_arn"] == accelerator_arn
    assert made["endpoint_group_region"] == REGION
    assert made["health_check_interval_seconds"] == 10
    assert [(e["endpoint_id"], e["weight"]) for e in made["endpoint_descriptions"]] == [(alb1["LoadBalancerArn"], 128)]
    assert group_made["diff"]["before"] == {}
    assert group_again["changed"] is False

    # Weight: check mode predicts, the real run changes it.
    assert reweight_checked["changed"] is True
    assert reweight_checked["endpoint_group"]["endpoint_descriptions"][0]["weight"] == 7
    assert reweight["changed"] is True
    assert reweight["diff"]["before"]["endpoint_descriptions"][0]["weight"] == 128
    assert reweight["endpoint_group"]["endpoint_descriptions"][0]["weight"] == 7

    # Membership: add a second ALB, then remove the first.
    assert added["changed"] is True
    assert {
        (e["endpoint_id"], e["weight"], e["client_ip_preservation_enabled"])
        for e in added["endpoint_group"]["endpoint_descriptions"]
    } == {
        (alb1["LoadBalancerArn"], 7, True),
        (alb2["LoadBalancerArn"], 200, False),
    }
    assert removed["changed"] is True
    assert [e["endpoint_id"] for e in removed["endpoint_group"]["endpoint_descriptions"]] == [alb2["LoadBalancerArn"]]

    # Dial, health checks and port overrides (group found through listener_arn); endpoints untouched.
    assert settings_changed["changed"] is True
    after = settings_changed["endpoint_group"]
    assert after["traffic_dial_percentage"] == 50.0
    assert (after["health_check_port"], after["health_check_protocol"], after["health_check_path"]) == (
        443,
        "HTTP",
        "/health",
    )
    assert after["threshold_count"] == 5 and after["health_check_interval_seconds"] == 10
    assert after["port_overrides"] == [{"listener_port": 443, "endpoint_port": 8443}]
    assert [e["endpoint_id"] for e in after["endpoint_descriptions"]] == [alb2["LoadBalancerArn"]]
    assert settings_changed["diff"]["before"]["traffic_dial_percentage"] == 100.0
    assert settings_again["changed"] is False

    # accelerator_info with endpoint groups and each endpoint's health.
    (described,) = info["accelerators"]
    (described_listener,) = described["listeners"]
    assert described_listener["listener_arn"] == listener_arn
    (described_group,) = described_listener["endpoint_groups"]
    assert described_group["endpoint_group_arn"] == made["endpoint_group_arn"]
    (endpoint,) = described_group["endpoint_descriptions"]
    assert endpoint["health_state"] in ("INITIAL", "HEALTHY", "UNHEALTHY")

    # Children block deletes, and the errors name them.
    assert listener_delete["failed"] is True
    assert (
        "still has endpoint groups" in listener_delete["msg"] and made["endpoint_group_arn"] in listener_delete["msg"]
    )
    assert accelerator_delete["failed"] is True
    assert listener_arn in accelerator_delete["msg"] and "cascade=true" in accelerator_delete["msg"]

    # The listener moved through its ARN.
    assert listener_moved["changed"] is True
    assert listener_moved["listener"]["port_ranges"] == [
        {"from_port": 443, "to_port": 443},
        {"from_port": 8080, "to_port": 8081},
    ]

    # What AWS holds.
    described = ga(aws).describe_endpoint_group(EndpointGroupArn=made["endpoint_group_arn"])["EndpointGroup"]
    assert [e["EndpointId"] for e in described["EndpointDescriptions"]] == [alb2["LoadBalancerArn"]]
    assert described["TrafficDialPercentage"] == 50.0
    assert ga(aws).describe_listener(ListenerArn=listener_arn)["Listener"]["ClientAffinity"] == "SOURCE_IP"

    if not REAL_AWS:
        calls = Counter(
            r["operation"]
            for r in request.getfixturevalue("localcloud").requests()
            if r["service"] == "globalaccelerator" and r["status"] < 300
        )
        # Check mode made no call; membership went through Add/RemoveEndpoints, weights through
        # UpdateEndpointGroup.
        assert calls["CreateListener"] == 1
        assert calls["UpdateListener"] == 2
        assert calls["CreateEndpointGroup"] == 1
        assert calls["UpdateEndpointGroup"] == 2
        assert calls["AddEndpoints"] == 1
        assert calls["RemoveEndpoints"] == 1
        assert calls["DeleteListener"] == 0 and calls["DeleteAccelerator"] == 0

    # Teardown: the endpoint group and listener one by one (check mode first), then the accelerator.
    group_absent = task("accelerator_endpoint_group", **group_identity, state="absent")
    listener_absent = task("accelerator_listener", listener_arn=listener_arn, state="absent")
    (
        group_absent_checked,
        group_deleted,
        group_deleted_again,
        listener_absent_checked,
        listener_deleted,
        listener_deleted_again,
        accelerator_deleted,
        group_gone_parent,
    ) = ansible.run(
        [
            checked(group_absent),
            with_diff(group_absent),
            group_absent,
            checked(listener_absent),
            with_diff(listener_absent),
            listener_absent,
            task("accelerator", name=name, state="absent"),
            group_absent,
        ]
    )
    assert group_absent_checked["changed"] is True
    assert group_deleted["changed"] is True and group_deleted["diff"]["after"] == {}
    assert group_deleted_again["changed"] is False
    assert listener_absent_checked["changed"] is True
    assert listener_deleted["changed"] is True and listener_deleted["diff"]["before"]["listener_arn"] == listener_arn
    assert listener_deleted_again["changed"] is False
    assert accelerator_deleted["changed"] is True
    assert group_gone_parent["changed"] is False
    assert all(a["Name"] != name for a in ga(aws).list_accelerators(MaxResults=100)["Accelerators"])


def test_cascade_delete(ansible, aws, unique_name, albs):
    name = unique_name
    (_acc, _l1, _l2, _g1, _g2, checked_delete, deleted, deleted_again) = ansible.run(
        [
            task("accelerator", name=name, wait=False),
            task(
                "accelerator_listener", accelerator=name, protocol="TCP", port_ranges=[{"from_port": 443}], wait=False
            ),
            task("accelerator_listener", accelerator=name, protocol="UDP", port_ranges=[{"from_port": 53}], wait=False),
            task(
                "accelerator_endpoint_group",
                accelerator=name,
                listener_port=443,
                endpoint_group_region=REGION,
                endpoints=[{"endpoint_id": albs[0]["LoadBalancerArn"]}],
                wait=False,
            ),
            task(
                "accelerator_endpoint_group",
                accelerator=name,
                listener_port=443,
                endpoint_group_region="us-east-1",
                wait=False,
            ),
            checked(task("accelerator", name=name, state="absent", cascade=True)),
            task("accelerator", name=name, state="absent", cascade=True),
            task("accelerator", name=name, state="absent", cascade=True),
        ]
    )
    assert checked_delete["changed"] is True
    assert deleted["changed"] is True
    assert deleted_again["changed"] is False
    assert all(a["Name"] != name for a in ga(aws).list_accelerators(MaxResults=100)["Accelerators"])


def test_missing_parents(ansible, aws, unique_name):
    """A missing accelerator or listener fails with state=present, is fine with state=absent and in check mode."""
    name = unique_name
    listener = {"accelerator": name, "protocol": "TCP", "port_ranges": [{"from_port": 80}]}
    group = {"accelerator": name, "listener_port": 80, "endpoint_group_region": REGION}
    results = ansible.run(
        [
            tolerated(task("accelerator_listener", **listener)),
            task("accelerator_listener", **listener, state="absent"),
            checked(task("accelerator_listener", **listener)),
            tolerated(task("accelerator_endpoint_group", **group)),
            task("accelerator_endpoint_group", **group, state="absent"),
            checked(task("accelerator_endpoint_group", **group)),
            tolerated(
                task(
                    "accelerator_endpoint_group",
                    listener_arn="arn:aws:globalaccelerator::123456789012:accelerator/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab"
                    "/listener/abcdef01",
                    endpoint_group_region=REGION,
                )
            ),
            task("accelerator", name=name, wait=False),
            tolerated(task("accelerator_endpoint_group", **group)),
            task("accelerator_listener", **listener, wait=False),
            tolerated(task("accelerator_endpoint_group", **group, endpoints=[{"endpoint_id": "no-such-alb"}])),
            task("accelerator", name=name, state="absent", cascade=True),
        ]
    )
    listener_missing, listener_absent, listener_checked, group_missing, group_absent, group_checked, arn_missing = (
        results[:7]
    )
    assert listener_missing["failed"] is True and f"Accelerator {name} does not exist" in listener_missing["msg"]
    assert listener_absent["changed"] is False
    assert listener_checked["changed"] is True and listener_checked["warnings"]
    assert group_missing["failed"] is True and f"Accelerator {name} does not exist" in group_missing["msg"]
    assert group_absent["changed"] is False
    assert group_checked["changed"] is True
    assert arn_missing["failed"] is True and "does not exist" in arn_missing["msg"]
    no_listener, _listener, no_alb, _deleted = results[8:]
    assert no_listener["failed"] is True and "has no listener on port 80" in no_listener["msg"]
    assert no_alb["failed"] is True
    assert f"endpoints[0].endpoint_id: there is no load balancer named no-such-alb in {REGION}" in no_alb["msg"]
