# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A failover drill's analysis: what every request saw, the failover and failback times, and a timeline SVG.

Samples are the traffic generator's JSON lines (``probe.generate_traffic``): ``seq``, ``t`` (send time,
epoch seconds), ``latency_ms``, ``status``, ``region``, ``error`` (None when the answer was a 2xx).

Definitions (all times are send times of requests):

- a request is **ok** when it got a 2xx, an **error** otherwise;
- **failover** ends at the first request, after the region was taken out, from which on every request
  until the region was restored is ok and served by another region; ``failover_seconds`` is that
  request's time minus the time the region was taken out. No such request: failover did not complete;
- **failback** ends at the first ok request served by the drill region after it was restored;
  ``failback_seconds`` is that request's time minus the time it was restored;
- **phases**: ``before`` (before out), ``failover`` (out to failover end), ``out`` (failover end to
  restore), ``failback`` (restore to failback end), ``after``. Every request is in exactly one.

The precision of both times is one request interval (1 / rate).
"""

import math
from collections import Counter
from xml.sax.saxutils import escape

PHASES = ("before", "failover", "out", "failback", "after")
ERROR_COLOUR = "#d62728"
REGION_COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")
NO_REGION = "(no answer)"


class DrillError(Exception):
    """Bad input; the message says what is wrong."""


def is_ok(sample):
    status = sample.get("status")
    return sample.get("error") is None and status is not None and 200 <= status < 300


def _check(samples, region_out, region_restored):
    for index, sample in enumerate(samples):
        if not isinstance(sample, dict) or not isinstance(sample.get("t"), (int, float)):
            raise DrillError(f"sample {index} has no numeric send time 't': {sample!r}"[:200])
    if not isinstance(region_out, (int, float)):
        raise DrillError("region_out must be a time in epoch seconds.")
    if region_restored is not None and region_restored < region_out:
        raise DrillError("region_restored is earlier than region_out.")


def analyze(samples, drill_region, region_out, region_restored=None):
    """The drill's figures and every sample with its ``phase`` and ``outcome`` (see the module docstring)."""
    _check(samples, region_out, region_restored)
    samples = sorted(samples, key=lambda s: (s["t"], s.get("seq", 0)))
    end_of_out = region_restored if region_restored is not None else math.inf

    def outcome(sample):
        if not is_ok(sample):
            return "error"
        return "drill_region" if sample.get("region") == drill_region else "other_region"

    outcomes = [outcome(s) for s in samples]
    pairs = [(s, outcomes[i]) for i, s in enumerate(samples)]
    baseline = Counter(s.get("region") for s, o in pairs if s["t"] < region_out and o != "error")
    baseline_region = baseline.most_common(1)[0][0] if baseline else None

    window = [i for i, s in enumerate(samples) if region_out <= s["t"] < end_of_out]
    last_bad = max((i for i in window if outcomes[i] != "other_region"), default=None)
    failover_end = next((i for i in window if last_bad is None or i > last_bad), None)
    failover_at = samples[failover_end]["t"] if failover_end is not None else None

    failback_at = None
    if region_restored is not None:
        failback_at = next(
            (s["t"] for s, o in pairs if s["t"] >= region_restored and o == "drill_region"),
            None,
        )

    def phase(t):
        if t < region_out:
            return "before"
        if t < end_of_out:
            return "failover" if failover_at is None or t < failover_at else "out"
        return "failback" if failback_at is None or t < failback_at else "after"

    classified = []
    for sample, result in pairs:
        entry = dict(sample, phase=phase(sample["t"]), outcome=result)
        classified.append(entry)

    def count(phase_name, what=None):
        return sum(1 for s in classified if s["phase"] == phase_name and (what is None or s["outcome"] == what))

    by_phase = {p: {"requests": count(p), "errors": count(p, "error")} for p in PHASES}
    by_region = Counter(s.get("region") or NO_REGION for s in classified)
    errors = sum(1 for s in classified if s["outcome"] == "error")
    report = {
        "drill_region": drill_region,
        "baseline_region": baseline_region,
        "region_out": region_out,
        "region_restored": region_restored,
        "failover": {
            "completed": failover_at is not None,
            "at": failover_at,
            "seconds": _round(failover_at - region_out) if failover_at is not None else None,
            "requests": count("failover"),
            "errors": count("failover", "error"),
            "served_by_drill_region": count("failover", "drill_region"),
        },
        "failback": {
            "completed": failback_at is not None,
            "at": failback_at,
            "seconds": _round(failback_at - region_restored) if failback_at is not None else None,
            "requests": count("failback"),
            "errors": count("failback", "error"),
        },
        "totals": {
            "requests": len(classified),
            "ok": len(classified) - errors,
            "errors": errors,
            "by_region": dict(sorted(by_region.items())),
            "by_phase": by_phase,
            "first_request": classified[0]["t"] if classified else None,
            "last_request": classified[-1]["t"] if classified else None,
        },
        "samples": classified,
    }
    if baseline_region is not None and baseline_region != drill_region:
        report["warning"] = (
            f"before the drill this client was served by {baseline_region}, not {drill_region}: "
            "taking the drill region out does not move its traffic"
        )
    report["headline"] = headline(report)
    return report


