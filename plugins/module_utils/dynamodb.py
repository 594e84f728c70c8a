# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""DynamoDB global tables (version 2019.11.21) for the global_table_* modules.

Two layers:

* thin boto3 calls, each retried on throttling with ``AWSRetry`` and wrapped by ``DynamoDBErrorHandler`` so
  that modules only ever catch ``AnsibleDynamoDBError``;
* pure functions (no AWS calls) for validation, status classification, the comparison of desired and
  current per-region settings and the prediction of the result, which the unit tests exercise directly.

The orchestration helpers in between (``update_table_in_turn``, ``wait_replica_active`` ...) take clients
and plain values, never the module.
"""

import contextlib
import re
import time
from copy import deepcopy

try:
    import boto3
except ImportError:  # handled by AnsibleAWSModule
    boto3 = None

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)

from ansible_collections.activeactive.aws.plugins.module_utils.waiting import WaitTimeout, wait_for

GLOBAL_TABLE_VERSION = "2019.11.21"
DEFAULT_KMS_ALIAS = "alias/aws/dynamodb"

# ReplicaStatus values (botocore dynamodb model).
ACTIVE = "ACTIVE"
PENDING_STATUSES = frozenset(["CREATING", "UPDATING", "DELETING", "ARCHIVING"])
TERMINAL_STATUSES = frozenset(
    [
        "CREATION_FAILED",
        "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
        "REGION_DISABLED",
        "REPLICATION_NOT_AUTHORIZED",
        "ARCHIVED",
    ]
)

# A new replica's entry shows up in the table's Replicas[] some seconds after UpdateTable returned (about 6 s
# on AWS). Until this long after the create request a missing entry counts as CREATING; after it, a missing
# entry on an ACTIVE table means the create failed asynchronously (AWS then just drops the entry).
MISSING_ENTRY_GRACE = 60.0

# AWS's own wording, used when refusing up front what AWS would refuse anyway.
WRITE_CAPACITY_MESSAGE = "Table write capacity should either be Pay-Per-Request or AutoScaled."
GSI_WRITE_CAPACITY_MESSAGE = "GSI write capacity should either be Pay-Per-Request or AutoScaled."

TABLE_NAME_RE = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
TABLE_ARN_RE = re.compile(r"^arn:(aws[a-z-]*):dynamodb:([a-z0-9-]+):(\d{12}):table/([^/]+)$")


class AnsibleDynamoDBError(AnsibleAWSError):
    pass


class DynamoDBErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleDynamoDBError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


class ContinuousBackupsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleDynamoDBError

    @classmethod
    def _is_missing(cls):
        # The continuous backups API names a missing table TableNotFoundException.
        return is_boto3_error_code(["TableNotFoundException", "ResourceNotFoundException"])


class KMSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleDynamoDBError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NotFoundException")


# ---------------------------------------------------------------------------------------------------------
# boto3 calls
# ---------------------------------------------------------------------------------------------------------


@DynamoDBErrorHandler.list_error_handler("describe table")
@AWSRetry.jittered_backoff()
def describe_table(client, name):
    """The table's description in the client's region, or None when there is no such table there."""
    return client.describe_table(TableName=name)["Table"]


@DynamoDBErrorHandler.common_error_handler("update table")
@AWSRetry.jittered_backoff()
def update_table(client, name, **params):
    return client.update_table(TableName=name, **params)["TableDescription"]


@ContinuousBackupsErrorHandler.list_error_handler("describe continuous backups")
@AWSRetry.jittered_backoff()
def describe_continuous_backups(client, name):
    return client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]


@DynamoDBErrorHandler.common_error_handler("update point-in-time recovery")
@AWSRetry.jittered_backoff(catch_extra_error_codes=["ContinuousBackupsUnavailableException"])
def update_continuous_backups(client, name, enabled):
    return client.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled}
    )["ContinuousBackupsDescription"]


@DynamoDBErrorHandler.list_error_handler("list table tags", default_value={})
@AWSRetry.jittered_backoff()
def list_tags(client, arn):
    tags = []
    kwargs = {}
    while True:
        page = client.list_tags_of_resource(ResourceArn=arn, **kwargs)
        tags.extend(page.get("Tags", []))
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    return boto3_tag_list_to_ansible_dict(tags)


@DynamoDBErrorHandler.common_error_handler("tag table")
@AWSRetry.jittered_backoff()
def tag_resource(client, arn, tags):
    if not tags:
        return False
    client.tag_resource(ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags))
    return True


@DynamoDBErrorHandler.common_error_handler("untag table")
@AWSRetry.jittered_backoff()
def untag_resource(client, arn, keys):
    if not keys:
        return False
    client.untag_resource(ResourceArn=arn, TagKeys=list(keys))
    return True


@KMSErrorHandler.list_error_handler("describe KMS key")
@AWSRetry.jittered_backoff()
def describe_kms_key(client, key_id):
    return client.describe_key(KeyId=key_id)["KeyMetadata"]


@DynamoDBErrorHandler.common_error_handler("describe scalable targets")
@AWSRetry.jittered_backoff()
def describe_write_scalable_targets(client, resource_ids, dimension):
    """Application Auto Scaling targets for these resources (``table/<name>[/index/<index>]``)."""
    paginator = client.get_paginator("describe_scalable_targets")
    result = paginator.paginate(
        ServiceNamespace="dynamodb", ResourceIds=list(resource_ids), ScalableDimension=dimension
    ).build_full_result()
    return result.get("ScalableTargets", [])


# ---------------------------------------------------------------------------------------------------------
# Validation (pure)
# ---------------------------------------------------------------------------------------------------------


def dynamodb_regions():
    """``{partition: set(regions)}`` where botocore knows a DynamoDB endpoint; no network."""
    session = boto3.session.Session()
    return {
        partition: set(session.get_available_regions("dynamodb", partition_name=partition))
        for partition in session.get_available_partitions()
    }


def region_partition(region, partitions):
    for partition, regions in partitions.items():
        if region in regions:
            return partition
    return None


def parse_table(table):
    """``(name, region_of_arn_or_None, problem_or_None)`` for a table given by name or ARN."""
    if not table:
        return None, None, "table must be a table name or a table ARN"
    match = TABLE_ARN_RE.match(table)
    if match:
        name, arn_region = match.group(4), match.group(2)
    elif table.startswith("arn:"):
        return (
            None,
            None,
            (f"table '{table}' is not a DynamoDB table ARN (arn:aws:dynamodb:<region>:<account>:table/<name>)"),
        )
    else:
        name, arn_region = table, None
    if not TABLE_NAME_RE.match(name):
        return (
            None,
            None,
            (f"table name '{name}' is invalid: 3 to 255 characters out of a-z, A-Z, 0-9, '_', '-' and '.'"),
        )
    return name, arn_region, None


def check_region(option, region, partitions):
    """A problem message when ``region`` is missing or unknown to botocore for DynamoDB, else None."""
    if not region:
        return f"{option} is required"
    if region_partition(region, partitions) is None:
        return f"{option} '{region}' is not a region where DynamoDB is available (known to botocore)"
    return None


def validate_replica_params(params, region, partitions):
    """Check global_table_replica's options before any AWS call.

    Returns ``(resolved, problem)``: ``resolved`` holds ``name`` and ``home_region``; ``problem`` is the
    first problem found (a message) or None.
    """
    name, arn_region, problem = parse_table(params.get("table"))
    if problem:
        return None, problem
    home_region = params.get("home_region")
    if arn_region and home_region and arn_region != home_region:
        return None, (
            f"table ARN '{params['table']}' names region {arn_region} but home_region is {home_region}; "
            "give the home table's ARN or leave home_region out"
        )
    home_region = home_region or arn_region
    if not home_region:
        return None, "home_region is required unless table is the home table's ARN"
    problem = check_region("home_region", home_region, partitions) or check_region("region", region, partitions)
    if problem:
        return None, problem
    if region_partition(region, partitions) != region_partition(home_region, partitions):
        return None, (
            f"region {region} and home_region {home_region} are in different AWS partitions; "
            "a global table cannot span partitions"
        )
    if params.get("wait_timeout") is not None and params["wait_timeout"] <= 0:
        return None, "wait_timeout must be a positive number of seconds"
    if params.get("read_capacity_override") is not None and params["read_capacity_override"] < 1:
        return None, "read_capacity_override must be at least 1"
    seen = set()
    for index in params.get("global_secondary_indexes") or []:
        if index.get("read_capacity_override") is not None and index["read_capacity_override"] < 1:
            return None, f"read_capacity_override of index {index['index_name']} must be at least 1"
        if index["index_name"] in seen:
            return None, f"index {index['index_name']} is listed more than once in global_secondary_indexes"
        seen.add(index["index_name"])
    if params.get("state") == "absent" and params.get("deletion_protection"):
        return None, "deletion_protection=true contradicts state=absent: a protected replica cannot be removed"
    if region == home_region and params.get("state") == "absent":
        return None, (
            f"region {region} is the home region of table {name}: state=absent would delete the home table "
            "itself, which this module never does. Remove the replicas in the other regions with "
            "state=absent, and delete the table with community.aws.dynamodb_table if that is really meant."
        )
    return {"name": name, "home_region": home_region}, None


# ---------------------------------------------------------------------------------------------------------
# Replica status (pure)
# ---------------------------------------------------------------------------------------------------------


def find_replica(table, region):
    """The ``Replicas[]`` entry for ``region`` in a table description, or None."""
    for entry in (table or {}).get("Replicas") or []:
        if entry.get("RegionName") == region:
            return entry
    return None


def classify_replica(entry, table_status, create_sent_at=None, now=None, grace=MISSING_ENTRY_GRACE):
    """How a replica stands, from its ``Replicas[]`` entry (or None) as the home table reports it.

    Returns ``(state, detail)`` with ``state`` one of ``active``, ``pending``, ``failed``, ``absent``.
    ``create_sent_at`` (a ``time.monotonic()`` value) is set while waiting for a create this run sent: a
    missing entry then counts as pending during ``grace`` seconds and while the home table is still busy,
    and as a failed create afterwards.
    """
    if entry is not None:
        status = entry.get("ReplicaStatus")
        description = entry.get("ReplicaStatusDescription")
        if status == ACTIVE:
            return "active", status
        if status in TERMINAL_STATUSES:
            detail = f"replica status {status}"
            if description:
                detail += f": {description}"
            return "failed", detail
        return "pending", status
    if create_sent_at is None:
        return "absent", None
    now = time.monotonic() if now is None else now
    if now - create_sent_at < grace or table_status != ACTIVE:
        return "pending", "CREATING (not yet listed in Replicas)"
    return "failed", (
        f"the replica never appeared in the table's replica list: {grace:.0f} seconds after the create request "
        f"the table is {table_status} again without it, so AWS dropped the create (for example the KMS key is "
        "not usable in that region, or the region's capacity quotas are lower than the table needs)"
    )


def error_code_and_message(error):
    """``(code, message)`` of the ClientError behind an AnsibleAWSError (or of a ClientError itself)."""
    exc = getattr(error, "exception", error)
    response = getattr(exc, "response", None) or {}
    err = response.get("Error", {})
    return err.get("Code", ""), err.get("Message", "")


def is_busy_error(code, message):
    """True for errors that mean "another change is in flight, try again later" on UpdateTable."""
    if code == "ResourceInUseException":
        return True
    if code == "LimitExceededException" and "simultaneously" in message:
        return True
    # Eventual consistency right after another replica change (Terraform retries it too).
    return code == "ValidationException" and "Replica specified in the Replica Update or Replica Delete" in message


def is_already_replica_error(code, message):
    return code == "ValidationException" and "already existed as tables" in message


def is_not_member_error(code, message):
    return code == "ValidationException" and "were not part of the global table" in message


# ---------------------------------------------------------------------------------------------------------
# Per-region settings (pure)
# ---------------------------------------------------------------------------------------------------------


def base_capacity(home_table):
    """What a replica inherits unless it overrides it: billing mode and read capacities."""
    billing = (home_table.get("BillingModeSummary") or {}).get("BillingMode")
    if billing is None:
        # Tables created PROVISIONED before BillingModeSummary existed do not report it.
        billing = (
            "PROVISIONED"
            if (home_table.get("ProvisionedThroughput") or {}).get("ReadCapacityUnits")
            else ("PAY_PER_REQUEST")
        )
    gsis = {}
    for index in home_table.get("GlobalSecondaryIndexes") or []:
        gsis[index["IndexName"]] = (index.get("ProvisionedThroughput") or {}).get("ReadCapacityUnits")
    return {
        "billing_mode": billing,
        "read_capacity": (home_table.get("ProvisionedThroughput") or {}).get("ReadCapacityUnits"),
        "gsi_read_capacity": gsis,
    }


def replica_settings(region, home_table, region_table, point_in_time_recovery, tags, is_home):
    """The normalized per-region view of one member of the global table (snake_case, tags as a dict).

    ``home_table`` is the table as the home region describes it, ``region_table`` as ``region`` describes
    it (None while it cannot be read). Overrides that a replica does not set are None (it inherits).
    """
    region_table = region_table or {}
    entry = None if is_home else (find_replica(home_table, region) or {})
    sse = region_table.get("SSEDescription") or {}
    if is_home:
        status = home_table.get("TableStatus")
        description = None
        kms = sse.get("KMSMasterKeyArn")
        table_class = (region_table.get("TableClassSummary") or {}).get("TableClass")
        read_override = None
        gsi_overrides = []
    else:
        status = entry.get("ReplicaStatus")
        description = entry.get("ReplicaStatusDescription")
        kms = entry.get("KMSMasterKeyId") or sse.get("KMSMasterKeyArn")
        table_class = (entry.get("ReplicaTableClassSummary") or {}).get("TableClass") or (
            region_table.get("TableClassSummary") or {}
        ).get("TableClass")
        read_override = (entry.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits")
        gsi_overrides = [
            {
                "index_name": index["IndexName"],
                "read_capacity_override": (index.get("ProvisionedThroughputOverride") or {}).get("ReadCapacityUnits"),
            }
            for index in entry.get("GlobalSecondaryIndexes") or []
        ]
    settings = {
        "region_name": region,
        "is_home_region": is_home,
        "replica_status": status,
        "table_status": region_table.get("TableStatus"),
        "table_arn": region_table.get("TableArn"),
        "kms_master_key_id": kms,
        "table_class": table_class or "STANDARD",
        "read_capacity_override": read_override,
        "global_secondary_indexes": gsi_overrides,
        "deletion_protection": bool(region_table.get("DeletionProtectionEnabled", False)),
        "point_in_time_recovery": point_in_time_recovery,
        "tags": tags if tags is not None else {},
    }
    if description:
        settings["replica_status_description"] = description
    return settings


def pitr_enabled(continuous_backups):
    if not continuous_backups:
        return False
    status = (continuous_backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
    return status in ("ENABLED", "ENABLING")


def normalize_kms_key(key):
    """The default key ``alias/aws/dynamodb`` (and "no key") compare as None."""
    if not key or key in (DEFAULT_KMS_ALIAS, "AWS_OWNED_KMS_KEY"):
        return None
    return key


def empty_plan():
    return {
        "recreate": False,
        "replica_update": {},
        "table_class": None,
        "deletion_protection": None,
        "point_in_time_recovery": None,
        "tags_to_set": {},
        "tags_to_unset": [],
        "problems": [],
    }


def plan_changes(current, desired, is_home, base, table_name=None, recreate_allowed=False):
    """Compare desired and current per-region settings; return what has to be done (no AWS calls).

    ``current`` comes from ``replica_settings``; ``desired`` holds the module's options, None meaning "leave
    as is" (``kms_master_key_id`` already resolved to an ARN where it needed resolving). ``base`` comes from
    ``base_capacity``. The plan lists:

    * ``recreate``: the replica must be deleted and created again (a KMS key change with recreate allowed);
    * ``replica_update``: fields of a ``ReplicaUpdates`` Update action for a replica (sent to the home region);
    * ``table_class``: a new ``TableClass`` for the home table itself (regional UpdateTable);
    * ``deletion_protection`` / ``point_in_time_recovery``: new values, applied in the region itself;
    * ``tags_to_set`` / ``tags_to_unset``;
    * ``problems``: messages for requests that cannot be carried out; nothing should run when there are any.
    """
    plan = empty_plan()
    table = f"table {table_name}" if table_name else "the table"
    where = f"{table} in region {current['region_name']}"

    kms = desired.get("kms_master_key_id")
    if kms is not None and normalize_kms_key(kms) != normalize_kms_key(current.get("kms_master_key_id")):
        have = current.get("kms_master_key_id") or DEFAULT_KMS_ALIAS
        if is_home:
            plan["problems"].append(
                f"The home {where} is encrypted with KMS key {have}, not {kms}. This module does not change "
                "the home table's key and never recreates the home table."
            )
        elif not recreate_allowed:
            plan["problems"].append(
                f"The replica of {where} is encrypted with KMS key {have}, not {kms}. A replica's KMS key "
                "cannot be changed: the replica must be recreated (deleted, then created again from the other "
                "regions). Set recreate=true to have the module do that."
            )
        else:
            plan["recreate"] = True

    table_class = desired.get("table_class")
    if table_class is not None and table_class != current.get("table_class"):
        if is_home:
            plan["table_class"] = table_class
        else:
            plan["replica_update"]["TableClassOverride"] = table_class

    read_override = desired.get("read_capacity_override")
    gsi_desired = desired.get("global_secondary_indexes") or []
    if (read_override is not None or any(i.get("read_capacity_override") is not None for i in gsi_desired)) and (
        base["billing_mode"] != "PROVISIONED"
    ):
        plan["problems"].append(
            f"read_capacity_override applies only to PROVISIONED tables; {table} is {base['billing_mode']}"
        )
    else:
        if read_override is not None:
            have = current.get("read_capacity_override") or base["read_capacity"]
            if read_override != have:
                if is_home:
                    plan["problems"].append(
                        f"{where} is the home region: its read capacity is the table's provisioned throughput "
                        f"({base['read_capacity']}), not an override. Change it with community.aws.dynamodb_table "
                        "or leave read_capacity_override out for the home region."
                    )
                else:
                    plan["replica_update"]["ProvisionedThroughputOverride"] = {"ReadCapacityUnits": read_override}
        current_gsi = {
            i["index_name"]: i.get("read_capacity_override") for i in current.get("global_secondary_indexes") or []
        }
        gsi_updates = []
        for index in gsi_desired:
            index_name = index["index_name"]
            if index_name not in base["gsi_read_capacity"]:
                plan["problems"].append(f"{table} has no global secondary index named {index_name}")
                continue
            wanted = index.get("read_capacity_override")
            if wanted is None:
                continue
            have = current_gsi.get(index_name) or base["gsi_read_capacity"][index_name]
            if wanted == have:
                continue
            if is_home:
                plan["problems"].append(
                    f"{where} is the home region: index {index_name}'s read capacity is its provisioned throughput, "
                    "not an override. Change it with community.aws.dynamodb_table."
                )
                continue
            gsi_updates.append(
                {"IndexName": index_name, "ProvisionedThroughputOverride": {"ReadCapacityUnits": wanted}}
            )
        if gsi_updates:
            plan["replica_update"]["GlobalSecondaryIndexes"] = gsi_updates

    for option in ("deletion_protection", "point_in_time_recovery"):
        wanted = desired.get(option)
        if wanted is not None and bool(wanted) != bool(current.get(option)):
            plan[option] = bool(wanted)

    if desired.get("tags") is not None:
        to_set, to_unset = compare_aws_tags(current.get("tags") or {}, desired["tags"], desired.get("purge_tags", True))
        plan["tags_to_set"], plan["tags_to_unset"] = to_set, sorted(to_unset)

    return plan


def plan_has_changes(plan):
    return bool(
        plan["recreate"] or plan["replica_update"] or plan["table_class"] is not None or has_regional_changes(plan)
    )


def has_regional_changes(plan):
    """Whether the plan changes anything applied in the region itself (deletion protection, PITR, tags)."""
    return bool(
        plan["deletion_protection"] is not None
        or plan["point_in_time_recovery"] is not None
        or plan["tags_to_set"]
        or plan["tags_to_unset"]
    )


def regional_plan(plan):
    """The part of a plan that is applied in the replica's own region once it is ACTIVE."""
    return {
        "deletion_protection": plan["deletion_protection"],
        "point_in_time_recovery": plan["point_in_time_recovery"],
        "tags_to_set": plan["tags_to_set"],
        "tags_to_unset": plan["tags_to_unset"],
    }


