"""The Lambda application (files/lambda/app.py) on ALB events, against a moto DynamoDB table in-process."""

import base64
import json
import logging
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from lambda_testing import REGION, FakeContext, alb_event

# ---------------------------------------------------------------------------------------------------
# Helpers


def history(table, user_id):
    """The user's history records (head record excluded), oldest first."""
    items = table.query(KeyConditionExpression=Key("userId").eq(user_id) & Key("timestamp").gt(0))["Items"]
    return sorted(items, key=lambda item: item["timestamp"])


def head(table, user_id):
    return table.get_item(Key={"userId": user_id, "timestamp": 0}).get("Item")


def create(call, user_id, data=None):
    response = call("POST", "/user", {"userId": user_id, "data": data if data is not None else {"n": 0}})
    assert response.status == 201, response.json
    return response


def update(call, user_id, data):
    response = call("PUT", f"/user/{user_id}", {"data": data})
    assert response.status == 200, response.json
    return response


def all_pages(call, limit=None, context=None, max_pages=200):
    """Follow next_token to the end: (users in order, the pages' responses)."""
    users, pages, token = [], [], None
    for _ in range(max_pages):
        query = {}
        if limit is not None:
            query["limit"] = str(limit)
        if token:
            query["next_token"] = quote(token)
        response = call("GET", "/users", query=query, context=context)
        assert response.status == 200, response.json
        pages.append(response)
        users.extend(response.json["users"])
        token = response.json["next_token"]
        if token is None:
            return users, pages
    raise AssertionError("pagination did not end")


def seed_users(table, count, records_per_user=1):
    """Users written straight into the table as the app writes them: a head record and the history."""
    with table.batch_writer() as batch:
        for number in range(count):
            user_id = f"seed-{number:04d}"
            records = records_per_user(number) if callable(records_per_user) else records_per_user
            for version in range(1, records + 1):
                batch.put_item(
                    Item={"userId": user_id, "timestamp": 1000 + version, "version": version, "data": {"v": version}}
                )
            batch.put_item(
                Item={"userId": user_id, "timestamp": 0, "latest_version": records, "last_updated": 1000 + records}
            )


def let_another_writer_in(monkeypatch, app, times, competitor_event):
    """After each of the next `times` head reads, another request writes the same user first."""
    original = app.read_user_head
    state = {"left": times, "inside": False}

    def read_then_competitor_writes(user_id):
        found = original(user_id)
        if state["left"] and not state["inside"]:
            state["left"] -= 1
            state["inside"] = True
            try:
                competitor = app.handler(competitor_event(user_id), FakeContext())
                assert competitor["statusCode"] in (200, 201), competitor
            finally:
                state["inside"] = False
        return found

    monkeypatch.setattr(app, "read_user_head", read_then_competitor_writes)
    return state


# ---------------------------------------------------------------------------------------------------
# ALB response format, routing, methods


def test_response_has_the_alb_format(table, call):
    response = call("GET", "/health")
    assert response.raw["statusCode"] == 200
    assert response.raw["statusDescription"] == "200 OK"
    assert response.raw["isBase64Encoded"] is False
    assert response.headers["Content-Type"] == "application/json"
    assert isinstance(response.raw["body"], str)


def test_multi_value_headers_mode_answers_in_multi_value_headers(table, call):
    create(call, "mv-user")
    response = call("GET", "/users", query={"limit": "5"}, multi_value=True)
    assert response.status == 200
    assert "headers" not in response.raw
    assert response.raw["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert [user["userId"] for user in response.json["users"]] == ["mv-user"]


@pytest.mark.parametrize("path", ["/", "/nope", "/health/", "/user/a/b", "/users/x", "/USER"])
def test_unknown_route_is_404(table, call, path):
    response = call("GET", path)
    assert response.status == 404
    assert response.raw["statusDescription"] == "404 Not Found"
    assert response.json == {"error": "Not found", "region": REGION}


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("DELETE", "/user/someone", "GET, OPTIONS, PUT"),
        ("POST", "/user/someone", "GET, OPTIONS, PUT"),
        ("GET", "/user", "OPTIONS, POST"),
        ("PUT", "/user", "OPTIONS, POST"),
        ("POST", "/health", "GET, HEAD, OPTIONS"),
        ("POST", "/users", "GET, OPTIONS"),
        ("HEAD", "/users", "GET, OPTIONS"),
        ("PATCH", "/users", "GET, OPTIONS"),
    ],
)
def test_wrong_method_is_405_with_allow(table, call, method, path, allow):
    response = call(method, path)
    assert response.status == 405
    assert response.raw["statusDescription"] == "405 Method Not Allowed"
    assert response.headers["Allow"] == allow
    if method != "HEAD":
        assert response.json == {"error": "Method not allowed", "region": REGION}


