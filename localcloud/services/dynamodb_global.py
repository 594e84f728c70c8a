"""DynamoDB global tables (version 2019.11.21): replication groups, the replica lifecycle and its rules.

moto keeps each region's table and items; this module keeps which tables form a group and when each member
changed. Statuses are computed on read from those timestamps, timed by the delay profile. Every moto DynamoDB
call our layer makes, and every read or change of this state, holds ``LOCK``.
"""

import copy
import functools
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import botocore.session
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.core.utils import unix_time
from moto.dynamodb.models import dynamodb_backends

from .. import delays, layer
from ..errors import AWSError

GLOBAL_TABLE_VERSION = "2019.11.21"
LOCK = threading.RLock()

IN_USE = "The resource which you are attempting to change is in use."
STREAM_FROZEN = "One or more parameter values were invalid: Disabling Stream is not allowed for a Global Table replica."
PROTECTED = (
    "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
)
SOURCE_WINDOW = (
    "Replica cannot be deleted because it has acted as a source region for new replica(s) being added to the table "
    "in the last 24 hours."
)
# UpdateTable settings copied to every member; TableClass reaches every member too. DeletionProtection, tags
# and point-in-time recovery stay in their region.
GROUP_WIDE_UPDATES = ("AttributeDefinitions", "BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexUpdates")
OTHER_TABLE_UPDATES = (
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexUpdates",
    "StreamSpecification",
    "SSESpecification",
    "TableClass",
    "DeletionProtectionEnabled",
    "OnDemandThroughput",
    "WarmThroughput",
    "GlobalTableSettingsReplicationMode",
    "DisassociationProtectionEnabled",
    "VectorIndexUpdates",
)
REPLICA_ACTIONS = ("Create", "Update", "Delete", "Disassociate")
NO_ACTIONS = "There are no actions specified in the Replica Update Action of the request."
CONTINUOUS_BACKUP_OPERATIONS = ("DescribeContinuousBackups", "UpdateContinuousBackups", "CreateBackup")
# AWS allows 500 tables per account and region in CREATING, UPDATING or DELETING at once (LimitExceededException).
TABLE_OPERATIONS_LIMIT_VARIABLE = "LOCALCLOUD_DYNAMODB_TABLE_OPERATIONS_LIMIT"


@dataclass
class Member:
    """One region's table in a replication group, and when its state changes."""

    region: str
    listed_at: float
    active_at: float
    updating_until: float = 0.0
    delisted_at: float | None = None
    sourced: dict[str, float] = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)

    def listed(self, now: float) -> bool:
        return now >= self.listed_at

    def status(self, now: float) -> str:
        if self.delisted_at is not None:
            return "DELETING"
        if now < self.active_at:
            return "CREATING"
        if now < self.updating_until:
            return "UPDATING"
        return "ACTIVE"


@dataclass
class Group:
    account: str
    name: str
    members: dict[str, Member] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplicaAction:
    kind: str
    body: dict

    @property
    def region(self) -> str:
        return self.body.get("RegionName", "")


_groups: dict[tuple[str, str, str], Group] = {}  # (account, region, table) of each member: its group
_leaving: dict[tuple[str, str, str], float] = {}  # tables out of their group, DELETING until this time
_table_classes: dict[tuple[str, str, str], str] = {}  # moto keeps no table class


@layer.on_reset
def reset() -> None:
    with LOCK:
        _groups.clear()
        _leaving.clear()
        _table_classes.clear()


def table_name(name_or_arn: str) -> str:
    return name_or_arn.split("/")[1] if name_or_arn.startswith("arn:") else name_or_arn


def table_names(params: dict) -> set[str]:
    """Every table a request names: TableName, a table or stream ARN, batch and transaction items."""
    names = {params.get("TableName"), params.get("ResourceArn")}
    names.update(params.get("RequestItems") or {})
    for item in params.get("TransactItems") or []:
        names.update(action.get("TableName") for action in item.values())
    return {table_name(name) for name in names if name}


