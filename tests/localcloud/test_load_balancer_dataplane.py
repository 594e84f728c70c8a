"""Contract: Application Load Balancers serve real HTTP on their DNSName and invoke their Lambda targets.

Local cloud only: the DNSName is a loopback address of this machine (on AWS it is a public name), and the
tests steer faults and read the data plane in-process. Waits poll with a deadline.
"""

import datetime
import http.client
import ipaddress
import json
import logging
import re
import socket
import ssl

import deployed
import pytest
from deployed import zip_of

pytestmark = pytest.mark.localcloud_only

REGION = "eu-west-1"
PORT = 8080
DEADLINE_SECONDS = 30

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)

ECHO = """
import base64, json, os

def handler(event, context):
    path = event["path"]
    if path == "/error":
        raise RuntimeError("boom")
    if path == "/malformed":
        return {"body": "no status code"}
    if path == "/binary":
        body = base64.b64encode(bytes(range(256))).decode()
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "body": body, "isBase64Encoded": True}
    if path == "/teapot":
        return {"statusCode": 418, "statusDescription": "418 Short And Stout", "headers": {"X-Echo": "yes"}}
    if path == "/health":
        sick = os.path.exists(os.environ["SICK_FILE"])
        return {"statusCode": 503 if sick else 200, "headers": {"content-type": "text/plain"}, "body": "ok"}
    if "multiValueHeaders" in event:
        headers = {"content-type": ["application/json"], "set-cookie": ["a=1", "b=2"]}
        return {"statusCode": 200, "multiValueHeaders": headers, "body": json.dumps(event)}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


def wait_until(check, what: str, timeout: float = DEADLINE_SECONDS):
    return deployed.wait_until(check, what, timeout)


def request(host: str, path: str = "/", method: str = "GET", body: bytes | None = None, headers=None, port=PORT):
    """(status, reason, headers as a list, body) of one HTTP request."""
    connection = http.client.HTTPConnection(host, port, timeout=20)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.reason, response.getheaders(), response.read()
    finally:
        connection.close()


def header(headers, name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


def refused(host: str, port: int = PORT) -> bool:
    try:
        request(host, "/", port=port)
    except (OSError, http.client.HTTPException):
        return True
    return False


class Stack:
    def __init__(self, aws, name, tmp_path):
        self.ec2 = aws.client("ec2", region=REGION)
        self.elbv2 = aws.client("elbv2", region=REGION)
        self.lam = aws.client("lambda", region=REGION)
        self.sick_file = tmp_path / "sick"
        vpc_id = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [
            self.ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")[
                "Subnet"
            ]["SubnetId"]
            for i, zone in enumerate("ab")
        ]
        role = aws.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        self.function_arn = self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zip_of({"app.py": ECHO})},
            Environment={"Variables": {"SICK_FILE": str(self.sick_file)}},
        )["FunctionArn"]
        self.name = name

    def target_group(self, suffix="tg", register=True, **settings) -> str:
        arn = self.elbv2.create_target_group(Name=f"{self.name}-{suffix}"[:32], TargetType="lambda", **settings)[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        if register:
            self.elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": self.function_arn}])
        return arn

    def load_balancer(self, target_group_arn: str, port: int = PORT) -> dict:
        load_balancer = self.elbv2.create_load_balancer(Name=self.name, Subnets=self.subnets, Type="application")[
            "LoadBalancers"
        ][0]
        load_balancer["ListenerArn"] = self.elbv2.create_listener(
            LoadBalancerArn=load_balancer["LoadBalancerArn"],
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
        )["Listeners"][0]["ListenerArn"]
        return load_balancer

    def wait_active(self, load_balancer: dict, port: int = PORT) -> str:
        arn = load_balancer["LoadBalancerArn"]
        wait_until(
            lambda: (
                self.elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]
                == "active"
            ),
            "the ALB to turn active",
        )
        wait_until(lambda: not refused(load_balancer["DNSName"], port), "the listener to serve")
        return load_balancer["DNSName"]

    def health(self, target_group_arn: str) -> dict:
        [description] = self.elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
        return description["TargetHealth"]


@pytest.fixture
def stack(aws, unique_name, tmp_path):
    return Stack(aws, unique_name, tmp_path)


@pytest.fixture
def served(stack):
    """An active ALB forwarding to the echo function: (stack, DNS name, target group ARN, load balancer)."""
    target_group_arn = stack.target_group()
    load_balancer = stack.load_balancer(target_group_arn)
    return stack, stack.wait_active(load_balancer), target_group_arn, load_balancer


def event_of(host: str, path: str, **kwargs) -> dict:
    status, _, _, body = request(host, path, **kwargs)
    assert status == 200, body
    return json.loads(body)


# --- addresses and serving --------------------------------------------------------------------------------


def test_dns_name_is_a_loopback_address_served_once_active(stack):
    from localcloud.dataplane import load_balancers

    load_balancer = stack.load_balancer(stack.target_group())
    host = load_balancer["DNSName"]
    assert re.fullmatch(r"127\.\d+\.(12[89]|1[3-9]\d|2[0-4]\d|25[0-4])\.\d+", host)
    assert load_balancer["State"]["Code"] == "provisioning"
    assert refused(host)  # not before it is active
    assert load_balancers.serving_address("123456789012", REGION, load_balancer["LoadBalancerArn"]) is None
    stack.wait_active(load_balancer)
    described = stack.elbv2.describe_load_balancers(LoadBalancerArns=[load_balancer["LoadBalancerArn"]])
    assert described["LoadBalancers"][0]["DNSName"] == host
    assert load_balancers.serving_address("123456789012", REGION, load_balancer["LoadBalancerArn"]) == host
    assert request(host, "/")[0] == 200


def test_internal_alb_on_port_80_serves_too(stack):
    target_group_arn = stack.target_group()
    load_balancer = stack.elbv2.create_load_balancer(Name=stack.name, Subnets=stack.subnets, Scheme="internal")[
        "LoadBalancers"
    ][0]
    stack.elbv2.create_listener(
        LoadBalancerArn=load_balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
    )
    host = stack.wait_active(load_balancer, port=80)
    assert event_of(host, "/x", port=80)["headers"]["x-forwarded-port"] == "80"


# --- the Lambda event and the response ------------------------------------------------------------------


def test_lambda_event_is_albs(served):
    stack, host, target_group_arn, _ = served
    event = event_of(host, "/echo/a%20b?x=1&x=2&y=hello%20world&flag", headers={"X-Custom": "Value"})
    assert list(event) == [
        "requestContext",
        "httpMethod",
        "path",
        "queryStringParameters",
        "headers",
        "body",
        "isBase64Encoded",
    ]
    assert event["requestContext"] == {"elb": {"targetGroupArn": target_group_arn}}
    assert (event["httpMethod"], event["path"]) == ("GET", "/echo/a%20b")
    assert event["queryStringParameters"] == {"x": "2", "y": "hello%20world", "flag": ""}  # not decoded
    headers = event["headers"]
    assert headers["x-custom"] == "Value" and headers["host"] == f"{host}:{PORT}"
    assert all(name == name.lower() for name in headers)
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert (headers["x-forwarded-proto"], headers["x-forwarded-port"]) == ("http", str(PORT))
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["x-amzn-trace-id"])
    assert (event["body"], event["isBase64Encoded"]) == ("", False)
    assert event_of(host, "/")["queryStringParameters"] == {}


def test_text_bodies_pass_as_is_and_others_in_base64(served):
    _, host, _, _ = served
    text = event_of(host, "/p", method="POST", body=b'{"a": 1}', headers={"Content-Type": "application/json"})
    assert (text["httpMethod"], text["body"], text["isBase64Encoded"]) == ("POST", '{"a": 1}', False)
    plain = event_of(host, "/p", method="PUT", body="héllo".encode(), headers={"Content-Type": "text/plain"})
    assert (plain["body"], plain["isBase64Encoded"]) == ("héllo", False)
    binary = event_of(host, "/p", method="POST", body=b"\x00\xff", headers={"Content-Type": "application/octet-stream"})
    assert (binary["body"], binary["isBase64Encoded"]) == ("AP8=", True)
    form = event_of(
        host, "/p", method="POST", body=b"a=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (form["body"], form["isBase64Encoded"]) == ("YT0x", True)


def test_multi_value_headers_when_the_attribute_is_on(served):
    stack, host, target_group_arn, _ = served
    stack.elbv2.modify_target_group_attributes(
        TargetGroupArn=target_group_arn, Attributes=[{"Key": "lambda.multi_value_headers.enabled", "Value": "true"}]
    )
    status, _, headers, body = request(host, "/m?x=1&x=2", headers={"Accept": "a"})
    event = json.loads(body)
    assert "headers" not in event and "queryStringParameters" not in event
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["multiValueHeaders"]["accept"] == ["a"]
    assert [v for k, v in headers if k.lower() == "set-cookie"] == ["a=1", "b=2"]


def test_response_translation(served):
    _, host, _, _ = served
    status, reason, headers, body = request(host, "/binary")
    assert (status, header(headers, "content-type"), body) == (200, "image/png", bytes(range(256)))
    status, reason, headers, body = request(host, "/teapot")
    assert (status, reason, header(headers, "x-echo"), body) == (418, "Short And Stout", "yes", b"")
    assert request(host, "/teapot", method="HEAD")[0] == 418


@pytest.mark.parametrize("path", ["/error", "/malformed"])
def test_function_error_or_malformed_response_is_502(served, path):
    _, host, _, _ = served
    status, _, headers, body = request(host, path)
    assert (status, header(headers, "server")) == (502, "awselb/2.0")
    assert b"<title>502 Bad Gateway</title>" in body


def test_no_registered_target_is_503(served):
    stack, host, target_group_arn, _ = served
    stack.elbv2.deregister_targets(TargetGroupArn=target_group_arn, Targets=[{"Id": stack.function_arn}])
    status, _, headers, body = request(host, "/")
    assert (status, header(headers, "server")) == (503, "awselb/2.0")
    assert b"503 Service Temporarily Unavailable" in body


# --- rules and actions ------------------------------------------------------------------------------------


def test_rules_by_priority_fixed_response_redirect_and_weights(served):
    stack, host, target_group_arn, load_balancer = served
    listener = load_balancer["ListenerArn"]
    unused = stack.target_group("other")

    def rule(priority, conditions, action):
        stack.elbv2.create_rule(ListenerArn=listener, Priority=priority, Conditions=conditions, Actions=[action])

    def fixed(status, text):
        return {
            "Type": "fixed-response",
            "FixedResponseConfig": {"StatusCode": status, "ContentType": "text/plain", "MessageBody": text},
        }

    rule(10, [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/fixed*"]}}], fixed("418", "by path"))
    rule(5, [{"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}}], fixed("200", "by host"))
    rule(20, [{"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["DELETE"]}}], fixed("405", "no"))
    redirect = {
        "Type": "redirect",
        "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "Path": "/new/#{path}", "StatusCode": "HTTP_301"},
    }
    rule(30, [{"Field": "path-pattern", "Values": ["/old/*"]}], redirect)
    weighted = {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": target_group_arn, "Weight": 1}, {"TargetGroupArn": unused, "Weight": 0}]
        },
    }
    rule(40, [{"Field": "path-pattern", "Values": ["/weighted"]}], weighted)

    status, _, headers, body = request(host, "/fixed/x")
    assert (status, body, header(headers, "server")) == (418, b"by path", "awselb/2.0")
    assert request(host, "/fixed/x", headers={"Host": "api.example.com"})[3] == b"by host"  # priority 5 first
    assert request(host, "/anything", method="DELETE")[:2] == (405, "Method Not Allowed")
    status, _, headers, _ = request(host, "/old/a/b?q=1")
    assert (status, header(headers, "location")) == (301, f"https://{host}/new/old/a/b?q=1")
    for _ in range(5):
        assert event_of(host, "/weighted")["requestContext"]["elb"]["targetGroupArn"] == target_group_arn
    assert event_of(host, "/default")["path"] == "/default"


# --- HTTPS ----------------------------------------------------------------------------------------------


def self_signed(address: str) -> tuple[bytes, bytes]:
    """(certificate, private key) in PEM: a self-signed RSA 2048 certificate for the IP ``address``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "alb.localcloud.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(address)), x509.DNSName("alb.localcloud.test")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def https_request(host: str, context: ssl.SSLContext, path: str = "/"):
    """(status, headers as a list, body) of one HTTPS request on port 443."""
    connection = http.client.HTTPSConnection(host, 443, timeout=20, context=context)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def https_event(host: str, context: ssl.SSLContext, path: str = "/"):
    """The echo function's event through HTTPS, or None while the listener does not serve yet."""
    try:
        status, _, body = https_request(host, context, path)
    except (OSError, http.client.HTTPException):  # ssl.SSLError is an OSError
        return None
    assert status == 200, body
    return json.loads(body)


