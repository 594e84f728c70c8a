"""Contract: DynamoDB global tables (version 2019.11.21) replica management and cross-region replication.

Everything here holds on real AWS too (``ACTIVEACTIVE_TEST_TARGET=aws``), except the tests marked
``localcloud_only``, which steer the local cloud (faults, reset, time scale, limits). Waits poll with a deadline:
on the local cloud (time scale 0.01) a replica is ACTIVE in about 3 s, on AWS in minutes.
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REAL_AWS = os.environ.get("ACTIVEACTIVE_TEST_TARGET") == "aws"
HOME, REPLICA, THIRD = "us-east-1", "eu-west-1", "us-west-2"
DEADLINE_SECONDS = 3600 if REAL_AWS else 30
POLL_SECONDS = 5 if REAL_AWS else 0.05

IN_USE = "The resource which you are attempting to change is in use."
STREAM_FROZEN = "One or more parameter values were invalid: Disabling Stream is not allowed for a Global Table replica."
PROTECTED = (
    "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
)
SOURCE_WINDOW = (
    "Replica cannot be deleted because it has acted as a source region for new replica(s) being added to the table "
    "in the last 24 hours."
)
NOT_AUTOSCALED = "Table write capacity should either be Pay-Per-Request or AutoScaled."
KEY = {"pk": {"S": "item"}}


def not_a_member(region: str) -> str:
    return (
        "Update global table operation failed because one or more replicas were not part of the global table. "
        f"Please retry the request without these replicas: [{region}]."
    )


@pytest.fixture
def ddb(aws):
    """DynamoDB clients by region, made once per test."""
    clients = {}

    def client(region: str = HOME):
        if region not in clients:
            clients[region] = aws.client("dynamodb", region=region)
        return clients[region]

    return client


@pytest.fixture
def new_table(ddb, unique_name):
    """Makes ACTIVE on-demand tables in HOME (settings overridable); on AWS, removes them and their replicas
    afterwards (the local cloud starts every test from a reset)."""
    created = []

    def create(suffix: str = "", **settings) -> str:
        name = unique_name + suffix
        ddb().create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            **{"BillingMode": "PAY_PER_REQUEST", **settings},
        )
        created.append(name)
        wait_until(lambda: describe(ddb, name)["TableStatus"] == "ACTIVE", f"{name} ACTIVE")
        return name

    yield create
    for name in created if REAL_AWS else ():
        delete_global_table(ddb, name)


def wait_until(check, what: str):
    """Poll ``check`` until it returns something truthy, and return that; fail at the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)


def describe(ddb, name: str, region: str = HOME) -> dict:
    return ddb(region).describe_table(TableName=name)["Table"]


def replica_statuses(table: dict) -> dict[str, str]:
    return {replica["RegionName"]: replica["ReplicaStatus"] for replica in table.get("Replicas", [])}


def quiet(ddb, name: str, region: str = HOME) -> bool:
    """The table and every replica it lists are ACTIVE: the group takes a new change."""
    table = describe(ddb, name, region)
    return table["TableStatus"] == "ACTIVE" and all(s == "ACTIVE" for s in replica_statuses(table).values())


def gone(ddb, name: str, region: str) -> bool:
    try:
        describe(ddb, name, region)
    except ddb(region).exceptions.ResourceNotFoundException:
        return True
    return False


def add_replica(ddb, name: str, region: str, via: str = HOME) -> None:
    ddb(via).update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])
    wait_until(lambda: replica_statuses(describe(ddb, name, via)).get(region) == "ACTIVE", f"replica {region}")
    wait_until(lambda: quiet(ddb, name, via), f"{name} quiet")


def remove_replica(ddb, name: str, region: str) -> None:
    wait_until(lambda: quiet(ddb, name), f"{name} quiet")
    ddb().update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": region}}])
    wait_until(lambda: region not in replica_statuses(describe(ddb, name)), f"replica {region} delisted")
    wait_until(lambda: gone(ddb, name, region), f"{name} gone from {region}")


def delete_global_table(ddb, name: str) -> None:
    """Replicas one at a time, newest first (the 24-hour source rule), then the table itself."""
    if gone(ddb, name, HOME):
        return
    wait_until(lambda: quiet(ddb, name), f"{name} quiet")
    for region in reversed(list(replica_statuses(describe(ddb, name)))):
        if describe(ddb, name, region).get("DeletionProtectionEnabled"):
            set_deletion_protection(ddb, name, region, False)
        remove_replica(ddb, name, region)
    ddb().delete_table(TableName=name)


