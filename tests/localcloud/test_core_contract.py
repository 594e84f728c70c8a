"""The local cloud's core: routing, TableId, ALB timing, the request log, fault injection, reset."""

import threading
import time

import botocore.config
import pytest
from botocore.exceptions import ClientError

NO_RETRIES = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})


def create_table(ddb, name):
    return ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]


def test_table_id_is_returned_and_stable(aws, unique_name):
    ddb = aws.client("dynamodb")
    created = create_table(ddb, unique_name)
    try:
        assert created["TableId"]
        ddb.get_waiter("table_exists").wait(TableName=unique_name, WaiterConfig={"Delay": 1})
        assert ddb.describe_table(TableName=unique_name)["Table"]["TableId"] == created["TableId"]
    finally:
        deleted = ddb.delete_table(TableName=unique_name)["TableDescription"]
    assert deleted["TableId"] == created["TableId"]


def test_table_ids_differ_between_tables_and_regions(aws, unique_name):
    ids = set()
    for region in ("us-east-1", "eu-west-1"):
        ddb = aws.client("dynamodb", region=region)
        for suffix in ("a", "b"):
            ids.add(create_table(ddb, f"{unique_name}-{suffix}")["TableId"])
            ddb.delete_table(TableName=f"{unique_name}-{suffix}")
    assert len(ids) == 4


@pytest.mark.localcloud_only
def test_every_call_is_logged_with_service_operation_region_and_error(aws, localcloud):
    aws.client("sts", region="eu-west-1").get_caller_identity()
    with pytest.raises(ClientError):
        aws.client("dynamodb", region="ap-southeast-1").describe_table(TableName="missing")
    calls = localcloud.requests()
    assert calls[-2]["service"] == "sts"
    assert calls[-2]["operation"] == "GetCallerIdentity"
    assert calls[-2]["region"] == "eu-west-1"
    assert calls[-2]["status"] == 200 and calls[-2]["error_code"] is None
    assert calls[-1]["operation"] == "DescribeTable"
    assert calls[-1]["region"] == "ap-southeast-1"
    assert calls[-1]["error_code"] == "ResourceNotFoundException"
    localcloud.clear_requests()
    assert localcloud.requests() == []


@pytest.mark.localcloud_only
@pytest.mark.parametrize(
    "service,region,call,code",
    [
        ("dynamodb", "us-east-1", lambda c: c.list_tables(), "ThrottlingException"),
        ("iam", "us-east-1", lambda c: c.list_roles(), "Throttling"),
        ("ec2", "eu-west-1", lambda c: c.describe_vpcs(), "RequestLimitExceeded"),
        ("elbv2", "eu-west-1", lambda c: c.describe_load_balancers(), "Throttling"),
        ("lambda", "eu-west-1", lambda c: c.list_functions(), "TooManyRequestsException"),
    ],
)
def test_injected_fault_reaches_the_sdk_in_each_protocol(aws, localcloud, service, region, call, code):
    localcloud.add_fault(service=service, region=region, error_code=code, count=1)
    client = aws.client(service, region=region, config=NO_RETRIES)
    with pytest.raises(ClientError) as failure:
        call(client)
    assert failure.value.response["Error"]["Code"] == code
    call(client)  # count 1: the next call goes through


@pytest.mark.localcloud_only
def test_boto3_retries_through_injected_throttling(aws, localcloud):
    localcloud.add_fault(service="dynamodb", operation="ListTables", error_code="ThrottlingException", count=2)
    client = aws.client("dynamodb", config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 5}))
    assert client.list_tables()["TableNames"] == []
    statuses = [r["error_code"] for r in localcloud.requests() if r["operation"] == "ListTables"]
    assert statuses == ["ThrottlingException", "ThrottlingException", None]


