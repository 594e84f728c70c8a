"""A small REST API over this region's replica of the users table, run by Lambda behind an ALB.

The ALB hands over its Lambda event (httpMethod, path, queryStringParameters, headers, body,
isBase64Encoded) and takes back statusCode, statusDescription, headers, body, isBase64Encoded.
Routes, payloads, the data model and the write protocol are described in README.md next to this file.
The Lambda handler setting is ``app.handler``; the only dependency is boto3, which the runtime ships.
"""

import base64
import json
import logging
import os
import random
import re
import time
import uuid
from decimal import Decimal, DecimalException
from functools import cache
from http import HTTPStatus
from urllib.parse import unquote, unquote_plus

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

MAX_USER_ID_LENGTH = 128
USER_ID_PATTERN = re.compile(rf"[A-Za-z0-9_.@-]{{1,{MAX_USER_ID_LENGTH}}}")
HEAD_TIMESTAMP = 0  # the sort key of a user's head record; history records have timestamps > 0
PROBE_KEY = {"userId": "health-probe", "timestamp": -1}  # /health reads it; no item ever has a timestamp < 0
SERVING_TABLE_STATUSES = frozenset({"ACTIVE", "UPDATING"})  # UPDATING tables serve reads and writes
DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 100
SCAN_PAGE_ITEMS = 1000  # items DynamoDB evaluates per Scan call while /users collects head records
LISTING_TIME_MARGIN_MS = 3000  # /users returns what it has when the invocation has less time left than this
MAX_WRITE_ATTEMPTS = 4
RETRYABLE_CANCELLATION_CODES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
BOTO_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


class ApiError(Exception):
    """An answer other than success that the client is meant to see: status, message, extra headers."""

    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class Request:
    """What the route handlers need from one ALB event."""

    def __init__(self, event, context, request_id):
        self.event = event
        self.context = context
        self.request_id = request_id
        self.method = str(event.get("httpMethod") or "").upper()
        self.path = str(event.get("path") or "/")
        self.region = current_region()
        self.path_user_id = None

    def query_parameter(self, name):
        """A query string parameter, URL-decoded (the ALB passes them as the client sent them)."""
        single = self.event.get("queryStringParameters") or {}
        multi = self.event.get("multiValueQueryStringParameters") or {}
        decoded = {unquote_plus(key): unquote_plus(value) for key, value in single.items()}
        decoded.update({unquote_plus(key): unquote_plus(values[-1]) for key, values in multi.items() if values})
        return decoded.get(name)

    def json_body(self):
        """The body as a JSON object, numbers with a fraction as Decimal (what DynamoDB stores)."""
        text = decoded_body(self.event)
        try:
            value = json.loads(text, parse_float=Decimal, parse_constant=reject_json_constant)
        except (ValueError, RecursionError):
            raise ApiError(400, "Body must be a JSON object") from None
        if not isinstance(value, dict):
            raise ApiError(400, "Body must be a JSON object")
        return value


# ---------------------------------------------------------------------------------------------------
# Entry point, routing and the ALB response format


def handler(event, context):
    """Lambda entry point: one ALB request in, one ALB response out. Never raises."""
    request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    region = current_region()
    method, path = "?", "?"
    try:
        request = Request(event, context, request_id)
        method, path = request.method, request.path
        status, payload, headers = dispatch(request)
    except ApiError as error:
        status, payload, headers = error.status, {"error": error.message, "region": region}, error.headers
    except Exception:  # pylint: disable=broad-exception-caught
        logger.exception("request %s: %s %s failed", request_id, method, path)
        status, headers = 500, {}
        payload = {"error": "Internal server error", "region": region, "request_id": request_id}
    multi_value_headers = isinstance(event, dict) and "multiValueHeaders" in event
    return alb_response(status, None if method == "HEAD" else payload, headers, multi_value_headers)


def dispatch(request):
    """Find the route for the request's path and method and run it: (status, payload, headers)."""
    handlers = route_handlers(request)
    allow = ", ".join(sorted({*handlers, "OPTIONS"}))
    if request.method == "OPTIONS":
        return 204, None, {"Allow": allow}
    handler_for_method = handlers.get(request.method)
    if handler_for_method is None:
        raise ApiError(405, "Method not allowed", {"Allow": allow})
    status, payload = handler_for_method(request)
    return status, payload, {}