def test_options_is_204_with_allow(table, call):
    response = call("OPTIONS", "/user/someone")
    assert response.status == 204
    assert response.raw["statusDescription"] == "204 No Content"
    assert response.headers["Allow"] == "GET, OPTIONS, PUT"
    assert response.raw["body"] == ""


def test_region_comes_from_the_runtime(table, call, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert call("GET", "/nope").json["region"] == "ap-south-1"


def test_clients_are_created_once_and_reused(table, call, app):
    app.dynamodb_resource.cache_clear()
    create(call, "reuse")
    call("GET", "/user/reuse")
    call("GET", "/health")
    assert app.dynamodb_resource.cache_info().currsize == 1
    assert app.dynamodb_resource.cache_info().misses == 1


# ---------------------------------------------------------------------------------------------------
# GET /health and HEAD /health


def test_health_is_200_when_the_table_is_active(table, call):
    response = call("GET", "/health")
    assert response.status == 200
    assert response.json["status"] == "healthy"
    assert response.json["region"] == REGION
    assert isinstance(response.json["timestamp"], int)


def test_head_health_answers_like_get_without_a_body(table, call):
    response = call("HEAD", "/health")
    assert response.status == 200
    assert response.raw["body"] == ""
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_force_unhealthy_makes_health_503(table, call, monkeypatch, value):
    monkeypatch.setenv("FORCE_UNHEALTHY", value)
    response = call("GET", "/health")
    assert response.status == 503
    assert response.raw["statusDescription"] == "503 Service Unavailable"
    assert response.json == {"status": "unhealthy", "region": REGION, "reason": "FORCE_UNHEALTHY is set"}
    assert call("HEAD", "/health").status == 503


@pytest.mark.parametrize("value", ["false", "0", ""])
def test_force_unhealthy_off_values_keep_health_200(table, call, monkeypatch, value):
    monkeypatch.setenv("FORCE_UNHEALTHY", value)
    assert call("GET", "/health").status == 200


def test_health_is_503_when_the_table_cannot_be_read(table, call, caplog):
    table.delete()
    with caplog.at_level(logging.WARNING):
        response = call("GET", "/health")
    assert response.status == 503
    assert response.json == {"status": "unhealthy", "region": REGION, "reason": "table cannot be read"}
    assert "ResourceNotFound" not in response.raw["body"]
    assert any("req-0123456789" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("status", ["CREATING", "DELETING", "ARCHIVING", "INACCESSIBLE_ENCRYPTION_CREDENTIALS"])
def test_health_is_503_when_the_table_does_not_serve_data(table, call, app, monkeypatch, status):
    client = app.dynamodb_client()
    monkeypatch.setattr(client, "describe_table", lambda **_: {"Table": {"TableStatus": status}})
    response = call("GET", "/health")
    assert response.status == 503
    assert response.json["reason"] == f"table status is {status}"


def test_health_is_200_while_the_table_is_updating(table, call, app, monkeypatch):
    client = app.dynamodb_client()
    monkeypatch.setattr(client, "describe_table", lambda **_: {"Table": {"TableStatus": "UPDATING"}})
    assert call("GET", "/health").status == 200


def test_health_is_503_when_the_table_describes_but_cannot_be_read(table, call, app, monkeypatch):
    client = app.dynamodb_client()

    def get_item_fails(**_):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "GetItem")

    monkeypatch.setattr(client, "get_item", get_item_fails)
    response = call("GET", "/health")
    assert response.status == 503
    assert response.json["reason"] == "table cannot be read"
    assert "boom" not in response.raw["body"]


def test_health_is_503_without_a_table_name(table, call, monkeypatch):
    monkeypatch.delenv("TABLE_NAME")
    response = call("GET", "/health")
    assert response.status == 503
    assert response.json["reason"] == "TABLE_NAME is not set"


# ---------------------------------------------------------------------------------------------------
# POST /user


def test_post_creates_version_1_and_a_head_record(table, call):
    response = call("POST", "/user", {"userId": "alice", "data": {"name": "Alice"}})
    assert response.status == 201
    assert response.raw["statusDescription"] == "201 Created"
    body = response.json
    assert body["message"] == "User created successfully"
    assert body["userId"] == "alice"
    assert body["created_in_region"] == REGION
    assert body["version"] == 1
    [record] = history(table, "alice")
    assert record["timestamp"] == body["timestamp"]
    assert record["version"] == 1
    assert record["data"] == {"name": "Alice"}
    assert record["created_region"] == REGION
    assert head(table, "alice")["latest_version"] == 1


def test_post_without_data_stores_an_empty_object(table, call):
    assert call("POST", "/user", {"userId": "nodata"}).status == 201
    assert history(table, "nodata")[0]["data"] == {}


def test_post_of_an_existing_user_is_409(table, call):
    create(call, "alice", {"v": 1})
    response = call("POST", "/user", {"userId": "alice", "data": {"v": 2}})
    assert response.status == 409
    assert response.json == {"error": "User already exists", "region": REGION}
    assert [record["data"] for record in history(table, "alice")] == [{"v": 1}]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "{",
        "",
        "[1, 2]",
        '"text"',
        "null",
        '{"userId": "x", "data": NaN}',
        '{"userId": "x", "data": Infinity}',
    ],
)
def test_post_body_that_is_not_a_json_object_is_400(table, call, body):
    response = call("POST", "/user", body)
    assert response.status == 400
    assert response.json == {"error": "Body must be a JSON object", "region": REGION}


