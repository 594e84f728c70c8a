"""Accelerator static IPs serving TCP through sockets (localcloud/dataplane/accelerators.py).

Two kinds of tests:
- proxy and reconcile tests use EC2 instance endpoints (which have no data plane of their own) and point
  them at small TCP servers in this process, by replacing ``accelerators.serving_address`` for them;
- end-to-end tests go through the real chain: accelerator -> ALB (load balancer data plane) -> Lambda
  target group -> an echo function that answers with its AWS_REGION.
"""

import contextlib
import http.client
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
import zipfile

import pytest

from localcloud.dataplane import accelerators

pytestmark = pytest.mark.localcloud_only

GA_REGION = "us-west-2"
DEADLINE_SECONDS = 20


def eventually(check, timeout=DEADLINE_SECONDS, interval=0.05):
    """Poll ``check`` until it returns something truthy; fail with its last result or error at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = check()
            if last:
                return last
        except (AssertionError, OSError) as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s; last: {last!r}")
        time.sleep(interval)


class Backend:
    """A TCP server that reads until the client half-closes, then answers '<name>:<what it read>' and closes.

    Every backend has its own loopback address (127.0.3.x, outside any local cloud's block) and the same
    port, so one port override per endpoint group reaches all of its endpoints.
    """

    _hosts = iter(range(1, 255))
    port = 0

    def __init__(self, name: str) -> None:
        self.name = name
        self.host = f"127.0.3.{next(Backend._hosts)}"
        self._sock = socket.create_server((self.host, Backend.port))
        Backend.port = self._sock.getsockname()[1]
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while chunk := conn.recv(4096):
                data += chunk
            conn.sendall(self.name.encode() + b":" + data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() and stops listening
        self._sock.close()


def exchange(address: str, port: int, payload: bytes = b"ping", source: str | None = None) -> bytes:
    """Send, half-close, read the whole answer. b'' when the accelerator closed or reset the connection."""
    answer = b""
    try:
        with socket.create_connection(
            (address, port), timeout=5, source_address=(source, 0) if source else None
        ) as conn:
            conn.sendall(payload)
            conn.shutdown(socket.SHUT_WR)
            while chunk := conn.recv(4096):
                answer += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    return answer


def served_by(address: str, port: int, source: str | None = None) -> str:
    return exchange(address, port, b"x", source).decode().split(":")[0]


def refuses(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def control(localcloud, method: str, route: str, body=None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{localcloud.endpoint_url}/_localcloud/{route}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def backends(monkeypatch):
    """EC2 instance endpoints served by local TCP servers: {instance id: Backend}."""
    served: dict[str, Backend] = {}
    original = accelerators.serving_address

    def serving_address(account_id, region, endpoint_id):
        backend = served.get(endpoint_id)
        return backend.host if backend else original(account_id, region, endpoint_id)

    monkeypatch.setattr(accelerators, "serving_address", serving_address)
    yield served
    for backend in served.values():
        backend.close()


class Stack:
    """An accelerator with instance endpoints, each answering through its own Backend."""

    def __init__(self, aws, backends, localcloud) -> None:
        self.aws = aws
        self.backends = backends
        self.localcloud = localcloud
        self.ga = aws.client("globalaccelerator", GA_REGION)
        accelerator = self.ga.create_accelerator(Name="routing", IdempotencyToken="routing")["Accelerator"]
        self.arn = accelerator["AcceleratorArn"]
        self.ips = accelerator["IpSets"][0]["IpAddresses"]

    def instance(self, region: str, name: str) -> str:
        ec2 = self.aws.client("ec2", region)
        instance_id = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        self.backends[instance_id] = Backend(name)
        return instance_id

    def listener(self, from_port: int, to_port: int | None = None, protocol="TCP", affinity="NONE") -> str:
        return self.ga.create_listener(
            AcceleratorArn=self.arn,
            PortRanges=[{"FromPort": from_port, "ToPort": to_port or from_port}],
            Protocol=protocol,
            ClientAffinity=affinity,
            IdempotencyToken=f"listener-{from_port}",
        )["Listener"]["ListenerArn"]

    def group(self, listener_arn: str, region: str, *instances: str, dial=100.0, port: int | None = None) -> str:
        """An endpoint group; ``port`` is the listener port, overridden to the backends' port."""
        overrides = [{"ListenerPort": port, "EndpointPort": Backend.port}] if port else []
        return self.ga.create_endpoint_group(
            ListenerArn=listener_arn,
            EndpointGroupRegion=region,
            EndpointConfigurations=[{"EndpointId": i} for i in instances],
            TrafficDialPercentage=dial,
            PortOverrides=overrides,
            IdempotencyToken=f"group-{listener_arn[-8:]}-{region}",
        )["EndpointGroup"]["EndpointGroupArn"]

    def wait_deployed(self) -> None:
        eventually(lambda: self.ga.describe_accelerator(AcceleratorArn=self.arn)["Accelerator"]["Status"] == "DEPLOYED")

    def wait_healthy(self, *group_arns: str) -> None:
        """Until the control plane reports every endpoint HEALTHY and the data plane routes by that."""

        def healthy():
            return all(
                d["HealthState"] == "HEALTHY"
                for arn in group_arns
                for d in self.ga.describe_endpoint_group(EndpointGroupArn=arn)["EndpointGroup"]["EndpointDescriptions"]
            )

        eventually(healthy)
        eventually(lambda: self.routed_available() >= sum(self.endpoint_count(arn) for arn in group_arns))

    def endpoint_count(self, group_arn: str) -> int:
        return len(self.ga.describe_endpoint_group(EndpointGroupArn=group_arn)["EndpointGroup"]["EndpointDescriptions"])

    def routed_available(self) -> int:
        """How many endpoints the data plane can route to, over the accelerator's listeners."""
        routes = {id(r): r for r in (accelerators.component.route(a) for a in accelerators.component.listening()) if r}
        return sum(len(group.available) for route in routes.values() for group in route.groups)


@pytest.fixture
def stack(aws, backends, localcloud):
    return Stack(aws, backends, localcloud)


def test_a_tcp_listener_proxies_both_ways_on_both_static_ips_with_half_close(stack):
    east = stack.instance("us-east-1", "east")
    listener = stack.listener(8000)
    stack.wait_healthy(stack.group(listener, "us-east-1", east, port=8000))
    for ip in stack.ips:
        # The backend answers only after reading EOF: the client's half-close went through, the answer came back.
        assert eventually(lambda ip=ip: exchange(ip, 8000, b"hello" * 10000)) == b"east:" + b"hello" * 10000


def test_listeners_follow_the_control_plane(stack, localcloud):
    east = stack.instance("us-east-1", "east")
    first = stack.listener(8100, 8101)
    stack.wait_healthy(stack.group(first, "us-east-1", east, port=8100))
    ip = stack.ips[0]
    assert eventually(lambda: served_by(ip, 8100) == "east")
    # A changed port range: the old ports close, the new ones open (no override there: the backend's port is
    # not 8200, so that connection is closed by the accelerator, but it is accepted).
    stack.ga.update_listener(ListenerArn=first, PortRanges=[{"FromPort": 8200, "ToPort": 8200}])
    eventually(lambda: refuses(ip, 8100) and refuses(ip, 8101) and not refuses(ip, 8200))
    # UDP listeners are not served; a huge range is served on its first 64 ports only.
    stack.listener(8300, protocol="UDP")
    big = stack.listener(9000, 9999)
    eventually(lambda: not refuses(ip, 9000) and not refuses(ip, 9063))
    assert refuses(ip, 9064) and refuses(ip, 8300)
    assert len([a for a in accelerators.component.listening() if a[0] == ip]) == 1 + 64
    # A deleted listener stops listening.
    stack.ga.delete_listener(ListenerArn=big)
    eventually(lambda: refuses(ip, 9000))
    # A disabled accelerator serves nothing; enabled again, it serves again.
    stack.wait_deployed()
    stack.ga.update_accelerator(AcceleratorArn=stack.arn, Enabled=False)
    eventually(lambda: refuses(ip, 8200) and refuses(stack.ips[1], 8200))
    stack.wait_deployed()
    stack.ga.update_accelerator(AcceleratorArn=stack.arn, Enabled=True)
    eventually(lambda: not refuses(ip, 8200))
    # Reset forgets it all.
    localcloud.reset()
    eventually(lambda: refuses(ip, 8200) and not accelerators.component.listening())


def test_a_refusing_endpoint_closes_the_client_connection(stack):
    east = stack.instance("us-east-1", "east")
    listener = stack.listener(8400)
    stack.wait_healthy(stack.group(listener, "us-east-1", east, port=8400))
    ip = stack.ips[0]
    assert eventually(lambda: served_by(ip, 8400) == "east")
    stack.backends[east].close()
    assert exchange(ip, 8400) == b""


def test_client_locations_route_each_source_to_its_nearest_group(stack, localcloud):
    assert control(localcloud, "GET", "client-locations") == (200, {"default": "us-east-1", "sources": {}})
    east, europe = stack.instance("us-east-1", "east"), stack.instance("eu-west-1", "europe")
    listener = stack.listener(8500)
    group_east = stack.group(listener, "us-east-1", east, port=8500)
    group_europe = stack.group(listener, "eu-west-1", europe, port=8500)
    stack.wait_healthy(group_east, group_europe)
    ip = stack.ips[0]
    assert eventually(lambda: served_by(ip, 8500) == "east")
    status, body = control(
        localcloud, "PUT", "client-locations", {"default": "us-east-2", "sources": {"127.0.0.3": "eu-west-2"}}
    )
    assert (status, body) == (200, {"default": "us-east-2", "sources": {"127.0.0.3": "eu-west-2"}})
    assert {served_by(ip, 8500, source="127.0.0.2") for _ in range(10)} == {"east"}
    assert {served_by(ip, 8500, source="127.0.0.3") for _ in range(10)} == {"europe"}
    control(localcloud, "PUT", "client-locations", {"default": "eu-central-1"})
    assert {served_by(ip, 8500, source="127.0.0.2") for _ in range(10)} == {"europe"}
    # Dial 0 on the nearest group sends its traffic to the next one.
    stack.ga.update_endpoint_group(EndpointGroupArn=group_europe, TrafficDialPercentage=0)
    assert eventually(lambda: {served_by(ip, 8500, source="127.0.0.2") for _ in range(10)} == {"east"})
    # Bad input is refused; reset goes back to the default.
    assert control(localcloud, "PUT", "client-locations", {"default": "mars-north-1"})[0] == 400
    assert control(localcloud, "PUT", "client-locations", {"sources": {"not-an-ip": "us-east-1"}})[0] == 400
    assert control(localcloud, "PUT", "client-locations", {"regions": {}})[0] == 400
    localcloud.reset()
    assert control(localcloud, "GET", "client-locations") == (200, {"default": "us-east-1", "sources": {}})


def test_the_default_client_location_comes_from_the_environment(monkeypatch):
    locations = accelerators.ClientLocations()
    monkeypatch.delenv("LOCALCLOUD_CLIENT_REGION", raising=False)
    assert locations.describe() == {"default": "us-east-1", "sources": {}}
    monkeypatch.setenv("LOCALCLOUD_CLIENT_REGION", "ap-south-1")
    assert locations.region_of("127.0.0.9") == "ap-south-1"
    locations.replace({"sources": {"127.0.0.9": "sa-east-1"}})
    assert (locations.region_of("127.0.0.9"), locations.region_of("127.0.0.8")) == ("sa-east-1", "ap-south-1")
    monkeypatch.setenv("LOCALCLOUD_CLIENT_REGION", "moon-1")
    assert locations.region_of("127.0.0.8") == "us-east-1"


@pytest.mark.parametrize("affinity", ["SOURCE_IP", "NONE"])
def test_client_affinity(stack, affinity):
    port = 8600 if affinity == "NONE" else 8700
    instances = [stack.instance("us-east-1", f"ep{i}") for i in range(4)]
    listener = stack.listener(port, affinity=affinity)
    stack.wait_healthy(stack.group(listener, "us-east-1", *instances, port=port))
    ip = stack.ips[0]
    eventually(lambda: served_by(ip, port).startswith("ep"))
    sources = [f"127.0.0.{i}" for i in range(10, 22)]
    chosen = {source: {served_by(ip, port, source=source) for _ in range(12)} for source in sources}
    if affinity == "SOURCE_IP":
        assert all(len(endpoints) == 1 for endpoints in chosen.values()), chosen
        assert len(set().union(*chosen.values())) > 1, chosen  # different sources, different endpoints
    else:
        assert all(len(endpoints) > 1 for endpoints in chosen.values()), chosen


# --- end to end: accelerator -> ALB -> Lambda -----------------------------------------------------------

ECHO_REGION = """
import os

def handler(event, context):
    body = os.environ["AWS_REGION"] + " " + context.function_name
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "body": body}
"""
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def regional_alb(aws, region: str, name: str) -> str:
    """An echo function behind a Lambda target group (health checks on) behind an ALB listening on port 80."""
    role = aws.client("iam").create_role(RoleName=f"{name}-{region}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    function = aws.client("lambda", region).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _zip(ECHO_REGION)},
    )["FunctionArn"]
    elbv2 = aws.client("elbv2", region)
    target_group = elbv2.create_target_group(Name=name, TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group(TargetGroupArn=target_group, HealthCheckEnabled=True)  # off by default for Lambda
    elbv2.register_targets(TargetGroupArn=target_group, Targets=[{"Id": function}])
    subnets = [s["SubnetId"] for s in aws.client("ec2", region).describe_subnets()["Subnets"]][:2]
    alb = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type="application")["LoadBalancers"][0]
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )
    return alb["LoadBalancerArn"]