def route_handlers(request):
    """The handlers by method for the request's path; sets request.path_user_id for /user/{id}."""
    if request.path == "/health":
        return {"GET": get_health, "HEAD": get_health}
    if request.path == "/user":
        return {"POST": create_user}
    if request.path == "/users":
        return {"GET": list_users}
    user_prefix = "/user/"
    if request.path.startswith(user_prefix) and "/" not in request.path[len(user_prefix) :]:
        request.path_user_id = unquote(request.path[len(user_prefix) :])
        return {"GET": get_user, "PUT": update_user}
    raise ApiError(404, "Not found")


def alb_response(status, payload, headers, multi_value_headers):
    """The response in the ALB's format; with multi-value headers on, headers go in multiValueHeaders."""
    all_headers = {"Content-Type": "application/json", **headers}
    response = {
        "statusCode": status,
        "statusDescription": f"{status} {HTTPStatus(status).phrase}",
        "isBase64Encoded": False,
        "body": "" if payload is None else json.dumps(payload, default=json_number),
    }
    if multi_value_headers:
        response["multiValueHeaders"] = {name: [value] for name, value in all_headers.items()}
    else:
        response["headers"] = all_headers
    return response


def json_number(value):
    """json.dumps default: DynamoDB's Decimal numbers as int when whole, float otherwise."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def decoded_body(event):
    """The request body as text, base64-decoded when the ALB says it is encoded."""
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise ApiError(400, "Body is not valid base64-encoded UTF-8") from None


def reject_json_constant(name):
    raise ValueError(f"{name} is not a JSON number")


# ---------------------------------------------------------------------------------------------------
# Configuration and AWS clients


def current_region():
    """The region this function runs in, as the Lambda runtime reports it."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "unknown"


def table_name():
    name = os.environ.get("TABLE_NAME")
    if not name:
        raise RuntimeError("TABLE_NAME is not set")
    return name


@cache
def dynamodb_resource(region):
    """The DynamoDB resource for a region, created on first use and reused by later invocations."""
    return boto3.resource("dynamodb", region_name=region, config=BOTO_CONFIG)


def dynamodb_client():
    """The resource's client: it takes and returns plain Python values, like the resource does."""
    return dynamodb_resource(current_region()).meta.client


def users_table():
    return dynamodb_resource(current_region()).Table(table_name())


# ---------------------------------------------------------------------------------------------------
# Routes


def get_health(request):
    """200 when this region's table serves data; 503 when it does not, or when FORCE_UNHEALTHY is set.

    The table must describe as ACTIVE or UPDATING (both serve reads and writes) and answer a read.
    """
    if os.environ.get("FORCE_UNHEALTHY", "").strip().lower() in TRUE_WORDS:
        return unhealthy(request, "FORCE_UNHEALTHY is set")
    name = os.environ.get("TABLE_NAME")
    if not name:
        return unhealthy(request, "TABLE_NAME is not set")
    try:
        status = dynamodb_client().describe_table(TableName=name)["Table"]["TableStatus"]
        if status in SERVING_TABLE_STATUSES:
            dynamodb_client().get_item(TableName=name, Key=PROBE_KEY)
    except (ClientError, BotoCoreError):
        logger.warning("request %s: health: table %s cannot be read", request.request_id, name, exc_info=True)
        return unhealthy(request, "table cannot be read")
    if status not in SERVING_TABLE_STATUSES:
        return unhealthy(request, f"table status is {status}")
    return 200, {"status": "healthy", "region": request.region, "timestamp": int(time.time())}


def unhealthy(request, reason):
    return 503, {"status": "unhealthy", "region": request.region, "reason": reason}


def get_user(request):
    user_id = valid_user_id(request.path_user_id)
    record = latest_user_record(user_id)
    if record is None:
        raise ApiError(404, "User not found")
    return 200, {"user": record, "served_from_region": request.region}


