"""Contract: Lambda functions run the code that was deployed (Invoke, its payloads, errors and environment).

Everything here holds on real AWS too (``ACTIVEACTIVE_TEST_TARGET=aws``), except the tests marked
``localcloud_only``, which steer the local cloud (faults, reset, worker reaping) or call its runtime in-process.
Waits poll with a deadline.
"""

import base64
import importlib.util
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from deployed import wait_until as _wait_until
from deployed import zip_of

REAL_AWS = os.environ.get("ACTIVEACTIVE_TEST_TARGET") == "aws"
REGION = "eu-west-1"
RUNTIME = "python3.12"
DEADLINE_SECONDS = 120 if REAL_AWS else 30
REPO = Path(__file__).resolve().parents[2]
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)

# A function for most tests: it counts its invocations (warm state), reports what it sees and can fail on demand.
PROBE = """
import json, os, time, uuid

ENVIRONMENT_ID = str(uuid.uuid4())
COUNT = 0

def handler(event, context):
    global COUNT
    COUNT += 1
    print("probe got", json.dumps(event))
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("set"):
        return {1, 2}
    return {
        "count": COUNT,
        "environment_id": ENVIRONMENT_ID,
        "event": event,
        "env": {k: os.environ.get(k) for k in event.get("env", [])},
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
"""

# Reaches DynamoDB from inside the function, through the SDK's default configuration only.
DYNAMO = """
import os, boto3

def handler(event, context):
    client = boto3.client("dynamodb")
    client.put_item(TableName=event["table"], Item={"pk": {"S": event["key"]}})
    status = client.describe_table(TableName=event["table"])["Table"]["TableStatus"]
    return {"client_region": client.meta.region_name, "status": status}
"""


def wait_until(check, what: str):
    return _wait_until(check, what, DEADLINE_SECONDS, interval=2 if REAL_AWS else 0.05)


def invoke(client, name, event=None, **kwargs):
    """Invoke and decode: (response, payload as parsed JSON or None when empty)."""
    response = client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **kwargs)
    body = response["Payload"].read()
    return response, (json.loads(body) if body else None)


@pytest.fixture
def lam(aws):
    return aws.client("lambda", region=REGION, config=Config(read_timeout=90, retries={"max_attempts": 1}))