@pytest.mark.parametrize(
    "user_id",
    ["", "x" * 129, "has space", "slash/inside", "ünïcode", "semi;colon", "quote'", "new\nline", 42, None, ["a"]],
)
def test_post_with_a_bad_user_id_is_400(table, call, user_id):
    body = {"data": {}} if user_id is None else {"userId": user_id, "data": {}}
    response = call("POST", "/user", body)
    assert response.status == 400
    assert "userId must be 1 to 128 characters" in response.json["error"]


@pytest.mark.parametrize("user_id", ["x" * 128, "A-z_0.9@example.com", "1"])
def test_post_accepts_every_allowed_user_id(table, call, user_id):
    assert call("POST", "/user", {"userId": user_id, "data": {}}).status == 201
    assert call("GET", "/user/" + quote(user_id, safe="")).status == 200


def test_post_with_a_base64_body(table, call):
    response = call("POST", "/user", {"userId": "b64", "data": {"k": "v"}}, base64_body=True)
    assert response.status == 201
    assert history(table, "b64")[0]["data"] == {"k": "v"}


def test_post_with_a_bad_base64_body_is_400(table, app):
    event = alb_event("POST", "/user")
    event.update(body="***not base64***", isBase64Encoded=True)
    response = app.handler(event, FakeContext())
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"] == "Body is not valid base64-encoded UTF-8"


def test_post_with_a_number_dynamodb_cannot_store_is_400(table, call):
    response = call("POST", "/user", '{"userId": "big", "data": {"n": 1234567890123456789012345678901234567890}}')
    assert response.status == 400
    assert "38 digits" in response.json["error"]
    assert history(table, "big") == []


def test_post_with_data_too_large_for_an_item_is_400(table, call):
    response = call("POST", "/user", {"userId": "huge", "data": {"blob": "x" * 500_000}})
    assert response.status == 400
    assert response.json["error"].startswith("data cannot be stored")
    assert history(table, "huge") == []
    assert head(table, "huge") is None


