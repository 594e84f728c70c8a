#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: http_poll
short_description: Request a URL until its answer meets a condition, and time it
version_added: 0.1.0
description:
  - Sends O(method) requests to O(url), each on a new connection (so a Global Accelerator static IP routes each
    one anew), until O(consecutive) answers in a row have a status in O(status_code) and every JSON check of
    O(json_equals) and O(json_not_equals) holds, or O(timeout) seconds have passed.
  - Returns the epoch times of the first request of the satisfying run and of the answer that completed it, so a
    playbook can measure, for example, replication lag from a write's acknowledgement to the first read that
    sees it, with a precision of O(interval) plus one request.
  - A write (V(POST), V(PUT), V(DELETE)) is sent exactly once, never repeated, and returns the time it was acknowledged.
  - Network errors and unexpected statuses are answers that do not meet the condition, not failures.
  - Makes no AWS call; it is not part of the C(activeactive.aws.aws) action group.
options:
  url:
    description: The http:// or https:// URL.
    type: str
    required: true
  method:
    description: The request method. V(GET) and V(HEAD) are polled; V(POST), V(PUT) and V(DELETE) are sent once.
    type: str
    choices: [GET, HEAD, POST, PUT, DELETE]
    default: GET
  body:
    description: A JSON body, as a dict or list (sent as JSON) or a string.
    type: raw
  headers:
    description: More request headers.
    type: dict
    default: {}
  status_code:
    description: The statuses that count as success.
    type: list
    elements: int
    default: [200]
  json_equals:
    description: Dotted paths into the JSON answer (V(user.version)) and the value each must have.
    type: dict
    default: {}
  json_not_equals:
    description: Dotted paths into the JSON answer and a value each must not have; a missing path fails too.
    type: dict
    default: {}
  consecutive:
    description: How many answers in a row must meet the condition.
    type: int
    default: 1
  timeout:
    description: Seconds to keep polling; V(0) sends one request.
    type: float
    default: 60
  interval:
    description: Seconds between requests.
    type: float
    default: 0.5
  request_timeout:
    description: Seconds one request may take.
    type: float
    default: 10
  fail_on_timeout:
    description:
      - Fail when the condition is not met in time. With V(false) the module succeeds and RV(satisfied) says
        whether it was met, so a play can collect several checks and report them together.
    type: bool
    default: true
notes:
  - Check mode sends V(GET) and V(HEAD) requests (they change nothing) and does not send V(POST), V(PUT) or
    V(DELETE); then
    RV(sent) is V(false).
author:
  - activeactive.aws maintainers (@activeactive)
"""

EXAMPLES = r"""
- name: Wait until the region's ALB serves the user, and time it
  activeactive.aws.http_poll:
    url: "http://{{ alb_dns_name }}/user/validate-1"
    json_equals:
      user.version: 1
    interval: 0.2
    timeout: 120
  register: replicated

- name: Create a user through a static IP, and note when it was acknowledged
  activeactive.aws.http_poll:
    url: http://192.0.2.250/user
    method: POST
    body:
      userId: validate-1
      data: {}
    status_code: [201]
  register: created

- name: Wait until 5 health checks in a row are answered by another region than us-east-1
  activeactive.aws.http_poll:
    url: http://192.0.2.250/health
    json_not_equals:
      region: us-east-1
    consecutive: 5
    interval: 0.2
    timeout: 600
"""

RETURN = r"""
satisfied:
  description: Whether the condition was met.
  returned: always
  type: bool
  sample: true
sent:
  description: Whether any request was sent (V(false) for a write in check mode).
  returned: always
  type: bool
  sample: true
attempts:
  description: The number of requests sent.
  returned: always
  type: int
  sample: 3
started_at:
  description: Epoch seconds when the first request was sent.
  returned: always
  type: float
  sample: 1700000000.125
first_satisfied_sent_at:
  description: Epoch seconds when the first request of the satisfying run was sent.
  returned: always
  type: float
  sample: 1700000000.532
satisfied_at:
  description: Epoch seconds when the answer that met the condition arrived (a write's acknowledgement).
  returned: always
  type: float
  sample: 1700000000.547
elapsed:
  description: Seconds from RV(started_at) to RV(satisfied_at), or to the end when not satisfied.
  returned: always
  type: float
  sample: 0.422
status:
  description: The status of the last answer; null when none came back.
  returned: always
  type: int
  sample: 200
json:
  description: The last answer's body when it was JSON.
  returned: always
  type: raw
  sample: {"status": "healthy", "region": "us-east-1"}
error:
  description: Why the last request got no HTTP answer.
  returned: always
  type: str
  sample: "ConnectionRefusedError: [Errno 111] Connection refused"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.activeactive.aws.plugins.module_utils.probe import ProbeError, poll


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            method=dict(type="str", choices=["GET", "HEAD", "POST", "PUT", "DELETE"], default="GET"),
            body=dict(type="raw"),
            headers=dict(type="dict", default={}),
            status_code=dict(type="list", elements="int", default=[200]),
            json_equals=dict(type="dict", default={}),
            json_not_equals=dict(type="dict", default={}),
            consecutive=dict(type="int", default=1),
            timeout=dict(type="float", default=60),
            interval=dict(type="float", default=0.5),
            request_timeout=dict(type="float", default=10),
            fail_on_timeout=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    write = p["method"] in ("POST", "PUT", "DELETE")
    if write and module.check_mode:
        module.exit_json(
            changed=True,
            satisfied=False,
            sent=False,
            attempts=0,
            started_at=None,
            first_satisfied_sent_at=None,
            satisfied_at=None,
            elapsed=0.0,
            status=None,
            json=None,
            error=None,
            msg=f"check mode: {p['method']} {p['url']} not sent",
        )
    try:
        result = poll(
            p["url"],
            method=p["method"],
            body=p["body"],
            headers={k: str(v) for k, v in p["headers"].items()},
            status_codes=p["status_code"],
            json_equals=p["json_equals"],
            json_not_equals=p["json_not_equals"],
            consecutive=p["consecutive"],
            timeout=p["timeout"],
            interval=p["interval"],
            request_timeout=p["request_timeout"],
        )
    except ProbeError as e:
        module.fail_json(msg=str(e))
    result.pop("text", None)
    result.update(changed=write, sent=True)
    if not result["satisfied"] and p["fail_on_timeout"]:
        seen = f"HTTP {result['status']}" if result["status"] is not None else result["error"]
        module.fail_json(
            msg=(
                f"{p['method']} {p['url']}: the condition was not met after {result['attempts']} request(s) in "
                f"{result['elapsed']:.1f} s; last answer {seen}"
            ),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
