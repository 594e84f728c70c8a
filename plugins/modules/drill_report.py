#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: drill_report
short_description: Analyse a failover drill's traffic and write its report and timeline
version_added: 0.1.0
description:
  - Reads the requests M(activeactive.aws.http_traffic) recorded during a failover drill and measures the failover
    time (from O(region_out) to the first request from which on every request until O(region_restored) is
    answered by another region without error), the failback time (from O(region_restored) to the first request
    the drill region answers again) and the failed requests in each phase.
  - Classifies every request by phase (C(before), C(failover), C(out), C(failback), C(after)) and outcome
    (C(drill_region), C(other_region), C(error)).
  - Writes C(report.json) and C(timeline.svg) (one lane per region, a mark per request coloured by region,
    errors in red, the drill's events and the measured spans) to O(dest).
  - The times are as precise as the traffic's request interval.
  - Makes no AWS call; it is not part of the C(activeactive.aws.aws) action group.
options:
  samples:
    description: The JSON lines file the traffic was recorded in.
    type: path
    required: true
  drill_region:
    description: The region that was taken out.
    type: str
    required: true
  region_out:
    description: Epoch seconds when the region was taken out.
    type: float
    required: true
  region_restored:
    description: Epoch seconds when it was restored; not set when it never was.
    type: float
  dest:
    description: The directory to write C(report.json) and C(timeline.svg) to; created when missing.
    type: path
    required: true
  details:
    description: More facts for the report (method, URL, settings), kept under C(drill).
    type: dict
    default: {}
notes:
  - Check mode analyses nothing and writes nothing when O(samples) does not exist (a check-mode drill sends no
    traffic); otherwise it analyses and returns the figures but writes no file.
author:
  - activeactive.aws maintainers (@activeactive)
"""

EXAMPLES = r"""
- name: Analyse the drill
  activeactive.aws.drill_report:
    samples: /tmp/drill/samples.jsonl
    drill_region: us-east-1
    region_out: "{{ region_out_at }}"
    region_restored: "{{ region_restored_at }}"
    dest: ./drill-reports/20240101T120000
    details:
      method: outage
  register: drill

- name: Show the headline
  ansible.builtin.debug:
    msg: "{{ drill.headline }}"
"""

RETURN = r"""
report:
  description: The path of the JSON report (the figures below plus every request as C(samples)).
  returned: always
  type: str
  sample: ./drill-reports/20240101T120000/report.json
timeline:
  description: The path of the timeline picture.
  returned: always
  type: str
  sample: ./drill-reports/20240101T120000/timeline.svg
headline:
  description: The headline figures in one sentence.
  returned: always
  type: str
  sample: >-
    us-east-1 out: failover 1.20 s with 8 failed request(s); failback 0.70 s with 0 failed request(s);
    8 of 612 requests failed
failover:
  description:
    - C(completed), C(seconds), C(at), C(requests) and C(errors) of the failover phase, and
      C(served_by_drill_region), the requests the drill region still answered then.
  returned: always
  type: dict
  sample: {"completed": true, "seconds": 1.2, "at": 1700000003.2, "requests": 12, "errors": 8,
           "served_by_drill_region": 4}
failback:
  description: C(completed), C(seconds), C(at), C(requests) and C(errors) of the failback phase.
  returned: always
  type: dict
  sample: {"completed": true, "seconds": 0.7, "at": 1700000005.7, "requests": 7, "errors": 0}
totals:
  description: Requests, ok, errors, per region and per phase.
  returned: always
  type: dict
  sample: {"requests": 612, "ok": 604, "errors": 8, "by_region": {"us-east-1": 300}, "by_phase": {}}
baseline_region:
  description: The region that served most requests before the drill.
  returned: always
  type: str
  sample: us-east-1
warning:
  description: Set when the drill region did not serve this client before the drill.
  returned: when it applies
  type: str
  sample: "before the drill this client was served by eu-west-1, not us-east-1: ..."
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.activeactive.aws.plugins.module_utils.drill import DrillError, analyze, render_svg
from ansible_collections.activeactive.aws.plugins.module_utils.probe import ProbeError, read_samples


def main():
    module = AnsibleModule(
        argument_spec=dict(
            samples=dict(type="path", required=True),
            drill_region=dict(type="str", required=True),
            region_out=dict(type="float", required=True),
            region_restored=dict(type="float"),
            dest=dict(type="path", required=True),
            details=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    report_path, timeline_path = os.path.join(p["dest"], "report.json"), os.path.join(p["dest"], "timeline.svg")
    if not os.path.isfile(p["samples"]):
        if module.check_mode:
            module.exit_json(
                changed=False,
                report=report_path,
                timeline=timeline_path,
                failover={},
                failback={},
                totals={},
                baseline_region=None,
                headline="check mode: no traffic was sent, nothing to analyse",
            )
        module.fail_json(msg=f"samples file {p['samples']} does not exist: the traffic generator wrote nothing.")
    try:
        report = analyze(read_samples(p["samples"]), p["drill_region"], p["region_out"], p["region_restored"])
        svg = render_svg(report)
    except (DrillError, ProbeError) as e:
        module.fail_json(msg=str(e))
    report["drill"] = p["details"]
    if not module.check_mode:
        try:
            os.makedirs(p["dest"], exist_ok=True)
            with open(report_path, "w") as out:
                json.dump(report, out, indent=1, sort_keys=True)
            with open(timeline_path, "w") as out:
                out.write(svg)
        except OSError as e:
            module.fail_json(msg=f"cannot write the report to {p['dest']}: {e}")
    summary = {key: value for key, value in report.items() if key not in ("samples", "drill")}
    module.exit_json(changed=not module.check_mode, report=report_path, timeline=timeline_path, **summary)


if __name__ == "__main__":
    main()
