#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402  (Ansible modules import after their documentation)
DOCUMENTATION = r"""
---
module: accelerator
version_added: 0.1.0
short_description: Manage an AWS Global Accelerator standard accelerator
description:
  - Create, update and delete a standard accelerator of AWS Global Accelerator, identified by its name.
  - The Global Accelerator control plane is served from C(us-west-2) only, so the module always talks to
    C(us-west-2) whatever O(region) says. With O(endpoint_url) set the requests go there, signed for C(us-west-2).
  - Accelerator names are not unique in AWS. When more than one accelerator has O(name) the module fails and
    lists their ARNs.
author:
  - activeactive.aws contributors (!UNKNOWN)
options:
  name:
    description:
      - The name of the accelerator, which identifies it.
      - 1 to 64 characters of letters, digits, V(.) and V(-), starting and ending with a letter or a digit.
    required: true
    type: str
  state:
    description:
      - V(present) creates or updates the accelerator, V(absent) deletes it.
      - Deleting disables the accelerator, waits for it to be C(DEPLOYED) and deletes it. An accelerator that does
        not exist is not an error.
    choices: ['present', 'absent']
    default: present
    type: str
  enabled:
    description:
      - Whether the accelerator accepts traffic.
      - When not set, a new accelerator is enabled and an existing one keeps its setting.
    type: bool
  ip_address_type:
    description:
      - The IP address type of the accelerator.
      - When not set, a new accelerator uses V(IPV4) and an existing one keeps its setting.
    choices: ['IPV4', 'DUAL_STACK']
    type: str
  ip_addresses:
    description:
      - Up to two IPv4 addresses from your own address pools (BYOIP) to use as the accelerator's static addresses.
      - They can only be chosen when the accelerator is created. Asking for other addresses on an existing
        accelerator fails; delete and recreate it to change them.
    type: list
    elements: str
  flow_logs:
    description:
      - Flow log settings of the accelerator. When not set, they are left as they are.
      - Changing the bucket or prefix while flow logs stay enabled disables them first, waits for the accelerator
        to be C(DEPLOYED), then enables them with the new location, as AWS requires.
    type: dict
    suboptions:
      enabled:
        description: Whether flow logs are written to S3.
        type: bool
        required: true
      s3_bucket:
        description:
          - The S3 bucket for the flow logs. Required when O(flow_logs.enabled=true).
          - The bucket policy must let Global Accelerator write to it.
        type: str
      s3_prefix:
        description:
          - The prefix of the flow log objects in O(flow_logs.s3_bucket). Required when O(flow_logs.enabled=true).
        type: str
  cascade:
    description:
      - With O(state=absent), first delete the accelerator's endpoint groups and listeners.
      - Without it, deleting an accelerator that still has listeners fails and names them.
    type: bool
    default: false
  wait:
    # type, default and wait_timeout: activeactive.aws.globalaccelerator.wait
    description:
      - Wait for the accelerator to be C(DEPLOYED) after a change.
      - Steps that AWS only accepts on a deployed accelerator (deleting it, a second flow log change) always wait.
notes:
  - Tags can only be set on accelerators, not on listeners or endpoint groups.
  - Creates use an idempotency token derived from the request, so a create retried after a lost response
    does not make a second accelerator.
extends_documentation_fragment:
  - activeactive.aws.globalaccelerator.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Create an accelerator
  activeactive.aws.accelerator:
    name: my-app
    ip_address_type: IPV4
    tags:
      team: web

- name: Create a disabled dual-stack accelerator with flow logs, without waiting for it
  activeactive.aws.accelerator:
    name: my-app-v6
    enabled: false
    ip_address_type: DUAL_STACK
    flow_logs:
      enabled: true
      s3_bucket: my-flow-logs
      s3_prefix: my-app-v6/
    wait: false

- name: Delete an accelerator together with its listeners and endpoint groups
  activeactive.aws.accelerator:
    name: my-app
    state: absent
    cascade: true
"""

RETURN = r"""
accelerator:
  description: The accelerator. In check mode, the accelerator as it would be.
  returned: when O(state=present)
  type: dict
  contains:
    accelerator_arn:
      description: The ARN of the accelerator (null in check mode when it would be created).
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
      description: The static IP addresses of the accelerator, by address family.
      type: list
      elements: dict
      sample: [{"ip_address_family": "IPv4", "ip_family": "IPv4", "ip_addresses": ["192.0.2.250", "198.51.100.52"]}]
    dns_name:
      description: The DNS name that points to the accelerator's static IPv4 addresses.
      type: str
      sample: a1234567890abcdef.awsglobalaccelerator.com
    dual_stack_dns_name:
      description: The DNS name that points to the IPv4 and IPv6 addresses of a dual-stack accelerator.
      type: str
      sample: a1234567890abcdef.dualstack.awsglobalaccelerator.com
    hosted_zone_id:
      description: The Route 53 hosted zone ID to use in alias records for the accelerator's DNS names.
      type: str
      sample: Z2BJ6XQ5FK7U4H
    status:
      description: The deployment status, C(DEPLOYED) or C(IN_PROGRESS).
      type: str
      sample: DEPLOYED
    created_time:
      description: When the accelerator was created.
      type: str
      sample: "2024-05-01T12:00:00+00:00"
    last_modified_time:
      description: When the accelerator was last modified.
      type: str
      sample: "2024-05-01T12:05:00+00:00"
    tags:
      description: The tags of the accelerator.
      type: dict
      sample: {"team": "web"}
    attributes:
      description: The flow log attributes of the accelerator.
      type: dict
      contains:
        flow_logs_enabled:
          description: Whether flow logs are enabled.
          type: bool
          sample: true
        flow_logs_s3_bucket:
          description: The flow log bucket.
          type: str
          sample: my-flow-logs
        flow_logs_s3_prefix:
          description: The flow log prefix.
          type: str
          sample: my-app/
"""