def _round(value):
    return round(value, 3)


def _seconds(value):
    return "not reached" if value is None else f"{value:.2f} s"


def headline(report):
    failover, failback = report["failover"], report["failback"]
    return (
        f"{report['drill_region']} out: failover {_seconds(failover['seconds'])} with {failover['errors']} "
        f"failed request(s); failback {_seconds(failback['seconds'])} with {failback['errors']} failed "
        f"request(s); {report['totals']['errors']} of {report['totals']['requests']} requests failed"
    )


def render_svg(report, width=1000, lane_height=46, title=None):
    """A timeline: one lane per region, a mark per request, errors in red, the drill's events and spans."""
    samples = report["samples"]
    regions = sorted({s.get("region") for s in samples if s.get("region")} | {report["drill_region"]})
    lanes = list(regions) + ([NO_REGION] if any(not s.get("region") for s in samples) else [])
    colours = {region: REGION_COLOURS[i % len(REGION_COLOURS)] for i, region in enumerate(regions)}
    left, right, top, bottom = 150, 20, 70, 60
    height = top + bottom + lane_height * len(lanes)
    times = [s["t"] for s in samples] + [report["region_out"]]
    if report["region_restored"] is not None:
        times.append(report["region_restored"])
    start, end = min(times), max(times)
    span = max(end - start, 1e-6)

    def x(t):
        return left + (t - start) / span * (width - left - right)

    def y(lane):
        return top + lane_height * lanes.index(lane) + lane_height / 2

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2:.1f}" y="22" text-anchor="middle" font-size="15" font-weight="bold">'
        f"{escape(title or report['headline'])}</text>",
    ]
    # Spans first, so marks stay visible on top of them.
    lane_top, lane_bottom = top, top + lane_height * len(lanes)
    spans = []
    if report["failover"]["at"] is not None:
        spans.append(("failover", report["region_out"], report["failover"]["at"], report["failover"]["seconds"]))
    if report["failback"]["at"] is not None:
        spans.append(("failback", report["region_restored"], report["failback"]["at"], report["failback"]["seconds"]))
    for name, begin, finish, seconds in spans:
        parts.append(
            f'<rect class="span {name}" x="{x(begin):.2f}" y="{lane_top}" width="{max(x(finish) - x(begin), 1):.2f}" '
            f'height="{lane_bottom - lane_top}" fill="#ffbb78" fill-opacity="0.35"/>'
        )
        parts.append(
            f'<text x="{(x(begin) + x(finish)) / 2:.2f}" y="{lane_top - 6}" text-anchor="middle">'
            f"{name} {seconds:.2f} s</text>"
        )
    for index, lane in enumerate(lanes):
        lane_y = top + lane_height * index
        label = f"{lane} (drill)" if lane == report["drill_region"] else lane
        parts.append(
            f'<line x1="{left}" y1="{lane_y + lane_height:.1f}" x2="{width - right}" y2="{lane_y + lane_height:.1f}" '
            f'stroke="#dddddd"/>'
        )
        parts.append(f'<text x="{left - 8}" y="{y(lane) + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    events = [("region out", report["region_out"])]
    if report["region_restored"] is not None:
        events.append(("region restored", report["region_restored"]))
    for name, t in events:
        parts.append(
            f'<line class="event" x1="{x(t):.2f}" y1="{top - 20}" x2="{x(t):.2f}" y2="{lane_bottom}" '
            f'stroke="black" stroke-width="1.5" stroke-dasharray="5,3"/>'
        )
        parts.append(f'<text x="{x(t) + 4:.2f}" y="{top - 24}">{escape(name)}</text>')
    for sample in samples:
        lane = sample.get("region") or NO_REGION
        colour = ERROR_COLOUR if sample["outcome"] == "error" else colours.get(lane, "#7f7f7f")
        detail = (
            f"#{sample.get('seq')} +{sample['t'] - start:.3f} s {sample.get('status')} {lane}"
            + (f" {sample['error']}" if sample.get("error") else "")
            + f" ({sample['phase']})"
        )
        parts.append(
            f'<circle class="sample {sample["outcome"]}" cx="{x(sample["t"]):.2f}" cy="{y(lane):.1f}" r="3.5" '
            f'fill="{colour}"><title>{escape(detail)}</title></circle>'
        )
    # Time axis in seconds from the first request.
    axis_y = lane_bottom + 18
    step = _tick_step(span)
    tick = 0.0
    while tick <= span + 1e-9:
        parts.append(
            f'<text x="{x(start + tick):.2f}" y="{axis_y}" text-anchor="middle" fill="#555555">{tick:g} s</text>'
        )
        tick += step
    legend_y = axis_y + 24
    legend = [(region, colours[region]) for region in regions] + [("error", ERROR_COLOUR)]
    legend_x = left
    for name, colour in legend:
        parts.append(f'<circle cx="{legend_x}" cy="{legend_y - 4}" r="5" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 9}" y="{legend_y}">{escape(name)}</text>')
        legend_x += 30 + 8 * len(name)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _tick_step(span):
    raw = span / 10
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude
