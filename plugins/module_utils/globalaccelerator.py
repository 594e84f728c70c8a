# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Global Accelerator helpers shared by the accelerator* modules.

Three layers:

* thin boto3 wrappers: each one call, retried with backoff on throttling and
  ``TransactionInProgressException``, with botocore errors turned into
  :class:`AnsibleGlobalAcceleratorError`;
* pure functions (validation, comparison, planning, normalisation) that take and return plain
  data, so they can be unit tested without AWS;
* :func:`wait_for_deployed`, which polls the accelerator until ``Status == DEPLOYED``.
"""

import datetime
import hashlib
import ipaddress
import json
import re
from copy import deepcopy

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

from ansible_collections.activeactive.aws.plugins.module_utils.waiting import WaitTimeout, wait_for

# The Global Accelerator control plane is served from us-west-2 only.
GA_REGION = "us-west-2"
# Route 53 alias hosted zone of every accelerator DNS name.
HOSTED_ZONE_ID = "Z2BJ6XQ5FK7U4H"

RETRY_ERROR_CODES = ["TransactionInProgressException", "ThrottlingException"]
TEARDOWN_RETRY_ERROR_CODES = RETRY_ERROR_CODES + [
    "AssociatedListenerFoundException",
    "AssociatedEndpointGroupFoundException",
    "AcceleratorNotDisabledException",
]
MISSING_ERROR_CODES = [
    "AcceleratorNotFoundException",
    "ListenerNotFoundException",
    "EndpointGroupNotFoundException",
]

# Server-side bounds, checked before any call.
NAME_MAX_LENGTH = 64
NAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
HEALTH_CHECK_PATH_PATTERN = re.compile(r"^/[-a-zA-Z0-9@:%_\\+.~#?&/=]*$")
HEALTH_CHECK_PATH_MAX_LENGTH = 255
HEALTH_CHECK_INTERVALS = (10, 30)
HEALTH_CHECK_PROTOCOLS = ("TCP", "HTTP", "HTTPS")
PORT_MIN, PORT_MAX = 1, 65535
WEIGHT_MIN, WEIGHT_MAX = 0, 255
DEFAULT_WEIGHT = 128
DIAL_MIN, DIAL_MAX = 0, 100
THRESHOLD_MIN, THRESHOLD_MAX = 1, 10
MAX_PORT_RANGES = 10
MAX_ENDPOINTS = 10
MAX_PORT_OVERRIDES = 10
MAX_IP_ADDRESSES = 2
ENDPOINT_ID_MAX_LENGTH = 255
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256

EC2_ENDPOINT_ID_PATTERN = re.compile(r"^(i-[0-9a-f]{8}(?:[0-9a-f]{9})?|eipalloc-[0-9a-f]+)$")
LISTENER_ARN_PATTERN = re.compile(r"^arn:[^:]+:globalaccelerator::[^:]*:accelerator/[^/]+/listener/[^/]+$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")


class AnsibleGlobalAcceleratorError(AnsibleAWSError):
    pass


class GlobalAcceleratorErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleGlobalAcceleratorError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(MISSING_ERROR_CODES)


class LoadBalancerLookupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleGlobalAcceleratorError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("LoadBalancerNotFound")


_retry = AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_ERROR_CODES)
# Teardown retries the "still has children / still enabled" errors too: they are transient right after
# the child deletion or the disable (the service settles asynchronously).
_teardown_retry = AWSRetry.jittered_backoff(retries=12, catch_extra_error_codes=TEARDOWN_RETRY_ERROR_CODES)


def ga_client(module):
    """A Global Accelerator client for us-west-2, the only region serving the control plane.

    With ``endpoint_url`` set the requests go there, still signed for us-west-2.
    """
    return module.client(
        "globalaccelerator",
        region=GA_REGION,
        retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_ERROR_CODES),
    )


# ---------------------------------------------------------------------------------------------
# boto3 wrappers
# ---------------------------------------------------------------------------------------------


def _resource_calls(noun, parent_arn_key=None):
    """The list, describe, create, update and delete calls of one kind of resource (``noun``: ``"endpoint group"``).

    They are the same for accelerators, listeners and endpoint groups but for the names:

    * ``list_<noun>s(client, parent_arn)`` (no parent for accelerators): all pages; [] when the parent is gone;
    * ``describe_<noun>(client, arn)``: None when the resource does not exist;
    * ``create_<noun>(client, **request)`` and ``update_<noun>(client, arn, **changes)``: the resource;
    * ``delete_<noun>(client, arn)``: True, or False when it was already gone; retried on the transient
      teardown errors too.
    """
    snake = noun.replace(" ", "_")  # endpoint_group: the boto3 operations
    field = noun.title().replace(" ", "")  # EndpointGroup: the response field
    arn_key = field + "Arn"  # EndpointGroupArn: the request parameter

    @GlobalAcceleratorErrorHandler.list_error_handler(f"list {noun}s", [])
    @_retry
    def list_resources(client, parent_arn=None):
        request = {parent_arn_key: parent_arn} if parent_arn_key else {}
        paginator = client.get_paginator(f"list_{snake}s")
        return paginator.paginate(**request).build_full_result().get(field + "s", [])

    @GlobalAcceleratorErrorHandler.list_error_handler(f"describe {noun}")
    @_retry
    def describe(client, arn):
        return getattr(client, f"describe_{snake}")(**{arn_key: arn})[field]

    @GlobalAcceleratorErrorHandler.common_error_handler(f"create {noun}")
    @_retry
    def create(client, **request):
        return getattr(client, f"create_{snake}")(**request)[field]

    @GlobalAcceleratorErrorHandler.common_error_handler(f"update {noun}")
    @_retry
    def update(client, arn, **changes):
        return getattr(client, f"update_{snake}")(**{arn_key: arn}, **changes)[field]

    @GlobalAcceleratorErrorHandler.deletion_error_handler(f"delete {noun}")
    @_teardown_retry
    def delete(client, arn):
        getattr(client, f"delete_{snake}")(**{arn_key: arn})
        return True

    calls = {
        f"list_{snake}s": list_resources,
        f"describe_{snake}": describe,
        f"create_{snake}": create,
        f"update_{snake}": update,
        f"delete_{snake}": delete,
    }
    for name, call in calls.items():
        call.__name__ = call.__qualname__ = name
    return tuple(calls.values())


list_accelerators, describe_accelerator, create_accelerator, update_accelerator, delete_accelerator = _resource_calls(
    "accelerator"
)
list_listeners, describe_listener, create_listener, update_listener, delete_listener = _resource_calls(
    "listener", parent_arn_key="AcceleratorArn"
)
list_endpoint_groups, describe_endpoint_group, create_endpoint_group, update_endpoint_group, delete_endpoint_group = (
    _resource_calls("endpoint group", parent_arn_key="ListenerArn")
)


@GlobalAcceleratorErrorHandler.list_error_handler("describe accelerator attributes")
@_retry
def describe_accelerator_attributes(client, accelerator_arn):
    return client.describe_accelerator_attributes(AcceleratorArn=accelerator_arn)["AcceleratorAttributes"]


@GlobalAcceleratorErrorHandler.list_error_handler("list accelerator tags", {})
@_retry
def list_accelerator_tags(client, accelerator_arn):
    tags = client.list_tags_for_resource(ResourceArn=accelerator_arn).get("Tags", [])
    return boto3_tag_list_to_ansible_dict(tags)


@GlobalAcceleratorErrorHandler.common_error_handler("update accelerator attributes")
@_retry
def update_accelerator_attributes(client, accelerator_arn, **attributes):
    return client.update_accelerator_attributes(AcceleratorArn=accelerator_arn, **attributes)["AcceleratorAttributes"]


@GlobalAcceleratorErrorHandler.common_error_handler("tag accelerator")
@_retry
def tag_accelerator(client, accelerator_arn, tags):
    if tags:
        client.tag_resource(ResourceArn=accelerator_arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@GlobalAcceleratorErrorHandler.common_error_handler("untag accelerator")
@_retry
def untag_accelerator(client, accelerator_arn, tag_keys):
    if tag_keys:
        client.untag_resource(ResourceArn=accelerator_arn, TagKeys=list(tag_keys))


@GlobalAcceleratorErrorHandler.common_error_handler("add endpoints")
@_retry
def add_endpoints(client, endpoint_group_arn, endpoint_configurations):
    return client.add_endpoints(EndpointGroupArn=endpoint_group_arn, EndpointConfigurations=endpoint_configurations)


@GlobalAcceleratorErrorHandler.common_error_handler("remove endpoints")
@_retry
def remove_endpoints(client, endpoint_group_arn, endpoint_ids):
    client.remove_endpoints(
        EndpointGroupArn=endpoint_group_arn,
        EndpointIdentifiers=[{"EndpointId": endpoint_id} for endpoint_id in endpoint_ids],
    )


@LoadBalancerLookupErrorHandler.list_error_handler("describe load balancer")
@AWSRetry.jittered_backoff()
def describe_load_balancer_arn(elbv2_client, name):
    """The ARN of the load balancer called ``name``, or None when there is none."""
    balancers = elbv2_client.describe_load_balancers(Names=[name]).get("LoadBalancers", [])
    return balancers[0]["LoadBalancerArn"] if balancers else None


# ---------------------------------------------------------------------------------------------
# Waiting
# ---------------------------------------------------------------------------------------------


def wait_for_deployed(client, accelerator_arn, timeout):
    """Poll the accelerator until it is DEPLOYED (or gone); returns the last description (None if gone)."""

    def fetch():
        return describe_accelerator(client, accelerator_arn)

    def is_done(accelerator):
        return accelerator is None or accelerator.get("Status") == "DEPLOYED"

    try:
        return wait_for(fetch, is_done, timeout, f"accelerator {accelerator_arn} to be DEPLOYED", first_delay=0.2)
    except WaitTimeout as e:
        status = (e.last or {}).get("Status")
        raise AnsibleGlobalAcceleratorError(message=f"{e} (last status: {status}); raise wait_timeout") from None


# ---------------------------------------------------------------------------------------------
# Identity, ARNs and tokens
# ---------------------------------------------------------------------------------------------


def is_arn(value):
    return isinstance(value, str) and value.startswith("arn:")


def _arn_resource_prefix(arn, parts):
    head, sep, resource = arn.partition(":accelerator/")
    if not sep:
        raise ValueError(f"{arn} is not a Global Accelerator ARN")
    segments = ("accelerator/" + resource).split("/")
    return head + ":" + "/".join(segments[:parts])


def accelerator_arn_of(arn):
    """The accelerator ARN that owns a listener or endpoint group ARN (the first two resource segments)."""
    return _arn_resource_prefix(arn, 2)


def listener_arn_of(endpoint_group_arn):
    """The listener ARN that owns an endpoint group ARN (the first four resource segments)."""
    return _arn_resource_prefix(endpoint_group_arn, 4)


def idempotency_token(kind, *parts):
    """A deterministic IdempotencyToken for a create request: the same request always yields the same token.

    A create retried after a lost response therefore returns the resource the first attempt made,
    instead of making a second one.
    """
    payload = json.dumps([kind] + list(parts), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def create_idempotently(create, describe, arn_key, kind, request, settle_timeout=10):
    """Call ``create(IdempotencyToken=..., **request)`` with a token derived from ``request``.

    AWS remembers tokens: a later create with the same request (after the first resource was deleted)
    may answer with the deleted resource. When the resource returned cannot be described, the create is
    repeated with a token that also covers the stale ARN, so the result is a live resource and the token
    stays deterministic.
    """
    stale = []
    for _attempt in range(3):
        resource = create(IdempotencyToken=idempotency_token(kind, request, *stale), **request)
        arn = resource[arn_key]
        try:
            found = wait_for(lambda arn=arn: describe(arn), lambda r: r is not None, settle_timeout, f"{arn} to exist")
        except WaitTimeout:
            found = None
        if found is not None:
            return resource
        stale.append(arn)
    raise AnsibleGlobalAcceleratorError(
        message=f"Creating the {kind} kept returning resources that no longer exist: {', '.join(stale)}"
    )


def find_accelerators_by_name(accelerators, name):
    return [a for a in accelerators if a.get("Name") == name]


def ambiguous_name_message(kind, name, matches):
    arns = ", ".join(sorted(m.get("AcceleratorArn", "?") for m in matches))
    return f"Found {len(matches)} {kind}s named {name}; names must be unique to manage them by name: {arns}"


def resolve_accelerator(client, reference):
    """The accelerator named or ARN'd by ``reference``: None when none, an error when the name is ambiguous."""
    if is_arn(reference):
        return describe_accelerator(client, reference)
    matches = find_accelerators_by_name(list_accelerators(client), reference)
    if len(matches) > 1:
        raise AnsibleGlobalAcceleratorError(message=ambiguous_name_message("accelerator", reference, matches))
    return matches[0] if matches else None