def moto_table(account: str, region: str, name: str):
    return dynamodb_backends[account][region].tables.get(name)


def group_of(account: str, region: str, name: str) -> Group | None:
    return _groups.get((account, region, name))


def destinations(account: str, region: str, name: str) -> list[str]:
    """The other members a write in this region replicates to."""
    group = group_of(account, region, name)
    if group is None:
        return []
    return [m.region for m in group.members.values() if m.region != region and m.delisted_at is None]


def accepts_replication(account: str, region: str, name: str) -> bool:
    group = group_of(account, region, name)
    return group is not None and group.members[region].delisted_at is None


def settle() -> None:
    """Finish what time has completed: members whose delete ended leave their group, then their table goes."""
    now = time.monotonic()
    for group in {id(g): g for g in _groups.values()}.values():
        for member in list(group.members.values()):
            if member.delisted_at is not None and now >= member.delisted_at:
                _delist(group, member)
        if len(group.members) == 1:
            (last,) = group.members.values()
            if last.delisted_at is None:
                del _groups[(group.account, last.region, group.name)]
    for key, gone_at in list(_leaving.items()):
        if now >= gone_at:
            account, region, name = key
            dynamodb_backends[account][region].tables.pop(name, None)
            del _leaving[key]
            _table_classes.pop(key, None)


def _delist(group: Group, member: Member) -> None:
    del group.members[member.region]
    key = (group.account, member.region, group.name)
    del _groups[key]
    _leaving[key] = member.delisted_at + delays.seconds("dynamodb.replica.table_gone")


def regional_state(account: str, region: str, name: str, now: float) -> str | None:
    """Our status for this region's table, or None when moto's answer stands (a regional table)."""
    key = (account, region, name)
    if key in _leaving:
        return "DELETING"
    group = _groups.get(key)
    if group is None:
        return None
    member = group.members[region]
    return member.status(now) if member.listed(now) else "PENDING"


def check_reachable(account: str, region: str, operation: str, names: set[str]) -> None:
    """A replica still being created or deleted answers DescribeTable only; before it is listed, nothing."""
    now = time.monotonic()
    for name in names:
        state = regional_state(account, region, name, now)
        if state == "PENDING" or (state in ("CREATING", "DELETING") and operation != "DescribeTable"):
            raise _not_found(operation, name)


def check_changeable(account: str, region: str, operation: str, name: str) -> None:
    """UpdateTable and DeleteTable on a table mid-change: AWS's in-use refusals."""
    state = regional_state(account, region, name, time.monotonic())
    if state == "CREATING" and operation == "DeleteTable":
        message = f"Attempt to change a resource which is still in use: Table: {name} is being used."
        raise AWSError("ResourceInUseException", message)
    if state == "DELETING":
        raise AWSError("ResourceInUseException", IN_USE)
    check_reachable(account, region, operation, {name})


def _not_found(operation: str, name: str) -> AWSError:
    if operation in CONTINUOUS_BACKUP_OPERATIONS:
        return AWSError("TableNotFoundException", f"Table not found: {name}")
    return AWSError("ResourceNotFoundException", f"Requested resource not found: Table: {name} not found")


def _invalid(message: str) -> AWSError:
    return AWSError("ValidationException", message)


# --- UpdateTable with ReplicaUpdates -----------------------------------------------------------------------


def update_replicas(account: str, region: str, params: dict) -> list[ReplicaAction]:
    """Validate ReplicaUpdates in AWS's order, then start the changes they ask for."""
    name = table_name(params["TableName"])
    actions = _replica_actions(params)
    for action in actions:
        _check_target_region(action, region)
    table, group = _check_group_quiet(account, region, name)
    for action in actions:
        _check_action(account, region, name, table, group, action)
    _check_simultaneous_operations(account, (region, *(action.region for action in actions)))
    for action in actions:
        _START[action.kind](account, region, name, action)
    return actions


