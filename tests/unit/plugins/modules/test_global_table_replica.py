"""Unit tests (no network) for global_table_replica's decisions: which calls follow from what it reads.

The module's AWS helpers are replaced by a small fake world (tables per region, scalable targets, KMS keys);
the tests check what the module would send, and that refusals come before any change.
"""

from copy import deepcopy

import pytest

from ansible_collections.activeactive.aws.plugins.module_utils.dynamodb import AnsibleDynamoDBError
from ansible_collections.activeactive.aws.plugins.modules import global_table_replica as gtr

HOME = "us-east-1"
NAME = "sessions"


class FakeClient:
    def __init__(self, service, region):
        self.service = service
        self.region = region


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = {
            "table": NAME,
            "home_region": HOME,
            "state": "present",
            "deletion_protection": None,
            "point_in_time_recovery": None,
            "kms_master_key_id": None,
            "recreate": False,
            "table_class": None,
            "read_capacity_override": None,
            "global_secondary_indexes": None,
            "tags": None,
            "purge_tags": True,
            "wait": True,
            "wait_timeout": 1800,
        }
        self.params.update(params)

    def client(self, service, region=None, **kwargs):
        return FakeClient(service, region)


def table(region, billing="PAY_PER_REQUEST", replicas=None, **extra):
    description = {
        "TableName": NAME,
        "TableStatus": "ACTIVE",
        "TableArn": f"arn:aws:dynamodb:{region}:123456789012:table/{NAME}",
        "BillingModeSummary": {"BillingMode": billing},
        "ProvisionedThroughput": {"ReadCapacityUnits": 5 if billing == "PROVISIONED" else 0},
        "DeletionProtectionEnabled": False,
    }
    if replicas is not None:
        description["GlobalTableVersion"] = "2019.11.21"
        description["Replicas"] = replicas
    description.update(extra)
    return description


class World:
    """What the fake AWS holds, and every change the module asked for."""

    def __init__(self, monkeypatch):
        self.tables = {}
        self.pitr = {}
        self.tags = {}
        self.write_targets = []
        self.kms = {}
        self.changes = []
        for name in (
            "describe_table",
            "read_region",
            "update_table_in_turn",
            "apply_regional_settings",
            "wait_replica_active",
            "wait_replica_gone",
            "wait_table_active",
            "wait_table_gone",
            "describe_write_scalable_targets",
            "describe_kms_key",
        ):
            monkeypatch.setattr(gtr, name, getattr(self, name))

    def describe_table(self, client, name):
        return deepcopy(self.tables.get(client.region))

    def read_region(self, client, name, region_table=None):
        found = region_table or self.tables.get(client.region)
        if found is None:
            return None, None, None
        return deepcopy(found), self.pitr.get(client.region, False), dict(self.tags.get(client.region, {}))

    def update_table_in_turn(self, client, name, deadline, what, **params):
        self.changes.append(("UpdateTable", client.region, params))
        return self.tables.get(client.region)

    def apply_regional_settings(self, client, name, arn, plan, deadline, wait):
        self.changes.append(("regional", client.region, gtr.regional_plan(plan)))

    def wait_replica_active(self, client, name, region, deadline, create_sent_at=None, grace=None):
        entry = {"RegionName": region, "ReplicaStatus": "ACTIVE"}
        home = self.tables[client.region]
        home["Replicas"] = [r for r in home.get("Replicas", []) if r["RegionName"] != region] + [entry]
        self.tables.setdefault(region, table(region))
        return deepcopy(home)

    def wait_replica_gone(self, home_client, region_client, name, region, deadline):
        home = self.tables[home_client.region]
        home["Replicas"] = [r for r in home.get("Replicas", []) if r["RegionName"] != region]
        self.tables.pop(region, None)

    def wait_table_active(self, client, name, deadline, what):
        return deepcopy(self.tables.get(client.region))

    def wait_table_gone(self, client, name, deadline, what):
        self.tables.pop(client.region, None)

    def describe_write_scalable_targets(self, client, resource_ids, dimension):
        return [{"ResourceId": r} for r in resource_ids if r in self.write_targets]

    def describe_kms_key(self, client, key_id):
        return self.kms.get(key_id)

    def replica_actions(self):
        return [c for c in self.changes if c[0] == "UpdateTable" and "ReplicaUpdates" in c[2]]


@pytest.fixture
def world(monkeypatch):
    return World(monkeypatch)


def manager(module, region):
    return gtr.ReplicaManager(module, NAME, HOME, region, deadline=float("inf"))


def test_check_mode_predicts_a_new_replica_and_changes_nothing(world):
    world.tables[HOME] = table(HOME)
    module = FakeModule(check_mode=True, deletion_protection=True, tags={"a": "1"})
    changed, before, after = manager(module, "eu-west-1").ensure_present()
    assert changed
    assert before is None
    assert after["replica_status"] == "ACTIVE"
    assert after["deletion_protection"] is True
    assert after["tags"] == {"a": "1"}
    assert world.changes == []