# ---------------------------------------------------------------------------------------------
# Validation (before any AWS call)
# ---------------------------------------------------------------------------------------------


def _check_int_range(errors, option, value, low, high):
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        errors.append(f"{option} must be between {low} and {high}, got {value!r}")


def validate_name(option, name, errors):
    if name is None:
        return
    if not 1 <= len(name) <= NAME_MAX_LENGTH or not NAME_PATTERN.match(name):
        errors.append(
            f"{option} must be 1 to {NAME_MAX_LENGTH} characters of letters, digits, '.' and '-', "
            f"starting and ending with a letter or digit, got {name!r}"
        )


def validate_tags(tags, errors):
    for key, value in (tags or {}).items():
        key = str(key)
        if not 1 <= len(key) <= TAG_KEY_MAX_LENGTH:
            errors.append(f"tags keys must be 1 to {TAG_KEY_MAX_LENGTH} characters, got {key!r}")
        if key.lower().startswith("aws:"):
            errors.append(f"tags keys must not start with 'aws:' (reserved by AWS), got {key!r}")
        if value is not None and len(str(value)) > TAG_VALUE_MAX_LENGTH:
            errors.append(f"tags[{key!r}] must be at most {TAG_VALUE_MAX_LENGTH} characters")


def validate_accelerator_params(params):
    """Check an accelerator task's parameters; returns a list of error messages (empty when fine)."""
    errors = []
    validate_name("name", params.get("name"), errors)
    ip_addresses = params.get("ip_addresses")
    if ip_addresses is not None:
        if len(ip_addresses) > MAX_IP_ADDRESSES:
            errors.append(f"ip_addresses takes at most {MAX_IP_ADDRESSES} addresses, got {len(ip_addresses)}")
        for address in ip_addresses:
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                errors.append(f"ip_addresses must hold IPv4 addresses, got {address!r}")
    flow_logs = params.get("flow_logs")
    if flow_logs and flow_logs.get("enabled"):
        for option in ("s3_bucket", "s3_prefix"):
            if not flow_logs.get(option):
                errors.append(f"flow_logs.{option} is required when flow_logs.enabled is true")
    validate_tags(params.get("tags"), errors)
    _check_int_range(errors, "wait_timeout", params.get("wait_timeout"), 0, 86400)
    return errors


