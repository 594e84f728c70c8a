"""activeactive.aws.accelerator and accelerator_info, run through Ansible against the AWS under test."""

import os

import pytest

pytestmark = pytest.mark.integration

HOSTED_ZONE_ID = "Z2BJ6XQ5FK7U4H"
REAL_AWS = os.environ.get("ACTIVEACTIVE_TEST_TARGET") == "aws"


@pytest.fixture
def unique_name(unique_name):
    # Ansible masks the no_log secret_key ("test" on the local cloud) in every result: keep it out of names.
    return unique_name.replace("test", "ga")


def ga(aws):
    # The control plane lives in us-west-2 only, whatever region the play uses.
    return aws.client("globalaccelerator", region="us-west-2")


def accelerators_named(aws, name):
    pages = ga(aws).get_paginator("list_accelerators").paginate()
    return [a for page in pages for a in page["Accelerators"] if a["Name"] == name]


def only_accelerator(aws, name):
    found = accelerators_named(aws, name)
    assert len(found) == 1, found
    return found[0]


def tags_of(aws, arn):
    return {t["Key"]: t["Value"] for t in ga(aws).list_tags_for_resource(ResourceArn=arn)["Tags"]}


def accelerator_task(name, **options):
    return {
        "name": f"accelerator {options.get('state', 'present')}",
        "activeactive.aws.accelerator": dict(name=name, **options),
    }


@pytest.fixture
def cleanup(ansible):
    """Names of accelerators to delete after the test on real AWS (the local cloud resets between tests)."""
    names = []
    yield names
    if REAL_AWS and names:
        ansible.run([accelerator_task(name, state="absent", cascade=True) for name in names])


def checked(task):
    """The task in check mode, with diff."""
    return {**task, "check_mode": True, "diff": True}


def with_diff(task):
    return {**task, "diff": True}


def tolerated(task):
    return {**task, "ignore_errors": True}


