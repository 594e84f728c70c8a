"""Unit tests (no network) for plugins/module_utils/dynamodb.py: validation, replica status, settings plans."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.activeactive.aws.plugins.module_utils import dynamodb as ddb

# No test here sleeps for real (no_sleep: tests/unit/conftest.py).
pytestmark = pytest.mark.usefixtures("no_sleep")

PARTITIONS = {
    "aws": {"us-east-1", "eu-west-1", "ap-southeast-1"},
    "aws-cn": {"cn-north-1"},
}
ON_DEMAND = {"billing_mode": "PAY_PER_REQUEST", "read_capacity": 0, "gsi_read_capacity": {}}
PROVISIONED = {"billing_mode": "PROVISIONED", "read_capacity": 5, "gsi_read_capacity": {"by-owner": 5}}


def params(**overrides):
    base = {
        "table": "sessions",
        "home_region": "us-east-1",
        "state": "present",
        "wait_timeout": 1800,
        "read_capacity_override": None,
        "global_secondary_indexes": None,
        "deletion_protection": None,
    }
    base.update(overrides)
    return base


def settings(**overrides):
    current = {
        "region_name": "eu-west-1",
        "is_home_region": False,
        "replica_status": "ACTIVE",
        "table_status": "ACTIVE",
        "table_arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/sessions",
        "kms_master_key_id": None,
        "table_class": "STANDARD",
        "read_capacity_override": None,
        "global_secondary_indexes": [],
        "deletion_protection": False,
        "point_in_time_recovery": False,
        "tags": {},
    }
    current.update(overrides)
    return current


def client_error(code, message="", operation="UpdateTable"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


# --------------------------------------------------------------------------------------------------------
# Validation: refused before any AWS call
# --------------------------------------------------------------------------------------------------------


class TestValidation:
    def test_replica_in_another_region(self):
        resolved, problem = ddb.validate_replica_params(params(), "eu-west-1", PARTITIONS)
        assert problem is None
        assert resolved == {"name": "sessions", "home_region": "us-east-1"}

    def test_home_region_is_managed_not_refused(self):
        resolved, problem = ddb.validate_replica_params(params(), "us-east-1", PARTITIONS)
        assert problem is None
        assert resolved["home_region"] == "us-east-1"

    def test_absent_in_home_region_would_delete_the_home_table(self):
        _, problem = ddb.validate_replica_params(params(state="absent"), "us-east-1", PARTITIONS)
        assert "home table" in problem and "never" in problem

    def test_arn_gives_name_and_home_region(self):
        arn = "arn:aws:dynamodb:us-east-1:123456789012:table/sessions"
        resolved, problem = ddb.validate_replica_params(params(table=arn, home_region=None), "eu-west-1", PARTITIONS)
        assert problem is None
        assert resolved == {"name": "sessions", "home_region": "us-east-1"}

    def test_arn_contradicting_home_region(self):
        arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/sessions"
        _, problem = ddb.validate_replica_params(params(table=arn), "ap-southeast-1", PARTITIONS)
        assert "names region eu-west-1 but home_region is us-east-1" in problem

    def test_home_region_needed_for_a_name(self):
        _, problem = ddb.validate_replica_params(params(home_region=None), "eu-west-1", PARTITIONS)
        assert problem == "home_region is required unless table is the home table's ARN"

    @pytest.mark.parametrize("table", ["ab", "bad name", "x" * 256, "arn:aws:s3:::bucket", ""])
    def test_bad_table(self, table):
        _, problem = ddb.validate_replica_params(params(table=table), "eu-west-1", PARTITIONS)
        assert problem and "table" in problem

    def test_unknown_region(self):
        _, problem = ddb.validate_replica_params(params(), "eu-west-9", PARTITIONS)
        assert problem == "region 'eu-west-9' is not a region where DynamoDB is available (known to botocore)"

    def test_unknown_home_region(self):
        _, problem = ddb.validate_replica_params(params(home_region="us-east-7"), "eu-west-1", PARTITIONS)
        assert problem.startswith("home_region 'us-east-7' is not a region")

    def test_missing_region(self):
        _, problem = ddb.validate_replica_params(params(), None, PARTITIONS)
        assert problem == "region is required"

    def test_regions_in_different_partitions(self):
        _, problem = ddb.validate_replica_params(params(), "cn-north-1", PARTITIONS)
        assert "different AWS partitions" in problem

    def test_absent_with_deletion_protection_true_is_a_contradiction(self):
        _, problem = ddb.validate_replica_params(
            params(state="absent", deletion_protection=True), "eu-west-1", PARTITIONS
        )
        assert "contradicts state=absent" in problem

    def test_absent_with_deletion_protection_false_lifts_it(self):
        _, problem = ddb.validate_replica_params(
            params(state="absent", deletion_protection=False), "eu-west-1", PARTITIONS
        )
        assert problem is None

    @pytest.mark.parametrize(
        "overrides, expected",
        [
            ({"wait_timeout": 0}, "wait_timeout must be a positive"),
            ({"read_capacity_override": 0}, "read_capacity_override must be at least 1"),
            (
                {"global_secondary_indexes": [{"index_name": "i", "read_capacity_override": 0}]},
                "read_capacity_override of index i",
            ),
            (
                {
                    "global_secondary_indexes": [
                        {"index_name": "i", "read_capacity_override": 1},
                        {"index_name": "i", "read_capacity_override": 2},
                    ]
                },
                "listed more than once",
            ),
        ],
    )
    def test_bad_numbers(self, overrides, expected):
        _, problem = ddb.validate_replica_params(params(**overrides), "eu-west-1", PARTITIONS)
        assert expected in problem

    def test_botocore_knows_the_test_regions(self):
        known = ddb.dynamodb_regions()
        for region in ("us-east-1", "eu-west-1", "ap-southeast-1"):
            assert ddb.region_partition(region, known) == "aws"
        assert ddb.region_partition("eu-west-9", known) is None


# --------------------------------------------------------------------------------------------------------
# Replica status
# --------------------------------------------------------------------------------------------------------


class TestClassifyReplica:
    def test_active(self):
        assert ddb.classify_replica({"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}, "ACTIVE")[0] == "active"

    @pytest.mark.parametrize("status", ["CREATING", "UPDATING", "DELETING", "ARCHIVING"])
    def test_pending(self, status):
        assert ddb.classify_replica({"ReplicaStatus": status}, "UPDATING") == ("pending", status)

    @pytest.mark.parametrize(
        "status",
        [
            "CREATION_FAILED",
            "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
            "REGION_DISABLED",
            "REPLICATION_NOT_AUTHORIZED",
            "ARCHIVED",
        ],
    )
    def test_terminal_statuses_fail_with_the_description(self, status):
        entry = {"ReplicaStatus": status, "ReplicaStatusDescription": "the KMS key is disabled"}
        state, detail = ddb.classify_replica(entry, "ACTIVE")
        assert state == "failed"
        assert status in detail and "the KMS key is disabled" in detail

    def test_missing_without_a_create_is_absent(self):
        assert ddb.classify_replica(None, "ACTIVE") == ("absent", None)

    def test_missing_just_after_the_create_counts_as_creating(self):
        state, _ = ddb.classify_replica(None, "ACTIVE", create_sent_at=100.0, now=105.0, grace=60)
        assert state == "pending"

    def test_missing_while_the_home_table_is_still_busy_is_pending(self):
        state, _ = ddb.classify_replica(None, "UPDATING", create_sent_at=100.0, now=500.0, grace=60)
        assert state == "pending"

    def test_never_appearing_is_a_failed_create(self):
        state, detail = ddb.classify_replica(None, "ACTIVE", create_sent_at=100.0, now=161.0, grace=60)
        assert state == "failed"
        assert "never appeared" in detail

    def test_find_replica(self):
        table = {"Replicas": [{"RegionName": "eu-west-1"}, {"RegionName": "ap-southeast-1"}]}
        assert ddb.find_replica(table, "ap-southeast-1") == {"RegionName": "ap-southeast-1"}
        assert ddb.find_replica(table, "us-east-1") is None
        assert ddb.find_replica({}, "us-east-1") is None  # a regional table has no Replicas key at all


class TestErrors:
    @pytest.mark.parametrize(
        "code, message, busy",
        [
            ("ResourceInUseException", "Attempt to change a resource which is still in use", True),
            ("LimitExceededException", "Only 1 replica can be created, updated, or deleted simultaneously", True),
            ("LimitExceededException", "Subscriber limit exceeded", False),
            ("ValidationException", "Replica specified in the Replica Update or Replica Delete action ...", True),
            ("ValidationException", "Table write capacity should either be Pay-Per-Request or AutoScaled.", False),
            ("AccessDeniedException", "", False),
        ],
    )
    def test_busy(self, code, message, busy):
        assert ddb.is_busy_error(code, message) is busy

    def test_code_and_message_of_a_wrapped_error(self):
        error = ddb.AnsibleDynamoDBError(message="Failed", exception=client_error("ResourceInUseException", "busy"))
        assert ddb.error_code_and_message(error) == ("ResourceInUseException", "busy")
        assert ddb.error_code_and_message(ddb.AnsibleDynamoDBError(message="x")) == ("", "")


# --------------------------------------------------------------------------------------------------------
# Per-region settings: normalization, plan, prediction
# --------------------------------------------------------------------------------------------------------

HOME_TABLE = {
    "TableName": "sessions",
    "TableStatus": "ACTIVE",
    "BillingModeSummary": {"BillingMode": "PROVISIONED"},
    "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    "GlobalSecondaryIndexes": [{"IndexName": "by-owner", "ProvisionedThroughput": {"ReadCapacityUnits": 4}}],
    "GlobalTableVersion": "2019.11.21",
    "Replicas": [
        {
            "RegionName": "eu-west-1",
            "ReplicaStatus": "ACTIVE",
            "KMSMasterKeyId": "arn:aws:kms:eu-west-1:123456789012:key/k1",
            "ProvisionedThroughputOverride": {"ReadCapacityUnits": 9},
            "GlobalSecondaryIndexes": [
                {"IndexName": "by-owner", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 3}}
            ],
            "ReplicaTableClassSummary": {"TableClass": "STANDARD_INFREQUENT_ACCESS"},
        },
        {"RegionName": "ap-southeast-1", "ReplicaStatus": "CREATING"},
    ],
}


class TestSettings:
    def test_replica_view(self):
        region_table = {
            "TableStatus": "ACTIVE",
            "TableArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/sessions",
            "DeletionProtectionEnabled": True,
        }
        view = ddb.replica_settings("eu-west-1", HOME_TABLE, region_table, True, {"a": "b"}, False)
        assert view == {
            "region_name": "eu-west-1",
            "is_home_region": False,
            "replica_status": "ACTIVE",
            "table_status": "ACTIVE",
            "table_arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/sessions",
            "kms_master_key_id": "arn:aws:kms:eu-west-1:123456789012:key/k1",
            "table_class": "STANDARD_INFREQUENT_ACCESS",
            "read_capacity_override": 9,
            "global_secondary_indexes": [{"index_name": "by-owner", "read_capacity_override": 3}],
            "deletion_protection": True,
            "point_in_time_recovery": True,
            "tags": {"a": "b"},
        }

    def test_home_view_uses_the_table_itself(self):
        view = ddb.replica_settings("us-east-1", HOME_TABLE, HOME_TABLE, False, None, True)
        assert view["replica_status"] == "ACTIVE"
        assert view["is_home_region"] is True
        assert view["read_capacity_override"] is None
        assert view["table_class"] == "STANDARD"
        assert view["deletion_protection"] is False
        assert view["tags"] == {}

    def test_creating_replica_cannot_be_read_in_its_region(self):
        view = ddb.replica_settings("ap-southeast-1", HOME_TABLE, None, None, None, False)
        assert view["replica_status"] == "CREATING"
        assert view["table_status"] is None
        assert view["point_in_time_recovery"] is None

    def test_base_capacity(self):
        assert ddb.base_capacity(HOME_TABLE) == {
            "billing_mode": "PROVISIONED",
            "read_capacity": 5,
            "gsi_read_capacity": {"by-owner": 4},
        }
        on_demand = {"BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}
        assert ddb.base_capacity(on_demand)["billing_mode"] == "PAY_PER_REQUEST"
        # Old provisioned tables report no BillingModeSummary.
        assert ddb.base_capacity({"ProvisionedThroughput": {"ReadCapacityUnits": 1}})["billing_mode"] == "PROVISIONED"

    @pytest.mark.parametrize(
        "description, enabled",
        [
            (None, False),
            ({"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"}}, True),
            ({"PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}, False),
        ],
    )
    def test_pitr(self, description, enabled):
        assert ddb.pitr_enabled(description) is enabled


class TestPlan:
    def test_nothing_requested_changes_nothing(self):
        plan = ddb.plan_changes(settings(deletion_protection=True, tags={"a": "1"}), {}, False, ON_DEMAND)
        assert not ddb.plan_has_changes(plan)
        assert plan["problems"] == []

    def test_same_values_change_nothing(self):
        current = settings(deletion_protection=True, point_in_time_recovery=True, tags={"a": "1"})
        desired = {"deletion_protection": True, "point_in_time_recovery": True, "tags": {"a": "1"}, "purge_tags": True}
        assert not ddb.plan_has_changes(ddb.plan_changes(current, desired, False, ON_DEMAND))

    def test_regional_settings(self):
        desired = {"deletion_protection": True, "point_in_time_recovery": True}
        plan = ddb.plan_changes(settings(), desired, False, ON_DEMAND)
        assert plan["deletion_protection"] is True
        assert plan["point_in_time_recovery"] is True
        assert plan["replica_update"] == {}
        assert ddb.has_regional_changes(plan)

    def test_tags_purged(self):
        current = settings(tags={"keep": "1", "drop": "2", "aws:cloudformation:stack-name": "s"})
        plan = ddb.plan_changes(current, {"tags": {"keep": "1", "new": "3"}, "purge_tags": True}, False, ON_DEMAND)
        assert plan["tags_to_set"] == {"new": "3"}
        assert plan["tags_to_unset"] == ["drop"]  # aws: keys are never purged

    def test_tags_not_purged(self):
        current = settings(tags={"keep": "1", "drop": "2"})
        plan = ddb.plan_changes(current, {"tags": {"keep": "9"}, "purge_tags": False}, False, ON_DEMAND)
        assert plan["tags_to_set"] == {"keep": "9"}
        assert plan["tags_to_unset"] == []

    def test_empty_tags_remove_all(self):
        plan = ddb.plan_changes(settings(tags={"a": "1"}), {"tags": {}, "purge_tags": True}, False, ON_DEMAND)
        assert plan["tags_to_unset"] == ["a"]

    def test_table_class_of_a_replica_is_an_override(self):
        plan = ddb.plan_changes(settings(), {"table_class": "STANDARD_INFREQUENT_ACCESS"}, False, ON_DEMAND)
        assert plan["replica_update"] == {"TableClassOverride": "STANDARD_INFREQUENT_ACCESS"}
        assert plan["table_class"] is None

    def test_table_class_of_the_home_table_is_its_own(self):
        plan = ddb.plan_changes(settings(), {"table_class": "STANDARD_INFREQUENT_ACCESS"}, True, ON_DEMAND)
        assert plan["table_class"] == "STANDARD_INFREQUENT_ACCESS"
        assert plan["replica_update"] == {}

    def test_read_capacity_equal_to_the_inherited_base_is_no_change(self):
        plan = ddb.plan_changes(settings(), {"read_capacity_override": 5}, False, PROVISIONED)
        assert not ddb.plan_has_changes(plan)

    def test_read_capacity_override(self):
        plan = ddb.plan_changes(settings(read_capacity_override=7), {"read_capacity_override": 9}, False, PROVISIONED)
        assert plan["replica_update"] == {"ProvisionedThroughputOverride": {"ReadCapacityUnits": 9}}

    def test_read_capacity_override_needs_a_provisioned_table(self):
        plan = ddb.plan_changes(settings(), {"read_capacity_override": 9}, False, ON_DEMAND, "sessions")
        assert plan["problems"] == [
            "read_capacity_override applies only to PROVISIONED tables; table sessions is PAY_PER_REQUEST"
        ]

    def test_read_capacity_of_the_home_region_is_not_an_override(self):
        assert not ddb.plan_has_changes(ddb.plan_changes(settings(), {"read_capacity_override": 5}, True, PROVISIONED))
        plan = ddb.plan_changes(settings(), {"read_capacity_override": 6}, True, PROVISIONED)
        assert "home region" in plan["problems"][0]

    def test_gsi_overrides(self):
        current = settings(global_secondary_indexes=[{"index_name": "by-owner", "read_capacity_override": 3}])
        unchanged = {"global_secondary_indexes": [{"index_name": "by-owner", "read_capacity_override": 3}]}
        assert not ddb.plan_has_changes(ddb.plan_changes(current, unchanged, False, PROVISIONED))
        changed = {"global_secondary_indexes": [{"index_name": "by-owner", "read_capacity_override": 8}]}
        plan = ddb.plan_changes(current, changed, False, PROVISIONED)
        assert plan["replica_update"] == {
            "GlobalSecondaryIndexes": [
                {"IndexName": "by-owner", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 8}}
            ]
        }

    def test_gsi_must_exist(self):
        desired = {"global_secondary_indexes": [{"index_name": "nope", "read_capacity_override": 8}]}
        plan = ddb.plan_changes(settings(), desired, False, PROVISIONED, "sessions")
        assert plan["problems"] == ["table sessions has no global secondary index named nope"]

    def test_kms_change_is_refused_with_the_reason(self):
        current = settings(kms_master_key_id="arn:aws:kms:eu-west-1:1:key/old")
        plan = ddb.plan_changes(current, {"kms_master_key_id": "arn:aws:kms:eu-west-1:1:key/new"}, False, ON_DEMAND)
        assert len(plan["problems"]) == 1
        assert "must be recreated" in plan["problems"][0]
        assert "recreate=true" in plan["problems"][0]
        assert not plan["recreate"]

    def test_kms_change_with_recreate(self):
        current = settings(kms_master_key_id="arn:aws:kms:eu-west-1:1:key/old")
        desired = {"kms_master_key_id": "arn:aws:kms:eu-west-1:1:key/new", "deletion_protection": True}
        plan = ddb.plan_changes(current, desired, False, ON_DEMAND, recreate_allowed=True)
        assert plan["recreate"] and plan["problems"] == []
        after = ddb.predict_settings(current, plan, desired)
        assert after["kms_master_key_id"] == "arn:aws:kms:eu-west-1:1:key/new"
        assert after["deletion_protection"] is True

    def test_kms_change_of_the_home_table_is_refused_even_with_recreate(self):
        current = settings(kms_master_key_id=None)
        plan = ddb.plan_changes(current, {"kms_master_key_id": "arn:k"}, True, ON_DEMAND, recreate_allowed=True)
        assert not plan["recreate"]
        assert "never recreates the home table" in plan["problems"][0]

    def test_default_key_is_the_same_as_no_key(self):
        plan = ddb.plan_changes(settings(), {"kms_master_key_id": ddb.DEFAULT_KMS_ALIAS}, False, ON_DEMAND)
        assert not ddb.plan_has_changes(plan) and not plan["problems"]

    def test_predict(self):
        current = settings(tags={"a": "1", "b": "2"}, read_capacity_override=None)
        desired = {
            "table_class": "STANDARD_INFREQUENT_ACCESS",
            "read_capacity_override": 7,
            "global_secondary_indexes": [{"index_name": "by-owner", "read_capacity_override": 2}],
            "deletion_protection": True,
            "point_in_time_recovery": True,
            "tags": {"a": "1", "c": "3"},
            "purge_tags": True,
        }
        plan = ddb.plan_changes(current, desired, False, PROVISIONED)
        after = ddb.predict_settings(current, plan, desired)
        assert after["table_class"] == "STANDARD_INFREQUENT_ACCESS"
        assert after["read_capacity_override"] == 7
        assert after["global_secondary_indexes"] == [{"index_name": "by-owner", "read_capacity_override": 2}]
        assert after["deletion_protection"] is True
        assert after["point_in_time_recovery"] is True
        assert after["tags"] == {"a": "1", "c": "3"}
        assert current["tags"] == {"a": "1", "b": "2"}  # not modified in place


class TestCreate:
    def test_create_action_on_demand(self):
        desired = {"kms_master_key_id": None, "table_class": None, "read_capacity_override": None}
        assert ddb.create_action("eu-west-1", desired, ON_DEMAND) == {"RegionName": "eu-west-1"}

    def test_create_action_carries_the_overrides(self):
        desired = {
            "kms_master_key_id": "alias/sessions",
            "table_class": "STANDARD_INFREQUENT_ACCESS",
            "read_capacity_override": 7,
            "global_secondary_indexes": [{"index_name": "by-owner", "read_capacity_override": 2}],
        }
        assert ddb.create_action("eu-west-1", desired, PROVISIONED) == {
            "RegionName": "eu-west-1",
            "KMSMasterKeyId": "alias/sessions",
            "TableClassOverride": "STANDARD_INFREQUENT_ACCESS",
            "ProvisionedThroughputOverride": {"ReadCapacityUnits": 7},
            "GlobalSecondaryIndexes": [
                {"IndexName": "by-owner", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 2}}
            ],
        }

    def test_default_key_is_not_sent(self):
        action = ddb.create_action("eu-west-1", {"kms_master_key_id": ddb.DEFAULT_KMS_ALIAS}, ON_DEMAND)
        assert "KMSMasterKeyId" not in action

    def test_new_replica_then_regional_settings(self):
        desired = {"deletion_protection": True, "tags": {"a": "1"}, "purge_tags": True}
        start = ddb.new_replica_settings("eu-west-1", desired, ON_DEMAND)
        plan = ddb.plan_changes(start, desired, False, ON_DEMAND)
        assert plan["replica_update"] == {}
        assert plan["deletion_protection"] is True
        assert plan["tags_to_set"] == {"a": "1"}

    def test_write_capacity_refusals_use_aws_wording(self):
        assert ddb.write_capacity_problem(ON_DEMAND, False, set()) is None
        assert ddb.write_capacity_problem(PROVISIONED, True, set()) is None
        problem = ddb.write_capacity_problem(PROVISIONED, False, set())
        assert problem.startswith("Table write capacity should either be Pay-Per-Request or AutoScaled.")
        problem = ddb.write_capacity_problem(PROVISIONED, True, {"by-owner"})
        assert problem.startswith("GSI write capacity should either be Pay-Per-Request or AutoScaled.")
        assert "by-owner" in problem


# --------------------------------------------------------------------------------------------------------
# Orchestration helpers with fake clients (no network, no real sleeps)
# --------------------------------------------------------------------------------------------------------


class FakeDynamoDB:
    """Answers update_table/describe_table from scripted lists of results (exceptions are raised)."""

    def __init__(self, updates=(), describes=()):
        self.updates = list(updates)
        self.describes = list(describes)
        self.update_calls = []

    def update_table(self, **kwargs):
        self.update_calls.append(kwargs)
        result = self.updates.pop(0)
        if isinstance(result, Exception):
            raise result
        return {"TableDescription": result}

    def describe_table(self, TableName):  # noqa: N803 (boto3's name)
        result = self.describes.pop(0) if len(self.describes) > 1 else self.describes[0]
        if isinstance(result, Exception):
            raise result
        return {"Table": result}


def far():
    return ddb.time.monotonic() + 3600


class TestTakingTurns:
    def test_waits_its_turn_while_another_replica_change_is_in_flight(self, no_sleep):
        client = FakeDynamoDB(
            updates=[
                client_error("ResourceInUseException", "Attempt to change a resource which is still in use"),
                client_error("LimitExceededException", "... can be created, updated, or deleted simultaneously"),
                {"TableStatus": "UPDATING"},
            ],
            describes=[table_with()],
        )
        result = ddb.update_table_in_turn(
            client, "sessions", far(), "create", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}]
        )
        assert result == {"TableStatus": "UPDATING"}
        assert len(client.update_calls) == 3
        assert len(no_sleep) == 2

    def test_reads_until_the_table_is_free_before_asking_again(self, no_sleep):
        creating = {"RegionName": "eu-west-1", "ReplicaStatus": "CREATING"}
        active = {"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}
        client = FakeDynamoDB(
            updates=[
                client_error("LimitExceededException", "... can be created, updated, or deleted simultaneously"),
                {"TableStatus": "UPDATING"},
            ],
            describes=[table_with(creating), table_with(creating), table_with(creating), table_with(active)],
        )
        ddb.update_table_in_turn(client, "sessions", far(), "create", ReplicaUpdates=[{"Create": {"RegionName": "x"}}])
        assert len(client.update_calls) == 2
        assert len(client.describes) == 1
        assert len(no_sleep) == 3

    def test_other_errors_are_not_retried(self):
        client = FakeDynamoDB(updates=[client_error("ValidationException", ddb.WRITE_CAPACITY_MESSAGE)])
        with pytest.raises(ddb.AnsibleDynamoDBError) as raised:
            ddb.update_table_in_turn(client, "sessions", far(), "create", ReplicaUpdates=[])
        assert ddb.error_code_and_message(raised.value)[1] == ddb.WRITE_CAPACITY_MESSAGE
        assert len(client.update_calls) == 1

    def test_gives_up_at_the_deadline(self):
        client = FakeDynamoDB(updates=[client_error("ResourceInUseException", "in use")] * 3, describes=[table_with()])
        with pytest.raises(ddb.AnsibleDynamoDBError) as raised:
            ddb.update_table_in_turn(client, "sessions", ddb.time.monotonic(), "create", ReplicaUpdates=[])
        assert "still in flight" in str(raised.value)
        assert ddb.error_code_and_message(raised.value)[0] == "ResourceInUseException"


def table_with(*replicas, status="ACTIVE"):
    table = {"TableName": "sessions", "TableStatus": status}
    if replicas:
        table["Replicas"] = list(replicas)
    return table


class TestWaiting:
    def test_missing_entry_then_creating_then_active(self):
        client = FakeDynamoDB(
            describes=[
                table_with(status="UPDATING"),
                table_with({"RegionName": "eu-west-1", "ReplicaStatus": "CREATING"}, status="UPDATING"),
                table_with({"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}),
            ]
        )
        table = ddb.wait_replica_active(client, "sessions", "eu-west-1", far(), create_sent_at=ddb.time.monotonic())
        assert ddb.find_replica(table, "eu-west-1")["ReplicaStatus"] == "ACTIVE"

    def test_creation_failed_stops_the_wait(self):
        failed = {"RegionName": "eu-west-1", "ReplicaStatus": "CREATION_FAILED", "ReplicaStatusDescription": "quota"}
        client = FakeDynamoDB(describes=[table_with(failed)])
        with pytest.raises(ddb.AnsibleDynamoDBError) as raised:
            ddb.wait_replica_active(client, "sessions", "eu-west-1", far())
        assert "CREATION_FAILED: quota" in str(raised.value)

    def test_a_replica_that_never_appears_is_a_failed_create(self):
        client = FakeDynamoDB(describes=[table_with()])
        with pytest.raises(ddb.AnsibleDynamoDBError) as raised:
            ddb.wait_replica_active(
                client, "sessions", "eu-west-1", far(), create_sent_at=ddb.time.monotonic() - 61, grace=60
            )
        assert "never appeared" in str(raised.value)

    def test_timeout(self):
        client = FakeDynamoDB(describes=[table_with({"RegionName": "eu-west-1", "ReplicaStatus": "CREATING"})])
        with pytest.raises(ddb.AnsibleDynamoDBError) as raised:
            ddb.wait_replica_active(client, "sessions", "eu-west-1", ddb.time.monotonic())
        assert "Timed out" in str(raised.value)

    def test_replica_gone_needs_the_regional_table_gone_too(self):
        home = FakeDynamoDB(
            describes=[table_with({"RegionName": "eu-west-1", "ReplicaStatus": "DELETING"}), table_with()]
        )
        regional = FakeDynamoDB(
            describes=[
                {"TableStatus": "DELETING"},
                client_error("ResourceNotFoundException", "not found", "DescribeTable"),
            ]
        )
        ddb.wait_replica_gone(home, regional, "sessions", "eu-west-1", far())
        assert home.describes == [table_with()] and len(regional.describes) == 1