# ---------------------------------------------------------------------------------------------------
# GET /user/{id}


def test_get_returns_the_latest_record(table, call):
    create(call, "bob", {"step": 1})
    update(call, "bob", {"step": 2})
    last = update(call, "bob", {"step": 3}).json
    response = call("GET", "/user/bob")
    assert response.status == 200
    assert response.json["served_from_region"] == REGION
    user = response.json["user"]
    assert user["data"] == {"step": 3}
    assert user["version"] == 3
    assert user["timestamp"] == last["timestamp"]
    assert user["last_updated"] == last["timestamp"]
    assert user["created_region"] == REGION
    assert user["updated_region"] == REGION
    assert "latest_version" not in user


def test_get_of_an_unknown_user_is_404(table, call):
    response = call("GET", "/user/nobody")
    assert response.status == 404
    assert response.json == {"error": "User not found", "region": REGION}


@pytest.mark.parametrize("path", ["/user/", "/user/a%20b", "/user/a%2Fb", "/user/" + "x" * 129, "/user/%C3%BC"])
def test_get_with_a_bad_user_id_is_400(table, call, path):
    response = call("GET", path)
    assert response.status == 400
    assert "userId must be" in response.json["error"]


def test_get_decodes_a_url_encoded_user_id(table, call):
    create(call, "carol@example.com")
    response = call("GET", "/user/carol%40example.com")
    assert response.status == 200
    assert response.json["user"]["userId"] == "carol@example.com"


def test_numbers_come_back_as_numbers(table, call):
    data = {"price": 9.99, "qty": 3, "ratio": 0.5, "negative": -7, "nested": {"list": [1, 2.25, "3"]}, "big": 10**20}
    create(call, "numbers", data)
    response = call("GET", "/user/numbers")
    stored = response.json["user"]
    assert stored["data"] == data
    assert isinstance(stored["data"]["qty"], int)
    assert isinstance(stored["data"]["price"], float)
    assert isinstance(stored["data"]["nested"]["list"][0], int)
    assert isinstance(stored["version"], int)
    assert isinstance(stored["timestamp"], int)
    assert '"qty": 3,' in response.raw["body"]


def test_json_number_converts_decimal(app):
    assert app.json_number(Decimal("3")) == 3
    assert isinstance(app.json_number(Decimal("3")), int)
    assert isinstance(app.json_number(Decimal("3.0")), int)
    assert app.json_number(Decimal("2.5")) == 2.5
    with pytest.raises(TypeError):
        app.json_number(object())


# ---------------------------------------------------------------------------------------------------
# PUT /user/{id}


def test_put_increments_the_version_and_keeps_the_history(table, call):
    create(call, "dave", {"n": 1})
    responses = [update(call, "dave", {"n": n}).json for n in (2, 3, 4)]
    assert [body["version"] for body in responses] == [2, 3, 4]
    assert all(body["message"] == "User updated successfully" for body in responses)
    assert all(body["updated_in_region"] == REGION for body in responses)
    records = history(table, "dave")
    assert [record["version"] for record in records] == [1, 2, 3, 4]
    assert [record["data"]["n"] for record in records] == [1, 2, 3, 4]
    assert head(table, "dave")["latest_version"] == 4
    assert head(table, "dave")["last_updated"] == records[-1]["timestamp"]


def test_writes_in_the_same_millisecond_get_distinct_timestamps(table, call, app, monkeypatch):
    frozen = SimpleNamespace(time=lambda: 1_700_000_000.0, sleep=lambda _: None)
    monkeypatch.setattr(app, "time", frozen)
    create(call, "fast")
    update(call, "fast", {"n": 2})
    update(call, "fast", {"n": 3})
    records = history(table, "fast")
    assert [record["timestamp"] for record in records] == [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002]
    assert [record["version"] for record in records] == [1, 2, 3]


def test_put_of_an_unknown_user_is_404_and_writes_nothing(table, call):
    response = call("PUT", "/user/ghost", {"data": {}})
    assert response.status == 404
    assert response.json == {"error": "User not found", "region": REGION}
    assert table.scan()["Items"] == []