def test_create_sends_one_create_then_applies_regional_settings(world):
    world.tables[HOME] = table(HOME)
    module = FakeModule(table_class="STANDARD_INFREQUENT_ACCESS", point_in_time_recovery=True)
    changed, _, _ = manager(module, "eu-west-1").ensure_present()
    assert changed
    assert world.replica_actions() == [
        (
            "UpdateTable",
            HOME,
            {
                "ReplicaUpdates": [
                    {"Create": {"RegionName": "eu-west-1", "TableClassOverride": "STANDARD_INFREQUENT_ACCESS"}}
                ]
            },
        )
    ]
    regional = [c for c in world.changes if c[0] == "regional"]
    assert regional == [
        (
            "regional",
            "eu-west-1",
            {"deletion_protection": None, "point_in_time_recovery": True, "tags_to_set": {}, "tags_to_unset": []},
        )
    ]


def test_create_without_wait_skips_regional_settings_with_a_warning(world):
    world.tables[HOME] = table(HOME)
    replica_manager = manager(FakeModule(wait=False, deletion_protection=True), "eu-west-1")
    changed, _, after = replica_manager.ensure_present()
    assert changed
    assert after["replica_status"] == "CREATING"
    assert [c for c in world.changes if c[0] == "regional"] == []
    assert "applied only to an ACTIVE replica" in replica_manager.warnings[0]


def test_provisioned_table_without_write_autoscaling_is_refused_before_any_change(world):
    world.tables[HOME] = table(HOME, billing="PROVISIONED")
    with pytest.raises(AnsibleDynamoDBError) as raised:
        manager(FakeModule(), "eu-west-1").ensure_present()
    assert "Table write capacity should either be Pay-Per-Request or AutoScaled." in str(raised.value)
    assert world.changes == []


def test_provisioned_table_with_write_autoscaling_is_replicated(world):
    world.tables[HOME] = table(HOME, billing="PROVISIONED")
    world.write_targets = [f"table/{NAME}"]
    assert manager(FakeModule(read_capacity_override=9), "eu-west-1").ensure_present()[0]
    create = world.replica_actions()[0][2]["ReplicaUpdates"][0]["Create"]
    assert create == {"RegionName": "eu-west-1", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 9}}


def test_same_name_table_that_is_not_a_replica_is_left_alone(world):
    world.tables[HOME] = table(HOME)
    world.tables["eu-west-1"] = table("eu-west-1")
    with pytest.raises(AnsibleDynamoDBError) as raised:
        manager(FakeModule(), "eu-west-1").ensure_present()
    assert "already exists in region eu-west-1 and is not a replica" in str(raised.value)
    assert world.changes == []


def test_existing_replica_setting_changes(world):
    world.tables[HOME] = table(HOME, replicas=[{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}])
    world.tables["eu-west-1"] = table("eu-west-1")
    module = FakeModule(table_class="STANDARD_INFREQUENT_ACCESS", deletion_protection=True)
    changed, before, after = manager(module, "eu-west-1").ensure_present()
    assert changed
    assert before["table_class"] == "STANDARD" and after["table_class"] == "STANDARD_INFREQUENT_ACCESS"
    update = {"RegionName": "eu-west-1", "TableClassOverride": "STANDARD_INFREQUENT_ACCESS"}
    assert world.replica_actions() == [("UpdateTable", HOME, {"ReplicaUpdates": [{"Update": update}]})]
    assert [c[2]["deletion_protection"] for c in world.changes if c[0] == "regional"] == [True]


def test_existing_replica_unchanged(world):
    world.tables[HOME] = table(HOME, replicas=[{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}])
    world.tables["eu-west-1"] = table("eu-west-1", DeletionProtectionEnabled=True)
    world.pitr["eu-west-1"] = True
    module = FakeModule(deletion_protection=True, point_in_time_recovery=True, table_class="STANDARD", tags={})
    changed, before, after = manager(module, "eu-west-1").ensure_present()
    assert not changed and before == after
    assert world.changes == []


def test_kms_change_is_refused_unless_recreate(world):
    key = "arn:aws:kms:eu-west-1:123456789012:key/new"
    world.kms[key] = {"Arn": key, "KeyManager": "CUSTOMER"}
    world.tables[HOME] = table(HOME, replicas=[{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}])
    world.tables["eu-west-1"] = table("eu-west-1")
    with pytest.raises(AnsibleDynamoDBError) as raised:
        manager(FakeModule(kms_master_key_id=key), "eu-west-1").ensure_present()
    assert "must be recreated" in str(raised.value)
    assert world.changes == []

    changed, _, after = manager(FakeModule(kms_master_key_id=key, recreate=True), "eu-west-1").ensure_present()
    assert changed
    kinds = [next(iter(c[2]["ReplicaUpdates"][0])) for c in world.replica_actions()]
    assert kinds == ["Delete", "Create"]
    assert world.replica_actions()[1][2]["ReplicaUpdates"][0]["Create"]["KMSMasterKeyId"] == key