def server_certificate(host: str, port: int = 443) -> bytes | None:
    """The DER certificate the server presents, not verified; None while nothing answers TLS there."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            return tls.getpeercert(binary_form=True)
    except OSError:
        return None


def https_listener(stack, load_balancer: dict, target_group_arn: str, certificate_arn: str) -> str:
    return stack.elbv2.create_listener(
        LoadBalancerArn=load_balancer["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates=[{"CertificateArn": certificate_arn}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
    )["Listeners"][0]["ListenerArn"]


def test_https_listener_serves_tls_with_the_imported_certificate(served, aws, caplog, capsys):
    stack, host, target_group_arn, load_balancer = served
    certificate, key = self_signed(host)
    certificate_arn = aws.client("acm", region=REGION).import_certificate(Certificate=certificate, PrivateKey=key)[
        "CertificateArn"
    ]
    https_listener(stack, load_balancer, target_group_arn, certificate_arn)
    context = ssl.create_default_context(cadata=certificate.decode())  # trusts only the generated certificate
    event = wait_until(lambda: https_event(host, context, "/secure?x=1"), "the HTTPS listener to serve")
    assert (event["httpMethod"], event["path"], event["queryStringParameters"]) == ("GET", "/secure", {"x": "1"})
    assert event["requestContext"] == {"elb": {"targetGroupArn": target_group_arn}}
    headers = event["headers"]
    assert (headers["x-forwarded-proto"], headers["x-forwarded-port"]) == ("https", "443")
    assert headers["host"] == host
    # A client that trusts the system's CAs only refuses the certificate: the listener really presents it.
    # The local cloud logs the failed handshake at debug level instead of printing a traceback.
    caplog.set_level(logging.DEBUG, logger="localcloud.dataplane.load_balancers")
    capsys.readouterr()
    with pytest.raises(ssl.SSLCertVerificationError):
        https_request(host, ssl.create_default_context())
    wait_until(
        lambda: any("connection from 127.0.0.1 failed" in record.getMessage() for record in caplog.records),
        "the failed handshake to be logged",
    )
    assert "Traceback" not in capsys.readouterr().err
    assert refused(host, 443)  # plain HTTP on the HTTPS port: the handshake fails, no answer (AWS sends a 400)
    assert event_of(host, "/plain")["headers"]["x-forwarded-proto"] == "http"  # the HTTP listener still serves


def test_http_listener_redirects_to_https_as_the_role_configures(served, aws):
    stack, host, target_group_arn, load_balancer = served
    certificate, key = self_signed(host)
    certificate_arn = aws.client("acm", region=REGION).import_certificate(Certificate=certificate, PrivateKey=key)[
        "CertificateArn"
    ]
    https_listener(stack, load_balancer, target_group_arn, certificate_arn)
    stack.elbv2.create_listener(  # roles/load_balancer/tasks/main.yml, with a certificate
        LoadBalancerArn=load_balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "redirect",
                "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
            }
        ],
    )
    wait_until(lambda: not refused(host, 80), "the HTTP listener on 80 to serve")
    status, reason, headers, body = request(host, "/", port=80)
    assert (status, reason, header(headers, "location")) == (301, "Moved Permanently", f"https://{host}/")
    assert (header(headers, "server"), b"301 Moved Permanently" in body) == ("awselb/2.0", True)
    status, _, headers, _ = request(host, "/a/b?q=1", port=80)
    assert (status, header(headers, "location")) == (301, f"https://{host}/a/b?q=1")
    # Following the redirect reaches the function through HTTPS.
    context = ssl.create_default_context(cadata=certificate.decode())
    event = wait_until(lambda: https_event(host, context, "/a/b?q=1"), "the HTTPS listener to serve")
    assert (event["path"], event["headers"]["x-forwarded-proto"]) == ("/a/b", "https")


def test_https_listener_with_a_requested_certificate_serves_motos_generated_pair(served, aws):
    """RequestCertificate: moto generates the certificate and its key (AWS keeps the key to itself), so the
    listener serves TLS with that certificate, whose subject is the requested domain and issuer 'Amazon',
    even while the certificate is PENDING_VALIDATION. No client trusts it: check its subject only."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    stack, host, target_group_arn, load_balancer = served
    acm = aws.client("acm", region=REGION)
    certificate_arn = acm.request_certificate(DomainName="app.localcloud.test", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    assert acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]["Status"] == "PENDING_VALIDATION"
    https_listener(stack, load_balancer, target_group_arn, certificate_arn)
    presented = x509.load_der_x509_certificate(wait_until(lambda: server_certificate(host), "TLS on 443"))
    assert presented.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "app.localcloud.test"
    assert presented.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Amazon"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    event = https_event(host, context)
    assert (event["headers"]["x-forwarded-proto"], event["headers"]["x-forwarded-port"]) == ("https", "443")