def test_put_without_data_is_400(table, call):
    create(call, "erin")
    response = call("PUT", "/user/erin", {"other": 1})
    assert response.status == 400
    assert response.json["error"] == "data is required"


def test_put_with_a_body_that_is_not_json_is_400(table, call):
    create(call, "erin")
    assert call("PUT", "/user/erin", "{data: 1}").status == 400
    assert call("PUT", "/user/erin", "[]").status == 400


def test_put_with_a_bad_user_id_is_400(table, call):
    assert call("PUT", "/user/bad%20id", {"data": {}}).status == 400


def test_put_with_a_base64_body(table, call):
    create(call, "frank")
    assert call("PUT", "/user/frank", {"data": {"b": 64}}, base64_body=True).status == 200
    assert history(table, "frank")[-1]["data"] == {"b": 64}


# ---------------------------------------------------------------------------------------------------
# Concurrent writes


def competing_put(user_id):
    return alb_event("PUT", f"/user/{user_id}", {"data": {"by": "competitor"}})


def test_concurrent_update_is_retried_with_the_next_free_version(table, call, app, monkeypatch, caplog):
    create(call, "gina", {"by": "creator"})
    state = let_another_writer_in(monkeypatch, app, 1, competing_put)
    with caplog.at_level(logging.INFO):
        response = call("PUT", "/user/gina", {"data": {"by": "me"}})
    assert state["left"] == 0
    assert response.status == 200
    assert response.json["version"] == 3
    records = history(table, "gina")
    assert [(record["version"], record["data"]["by"]) for record in records] == [
        (1, "creator"),
        (2, "competitor"),
        (3, "me"),
    ]
    assert head(table, "gina")["latest_version"] == 3
    assert any("concurrent write" in record.getMessage() for record in caplog.records)


def test_update_that_keeps_losing_is_409_and_never_duplicates_a_version(table, call, app, monkeypatch):
    create(call, "hank")
    let_another_writer_in(monkeypatch, app, app.MAX_WRITE_ATTEMPTS, competing_put)
    response = call("PUT", "/user/hank", {"data": {"by": "me"}})
    assert response.status == 409
    assert response.json["error"] == "User was updated concurrently; retry the request"
    versions = [record["version"] for record in history(table, "hank")]
    assert versions == list(range(1, app.MAX_WRITE_ATTEMPTS + 2))
    assert all(record["data"].get("by") != "me" for record in history(table, "hank"))
    assert head(table, "hank")["latest_version"] == app.MAX_WRITE_ATTEMPTS + 1


def test_concurrent_create_of_the_same_user_is_409(table, call, app, monkeypatch):
    def competing_post(user_id):
        return alb_event("POST", "/user", {"userId": user_id, "data": {"by": "competitor"}})

    let_another_writer_in(monkeypatch, app, 1, competing_post)
    response = call("POST", "/user", {"userId": "ivy", "data": {"by": "me"}})
    assert response.status == 409
    assert response.json["error"] == "User already exists"
    assert [(record["version"], record["data"]["by"]) for record in history(table, "ivy")] == [(1, "competitor")]