def predict_settings(current, plan, desired=None):
    """The per-region settings once ``plan`` is carried out (for check mode and diff)."""
    after = deepcopy(current)
    desired = desired or {}
    if plan["recreate"]:
        after["kms_master_key_id"] = normalize_kms_key(desired.get("kms_master_key_id"))
    update = plan["replica_update"]
    if "TableClassOverride" in update:
        after["table_class"] = update["TableClassOverride"]
    if plan["table_class"] is not None:
        after["table_class"] = plan["table_class"]
    if "ProvisionedThroughputOverride" in update:
        after["read_capacity_override"] = update["ProvisionedThroughputOverride"]["ReadCapacityUnits"]
    if "GlobalSecondaryIndexes" in update:
        indexes = {i["index_name"]: i for i in after.get("global_secondary_indexes") or []}
        for index in update["GlobalSecondaryIndexes"]:
            indexes[index["IndexName"]] = {
                "index_name": index["IndexName"],
                "read_capacity_override": index["ProvisionedThroughputOverride"]["ReadCapacityUnits"],
            }
        after["global_secondary_indexes"] = [indexes[k] for k in sorted(indexes)]
    for option in ("deletion_protection", "point_in_time_recovery"):
        if plan[option] is not None:
            after[option] = plan[option]
    if plan["tags_to_set"] or plan["tags_to_unset"]:
        tags = dict(after.get("tags") or {})
        for key in plan["tags_to_unset"]:
            tags.pop(key, None)
        tags.update(plan["tags_to_set"])
        after["tags"] = tags
    return after


