"""Unit tests of the accelerator routing decision (localcloud/dataplane/accelerator_routing.py): no sockets."""

import random
from collections import Counter

import botocore.session
import pytest

from localcloud.dataplane.accelerator_routing import (
    REGION_COORDINATES,
    Endpoint,
    Group,
    by_distance,
    choose,
    distance_km,
)

N = 4000


def endpoint(name, weight=128, health="HEALTHY", address="127.0.0.1"):
    return Endpoint(name, weight, health, address)


def group(region, *endpoints, dial=100.0):
    return Group(region, dial, tuple(endpoints or (endpoint(f"{region}-a"),)))


def shares(groups, client_region, n=N, seed=7, by="region"):
    rng = random.Random(seed)
    counts = Counter()
    for _ in range(n):
        choice = choose(groups, client_region, rng=rng)
        counts[
            None if choice is None else (choice.group.region if by == "region" else choice.endpoint.endpoint_id)
        ] += 1
    return {name: count / n for name, count in counts.items()}


def test_every_commercial_region_has_coordinates():
    partitions = botocore.session.get_session().get_data("endpoints")["partitions"]
    commercial = next(p for p in partitions if p["partition"] == "aws")
    assert set(commercial["regions"]) <= set(REGION_COORDINATES)


def test_great_circle_distances_are_plausible():
    assert distance_km("us-east-1", "us-east-1") == 0
    assert 3000 < distance_km("us-east-1", "us-west-2") < 3700
    assert 5000 < distance_km("us-east-1", "eu-west-1") < 5800
    assert distance_km("eu-west-1", "us-east-1") == distance_km("us-east-1", "eu-west-1")
    assert distance_km("us-east-1", "nowhere-1") == float("inf")


def test_groups_are_ordered_by_distance_from_the_client():
    groups = [group("ap-southeast-2"), group("eu-west-1"), group("us-west-2"), group("us-east-2")]
    assert [g.region for g in by_distance(groups, "us-east-1")] == [
        "us-east-2",
        "us-west-2",
        "eu-west-1",
        "ap-southeast-2",
    ]
    assert [g.region for g in by_distance(groups, "eu-central-1")][0] == "eu-west-1"
    assert [g.region for g in by_distance(groups, "ap-northeast-1")][0] == "ap-southeast-2"


def test_the_nearest_group_takes_all_traffic_at_full_dial():
    groups = [group("us-east-1"), group("eu-west-1"), group("ap-northeast-1")]
    assert shares(groups, "us-east-2") == {"us-east-1": 1.0}
    assert shares(groups, "eu-west-2") == {"eu-west-1": 1.0}
    assert shares(groups, "ap-northeast-2") == {"ap-northeast-1": 1.0}
    assert choose(groups, "us-east-2").how == "dial"


def test_a_dial_keeps_its_share_and_sends_the_rest_to_the_next_nearest_group():
    groups = [group("us-east-1", dial=30), group("us-west-2"), group("eu-west-1")]
    result = shares(groups, "us-east-1")
    assert set(result) == {"us-east-1", "us-west-2"}
    assert result["us-east-1"] == pytest.approx(0.30, abs=0.03)


def test_two_regions_at_half_dial_split_each_coast_half_and_half():
    # The developer guide's example: each coast is served half at home, half across; nothing is lost.
    groups = [group("us-east-1", dial=50), group("us-west-2", dial=50)]
    east = shares(groups, "us-east-1")
    west = shares(groups, "us-west-1")
    assert east["us-east-1"] == pytest.approx(0.5, abs=0.03) and east["us-west-2"] == pytest.approx(0.5, abs=0.03)
    assert west["us-west-2"] == pytest.approx(0.5, abs=0.03) and west["us-east-1"] == pytest.approx(0.5, abs=0.03)
    assert None not in east and None not in west


def test_dial_zero_skips_a_group_and_the_last_dialled_group_keeps_what_has_nowhere_else_to_go():
    groups = [group("us-east-1", dial=0), group("us-west-2", dial=40), group("eu-west-1", dial=0)]
    assert shares(groups, "us-east-1") == {"us-west-2": 1.0}