def test_create_update_delete(ansible, aws, unique_name):
    name = unique_name
    create = accelerator_task(name, tags={"team": "web", "env": "dev"})
    update = accelerator_task(
        name,
        enabled=False,
        ip_address_type="DUAL_STACK",
        tags={"team": "api"},
        flow_logs={"enabled": True, "s3_bucket": "flow-logs", "s3_prefix": "one/"},
    )
    # A new flow log location while they stay enabled: disable, wait, enable.
    move_logs = accelerator_task(
        name,
        flow_logs={"enabled": True, "s3_bucket": "flow-logs-2", "s3_prefix": "two/"},
        tags={"extra": "1"},
        purge_tags=False,
    )
    info = {"name": "info", "activeactive.aws.accelerator_info": {"names": [name], "include_attributes": True}}

    (
        create_checked,
        after_create_checked,
        created,
        create_again,
        update_checked,
        after_update_checked,
        updated,
        update_again_checked,
        update_again,
        moved,
        moved_again,
    ) = ansible.run(
        [
            checked(create),
            info,
            with_diff(create),
            create,
            checked(update),
            info,
            with_diff(update),
            checked(update),
            update,
            move_logs,
            move_logs,
        ]
    )

    # Check mode: a predicted accelerator, nothing created.
    assert create_checked["changed"] is True
    assert create_checked["accelerator"]["name"] == name
    assert create_checked["accelerator"]["tags"] == {"team": "web", "env": "dev"}
    assert create_checked["diff"]["before"] == {} and create_checked["diff"]["after"]["name"] == name
    assert after_create_checked["accelerators"] == []

    # Create, then the same task again: not changed.
    assert created["changed"] is True
    accelerator = created["accelerator"]
    arn = accelerator["accelerator_arn"]
    assert accelerator["name"] == name
    assert accelerator["status"] == "DEPLOYED"
    assert accelerator["enabled"] is True
    assert accelerator["ip_address_type"] == "IPV4"
    assert accelerator["hosted_zone_id"] == HOSTED_ZONE_ID
    assert accelerator["dns_name"].endswith(".awsglobalaccelerator.com")
    assert accelerator["dual_stack_dns_name"] is None
    assert len(accelerator["ip_sets"][0]["ip_addresses"]) == 2
    assert accelerator["tags"] == {"team": "web", "env": "dev"}
    assert accelerator["attributes"]["flow_logs_enabled"] is False
    assert created["diff"]["before"] == {} and created["diff"]["after"]["accelerator_arn"] == arn
    assert create_again["changed"] is False
    assert create_again["accelerator"]["accelerator_arn"] == arn

    # Check mode of an update: reported, not made.
    assert update_checked["changed"] is True
    assert update_checked["accelerator"]["enabled"] is False
    assert update_checked["accelerator"]["ip_address_type"] == "DUAL_STACK"
    assert update_checked["accelerator"]["tags"] == {"team": "api"}
    assert update_checked["accelerator"]["attributes"]["flow_logs_s3_prefix"] == "one/"
    assert update_checked["diff"]["before"]["enabled"] is True
    assert update_checked["diff"]["after"]["enabled"] is False
    (unchanged,) = after_update_checked["accelerators"]
    assert unchanged["enabled"] is True and unchanged["ip_address_type"] == "IPV4"
    assert unchanged["tags"] == {"team": "web", "env": "dev"}

    # Every mutable field updated; then idempotent (in check mode too).
    assert updated["changed"] is True
    assert updated["diff"]["before"]["ip_address_type"] == "IPV4"
    assert updated["diff"]["after"]["ip_address_type"] == "DUAL_STACK"
    assert updated["accelerator"]["enabled"] is False
    assert updated["accelerator"]["dual_stack_dns_name"].endswith(".dualstack.awsglobalaccelerator.com")
    assert updated["accelerator"]["tags"] == {"team": "api"}
    assert update_again_checked["changed"] is False
    assert update_again["changed"] is False

    assert moved["changed"] is True
    assert moved["accelerator"]["attributes"] == {
        "flow_logs_enabled": True,
        "flow_logs_s3_bucket": "flow-logs-2",
        "flow_logs_s3_prefix": "two/",
    }
    assert moved["accelerator"]["tags"] == {"team": "api", "extra": "1"}
    assert moved_again["changed"] is False

    # What AWS holds.
    assert only_accelerator(aws, name)["AcceleratorArn"] == arn
    described = ga(aws).describe_accelerator(AcceleratorArn=arn)["Accelerator"]
    assert described["Enabled"] is False and described["IpAddressType"] == "DUAL_STACK"
    attributes = ga(aws).describe_accelerator_attributes(AcceleratorArn=arn)["AcceleratorAttributes"]
    assert attributes["FlowLogsEnabled"] is True
    assert attributes["FlowLogsS3Bucket"] == "flow-logs-2" and attributes["FlowLogsS3Prefix"] == "two/"
    assert tags_of(aws, arn) == {"team": "api", "extra": "1"}

    # Flow logs off, accelerator on, all tags dropped; then delete (check mode first) and delete again.
    delete = accelerator_task(name, state="absent")
    final, delete_checked, after_delete_checked, deleted, deleted_again = ansible.run(
        [
            accelerator_task(name, enabled=True, flow_logs={"enabled": False}, tags={}),
            checked(delete),
            info,
            with_diff(delete),
            delete,
        ]
    )
    assert final["changed"] is True
    assert final["accelerator"]["enabled"] is True
    assert final["accelerator"]["attributes"]["flow_logs_enabled"] is False
    assert final["accelerator"]["tags"] == {}
    assert delete_checked["changed"] is True
    assert delete_checked["diff"]["before"]["accelerator_arn"] == arn and delete_checked["diff"]["after"] == {}
    assert len(after_delete_checked["accelerators"]) == 1
    assert deleted["changed"] is True
    assert deleted["diff"]["before"]["accelerator_arn"] == arn and deleted["diff"]["after"] == {}
    assert "accelerator" not in deleted
    assert deleted_again["changed"] is False
    assert accelerators_named(aws, name) == []


def test_byoip_addresses_are_create_only(ansible, aws, unique_name):
    addresses = "{{ created.accelerator.ip_sets[0].ip_addresses }}"
    created, same, other, deleted = ansible.run(
        [
            {**accelerator_task(unique_name, wait=False), "register": "created"},
            # The addresses it has are fine; others fail before any change.
            accelerator_task(unique_name, ip_addresses=addresses),
            tolerated(accelerator_task(unique_name, ip_addresses=["198.51.100.10"], enabled=False)),
            accelerator_task(unique_name, state="absent"),
        ]
    )
    assert created["changed"] is True
    assert same["changed"] is False
    assert other["failed"] is True
    assert "ip_addresses can only be set when an accelerator is created" in other["msg"]
    assert all(address in other["msg"] for address in created["accelerator"]["ip_sets"][0]["ip_addresses"])
    assert deleted["changed"] is True
    assert accelerators_named(aws, unique_name) == []


def test_duplicate_names_fail_with_their_arns(ansible, aws, unique_name, cleanup):
    cleanup.append(unique_name)
    client = ga(aws)
    arns = sorted(
        client.create_accelerator(Name=unique_name, Enabled=False, IdempotencyToken=token)["Accelerator"][
            "AcceleratorArn"
        ]
        for token in ("one", "two")
    )
    present, absent = ansible.run(
        [tolerated(accelerator_task(unique_name)), tolerated(accelerator_task(unique_name, state="absent"))]
    )
    for result in (present, absent):
        assert result["failed"] is True
        assert f"Found 2 accelerators named {unique_name}" in result["msg"]
        assert all(arn in result["msg"] for arn in arns)
    assert len(accelerators_named(aws, unique_name)) == 2