def get(ip: str, source: str | None = None) -> str:
    """GET http://<ip>/ from a source address; the body, or '' when the connection was closed."""
    connection = http.client.HTTPConnection(ip, 80, timeout=10, source_address=(source, 0) if source else None)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        return response.read().decode() if response.status == 200 else f"HTTP {response.status}"
    except (http.client.RemoteDisconnected, ConnectionError):
        return ""
    finally:
        connection.close()


def regions_serving(ip: str, source: str | None = None, n: int = 10) -> set[str]:
    return {get(ip, source).split(" ")[0] for _ in range(n)}


def accelerator_over(aws, groups: dict[str, list[str]], affinity: str = "NONE") -> tuple[list[str], dict[str, str]]:
    """An accelerator with a TCP:80 listener and one endpoint group per region: (static IPs, region -> group ARN)."""
    ga = aws.client("globalaccelerator", GA_REGION)
    accelerator = ga.create_accelerator(Name="e2e", IdempotencyToken="e2e")["Accelerator"]
    listener = ga.create_listener(
        AcceleratorArn=accelerator["AcceleratorArn"],
        PortRanges=[{"FromPort": 80, "ToPort": 80}],
        Protocol="TCP",
        ClientAffinity=affinity,
        IdempotencyToken="e2e",
    )["Listener"]["ListenerArn"]
    arns = {
        region: ga.create_endpoint_group(
            ListenerArn=listener,
            EndpointGroupRegion=region,
            EndpointConfigurations=[{"EndpointId": alb} for alb in albs],
            IdempotencyToken=f"e2e-{region}",
        )["EndpointGroup"]["EndpointGroupArn"]
        for region, albs in groups.items()
    }

    def all_healthy():
        states = [
            d["HealthState"]
            for arn in arns.values()
            for d in ga.describe_endpoint_group(EndpointGroupArn=arn)["EndpointGroup"]["EndpointDescriptions"]
        ]
        assert all(state == "HEALTHY" for state in states), states
        return True

    eventually(all_healthy, timeout=60)
    return accelerator["IpSets"][0]["IpAddresses"], arns


