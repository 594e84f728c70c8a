#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402  (Ansible modules import after their documentation)
DOCUMENTATION = r"""
---
module: accelerator_info
version_added: 0.1.0
short_description: Describe AWS Global Accelerator accelerators, their listeners and endpoint groups
description:
  - List the standard accelerators of AWS Global Accelerator, optionally filtered, with their tags and optionally
    their flow log attributes, listeners and endpoint groups.
  - The filters combine; an accelerator is returned when it matches all filters that are set.
  - The Global Accelerator control plane is served from C(us-west-2) only, so the module always talks to
    C(us-west-2) whatever O(region) says. With O(endpoint_url) set the requests go there, signed for C(us-west-2).
author:
  - activeactive.aws contributors (!UNKNOWN)
options:
  names:
    description: Only accelerators with one of these names.
    type: list
    elements: str
  arns:
    description: Only the accelerators with these ARNs. ARNs of accelerators that do not exist are ignored.
    type: list
    elements: str
  tags:
    description: Only accelerators that have all of these tags, with these values.
    type: dict
  include_attributes:
    description: Add the flow log attributes of each accelerator as RV(accelerators[].attributes).
    type: bool
    default: false
  include_listeners:
    description: Add the listeners of each accelerator as RV(accelerators[].listeners).
    type: bool
    default: false
  include_endpoint_groups:
    description:
      - Add the endpoint groups of each listener, with the health of each endpoint, as
        RV(accelerators[].listeners[].endpoint_groups). Implies O(include_listeners=true).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: List all accelerators
  activeactive.aws.accelerator_info:
  register: all_accelerators

- name: Describe one accelerator completely, with the health of its endpoints
  activeactive.aws.accelerator_info:
    names:
      - my-app
    include_attributes: true
    include_endpoint_groups: true
  register: my_app

- name: Accelerators of a team
  activeactive.aws.accelerator_info:
    tags:
      team: web
"""

RETURN = r"""
accelerators:
  description: The accelerators that match the filters, sorted by name and ARN.
  returned: always
  type: list
  elements: dict
  contains:
    accelerator_arn:
      description: The ARN of the accelerator.
      type: str
      sample: "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh"
    name:
      description: The name of the accelerator.
      type: str
      sample: my-app
    enabled:
      description: Whether the accelerator is enabled.
      type: bool
      sample: true
    ip_address_type:
      description: The IP address type.
      type: str
      sample: IPV4
    ip_sets:
      description: The static IP addresses of the accelerator.
      type: list
      elements: dict
      sample: [{"ip_address_family": "IPv4", "ip_family": "IPv4", "ip_addresses": ["192.0.2.250", "198.51.100.52"]}]
    dns_name:
      description: The DNS name of the accelerator.
      type: str
      sample: a1234567890abcdef.awsglobalaccelerator.com
    dual_stack_dns_name:
      description: The dual-stack DNS name of a dual-stack accelerator.
      type: str
      sample: a1234567890abcdef.dualstack.awsglobalaccelerator.com
    hosted_zone_id:
      description: The Route 53 hosted zone ID for alias records of the DNS names.
      type: str
      sample: Z2BJ6XQ5FK7U4H
    status:
      description: The deployment status.
      type: str
      sample: DEPLOYED
    tags:
      description: The tags of the accelerator.
      type: dict
      sample: {"team": "web"}
    attributes:
      description: The flow log attributes.
      returned: when O(include_attributes=true)
      type: dict
      sample: {"flow_logs_enabled": false}
    listeners:
      description: The listeners of the accelerator.
      returned: when O(include_listeners=true) or O(include_endpoint_groups=true)
      type: list
      elements: dict
      contains:
        listener_arn:
          description: The ARN of the listener.
          type: str
          sample: "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh/listener\
            /0123vxyz"
        protocol:
          description: The protocol.
          type: str
          sample: TCP
        port_ranges:
          description: The port ranges.
          type: list
          elements: dict
          sample: [{"from_port": 443, "to_port": 443}]
        client_affinity:
          description: The client affinity.
          type: str
          sample: NONE
        endpoint_groups:
          description: The endpoint groups of the listener.
          returned: when O(include_endpoint_groups=true)
          type: list
          elements: dict
          sample:
            - endpoint_group_arn: "arn:aws:globalaccelerator::123456789012:accelerator\
              /1234abcd-abcd-1234-abcd-1234abcdefgh/listener/0123vxyz/endpoint-group/098765zyxwvu"
              endpoint_group_region: eu-west-1
              traffic_dial_percentage: 100.0
              endpoint_descriptions:
                - endpoint_id: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb\
                  /50dc6c495c0c9188"
                  weight: 128
                  health_state: HEALTHY
                  client_ip_preservation_enabled: true
"""

from ansible_collections.activeactive.aws.plugins.module_utils.globalaccelerator import (
    AnsibleGlobalAcceleratorError,
    describe_accelerator,
    describe_accelerator_attributes,
    ga_client,
    list_accelerator_tags,
    list_accelerators,
    list_endpoint_groups,
    list_listeners,
    normalize_accelerator,
    normalize_endpoint_group,
    normalize_listener,
)
from ansible_collections.activeactive.aws.plugins.module_utils.modules import AnsibleActiveActiveModule


def matches_tags(tags, wanted):
    """True when ``tags`` holds every key of ``wanted`` with the same value."""
    return all(key in tags and str(tags[key]) == str(value) for key, value in (wanted or {}).items())


def select_accelerators(client, names, arns):
    if arns is not None:
        found = (describe_accelerator(client, arn) for arn in dict.fromkeys(arns))
        accelerators = [a for a in found if a is not None]
    else:
        accelerators = list_accelerators(client)
    if names is not None:
        accelerators = [a for a in accelerators if a.get("Name") in names]
    return sorted(accelerators, key=lambda a: (a.get("Name") or "", a.get("AcceleratorArn") or ""))


def describe(client, accelerator, tags, params):
    arn = accelerator["AcceleratorArn"]
    attributes = None
    if params["include_attributes"]:
        attributes = describe_accelerator_attributes(client, arn) or {}
    result = normalize_accelerator(accelerator, tags, attributes)
    if params["include_listeners"] or params["include_endpoint_groups"]:
        listeners = []
        for listener in list_listeners(client, arn):
            entry = normalize_listener(listener)
            if params["include_endpoint_groups"]:
                entry["endpoint_groups"] = [
                    normalize_endpoint_group(g) for g in list_endpoint_groups(client, listener["ListenerArn"])
                ]
            listeners.append(entry)
        result["listeners"] = sorted(listeners, key=lambda entry: entry["port_ranges"])
    return result


def main():
    argument_spec = dict(
        names=dict(type="list", elements="str"),
        arns=dict(type="list", elements="str"),
        tags=dict(type="dict"),
        include_attributes=dict(type="bool", default=False),
        include_listeners=dict(type="bool", default=False),
        include_endpoint_groups=dict(type="bool", default=False),
    )
    module = AnsibleActiveActiveModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    client = ga_client(module)
    results = []
    try:
        for accelerator in select_accelerators(client, params["names"], params["arns"]):
            tags = list_accelerator_tags(client, accelerator["AcceleratorArn"])
            if not matches_tags(tags, params["tags"]):
                continue
            results.append(describe(client, accelerator, tags, params))
    except AnsibleGlobalAcceleratorError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, accelerators=results)


if __name__ == "__main__":
    main()