from copy import deepcopy

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.activeactive.aws.plugins.module_utils.globalaccelerator import (
    AnsibleGlobalAcceleratorError,
    ambiguous_name_message,
    create_accelerator,
    create_idempotently,
    delete_accelerator,
    delete_endpoint_group,
    delete_listener,
    describe_accelerator,
    describe_accelerator_attributes,
    find_accelerators_by_name,
    ga_client,
    ip_addresses_change_error,
    list_accelerator_tags,
    list_accelerators,
    list_endpoint_groups,
    list_listeners,
    normalize_accelerator,
    plan_accelerator_update,
    plan_flow_logs,
    predict_attributes,
    predict_new_accelerator,
    tag_accelerator,
    untag_accelerator,
    update_accelerator,
    update_accelerator_attributes,
    validate_accelerator_params,
    validation_failure_message,
    wait_for_deployed,
)
from ansible_collections.activeactive.aws.plugins.module_utils.modules import AnsibleActiveActiveModule


def read_accelerator(client, accelerator):
    """The accelerator with its tags and attributes, as {"accelerator", "tags", "attributes"}."""
    arn = accelerator["AcceleratorArn"]
    return {
        "accelerator": accelerator,
        "tags": list_accelerator_tags(client, arn),
        "attributes": describe_accelerator_attributes(client, arn) or {},
    }


def find_accelerator(client, name):
    matches = find_accelerators_by_name(list_accelerators(client), name)
    if len(matches) > 1:
        raise AnsibleGlobalAcceleratorError(message=ambiguous_name_message("accelerator", name, matches))
    return matches[0] if matches else None


def create(client, params, check_mode, wait, wait_timeout):
    """Create the accelerator; returns its state (predicted in check mode)."""
    flow_log_calls = plan_flow_logs({}, params["flow_logs"])
    tags = params["tags"] or {}
    if check_mode:
        accelerator = predict_new_accelerator(
            params["name"],
            params["enabled"],
            params["ip_address_type"],
            params["ip_addresses"],
            "DEPLOYED" if wait else "IN_PROGRESS",
        )
        attributes = predict_attributes({"FlowLogsEnabled": False}, flow_log_calls)
        return {"accelerator": accelerator, "tags": tags, "attributes": attributes}

    request = {"Name": params["name"]}
    if params["enabled"] is not None:
        request["Enabled"] = params["enabled"]
    if params["ip_address_type"] is not None:
        request["IpAddressType"] = params["ip_address_type"]
    if params["ip_addresses"]:
        request["IpAddresses"] = params["ip_addresses"]
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]

    accelerator = create_idempotently(
        lambda **kwargs: create_accelerator(client, **kwargs),
        lambda arn: describe_accelerator(client, arn),
        "AcceleratorArn",
        "accelerator",
        request,
    )
    arn = accelerator["AcceleratorArn"]
    for call in flow_log_calls:
        # Attributes can only change once the create has been deployed.
        wait_for_deployed(client, arn, wait_timeout)
        update_accelerator_attributes(client, arn, **call)
    if wait:
        wait_for_deployed(client, arn, wait_timeout)
    return read_accelerator(client, describe_accelerator(client, arn) or accelerator)