def _replica_actions(params: dict) -> list[ReplicaAction]:
    if any(params.get(update) is not None for update in OTHER_TABLE_UPDATES):
        raise _invalid(
            "One or more parameter values were invalid: Replica modification must be the only operation in the request"
        )
    if params.get("MultiRegionConsistency") == "STRONG" or params.get("GlobalTableWitnessUpdates"):
        raise _invalid("The local cloud serves MultiRegionConsistency EVENTUAL only (no STRONG groups, no witnesses).")
    actions: list[ReplicaAction] = []
    for update in params["ReplicaUpdates"]:
        kinds = [kind for kind in REPLICA_ACTIONS if kind in update]
        if not kinds:
            raise _invalid(NO_ACTIONS)
        for kind in kinds:
            action = ReplicaAction(kind, update[kind])
            if action not in actions:  # identical actions count once
                actions.append(action)
    counts = Counter(action.kind for action in actions)
    if counts["Create"] > 1 or counts["Delete"] > 1:
        raise _invalid("Update table operation with more than one create or delete replica actions not allowed")
    if len(counts) > 1:
        raise _invalid("Update table operation with more than one type of replica actions not allowed.")
    if len({action.region for action in actions}) < len(actions):
        raise _invalid("Cannot target multiple regions with the same action")
    if counts["Disassociate"]:
        raise _invalid("The local cloud does not serve ReplicaUpdates Disassociate.")
    if any(set(action.body) <= {"RegionName"} for action in actions if action.kind == "Update"):
        raise _invalid(NO_ACTIONS)
    return actions


def _check_action(account: str, region: str, name: str, table, group: Group | None, action: ReplicaAction) -> None:
    if action.kind == "Create":
        _check_can_create(account, region, name, table, group, action)
        return
    _check_member(group, action)
    if action.kind == "Delete":
        _check_can_delete(account, name, group, action.region)
    elif "KMSMasterKeyId" in action.body:
        raise _invalid("One or more parameter values were invalid: KMSMasterKeyId must be specified for each replica.")
    elif "ProvisionedThroughputOverride" in action.body and table.billing_mode == "PAY_PER_REQUEST":
        raise _invalid(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
        )


def _check_target_region(action: ReplicaAction, region: str) -> None:
    if action.region == region:
        raise _invalid(
            "Cannot add, delete, or update the local region through ReplicaUpdates. "
            "Use CreateTable, DeleteTable, or UpdateTable as required."
        )
    if action.region not in _supported_regions():
        raise _invalid(
            f"Region {action.region} is not supported. The latest version of global tables are only supported "
            f"in the following regions: [{', '.join(_supported_regions())}]"
        )


@functools.cache
def _supported_regions() -> tuple[str, ...]:
    return tuple(botocore.session.get_session().get_available_regions("dynamodb"))


def _check_group_quiet(account: str, region: str, name: str):
    """The table and its group, when no member of it is mid-change."""
    now = time.monotonic()
    table = moto_table(account, region, name)
    state = regional_state(account, region, name, now)
    if table is None or state == "PENDING":
        raise _not_found("UpdateTable", name)
    if state == "CREATING":
        raise _invalid(
            "Create/Update/Delete of replica is not allowed while the replica is being added to table with name: "
            f"\u2018{name}\u2019 in region: \u2018{region}\u2019."
        )
    group = group_of(account, region, name)
    if state == "DELETING" or (group and any(m.status(now) != "ACTIVE" for m in group.members.values())):
        raise AWSError("ResourceInUseException", IN_USE)
    return table, group


def _check_can_create(account: str, region: str, name: str, table, group: Group | None, action: ReplicaAction) -> None:
    if (group and action.region in group.members) or moto_table(account, action.region, name) is not None:
        raise _invalid(
            f"Failed to create a the new replica of table with name: \u2018{name}\u2019 because one or more "
            "replicas already existed as tables."
        )
    if table.billing_mode == "PAY_PER_REQUEST":
        return
    if not _write_autoscaled(account, region, f"table/{name}", "dynamodb:table:WriteCapacityUnits"):
        raise _invalid("Table write capacity should either be Pay-Per-Request or AutoScaled.")
    for index in table.global_indexes:
        index_id = f"table/{name}/index/{index.name}"
        if not _write_autoscaled(account, region, index_id, "dynamodb:index:WriteCapacityUnits"):
            raise _invalid("GSI write capacity should either be Pay-Per-Request or AutoScaled.")