def new_replica_settings(region, desired, base):
    """The per-region settings a replica created now will start with (before regional settings)."""
    current = {
        "region_name": region,
        "is_home_region": False,
        "replica_status": "CREATING",
        "table_status": None,
        "table_arn": None,
        "kms_master_key_id": normalize_kms_key(desired.get("kms_master_key_id")),
        "table_class": desired.get("table_class") or "STANDARD",
        "read_capacity_override": (
            desired.get("read_capacity_override") if base["billing_mode"] == "PROVISIONED" else None
        ),
        "global_secondary_indexes": [
            {"index_name": i["index_name"], "read_capacity_override": i.get("read_capacity_override")}
            for i in desired.get("global_secondary_indexes") or []
            if i.get("read_capacity_override") is not None
        ],
        "deletion_protection": False,
        "point_in_time_recovery": False,
        "tags": {},
    }
    return current


def create_action(region, desired, base):
    """The ``Create`` replica action for ``region`` (one replica per UpdateTable call)."""
    action = {"RegionName": region}
    kms = desired.get("kms_master_key_id")
    if normalize_kms_key(kms):
        action["KMSMasterKeyId"] = kms
    if desired.get("table_class"):
        action["TableClassOverride"] = desired["table_class"]
    if base["billing_mode"] == "PROVISIONED":
        if desired.get("read_capacity_override") is not None:
            action["ProvisionedThroughputOverride"] = {"ReadCapacityUnits": desired["read_capacity_override"]}
        indexes = [
            {
                "IndexName": i["index_name"],
                "ProvisionedThroughputOverride": {"ReadCapacityUnits": i["read_capacity_override"]},
            }
            for i in desired.get("global_secondary_indexes") or []
            if i.get("read_capacity_override") is not None
        ]
        if indexes:
            action["GlobalSecondaryIndexes"] = indexes
    return action


