"""Global Accelerator's state: accelerators, listeners and endpoint groups per account, behind one lock."""

import ipaddress
import itertools
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field

from ... import delays
from ...dataplane import addresses
from ...errors import AWSError
from .params import invalid

LOCK = threading.RLock()

_ARN_PREFIX = r"^arn:aws:globalaccelerator::\d{12}:accelerator/[^/]+"
_ACCELERATOR_ARN = re.compile(_ARN_PREFIX + "$")
_LISTENER_ARN = re.compile(_ARN_PREFIX + "/listener/[^/]+$")
_ENDPOINT_GROUP_ARN = re.compile(_ARN_PREFIX + "/listener/[^/]+/endpoint-group/[^/]+$")


def is_accelerator_arn(arn: str) -> bool:
    return bool(_ACCELERATOR_ARN.match(arn))


def is_listener_arn(arn: str) -> bool:
    return bool(_LISTENER_ARN.match(arn))


def is_endpoint_group_arn(arn: str) -> bool:
    return bool(_ENDPOINT_GROUP_ARN.match(arn))


def _deploy_deadline() -> float:
    return time.monotonic() + delays.seconds("globalaccelerator.deploy")


@dataclass
class Endpoint:
    endpoint_id: str
    weight: int
    client_ip_preservation: bool
    added_at: float = field(default_factory=time.monotonic)

    @property
    def initializing(self) -> bool:
        return time.monotonic() < self.added_at + delays.seconds("globalaccelerator.deploy")


@dataclass
class EndpointGroup:
    arn: str
    listener_arn: str
    region: str
    endpoints: list[Endpoint]
    traffic_dial_percentage: float
    health_check_port: int
    health_check_protocol: str
    health_check_path: str
    health_check_interval_seconds: int
    threshold_count: int
    port_overrides: list[dict]
    seq: int

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.endpoint_id == endpoint_id), None)


@dataclass
class Listener:
    arn: str
    accelerator_arn: str
    port_ranges: list[dict]
    protocol: str
    client_affinity: str
    seq: int


@dataclass
class Accelerator:
    arn: str
    name: str
    ip_address_type: str
    enabled: bool
    ipv4_addresses: list[str]
    dns_label: str
    tags: dict[str, str]
    seq: int
    created_time: float = field(default_factory=time.time)
    last_modified_time: float = 0.0
    flow_logs: dict = field(default_factory=lambda: {"FlowLogsEnabled": False})
    deployed_at: float = 0.0
    disabled_at: float = 0.0

    @property
    def status(self) -> str:
        return "IN_PROGRESS" if time.monotonic() < self.deployed_at else "DEPLOYED"

    @property
    def disabling(self) -> bool:
        """Enabled=false was asked for and has not been deployed yet."""
        return not self.enabled and time.monotonic() < self.disabled_at

    @property
    def ipv6_addresses(self) -> list[str]:
        # Derived from the IPv4 pair, so an accelerator keeps them across IPV4 <-> DUAL_STACK switches.
        base = int(ipaddress.IPv6Address("2001:db8::"))
        return [str(ipaddress.IPv6Address(base + int(ipaddress.IPv4Address(ip)))) for ip in self.ipv4_addresses]

    def changed(self) -> None:
        """Any change to the accelerator or its children starts a new deployment."""
        self.deployed_at = _deploy_deadline()
        self.last_modified_time = time.time()

    def disable(self) -> None:
        self.enabled = False
        self.disabled_at = _deploy_deadline()


class Account:
    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.accelerators: dict[str, Accelerator] = {}
        self.listeners: dict[str, Listener] = {}
        self.endpoint_groups: dict[str, EndpointGroup] = {}
        self.created_by_token: dict[tuple[str, str], str] = {}

    def accelerator(self, arn: str) -> Accelerator:
        return _find(self.accelerators, arn, is_accelerator_arn, "AcceleratorNotFoundException", "accelerator")

    def listener(self, arn: str) -> Listener:
        return _find(self.listeners, arn, is_listener_arn, "ListenerNotFoundException", "listener")

    def endpoint_group(self, arn: str) -> EndpointGroup:
        return _find(
            self.endpoint_groups, arn, is_endpoint_group_arn, "EndpointGroupNotFoundException", "endpoint group"
        )

    def listeners_of(self, accelerator: Accelerator) -> list[Listener]:
        return [item for item in self.listeners.values() if item.accelerator_arn == accelerator.arn]

    def endpoint_groups_of(self, listener: Listener) -> list[EndpointGroup]:
        return [item for item in self.endpoint_groups.values() if item.listener_arn == listener.arn]

    def owner_of(self, listener: Listener) -> Accelerator:
        return self.accelerators[listener.accelerator_arn]

    def created_earlier(self, operation: str, token: str, resources: dict):
        """The resource an earlier call with this idempotency token created, if it still exists."""
        return resources.get(self.created_by_token.get((operation, token), ""))

    def remember_token(self, operation: str, token: str, arn: str) -> None:
        self.created_by_token[(operation, token)] = arn


def _find(resources: dict, arn, well_formed, not_found: str, what: str):
    if not isinstance(arn, str) or not well_formed(arn):
        raise invalid(f"Invalid {what} ARN: {arn!r}.")
    if arn not in resources:
        raise AWSError(not_found, f"The {what} {arn} does not exist.")
    return resources[arn]


class World:
    """Everything the service holds; replaced wholesale on reset."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.addresses = addresses.Pool("accelerator")
        self._seq = itertools.count()

    def account(self, account_id: str) -> Account:
        return self.accounts.setdefault(account_id, Account(account_id))

    def next_seq(self) -> int:
        return next(self._seq)


world = World()


def reset() -> None:
    with LOCK:
        world.clear()


def accelerator_arn(account_id: str) -> str:
    return f"arn:aws:globalaccelerator::{account_id}:accelerator/{uuid.uuid4()}"


def listener_arn(accelerator: Accelerator) -> str:
    return f"{accelerator.arn}/listener/{secrets.token_hex(4)}"


def endpoint_group_arn(listener: Listener) -> str:
    return f"{listener.arn}/endpoint-group/{secrets.token_hex(6)}"


def dns_label() -> str:
    return "a" + secrets.token_hex(8)