def test_recreate_of_a_protected_replica_is_refused(world):
    key = "arn:aws:kms:eu-west-1:123456789012:key/new"
    world.kms[key] = {"Arn": key, "KeyManager": "CUSTOMER"}
    world.tables[HOME] = table(HOME, replicas=[{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}])
    world.tables["eu-west-1"] = table("eu-west-1", DeletionProtectionEnabled=True)
    with pytest.raises(AnsibleDynamoDBError) as raised:
        manager(FakeModule(kms_master_key_id=key, recreate=True), "eu-west-1").ensure_present()
    assert "deletion_protection: false" in str(raised.value)
    assert world.changes == []


def test_failed_replica_reports_aws_description(world):
    entry = {
        "RegionName": "eu-west-1",
        "ReplicaStatus": "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
        "ReplicaStatusDescription": "The KMS key is disabled",
    }
    world.tables[HOME] = table(HOME, replicas=[entry])
    with pytest.raises(AnsibleDynamoDBError) as raised:
        manager(FakeModule(), "eu-west-1").ensure_present()
    assert "INACCESSIBLE_ENCRYPTION_CREDENTIALS: The KMS key is disabled" in str(raised.value)


def test_home_region_manages_its_own_settings_without_replica_actions(world):
    world.tables[HOME] = table(HOME, replicas=[{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}])
    module = FakeModule(table_class="STANDARD_INFREQUENT_ACCESS", point_in_time_recovery=True)
    changed, before, after = manager(module, HOME).ensure_present()
    assert changed
    assert before["is_home_region"] is True
    assert world.replica_actions() == []
    assert ("UpdateTable", HOME, {"TableClass": "STANDARD_INFREQUENT_ACCESS"}) in world.changes
    assert [c[1] for c in world.changes if c[0] == "regional"] == [HOME]


def test_absent_of_a_protected_replica_says_how_to_lift_the_protection(world):
    world.tables[HOME] = table(HOME, replicas=[{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}])
    world.tables["eu-west-1"] = table("eu-west-1", DeletionProtectionEnabled=True)
    with pytest.raises(AnsibleDynamoDBError) as raised:
        manager(FakeModule(state="absent"), "eu-west-1").ensure_absent()
    message = str(raised.value)
    assert "protected against deletion" in message and "deletion_protection: false" in message
    assert world.changes == []


def test_absent_with_deletion_protection_false_lifts_it_then_deletes(world):
    world.tables[HOME] = table(HOME, replicas=[{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}])
    world.tables["eu-west-1"] = table("eu-west-1", DeletionProtectionEnabled=True)
    changed, before, after = manager(FakeModule(state="absent", deletion_protection=False), "eu-west-1").ensure_absent()
    assert changed and after is None and before["deletion_protection"] is True
    assert world.changes == [
        ("UpdateTable", "eu-west-1", {"DeletionProtectionEnabled": False}),
        ("UpdateTable", HOME, {"ReplicaUpdates": [{"Delete": {"RegionName": "eu-west-1"}}]}),
    ]


def test_absent_when_not_a_member_touches_nothing(world):
    world.tables[HOME] = table(HOME)
    world.tables["eu-west-1"] = table("eu-west-1")  # an unrelated table of the same name
    assert manager(FakeModule(state="absent"), "eu-west-1").ensure_absent() == (False, None, None)
    assert world.changes == []
    assert "eu-west-1" in world.tables


def test_absent_in_check_mode(world):
    world.tables[HOME] = table(HOME, replicas=[{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}])
    world.tables["eu-west-1"] = table("eu-west-1")
    changed, before, after = manager(FakeModule(check_mode=True, state="absent"), "eu-west-1").ensure_absent()
    assert changed and before["region_name"] == "eu-west-1" and after is None
    assert world.changes == []


def test_replica_list_and_its_prediction():
    home = table(HOME, replicas=[{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}])
    listing = gtr.replica_list(home, HOME)
    assert listing == [
        {"region_name": HOME, "replica_status": "ACTIVE", "is_home_region": True},
        {"region_name": "eu-west-1", "replica_status": "ACTIVE", "is_home_region": False},
    ]
    added = gtr.predicted_list(listing, "ap-southeast-1", "present", {"replica_status": "ACTIVE"})
    assert [r["region_name"] for r in added] == [HOME, "eu-west-1", "ap-southeast-1"]
    removed = gtr.predicted_list(listing, "eu-west-1", "absent", None)
    assert [r["region_name"] for r in removed] == [HOME]
    assert gtr.replica_list(None, HOME) == []