def test_https_listener_without_a_certificate_in_acm_does_not_listen(served, aws):
    """An IAM server certificate: AWS would serve it, the local cloud reads certificates from ACM only."""
    from localcloud.dataplane import load_balancers

    stack, host, target_group_arn, load_balancer = served
    certificate, key = self_signed(host)
    certificate_arn = aws.client("iam").upload_server_certificate(
        ServerCertificateName=stack.name, CertificateBody=certificate.decode(), PrivateKey=key.decode()
    )["ServerCertificateMetadata"]["Arn"]
    https_listener(stack, load_balancer, target_group_arn, certificate_arn)
    stack.elbv2.create_listener(
        LoadBalancerArn=load_balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
    )
    # Listeners are reconciled together: once the later listener on 80 serves, the one on 443 was considered.
    wait_until(lambda: not refused(host, 80), "the HTTP listener on 80 to serve")
    assert server_certificate(host) is None
    assert sorted(spec[1] for spec in load_balancers.component.serving().values() if spec[0] == host) == [80, PORT]


# --- health checks ----------------------------------------------------------------------------------------


def test_health_checks_are_off_for_lambda_targets_by_default(stack):
    target_group_arn = stack.target_group()
    described = stack.elbv2.describe_target_groups(TargetGroupArns=[target_group_arn])["TargetGroups"][0]
    assert (described["HealthCheckEnabled"], described["HealthCheckIntervalSeconds"]) == (False, 35)
    assert (described["HealthCheckTimeoutSeconds"], described["HealthCheckPath"]) == (30, "/")
    assert stack.health(target_group_arn) == {
        "State": "unused",
        "Reason": "Target.NotInUse",
        "Description": "Target group is not configured to receive traffic from the load balancer",
    }
    stack.wait_active(stack.load_balancer(target_group_arn))
    assert stack.health(target_group_arn)["State"] == "unavailable"
    assert stack.health(target_group_arn)["Reason"] == "Target.HealthCheckDisabled"