def _write_autoscaled(account: str, region: str, resource_id: str, dimension: str) -> bool:
    """Application Auto Scaling manages this write capacity: a scalable target and a scaling policy on it."""
    autoscaling = applicationautoscaling_backends[account][region]
    has_target = resource_id in autoscaling.targets.get(dimension, {})
    has_policy = any(
        p.service_namespace == "dynamodb" and p.resource_id == resource_id and p.scalable_dimension == dimension
        for p in autoscaling.policies.values()
    )
    return has_target and has_policy


def _check_member(group: Group | None, action: ReplicaAction) -> None:
    member = group.members.get(action.region) if group else None
    if member is None or not member.listed(time.monotonic()):
        raise _invalid(
            "Update global table operation failed because one or more replicas were not part of the global table. "
            f"Please retry the request without these replicas: [{action.region}]."
        )


def _check_can_delete(account: str, name: str, group: Group, region: str) -> None:
    if moto_table(account, region, name).deletion_protection_enabled:
        raise _invalid(
            f"Cannot delete table {name} in region {region} because it has deletion protection enabled. "
            "Disable deletion protection first."
        )
    check_not_recent_source(group, region)


def check_not_recent_source(group: Group, region: str) -> None:
    """The 24-hour rule: a region that sourced a replica still in the group cannot leave it."""
    window = delays.seconds("dynamodb.replica.source_window")
    now = time.monotonic()
    sourced = group.members[region].sourced
    if any(target in group.members and now - at < window for target, at in sourced.items()):
        raise _invalid(SOURCE_WINDOW)


def _check_simultaneous_operations(account: str, regions: tuple[str, ...]) -> None:
    limit = int(os.environ.get(TABLE_OPERATIONS_LIMIT_VARIABLE, "500"))
    for region in regions:
        if _tables_changing(account, region) >= limit:
            raise AWSError(
                "LimitExceededException",
                f"Subscriber limit exceeded: Only {limit} tables can be created, updated, or deleted simultaneously",
            )


def _tables_changing(account: str, region: str) -> int:
    now = time.monotonic()
    changing = sum(1 for (a, r, _) in _leaving if (a, r) == (account, region))
    for (a, r, _), group in _groups.items():
        if (a, r) == (account, region) and group.members[r].status(now) != "ACTIVE":
            changing += 1
    return changing


def _start_create(account: str, region: str, name: str, action: ReplicaAction) -> None:
    now = time.monotonic()
    group = group_of(account, region, name) or _new_group(account, region, name, now)
    source_table = moto_table(account, region, name)
    _enable_stream(source_table)
    _create_replica_table(source_table, account, action)
    member = Member(
        action.region,
        listed_at=now + delays.seconds("dynamodb.replica.listed"),
        active_at=now + delays.seconds("dynamodb.replica.create"),
    )
    group.members[action.region] = member
    _groups[(account, action.region, name)] = group
    source = group.members[region]
    source.updating_until = now + delays.seconds("dynamodb.table.update")
    source.sourced[action.region] = now
    record_table_class(account, action.region, name, _table_classes.get((account, region, name)))
    _apply_overrides(account, group, member, action.body)


def _new_group(account: str, region: str, name: str, now: float) -> Group:
    group = Group(account, name, {region: Member(region, listed_at=now, active_at=now)})
    _groups[(account, region, name)] = group
    return group


