"""Accelerator static IPs that route traffic: a TCP proxy on each static IP and listener port.

Every enabled accelerator listens on both of its static IPv4 addresses, on each port of its TCP
listeners (at most ``MAX_PORTS_PER_LISTENER`` per listener). Each new connection goes to one endpoint,
chosen by ``accelerator_routing.choose`` from the client's location (``client_locations``), the
listener's endpoint groups, their dials, the endpoints' weights and health as the control plane
reports them, and the listener's ClientAffinity; the bytes are then copied both ways until both sides
have closed. UDP listeners are not served.
"""

import contextlib
import ipaddress
import logging
import os
import queue
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass

from .. import delays, layer
from ..services.globalaccelerator import endpoints as ga_endpoints
from ..services.globalaccelerator import model
from . import accelerator_routing as routing
from . import load_balancers, supervisor

log = logging.getLogger("localcloud.dataplane.accelerators")

MAX_PORTS_PER_LISTENER = 64
DEFAULT_CLIENT_REGION = "us-east-1"
CONNECT_TIMEOUT_SECONDS = 5.0
_LOAD_BALANCER = "arn:aws:elasticloadbalancing:"
_BUFFER = 65536


class ClientLocations:
    """Which Region each client is in: a default for everyone, and per source IP address."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._default: str | None = None
        self._sources: dict[str, str] = {}

    @staticmethod
    def initial_default() -> str:
        region = os.environ.get("LOCALCLOUD_CLIENT_REGION") or DEFAULT_CLIENT_REGION
        if region not in routing.REGION_COORDINATES:
            log.warning("LOCALCLOUD_CLIENT_REGION=%r is not a known Region; using %s", region, DEFAULT_CLIENT_REGION)
            return DEFAULT_CLIENT_REGION
        return region

    def describe(self) -> dict:
        with self._lock:
            return {"default": self._default or self.initial_default(), "sources": dict(self._sources)}

    def replace(self, spec) -> dict:
        """Take ``{"default": region, "sources": {ip: region}}``; a key left out goes back to its initial value."""
        if not isinstance(spec, dict):
            raise ValueError("client locations must be a JSON object")
        unknown = set(spec) - {"default", "sources"}
        if unknown:
            raise ValueError(f"unknown client location keys: {sorted(unknown)}")
        default = spec.get("default")
        if default is not None:
            _check_region(default)
        sources = spec.get("sources") or {}
        if not isinstance(sources, dict):
            raise ValueError("'sources' must map source IP addresses to Regions")
        for source, region in sources.items():
            try:
                ipaddress.ip_address(source)
            except ValueError:
                raise ValueError(f"{source!r} is not an IP address") from None
            _check_region(region)
        with self._lock:
            self._default = default
            self._sources = dict(sources)
        return self.describe()

    def reset(self) -> None:
        with self._lock:
            self._default = None
            self._sources = {}

    def region_of(self, source_ip: str) -> str:
        with self._lock:
            region = self._sources.get(source_ip) or self._default
        return region or self.initial_default()


def _check_region(region) -> None:
    if region not in routing.REGION_COORDINATES:
        raise ValueError(f"{region!r} is not a commercial AWS Region")


client_locations = ClientLocations()


@layer.on_reset
def forget_client_locations() -> None:
    client_locations.reset()


class Recoveries:
    """AWS routes to an endpoint that was unhealthy again "in about 30 seconds" after it recovers.

    ``recovering`` is true from the first reconcile that sees an UNHEALTHY endpoint HEALTHY again until the
    delay profile's ``globalaccelerator.failback`` has passed; an endpoint that goes from INITIAL to HEALTHY
    takes traffic at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[tuple, str] = {}
        self._since: dict[tuple, float] = {}

    def recovering(self, key: tuple, health: str) -> bool:
        now = time.monotonic()
        with self._lock:
            previous, self._last[key] = self._last.get(key), health
            if health != "HEALTHY":
                self._since.pop(key, None)
                return False
            if previous == "UNHEALTHY":
                self._since[key] = now
            since = self._since.get(key)
            if since is None:
                return False
            if now - since >= delays.seconds("globalaccelerator.failback"):
                del self._since[key]
                return False
            return True

    def reset(self) -> None:
        with self._lock:
            self._last = {}
            self._since = {}


recoveries = Recoveries()


@layer.on_reset
def forget_recoveries() -> None:
    recoveries.reset()


