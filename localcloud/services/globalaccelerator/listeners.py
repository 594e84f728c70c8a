"""Listeners: port ranges that must not overlap anywhere on their accelerator."""

from ...errors import AWSError
from . import model, params
from .model import Account, Listener
from .params import limit_exceeded

MAX_LISTENERS = 10
MAX_PORT_RANGES = 10
PROTOCOLS = ("TCP", "UDP")
CLIENT_AFFINITIES = ("NONE", "SOURCE_IP")


def create_listener(account: Account, request: dict) -> dict:
    token = params.text(request, "IdempotencyToken", required=True)
    earlier = account.created_earlier("CreateListener", token, account.listeners)
    if earlier is not None:
        return {"Listener": describe(earlier)}
    accelerator = account.accelerator(request.get("AcceleratorArn"))
    protocol = params.choice(request, "Protocol", PROTOCOLS, required=True)
    client_affinity = params.choice(request, "ClientAffinity", CLIENT_AFFINITIES) or "NONE"
    port_ranges = _port_ranges(request, required=True)
    siblings = account.listeners_of(accelerator)
    if len(siblings) >= MAX_LISTENERS:
        raise limit_exceeded(f"An accelerator can have at most {MAX_LISTENERS} listeners.")
    _check_unique_ports(port_ranges, siblings)
    listener = Listener(
        arn=model.listener_arn(accelerator),
        accelerator_arn=accelerator.arn,
        port_ranges=port_ranges,
        protocol=protocol,
        client_affinity=client_affinity,
        seq=model.world.next_seq(),
    )
    account.listeners[listener.arn] = listener
    account.remember_token("CreateListener", token, listener.arn)
    accelerator.changed()
    return {"Listener": describe(listener)}


def update_listener(account: Account, request: dict) -> dict:
    listener = account.listener(request.get("ListenerArn"))
    protocol = params.choice(request, "Protocol", PROTOCOLS)
    client_affinity = params.choice(request, "ClientAffinity", CLIENT_AFFINITIES)
    port_ranges = _port_ranges(request)
    accelerator = account.owner_of(listener)
    if port_ranges is not None:
        others = [other for other in account.listeners_of(accelerator) if other.arn != listener.arn]
        _check_unique_ports(port_ranges, others)
        listener.port_ranges = port_ranges
    listener.protocol = protocol or listener.protocol
    listener.client_affinity = client_affinity or listener.client_affinity
    accelerator.changed()
    return {"Listener": describe(listener)}


def describe_listener(account: Account, request: dict) -> dict:
    return {"Listener": describe(account.listener(request.get("ListenerArn")))}


def list_listeners(account: Account, request: dict) -> dict:
    accelerator = account.accelerator(request.get("AcceleratorArn"))
    chosen, next_token = params.page(account.listeners_of(accelerator), request)
    response = {"Listeners": [describe(listener) for listener in chosen]}
    if next_token:
        response["NextToken"] = next_token
    return response


def delete_listener(account: Account, request: dict) -> dict:
    listener = account.listener(request.get("ListenerArn"))
    if account.endpoint_groups_of(listener):
        raise AWSError("AssociatedEndpointGroupFoundException", f"The listener {listener.arn} has endpoint groups.")
    del account.listeners[listener.arn]
    account.owner_of(listener).changed()
    return {}


def describe(listener: Listener) -> dict:
    return {
        "ListenerArn": listener.arn,
        "PortRanges": [dict(port_range) for port_range in listener.port_ranges],
        "Protocol": listener.protocol,
        "ClientAffinity": listener.client_affinity,
    }


def covers(port_ranges: list[dict], port: int) -> bool:
    return any(r["FromPort"] <= port <= r["ToPort"] for r in port_ranges)


def _port_ranges(request: dict, *, required: bool = False) -> list[dict] | None:
    given = params.records(request, "PortRanges", required=required)
    if given is None:
        return None
    if not given:
        raise AWSError("InvalidPortRangeException", "A listener needs at least one port range.")
    if len(given) > MAX_PORT_RANGES:
        raise limit_exceeded(f"A listener can have at most {MAX_PORT_RANGES} port ranges.")
    port_ranges = [_port_range(item) for item in given]
    for i, port_range in enumerate(port_ranges):
        _check_disjoint([port_range], port_ranges[i + 1 :])
    return port_ranges


def _port_range(item: dict) -> dict:
    bounds = {
        key: params.integer(item, key, 1, 65535, error="InvalidPortRangeException") for key in ("FromPort", "ToPort")
    }
    if None in bounds.values() or bounds["FromPort"] > bounds["ToPort"]:
        raise AWSError("InvalidPortRangeException", f"Invalid port range {item}: give FromPort <= ToPort.")
    return bounds


def _check_unique_ports(port_ranges: list[dict], others: list[Listener]) -> None:
    for other in others:
        _check_disjoint(port_ranges, other.port_ranges)


def _check_disjoint(ranges: list[dict], others: list[dict]) -> None:
    for one in ranges:
        for other in others:
            if one["FromPort"] <= other["ToPort"] and other["FromPort"] <= one["ToPort"]:
                raise AWSError(
                    "InvalidPortRangeException",
                    f"The port range {one['FromPort']}-{one['ToPort']} overlaps {other['FromPort']}-{other['ToPort']}: "
                    "ports must be unique for the accelerator.",
                )