def create_user(request):
    body = request.json_body()
    user_id = valid_user_id(body.get("userId"))
    record = write_user_record(request, user_id, body.get("data", {}), creating=True)
    return 201, {
        "message": "User created successfully",
        "userId": user_id,
        "created_in_region": request.region,
        "timestamp": record["timestamp"],
        "version": record["version"],
    }


def update_user(request):
    user_id = valid_user_id(request.path_user_id)
    body = request.json_body()
    if "data" not in body:
        raise ApiError(400, "data is required")
    record = write_user_record(request, user_id, body["data"], creating=False)
    return 200, {
        "message": "User updated successfully",
        "userId": user_id,
        "updated_in_region": request.region,
        "timestamp": record["timestamp"],
        "version": record["version"],
    }


def list_users(request):
    limit = page_limit(request.query_parameter("limit"))
    start_key = decode_next_token(request.query_parameter("next_token"))
    users, next_key = collect_user_heads(limit, start_key, request.context)
    return 200, {
        "users": users,
        "count": len(users),
        "next_token": encode_next_token(next_key),
        "served_from_region": request.region,
    }


def valid_user_id(value):
    if not isinstance(value, str) or not USER_ID_PATTERN.fullmatch(value):
        raise ApiError(
            400, f"userId must be 1 to {MAX_USER_ID_LENGTH} characters of letters, digits, '_', '.', '@', '-'"
        )
    return value


# ---------------------------------------------------------------------------------------------------
# Reads


def latest_user_record(user_id):
    """The user's newest history record (the head record, timestamp 0, is not part of the history)."""
    response = users_table().query(
        KeyConditionExpression="userId = :id AND #ts > :head",
        ExpressionAttributeNames={"#ts": "timestamp"},
        ExpressionAttributeValues={":id": user_id, ":head": HEAD_TIMESTAMP},
        ScanIndexForward=False,
        Limit=1,
        ConsistentRead=True,
    )
    items = response.get("Items") or []
    return items[0] if items else None


def read_user_head(user_id):
    """The user's head record (latest_version, last_updated, created_region), or None."""
    response = users_table().get_item(Key={"userId": user_id, "timestamp": HEAD_TIMESTAMP}, ConsistentRead=True)
    return response.get("Item")


def collect_user_heads(limit, start_key, context):
    """Up to `limit` users from head records, scanning on from start_key: (users, key to resume after)."""
    users = []
    while True:
        scan_arguments = {
            "FilterExpression": "#ts = :head",
            "ProjectionExpression": "userId, #ts, latest_version, last_updated",
            "ExpressionAttributeNames": {"#ts": "timestamp"},
            "ExpressionAttributeValues": {":head": HEAD_TIMESTAMP},
            "Limit": SCAN_PAGE_ITEMS,
        }
        if start_key:
            scan_arguments["ExclusiveStartKey"] = start_key
        page = users_table().scan(**scan_arguments)
        items = page.get("Items") or []
        page_end_key = page.get("LastEvaluatedKey")
        for index, item in enumerate(items):
            users.append(
                {"userId": item["userId"], "last_updated": item["last_updated"], "version": item["latest_version"]}
            )
            if len(users) == limit:
                more_to_scan = index < len(items) - 1 or page_end_key is not None
                return users, {"userId": item["userId"], "timestamp": HEAD_TIMESTAMP} if more_to_scan else None
        if page_end_key is None:
            return users, None
        if running_out_of_time(context):
            return users, page_end_key
        start_key = page_end_key


def running_out_of_time(context):
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining is not None and remaining() < LISTING_TIME_MARGIN_MS


def page_limit(value):
    if value is None or value == "":
        return DEFAULT_PAGE_LIMIT
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit < 1:
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_PAGE_LIMIT}")
    return min(limit, MAX_PAGE_LIMIT)


def encode_next_token(key):
    """An opaque token for a table key: URL-safe base64 of its JSON, unpadded."""
    if key is None:
        return None
    plain = {"userId": key["userId"], "timestamp": int(key["timestamp"])}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_next_token(token):
    if token is None or token == "":
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, RecursionError):
        raise ApiError(400, "next_token is not valid") from None
    valid = (
        isinstance(key, dict)
        and set(key) == {"userId", "timestamp"}
        and isinstance(key["userId"], str)
        and USER_ID_PATTERN.fullmatch(key["userId"])
        and isinstance(key["timestamp"], int)
        and not isinstance(key["timestamp"], bool)
        and key["timestamp"] >= 0
    )
    if not valid:
        raise ApiError(400, "next_token is not valid")
    return key


