#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# ruff: noqa: E402  (Ansible modules import after their documentation)
DOCUMENTATION = r"""
---
module: target_group_health_check
version_added: 0.1.0
short_description: Turn on and tune the health checks of an Elastic Load Balancing target group
description:
  - Manages the health check settings of an existing target group of an Application or Network Load Balancer.
  - AWS creates target groups of type C(lambda) with health checks turned off, and
    M(community.aws.elb_target_group) cannot turn them on. Without health checks an ALB, and a Global Accelerator
    in front of it, keeps sending traffic to a region whose function fails. This module turns them on.
  - Settings left unset keep their current values. The target group itself, its targets and its tags stay with
    M(community.aws.elb_target_group); this module manages a setting of the group, which has no tags of its own.
author:
  - activeactive.aws maintainers (@activeactive)
options:
  target_group:
    description:
      - The target group, by name or by ARN (a value starting with V(arn:) is an ARN).
    type: str
    required: true
  protocol:
    description: The protocol of the health check.
    choices: ['HTTP', 'HTTPS', 'TCP']
    type: str
  port:
    description:
      - The port of the health check, V(traffic-port) or a number. Not used for C(lambda) target groups.
    type: str
  path:
    description: The path the health check requests, starting with C(/).
    type: str
  interval:
    description: Seconds between health checks, 5 to 300.
    type: int
  timeout:
    description: Seconds without an answer after which a check fails, 2 to 120; smaller than O(interval).
    type: int
  healthy_threshold:
    description: Consecutive successful checks before an unhealthy target is healthy again, 2 to 10.
    type: int
  unhealthy_threshold:
    description: Consecutive failed checks before a target is unhealthy, 2 to 10.
    type: int
  http_codes:
    description: The HTTP codes that mean healthy, for example V(200), V(200,202) or V(200-299).
    type: str
  state:
    description:
      - V(present) turns health checks on with the given settings, V(absent) turns them off (settings are kept).
    choices: ['present', 'absent']
    default: present
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - A target group that does not exist is an error, except in check mode, where an earlier task may be about to
    create it.
"""

EXAMPLES = r"""
# Note: These examples do not set authentication details, see the AWS Guide for details.

- name: Check a Lambda target's /health every 10 seconds; two failures take it out
  activeactive.aws.target_group_health_check:
    target_group: my-app-tg
    protocol: HTTP
    path: /health
    interval: 10
    timeout: 5
    healthy_threshold: 2
    unhealthy_threshold: 2
    http_codes: "200"

- name: Turn health checks off again
  activeactive.aws.target_group_health_check:
    target_group: my-app-tg
    state: absent
"""

RETURN = r"""
health_check:
  description: The health check settings of the target group after the change (predicted in check mode).
  returned: when the target group exists, or in check mode
  type: dict
  contains:
    target_group_arn:
      description: The ARN of the target group (null in check mode when it does not exist yet).
      type: str
      sample: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/my-app-tg/0123456789abcdef"
    target_type:
      description: The target type of the group.
      type: str
      sample: lambda
    enabled:
      description: Whether health checks are on.
      type: bool
      sample: true
    protocol:
      description: The protocol of the health check.
      type: str
      sample: HTTP
    port:
      description: The port of the health check (null for Lambda target groups).
      type: str
      sample: traffic-port
    path:
      description: The path of the health check.
      type: str
      sample: /health
    interval:
      description: Seconds between checks.
      type: int
      sample: 10
    timeout:
      description: Seconds before a check fails.
      type: int
      sample: 5
    healthy_threshold:
      description: Successful checks to become healthy.
      type: int
      sample: 2
    unhealthy_threshold:
      description: Failed checks to become unhealthy.
      type: int
      sample: 2
    http_codes:
      description: The HTTP codes that mean healthy.
      type: str
      sample: "200"
"""

from ansible_collections.activeactive.aws.plugins.module_utils.elbv2 import (
    AnsibleELBv2Error,
    describe_target_group,
    modify_health_check,
    normalize_health_check,
    plan_health_check,
    predict_health_check,
    validate_health_check_params,
)
from ansible_collections.activeactive.aws.plugins.module_utils.modules import AnsibleActiveActiveModule


def main():
    argument_spec = dict(
        target_group=dict(type="str", required=True),
        protocol=dict(type="str", choices=["HTTP", "HTTPS", "TCP"]),
        port=dict(type="str"),
        path=dict(type="str"),
        interval=dict(type="int"),
        timeout=dict(type="int"),
        healthy_threshold=dict(type="int"),
        unhealthy_threshold=dict(type="int"),
        http_codes=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleActiveActiveModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    errors = validate_health_check_params(params)
    if errors:
        module.fail_json(msg="Invalid health check settings: " + "; ".join(errors))

    client = module.client("elbv2")
    enabled = params["state"] == "present"
    try:
        group = describe_target_group(client, params["target_group"])
        if group is None:
            if not module.check_mode:
                module.fail_json(msg=f"Target group {params['target_group']} does not exist")
            module.warn(f"Target group {params['target_group']} does not exist; assuming an earlier task creates it")
            empty = dict.fromkeys(normalize_health_check({}), None)
            empty["enabled"] = False
            after = predict_health_check(empty, plan_health_check(empty, params, enabled))
            module.exit_with_resource(True, "health_check", None, after, True)
        before = normalize_health_check(group)
        changes = plan_health_check(before, params, enabled)
        after = before
        if changes:
            if module.check_mode:
                after = predict_health_check(before, changes)
            else:
                after = normalize_health_check(modify_health_check(client, group["TargetGroupArn"], **changes))
    except AnsibleELBv2Error as e:
        module.fail_json_aws_error(e)
    module.exit_with_resource(bool(changes), "health_check", before, after, True)


if __name__ == "__main__":
    main()