def write_capacity_problem(base, table_target_found, gsis_without_target):
    """AWS's refusal, worded as AWS words it, when a provisioned table's writes are not autoscaled."""
    if base["billing_mode"] != "PROVISIONED":
        return None
    if not table_target_found:
        return WRITE_CAPACITY_MESSAGE + " Register an Application Auto Scaling target for the table's writes first."
    if gsis_without_target:
        return GSI_WRITE_CAPACITY_MESSAGE + (
            f" No Application Auto Scaling write target for index(es) {', '.join(sorted(gsis_without_target))}."
        )
    return None


# ---------------------------------------------------------------------------------------------------------
# Orchestration helpers: take clients and plain values, wait with wait_for (never fixed sleeps)
# ---------------------------------------------------------------------------------------------------------


def remaining(deadline):
    return max(0.0, deadline - time.monotonic())


def table_is_changing(table):
    """True while the table or one of its replicas has a change in flight (AWS then refuses UpdateTable)."""
    if table is None:
        return False
    if table.get("TableStatus") != ACTIVE:
        return True
    return any(replica.get("ReplicaStatus") in PENDING_STATUSES for replica in table.get("Replicas", []))


def _wait_until_free(client, name, deadline, what):
    """Poll DescribeTable until no change is in flight (or the deadline); how many descriptions it took."""
    looks = []

    def free(table):
        looks.append(table)
        return not table_is_changing(table)

    with contextlib.suppress(WaitTimeout):
        wait_for(lambda: describe_table(client, name), free, remaining(deadline), f"a turn to {what}", 1.0, 5.0)
    return len(looks)


