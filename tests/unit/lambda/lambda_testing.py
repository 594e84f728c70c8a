"""Helpers for the Lambda application's tests: loading the app, ALB events, reading responses."""

import base64
import importlib.util
import json
import os
import sys

APP_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "..", "files", "lambda", "app.py")
REGION = "eu-west-1"
TABLE = "activeactive-users"


def load_app():
    """files/lambda/app.py is not in a package: load it by path, once, under a name of its own."""
    name = "activeactive_lambda_app"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.abspath(APP_PATH))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


class FakeContext:
    aws_request_id = "req-0123456789"

    def __init__(self, remaining_ms=60000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def alb_event(method, path, body=None, query=None, base64_body=False, multi_value=False):
    """An ALB Lambda event; body may be a dict (sent as JSON) or text; query values as sent (encoded)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    body = body or ""
    if base64_body:
        body = base64.b64encode(body.encode()).decode()
    headers = {"host": "alb.example.com", "content-type": "application/json", "user-agent": "pytest"}
    event = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:tg/x/y"}},
        "httpMethod": method,
        "path": path,
        "body": body,
        "isBase64Encoded": base64_body,
    }
    if multi_value:
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in (query or {}).items()}
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    else:
        event["queryStringParameters"] = dict(query or {})
        event["headers"] = headers
    return event


class Response:
    """An ALB response as a test reads it."""

    def __init__(self, raw):
        self.raw = raw
        self.status = raw["statusCode"]
        self.headers = raw.get("headers") or {k: v[-1] for k, v in raw.get("multiValueHeaders", {}).items()}
        self.json = json.loads(raw["body"]) if raw["body"] else None