@pytest.mark.localcloud_only
def test_fault_matches_only_its_region_and_operation(aws, localcloud):
    localcloud.add_fault(
        service="dynamodb", operation="ListTables", region="eu-west-1", error_code="InternalServerError", status=500
    )
    aws.client("dynamodb", region="us-east-1", config=NO_RETRIES).list_tables()
    aws.client("dynamodb", region="eu-west-1", config=NO_RETRIES).describe_limits()
    with pytest.raises(ClientError):
        aws.client("dynamodb", region="eu-west-1", config=NO_RETRIES).list_tables()
    localcloud.clear_faults()
    aws.client("dynamodb", region="eu-west-1", config=NO_RETRIES).list_tables()


@pytest.mark.localcloud_only
def test_clearing_faults_of_one_region_keeps_the_others(aws, localcloud):
    for region in ("eu-west-1", "ap-southeast-1"):
        localcloud.add_fault(region=region, error_code="ServiceUnavailable", status=503)
    assert localcloud._call("DELETE", "faults?region=eu-west-1")["removed"] == 1
    assert [f["region"] for f in localcloud._call("GET", "faults")["faults"]] == ["ap-southeast-1"]
    aws.client("dynamodb", region="eu-west-1", config=NO_RETRIES).list_tables()
    with pytest.raises(ClientError):
        aws.client("dynamodb", region="ap-southeast-1", config=NO_RETRIES).list_tables()
    localcloud.clear_faults()


@pytest.mark.localcloud_only
def test_probability_fault_fails_about_that_share(aws, localcloud):
    localcloud.add_fault(service="sts", error_code="Throttling", probability=0.5)
    sts = aws.client("sts", config=NO_RETRIES)
    failures = 0
    for _ in range(60):
        try:
            sts.get_caller_identity()
        except ClientError:
            failures += 1
    assert 10 < failures < 50


@pytest.mark.localcloud_only
def test_bad_fault_specs_are_refused(localcloud):
    import urllib.error

    for spec in (
        {},
        {"error_code": "X", "count": 1, "probability": 0.5},
        {"error_code": "X", "bogus": 1},
        {"error_code": "X", "probability": 2},
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            localcloud.add_fault(**spec)
        assert refused.value.code == 400


@pytest.mark.localcloud_only
def test_alb_is_provisioning_then_active(aws):
    from localcloud import delays

    ec2 = aws.client("ec2", region="eu-west-1")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    elb = aws.client("elbv2", region="eu-west-1")
    started = time.monotonic()
    arn = elb.create_load_balancer(Name="timed", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    assert elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"] == "provisioning"
    attempts = int(delays.seconds("elbv2.load_balancer.provisioning") / 0.2) + 50
    elb.get_waiter("load_balancer_available").wait(
        LoadBalancerArns=[arn], WaiterConfig={"Delay": 0.2, "MaxAttempts": attempts}
    )
    assert time.monotonic() - started >= delays.seconds("elbv2.load_balancer.provisioning")


@pytest.mark.localcloud_only
def test_reset_wipes_state_faults_and_log(aws, localcloud, unique_name):
    create_table(aws.client("dynamodb"), unique_name)
    localcloud.add_fault(service="iam", error_code="Throttling")
    localcloud.reset()
    assert aws.client("dynamodb").list_tables()["TableNames"] == []
    aws.client("iam", config=NO_RETRIES).list_roles()
    assert [r["operation"] for r in localcloud.requests()] == ["ListTables", "ListRoles"]


@pytest.mark.localcloud_only
def test_unknown_operation_is_an_aws_error_not_html(aws):
    with pytest.raises(ClientError) as failure:
        aws.client("lambda", region="eu-west-1", config=NO_RETRIES).get_function(FunctionName="missing")
    assert failure.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.localcloud_only
def test_answers_concurrent_callers(aws, localcloud):
    errors = []

    def work(index):
        try:
            ddb = aws.client("dynamodb", region=("us-east-1", "eu-west-1", "ap-southeast-1")[index % 3])
            name = f"concurrent-{index}"
            create_table(ddb, name)
            ddb.put_item(TableName=name, Item={"pk": {"S": "k"}})
            assert ddb.get_item(TableName=name, Key={"pk": {"S": "k"}})["Item"]
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(1 for r in localcloud.requests() if r["operation"] == "PutItem") == 12
