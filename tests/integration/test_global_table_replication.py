"""global_table_replica and global_table_info through Ansible, read back with boto3 in every region.

A table in us-east-1 (created with community.aws.dynamodb_table) is replicated to eu-west-1 and ap-southeast-1
by three region hosts of one play running in parallel, each managing its own region.
"""

import json
import sys
import time
import uuid

import pytest
import yaml

pytestmark = pytest.mark.integration

HOME = "us-east-1"
REGIONS = [HOME, "eu-west-1", "ap-southeast-1"]
MODULE = "activeactive.aws.global_table_replica"


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------


def run_region_hosts(ansible, tasks, regions=REGIONS, check=False, diff=False, expect_failure=False):
    """Run ``tasks`` on one host per region, all hosts in parallel (no ``serial``); results by host.

    Each host has ``aws_region`` set to its region. Like ``ansible.run``, but with an inventory of region hosts.
    """
    inventory = {
        "all": {
            "hosts": {region: {"aws_region": region} for region in regions},
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        }
    }
    play = [
        {
            "name": "Region hosts",
            "hosts": "all",
            "gather_facts": False,
            "strategy": "linear",
            "module_defaults": {"group/activeactive.aws.aws": dict(ansible.aws.module_defaults)},
            "tasks": tasks,
        }
    ]
    stem = uuid.uuid4().hex[:8]
    inventory_file = ansible.tmp_path / f"inventory-{stem}.yml"
    playbook = ansible.tmp_path / f"play-{stem}.yml"
    inventory_file.write_text(yaml.safe_dump(inventory))
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    args = ["-i", str(inventory_file), "--forks", str(len(regions))]
    report, returncode, _stderr = ansible.playbook_report(str(playbook), args, check=check, diff=diff, timeout=900)
    results = {region: [] for region in regions}
    for played in report["plays"]:
        for task in played["tasks"]:
            for host, result in task["hosts"].items():
                results[host].append(result)
    if (returncode != 0) != expect_failure:
        raise AssertionError(
            f"ansible-playbook exit {returncode}:\n" + json.dumps(results, indent=2, default=str)[-8000:]
        )
    return results


def home_table_task(name, **options):
    spec = {"name": name, "hash_key_name": "id", "hash_key_type": "STRING", "billing_mode": "PAY_PER_REQUEST"}
    spec.update(options)
    return {"name": f"Home table {name}", "community.aws.dynamodb_table": dict(spec, region=HOME)}


def replica_task(name, region="{{ aws_region }}", check=False, diff=False, ignore_errors=False, **options):
    """A global_table_replica task; ``check``/``diff``/``ignore_errors`` become task keywords, so that one play
    can hold a check-mode task, the real one and its idempotent repeat."""
    args = {"table": name, "home_region": HOME, "region": region}
    args.update(options)
    task = {"name": f"Replica of {name} in {region}", MODULE: args}
    if check:
        task["check_mode"] = True
    if diff:
        task["diff"] = True
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def ddb(aws, region):
    return aws.client("dynamodb", region=region)


def describe(aws, name, region=HOME):
    return ddb(aws, region).describe_table(TableName=name)["Table"]


def replica_statuses(aws, name, region=HOME):
    return {r["RegionName"]: r["ReplicaStatus"] for r in describe(aws, name, region).get("Replicas", [])}


def regional(aws, name, region):
    """What one region says about its own table: deletion protection, PITR, class, tags."""
    client = ddb(aws, region)
    table = client.describe_table(TableName=name)["Table"]
    backups = client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    tags = client.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
    return {
        "status": table["TableStatus"],
        "deletion_protection": table.get("DeletionProtectionEnabled", False),
        "pitr": backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
        "table_class": table.get("TableClassSummary", {}).get("TableClass", "STANDARD"),
        "tags": {t["Key"]: t["Value"] for t in tags},
    }


