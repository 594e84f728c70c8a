"""Endpoints as Global Accelerator sees them: resources in moto's ELBv2 and EC2, and their health."""

import functools

import botocore.session
from moto.ec2.models import ec2_backends
from moto.elbv2.models import elbv2_backends

from ...dataplane import load_balancers
from .model import Endpoint
from .params import invalid

_LOAD_BALANCER = "arn:aws:elasticloadbalancing:"
_APPLICATION_LOAD_BALANCER = ":loadbalancer/app/"


@functools.lru_cache(maxsize=1)
def regions() -> frozenset[str]:
    return frozenset(botocore.session.get_session().get_available_regions("ec2"))


def default_client_ip_preservation(endpoint_id: str) -> bool:
    return _APPLICATION_LOAD_BALANCER in endpoint_id or endpoint_id.startswith("i-")


def check_exists(account_id: str, region: str, endpoint_id: str) -> None:
    """AWS only takes an endpoint that exists in the endpoint group's region."""
    if endpoint_id.startswith(_LOAD_BALANCER):
        found = endpoint_id in elbv2_backends[account_id][region].load_balancers
    elif endpoint_id.startswith("i-"):
        found = ec2_backends[account_id][region].get_instance_by_id(endpoint_id) is not None
    elif endpoint_id.startswith("eipalloc-"):
        found = any(a.allocation_id == endpoint_id for a in list(ec2_backends[account_id][region].addresses))
    else:
        raise invalid(f"{endpoint_id!r} is not a load balancer ARN, an EC2 instance ID or an Elastic IP allocation ID.")
    if not found:
        raise invalid(f"The endpoint {endpoint_id} does not exist in {region}.")


def health_state(account_id: str, region: str, endpoint: Endpoint) -> str:
    if endpoint.initializing:
        return "INITIAL"
    if endpoint.endpoint_id.startswith(_LOAD_BALANCER):
        return _load_balancer_health(account_id, region, endpoint.endpoint_id)
    return "HEALTHY"


def _load_balancer_health(account_id: str, region: str, arn: str) -> str:
    """ELB's rule for GA: healthy when each target group behind the load balancer has a healthy target.

    A target whose group has health checks disabled ('unavailable') is not healthy; a region in an outage is
    UNHEALTHY; an ALB still provisioning, or groups with no healthy target but one still in 'initial', INITIAL.
    """
    if load_balancers.blocked(region):
        return "UNHEALTHY"
    backend = elbv2_backends[account_id][region]
    load_balancer = backend.load_balancers.get(arn)
    if load_balancer is None:
        return "UNHEALTHY"
    load_balancer.activate()
    if load_balancer.state != "active":
        return "INITIAL"
    states = []
    for group_arn in load_balancers.target_groups_of(load_balancer):
        if group_arn not in backend.target_groups:
            return "UNHEALTHY"
        states.append({status.status for status in backend.describe_target_health(group_arn, [])})
    if not states or any("healthy" not in group and "initial" not in group for group in states):
        return "UNHEALTHY"
    return "HEALTHY" if all("healthy" in group for group in states) else "INITIAL"