def test_all_dials_at_zero_route_nothing():
    groups = [group("us-east-1", dial=0), group("us-west-2", dial=0)]
    assert choose(groups, "us-east-1", rng=random.Random(1)) is None


def test_weights_split_traffic_in_proportion():
    g = group("us-east-1", endpoint("a", weight=64), endpoint("b", weight=192))
    result = shares([g], "us-east-1", by="endpoint")
    assert result["a"] == pytest.approx(0.25, abs=0.03)
    assert result["b"] == pytest.approx(0.75, abs=0.03)


def test_weights_split_hashed_keys_in_proportion_too():
    g = group("us-east-1", endpoint("a", weight=1), endpoint("b", weight=3))
    counts = Counter(choose([g], "us-east-1", key=f"10.0.{i // 250}.{i % 250}").endpoint.endpoint_id for i in range(N))
    assert counts["a"] / N == pytest.approx(0.25, abs=0.03)


def test_weight_zero_gets_nothing():
    g = group("us-east-1", endpoint("a", weight=0), endpoint("b", weight=1))
    assert shares([g], "us-east-1", by="endpoint") == {"b": 1.0}


def test_unhealthy_initial_and_non_serving_endpoints_get_nothing_while_another_is_available():
    g = group(
        "us-east-1",
        endpoint("sick", health="UNHEALTHY"),
        endpoint("new", health="INITIAL"),
        endpoint("dark", address=None),
        endpoint("ok"),
    )
    assert shares([g], "us-east-1", by="endpoint") == {"ok": 1.0}


def test_a_recovered_endpoint_takes_traffic_back_only_after_the_failback_delay(monkeypatch):
    from localcloud.dataplane import accelerators

    monkeypatch.setenv("LOCALCLOUD_TIME_SCALE", "1.0")  # globalaccelerator.failback: 30 s
    clock = [1000.0]
    monkeypatch.setattr(accelerators.time, "monotonic", lambda: clock[0])
    recoveries = accelerators.Recoveries()

    def recovering(health, key=("acct", "us-east-1", "alb")):
        return recoveries.recovering(key, health)

    # New endpoints take traffic as soon as they are healthy.
    assert [recovering(h) for h in ("INITIAL", "HEALTHY", "HEALTHY")] == [False, False, False]
    assert recovering("HEALTHY", key=("acct", "eu-west-1", "other")) is False
    # Unhealthy, then healthy again: held back for 30 s from the first healthy sighting.
    assert recovering("UNHEALTHY") is False
    clock[0] += 5
    assert recovering("HEALTHY") is True
    clock[0] += 29.9
    assert recovering("HEALTHY") is True
    clock[0] += 0.1
    assert recovering("HEALTHY") is False
    assert recovering("HEALTHY") is False
    # Unhealthy again while recovering starts over.
    recovering("UNHEALTHY")
    assert recovering("HEALTHY") is True
    recovering("UNHEALTHY")
    clock[0] += 31
    assert recovering("HEALTHY") is True
    recoveries.reset()
    assert recovering("HEALTHY") is False
    # While recovering, the group fails over as if its endpoint were still unhealthy.
    groups = [
        group("us-east-1", Endpoint("e", 128, "HEALTHY", "127.0.0.1", recovering=True)),
        group("eu-west-1", endpoint("eu")),
    ]
    assert shares(groups, "us-east-1") == {"eu-west-1": 1.0}
    assert choose(groups, "us-east-1").how == "failover"


def test_a_group_without_an_available_endpoint_fails_over_to_the_next_nearest_ignoring_dials():
    groups = [
        group("us-east-1", endpoint("e", health="UNHEALTHY")),
        group("us-west-2", endpoint("w"), dial=0),
        group("eu-west-1", endpoint("eu")),
    ]
    assert shares(groups, "us-east-1") == {"us-west-2": 1.0}
    assert choose(groups, "us-east-1").how == "failover"


