"""drill: failover and failback times, error counts, phases, and the timeline SVG, from synthetic traffic."""

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.activeactive.aws.plugins.module_utils import drill

T0 = 1_700_000_000.0
SVG = "{http://www.w3.org/2000/svg}"


def traffic(plan, rate=10):
    """Samples at ``rate`` per second from T0: ``plan`` is a list of (count, region or None, status)."""
    samples, seq = [], 0
    for count, region, status in plan:
        for _ in range(count):
            ok = status is not None and 200 <= status < 300
            samples.append(
                {
                    "seq": seq + 1,
                    "t": T0 + seq / rate,
                    "latency_ms": 5.0,
                    "status": status,
                    "region": region,
                    "error": None if ok else ("ConnectionRefusedError" if status is None else f"HTTP {status}"),
                }
            )
            seq += 1
    return samples


# 2 s served by us-east-1; out at 2.0 s; 0.5 s of 503s and 0.3 s of refused connections; 2.2 s served by
# eu-west-1; restored at 5.0 s; 0.7 s more of eu-west-1 (it takes a while to be healthy again); back.
OUTAGE = [
    (20, "us-east-1", 200),
    (5, "us-east-1", 503),
    (3, None, None),
    (22, "eu-west-1", 200),
    (7, "eu-west-1", 200),
    (10, "us-east-1", 200),
]


def test_outage_measures_failover_failback_and_errors():
    report = drill.analyze(traffic(OUTAGE), "us-east-1", T0 + 2.0, T0 + 5.0)
    assert report["baseline_region"] == "us-east-1"
    assert report["failover"]["completed"] is True
    assert report["failover"]["seconds"] == pytest.approx(0.8)
    assert report["failover"]["errors"] == 8
    assert report["failover"]["requests"] == 8
    assert report["failback"]["completed"] is True
    assert report["failback"]["seconds"] == pytest.approx(0.7)
    assert report["failback"]["errors"] == 0
    assert report["totals"]["errors"] == 8
    assert report["totals"]["requests"] == 67
    assert report["totals"]["by_region"] == {"(no answer)": 3, "eu-west-1": 29, "us-east-1": 35}
    phases = report["totals"]["by_phase"]
    assert [phases[p]["requests"] for p in drill.PHASES] == [20, 8, 22, 7, 10]
    assert sum(p["requests"] for p in phases.values()) == len(report["samples"])
    assert {s["phase"] for s in report["samples"]} <= set(drill.PHASES)
    assert "failover 0.80 s with 8 failed request(s)" in report["headline"]
    assert "failback 0.70 s with 0 failed" in report["headline"]


def test_health_switch_without_errors_counts_requests_still_served_by_the_drill_region():
    plan = [
        (20, "ap-southeast-1", 200),
        (12, "ap-southeast-1", 200),
        (18, "us-east-1", 200),
        (5, "ap-southeast-1", 200),
    ]
    report = drill.analyze(traffic(plan), "ap-southeast-1", T0 + 2.0, T0 + 5.0)
    assert report["failover"]["seconds"] == pytest.approx(1.2)
    assert report["failover"]["errors"] == 0
    assert report["failover"]["served_by_drill_region"] == 12
    assert report["failback"]["seconds"] == pytest.approx(0.0)
    assert report["totals"]["errors"] == 0


def test_a_request_back_on_the_drill_region_restarts_the_failover_window():
    plan = [(10, "a", 200), (3, "b", 200), (1, "a", 200), (10, "b", 200)]
    report = drill.analyze(traffic(plan), "a", T0 + 1.0, T0 + 2.4)
    # The flap at 1.3 s means the steady state starts at 1.4 s.
    assert report["failover"]["seconds"] == pytest.approx(0.4)


def test_failover_and_failback_not_reached():
    plan = [(10, "a", 200), (10, "a", 503)]
    report = drill.analyze(traffic(plan), "a", T0 + 0.5, T0 + 1.5)
    assert report["failover"]["completed"] is False
    assert report["failover"]["seconds"] is None
    assert report["failback"]["completed"] is False
    assert report["failback"]["errors"] == 5
    assert "failover not reached" in report["headline"]


def test_a_drill_region_that_did_not_serve_this_client_is_warned_about():
    report = drill.analyze(traffic([(20, "b", 200)]), "a", T0 + 1.0, T0 + 1.5)
    assert "not a" in report["warning"]


def test_without_restore_time_everything_after_out_is_the_out_window():
    report = drill.analyze(traffic([(5, "a", 200), (5, "b", 200)]), "a", T0 + 0.5)
    assert report["failover"]["seconds"] == pytest.approx(0.0)
    assert report["failback"]["completed"] is False


@pytest.mark.parametrize(
    "samples,out,restored,message",
    [
        ([{"seq": 1}], T0, None, "sample 0 has no numeric send time"),
        ([], "soon", None, "region_out must be a time"),
        ([], T0, T0 - 1, "earlier than region_out"),
    ],
)
def test_bad_input_is_named(samples, out, restored, message):
    with pytest.raises(drill.DrillError, match=message):
        drill.analyze(samples, "a", out, restored)


def test_svg_is_xml_with_one_mark_per_sample_errors_in_red_and_the_events():
    report = drill.analyze(traffic(OUTAGE), "us-east-1", T0 + 2.0, T0 + 5.0)
    root = ET.fromstring(drill.render_svg(report))
    marks = [c for c in root.iter(f"{SVG}circle") if "sample" in c.get("class", "").split()]
    assert len(marks) == len(report["samples"]) == 67
    assert sum(1 for c in marks if c.get("fill") == drill.ERROR_COLOUR) == 8
    assert len([c for c in marks if "error" in c.get("class")]) == 8
    assert len([line for line in root.iter(f"{SVG}line") if line.get("class") == "event"]) == 2
    assert {r.get("class") for r in root.iter(f"{SVG}rect") if r.get("class")} == {"span failover", "span failback"}
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert report["headline"] in texts
    assert "failover 0.80 s" in texts and "failback 0.70 s" in texts
    assert "us-east-1 (drill)" in texts and "(no answer)" in texts
    # One lane per region: every mark of a region on the same line, different regions on different lines.
    lanes = {}
    for mark, sample in zip(marks, report["samples"], strict=False):
        lanes.setdefault(sample["region"] or "-", set()).add(mark.get("cy"))
    assert all(len(ys) == 1 for ys in lanes.values())
    assert len({next(iter(ys)) for ys in lanes.values()}) == 3


def test_svg_escapes_text():
    samples = traffic([(3, "a<b", 200)])
    report = drill.analyze(samples, "a<b", T0 + 0.1, T0 + 0.2)
    ET.fromstring(drill.render_svg(report, title="x & <y>"))