def test_health_checks_go_initial_healthy_unhealthy_and_back(stack):
    # Scaled by the tests' 0.01: checks every 1 s, time out after 0.9 s.
    target_group_arn = stack.target_group(
        HealthCheckEnabled=True,
        HealthCheckPath="/health",
        HealthCheckIntervalSeconds=100,
        HealthCheckTimeoutSeconds=90,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )
    load_balancer = stack.load_balancer(target_group_arn)
    assert stack.health(target_group_arn)["Reason"] == "Elb.RegistrationInProgress"
    stack.wait_active(load_balancer)
    assert stack.health(target_group_arn) == {
        "State": "initial",
        "Reason": "Elb.InitialHealthChecking",
        "Description": "Initial health checks in progress",
    }
    wait_until(lambda: stack.health(target_group_arn) == {"State": "healthy"}, "healthy")
    stack.sick_file.write_text("sick")
    unhealthy = wait_until(
        lambda: (health := stack.health(target_group_arn))["State"] == "unhealthy" and health, "unhealthy"
    )
    assert unhealthy["Reason"] == "Target.ResponseCodeMismatch"
    assert unhealthy["Description"] == "Health checks failed with these codes: [503]"
    stack.sick_file.unlink()
    wait_until(lambda: stack.health(target_group_arn) == {"State": "healthy"}, "healthy again")


