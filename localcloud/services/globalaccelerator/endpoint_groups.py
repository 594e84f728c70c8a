"""Endpoint groups (one per region per listener) and the endpoints in them."""

import re

from ...errors import AWSError
from . import endpoints, model, params
from .listeners import covers
from .model import Accelerator, Account, Endpoint, EndpointGroup
from .params import invalid, limit_exceeded

MAX_ENDPOINTS = 10
MAX_PORT_OVERRIDES = 10
DEFAULT_WEIGHT = 128
HEALTH_CHECK_PROTOCOLS = ("TCP", "HTTP", "HTTPS")
HEALTH_CHECK_INTERVALS = (10, 30)
_HEALTH_CHECK_PATH = re.compile(r"^/[-a-zA-Z0-9@:%_\\+.~#?&/=]*$")
_DEFAULT_SETTINGS = {
    "traffic_dial_percentage": 100.0,
    "health_check_protocol": "TCP",
    "health_check_path": "/",
    "health_check_interval_seconds": 30,
    "threshold_count": 3,
}


def create_endpoint_group(account: Account, request: dict) -> dict:
    token = params.text(request, "IdempotencyToken", required=True)
    earlier = account.created_earlier("CreateEndpointGroup", token, account.endpoint_groups)
    if earlier is not None:
        return {"EndpointGroup": describe(account, earlier)}
    listener = account.listener(request.get("ListenerArn"))
    region = params.text(request, "EndpointGroupRegion", required=True)
    if region not in endpoints.regions():
        raise invalid(f"{region!r} is not an AWS Region.")
    if any(group.region == region for group in account.endpoint_groups_of(listener)):
        raise AWSError(
            "EndpointGroupAlreadyExistsException",
            f"The listener {listener.arn} already has an endpoint group in {region}.",
        )
    accelerator = account.owner_of(listener)
    settings = {"health_check_port": listener.port_ranges[0]["FromPort"], **_DEFAULT_SETTINGS, **_settings(request)}
    configurations = params.records(request, "EndpointConfigurations") or []
    group = EndpointGroup(
        arn=model.endpoint_group_arn(listener),
        listener_arn=listener.arn,
        region=region,
        endpoints=_endpoints(account, region, configurations, []),
        port_overrides=_port_overrides(account, accelerator, request) or [],
        seq=model.world.next_seq(),
        **settings,
    )
    account.endpoint_groups[group.arn] = group
    account.remember_token("CreateEndpointGroup", token, group.arn)
    accelerator.changed()
    return {"EndpointGroup": describe(account, group)}


def update_endpoint_group(account: Account, request: dict) -> dict:
    """Fields left out stay as they are; a given EndpointConfigurations list replaces all endpoints."""
    group = account.endpoint_group(request.get("EndpointGroupArn"))
    accelerator = _owner(account, group)
    settings = _settings(request)
    port_overrides = _port_overrides(account, accelerator, request)
    configurations = params.records(request, "EndpointConfigurations")
    if configurations is not None:
        group.endpoints = _endpoints(account, group.region, configurations, group.endpoints)
    if port_overrides is not None:
        group.port_overrides = port_overrides
    for attribute, value in settings.items():
        setattr(group, attribute, value)
    accelerator.changed()
    return {"EndpointGroup": describe(account, group)}


def describe_endpoint_group(account: Account, request: dict) -> dict:
    return {"EndpointGroup": describe(account, account.endpoint_group(request.get("EndpointGroupArn")))}


def list_endpoint_groups(account: Account, request: dict) -> dict:
    listener = account.listener(request.get("ListenerArn"))
    chosen, next_token = params.page(account.endpoint_groups_of(listener), request)
    response = {"EndpointGroups": [describe(account, group) for group in chosen]}
    if next_token:
        response["NextToken"] = next_token
    return response


def delete_endpoint_group(account: Account, request: dict) -> dict:
    group = account.endpoint_group(request.get("EndpointGroupArn"))
    del account.endpoint_groups[group.arn]
    _owner(account, group).changed()
    return {}


def add_endpoints(account: Account, request: dict) -> dict:
    group = account.endpoint_group(request.get("EndpointGroupArn"))
    configurations = params.records(request, "EndpointConfigurations", required=True)
    added = _endpoints(account, group.region, configurations, [])
    for endpoint in added:
        if group.endpoint(endpoint.endpoint_id):
            raise AWSError(
                "EndpointAlreadyExistsException", f"The endpoint {endpoint.endpoint_id} is already in the group."
            )
    if len(group.endpoints) + len(added) > MAX_ENDPOINTS:
        raise limit_exceeded(f"An endpoint group can have at most {MAX_ENDPOINTS} endpoints.")
    group.endpoints.extend(added)
    _owner(account, group).changed()
    return {
        "EndpointDescriptions": [_describe_endpoint(account, group, endpoint) for endpoint in added],
        "EndpointGroupArn": group.arn,
    }