def set_deletion_protection(ddb, name: str, region: str, enabled: bool) -> None:
    ddb(region).update_table(TableName=name, DeletionProtectionEnabled=enabled)
    wait_until(lambda: quiet(ddb, name), f"{name} quiet")


def error_of(call) -> dict:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


def assert_error(call, code: str, message: str | None = None) -> None:
    error = error_of(call)
    assert error["Code"] == code, error
    if message is not None:
        assert error["Message"] == message


def item(ddb, name: str, region: str, key: dict = KEY) -> dict | None:
    return ddb(region).get_item(TableName=name, Key=key, ConsistentRead=True).get("Item")


def wait_for_item(ddb, name: str, key: dict, expected: dict | None, regions) -> None:
    wait_until(lambda: all(item(ddb, name, r, key) == expected for r in regions), f"{key} = {expected} in {regions}")


# --- Replica lifecycle -------------------------------------------------------------------------------------


def test_replica_create_goes_creating_to_active_and_lists_only_other_regions(ddb, new_table):
    name = new_table()
    response = ddb().update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": REPLICA}}])

    created = response["TableDescription"]
    assert created["TableStatus"] == "UPDATING"
    assert created["GlobalTableVersion"] == "2019.11.21"
    assert HOME not in replica_statuses(created)
    creating = wait_until(lambda: not gone(ddb, name, REPLICA) and describe(ddb, name, REPLICA), "replica region")
    assert creating["TableStatus"] == "CREATING"
    assert set(replica_statuses(creating)) == {HOME}
    assert_error(lambda: item(ddb, name, REPLICA), "ResourceNotFoundException")
    assert_error(lambda: ddb(REPLICA).put_item(TableName=name, Item=KEY), "ResourceNotFoundException")
    table_statuses, statuses = set(), set()

    def replica_active() -> bool:
        home = describe(ddb, name)
        assert HOME not in replica_statuses(home)
        table_statuses.add(home["TableStatus"])
        statuses.update(s for region, s in replica_statuses(home).items() if region == REPLICA)
        return "ACTIVE" in statuses and home["TableStatus"] == "ACTIVE"

    wait_until(replica_active, "replica ACTIVE")
    assert table_statuses == {"UPDATING", "ACTIVE"}
    assert statuses == {"CREATING", "ACTIVE"}
    replica = describe(ddb, name, REPLICA)
    assert replica["TableStatus"] == "ACTIVE"
    assert replica["GlobalTableVersion"] == "2019.11.21"
    assert replica_statuses(replica) == {HOME: "ACTIVE"}
    assert replica["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert replica["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ddb(REPLICA).put_item(TableName=name, Item={**KEY, "from": {"S": REPLICA}})
    assert item(ddb, name, REPLICA) == {**KEY, "from": {"S": REPLICA}}


def test_replica_delete_goes_deleting_then_gone_and_the_table_is_regional_again(ddb, new_table):
    name = new_table()
    add_replica(ddb, name, REPLICA)

    ddb().update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": REPLICA}}])

    statuses = set()

    def delisted() -> bool:
        status = replica_statuses(describe(ddb, name)).get(REPLICA)
        statuses.add(status)
        return status is None

    wait_until(delisted, "replica delisted")
    assert statuses == {"DELETING", None}
    wait_until(lambda: gone(ddb, name, REPLICA), "replica table gone")
    home = describe(ddb, name)
    assert "GlobalTableVersion" not in home and "Replicas" not in home
    assert home["StreamSpecification"]["StreamEnabled"] is True


# --- Validation, in AWS's order and words --------------------------------------------------------------------


def test_replica_updates_take_one_create_or_delete_and_only_other_known_regions(ddb, new_table):
    name = new_table()

    def update(*replica_updates, **other):
        return lambda: ddb().update_table(TableName=name, ReplicaUpdates=list(replica_updates), **other)

    create_replica, create_third = {"Create": {"RegionName": REPLICA}}, {"Create": {"RegionName": THIRD}}
    assert_error(
        update(create_replica, create_third),
        "ValidationException",
        "Update table operation with more than one create or delete replica actions not allowed",
    )
    assert_error(
        update(create_replica, {"Delete": {"RegionName": THIRD}}),
        "ValidationException",
        "Update table operation with more than one type of replica actions not allowed.",
    )
    assert_error(
        update(create_replica, DeletionProtectionEnabled=True),
        "ValidationException",
        "One or more parameter values were invalid: Replica modification must be the only operation in the request",
    )
    assert_error(
        update({"Update": {"RegionName": REPLICA}}),
        "ValidationException",
        "There are no actions specified in the Replica Update Action of the request.",
    )
    local = error_of(update({"Create": {"RegionName": HOME}}))
    assert local["Code"] == "ValidationException"
    assert local["Message"].startswith("Cannot add") and "the local region through ReplicaUpdates" in local["Message"]
    unknown = error_of(update({"Create": {"RegionName": "us-fake-1"}}))
    assert unknown["Code"] == "ValidationException"
    assert unknown["Message"].startswith(
        "Region us-fake-1 is not supported. The latest version of global tables are only supported in the following "
        "regions: ["
    )
    assert_error(update({"Delete": {"RegionName": REPLICA}}), "ValidationException", not_a_member(REPLICA))
    update_class = {"Update": {"RegionName": REPLICA, "TableClassOverride": "STANDARD"}}
    assert_error(update(update_class), "ValidationException", not_a_member(REPLICA))
    assert "GlobalTableVersion" not in describe(ddb, name)


def test_a_group_mid_change_refuses_other_changes(ddb, new_table):
    name = new_table()
    ddb().update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": REPLICA}}])

    create_third = {"Create": {"RegionName": THIRD}}
    assert_error(
        lambda: ddb().update_table(TableName=name, ReplicaUpdates=[create_third]), "ResourceInUseException", IN_USE
    )
    assert_error(
        lambda: ddb().update_table(TableName=name, DeletionProtectionEnabled=True), "ResourceInUseException", IN_USE
    )
    assert_error(
        lambda: ddb().update_table(TableName=name, StreamSpecification={"StreamEnabled": False}),
        "ValidationException",
        STREAM_FROZEN,
    )

    wait_until(lambda: quiet(ddb, name) and REPLICA in replica_statuses(describe(ddb, name)), "replica ACTIVE")
    again = error_of(lambda: ddb().update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": REPLICA}}]))
    assert again["Code"] == "ValidationException"
    assert again["Message"].startswith(f"Failed to create a the new replica of table with name: \u2018{name}\u2019")
    assert again["Message"].endswith("because one or more replicas already existed as tables.")
    new_key = {"Update": {"RegionName": REPLICA, "KMSMasterKeyId": "alias/aws/dynamodb"}}
    assert_error(
        lambda: ddb().update_table(TableName=name, ReplicaUpdates=[new_key]),
        "ValidationException",
        "One or more parameter values were invalid: KMSMasterKeyId must be specified for each replica.",
    )


@pytest.mark.parametrize(
    "before, after",
    [
        (None, {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}),
        (
            {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
            {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        ),
    ],
    ids=["no stream", "keys-only stream"],
)
def test_first_replica_turns_a_stream_on_and_every_region_keeps_it(ddb, new_table, before, after):
    name = new_table(**({"StreamSpecification": before} if before else {}))

    add_replica(ddb, name, REPLICA)

    def stream_update(region: str, stream: dict):
        return lambda: ddb(region).update_table(TableName=name, StreamSpecification=stream)

    for region in (HOME, REPLICA):
        assert describe(ddb, name, region)["StreamSpecification"] == after
        assert_error(stream_update(region, {"StreamEnabled": False}), "ValidationException", STREAM_FROZEN)
        new_view = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        assert_error(stream_update(region, new_view), "ValidationException")


def test_provisioned_table_needs_autoscaled_writes_and_shares_its_throughput(aws, ddb, new_table):
    name = new_table(BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    create = {"Create": {"RegionName": REPLICA}}
    autoscaling = aws.client("application-autoscaling", region=HOME)
    target = {
        "ServiceNamespace": "dynamodb",
        "ResourceId": f"table/{name}",
        "ScalableDimension": "dynamodb:table:WriteCapacityUnits",
    }
    assert_error(
        lambda: ddb().update_table(TableName=name, ReplicaUpdates=[create]), "ValidationException", NOT_AUTOSCALED
    )
    try:
        autoscaling.register_scalable_target(**target, MinCapacity=5, MaxCapacity=20)
        assert_error(
            lambda: ddb().update_table(TableName=name, ReplicaUpdates=[create]), "ValidationException", NOT_AUTOSCALED
        )
        autoscaling.put_scaling_policy(
            **target,
            PolicyName="writes",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBWriteCapacityUtilization"},
            },
        )
        add_replica(ddb, name, REPLICA)
        replica = describe(ddb, name, REPLICA)
        assert replica["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
        assert replica["ProvisionedThroughput"]["WriteCapacityUnits"] == 5

        ddb().update_table(TableName=name, ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5})
        wait_until(
            lambda: describe(ddb, name, REPLICA)["ProvisionedThroughput"]["ReadCapacityUnits"] == 10,
            "base read capacity in the replica",
        )
    finally:
        remove_write_autoscaling(aws, target)
    wait_until(lambda: quiet(ddb, name), f"{name} quiet")
    ddb().update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    wait_until(
        lambda: describe(ddb, name, REPLICA)["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST",
        "billing mode in the replica",
    )


def remove_write_autoscaling(aws, target: dict) -> None:
    # AWS mirrors a replicated table's scalable targets into the replica region and leaves them behind.
    for region in (HOME, REPLICA):
        autoscaling = aws.client("application-autoscaling", region=region)
        for cleanup in (
            lambda a=autoscaling: a.delete_scaling_policy(**target, PolicyName="writes"),
            lambda a=autoscaling: a.deregister_scalable_target(**target),
        ):
            try:
                cleanup()
            except ClientError as error:  # nothing there (moto says ValidationException)
                if error.response["Error"]["Code"] not in ("ObjectNotFoundException", "ValidationException"):
                    raise


# --- Regional settings and deletion ------------------------------------------------------------------------


def test_regional_settings_stay_in_their_region(ddb, new_table):
    name = new_table()
    add_replica(ddb, name, REPLICA)
    replica_arn = describe(ddb, name, REPLICA)["TableArn"]

    ddb(REPLICA).tag_resource(ResourceArn=replica_arn, Tags=[{"Key": "side", "Value": "replica"}])
    wait_until(lambda: enable_point_in_time_recovery(ddb, name, REPLICA), "point-in-time recovery enabled")
    set_deletion_protection(ddb, name, REPLICA, True)
    infrequent = {"RegionName": REPLICA, "TableClassOverride": "STANDARD_INFREQUENT_ACCESS"}
    ddb().update_table(TableName=name, ReplicaUpdates=[{"Update": infrequent}])
    wait_until(lambda: quiet(ddb, name), f"{name} quiet")

    home, replica = describe(ddb, name), describe(ddb, name, REPLICA)
    assert ddb(REPLICA).list_tags_of_resource(ResourceArn=replica_arn)["Tags"] == [{"Key": "side", "Value": "replica"}]
    assert ddb().list_tags_of_resource(ResourceArn=home["TableArn"])["Tags"] == []
    assert point_in_time_recovery(ddb, name, REPLICA) == "ENABLED"
    assert point_in_time_recovery(ddb, name, HOME) == "DISABLED"
    assert replica["DeletionProtectionEnabled"] is True
    assert home["DeletionProtectionEnabled"] is False
    assert replica["TableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert home.get("TableClassSummary", {}).get("TableClass", "STANDARD") == "STANDARD"
    (listed,) = home["Replicas"]
    assert listed["ReplicaTableClassSummary"]["TableClass"] == "STANDARD_INFREQUENT_ACCESS"


def enable_point_in_time_recovery(ddb, name: str, region: str) -> bool:
    # A new table refuses PITR for a few seconds on AWS ("Backups are being enabled").
    client = ddb(region)
    try:
        client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    except client.exceptions.ContinuousBackupsUnavailableException:
        return False
    return True


def point_in_time_recovery(ddb, name: str, region: str) -> str:
    backups = ddb(region).describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    return backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]


def test_deletion_protection_and_the_source_rule_guard_a_group(ddb, new_table):
    name = new_table()
    add_replica(ddb, name, REPLICA)
    set_deletion_protection(ddb, name, REPLICA, True)

    assert_error(
        lambda: ddb().update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": REPLICA}}]),
        "ValidationException",
        f"Cannot delete table {name} in region {REPLICA} because it has deletion protection enabled. "
        "Disable deletion protection first.",
    )
    assert_error(lambda: ddb(REPLICA).delete_table(TableName=name), "ValidationException", PROTECTED)
    assert_error(lambda: ddb().delete_table(TableName=name), "ValidationException", SOURCE_WINDOW)

    set_deletion_protection(ddb, name, REPLICA, False)
    deleted = ddb(REPLICA).delete_table(TableName=name)["TableDescription"]

    assert deleted["TableStatus"] == "DELETING"
    assert replica_statuses(describe(ddb, name)) == {REPLICA: "DELETING"}
    wait_until(lambda: REPLICA not in replica_statuses(describe(ddb, name)), "replica delisted")
    wait_until(lambda: gone(ddb, name, REPLICA), "replica table gone")
    assert "GlobalTableVersion" not in describe(ddb, name)


# --- Replication -------------------------------------------------------------------------------------------


def test_every_kind_of_write_reaches_every_member(ddb, new_table):
    name = new_table()
    add_replica(ddb, name, REPLICA)
    add_replica(ddb, name, THIRD, via=REPLICA)
    everywhere = (HOME, REPLICA, THIRD)
    assert replica_statuses(describe(ddb, name, THIRD)) == {HOME: "ACTIVE", REPLICA: "ACTIVE"}
    one, two, three, four = ({"pk": {"S": f"k{n}"}} for n in range(1, 5))

    ddb(HOME).put_item(TableName=name, Item={**one, "n": {"N": "1"}})
    wait_for_item(ddb, name, one, {**one, "n": {"N": "1"}}, everywhere)
    ddb(REPLICA).update_item(
        TableName=name, Key=one, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": {"N": "2"}}
    )
    wait_for_item(ddb, name, one, {**one, "n": {"N": "2"}}, everywhere)
    ddb(THIRD).delete_item(TableName=name, Key=one)
    wait_for_item(ddb, name, one, None, everywhere)

    ddb(HOME).batch_write_item(RequestItems={name: [{"PutRequest": {"Item": two}}, {"PutRequest": {"Item": three}}]})
    wait_for_item(ddb, name, three, three, everywhere)
    ddb(THIRD).transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": four}},
            {
                "Update": {
                    "TableName": name,
                    "Key": two,
                    "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "3"}},
                }
            },
            {"Delete": {"TableName": name, "Key": three}},
        ]
    )
    wait_for_item(ddb, name, four, four, everywhere)
    wait_for_item(ddb, name, two, {**two, "n": {"N": "3"}}, everywhere)
    wait_for_item(ddb, name, three, None, everywhere)
    ddb(REPLICA).batch_write_item(RequestItems={name: [{"DeleteRequest": {"Key": four}}]})
    wait_for_item(ddb, name, four, None, everywhere)


def test_concurrent_writers_in_every_region_converge(ddb, new_table):
    name = new_table()
    add_replica(ddb, name, REPLICA)
    clients = {region: ddb(region) for region in (HOME, REPLICA)}

    def write(region: str, writer: int) -> None:
        for n in range(10):
            clients[region].put_item(TableName=name, Item={"pk": {"S": f"{region}-{writer}-{n}"}})
            clients[region].put_item(TableName=name, Item={"pk": {"S": f"shared-{n}"}, "by": {"S": region}})

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(write, region, w) for region in clients for w in range(4)]:
            future.result()

    def contents(region: str) -> list[dict]:
        items = clients[region].scan(TableName=name, ConsistentRead=True)["Items"]
        return sorted(items, key=lambda each: each["pk"]["S"])

    converged = wait_until(lambda: contents(HOME) == contents(REPLICA) and contents(HOME), "both regions alike")
    assert len(converged) == 2 * 4 * 10 + 10


def test_a_new_replica_starts_with_the_items_already_written(ddb, new_table):
    name = new_table()
    items = [
        {"pk": {"S": "plain"}, "n": {"N": "1.5"}},
        {"pk": {"S": "nested"}, "m": {"M": {"list": {"L": [{"S": "a"}, {"N": "2"}]}, "flag": {"BOOL": True}}}},
        {"pk": {"S": "sets"}, "ss": {"SS": ["x", "y"]}, "b": {"B": b"\x00\x01"}},
    ]
    for each in items:
        ddb().put_item(TableName=name, Item=each)
    ddb().update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": REPLICA}}])
    late = {"pk": {"S": "written while the replica is created"}}
    ddb().put_item(TableName=name, Item=late)

    wait_until(lambda: quiet(ddb, name) and REPLICA in replica_statuses(describe(ddb, name)), "replica ACTIVE")

    for each in [*items, late]:
        wait_for_item(ddb, name, {"pk": each["pk"]}, each, (REPLICA,))


def test_conflicting_writes_converge_on_the_last_writer(ddb, new_table, monkeypatch):
    name = new_table()
    add_replica(ddb, name, REPLICA)

    with monkeypatch.context() as patch:
        # On the local cloud, a lag of 0.5 s: both writes land before either has replicated.
        patch.setenv("LOCALCLOUD_TIME_SCALE", "0.5")
        ddb(HOME).put_item(TableName=name, Item={**KEY, "writer": {"S": HOME}})
        ddb(REPLICA).put_item(TableName=name, Item={**KEY, "writer": {"S": REPLICA}})
        wait_for_item(ddb, name, KEY, {**KEY, "writer": {"S": REPLICA}}, (HOME, REPLICA))


# --- Local cloud only: time, faults, reset, limits ----------------------------------------------------------


@pytest.mark.localcloud_only
def test_replication_lags_and_an_unreachable_region_catches_up(ddb, localcloud, unique_name, monkeypatch):
    from moto.dynamodb.models import dynamodb_backends

    from localcloud import DEFAULT_ACCOUNT_ID

    name = unique_name
    ddb().create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    add_replica(ddb, name, REPLICA)
    with monkeypatch.context() as patch:
        patch.setenv("LOCALCLOUD_TIME_SCALE", "0.3")
        ddb().put_item(TableName=name, Item=KEY)
        assert item(ddb, name, REPLICA) is None
        wait_for_item(ddb, name, KEY, KEY, (REPLICA,))

    localcloud.add_fault(service="dynamodb", region=REPLICA, error_code="ServiceUnavailable", status=503)
    missed = [{"pk": {"S": f"missed-{n}"}} for n in range(3)]
    for each in missed:
        ddb().put_item(TableName=name, Item=each)
    ddb().delete_item(TableName=name, Key=KEY)
    time.sleep(0.1)  # ten replication lags
    replica_items = dynamodb_backends[DEFAULT_ACCOUNT_ID][REPLICA].tables[name].items
    assert len(replica_items) == 1, "nothing reaches an unreachable region"

    localcloud.clear_faults()

    for each in missed:
        wait_for_item(ddb, name, each, each, (REPLICA,))
    wait_for_item(ddb, name, KEY, None, (REPLICA,))


@pytest.mark.localcloud_only
def test_reset_forgets_groups_and_pending_deliveries(ddb, localcloud, unique_name):
    def create_table(region: str) -> None:
        ddb(region).create_table(
            TableName=unique_name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    create_table(HOME)
    add_replica(ddb, unique_name, REPLICA)
    localcloud.add_fault(service="dynamodb", region=REPLICA, error_code="ServiceUnavailable", status=503)
    ddb().put_item(TableName=unique_name, Item=KEY)

    localcloud.reset()

    create_table(HOME)
    create_table(REPLICA)
    assert "GlobalTableVersion" not in describe(ddb, unique_name)
    ddb().put_item(TableName=unique_name, Item={"pk": {"S": "after reset"}})
    time.sleep(0.1)  # ten replication lags
    assert ddb(REPLICA).scan(TableName=unique_name)["Items"] == []


@pytest.mark.localcloud_only
def test_too_many_tables_changing_at_once_is_a_limit(aws, unique_name, monkeypatch):
    monkeypatch.setenv("LOCALCLOUD_DYNAMODB_TABLE_OPERATIONS_LIMIT", "1")
    client = aws.client("dynamodb", region=HOME, config=Config(retries={"total_max_attempts": 1}))
    for name in (unique_name, unique_name + "-2"):
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    client.update_table(TableName=unique_name, ReplicaUpdates=[{"Create": {"RegionName": REPLICA}}])

    assert_error(  # boto3 retries this error by itself: this client does not
        lambda: client.update_table(TableName=unique_name + "-2", ReplicaUpdates=[{"Create": {"RegionName": REPLICA}}]),
        "LimitExceededException",
        "Subscriber limit exceeded: Only 1 tables can be created, updated, or deleted simultaneously",
    )
