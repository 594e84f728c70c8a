"""DynamoDB: what moto answers differently from AWS."""

import uuid

from moto.dynamodb.models import dynamodb_backends

from .. import layer
from ..errors import AWSError


def _table(request: layer.Request, name: str):
    if name.startswith("arn:"):
        name = name.split("/", 1)[1]
    return dynamodb_backends[request.account_id][request.region].tables.get(name)


def _table_id(table) -> str:
    # AWS gives every table a stable UUID; community.aws.dynamodb_table reads it.
    if not getattr(table, "localcloud_table_id", None):
        table.localcloud_table_id = str(uuid.uuid4())
    return table.localcloud_table_id


@layer.handles("dynamodb", "CreateTable", "DescribeTable", "UpdateTable", "DeleteTable")
def table_with_id(request: layer.Request) -> layer.Response:
    if request.call.operation == "UpdateTable" and request.params.get("ReplicaUpdates"):
        raise AWSError(
            "ValidationException",
            "The local cloud does not replicate tables yet: ReplicaUpdates is not served.",
        )
    name = request.params.get("TableName", "")
    before = _table(request, name)
    table_id = _table_id(before) if before is not None else None
    response = request.forward()
    if response.status != 200:
        return response
    data = response.parsed()
    key = "Table" if "Table" in data else "TableDescription"
    table = _table(request, name)
    if table is not None:
        table_id = _table_id(table)
    if key in data and table_id:
        data[key]["TableId"] = table_id
    return layer.Response.json(data, content_type="application/x-amz-json-1.0")