@pytest.fixture
def role_arn(aws, unique_name):
    iam = aws.client("iam")
    arn = iam.create_role(RoleName=unique_name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    if REAL_AWS:
        iam.attach_role_policy(
            RoleName=unique_name, PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        )
        iam.attach_role_policy(RoleName=unique_name, PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess")
    yield arn
    if REAL_AWS:
        for policy in ("service-role/AWSLambdaBasicExecutionRole", "AmazonDynamoDBFullAccess"):
            iam.detach_role_policy(RoleName=unique_name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
        iam.delete_role(RoleName=unique_name)


@pytest.fixture
def create_function(lam, role_arn, unique_name):
    """Creates functions from source files (``{"app.py": "..."}``); on AWS deletes them afterwards."""
    created = []

    def create(suffix="", files=None, handler="app.handler", **settings):
        name = f"{unique_name}{suffix}"
        spec = dict(
            FunctionName=name,
            Runtime=RUNTIME,
            Role=role_arn,
            Handler=handler,
            Code={"ZipFile": zip_of(files or {"app.py": PROBE})},
            Timeout=10,
        )
        spec.update(settings)
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            try:
                lam.create_function(**spec)
                break
            except ClientError as error:  # on AWS a new role takes a few seconds to be assumable
                if error.response["Error"]["Code"] != "InvalidParameterValueException" or time.monotonic() > deadline:
                    raise
                time.sleep(3)
        created.append(name)
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
        return name

    yield create
    if REAL_AWS:
        for name in created:
            lam.delete_function(FunctionName=name)


@pytest.fixture
def table(aws, unique_name):
    """A DynamoDB table named like the test, hash key ``pk``, in the functions' region: (client, name)."""
    ddb = aws.client("dynamodb", region=REGION)
    ddb.create_table(
        TableName=unique_name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.get_waiter("table_exists").wait(TableName=unique_name, WaiterConfig={"Delay": 1})
    yield ddb, unique_name
    ddb.delete_table(TableName=unique_name)


def update_code(lam, name, files):
    lam.update_function_code(FunctionName=name, ZipFile=zip_of(files))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})


def test_invoke_runs_the_deployed_code_with_lambdas_environment_and_context(lam, create_function):
    name = create_function(
        Environment={"Variables": {"GREETING": "hello", "AWS_LAMBDA_FUNCTION_NAME": "ignored?"}}, MemorySize=256
    )
    keys = [
        "GREETING",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "LAMBDA_TASK_ROOT",
        "AWS_EXECUTION_ENV",
        "_HANDLER",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ]
    response, payload = invoke(lam, name, {"hello": "world", "env": keys})
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert payload["event"] == {"hello": "world", "env": keys}
    env = payload["env"]
    assert env["GREETING"] == "hello"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert "[$LATEST]" in env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{RUNTIME}"
    assert env["_HANDLER"] == "app.handler"
    assert env["LAMBDA_TASK_ROOT"] and os.path.isabs(env["LAMBDA_TASK_ROOT"])
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    context = payload["context"]
    assert context["function_name"] == name
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"].endswith(
        f":lambda:{REGION}:{context['invoked_function_arn'].split(':')[4]}:function:{name}"
    )
    assert context["memory_limit_in_mb"] == "256"
    assert context["aws_request_id"] == response["ResponseMetadata"]["RequestId"]
    assert context["log_group_name"] == f"/aws/lambda/{name}"
    assert context["log_stream_name"] == env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert 0 < context["remaining_ms"] <= 10_000


def test_warm_environment_keeps_global_state_between_invocations(lam, create_function):
    name = create_function()
    payloads = [invoke(lam, name)[1] for _ in range(3)]
    assert [p["count"] for p in payloads] == [1, 2, 3]
    assert len({p["environment_id"] for p in payloads}) == 1


def test_concurrent_invocations_get_their_own_environments(lam, create_function):
    name = create_function()
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: invoke(lam, name, {"sleep": 1.5})[1], range(3)))
    assert len({r["environment_id"] for r in results}) == 3
    assert [r["count"] for r in results] == [1, 1, 1]


def test_function_calls_dynamodb_in_its_own_region(lam, create_function, table, localcloud_log):
    ddb, unique_name = table
    name = create_function(files={"app.py": DYNAMO})
    response, payload = invoke(lam, name, {"table": unique_name, "key": "from-lambda"})
    assert "FunctionError" not in response, payload
    assert payload == {"client_region": REGION, "status": "ACTIVE"}
    assert ddb.get_item(TableName=unique_name, Key={"pk": {"S": "from-lambda"}})["Item"]
    if localcloud_log is not None:
        puts = [r for r in localcloud_log.requests() if r["operation"] == "PutItem"]
        assert [(r["region"], r["status"]) for r in puts] == [(REGION, 200)]