def validate_port_ranges(option, port_ranges, errors):
    if port_ranges is None:
        return
    if not 1 <= len(port_ranges) <= MAX_PORT_RANGES:
        errors.append(f"{option} must hold 1 to {MAX_PORT_RANGES} port ranges, got {len(port_ranges)}")
    spans = []
    for index, port_range in enumerate(port_ranges):
        from_port = port_range.get("from_port")
        to_port = port_range.get("to_port")
        if to_port is None:
            to_port = from_port
        before = len(errors)
        _check_int_range(errors, f"{option}[{index}].from_port", from_port, PORT_MIN, PORT_MAX)
        _check_int_range(errors, f"{option}[{index}].to_port", to_port, PORT_MIN, PORT_MAX)
        if len(errors) > before:
            continue
        if from_port > to_port:
            errors.append(f"{option}[{index}].from_port ({from_port}) must not be above to_port ({to_port})")
            continue
        spans.append((from_port, to_port))
    spans.sort()
    for (low_a, high_a), (low_b, high_b) in zip(spans, spans[1:], strict=False):
        if low_b <= high_a:
            errors.append(f"{option} must not overlap: {low_a}-{high_a} and {low_b}-{high_b} do")


def validate_listener_reference(params, errors):
    """Check the options that name a listener or its accelerator: ``accelerator`` and ``listener_arn``."""
    accelerator = params.get("accelerator")
    if accelerator is not None and not is_arn(accelerator):
        validate_name("accelerator", accelerator, errors)
    listener_arn = params.get("listener_arn")
    if listener_arn is not None and not LISTENER_ARN_PATTERN.match(listener_arn):
        errors.append(f"listener_arn must be a Global Accelerator listener ARN, got {listener_arn!r}")


