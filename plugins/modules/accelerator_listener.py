#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402  (Ansible modules import after their documentation)
DOCUMENTATION = r"""
---
module: accelerator_listener
version_added: 0.1.0
short_description: Manage a listener of an AWS Global Accelerator accelerator
description:
  - Create, update and delete a listener of a standard accelerator of AWS Global Accelerator.
  - A listener is identified either by O(listener_arn), or by O(accelerator) together with O(protocol) and the
    set of O(port_ranges) (their order does not matter).
  - After any change the module waits for the accelerator to be C(DEPLOYED) (see O(wait)).
  - The Global Accelerator control plane is served from C(us-west-2) only, so the module always talks to
    C(us-west-2) whatever O(region) says. With O(endpoint_url) set the requests go there, signed for C(us-west-2).
author:
  - activeactive.aws contributors (!UNKNOWN)
options:
  accelerator:
    description:
      - The accelerator of the listener, by name or by ARN (a value starting with V(arn:) is an ARN).
      - Required unless O(listener_arn) is set.
    type: str
  listener_arn:
    description:
      - The ARN of an existing listener to manage. With it, O(protocol), O(port_ranges) and O(client_affinity)
        can all be changed.
    type: str
  protocol:
    description:
      - The protocol of the listener. Part of the identity of the listener unless O(listener_arn) is set.
      - Required unless O(listener_arn) is set.
    choices: ['TCP', 'UDP']
    type: str
  port_ranges:
    description:
      - The port ranges the listener accepts traffic on; 1 to 10 ranges that do not overlap.
      - Compared as a set. Part of the identity of the listener unless O(listener_arn) is set.
      - Required unless O(listener_arn) is set.
    type: list
    elements: dict
    suboptions:
      from_port:
        description: The first port of the range, 1 to 65535.
        type: int
        required: true
      to_port:
        description: The last port of the range, 1 to 65535. Defaults to O(port_ranges[].from_port).
        type: int
  client_affinity:
    description:
      - V(SOURCE_IP) sends all connections from one client IP address to the same endpoint; V(NONE) balances
        each connection on its own.
      - When not set, a new listener uses V(NONE) and an existing one keeps its setting.
    choices: ['NONE', 'SOURCE_IP']
    type: str
  state:
    description:
      - V(present) creates or updates the listener, V(absent) deletes it.
      - Deleting a listener that still has endpoint groups fails and names them. A listener that does not
        exist, or whose accelerator does not exist, is not an error.
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

- name: Listen on TCP 80 and 443
  activeactive.aws.accelerator_listener:
    accelerator: my-app
    protocol: TCP
    port_ranges:
      - from_port: 80
      - from_port: 443
    client_affinity: SOURCE_IP
  register: listener

- name: Move an existing listener to other ports
  activeactive.aws.accelerator_listener:
    listener_arn: "{{ listener.listener.listener_arn }}"
    port_ranges:
      - from_port: 8080
        to_port: 8081

- name: Delete the listener
  activeactive.aws.accelerator_listener:
    accelerator: my-app
    protocol: TCP
    port_ranges:
      - from_port: 80
      - from_port: 443
    state: absent
"""

RETURN = r"""
listener:
  description: The listener. In check mode, the listener as it would be.
  returned: when O(state=present)
  type: dict
  contains:
    listener_arn:
      description: The ARN of the listener (null in check mode when it would be created).
      type: str
      sample: "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh/listener\
        /0123vxyz"
    accelerator_arn:
      description: The ARN of the accelerator of the listener.
      type: str
      sample: "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh"
    protocol:
      description: The protocol.
      type: str
      sample: TCP
    port_ranges:
      description: The port ranges, sorted.
      type: list
      elements: dict
      sample: [{"from_port": 80, "to_port": 80}, {"from_port": 443, "to_port": 443}]
    client_affinity:
      description: The client affinity.
      type: str
      sample: NONE
"""

from ansible_collections.activeactive.aws.plugins.module_utils.globalaccelerator import (
    AnsibleGlobalAcceleratorError,
    accelerator_arn_of,
    create_idempotently,
    create_listener,
    delete_listener,
    describe_listener,
    find_listener,
    ga_client,
    list_endpoint_groups,
    list_listeners,
    normalize_listener,
    plan_listener_update,
    predict_listener,
    resolve_accelerator,
    to_api_port_ranges,
    update_listener,
    validate_listener_params,
    validation_failure_message,
    wait_for_deployed,
)
from ansible_collections.activeactive.aws.plugins.module_utils.modules import AnsibleActiveActiveModule