def test_wait_timeout(ansible, aws, unique_name):
    timed_out, deleted = ansible.run(
        [
            tolerated(accelerator_task(unique_name, wait_timeout=0)),
            # The accelerator was made; the next task finds it instead of making another one.
            accelerator_task(unique_name, state="absent"),
        ]
    )
    assert timed_out["failed"] is True
    assert "Timed out after 0 seconds waiting for accelerator" in timed_out["msg"]
    assert "IN_PROGRESS" in timed_out["msg"]
    assert deleted["changed"] is True
    assert accelerators_named(aws, unique_name) == []


def test_info_filters(ansible, aws, unique_name, cleanup):
    client = ga(aws)
    made = {}
    for suffix, tags in (("a", {"team": "web", "env": "prod"}), ("b", {"team": "web"}), ("c", {"team": "db"})):
        name = f"{unique_name}-{suffix}"
        tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
        made[suffix] = client.create_accelerator(Name=name, Tags=tag_list, IdempotencyToken=name)["Accelerator"]
    names = [a["Name"] for a in made.values()]
    cleanup.extend(names)

    def info(**options):
        return {"name": "info", "activeactive.aws.accelerator_info": options}

    by_names, by_arns, by_tags, by_all, nothing, with_attributes, everything = ansible.run(
        [
            info(names=names[:2]),
            info(arns=[made["c"]["AcceleratorArn"], made["c"]["AcceleratorArn"][:-4] + "ffff"]),
            info(tags={"team": "web"}),
            info(names=names, tags={"env": "prod"}),
            info(names=["no-such-accelerator"]),
            info(names=[names[0]], include_attributes=True),
            info(),
        ]
    )
    assert [a["name"] for a in by_names["accelerators"]] == names[:2]
    assert [a["name"] for a in by_arns["accelerators"]] == [names[2]]
    assert {a["name"] for a in by_tags["accelerators"]} >= set(names[:2])
    assert names[2] not in {a["name"] for a in by_tags["accelerators"]}
    assert [a["name"] for a in by_all["accelerators"]] == [names[0]]
    assert nothing["accelerators"] == []
    (described,) = with_attributes["accelerators"]
    assert described["attributes"] == {"flow_logs_enabled": False}
    assert described["tags"] == {"team": "web", "env": "prod"}
    assert described["hosted_zone_id"] == HOSTED_ZONE_ID
    assert "listeners" not in described
    assert set(names) <= {a["name"] for a in everything["accelerators"]}
    assert by_names["changed"] is False


@pytest.mark.localcloud_only
def test_module_defaults_reach_amazon_aws_and_our_modules(ansible, localcloud):
    localcloud.clear_requests()
    caller, info = ansible.run(
        [
            {"name": "Who am I", "amazon.aws.aws_caller_info": {}},
            {"name": "Accelerators", "activeactive.aws.accelerator_info": {}},
        ]
    )
    assert caller["account"] == "123456789012"
    assert info["accelerators"] == []
    calls = {(r["service"], r["operation"], r["region"]) for r in localcloud.requests()}
    assert ("sts", "GetCallerIdentity", "us-east-1") in calls
    # The play says us-east-1; Global Accelerator is always asked in us-west-2.
    assert ("globalaccelerator", "ListAccelerators", "us-west-2") in calls


@pytest.mark.localcloud_only
def test_transient_errors_are_retried(ansible, aws, localcloud, unique_name):
    localcloud.clear_requests()
    for operation, code in (
        ("ListAccelerators", "ThrottlingException"),
        ("CreateAccelerator", "TransactionInProgressException"),
        ("DeleteAccelerator", "AssociatedListenerFoundException"),
        ("DeleteAccelerator", "AcceleratorNotDisabledException"),
    ):
        localcloud.add_fault(service="globalaccelerator", operation=operation, error_code=code, count=1)
    try:
        created, deleted = ansible.run(
            [accelerator_task(unique_name, wait=False), accelerator_task(unique_name, state="absent")]
        )
    finally:
        localcloud.clear_faults()
    assert created["changed"] is True and deleted["changed"] is True
    calls = [(r["operation"], r["error_code"]) for r in localcloud.requests() if r["service"] == "globalaccelerator"]
    # Each failed once, then succeeded; the retried create made one accelerator, not two.
    assert calls.count(("CreateAccelerator", "TransactionInProgressException")) == 1
    assert calls.count(("CreateAccelerator", None)) == 1
    assert calls.count(("DeleteAccelerator", "AssociatedListenerFoundException")) == 1
    assert calls.count(("DeleteAccelerator", "AcceleratorNotDisabledException")) == 1
    assert calls.count(("DeleteAccelerator", None)) == 1
    assert accelerators_named(aws, unique_name) == []