def test_health_check_event_is_albs(stack):
    from localcloud.dataplane import load_balancers

    target_group_arn = stack.target_group(HealthCheckEnabled=True, HealthCheckPath="/ping?deep=1")
    from moto.elbv2.models import elbv2_backends

    target_group = elbv2_backends["123456789012"][REGION].target_groups[target_group_arn]
    assert load_balancers.health_check_event(target_group) == {
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": "GET",
        "path": "/ping",
        "queryStringParameters": {"deep": "1"},
        "headers": {"user-agent": "ELB-HealthChecker/2.0"},
        "body": "",
        "isBase64Encoded": False,
    }


# --- outages and deletion ---------------------------------------------------------------------------------


def test_regional_outage_stops_serving_until_cleared(served, localcloud):
    from localcloud.dataplane import load_balancers

    stack, host, _, load_balancer = served
    arn = load_balancer["LoadBalancerArn"]
    localcloud.add_fault(region=REGION, error_code="ServiceUnavailable", status=503)
    try:
        assert load_balancers.serving_address("123456789012", REGION, arn) is None
        wait_until(lambda: refused(host), "the ALB to stop answering")
    finally:
        localcloud.clear_faults()
    assert load_balancers.serving_address("123456789012", REGION, arn) == host
    wait_until(lambda: not refused(host), "the ALB to serve again")
    assert event_of(host, "/back")["path"] == "/back"


def test_deleted_alb_stops_serving_and_frees_its_address(served, localcloud, aws, unique_name, tmp_path):
    from localcloud.dataplane import load_balancers

    stack, host, _, load_balancer = served
    stack.elbv2.delete_load_balancer(LoadBalancerArn=load_balancer["LoadBalancerArn"])
    wait_until(lambda: refused(host), "the deleted ALB to stop answering")
    assert host not in load_balancers.assigned_addresses().values()
    assert load_balancers.serving_address("123456789012", REGION, load_balancer["LoadBalancerArn"]) is None
    localcloud.reset()  # the pool starts over: the first address is handed out again
    fresh = Stack(aws, unique_name, tmp_path)
    assert fresh.load_balancer(fresh.target_group())["DNSName"] == host