def update_table_in_turn(client, name, deadline, what, **params):
    """UpdateTable, waiting for our turn while another change holds the table (until ``deadline``).

    AWS takes one replica create/delete at a time and refuses any other UpdateTable while one is in flight
    (ResourceInUseException, or LimitExceededException "... simultaneously"). Hosts of one play that each
    manage their own region therefore take turns here instead of failing: after a refusal, DescribeTable
    is polled (a read, cheap and not rate-limited like UpdateTable) until the table is free, and only then
    is UpdateTable sent again. When the table already looks free but AWS still refuses (its view lags),
    the next try backs off.
    """
    refusals_while_free = 0
    while True:
        try:
            return update_table(client, name, **params)
        except AnsibleDynamoDBError as e:
            code, message = error_code_and_message(e)
            if not is_busy_error(code, message):
                raise
            refused = e
        looks = _wait_until_free(client, name, deadline, what)
        if looks == 1:  # free at first look, yet refused: AWS's view lags, so back off
            refusals_while_free += 1
            time.sleep(min(2.0**refusals_while_free, 15.0, remaining(deadline)))
        else:
            refusals_while_free = 0
        if remaining(deadline) <= 0:
            raise AnsibleDynamoDBError(
                message=f"Timed out waiting for a turn to {what}: another change to table {name} was still in flight",
                exception=refused.exception,
            )