@dataclass(frozen=True)
class Route:
    """What one listener routes to, as of the last reconcile."""

    listener_arn: str
    client_affinity: str
    groups: tuple[routing.Group, ...]
    port_overrides: dict[str, dict[int, int]]  # by group Region: listener port -> endpoint port

    def endpoint_port(self, region: str, listener_port: int) -> int:
        return self.port_overrides.get(region, {}).get(listener_port, listener_port)


def listener_ports(port_ranges: list[dict]) -> list[int]:
    """The ports served for a listener: its ranges in order, at most MAX_PORTS_PER_LISTENER of them."""
    ports: list[int] = []
    for port_range in port_ranges:
        for port in range(port_range["FromPort"], port_range["ToPort"] + 1):
            if len(ports) == MAX_PORTS_PER_LISTENER:
                return ports
            ports.append(port)
    return ports


def desired_routes() -> dict[tuple[str, int], Route]:
    """(static IP, port) -> route for every TCP listener of every enabled accelerator."""
    listeners = []
    with model.LOCK:
        for account in list(model.world.accounts.values()):
            for accelerator in list(account.accelerators.values()):
                if not accelerator.enabled:
                    continue
                for listener in account.listeners_of(accelerator):
                    if listener.protocol == "TCP":
                        groups = [_group_state(account, group) for group in account.endpoint_groups_of(listener)]
                        ports = listener_ports(listener.port_ranges)
                        addresses = list(accelerator.ipv4_addresses)
                        listeners.append(
                            (account.account_id, addresses, listener.arn, listener.client_affinity, ports, groups)
                        )
    # Outside the model's lock: the load balancer data plane has its own.
    routes: dict[tuple[str, int], Route] = {}
    for account_id, addresses, listener_arn, client_affinity, ports, groups in listeners:
        route = Route(
            listener_arn=listener_arn,
            client_affinity=client_affinity,
            groups=tuple(
                routing.Group(
                    region,
                    dial,
                    tuple(
                        routing.Endpoint(
                            endpoint_id,
                            weight,
                            health,
                            serving_address(account_id, region, endpoint_id),
                            recoveries.recovering((account_id, region, endpoint_id), health),
                        )
                        for endpoint_id, weight, health in endpoints
                    ),
                )
                for region, dial, endpoints, _ in groups
            ),
            port_overrides={region: overrides for region, _, _, overrides in groups},
        )
        for address in addresses:
            for port in ports:
                routes[(address, port)] = route
    return routes


def _group_state(account: model.Account, group: model.EndpointGroup) -> tuple:
    """A copy of what routing needs from an endpoint group, health included (read under the model's lock)."""
    endpoints = [
        (endpoint.endpoint_id, endpoint.weight, ga_endpoints.health_state(account.account_id, group.region, endpoint))
        for endpoint in group.endpoints
    ]
    overrides = {override["ListenerPort"]: override["EndpointPort"] for override in group.port_overrides}
    return group.region, group.traffic_dial_percentage, endpoints, overrides


def serving_address(account_id: str, region: str, endpoint_id: str) -> str | None:
    """Where an endpoint answers on loopback; None for what has no data plane (EC2 instances, Elastic IPs)."""
    if not endpoint_id.startswith(_LOAD_BALANCER):
        return None
    return load_balancers.serving_address(account_id, region, endpoint_id)


class _Acceptor:
    """One thread accepting on every listening socket; sockets are added and removed through a queue."""

    def __init__(self, on_accept) -> None:
        self._on_accept = on_accept
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._changes: queue.SimpleQueue = queue.SimpleQueue()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="localcloud-accelerators", daemon=True)
        self._thread.start()

    def add(self, sock: socket.socket, address: tuple[str, int]) -> None:
        self._changes.put((sock, address))
        self._wake()

    def remove(self, sock: socket.socket) -> None:
        self._changes.put((sock, None))
        self._wake()

    def close(self) -> None:
        self._stopping = True
        self._wake()
        self._thread.join(timeout=5)
        self._apply_changes()
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()
        self._selector.close()
        self._wake_write.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")

    def _apply_changes(self) -> None:
        while True:
            try:
                sock, address = self._changes.get_nowait()
            except queue.Empty:
                return
            if address is None or self._stopping:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(sock)
                sock.close()
            else:
                self._selector.register(sock, selectors.EVENT_READ, address)

    def _run(self) -> None:
        while not self._stopping:
            self._apply_changes()
            for key, _ in self._selector.select():
                if key.data is None:
                    with contextlib.suppress(OSError):
                        self._wake_read.recv(4096)
                    continue
                try:
                    connection, peer = key.fileobj.accept()
                except OSError:  # the client gave up already, or the socket was just removed
                    continue
                self._on_accept(connection, peer, key.data)