def validate_listener_params(params):
    errors = []
    validate_listener_reference(params, errors)
    if not params.get("listener_arn"):
        for option in ("accelerator", "protocol", "port_ranges"):
            if not params.get(option):
                errors.append(f"{option} is required when listener_arn is not set")
    validate_port_ranges("port_ranges", params.get("port_ranges"), errors)
    _check_int_range(errors, "wait_timeout", params.get("wait_timeout"), 0, 86400)
    return errors


def validate_endpoint_group_params(params):
    errors = []
    validate_listener_reference(params, errors)
    if not params.get("listener_arn") and (params.get("accelerator") is None or params.get("listener_port") is None):
        errors.append("either listener_arn, or accelerator and listener_port, are required")
    _check_int_range(errors, "listener_port", params.get("listener_port"), PORT_MIN, PORT_MAX)
    region = params.get("endpoint_group_region")
    if region is not None and not REGION_PATTERN.match(region):
        errors.append(f"endpoint_group_region must be an AWS region name such as eu-west-1, got {region!r}")

    endpoints = params.get("endpoints")
    if endpoints is not None:
        if len(endpoints) > MAX_ENDPOINTS:
            errors.append(f"endpoints takes at most {MAX_ENDPOINTS} endpoints, got {len(endpoints)}")
        seen = set()
        for index, endpoint in enumerate(endpoints):
            endpoint_id = endpoint.get("endpoint_id") or ""
            if not 1 <= len(endpoint_id) <= ENDPOINT_ID_MAX_LENGTH:
                errors.append(f"endpoints[{index}].endpoint_id must be 1 to {ENDPOINT_ID_MAX_LENGTH} characters")
            elif endpoint_id in seen:
                errors.append(f"endpoints[{index}].endpoint_id {endpoint_id} is listed more than once")
            seen.add(endpoint_id)
            _check_int_range(errors, f"endpoints[{index}].weight", endpoint.get("weight"), WEIGHT_MIN, WEIGHT_MAX)

    _check_int_range(errors, "traffic_dial_percentage", params.get("traffic_dial_percentage"), DIAL_MIN, DIAL_MAX)
    _check_int_range(errors, "health_check_port", params.get("health_check_port"), PORT_MIN, PORT_MAX)
    protocol = params.get("health_check_protocol")
    if protocol is not None and protocol not in HEALTH_CHECK_PROTOCOLS:
        errors.append(f"health_check_protocol must be one of {', '.join(HEALTH_CHECK_PROTOCOLS)}, got {protocol!r}")
    path = params.get("health_check_path")
    if path is not None and (len(path) > HEALTH_CHECK_PATH_MAX_LENGTH or not HEALTH_CHECK_PATH_PATTERN.match(path)):
        errors.append(
            f"health_check_path must start with '/', be at most {HEALTH_CHECK_PATH_MAX_LENGTH} characters and "
            f"match {HEALTH_CHECK_PATH_PATTERN.pattern}, got {path!r}"
        )
    interval = params.get("health_check_interval_seconds")
    if interval is not None and interval not in HEALTH_CHECK_INTERVALS:
        errors.append(f"health_check_interval_seconds must be one of 10, 30, got {interval!r}")
    _check_int_range(errors, "threshold_count", params.get("threshold_count"), THRESHOLD_MIN, THRESHOLD_MAX)

    overrides = params.get("port_overrides")
    if overrides is not None:
        if len(overrides) > MAX_PORT_OVERRIDES:
            errors.append(f"port_overrides takes at most {MAX_PORT_OVERRIDES} overrides, got {len(overrides)}")
        listener_ports = set()
        for index, override in enumerate(overrides):
            for key in ("listener_port", "endpoint_port"):
                _check_int_range(errors, f"port_overrides[{index}].{key}", override.get(key), PORT_MIN, PORT_MAX)
            if override.get("listener_port") in listener_ports:
                errors.append(f"port_overrides[{index}].listener_port {override.get('listener_port')} is repeated")
            listener_ports.add(override.get("listener_port"))
    _check_int_range(errors, "wait_timeout", params.get("wait_timeout"), 0, 86400)
    return errors