def test_weight_zero_everywhere_in_a_group_fails_over():
    groups = [group("us-east-1", endpoint("e", weight=0)), group("eu-west-1", endpoint("eu"), dial=0)]
    assert shares(groups, "us-east-1") == {"eu-west-1": 1.0}


def test_failover_tries_only_the_three_closest_groups_then_fails_open_in_the_nearest():
    sick = dict(health="UNHEALTHY")
    groups = [
        group("us-east-1", endpoint("e1", **sick), endpoint("e2", weight=0, **sick)),
        group("us-east-2", endpoint("o", **sick)),
        group("us-west-2", endpoint("w", **sick)),
        group("eu-west-1", endpoint("eu")),  # healthy, but fourth closest to a client in us-east-1
    ]
    result = shares(groups, "us-east-1", by="endpoint")
    assert set(result) == {"e1", "e2"}  # a random endpoint of the nearest group, weight and health aside
    assert result["e1"] == pytest.approx(0.5, abs=0.04)
    assert choose(groups, "us-east-1").how == "fail-open"
    # The same groups seen from Europe: the healthy group is the nearest.
    assert shares(groups, "eu-west-2") == {"eu-west-1": 1.0}


def test_the_third_closest_group_still_takes_failover():
    sick = dict(health="UNHEALTHY")
    groups = [
        group("us-east-1", endpoint("e", **sick)),
        group("us-east-2", endpoint("o", **sick)),
        group("us-west-2", endpoint("w"), dial=0),
    ]
    assert shares(groups, "us-east-1") == {"us-west-2": 1.0}


def test_fail_open_goes_to_the_nearest_group_even_when_the_dial_sent_traffic_elsewhere():
    sick = dict(health="UNHEALTHY")
    groups = [group("us-east-1", endpoint("near", **sick), dial=0), group("eu-west-1", endpoint("far", **sick))]
    choice = choose(groups, "us-east-1", rng=random.Random(3))
    assert (choice.group.region, choice.how) == ("us-east-1", "fail-open")


def test_no_endpoints_at_all_route_nothing():
    assert choose([Group("us-east-1", 100.0, ())], "us-east-1") is None
    assert choose([], "us-east-1") is None


def test_an_affinity_key_keeps_its_endpoint_while_it_stays_healthy():
    names = [f"ep{i}" for i in range(6)]
    healthy = group("us-east-1", *(endpoint(n) for n in names))
    keys = [f"10.1.0.{i}" for i in range(60)]
    first = {key: choose([healthy], "us-east-1", key=key).endpoint.endpoint_id for key in keys}
    assert len(set(first.values())) > 1  # keys spread over the endpoints
    for _ in range(3):  # stable: same key, same endpoint, every time
        assert {key: choose([healthy], "us-east-1", key=key).endpoint.endpoint_id for key in keys} == first
    # ep0 turns unhealthy: its keys move, every other key stays where it was.
    degraded = group("us-east-1", endpoint("ep0", health="UNHEALTHY"), *(endpoint(n) for n in names[1:]))
    moved = {key: choose([degraded], "us-east-1", key=key).endpoint.endpoint_id for key in keys}
    for key in keys:
        if first[key] == "ep0":
            assert moved[key] != "ep0"
        else:
            assert moved[key] == first[key]


def test_an_affinity_key_keeps_its_side_of_a_dial():
    groups = [group("us-east-1", dial=50), group("us-west-2")]
    keys = [f"10.2.0.{i}" for i in range(200)]
    first = {key: choose(groups, "us-east-1", key=key).group.region for key in keys}
    assert 0.35 < Counter(first.values())["us-east-1"] / len(keys) < 0.65
    assert {key: choose(groups, "us-east-1", key=key).group.region for key in keys} == first


def test_without_a_key_choices_vary_per_connection():
    g = group("us-east-1", endpoint("a"), endpoint("b"))
    assert len({choose([g], "us-east-1").endpoint.endpoint_id for _ in range(200)}) == 2
