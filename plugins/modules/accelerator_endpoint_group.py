#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402  (Ansible modules import after their documentation)
DOCUMENTATION = r"""
---
module: accelerator_endpoint_group
version_added: 0.1.0
short_description: Manage an endpoint group of an AWS Global Accelerator listener
description:
  - Create, update and delete the endpoint group of a listener of a standard accelerator of AWS Global
    Accelerator in one AWS region, and the endpoints in it.
  - A listener has at most one endpoint group per region, so the group is identified by its listener and
    O(endpoint_group_region).
  - Endpoints are added and removed with AddEndpoints and RemoveEndpoints. A change of the weight or the client
    IP preservation of an endpoint goes through UpdateEndpointGroup with the complete list of endpoints.
  - Health check settings are compared only when they are set, so the values AWS fills in (or ignores, for load
    balancer endpoints, which use the load balancer's health checks) cause no changes.
  - After any change the module waits for the accelerator to be C(DEPLOYED) (see O(wait)).
  - The Global Accelerator control plane is served from C(us-west-2) only, so the module always talks to
    C(us-west-2) whatever O(region) says. With O(endpoint_url) set the requests go there, signed for C(us-west-2).
author:
  - activeactive.aws contributors (!UNKNOWN)
options:
  listener_arn:
    description:
      - The ARN of the listener of the endpoint group.
      - Either O(listener_arn), or O(accelerator) and O(listener_port), are required.
    type: str
  accelerator:
    description:
      - The accelerator of the listener, by name or by ARN (a value starting with V(arn:) is an ARN).
      - Used with O(listener_port) to find the listener.
    type: str
  listener_port:
    description:
      - A port of the listener of the endpoint group; the listener of O(accelerator) whose port ranges include
        it is used.
    type: int
  listener_protocol:
    description:
      - The protocol of the listener, to choose between a TCP and a UDP listener that both include
        O(listener_port).
    choices: ['TCP', 'UDP']
    type: str
  endpoint_group_region:
    description:
      - The AWS region of the endpoint group and of its endpoints. It identifies the group and cannot be changed.
    required: true
    type: str
  endpoints:
    description:
      - The endpoints of the group, at most 10. When not set, the endpoints are left as they are.
      - With O(purge_endpoints=true) endpoints not listed are removed; V([]) removes all.
    type: list
    elements: dict
    suboptions:
      endpoint_id:
        description:
          - The endpoint, as an ARN (of an Application or Network Load Balancer), an EC2 instance ID or an Elastic IP
            allocation ID.
          - Any other value is taken as the name of a load balancer in O(endpoint_group_region) and resolved to its ARN.
        type: str
        required: true
      weight:
        description:
          - The weight of the endpoint, 0 to 255. V(0) sends it no traffic.
        type: int
        default: 128
      client_ip_preservation:
        description:
          - Whether the endpoint sees the client IP address. When not set, AWS chooses for new endpoints and
            existing endpoints keep their setting.
        type: bool
  purge_endpoints:
    description:
      - Remove the endpoints of the group that O(endpoints) does not list. Ignored when O(endpoints) is not set.
    type: bool
    default: true
  traffic_dial_percentage:
    description:
      - The share of the listener's traffic for this region that goes to the group, 0 to 100.
        AWS uses 100 for a new group.
    type: float
  health_check_port:
    description:
      - The port for health checks, 1 to 65535. AWS uses the listener port for a new group.
    type: int
  health_check_protocol:
    description:
      - The protocol for health checks. AWS uses V(TCP) for a new group.
    choices: ['TCP', 'HTTP', 'HTTPS']
    type: str
  health_check_path:
    description:
      - The path for V(HTTP) and V(HTTPS) health checks. It starts with V(/), is at most 255 characters long and
        holds only letters, digits and the characters C(-@:%_\+.~#?&/=).
    type: str
  health_check_interval_seconds:
    description:
      - The time between health checks. AWS uses 30 for a new group.
    choices: [10, 30]
    type: int
  threshold_count:
    description:
      - The number of consecutive health checks to change an endpoint's health, 1 to 10. AWS uses 3 for a new group.
    type: int
  port_overrides:
    description:
      - Send traffic for a listener port to another port of the endpoints; at most 10. Compared as a set.
      - When not set, the overrides are left as they are; V([]) removes all.
    type: list
    elements: dict
    suboptions:
      listener_port:
        description: The listener port, 1 to 65535.
        type: int
        required: true
      endpoint_port:
        description: The endpoint port, 1 to 65535.
        type: int
        required: true
  state:
    description:
      - V(present) creates or updates the endpoint group, V(absent) deletes it.
      - An endpoint group, listener or accelerator that does not exist is not an error with V(absent).
    choices: ['present', 'absent']
    default: present
    type: str
extends_documentation_fragment:
  - activeactive.aws.globalaccelerator.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Send the traffic of the port 443 listener to an ALB in eu-west-1
  activeactive.aws.accelerator_endpoint_group:
    accelerator: my-app
    listener_port: 443
    endpoint_group_region: eu-west-1
    endpoints:
      - endpoint_id: my-app-alb  # the name of an ALB in eu-west-1
        weight: 128
        client_ip_preservation: true
    health_check_interval_seconds: 10
    threshold_count: 2

- name: Drain the region without touching its endpoints
  activeactive.aws.accelerator_endpoint_group:
    listener_arn: "{{ listener.listener.listener_arn }}"
    endpoint_group_region: eu-west-1
    traffic_dial_percentage: 0

- name: Delete the endpoint group
  activeactive.aws.accelerator_endpoint_group:
    accelerator: my-app
    listener_port: 443
    endpoint_group_region: eu-west-1
    state: absent
"""

RETURN = r"""
endpoint_group:
  description: The endpoint group. In check mode, the endpoint group as it would be.
  returned: when O(state=present)
  type: dict
  contains:
    endpoint_group_arn:
      description: The ARN of the endpoint group (null in check mode when it would be created).
      type: str
      sample: "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh/listener\
        /0123vxyz/endpoint-group/098765zyxwvu"
    listener_arn:
      description: The ARN of the listener of the group.
      type: str
      sample: "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh/listener\
        /0123vxyz"
    accelerator_arn:
      description: The ARN of the accelerator of the group.
      type: str
      sample: "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh"
    endpoint_group_region:
      description: The region of the group.
      type: str
      sample: eu-west-1
    endpoint_descriptions:
      description: The endpoints of the group.
      type: list
      elements: dict
      sample:
        - endpoint_id: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-app-alb\
          /50dc6c495c0c9188"
          weight: 128
          client_ip_preservation_enabled: true
          health_state: HEALTHY
    traffic_dial_percentage:
      description: The traffic dial.
      type: float
      sample: 100.0
    health_check_port:
      description: The health check port.
      type: int
      sample: 443
    health_check_protocol:
      description: The health check protocol.
      type: str
      sample: TCP
    health_check_path:
      description: The health check path (for HTTP and HTTPS health checks).
      type: str
      sample: /
    health_check_interval_seconds:
      description: The time between health checks.
      type: int
      sample: 30
    threshold_count:
      description: The number of health checks that change an endpoint's health.
      type: int
      sample: 3
    port_overrides:
      description: The port overrides.
      type: list
      elements: dict
      sample: [{"listener_port": 443, "endpoint_port": 8443}]
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.activeactive.aws.plugins.module_utils.globalaccelerator import (
    MAX_ENDPOINTS,
    AnsibleGlobalAcceleratorError,
    accelerator_arn_of,
    add_endpoints,
    create_endpoint_group,
    create_idempotently,
    delete_endpoint_group,
    describe_endpoint_group,
    describe_listener,
    describe_load_balancer_arn,
    endpoint_configurations,
    endpoint_group_settings,
    endpoint_plan_changes,
    ga_client,
    list_endpoint_groups,
    list_listeners,
    listener_has_port,
    needs_load_balancer_lookup,
    normalize_endpoint_group,
    plan_endpoint_group_update,
    plan_endpoints,
    predict_endpoint_group,
    remove_endpoints,
    resolve_accelerator,
    update_endpoint_group,
    validate_endpoint_group_params,
    validation_failure_message,
    wait_for_deployed,
)
from ansible_collections.activeactive.aws.plugins.module_utils.modules import AnsibleActiveActiveModule


class ParentMissing(Exception):
    """The listener (or its accelerator) of the endpoint group does not exist."""


def find_listener_arn(client, params):
    """The ARN of the group's listener; raises ParentMissing when there is none."""
    if params["listener_arn"]:
        if describe_listener(client, params["listener_arn"]) is None:
            raise ParentMissing(f"Listener {params['listener_arn']} does not exist")
        return params["listener_arn"]
    accelerator = resolve_accelerator(client, params["accelerator"])
    if accelerator is None:
        raise ParentMissing(f"Accelerator {params['accelerator']} does not exist")
    port = params["listener_port"]
    protocol = params["listener_protocol"]
    candidates = [
        listener
        for listener in list_listeners(client, accelerator["AcceleratorArn"])
        if listener_has_port(listener, port) and (protocol is None or listener.get("Protocol") == protocol)
    ]
    if not candidates:
        raise ParentMissing(
            f"Accelerator {params['accelerator']} has no {protocol + ' ' if protocol else ''}listener on port {port}"
        )
    if len(candidates) > 1:
        arns = ", ".join(f"{c['ListenerArn']} ({c.get('Protocol')})" for c in candidates)
        raise AnsibleGlobalAcceleratorError(
            message=f"Several listeners of {params['accelerator']} include port {port}: {arns}; "
            "set listener_protocol or listener_arn to choose one"
        )
    return candidates[0]["ListenerArn"]


def resolve_endpoints(module, endpoints, region):
    """The endpoints with load balancer names replaced by ARNs (looked up in ``region``)."""
    if endpoints is None:
        return None
    elbv2 = None
    resolved = []
    for index, endpoint in enumerate(endpoints):
        endpoint = dict(endpoint)
        if needs_load_balancer_lookup(endpoint["endpoint_id"]):
            if elbv2 is None:
                elbv2 = module.client("elbv2", region=region, retry_decorator=AWSRetry.jittered_backoff())
            arn = describe_load_balancer_arn(elbv2, endpoint["endpoint_id"])
            if arn is None:
                raise AnsibleGlobalAcceleratorError(
                    message=f"endpoints[{index}].endpoint_id: there is no load balancer named "
                    f"{endpoint['endpoint_id']} in {region} (give an ARN, an EC2 instance ID or an "
                    "Elastic IP allocation ID, or the name of a load balancer in endpoint_group_region)"
                )
            endpoint["endpoint_id"] = arn
        resolved.append(endpoint)
    return resolved


def create(client, listener_arn, params, endpoints, check_mode):
    request = {"ListenerArn": listener_arn, "EndpointGroupRegion": params["endpoint_group_region"]}
    if endpoints is not None:
        request["EndpointConfigurations"] = endpoint_configurations(endpoints)
    request.update(endpoint_group_settings(params))
    if check_mode:
        predicted = {k: v for k, v in request.items() if k not in ("ListenerArn", "EndpointConfigurations")}
        predicted["EndpointGroupArn"] = None
        predicted["EndpointDescriptions"] = [
            dict(config, HealthState="INITIAL") for config in request.get("EndpointConfigurations", [])
        ]
        return predicted
    return create_idempotently(
        lambda **kwargs: create_endpoint_group(client, **kwargs),
        lambda arn: describe_endpoint_group(client, arn),
        "EndpointGroupArn",
        "endpoint group",
        request,
    )


def update(client, group, params, endpoints, check_mode, settle):
    """Returns (changed, the group as it will be in check mode, else None)."""
    changes = plan_endpoint_group_update(group, params)
    plan = plan_endpoints(group.get("EndpointDescriptions"), endpoints, params["purge_endpoints"])
    if not changes and not endpoint_plan_changes(plan):
        return False, group
    if check_mode:
        return True, predict_endpoint_group(group, changes, plan)

    arn = group["EndpointGroupArn"]
    calls = []
    if changes or plan["update"] is not None:
        if plan["update"] is not None:
            changes["EndpointConfigurations"] = plan["update"]
        calls.append(lambda: update_endpoint_group(client, arn, **changes))
    add = (lambda: add_endpoints(client, arn, plan["add"])) if plan["add"] else None
    remove = (lambda: remove_endpoints(client, arn, plan["remove"])) if plan["remove"] else None
    # Add before removing, so the group keeps serving; remove first only when adding would overflow it.
    overflow = len(group.get("EndpointDescriptions") or []) + len(plan["add"]) > MAX_ENDPOINTS
    calls.extend(c for c in ((remove, add) if overflow else (add, remove)) if c)
    for index, call in enumerate(calls):
        if index:
            settle()
        call()
    return True, None


def main():
    argument_spec = dict(
        listener_arn=dict(type="str"),
        accelerator=dict(type="str"),
        listener_port=dict(type="int"),
        listener_protocol=dict(type="str", choices=["TCP", "UDP"]),
        endpoint_group_region=dict(type="str", required=True),
        endpoints=dict(
            type="list",
            elements="dict",
            options=dict(
                endpoint_id=dict(type="str", required=True),
                weight=dict(type="int", default=128),
                client_ip_preservation=dict(type="bool"),
            ),
        ),
        purge_endpoints=dict(type="bool", default=True),
        traffic_dial_percentage=dict(type="float"),
        health_check_port=dict(type="int"),
        health_check_protocol=dict(type="str", choices=["TCP", "HTTP", "HTTPS"]),
        health_check_path=dict(type="str"),
        health_check_interval_seconds=dict(type="int", choices=[10, 30]),
        threshold_count=dict(type="int"),
        port_overrides=dict(
            type="list",
            elements="dict",
            options=dict(
                listener_port=dict(type="int", required=True),
                endpoint_port=dict(type="int", required=True),
            ),
        ),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )
    module = AnsibleActiveActiveModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("listener_arn", "accelerator"), ("listener_arn", "listener_port")],
        required_together=[("accelerator", "listener_port")],
    )
    params = module.params
    errors = validate_endpoint_group_params(params)
    if errors:
        module.fail_json(msg=validation_failure_message(errors))

    client = ga_client(module)
    state = params["state"]
    region = params["endpoint_group_region"]
    before = after = None
    listener_arn = None
    changed = False
    try:
        try:
            listener_arn = find_listener_arn(client, params)
        except ParentMissing as e:
            if state == "present" and not module.check_mode:
                module.fail_json(msg=str(e))
            if state == "present":
                module.warn(f"{e}; assuming an earlier task creates it")
        if listener_arn:
            groups = list_endpoint_groups(client, listener_arn)
            before = next((g for g in groups if g.get("EndpointGroupRegion") == region), None)

        if state == "absent":
            if before is not None:
                changed = module.check_mode or delete_endpoint_group(client, before["EndpointGroupArn"])
        else:
            endpoints = resolve_endpoints(module, params["endpoints"], region)
            if before is None:
                after = create(client, listener_arn, params, endpoints, module.check_mode)
                changed = True
            else:

                def settle():
                    wait_for_deployed(client, accelerator_arn_of(listener_arn), params["wait_timeout"])

                changed, after = update(client, before, params, endpoints, module.check_mode, settle)
                if after is None:
                    after = before

        if changed and listener_arn and not module.check_mode:
            if params["wait"]:
                wait_for_deployed(client, accelerator_arn_of(listener_arn), params["wait_timeout"])
            if state == "present":
                after = describe_endpoint_group(client, after["EndpointGroupArn"]) or after
    except AnsibleGlobalAcceleratorError as e:
        module.fail_json_aws_error(e)

    normalized_before = normalize_endpoint_group(before)
    normalized_after = normalize_endpoint_group(after)
    if state == "present" and listener_arn and not normalized_after.get("listener_arn"):
        normalized_after["listener_arn"] = listener_arn
        normalized_after["accelerator_arn"] = accelerator_arn_of(listener_arn)
    module.exit_with_resource(changed, "endpoint_group", normalized_before, normalized_after, state == "present")


if __name__ == "__main__":
    main()