def validation_failure_message(errors):
    return "Invalid parameters: " + "; ".join(errors)


# ---------------------------------------------------------------------------------------------
# Accelerator comparison
# ---------------------------------------------------------------------------------------------


def accelerator_ipv4_addresses(accelerator):
    addresses = set()
    for ip_set in accelerator.get("IpSets") or []:
        family = ip_set.get("IpAddressFamily") or ip_set.get("IpFamily")
        if family in (None, "IPv4", "IPV4"):
            addresses.update(ip_set.get("IpAddresses") or [])
    return addresses


def ip_addresses_change_error(accelerator, requested):
    """An error message when ``requested`` BYOIP addresses differ from the accelerator's; else None."""
    if requested is None:
        return None
    current = accelerator_ipv4_addresses(accelerator)
    if set(requested) <= current:
        return None
    return (
        "ip_addresses can only be set when an accelerator is created; accelerator "
        f"{accelerator.get('AcceleratorArn')} has {', '.join(sorted(current)) or 'no addresses'} "
        f"and cannot be changed to {', '.join(requested)}. Delete and recreate the accelerator to change them."
    )


def plan_accelerator_update(accelerator, enabled=None, ip_address_type=None):
    """The UpdateAccelerator arguments (besides the ARN) needed to reach the desired settings; {} when none."""
    changes = {}
    if enabled is not None and bool(accelerator.get("Enabled")) != enabled:
        changes["Enabled"] = enabled
    if ip_address_type is not None and accelerator.get("IpAddressType") != ip_address_type:
        changes["IpAddressType"] = ip_address_type
    return changes