def remove_endpoints(account: Account, request: dict) -> dict:
    group = account.endpoint_group(request.get("EndpointGroupArn"))
    identifiers = params.records(request, "EndpointIdentifiers", required=True)
    if not 1 <= len(identifiers) <= MAX_ENDPOINTS:
        raise invalid(f"Give 1-{MAX_ENDPOINTS} EndpointIdentifiers.")
    removed = {params.text(identifier, "EndpointId", required=True) for identifier in identifiers}
    for endpoint_id in removed:
        if not group.endpoint(endpoint_id):
            raise AWSError("EndpointNotFoundException", f"The endpoint {endpoint_id} is not in the group.")
    group.endpoints = [endpoint for endpoint in group.endpoints if endpoint.endpoint_id not in removed]
    _owner(account, group).changed()
    return {}


def describe(account: Account, group: EndpointGroup) -> dict:
    return {
        "EndpointGroupArn": group.arn,
        "EndpointGroupRegion": group.region,
        "EndpointDescriptions": [_describe_endpoint(account, group, endpoint) for endpoint in group.endpoints],
        "TrafficDialPercentage": group.traffic_dial_percentage,
        "HealthCheckPort": group.health_check_port,
        "HealthCheckProtocol": group.health_check_protocol,
        "HealthCheckPath": group.health_check_path,
        "HealthCheckIntervalSeconds": group.health_check_interval_seconds,
        "ThresholdCount": group.threshold_count,
        "PortOverrides": [dict(override) for override in group.port_overrides],
    }


def _describe_endpoint(account: Account, group: EndpointGroup, endpoint: Endpoint) -> dict:
    return {
        "EndpointId": endpoint.endpoint_id,
        "Weight": endpoint.weight,
        "HealthState": endpoints.health_state(account.account_id, group.region, endpoint),
        "ClientIPPreservationEnabled": endpoint.client_ip_preservation,
    }


def _owner(account: Account, group: EndpointGroup) -> Accelerator:
    return account.owner_of(account.listeners[group.listener_arn])


def _settings(request: dict) -> dict:
    """The health check and traffic dial fields the request gives, validated, by attribute name."""
    given = {
        "traffic_dial_percentage": params.number(request, "TrafficDialPercentage", 0, 100),
        "health_check_port": params.integer(request, "HealthCheckPort", 1, 65535),
        "health_check_protocol": params.choice(request, "HealthCheckProtocol", HEALTH_CHECK_PROTOCOLS),
        "health_check_path": params.text(request, "HealthCheckPath"),
        "health_check_interval_seconds": params.integer(request, "HealthCheckIntervalSeconds", 10, 30),
        "threshold_count": params.integer(request, "ThresholdCount", 1, 10),
    }
    path = given["health_check_path"]
    if path is not None and not _HEALTH_CHECK_PATH.match(path):
        raise invalid(f"Invalid HealthCheckPath {path!r}: it must start with '/' and use only URL path characters.")
    if given["health_check_interval_seconds"] not in (None, *HEALTH_CHECK_INTERVALS):
        raise invalid("Invalid HealthCheckIntervalSeconds: expected values are: 10 or 30.")
    return {attribute: value for attribute, value in given.items() if value is not None}


def _endpoints(account: Account, region: str, configurations: list[dict], current: list[Endpoint]) -> list[Endpoint]:
    """Endpoints built from EndpointConfigurations; those already in ``current`` keep their age."""
    if len(configurations) > MAX_ENDPOINTS:
        raise limit_exceeded(f"An endpoint group can have at most {MAX_ENDPOINTS} endpoints.")
    built: dict[str, Endpoint] = {}
    for configuration in configurations:
        endpoint_id = params.text(configuration, "EndpointId", required=True)
        weight = params.integer(configuration, "Weight", 0, 255)
        client_ip_preservation = params.flag(configuration, "ClientIPPreservationEnabled")
        if endpoint_id in built:
            raise invalid(f"The endpoint {endpoint_id} is listed twice.")
        endpoints.check_exists(account.account_id, region, endpoint_id)
        built[endpoint_id] = Endpoint(
            endpoint_id=endpoint_id,
            weight=DEFAULT_WEIGHT if weight is None else weight,
            client_ip_preservation=(
                endpoints.default_client_ip_preservation(endpoint_id)
                if client_ip_preservation is None
                else client_ip_preservation
            ),
        )
        earlier = next((e for e in current if e.endpoint_id == endpoint_id), None)
        if earlier is not None:
            built[endpoint_id].added_at = earlier.added_at
    return list(built.values())


def _port_overrides(account: Account, accelerator: Accelerator, request: dict) -> list[dict] | None:
    given = params.records(request, "PortOverrides")
    if given is None:
        return None
    if len(given) > MAX_PORT_OVERRIDES:
        raise limit_exceeded(f"An endpoint group can have at most {MAX_PORT_OVERRIDES} port overrides.")
    overrides = [_port_override(item) for item in given]
    for key in ("ListenerPort", "EndpointPort"):
        if len({override[key] for override in overrides}) < len(overrides):
            raise invalid(f"Each port override needs a different {key}.")
    listener_ranges = [r for listener in account.listeners_of(accelerator) for r in listener.port_ranges]
    for override in overrides:
        if covers(listener_ranges, override["EndpointPort"]):
            raise invalid(f"The endpoint port {override['EndpointPort']} is a listener port of the accelerator.")
    return overrides


def _port_override(item: dict) -> dict:
    override = {key: params.integer(item, key, 1, 65535) for key in ("ListenerPort", "EndpointPort")}
    if None in override.values():
        raise invalid("A port override needs ListenerPort and EndpointPort.")
    return override