def update(client, current, params, check_mode, wait, wait_timeout):
    """Bring an existing accelerator in line; returns (changed, its state (predicted in check mode))."""
    accelerator = current["accelerator"]
    arn = accelerator["AcceleratorArn"]

    problem = ip_addresses_change_error(accelerator, params["ip_addresses"])
    if problem:
        raise AnsibleGlobalAcceleratorError(message=problem)

    changes = plan_accelerator_update(accelerator, params["enabled"], params["ip_address_type"])
    flow_log_calls = plan_flow_logs(current["attributes"], params["flow_logs"])
    tags_to_set, tags_to_unset = {}, []
    if params["tags"] is not None:
        tags_to_set, tags_to_unset = compare_aws_tags(current["tags"], params["tags"], params["purge_tags"])

    deploys = bool(changes or flow_log_calls)
    changed = deploys or bool(tags_to_set or tags_to_unset)
    if not changed:
        return False, current

    if check_mode:
        predicted = deepcopy(current)
        predicted["accelerator"].update(changes)
        if deploys:
            predicted["accelerator"]["Status"] = "DEPLOYED" if wait else "IN_PROGRESS"
        predicted["attributes"] = predict_attributes(current["attributes"], flow_log_calls)
        for key in tags_to_unset:
            predicted["tags"].pop(key, None)
        predicted["tags"].update(tags_to_set)
        return True, predicted

    untag_accelerator(client, arn, tags_to_unset)
    tag_accelerator(client, arn, tags_to_set)
    # AWS refuses accelerator changes while an earlier one is being deployed.
    settle = accelerator.get("Status") != "DEPLOYED"
    if changes:
        if settle:
            wait_for_deployed(client, arn, wait_timeout)
        update_accelerator(client, arn, **changes)
        settle = True
    for call in flow_log_calls:
        if settle:
            wait_for_deployed(client, arn, wait_timeout)
        update_accelerator_attributes(client, arn, **call)
        settle = True
    if deploys and wait:
        wait_for_deployed(client, arn, wait_timeout)
    return True, read_accelerator(client, describe_accelerator(client, arn) or accelerator)


def children_message(client, accelerator, listeners):
    parts = []
    for listener in listeners:
        ports = ",".join(
            f"{r['FromPort']}" if r["FromPort"] == r["ToPort"] else f"{r['FromPort']}-{r['ToPort']}"
            for r in listener.get("PortRanges") or []
        )
        groups = list_endpoint_groups(client, listener["ListenerArn"])
        text = f"listener {listener['ListenerArn']} ({listener.get('Protocol')} {ports})"
        if groups:
            text += " with endpoint groups " + ", ".join(
                f"{g['EndpointGroupArn']} ({g.get('EndpointGroupRegion')})" for g in groups
            )
        parts.append(text)
    return (
        f"Accelerator {accelerator['Name']} ({accelerator['AcceleratorArn']}) still has "
        + "; ".join(parts)
        + ". Delete them first, or set cascade=true to delete them with the accelerator."
    )


def delete(client, accelerator, cascade, check_mode, wait_timeout):
    """Delete the accelerator (and with ``cascade`` its listeners and endpoint groups); returns changed."""
    arn = accelerator["AcceleratorArn"]
    listeners = list_listeners(client, arn)
    if listeners and not cascade:
        raise AnsibleGlobalAcceleratorError(message=children_message(client, accelerator, listeners))
    if check_mode:
        return True

    groups = [g for listener in listeners for g in list_endpoint_groups(client, listener["ListenerArn"])]
    for group in groups:
        delete_endpoint_group(client, group["EndpointGroupArn"])
    if groups:
        wait_for_deployed(client, arn, wait_timeout)
    for listener in listeners:
        delete_listener(client, listener["ListenerArn"])
    if listeners:
        wait_for_deployed(client, arn, wait_timeout)
    if accelerator.get("Enabled"):
        if not listeners and accelerator.get("Status") != "DEPLOYED":
            # AWS refuses changes while an earlier one is being deployed.
            wait_for_deployed(client, arn, wait_timeout)
        update_accelerator(client, arn, Enabled=False)
    # AWS deletes only a disabled accelerator whose last change has been deployed.
    if wait_for_deployed(client, arn, wait_timeout) is None:
        return True
    return delete_accelerator(client, arn)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        enabled=dict(type="bool"),
        ip_address_type=dict(type="str", choices=["IPV4", "DUAL_STACK"]),
        ip_addresses=dict(type="list", elements="str"),
        flow_logs=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool", required=True),
                s3_bucket=dict(type="str"),
                s3_prefix=dict(type="str"),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        cascade=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )
    module = AnsibleActiveActiveModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    errors = validate_accelerator_params(params)
    if errors:
        module.fail_json(msg=validation_failure_message(errors))

    client = ga_client(module)
    wait = params["wait"]
    wait_timeout = params["wait_timeout"]
    try:
        found = find_accelerator(client, params["name"])
        before = read_accelerator(client, found) if found else None

        if params["state"] == "absent":
            changed = bool(found) and delete(client, found, params["cascade"], module.check_mode, wait_timeout)
            after = None
        elif before is None:
            after = create(client, params, module.check_mode, wait, wait_timeout)
            changed = True
        else:
            changed, after = update(client, before, params, module.check_mode, wait, wait_timeout)
    except AnsibleGlobalAcceleratorError as e:
        module.fail_json_aws_error(e)

    normalized_before = normalize_accelerator(**before) if before else {}
    normalized_after = normalize_accelerator(**after) if after else {}
    module.exit_with_resource(changed, "accelerator", normalized_before, normalized_after, params["state"] == "present")


if __name__ == "__main__":
    main()