def plan_flow_logs(attributes, flow_logs):
    """The UpdateAcceleratorAttributes calls (in order) that take ``attributes`` to ``flow_logs``.

    Changing the bucket or prefix while flow logs stay enabled takes two calls, as AWS requires:
    disable, then enable with the new location (the caller waits for DEPLOYED between them).
    """
    if flow_logs is None:
        return []
    attributes = attributes or {}
    currently_enabled = bool(attributes.get("FlowLogsEnabled"))
    if not flow_logs.get("enabled"):
        return [{"FlowLogsEnabled": False}] if currently_enabled else []
    enable = {
        "FlowLogsEnabled": True,
        "FlowLogsS3Bucket": flow_logs.get("s3_bucket"),
        "FlowLogsS3Prefix": flow_logs.get("s3_prefix"),
    }
    if not currently_enabled:
        return [enable]
    if (attributes.get("FlowLogsS3Bucket"), attributes.get("FlowLogsS3Prefix")) == (
        enable["FlowLogsS3Bucket"],
        enable["FlowLogsS3Prefix"],
    ):
        return []
    return [{"FlowLogsEnabled": False}, enable]


def predict_attributes(attributes, calls):
    predicted = dict(attributes or {})
    for call in calls:
        predicted.update(call)
    return predicted


def predict_new_accelerator(name, enabled, ip_address_type, ip_addresses, status):
    ip_sets = []
    if ip_addresses:
        ip_sets = [{"IpFamily": "IPv4", "IpAddressFamily": "IPv4", "IpAddresses": list(ip_addresses)}]
    return {
        "AcceleratorArn": None,
        "Name": name,
        "Enabled": True if enabled is None else enabled,
        "IpAddressType": ip_address_type or "IPV4",
        "IpSets": ip_sets,
        "DnsName": None,
        "Status": status,
    }


# ---------------------------------------------------------------------------------------------
# Listener comparison
# ---------------------------------------------------------------------------------------------


def port_range_set(port_ranges):
    """The port ranges of a task (from_port/to_port dicts, to_port defaulting to from_port) as a set."""
    result = set()
    for port_range in port_ranges or []:
        from_port = int(port_range["from_port"])
        to_port = port_range.get("to_port")
        result.add((from_port, from_port if to_port is None else int(to_port)))
    return frozenset(result)


def listener_port_range_set(listener):
    """The port ranges of an API listener (FromPort/ToPort dicts) as a set."""
    return frozenset((int(r["FromPort"]), int(r["ToPort"])) for r in listener.get("PortRanges") or [])


def to_api_port_ranges(port_ranges):
    return [{"FromPort": low, "ToPort": high} for low, high in sorted(port_range_set(port_ranges))]


def find_listener(listeners, protocol, port_ranges):
    """The listener with exactly this protocol and set of port ranges, or None."""
    wanted = port_range_set(port_ranges)
    for listener in listeners:
        if listener.get("Protocol") == protocol and listener_port_range_set(listener) == wanted:
            return listener
    return None


def listener_has_port(listener, port):
    return any(low <= port <= high for low, high in listener_port_range_set(listener))