def test_exception_is_an_unhandled_function_error_with_the_runtimes_shape(lam, create_function):
    name = create_function()
    response, payload = invoke(lam, name, {"raise": "boom"}, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorMessage"] == "boom"
    assert payload["errorType"] == "ValueError"
    assert payload["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert any('raise ValueError(event["raise"])' in frame for frame in payload["stackTrace"])
    logs = base64.b64decode(response["LogResult"]).decode()
    assert "[ERROR] ValueError: boom" in logs
    assert invoke(lam, name)[1]["count"] == 2  # the environment survives a handled exception


def test_timeout_kills_the_environment_and_the_next_invocation_works(lam, create_function):
    name = create_function(Timeout=1)
    started = time.monotonic()
    response, payload = invoke(lam, name, {"sleep": 5})
    assert time.monotonic() - started < 4.5
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    request_id = response["ResponseMetadata"]["RequestId"]
    assert payload == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }
    response, payload = invoke(lam, name)
    assert "FunctionError" not in response
    assert payload["count"] == 1  # a new environment


@pytest.mark.parametrize(
    "files,handler,error_type,message",
    [
        (
            {"app.py": PROBE},
            "missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        ({"app.py": PROBE}, "app.nope", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'app'"),
        (
            {"app.py": "import not_installed_anywhere\n"},
            "app.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'not_installed_anywhere'",
        ),
        (
            {"app.py": PROBE},
            "nodot",
            "Runtime.MalformedHandlerName",
            "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)",
        ),
    ],
)
def test_handler_that_cannot_be_loaded_is_an_unhandled_init_error(
    lam, create_function, files, handler, error_type, message
):
    name = create_function(files=files, handler=handler)
    response, payload = invoke(lam, name)
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == error_type
    assert payload["errorMessage"] == message


def test_result_that_is_not_json_is_a_marshal_error(lam, create_function):
    name = create_function()
    response, payload = invoke(lam, name, {"set": True})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.MarshalError"
    assert payload["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"


def test_event_runs_in_the_background_and_dry_run_does_not_run(lam, create_function, table):
    ddb, unique_name = table
    name = create_function(files={"app.py": DYNAMO})
    response, payload = invoke(lam, name, {"table": unique_name, "key": "dry"}, InvocationType="DryRun")
    assert response["StatusCode"] == 204 and payload is None
    response, payload = invoke(lam, name, {"table": unique_name, "key": "async"}, InvocationType="Event")
    assert response["StatusCode"] == 202 and payload is None
    wait_until(lambda: ddb.get_item(TableName=unique_name, Key={"pk": {"S": "async"}}).get("Item"), "the Event's item")
    assert "Item" not in ddb.get_item(TableName=unique_name, Key={"pk": {"S": "dry"}})


def test_unknown_function_or_qualifier_is_resource_not_found(lam, create_function, unique_name):
    with pytest.raises(ClientError) as failure:
        lam.invoke(FunctionName=f"{unique_name}-missing", Payload=b"{}")
    assert failure.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert failure.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    name = create_function()
    with pytest.raises(ClientError) as failure:
        lam.invoke(FunctionName=name, Qualifier="7", Payload=b"{}")
    assert failure.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as failure:
        lam.invoke(FunctionName=name, Payload=b"not json")
    assert failure.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_new_code_and_configuration_run_in_new_environments_and_versions_keep_theirs(lam, create_function):
    name = create_function(files={"app.py": "def handler(event, context):\n    return 'v1'\n"})
    assert invoke(lam, name)[1] == "v1"
    version = lam.publish_version(FunctionName=name)["Version"]
    update_code(
        lam,
        name,
        {"app.py": "import os\ndef handler(event, context):\n    return 'v2 ' + os.environ.get('FLAG', '-')\n"},
    )
    assert invoke(lam, name)[1] == "v2 -"
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"FLAG": "on"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
    assert invoke(lam, name)[1] == "v2 on"
    response, payload = invoke(lam, name, Qualifier=version)
    assert payload == "v1"
    assert response["ExecutedVersion"] == version


def test_an_update_is_in_progress_until_its_environment_is_ready_and_the_previous_one_serves_meanwhile(
    lam, create_function
):
    # AWS: "When you update a function, Lambda provisions an instance of the function ... During this time ...
    # you can still invoke it"; LastUpdateStatus tells when it is processing events with the new configuration.
    slow_start = (
        "import os, time\ntime.sleep(1.5)\ndef handler(event, context):\n    return os.environ.get('FLAG', '-')\n"
    )
    name = create_function(files={"app.py": slow_start})
    assert invoke(lam, name)[1] == "-"
    updated = lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"FLAG": "on"}})
    assert updated["LastUpdateStatus"] == "InProgress"
    assert lam.get_function_configuration(FunctionName=name)["LastUpdateStatus"] == "InProgress"
    with pytest.raises(ClientError) as refused:
        lam.update_function_configuration(FunctionName=name, Timeout=9)
    assert refused.value.response["Error"]["Code"] == "ResourceConflictException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert "An update is in progress for resource" in refused.value.response["Error"]["Message"]
    started = time.monotonic()
    assert invoke(lam, name)[1] == "-"
    assert time.monotonic() - started < 1.0, "the warm environment with the previous configuration answered"
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
    started = time.monotonic()
    assert invoke(lam, name)[1] == "on"
    assert time.monotonic() - started < 1.0, "the update's environment was already started"
    assert lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "Successful"


