"""DynamoDB: what moto answers differently from AWS, and global tables (version 2019.11.21).

Every DynamoDB call passes through here: replica lifecycle rules live in ``dynamodb_global``, cross-region
replication of items in ``dynamodb_replication``.
"""

import uuid

from .. import layer
from . import dynamodb_global as global_tables
from . import dynamodb_replication as replication
from .dynamodb_global import LOCK, table_name, table_names

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def _table_id(table) -> str:
    # AWS gives every table a stable UUID; community.aws.dynamodb_table reads it.
    if not getattr(table, "localcloud_table_id", None):
        table.localcloud_table_id = str(uuid.uuid4())
    return table.localcloud_table_id


def _forward(request: layer.Request, after_success=None) -> layer.Response:
    """moto's answer once the tables named are reachable; ``after_success`` runs while still holding the lock."""
    with LOCK:
        global_tables.settle()
        operation = request.call.operation
        global_tables.check_reachable(request.account_id, request.region, operation, table_names(request.params))
        response = request.forward()
        if response.status == 200 and after_success:
            after_success()
        return response


def _table_response(request: layer.Request, name: str, data: dict, table=None) -> layer.Response:
    """A response carrying a table description, with its TableId and AWS's view of its state and replicas."""
    key = "Table" if "Table" in data else "TableDescription"
    table = table or global_tables.moto_table(request.account_id, request.region, name)
    if table is not None:
        data[key]["TableId"] = _table_id(table)
    global_tables.decorate(request.account_id, request.region, name, data[key])
    return layer.Response.json(data, content_type="application/x-amz-json-1.0")


@layer.handles("dynamodb")
def any_operation(request: layer.Request) -> layer.Response:
    return _forward(request)


@layer.handles("dynamodb", "CreateTable")
def create_table(request: layer.Request) -> layer.Response:
    name = request.params.get("TableName", "")
    with LOCK:
        global_tables.settle()
        response = request.forward()  # a replica being created or deleted here is a table that exists, to moto too
        if response.status != 200:
            return response
        global_tables.record_table_class(request.account_id, request.region, name, request.params.get("TableClass"))
        return _table_response(request, name, response.parsed())


@layer.handles("dynamodb", "DescribeTable")
def describe_table(request: layer.Request) -> layer.Response:
    with LOCK:
        response = _forward(request)
        if response.status != 200:
            return response
        return _table_response(request, table_name(request.params["TableName"]), response.parsed())


@layer.handles("dynamodb", "UpdateTable")
def update_table(request: layer.Request) -> layer.Response:
    account, region, params = request.account_id, request.region, request.params
    name = table_name(params.get("TableName", ""))
    with LOCK:
        global_tables.settle()
        if params.get("ReplicaUpdates"):
            for action in global_tables.update_replicas(account, region, params):
                if action.kind == "Create":
                    replication.backfill(account, region, action.region, name)
        else:
            global_tables.check_changeable(account, region, "UpdateTable", name)
            global_tables.check_member_update(account, region, params)
        response = request.forward()  # moto ignores ReplicaUpdates: then it only describes the table
        if response.status != 200:
            return response
        if not params.get("ReplicaUpdates"):
            global_tables.after_table_update(account, region, params)
        return _table_response(request, name, response.parsed())


@layer.handles("dynamodb", "DeleteTable")
def delete_table(request: layer.Request) -> layer.Response:
    account, region = request.account_id, request.region
    name = table_name(request.params.get("TableName", ""))
    with LOCK:
        global_tables.settle()
        global_tables.check_changeable(account, region, "DeleteTable", name)
        global_tables.check_delete(account, region, name)
        table = global_tables.moto_table(account, region, name)
        if table is not None and global_tables.leave_group(account, region, name):
            data = {"TableDescription": global_tables.moto_description(table)}
            return _table_response(request, name, data, table)
        response = request.forward()
        if response.status != 200:
            return response
        data = response.parsed()
        data["TableDescription"]["TableStatus"] = "DELETING"
        return _table_response(request, name, data, table)


@layer.handles("dynamodb", *WRITES)
def write_items(request: layer.Request) -> layer.Response:
    def replicate() -> None:
        replication.replicate_writes(request.account_id, request.region, request.call.operation, request.params)

    return _forward(request, replicate)


@layer.handles("dynamodb", "UpdateTimeToLive")
def update_time_to_live(request: layer.Request) -> layer.Response:
    name = table_name(request.params.get("TableName", ""))
    return _forward(request, lambda: global_tables.copy_time_to_live(request.account_id, request.region, name))
