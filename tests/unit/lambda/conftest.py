"""Fixtures for the Lambda application: the app module, a moto users table, a handler caller."""

from functools import cache

import boto3
import pytest
from lambda_testing import REGION, TABLE, FakeContext, Response, alb_event, load_app
from moto import mock_aws


@pytest.fixture
def app(monkeypatch):
    """The app module with this test's environment.

    The app's DynamoDB resource is created on first use and then kept, as in a warm Lambda container:
    moto intercepts clients created after it is imported, and each test's mock_aws starts empty.
    """
    for name in ("FORCE_UNHEALTHY", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TABLE_NAME", TABLE)
    return load_app()


@cache
def shared_test_resource():
    """The tests' own DynamoDB resource (created once: building one takes a good part of a second)."""
    return boto3.resource("dynamodb", region_name=REGION)


@pytest.fixture
def table(app):
    """The users table with the schema the table role creates, in moto."""
    with mock_aws():
        yield shared_test_resource().create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "userId", "KeyType": "HASH"},
                {"AttributeName": "timestamp", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "userId", "AttributeType": "S"},
                {"AttributeName": "timestamp", "AttributeType": "N"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )


@pytest.fixture
def call(app):
    """call(method, path, body=None, query=None, ...) runs the handler on an ALB event."""

    def invoke(method, path, body=None, query=None, context=None, **event_options):
        event = alb_event(method, path, body=body, query=query, **event_options)
        return Response(app.handler(event, context or FakeContext()))

    return invoke