def test_log_tail_holds_the_invocations_log(lam, create_function):
    name = create_function()
    response, _ = invoke(lam, name, {"marker": "tail-me"}, LogType="Tail")
    logs = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id}" in logs
    assert 'probe got {"marker": "tail-me"}' in logs
    assert f"END RequestId: {request_id}" in logs
    assert f"REPORT RequestId: {request_id}" in logs
    assert "LogResult" not in invoke(lam, name)[0]


def load_lambda_package():
    spec = importlib.util.spec_from_file_location("lambda_package", REPO / "plugins/modules/lambda_package.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def alb_event(method, path, body=None):
    return {
        "requestContext": {
            "elb": {
                "targetGroupArn": f"arn:aws:elasticloadbalancing:{REGION}:123456789012:targetgroup/app/0123456789abcdef"
            }
        },
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "headers": {"host": "app.example.com", "content-type": "application/json"},
        "body": "" if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def test_the_application_serves_health_and_users_from_its_regions_table(aws, lam, role_arn, unique_name):
    package = load_lambda_package()
    source = REPO / "files" / "lambda"
    code = package.build_zip(str(source), package.package_files(str(source), ["__pycache__", "*.pyc", ".*"]))
    ddb = aws.client("dynamodb", region=REGION)
    ddb.create_table(
        TableName=unique_name,
        KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}, {"AttributeName": "timestamp", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "userId", "AttributeType": "S"},
            {"AttributeName": "timestamp", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        ddb.get_waiter("table_exists").wait(TableName=unique_name, WaiterConfig={"Delay": 1})
        lam.create_function(
            FunctionName=unique_name,
            Runtime="python3.13",
            Role=role_arn,
            Handler="app.handler",
            Code={"ZipFile": code},
            Timeout=15,
            Environment={"Variables": {"TABLE_NAME": unique_name}},
        )
        lam.get_waiter("function_active_v2").wait(FunctionName=unique_name, WaiterConfig={"Delay": 1})
        response, payload = invoke(lam, unique_name, alb_event("GET", "/health"))
        assert "FunctionError" not in response, payload
        assert payload["statusCode"] == 200, payload
        assert payload["statusDescription"] == "200 OK"
        assert json.loads(payload["body"])["status"] == "healthy"
        assert json.loads(payload["body"])["region"] == REGION

        _, created = invoke(lam, unique_name, alb_event("POST", "/user", {"userId": "ann", "data": {"a": 1}}))
        assert created["statusCode"] == 201, created
        _, fetched = invoke(lam, unique_name, alb_event("GET", "/user/ann"))
        assert fetched["statusCode"] == 200, fetched
        body = json.loads(fetched["body"])
        assert body["user"]["data"] == {"a": 1} and body["served_from_region"] == REGION
    finally:
        if REAL_AWS:
            lam.delete_function(FunctionName=unique_name)
        ddb.delete_table(TableName=unique_name)


# -- the local cloud's own behaviour -------------------------------------------------------------------------


@pytest.fixture
def localcloud_log(request):
    """The local cloud's control API when testing it, None on real AWS."""
    return None if REAL_AWS else request.getfixturevalue("localcloud")


@pytest.mark.localcloud_only
def test_runtime_invoke_in_process_by_name_and_arns(lam, create_function):
    from localcloud.dataplane.lambdas import runtime
    from localcloud.errors import AWSError

    name = create_function()
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    account = arn.split(":")[4]
    for function in (name, arn, f"{account}:function:{name}", f"{name}:$LATEST"):
        result = runtime.invoke(account, REGION, function, b'{"k": 1}')
        assert result.status_code == 200 and result.function_error is None
        assert json.loads(result.payload)["event"] == {"k": 1}
        assert result.executed_version == "$LATEST"
        assert f"START RequestId: {result.request_id}" in result.log_result
    failed = runtime.invoke(account, REGION, name, b'{"raise": "x"}')
    assert failed.function_error == "Unhandled" and json.loads(failed.payload)["errorType"] == "ValueError"
    with pytest.raises(AWSError) as error:
        runtime.invoke(account, REGION, "nobody", b"{}")
    assert (error.value.code, error.value.status) == ("ResourceNotFoundException", 404)
    with pytest.raises(AWSError) as error:
        runtime.invoke(account, REGION, f"{name}:1", b"{}", qualifier="2")
    assert error.value.code == "InvalidParameterValueException"
    assert runtime.invoke(account, REGION, name, b"{}", invocation_type="DryRun").status_code == 204


@pytest.mark.localcloud_only
def test_regional_outage_fails_direct_invocations_and_the_api(lam, create_function, localcloud):
    from localcloud.dataplane.lambdas import runtime
    from localcloud.errors import AWSError

    name = create_function()
    account = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"].split(":")[4]
    localcloud.add_fault(service="lambda", region=REGION, error_code="ServiceUnavailableException", status=503)
    with pytest.raises(AWSError) as error:
        runtime.invoke(account, REGION, name, b"{}")
    assert (error.value.code, error.value.status) == ("ServiceException", 500)
    with pytest.raises(ClientError) as failure:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert failure.value.response["Error"]["Code"] == "ServiceUnavailableException"
    localcloud.clear_faults()
    assert runtime.invoke(account, REGION, name, b"{}").function_error is None


@pytest.mark.localcloud_only
def test_other_runtimes_fail_clearly(lam, create_function):
    name = create_function(Runtime="nodejs20.x", handler="index.handler", files={"index.js": "exports.handler = 1"})
    with pytest.raises(ClientError) as failure:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert failure.value.response["Error"]["Code"] == "InvalidRuntimeException"
    assert "python3.x" in failure.value.response["Error"]["Message"]


@pytest.mark.localcloud_only
def test_idle_workers_are_reaped_and_reset_kills_them(lam, create_function, localcloud, monkeypatch):
    from localcloud.dataplane import lambdas

    name = create_function()
    invoke(lam, name)
    assert lambdas.runtime.worker_count() == 1
    monkeypatch.setattr(lambdas, "IDLE_SECONDS", 0.2)
    wait_until(lambda: lambdas.runtime.worker_count() == 0, "the idle worker to be reaped")
    monkeypatch.undo()
    invoke(lam, name)
    assert lambdas.runtime.worker_count() == 1
    localcloud.reset()
    assert lambdas.runtime.worker_count() == 0


def test_a_worker_that_exits_is_a_runtime_exit_error(lam, create_function):
    name = create_function(files={"app.py": "import os\ndef handler(event, context):\n    os._exit(3)\n"})
    response, payload = invoke(lam, name)
    assert response["FunctionError"] == "Unhandled"
    request_id = response["ResponseMetadata"]["RequestId"]
    assert payload == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status 3",
    }


@pytest.mark.localcloud_only
def test_logs_reach_cloudwatch_logs(aws, lam, create_function):
    name = create_function()
    response, _ = invoke(lam, name, {"marker": "to-cloudwatch"})
    events = aws.client("logs", region=REGION).filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    messages = [event["message"] for event in events]
    assert f"START RequestId: {response['ResponseMetadata']['RequestId']} Version: $LATEST" in messages
    assert 'probe got {"marker": "to-cloudwatch"}' in messages