def plan_listener_update(listener, protocol=None, port_ranges=None, client_affinity=None):
    """The UpdateListener arguments (besides the ARN) needed; {} when the listener already matches."""
    changes = {}
    if protocol is not None and listener.get("Protocol") != protocol:
        changes["Protocol"] = protocol
    if port_ranges is not None and listener_port_range_set(listener) != port_range_set(port_ranges):
        changes["PortRanges"] = to_api_port_ranges(port_ranges)
    if client_affinity is not None and (listener.get("ClientAffinity") or "NONE") != client_affinity:
        changes["ClientAffinity"] = client_affinity
    return changes


def predict_listener(listener, changes):
    predicted = deepcopy(listener)
    predicted.update(changes)
    return predicted


# ---------------------------------------------------------------------------------------------
# Endpoint group comparison
# ---------------------------------------------------------------------------------------------


def needs_load_balancer_lookup(endpoint_id):
    """True when ``endpoint_id`` is neither an ARN nor an EC2 instance / Elastic IP allocation ID,
    i.e. the name of a load balancer to resolve to its ARN."""
    return not is_arn(endpoint_id) and not EC2_ENDPOINT_ID_PATTERN.match(endpoint_id)


def desired_endpoints(endpoints):
    """Task endpoints (already resolved to IDs) as {endpoint_id: {"weight", "client_ip_preservation"}}."""
    result = {}
    for endpoint in endpoints or []:
        weight = endpoint.get("weight")
        result[endpoint["endpoint_id"]] = {
            "weight": DEFAULT_WEIGHT if weight is None else weight,
            "client_ip_preservation": endpoint.get("client_ip_preservation"),
        }
    return result


def _endpoint_configuration(endpoint_id, weight, client_ip_preservation):
    config = {"EndpointId": endpoint_id, "Weight": weight}
    if client_ip_preservation is not None:
        config["ClientIPPreservationEnabled"] = client_ip_preservation
    return config


def plan_endpoints(descriptions, endpoints, purge_endpoints=True):
    """How to take an endpoint group's ``descriptions`` (EndpointDescriptions) to the task's ``endpoints``.

    Returns ``{"add": [EndpointConfiguration], "remove": [EndpointId], "update": [EndpointConfiguration] | None}``.
    Membership-only changes go through AddEndpoints/RemoveEndpoints. When the weight or client IP
    preservation of an endpoint that stays must change, ``update`` holds the complete new list for a single
    UpdateEndpointGroup (which replaces the whole list, so it also covers additions and removals) and
    ``add``/``remove`` are empty. ``endpoints`` None means "leave the endpoints alone".
    """
    plan = {"add": [], "remove": [], "update": None}
    if endpoints is None:
        return plan
    current = {d["EndpointId"]: d for d in descriptions or []}
    wanted = desired_endpoints(endpoints)

    to_add = [eid for eid in wanted if eid not in current]
    to_remove = [eid for eid in current if eid not in wanted] if purge_endpoints else []
    modified = []
    for eid, spec in wanted.items():
        if eid not in current:
            continue
        have = current[eid]
        if (
            have.get("Weight") != spec["weight"]
            or spec["client_ip_preservation"] is not None
            and bool(have.get("ClientIPPreservationEnabled")) != bool(spec["client_ip_preservation"])
        ):
            modified.append(eid)

    if modified:
        full = []
        for eid, have in current.items():
            if eid in wanted:
                spec = wanted[eid]
                cip = spec["client_ip_preservation"]
                if cip is None:
                    cip = have.get("ClientIPPreservationEnabled")
                full.append(_endpoint_configuration(eid, spec["weight"], cip))
            elif not purge_endpoints:
                full.append(_endpoint_configuration(eid, have.get("Weight"), have.get("ClientIPPreservationEnabled")))
        for eid in to_add:
            spec = wanted[eid]
            full.append(_endpoint_configuration(eid, spec["weight"], spec["client_ip_preservation"]))
        plan["update"] = full
        return plan

    plan["add"] = [
        _endpoint_configuration(eid, wanted[eid]["weight"], wanted[eid]["client_ip_preservation"]) for eid in to_add
    ]
    plan["remove"] = to_remove
    return plan


def endpoint_plan_changes(plan):
    return bool(plan["add"] or plan["remove"] or plan["update"] is not None)


def endpoint_configurations(endpoints):
    """The EndpointConfigurations of a create request."""
    return [
        _endpoint_configuration(eid, spec["weight"], spec["client_ip_preservation"])
        for eid, spec in desired_endpoints(endpoints).items()
    ]