def create(client, accelerator_arn, params, check_mode):
    """Create the listener; returns the new listener (predicted in check mode)."""
    request = {
        "AcceleratorArn": accelerator_arn,
        "PortRanges": to_api_port_ranges(params["port_ranges"]),
        "Protocol": params["protocol"],
        "ClientAffinity": params["client_affinity"] or "NONE",
    }
    if check_mode:
        predicted = {k: v for k, v in request.items() if k != "AcceleratorArn"}
        predicted["ListenerArn"] = None
        return predicted
    return create_idempotently(
        lambda **kwargs: create_listener(client, **kwargs),
        lambda arn: describe_listener(client, arn),
        "ListenerArn",
        "listener",
        request,
    )


def update(client, listener, params, check_mode):
    """Returns (changed, the listener as it is now, predicted in check mode)."""
    changes = plan_listener_update(listener, params["protocol"], params["port_ranges"], params["client_affinity"])
    if not changes:
        return False, listener
    if check_mode:
        return True, predict_listener(listener, changes)
    return True, update_listener(client, listener["ListenerArn"], **changes)


def delete(client, listener, check_mode):
    groups = list_endpoint_groups(client, listener["ListenerArn"])
    if groups:
        names = ", ".join(f"{g['EndpointGroupArn']} ({g.get('EndpointGroupRegion')})" for g in groups)
        raise AnsibleGlobalAcceleratorError(
            message=f"Listener {listener['ListenerArn']} still has endpoint groups: {names}. Delete them first."
        )
    if check_mode:
        return True
    return delete_listener(client, listener["ListenerArn"])


def main():
    argument_spec = dict(
        accelerator=dict(type="str"),
        listener_arn=dict(type="str"),
        protocol=dict(type="str", choices=["TCP", "UDP"]),
        port_ranges=dict(
            type="list",
            elements="dict",
            options=dict(from_port=dict(type="int", required=True), to_port=dict(type="int")),
        ),
        client_affinity=dict(type="str", choices=["NONE", "SOURCE_IP"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )
    module = AnsibleActiveActiveModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("accelerator", "listener_arn")],
        required_one_of=[("accelerator", "listener_arn")],
    )
    params = module.params
    errors = validate_listener_params(params)
    if errors:
        module.fail_json(msg=validation_failure_message(errors))

    client = ga_client(module)
    state = params["state"]
    before = after = None
    changed = False
    try:
        if params["listener_arn"]:
            accelerator_arn = accelerator_arn_of(params["listener_arn"])
            before = describe_listener(client, params["listener_arn"])
            if before is None and state == "present":
                module.fail_json(
                    msg=f"Listener {params['listener_arn']} does not exist; "
                    "set accelerator, protocol and port_ranges instead of listener_arn to create one"
                )
        else:
            accelerator = resolve_accelerator(client, params["accelerator"])
            accelerator_arn = accelerator["AcceleratorArn"] if accelerator else None
            if accelerator is None and state == "present":
                if not module.check_mode:
                    module.fail_json(msg=f"Accelerator {params['accelerator']} does not exist")
                module.warn(f"Accelerator {params['accelerator']} does not exist; assuming an earlier task creates it")
            if accelerator is not None:
                before = find_listener(
                    list_listeners(client, accelerator_arn), params["protocol"], params["port_ranges"]
                )

        if state == "absent":
            if before is not None:
                changed = delete(client, before, module.check_mode)
        elif before is None:
            after = create(client, accelerator_arn, params, module.check_mode)
            changed = True
        else:
            changed, after = update(client, before, params, module.check_mode)

        if changed and accelerator_arn and not module.check_mode and params["wait"]:
            wait_for_deployed(client, accelerator_arn, params["wait_timeout"])
        if state == "present" and changed and not module.check_mode:
            after = describe_listener(client, after["ListenerArn"]) or after
    except AnsibleGlobalAcceleratorError as e:
        module.fail_json_aws_error(e)

    normalized_before = normalize_listener(before)
    normalized_after = normalize_listener(after)
    if state == "present" and normalized_after.get("accelerator_arn") is None:
        normalized_after["accelerator_arn"] = accelerator_arn
    module.exit_with_resource(changed, "listener", normalized_before, normalized_after, state == "present")


if __name__ == "__main__":
    main()