def test_transaction_conflict_is_retried(table, call, app, monkeypatch):
    create(call, "jack")
    client = app.dynamodb_client()
    original = client.transact_write_items
    calls = []

    def conflict_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise ClientError(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                    "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
                },
                "TransactWriteItems",
            )
        return original(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", conflict_once)
    response = call("PUT", "/user/jack", {"data": {}})
    assert response.status == 200
    assert len(calls) == 2
    assert calls[0]["ClientRequestToken"] != calls[1]["ClientRequestToken"]  # one idempotency token per attempt
    assert [record["version"] for record in history(table, "jack")] == [1, 2]


# ---------------------------------------------------------------------------------------------------
# GET /users


def test_users_on_an_empty_table(table, call):
    response = call("GET", "/users")
    assert response.status == 200
    assert response.json == {"users": [], "count": 0, "next_token": None, "served_from_region": REGION}


def test_users_lists_each_user_once_with_its_latest_version(table, call):
    create(call, "u1")
    create(call, "u2")
    last = update(call, "u2", {"n": 2}).json
    update(call, "u1", {"n": 2})
    update(call, "u1", {"n": 3})
    response = call("GET", "/users")
    users = {user["userId"]: user for user in response.json["users"]}
    assert response.json["count"] == 2
    assert users["u1"]["version"] == 3
    assert users["u2"] == {"userId": "u2", "last_updated": last["timestamp"], "version": 2}
    assert isinstance(users["u1"]["last_updated"], int)
    assert response.json["next_token"] is None


def test_users_pages_through_many_users_with_many_records(table, call, app, monkeypatch):
    monkeypatch.setattr(app, "SCAN_PAGE_ITEMS", 7)  # many Scan calls per request, pages ending anywhere
    seed_users(table, 47, records_per_user=lambda number: 1 + number % 6)
    for user_id in ("app-a", "app-b"):
        create(call, user_id)
        update(call, user_id, {"n": 2})
    users, pages = all_pages(call, limit=10)
    ids = [user["userId"] for user in users]
    assert len(ids) == len(set(ids)) == 49
    expected = {f"seed-{number:04d}": 1 + number % 6 for number in range(47)} | {"app-a": 2, "app-b": 2}
    assert {user["userId"]: user["version"] for user in users} == expected
    assert [page.json["count"] for page in pages[:4]] == [10, 10, 10, 10]
    assert all(page.json["count"] == len(page.json["users"]) for page in pages)
    assert pages[4].json["count"] == 9
    assert len(pages) in (5, 6)  # 10+10+10+10+9, and an empty last page at most


def test_users_pages_with_every_limit_see_each_user_once(table, call, app, monkeypatch):
    monkeypatch.setattr(app, "SCAN_PAGE_ITEMS", 4)
    seed_users(table, 13, records_per_user=lambda number: 1 + number % 3)
    for limit in (1, 2, 3, 5, 13, 14):
        users, pages = all_pages(call, limit=limit)
        ids = [user["userId"] for user in users]
        assert sorted(ids) == [f"seed-{number:04d}" for number in range(13)], limit
        assert all(page.json["count"] <= limit for page in pages)


def test_users_token_resumes_exactly_after_the_last_user(table, call):
    for number in range(5):
        create(call, f"r{number}")
    first = call("GET", "/users", query={"limit": "2"}).json
    second = call("GET", "/users", query={"limit": "2", "next_token": first["next_token"]}).json
    third = call("GET", "/users", query={"limit": "2", "next_token": second["next_token"]}).json
    names = [user["userId"] for page in (first, second, third) for user in page["users"]]
    assert sorted(names) == [f"r{number}" for number in range(5)]
    assert third["count"] == 1
    assert third["next_token"] is None
    again = call("GET", "/users", query={"limit": "2", "next_token": first["next_token"]}).json
    assert again["users"] == second["users"]


def test_users_no_token_when_the_last_user_ends_the_table(table, call):
    for number in range(4):
        create(call, f"e{number}")
    response = call("GET", "/users", query={"limit": "4"})
    assert response.json["count"] == 4
    assert response.json["next_token"] is None


def test_users_default_limit_is_20_and_limit_is_capped_at_100(table, call):
    seed_users(table, 105)
    assert call("GET", "/users").json["count"] == 20
    capped = call("GET", "/users", query={"limit": "150"}).json
    assert capped["count"] == 100
    rest = call("GET", "/users", query={"limit": "150", "next_token": capped["next_token"]}).json
    assert rest["count"] == 5
    assert rest["next_token"] is None
    everyone = {user["userId"] for user in capped["users"] + rest["users"]}
    assert everyone == {f"seed-{number:04d}" for number in range(105)}
    assert call("GET", "/users", query={"limit": "1"}).json["count"] == 1


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5", "ten"])
def test_users_with_a_bad_limit_is_400(table, call, limit):
    response = call("GET", "/users", query={"limit": limit})
    assert response.status == 400
    assert response.json["error"] == "limit must be a whole number from 1 to 100"


def token(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "next_token",
    [
        "!!!not-base64!!!",
        base64.urlsafe_b64encode(b"not json").decode(),
        token([1, 2]),
        token({"userId": "x"}),
        token({"userId": "x", "timestamp": "0"}),
        token({"userId": "x", "timestamp": -1}),
        token({"userId": "x", "timestamp": True}),
        token({"userId": "bad id", "timestamp": 0}),
        token({"userId": "x", "timestamp": 0, "extra": 1}),
    ],
)
def test_users_with_a_bad_next_token_is_400(table, call, next_token):
    response = call("GET", "/users", query={"next_token": quote(next_token)})
    assert response.status == 400
    assert response.json["error"] == "next_token is not valid"


def test_users_accepts_a_url_encoded_padded_token(table, call):
    for number in range(3):
        create(call, f"p{number}")
    first = call("GET", "/users", query={"limit": "1"}).json
    padded = first["next_token"] + "=" * (-len(first["next_token"]) % 4)
    response = call("GET", "/users", query={"limit": "5", "next_token": quote(padded, safe="")})
    assert response.status == 200
    assert {user["userId"] for user in response.json["users"]} | {first["users"][0]["userId"]} == {"p0", "p1", "p2"}


def test_users_stops_early_when_the_invocation_runs_out_of_time(table, call, app, monkeypatch):
    monkeypatch.setattr(app, "SCAN_PAGE_ITEMS", 3)
    seed_users(table, 12)
    low_on_time = FakeContext(remaining_ms=app.LISTING_TIME_MARGIN_MS - 1)
    first = call("GET", "/users", query={"limit": "50"}, context=low_on_time).json
    assert first["count"] < 12
    assert first["next_token"] is not None
    users, _ = all_pages(call, limit=50, context=low_on_time)
    ids = [user["userId"] for user in users]
    assert sorted(ids) == [f"seed-{number:04d}" for number in range(12)]


# ---------------------------------------------------------------------------------------------------
# Internal errors: 500 says nothing internal, the log says everything


def test_internal_error_is_500_without_details_and_logged(table, call, app, monkeypatch, caplog):
    def broken(user_id):
        raise RuntimeError("secret detail arn:aws:dynamodb:eu-west-1:123456789012:table/x")

    monkeypatch.setattr(app, "latest_user_record", broken)
    monkeypatch.setenv("AWS_REGION", "us-west-2")  # the runtime's region wins over AWS_DEFAULT_REGION
    with caplog.at_level(logging.ERROR):
        response = call("GET", "/user/kate")
    assert response.status == 500
    assert response.raw["statusDescription"] == "500 Internal Server Error"
    assert response.json == {"error": "Internal server error", "region": "us-west-2", "request_id": "req-0123456789"}
    assert "secret" not in response.raw["body"]
    [logged] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert "req-0123456789" in logged.getMessage()
    assert "GET /user/kate" in logged.getMessage()
    assert "secret detail" in logged.exc_text or "secret detail" in str(logged.exc_info[1])


def test_aws_error_is_500_without_the_aws_error(table, call, caplog):
    table.delete()
    with caplog.at_level(logging.ERROR):
        response = call("GET", "/user/liam")
    assert response.status == 500
    assert response.json["region"] == "eu-west-1"
    assert "ResourceNotFound" not in response.raw["body"]
    assert "ResourceNotFound" in caplog.text


def test_missing_table_name_is_500(table, call, monkeypatch, caplog):
    monkeypatch.delenv("TABLE_NAME")
    with caplog.at_level(logging.ERROR):
        response = call("POST", "/user", {"userId": "m", "data": {}})
    assert response.status == 500
    assert "TABLE_NAME" not in response.raw["body"]
    assert "TABLE_NAME is not set" in caplog.text


def test_an_event_that_is_not_an_alb_event_is_500(table, app):
    response = app.handler(None, None)
    assert response["statusCode"] == 500
    assert json.loads(response["body"])["region"] == REGION