# ---------------------------------------------------------------------------------------------------
# Writes: every write is one transaction over the user's head record and a new history record


def write_user_record(request, user_id, data, creating):
    """Append version latest+1 of the user, retrying when another writer got there first.

    Raises 409 when creating a user that exists or when every attempt lost to a concurrent writer,
    404 when updating a user that does not exist.
    """
    for attempt in range(MAX_WRITE_ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, 0.02 * 2**attempt))
        head = read_user_head(user_id)
        if creating and head is not None:
            raise ApiError(409, "User already exists")
        if not creating and head is None:
            raise ApiError(404, "User not found")
        record = history_record(user_id, data, head, request.region)
        try:
            dynamodb_client().transact_write_items(
                TransactItems=[head_write(head, record), history_put(record)],
                ClientRequestToken=str(uuid.uuid4()),  # a retry by botocore after a lost response is not a 2nd write
            )
            return record
        except ClientError as error:
            if not lost_to_concurrent_writer(error):
                raise_if_data_rejected(error, request)
                raise
            logger.info("request %s: user %s: concurrent write, attempt %d", request.request_id, user_id, attempt + 1)
        except DecimalException:
            raise ApiError(400, "data holds a number DynamoDB cannot store (at most 38 digits)") from None
    raise ApiError(409, "User was updated concurrently; retry the request")


def history_record(user_id, data, head, region):
    """The next history record: version latest+1, a timestamp later than the user's last one."""
    now = int(time.time() * 1000)
    record = {"userId": user_id, "data": data}
    if head is None:
        record.update(timestamp=now, version=1, created_region=region)
    else:
        record.update(
            timestamp=max(now, int(head["last_updated"]) + 1),
            version=int(head["latest_version"]) + 1,
            created_region=head.get("created_region", region),
            updated_region=region,
        )
    record["last_updated"] = record["timestamp"]
    return record


def head_write(head, record):
    """Create the head record (it must not exist) or move it on from the version this write read."""
    name = table_name()
    if head is None:
        item = {
            "userId": record["userId"],
            "timestamp": HEAD_TIMESTAMP,
            "latest_version": record["version"],
            "last_updated": record["timestamp"],
            "created_region": record["created_region"],
        }
        return {"Put": {"TableName": name, "Item": item, "ConditionExpression": "attribute_not_exists(userId)"}}
    return {
        "Update": {
            "TableName": name,
            "Key": {"userId": record["userId"], "timestamp": HEAD_TIMESTAMP},
            "UpdateExpression": "SET latest_version = :next, last_updated = :ts",
            "ConditionExpression": "latest_version = :read",
            "ExpressionAttributeValues": {
                ":next": record["version"],
                ":ts": record["timestamp"],
                ":read": head["latest_version"],
            },
        }
    }


def history_put(record):
    """Put the history record; never overwrite one (same user and millisecond)."""
    return {"Put": {"TableName": table_name(), "Item": record, "ConditionExpression": "attribute_not_exists(userId)"}}


def lost_to_concurrent_writer(error):
    """True when the transaction was cancelled because another write touched the same user first."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    codes = {reason.get("Code") for reason in error.response.get("CancellationReasons") or []}
    return bool(codes & RETRYABLE_CANCELLATION_CODES) and codes <= RETRYABLE_CANCELLATION_CODES | {"None"}


def raise_if_data_rejected(error, request):
    """DynamoDB refusing the item itself (too large, nested too deeply) is the client's 400."""
    code = error.response.get("Error", {}).get("Code")
    reasons = {reason.get("Code") for reason in error.response.get("CancellationReasons") or []}
    if code == "ValidationException" or (code == "TransactionCanceledException" and "ValidationError" in reasons):
        logger.warning("request %s: write rejected: %s", request.request_id, error)
        raise ApiError(400, "data cannot be stored (at most about 400 KB, nested at most 32 levels)") from None