def _enable_stream(table) -> None:
    # The first replica turns a stream on; an existing stream of any view type is kept (ACK DDB-TABLE-305).
    if not (table.stream_specification or {}).get("StreamEnabled"):
        table.set_stream_specification({"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})


def _create_replica_table(source, account: str, action: ReplicaAction):
    provisioned = source.billing_mode != "PAY_PER_REQUEST"
    sse = None
    if source.sse_specification and source.sse_specification.get("Enabled"):
        sse = {"Enabled": True, "SSEType": "KMS"}
        if action.body.get("KMSMasterKeyId"):
            sse["KMSMasterKeyId"] = action.body["KMSMasterKeyId"]
    return dynamodb_backends[account][action.region].create_table(
        source.name,
        schema=copy.deepcopy(source.schema),
        throughput=_base_throughput(source) if provisioned else None,
        attr=copy.deepcopy(source.attr),
        global_indexes=[copy.deepcopy(index.describe()) for index in source.global_indexes],
        indexes=[copy.deepcopy(index.describe()) for index in source.indexes],
        streams=dict(source.stream_specification),
        billing_mode=source.billing_mode,
        sse_specification=sse,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )


def _base_throughput(table) -> dict:
    return {key: table.throughput[key] for key in ("ReadCapacityUnits", "WriteCapacityUnits")}


def _start_update(account: str, region: str, name: str, action: ReplicaAction) -> None:
    now = time.monotonic()
    group = group_of(account, region, name)
    member = group.members[action.region]
    _apply_overrides(account, group, member, action.body)
    for updating in (group.members[region], member):
        updating.updating_until = now + delays.seconds("dynamodb.table.update")


def _apply_overrides(account: str, group: Group, member: Member, body: dict) -> None:
    """Per-replica settings: table class, KMS key, read capacity (absent again once sent equal to the base)."""
    record_table_class(account, member.region, group.name, body.get("TableClassOverride"))
    for key in ("KMSMasterKeyId", "OnDemandThroughputOverride", "GlobalSecondaryIndexes"):
        if key in body:
            member.overrides[key] = body[key]
    read_override = body.get("ProvisionedThroughputOverride", {}).get("ReadCapacityUnits")
    if read_override is None:
        return
    if read_override == _base_read_capacity(account, group, member):
        member.overrides.pop("ProvisionedThroughputOverride", None)
    else:
        member.overrides["ProvisionedThroughputOverride"] = {"ReadCapacityUnits": read_override}
    replica_table = moto_table(account, member.region, group.name)
    if replica_table.billing_mode != "PAY_PER_REQUEST":
        replica_table.throughput["ReadCapacityUnits"] = read_override


def _base_read_capacity(account: str, group: Group, member: Member) -> int | None:
    """The group's read capacity: what a member without a read override of its own has."""
    for other in group.members.values():
        if other is not member and "ProvisionedThroughputOverride" not in other.overrides:
            return moto_table(account, other.region, group.name).throughput["ReadCapacityUnits"]
    return None


def _start_delete(account: str, region: str, name: str, action: ReplicaAction) -> None:
    now = time.monotonic()
    group = group_of(account, region, name)
    group.members[region].updating_until = now + delays.seconds("dynamodb.table.update")
    group.members[action.region].delisted_at = now + delays.seconds("dynamodb.replica.delete")


_START = {"Create": _start_create, "Update": _start_update, "Delete": _start_delete}


# --- Other changes to a member -----------------------------------------------------------------------------


def check_member_update(account: str, region: str, params: dict) -> None:
    """A member's stream is frozen, and no member may change while another is mid-change."""
    name = table_name(params["TableName"])
    group = group_of(account, region, name)
    if group is None:
        return
    stream = params.get("StreamSpecification")
    if stream is not None:
        if not stream.get("StreamEnabled"):
            raise _invalid(STREAM_FROZEN)
        raise _invalid(f"Table already has an enabled stream: TableName: {name}")
    now = time.monotonic()
    if any(m.status(now) != "ACTIVE" for m in group.members.values()):
        raise AWSError("ResourceInUseException", IN_USE)


def after_table_update(account: str, region: str, params: dict) -> None:
    """Keep the table class; for a member, spread group-wide settings and go UPDATING (only this region for
    a regional setting such as deletion protection)."""
    name = table_name(params["TableName"])
    group = group_of(account, region, name)
    if group is None:
        record_table_class(account, region, name, params.get("TableClass"))
        return
    group_wide = any(params.get(update) is not None for update in GROUP_WIDE_UPDATES)
    updating_until = time.monotonic() + delays.seconds("dynamodb.table.update")
    for member in group.members.values():
        record_table_class(account, member.region, name, params.get("TableClass"))
        if member.region != region and group_wide:
            _copy_group_wide_settings(account, member, name, params)
        if member.region == region or group_wide or params.get("TableClass"):
            member.updating_until = updating_until


def _copy_group_wide_settings(account: str, member: Member, name: str, params: dict) -> None:
    backend = dynamodb_backends[account][member.region]
    backend.update_table(
        name,
        attr_definitions=params.get("AttributeDefinitions"),
        global_index=params.get("GlobalSecondaryIndexUpdates"),
        throughput=copy.deepcopy(params.get("ProvisionedThroughput")),
        billing_mode=params.get("BillingMode"),
        stream_spec=None,
        deletion_protection_enabled=None,
        warm_throughput=None,
    )
    read_override = member.overrides.get("ProvisionedThroughputOverride", {}).get("ReadCapacityUnits")
    if read_override is not None:
        backend.tables[name].throughput["ReadCapacityUnits"] = read_override


def copy_time_to_live(account: str, region: str, name: str) -> None:
    """TTL is group-wide: set in any member, it applies to all."""
    ttl = moto_table(account, region, name).ttl
    for member_region in destinations(account, region, name):
        moto_table(account, member_region, name).ttl = dict(ttl)


def record_table_class(account: str, region: str, name: str, table_class: str | None) -> None:
    if table_class:
        _table_classes[(account, region, name)] = table_class


# --- DeleteTable -------------------------------------------------------------------------------------------


def check_delete(account: str, region: str, name: str) -> None:
    table = moto_table(account, region, name)
    if table is not None and table.deletion_protection_enabled:
        raise _invalid(PROTECTED)
    group = group_of(account, region, name)
    if group is not None:
        check_not_recent_source(group, region)


def leave_group(account: str, region: str, name: str) -> bool:
    """DeleteTable on a member takes it out of its group (DELETING, then gone); False for a regional table."""
    group = group_of(account, region, name)
    if group is None:
        _table_classes.pop((account, region, name), None)
        return False
    group.members[region].delisted_at = time.monotonic() + delays.seconds("dynamodb.replica.delete")
    return True


# --- What DescribeTable (and the UpdateTable / DeleteTable responses) show ----------------------------------


def moto_description(table) -> dict:
    description = table.describe(base_key="Table")["Table"]
    description["CreationDateTime"] = unix_time(table.created_at)
    return json.loads(json.dumps(description, default=str))


def decorate(account: str, region: str, name: str, description: dict) -> dict:
    """AWS's view of a table: its status, table class and, for a member, its group."""
    now = time.monotonic()
    state = regional_state(account, region, name, now)
    if state is not None:
        description["TableStatus"] = state
    table_class = _table_classes.get((account, region, name))
    if table_class:
        description["TableClassSummary"] = {"TableClass": table_class}
    group = group_of(account, region, name)
    if group is not None:
        description["GlobalTableVersion"] = GLOBAL_TABLE_VERSION
        description["GlobalTableSettingsReplicationMode"] = "ENABLED_WITH_OVERRIDES"
        description["Replicas"] = [
            _replica_description(account, name, member, now)
            for member in group.members.values()
            if member.region != region and member.listed(now)
        ]
    return description


def _replica_description(account: str, name: str, member: Member, now: float) -> dict:
    replica = {"RegionName": member.region, "ReplicaStatus": member.status(now), **copy.deepcopy(member.overrides)}
    table_class = _table_classes.get((account, member.region, name))
    if table_class:
        replica["ReplicaTableClassSummary"] = {"TableClass": table_class}
    return replica