def eventually(check, timeout=30.0, what="condition"):
    """Poll ``check()`` until it returns a truthy value (replication is asynchronous)."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def region_tags():
    return {"tags": {"Service": "sessions", "Region": "{{ aws_region }}"}}


# --------------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------------


def test_region_hosts_build_the_global_table_in_parallel(ansible, aws, unique_name, localcloud):
    name = unique_name
    ansible.run([home_table_task(name)])
    task = replica_task(name, point_in_time_recovery=True, **region_tags())

    # Check mode predicts the replicas and creates nothing.
    checked = run_region_hosts(ansible, [task], check=True, diff=True)
    for region in REGIONS:
        result = checked[region][0]
        assert result["changed"], region
        assert result["replica"]["region_name"] == region
        assert result["replica"]["point_in_time_recovery"] is True
        assert result["replica"]["tags"] == {"Service": "sessions", "Region": region}
    assert checked["eu-west-1"][0]["diff"]["before"] == {}
    assert checked["eu-west-1"][0]["replica"]["replica_status"] == "ACTIVE"
    assert "Replicas" not in describe(aws, name)
    for region in REGIONS[1:]:
        with pytest.raises(ddb(aws, region).exceptions.ResourceNotFoundException):
            describe(aws, name, region)

    # Three hosts at once: the two replica creations take turns, the home host sets the home region's settings.
    localcloud.clear_requests()
    results = run_region_hosts(ansible, [task])
    for region in REGIONS:
        result = results[region][0]
        assert result["changed"], region
        assert result["replica"]["replica_status"] == "ACTIVE"
        assert result["replica"]["is_home_region"] is (region == HOME)
    assert replica_statuses(aws, name) == {"eu-west-1": "ACTIVE", "ap-southeast-1": "ACTIVE"}
    assert describe(aws, name)["GlobalTableVersion"] == "2019.11.21"
    # Each host reports the replica list as it stood when its own replica was done.
    for region in REGIONS[1:]:
        listed = {r["region_name"]: r for r in results[region][0]["replicas"]}
        assert sorted(listed) == sorted(REGIONS)
        assert listed[region]["replica_status"] == "ACTIVE"
        assert listed[HOME]["is_home_region"] is True
        assert results[region][0]["replicas"][0]["region_name"] == HOME
    for region in REGIONS:
        seen = regional(aws, name, region)
        assert seen["status"] == "ACTIVE"
        assert seen["pitr"] == "ENABLED"
        assert seen["tags"] == {"Service": "sessions", "Region": region}
    updates = [r for r in localcloud.requests() if r["operation"] == "UpdateTable" and r["region"] == HOME]
    assert sum(1 for r in updates if r["status"] == 200) >= 2  # one create per replica
    assert all(r["error_code"] in (None, "ResourceInUseException", "LimitExceededException") for r in updates)

    # Run again, in check mode and not: nothing to do anywhere. Then the table as every region sees it.
    info = {"name": "Info", "activeactive.aws.global_table_info": {"table": name, "region": "eu-west-1"}}
    again = run_region_hosts(ansible, [dict(task, check_mode=True), task, dict(info, run_once=True)])
    for region in REGIONS:
        assert [again[region][0]["changed"], again[region][1]["changed"]] == [False, False], region
    described = next(again[region][2] for region in REGIONS if len(again[region]) > 2)  # run_once
    table = described["global_table"]
    assert described["exists"] is True
    assert table["region"] == "eu-west-1"
    assert [r["region_name"] for r in table["replicas"]][0] == "eu-west-1"
    assert {r["region_name"]: r["replica_status"] for r in table["replicas"]} == dict.fromkeys(REGIONS, "ACTIVE")
    assert table["key_schema"] == [{"attribute_name": "id", "key_type": "HASH"}]
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["stream_specification"]["stream_view_type"] == "NEW_AND_OLD_IMAGES"
    for region in REGIONS:
        view = table["regions"][region]
        assert view["table_status"] == "ACTIVE"
        assert view["point_in_time_recovery"] is True
        assert view["deletion_protection"] is False
        assert view["tags"]["Region"] == region
        assert sorted(r["region_name"] for r in view["sees_replicas"]) == sorted(set(REGIONS) - {region})

    # Replication end to end: a write in one region is read in the others.
    items = {region: ddb(aws, region) for region in REGIONS}
    items["eu-west-1"].put_item(TableName=name, Item={"id": {"S": "a"}, "v": {"S": "from-eu"}})
    for region in REGIONS:
        eventually(
            lambda r=region: items[r].get_item(TableName=name, Key={"id": {"S": "a"}}).get("Item"),
            what=f"item a in {region}",
        )
    # Conflicting writes to one item: the later one wins everywhere.
    items[HOME].put_item(TableName=name, Item={"id": {"S": "b"}, "v": {"S": "first"}})
    items["ap-southeast-1"].put_item(TableName=name, Item={"id": {"S": "b"}, "v": {"S": "second"}})

    def settled():
        values = {
            r: (items[r].get_item(TableName=name, Key={"id": {"S": "b"}}, ConsistentRead=True).get("Item") or {})
            .get("v", {})
            .get("S")
            for r in REGIONS
        }
        return values if set(values.values()) == {"second"} else None

    eventually(settled, what="the conflicting writes to settle on the later one")


def test_settings_change_in_one_region_only(ansible, aws, unique_name):
    name = unique_name
    ansible.run([home_table_task(name)])
    run_region_hosts(ansible, [replica_task(name, **region_tags())])
    before = {region: regional(aws, name, region) for region in REGIONS}

    eu_settings = dict(
        region="eu-west-1",
        deletion_protection=True,
        point_in_time_recovery=True,
        table_class="STANDARD_INFREQUENT_ACCESS",
        tags={"Service": "sessions", "Region": "eu-west-1", "Tier": "gold"},
    )
    checked = ansible.run([replica_task(name, check=True, diff=True, **eu_settings)])[0]
    assert checked["changed"]
    assert checked["diff"]["before"]["deletion_protection"] is False
    assert checked["diff"]["after"]["deletion_protection"] is True
    assert checked["diff"]["after"]["table_class"] == "STANDARD_INFREQUENT_ACCESS"
    assert regional(aws, name, "eu-west-1") == before["eu-west-1"]

    changed, again, more = ansible.run(
        [
            replica_task(name, diff=True, **eu_settings),
            replica_task(name, **eu_settings),
            # Tags of one region only, without purging.
            replica_task(name, region="ap-southeast-1", tags={"Extra": "1"}, purge_tags=False),
        ]
    )
    assert changed["changed"]
    assert changed["diff"]["after"] == changed["replica"]
    assert changed["replica"]["deletion_protection"] is True
    assert changed["replica"]["point_in_time_recovery"] is True
    assert changed["replica"]["table_class"] == "STANDARD_INFREQUENT_ACCESS"
    assert changed["replica"]["tags"]["Tier"] == "gold"
    assert not again["changed"]
    assert more["changed"]
    after = regional(aws, name, "eu-west-1")
    assert after["deletion_protection"] is True
    assert after["pitr"] == "ENABLED"
    assert after["table_class"] == "STANDARD_INFREQUENT_ACCESS"
    assert after["tags"] == {"Service": "sessions", "Region": "eu-west-1", "Tier": "gold"}
    entry = {r["RegionName"]: r for r in describe(aws, name)["Replicas"]}["eu-west-1"]
    assert entry["ReplicaTableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert regional(aws, name, HOME) == before[HOME]
    ap = dict(before["ap-southeast-1"], tags={"Service": "sessions", "Region": "ap-southeast-1", "Extra": "1"})
    assert regional(aws, name, "ap-southeast-1") == ap

    # Deletion protection blocks the removal, and the message says how to lift it.
    ddb(aws, "eu-west-1").put_item(TableName=name, Item={"id": {"S": "kept"}})
    refused, checked = ansible.run(
        [
            replica_task(name, region="eu-west-1", state="absent", ignore_errors=True),
            replica_task(name, region="eu-west-1", state="absent", deletion_protection=False, check=True),
        ]
    )
    assert refused["failed"]
    assert "protected against deletion" in refused["msg"]
    assert "deletion_protection: false" in refused["msg"]
    assert checked["changed"] and checked["replica"] == {}
    assert replica_statuses(aws, name)["eu-west-1"] == "ACTIVE"
    assert regional(aws, name, "eu-west-1")["deletion_protection"] is True

    # Lifting it in the same task removes the replica; its data stays in the other regions.
    remove = replica_task(name, region="eu-west-1", state="absent", deletion_protection=False, diff=True)
    removed, again = ansible.run([remove, remove])
    assert removed["changed"]
    assert removed["replica"] == {}
    assert removed["diff"]["before"]["region_name"] == "eu-west-1"
    assert removed["diff"]["after"] == {}
    assert [r["region_name"] for r in removed["replicas"]] == [HOME, "ap-southeast-1"]
    assert not again["changed"]
    assert replica_statuses(aws, name) == {"ap-southeast-1": "ACTIVE"}
    with pytest.raises(ddb(aws, "eu-west-1").exceptions.ResourceNotFoundException):
        describe(aws, name, "eu-west-1")
    assert ddb(aws, HOME).get_item(TableName=name, Key={"id": {"S": "kept"}})["Item"]
    assert regional(aws, name, HOME) == before[HOME]

    # The region can be added again, and gets the data back.
    assert ansible.run([replica_task(name, region="eu-west-1")])[0]["changed"]
    assert replica_statuses(aws, name) == {"ap-southeast-1": "ACTIVE", "eu-west-1": "ACTIVE"}
    assert ddb(aws, "eu-west-1").get_item(TableName=name, Key={"id": {"S": "kept"}})["Item"]


@pytest.mark.localcloud_only
def test_waits_its_turn_while_the_table_is_busy(ansible, aws, unique_name, localcloud):
    name = unique_name
    ansible.run([home_table_task(name)])
    # As AWS answers while another replica is being added or removed.
    localcloud.add_fault(
        service="dynamodb", operation="UpdateTable", region=HOME, error_code="ResourceInUseException", count=2
    )
    localcloud.add_fault(
        service="dynamodb",
        operation="UpdateTable",
        region=HOME,
        error_code="LimitExceededException",
        message="Subscriber limit exceeded: Only 500 tables can be created, updated, or deleted simultaneously",
        count=1,
    )
    localcloud.clear_requests()
    result = ansible.run([replica_task(name, region="eu-west-1")])[0]
    assert result["changed"]
    assert replica_statuses(aws, name) == {"eu-west-1": "ACTIVE"}
    codes = [r["error_code"] for r in localcloud.requests() if r["operation"] == "UpdateTable"]
    assert codes[:4] == ["ResourceInUseException", "ResourceInUseException", "LimitExceededException", None]


def test_refusals_before_any_change(ansible, aws, unique_name, localcloud):
    name, other = unique_name, f"{unique_name}-od"
    ansible.run(
        [
            home_table_task(name, billing_mode="PROVISIONED", read_capacity=5, write_capacity=5),
            home_table_task(other),
        ]
    )
    localcloud.clear_requests()
    unknown, unscaled, wrong, missing = ansible.run(
        [
            # A region botocore does not know: refused before any call.
            replica_task(name, region="eu-west-9", ignore_errors=True),
            # Provisioned writes without autoscaling: AWS's own words, and no UpdateTable sent.
            replica_task(name, region="eu-west-1", ignore_errors=True),
            # read_capacity_override on an on-demand table: refused with the reason.
            replica_task(other, region="eu-west-1", read_capacity_override=10, ignore_errors=True),
            # A table that is not there.
            replica_task(f"{name}-nope", region="eu-west-1", ignore_errors=True),
        ]
    )
    assert unknown["failed"]
    assert "eu-west-9" in unknown["msg"] and "not a region" in unknown["msg"]
    assert unscaled["failed"]
    assert "Table write capacity should either be Pay-Per-Request or AutoScaled." in unscaled["msg"]
    assert wrong["failed"]
    assert "PROVISIONED" in wrong["msg"]
    assert missing["failed"]
    assert "not found in home region us-east-1" in missing["msg"]
    for result in (unknown, unscaled, wrong, missing):
        assert "module_stderr" not in result and "MODULE FAILURE" not in result["msg"]  # the module did not crash
    requests = localcloud.requests()
    assert not [r for r in requests if r["region"] == "eu-west-9"]
    assert not [r for r in requests if r["operation"] == "UpdateTable"]
    assert "Replicas" not in describe(aws, name) and "Replicas" not in describe(aws, other)


def test_provisioned_table_with_autoscaled_writes_and_read_override(ansible, aws, unique_name):
    name = unique_name
    ansible.run([home_table_task(name, billing_mode="PROVISIONED", read_capacity=5, write_capacity=5)])
    autoscaling = aws.client("application-autoscaling", region=HOME)
    target = {
        "ServiceNamespace": "dynamodb",
        "ResourceId": f"table/{name}",
        "ScalableDimension": "dynamodb:table:WriteCapacityUnits",
    }
    autoscaling.register_scalable_target(MinCapacity=5, MaxCapacity=50, **target)
    autoscaling.put_scaling_policy(
        PolicyName=f"{name}-writes",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"},
        },
        **target,
    )
    task = replica_task(name, region="eu-west-1", read_capacity_override=10)
    created, again = ansible.run([task, task])
    assert created["changed"] and not again["changed"]
    assert created["replica"]["read_capacity_override"] == 10
    entry = {r["RegionName"]: r for r in describe(aws, name)["Replicas"]}["eu-west-1"]
    assert entry["ProvisionedThroughputOverride"] == {"ReadCapacityUnits": 10}

    bigger, home_same, home_other = ansible.run(
        [
            replica_task(name, region="eu-west-1", read_capacity_override=20),
            # The home region's read capacity is the table's own: the same value is no change, another is refused.
            replica_task(name, region=HOME, read_capacity_override=5),
            replica_task(name, region=HOME, read_capacity_override=7, ignore_errors=True),
        ]
    )
    assert bigger["changed"]
    entry = {r["RegionName"]: r for r in describe(aws, name)["Replicas"]}["eu-west-1"]
    assert entry["ProvisionedThroughputOverride"] == {"ReadCapacityUnits": 20}
    assert describe(aws, name)["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert not home_same["changed"]
    assert home_other["failed"] and "home region" in home_other["msg"]


def test_kms_key_change_needs_recreate(ansible, aws, unique_name):
    name = unique_name
    ansible.run([home_table_task(name), replica_task(name, region="eu-west-1")])
    kms = aws.client("kms", region="eu-west-1")
    key = kms.create_key(Description="replica key")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key["KeyId"])
    ddb(aws, HOME).put_item(TableName=name, Item={"id": {"S": "x"}})
    eventually(lambda: ddb(aws, "eu-west-1").get_item(TableName=name, Key={"id": {"S": "x"}}).get("Item"))

    refused, recreated, by_alias = ansible.run(
        [
            replica_task(name, region="eu-west-1", kms_master_key_id=key["Arn"], ignore_errors=True),
            replica_task(name, region="eu-west-1", kms_master_key_id=key["Arn"], recreate=True),
            # The same key by its alias: no change.
            replica_task(name, region="eu-west-1", kms_master_key_id=f"alias/{name}"),
        ]
    )
    assert refused["failed"]
    assert "must be recreated" in refused["msg"] and "recreate=true" in refused["msg"]
    assert recreated["changed"]
    assert recreated["replica"]["kms_master_key_id"] == key["Arn"]
    assert not by_alias["changed"]
    assert replica_statuses(aws, name) == {"eu-west-1": "ACTIVE"}
    # Its data came back from the home region.
    assert eventually(lambda: ddb(aws, "eu-west-1").get_item(TableName=name, Key={"id": {"S": "x"}}).get("Item"))