def test_http_through_the_accelerator_reaches_the_nearest_region_and_fails_over(aws, localcloud):
    regions = ["us-east-1", "eu-west-1", "ap-northeast-1"]
    ips, groups = accelerator_over(aws, {region: [regional_alb(aws, region, "echo")] for region in regions})
    for ip in ips:
        assert eventually(lambda ip=ip: get(ip).startswith("us-east-1 "), timeout=30)
    ip = ips[0]
    # Clients in different places, told apart by their source address.
    status, _ = control(
        localcloud,
        "PUT",
        "client-locations",
        {"sources": {"127.0.0.21": "eu-central-1", "127.0.0.22": "ap-northeast-2", "127.0.0.23": "us-east-2"}},
    )
    assert status == 200
    assert regions_serving(ip, "127.0.0.21") == {"eu-west-1"}
    assert regions_serving(ip, "127.0.0.22") == {"ap-northeast-1"}
    assert regions_serving(ip, "127.0.0.23") == {"us-east-1"}
    # Dial 0 in us-east-1: its clients go to the next nearest region, Europe; the others do not move.
    ga = aws.client("globalaccelerator", GA_REGION)
    ga.update_endpoint_group(EndpointGroupArn=groups["us-east-1"], TrafficDialPercentage=0)
    assert eventually(lambda: regions_serving(ip, "127.0.0.23") == {"eu-west-1"})
    assert regions_serving(ip, "127.0.0.22") == {"ap-northeast-1"}
    ga.update_endpoint_group(EndpointGroupArn=groups["us-east-1"], TrafficDialPercentage=100)
    assert eventually(lambda: regions_serving(ip, "127.0.0.23") == {"us-east-1"})
    # An outage in Europe: European clients fail over to the next nearest healthy region, and come back after.
    localcloud.add_fault(region="eu-west-1", error_code="ServiceUnavailable", status=503)
    assert eventually(lambda: regions_serving(ip, "127.0.0.21") == {"us-east-1"})
    assert regions_serving(ip, "127.0.0.22") == {"ap-northeast-1"}
    localcloud.clear_faults()
    assert eventually(lambda: regions_serving(ip, "127.0.0.21") == {"eu-west-1"}, timeout=60)


def test_source_ip_affinity_keeps_each_client_on_one_alb(aws, localcloud):
    albs = [regional_alb(aws, "us-east-1", name) for name in ("echo-a", "echo-b")]
    ips, _ = accelerator_over(aws, {"us-east-1": albs}, affinity="SOURCE_IP")
    ip = ips[0]
    assert eventually(lambda: get(ip).startswith("us-east-1 "), timeout=30)
    # ALB ARNs are random, so which source goes where changes per run: 24 sources all landing on one of the
    # two ALBs has a chance of 2 in 2**24.
    sources = [f"127.0.0.{i}" for i in range(30, 54)]
    served = {source: {get(ip, source) for _ in range(5)} for source in sources}
    assert all(len(answers) == 1 for answers in served.values()), served
    assert set().union(*served.values()) == {"us-east-1 echo-a", "us-east-1 echo-b"}, served
