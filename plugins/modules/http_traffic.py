#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: http_traffic
short_description: Send steady HTTP traffic to a URL and record every request
version_added: 0.1.0
description:
  - Sends V(GET) requests to O(url) at O(rate) per second, each on a new connection (so a Global Accelerator
    static IP routes each one anew), until the file O(stop_file) exists or O(duration) seconds have passed.
  - Writes one JSON line per request to O(output) as it goes, C(seq), C(t) (send time, epoch seconds),
    C(latency_ms), C(status) (null without an HTTP answer), C(region) (the serving region, from the first of
    O(region_keys) in the JSON body) and C(error) (null for a 2xx answer, otherwise the network error or
    C(HTTP <status>)). M(activeactive.aws.drill_report) analyses the file.
  - Meant to run in the background with C(async) and C(poll=0) while a playbook acts, then collected with
    M(ansible.builtin.async_status).
  - Makes no AWS call; it is not part of the C(activeactive.aws.aws) action group.
options:
  url:
    description: The http:// or https:// URL to request.
    type: str
    required: true
  output:
    description: The JSON lines file to write (replaced). Missing parent directories are created.
    type: path
    required: true
  rate:
    description: Requests per second. A request that takes longer than one interval delays the next, no burst follows.
    type: float
    default: 10
  duration:
    description: Seconds after which the traffic stops at the latest.
    type: float
    default: 600
  stop_file:
    description: The traffic stops as soon as this file exists.
    type: path
  request_timeout:
    description: Seconds one request may take before it counts as an error.
    type: float
    default: 2
  region_keys:
    description: Keys of the JSON body that name the serving region, tried in order.
    type: list
    elements: str
    default: [region, served_from_region]
notes:
  - Check mode sends no request and writes nothing; RV(requests) is V(0).
author:
  - activeactive.aws maintainers (@activeactive)
"""

EXAMPLES = r"""
- name: Send traffic through the first static IP in the background
  activeactive.aws.http_traffic:
    url: "http://{{ accelerator_ip_addresses[0] }}/users?limit=1"
    output: /tmp/drill/samples.jsonl
    stop_file: /tmp/drill/stop
    rate: 10
    duration: 900
  async: 960
  poll: 0
  register: traffic

- name: Stop it
  ansible.builtin.file:
    path: /tmp/drill/stop
    state: touch
    mode: "0644"

- name: Collect it
  ansible.builtin.async_status:
    jid: "{{ traffic.ansible_job_id }}"
  register: traffic_done
  until: traffic_done is finished
  retries: 60
  delay: 1
"""

RETURN = r"""
output:
  description: The JSON lines file.
  returned: always
  type: str
  sample: /tmp/drill/samples.jsonl
requests:
  description: The number of requests sent.
  returned: always
  type: int
  sample: 612
ok:
  description: The number of 2xx answers.
  returned: always
  type: int
  sample: 601
errors:
  description: The number of requests without a 2xx answer.
  returned: always
  type: int
  sample: 11
by_region:
  description: Requests per serving region; C((none)) when the answer named none.
  returned: always
  type: dict
  sample: {"us-east-1": 300, "eu-west-1": 301, "(none)": 11}
started_at:
  description: Epoch seconds when the traffic started.
  returned: always
  type: float
  sample: 1700000000.0
ended_at:
  description: Epoch seconds when it stopped.
  returned: always
  type: float
  sample: 1700000061.2
stopped_by:
  description: V(stop_file) or V(duration); V(check_mode) in check mode.
  returned: always
  type: str
  sample: stop_file
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.activeactive.aws.plugins.module_utils.probe import ProbeError, generate_traffic


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            output=dict(type="path", required=True),
            rate=dict(type="float", default=10),
            duration=dict(type="float", default=600),
            stop_file=dict(type="path"),
            request_timeout=dict(type="float", default=2),
            region_keys=dict(type="list", elements="str", default=["region", "served_from_region"], no_log=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if module.check_mode:
        module.exit_json(
            changed=False,
            output=p["output"],
            requests=0,
            ok=0,
            errors=0,
            by_region={},
            started_at=None,
            ended_at=None,
            stopped_by="check_mode",
        )
    try:
        result = generate_traffic(
            p["url"],
            p["output"],
            rate=p["rate"],
            duration=p["duration"],
            stop_file=p["stop_file"],
            request_timeout=p["request_timeout"],
            region_keys=p["region_keys"],
        )
    except ProbeError as e:
        module.fail_json(msg=str(e))
    except OSError as e:
        module.fail_json(msg=f"cannot write {p['output']}: {e}")
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