def port_override_set(port_overrides):
    return frozenset((int(o["listener_port"]), int(o["endpoint_port"])) for o in port_overrides or [])


def api_port_override_set(port_overrides):
    return frozenset((int(o["ListenerPort"]), int(o["EndpointPort"])) for o in port_overrides or [])


def to_api_port_overrides(port_overrides):
    return [{"ListenerPort": lp, "EndpointPort": ep} for lp, ep in sorted(port_override_set(port_overrides))]


# (task option, API field) pairs of endpoint group settings compared only when the task sets them.
ENDPOINT_GROUP_FIELDS = (
    ("traffic_dial_percentage", "TrafficDialPercentage"),
    ("health_check_port", "HealthCheckPort"),
    ("health_check_protocol", "HealthCheckProtocol"),
    ("health_check_path", "HealthCheckPath"),
    ("health_check_interval_seconds", "HealthCheckIntervalSeconds"),
    ("threshold_count", "ThresholdCount"),
)


def endpoint_group_settings(params):
    """The CreateEndpointGroup/UpdateEndpointGroup settings the task sets (unset options are left out)."""
    settings = {}
    for option, field in ENDPOINT_GROUP_FIELDS:
        value = params.get(option)
        if value is not None:
            settings[field] = float(value) if field == "TrafficDialPercentage" else value
    if params.get("port_overrides") is not None:
        settings["PortOverrides"] = to_api_port_overrides(params["port_overrides"])
    return settings


def plan_endpoint_group_update(group, params):
    """The UpdateEndpointGroup arguments (besides ARN and endpoints) needed; only set options are compared."""
    changes = {}
    for field, value in endpoint_group_settings(params).items():
        if field == "PortOverrides":
            if api_port_override_set(group.get("PortOverrides")) != port_override_set(params["port_overrides"]):
                changes[field] = value
        elif field == "TrafficDialPercentage":
            current = group.get(field)
            if current is None or float(current) != value:
                changes[field] = value
        elif group.get(field) != value:
            changes[field] = value
    return changes


def predict_endpoint_group(group, changes, plan):
    """The endpoint group as it will be after ``changes`` and the endpoint ``plan`` (for check mode)."""
    predicted = deepcopy(group)
    predicted.update(changes)
    descriptions = [dict(d) for d in predicted.get("EndpointDescriptions") or []]
    if plan["update"] is not None:
        old = {d["EndpointId"]: d for d in descriptions}
        descriptions = []
        for config in plan["update"]:
            description = dict(old.get(config["EndpointId"], {"HealthState": "INITIAL"}))
            description.update(config)
            descriptions.append(description)
    else:
        removed = set(plan["remove"])
        descriptions = [d for d in descriptions if d["EndpointId"] not in removed]
        for config in plan["add"]:
            description = {"HealthState": "INITIAL"}
            description.update(config)
            descriptions.append(description)
    predicted["EndpointDescriptions"] = descriptions
    return predicted


# ---------------------------------------------------------------------------------------------
# Normalisation of results
# ---------------------------------------------------------------------------------------------


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def normalize_accelerator(accelerator, tags=None, attributes=None):
    """An API accelerator as the modules return it: snake_case, tags as a dict, the hosted zone ID added."""
    if not accelerator:
        return {}
    result = camel_dict_to_snake_dict(_jsonable(accelerator))
    result.setdefault("dual_stack_dns_name", None)
    result["hosted_zone_id"] = HOSTED_ZONE_ID
    result["tags"] = dict(tags or {})
    if attributes is not None:
        result["attributes"] = camel_dict_to_snake_dict(_jsonable(attributes))
    return result


def normalize_listener(listener):
    if not listener:
        return {}
    result = camel_dict_to_snake_dict(_jsonable(listener))
    result["port_ranges"] = sorted(result.get("port_ranges") or [], key=lambda r: (r["from_port"], r["to_port"]))
    if listener.get("ListenerArn"):
        result["accelerator_arn"] = accelerator_arn_of(listener["ListenerArn"])
    return result


def normalize_endpoint_group(group):
    if not group:
        return {}
    result = camel_dict_to_snake_dict(_jsonable(group))
    if group.get("EndpointGroupArn"):
        result["listener_arn"] = listener_arn_of(group["EndpointGroupArn"])
        result["accelerator_arn"] = accelerator_arn_of(group["EndpointGroupArn"])
    return result