class AcceleratorDataPlane:
    """The supervisor component: listening sockets follow the control plane; connections are proxied."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._acceptor: _Acceptor | None = None
        self._listening: dict[tuple[str, int], socket.socket] = {}
        self._routes: dict[tuple[str, int], Route] = {}
        self._unbindable: set[tuple[str, int]] = set()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def reconcile(self) -> None:
        routes = desired_routes()
        with self._lock:
            self._routes = routes
            for address in [a for a in self._listening if a not in routes]:
                self._acceptor.remove(self._listening.pop(address))
            for address in routes:
                if address in self._listening:
                    continue
                sock = self._listen(address)
                if sock is None:
                    continue
                if self._acceptor is None:
                    self._acceptor = _Acceptor(self._accepted)
                self._acceptor.add(sock, address)
                self._listening[address] = sock

    def stop(self) -> None:
        with self._lock:
            acceptor, self._acceptor = self._acceptor, None
            self._listening = {}
            self._routes = {}
            self._unbindable = set()
            if acceptor is not None:
                acceptor.close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def route(self, address: tuple[str, int]) -> Route | None:
        """What a new connection to (static IP, port) is routed by, as of the last reconcile."""
        return self._routes.get(address)

    def listening(self) -> list[tuple[str, int]]:
        with self._lock:
            return sorted(self._listening)

    def _listen(self, address: tuple[str, int]) -> socket.socket | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            if address not in self._unbindable:
                self._unbindable.add(address)
                log.warning("accelerator address %s:%s cannot listen: %s", *address, exc)
            return None
        self._unbindable.discard(address)
        return sock

    def _accepted(self, connection: socket.socket, peer: tuple[str, int], address: tuple[str, int]) -> None:
        connection.setblocking(True)
        threading.Thread(
            target=self._serve, args=(connection, peer, address), name="localcloud-accelerator-conn", daemon=True
        ).start()

    def _serve(self, client: socket.socket, peer: tuple[str, int], address: tuple[str, int]) -> None:
        route = self._routes.get(address)
        choice = None
        if route is not None:
            source_ip, source_port = peer[0], peer[1]
            key = (
                source_ip
                if route.client_affinity == "SOURCE_IP"
                else f"{source_ip}:{source_port}->{address[0]}:{address[1]}/TCP"
            )
            choice = routing.choose(route.groups, client_locations.region_of(source_ip), key=key)
        if choice is None or choice.endpoint.address is None:
            _abort(client)
            return
        target = (choice.endpoint.address, route.endpoint_port(choice.group.region, address[1]))
        try:
            upstream = socket.create_connection(target, timeout=CONNECT_TIMEOUT_SECONDS)
        except OSError as exc:
            # AWS does not retry another endpoint: the client sees its connection closed.
            log.info("accelerator %s:%s -> %s:%s refused: %s", *address, *target, exc)
            _abort(client)
            return
        upstream.settimeout(None)
        log.debug("accelerator %s:%s from %s -> %s %s (%s)", *address, peer[0], choice.group.region, target, choice.how)
        self._proxy(client, upstream)

    def _proxy(self, client: socket.socket, upstream: socket.socket) -> None:
        with self._connections_lock:
            self._connections.update((client, upstream))
        back = threading.Thread(target=_pump, args=(upstream, client), name="localcloud-accelerator-pump", daemon=True)
        back.start()
        _pump(client, upstream)
        back.join()
        with self._connections_lock:
            self._connections.difference_update((client, upstream))
        client.close()
        upstream.close()


def _pump(source: socket.socket, destination: socket.socket) -> None:
    """Copy until the source closes its side, then close the same side toward the destination (half-close)."""
    try:
        while True:
            data = source.recv(_BUFFER)
            if not data:
                break
            destination.sendall(data)
    except OSError:  # a reset on either side ends both directions
        for sock in (source, destination):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return
    with contextlib.suppress(OSError):
        destination.shutdown(socket.SHUT_WR)


def _abort(client: socket.socket) -> None:
    """Close with a reset, as a proxy whose endpoint refused would."""
    with contextlib.suppress(OSError):
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


component = supervisor.register(AcceleratorDataPlane())