def wait_for_table(client, name, is_done, deadline, what):
    """Poll DescribeTable in the client's region until ``is_done(table or None)``; the last description.

    Gives up at ``deadline`` (a ``time.monotonic()`` value) with an AnsibleDynamoDBError naming ``what``.
    """
    try:
        return wait_for(lambda: describe_table(client, name), is_done, remaining(deadline), what)
    except WaitTimeout as e:
        raise AnsibleDynamoDBError(message=str(e)) from e


def wait_replica_active(home_client, name, region, deadline, create_sent_at=None, grace=MISSING_ENTRY_GRACE):
    """Wait until ``region``'s entry in the home table's Replicas[] is ACTIVE; fail on a terminal status."""

    def done(table):
        if table is None:
            raise AnsibleDynamoDBError(message=f"Table {name} disappeared from its home region")
        state, detail = classify_replica(
            find_replica(table, region), table.get("TableStatus"), create_sent_at, time.monotonic(), grace
        )
        if state == "failed":
            raise AnsibleDynamoDBError(message=f"Replica of table {name} in region {region} failed: {detail}")
        if state == "absent":
            raise AnsibleDynamoDBError(message=f"Table {name} has no replica in region {region}")
        return state == "active"

    return wait_for_table(
        home_client, name, done, deadline, f"the replica of table {name} in {region} to become ACTIVE"
    )


def wait_table_active(client, name, deadline, what):
    """Wait until the table, as the client's region describes it, is ACTIVE."""

    def done(table):
        if table is None:
            return False
        return table.get("TableStatus") == ACTIVE

    return wait_for_table(client, name, done, deadline, what)


def wait_table_gone(client, name, deadline, what):
    return wait_for_table(client, name, lambda t: t is None, deadline, what)


def wait_replica_gone(home_client, region_client, name, region, deadline):
    """Wait until ``region`` left the home table's Replicas[] and its regional table is gone."""

    def done(table):
        entry = find_replica(table, region)
        if entry is not None and entry.get("ReplicaStatus") in TERMINAL_STATUSES - {"ARCHIVED"}:
            return False
        return entry is None

    wait_for_table(
        home_client, name, done, deadline, f"the replica of table {name} in {region} to leave the global table"
    )
    # Until the regional table is gone AWS refuses to add that region again.
    wait_table_gone(region_client, name, deadline, f"the table {name} in {region} to be deleted")


def apply_regional_settings(region_client, name, arn, plan, deadline, wait):
    """Deletion protection, point-in-time recovery and tags, in the region itself."""
    if plan["deletion_protection"] is not None:
        update_table_in_turn(
            region_client,
            name,
            deadline,
            f"set deletion protection of table {name}",
            DeletionProtectionEnabled=plan["deletion_protection"],
        )
        if wait:
            wait_table_active(
                region_client, name, deadline, f"table {name} to be ACTIVE after the deletion protection change"
            )
    if plan["point_in_time_recovery"] is not None:
        update_continuous_backups(region_client, name, plan["point_in_time_recovery"])
    if plan["tags_to_unset"]:
        untag_resource(region_client, arn, plan["tags_to_unset"])
    if plan["tags_to_set"]:
        tag_resource(region_client, arn, plan["tags_to_set"])


def read_region(region_client, name, region_table=None):
    """The table as one region sees it, with its point-in-time recovery and tags; None where unreadable."""
    if region_table is None:
        region_table = describe_table(region_client, name)
    if region_table is None:
        return None, None, None
    pitr = None
    tags = None
    if region_table.get("TableStatus") not in ("CREATING", "DELETING"):
        pitr = pitr_enabled(describe_continuous_backups(region_client, name))
        tags = list_tags(region_client, region_table["TableArn"])
    return region_table, pitr, tags
