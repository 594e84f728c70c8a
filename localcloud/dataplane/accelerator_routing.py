"""Which endpoint a new connection to an accelerator goes to: a pure function of the listener's groups.

Global Accelerator's rules (/work/shared/aws-notes/global-accelerator.md section 5, and the developer
guide pages on traffic dials, endpoint weights and failover):

1. Groups are ordered by great-circle distance from the client's location to the group's region.
2. Traffic dial: the nearest group with a dial above 0 is where the client's traffic is headed; it
   keeps ``dial`` percent of it. The rest goes, whole, to the next nearest group with a dial above 0
   (the guide's two-Region example: each coast keeps 50 % at home and sends the other 50 % across,
   which is then not dialled down again). A group with dial 0 gets no traffic this way.
3. Weights: inside a group, an endpoint gets its weight's share of the total; weight 0 gets nothing.
4. Failover: when the group the traffic is headed for has no available endpoint (healthy, weight
   above 0, serving), the connection goes to the next nearest group that has one, ignoring dials;
   three groups are tried in all (the headed group, then the others nearest the client).
5. Fail open: when none of those three has one, a random endpoint of the nearest group (with any
   endpoint) is chosen, whatever its health or weight.

Every random draw is either ``rng.random()`` or, when a ``key`` is given, a stable hash of the key
and what is being drawn for, so a key (the source IP for ClientAffinity SOURCE_IP, the 5-tuple for
NONE) always gets the same answer while the groups stay the same. The endpoint inside a group is
picked by weighted rendezvous hashing: a key keeps its endpoint while that endpoint stays available,
whatever happens to the others.
"""

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

FAILOVER_GROUPS = 3

# Approximate location (latitude, longitude) of every commercial Region in botocore's "aws" partition,
# by the city AWS names for it. tests/localcloud/test_accelerator_routing.py checks the list is complete.
REGION_COORDINATES: dict[str, tuple[float, float]] = {
    "af-south-1": (-33.92, 18.42),  # Cape Town
    "ap-east-1": (22.32, 114.17),  # Hong Kong
    "ap-east-2": (25.03, 121.57),  # Taipei
    "ap-northeast-1": (35.68, 139.69),  # Tokyo
    "ap-northeast-2": (37.57, 126.98),  # Seoul
    "ap-northeast-3": (34.69, 135.50),  # Osaka
    "ap-south-1": (19.08, 72.88),  # Mumbai
    "ap-south-2": (17.39, 78.49),  # Hyderabad
    "ap-southeast-1": (1.35, 103.82),  # Singapore
    "ap-southeast-2": (-33.87, 151.21),  # Sydney
    "ap-southeast-3": (-6.21, 106.85),  # Jakarta
    "ap-southeast-4": (-37.81, 144.96),  # Melbourne
    "ap-southeast-5": (3.14, 101.69),  # Malaysia (Kuala Lumpur)
    "ap-southeast-6": (-36.85, 174.76),  # New Zealand (Auckland)
    "ap-southeast-7": (13.76, 100.50),  # Thailand (Bangkok)
    "ca-central-1": (45.50, -73.57),  # Montreal
    "ca-west-1": (51.05, -114.07),  # Calgary
    "eu-central-1": (50.11, 8.68),  # Frankfurt
    "eu-central-2": (47.38, 8.54),  # Zurich
    "eu-north-1": (59.33, 18.07),  # Stockholm
    "eu-south-1": (45.46, 9.19),  # Milan
    "eu-south-2": (41.65, -0.89),  # Spain (Aragon)
    "eu-west-1": (53.35, -6.26),  # Ireland (Dublin)
    "eu-west-2": (51.51, -0.13),  # London
    "eu-west-3": (48.86, 2.35),  # Paris
    "il-central-1": (32.09, 34.78),  # Tel Aviv
    "me-central-1": (25.20, 55.27),  # UAE
    "me-south-1": (26.07, 50.56),  # Bahrain
    "mx-central-1": (20.59, -100.39),  # Mexico (Queretaro)
    "sa-east-1": (-23.55, -46.63),  # Sao Paulo
    "us-east-1": (39.04, -77.49),  # N. Virginia (Ashburn)
    "us-east-2": (39.96, -83.00),  # Ohio (Columbus)
    "us-west-1": (37.77, -122.42),  # N. California
    "us-west-2": (45.84, -119.70),  # Oregon (Boardman)
}
_EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: str
    weight: int
    health: str  # the control plane's HealthState: INITIAL, HEALTHY or UNHEALTHY
    address: str | None = None  # where it serves; None when it does not
    recovering: bool = False  # healthy again after being unhealthy, but not yet routed to again

    @property
    def available(self) -> bool:
        return self.health == "HEALTHY" and not self.recovering and self.weight > 0 and self.address is not None


@dataclass(frozen=True)
class Group:
    region: str
    dial: float  # TrafficDialPercentage, 0-100
    endpoints: tuple[Endpoint, ...]

    @property
    def available(self) -> tuple[Endpoint, ...]:
        return tuple(endpoint for endpoint in self.endpoints if endpoint.available)


@dataclass(frozen=True)
class Choice:
    group: Group
    endpoint: Endpoint
    how: str  # "dial" (normal routing), "failover" or "fail-open"


def distance_km(region_a: str, region_b: str) -> float:
    """Great-circle (haversine) distance between two Regions' cities; unknown Regions are infinitely far."""
    if region_a not in REGION_COORDINATES or region_b not in REGION_COORDINATES:
        return math.inf
    (lat1, lon1), (lat2, lon2) = (map(math.radians, REGION_COORDINATES[r]) for r in (region_a, region_b))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def by_distance(groups: Sequence[Group], client_region: str) -> list[Group]:
    """Nearest first; equally far groups by Region name, so the order is always the same."""
    return sorted(groups, key=lambda group: (distance_km(client_region, group.region), group.region))


def choose(
    groups: Sequence[Group], client_region: str, key: str | None = None, rng: random.Random | None = None
) -> Choice | None:
    """The endpoint a new connection from a client in ``client_region`` goes to, or None when there is none.

    ``key`` makes every draw a stable hash (affinity); without it draws come from ``rng``.
    """
    if key is not None:
        draw = _hash_draw(key)
    else:
        source = rng or random
        draw = lambda label: source.random()  # noqa: E731
    ordered = by_distance(groups, client_region)
    headed = _headed_for(ordered, draw)
    if headed is not None:
        tries = [headed] + [group for group in ordered if group is not headed][: FAILOVER_GROUPS - 1]
        for attempt, group in enumerate(tries):
            if group.available:
                endpoint = _weighted(group.available, draw, "endpoint")
                return Choice(group, endpoint, "dial" if attempt == 0 else "failover")
    nearest = next((group for group in ordered if group.endpoints), None)
    if headed is None or nearest is None:
        return None
    return Choice(nearest, _uniform(nearest.endpoints, draw), "fail-open")


def _headed_for(ordered: list[Group], draw) -> Group | None:
    """The group the dials send this connection to: the nearest one with a dial above 0 keeps its share."""
    dialled = [group for group in ordered if group.dial > 0]
    if not dialled:
        return None
    first = dialled[0]
    if len(dialled) == 1 or _draw(draw, f"dial:{first.region}") * 100 < first.dial:
        return first
    return dialled[1]


def _weighted(endpoints: Sequence[Endpoint], draw, purpose: str) -> Endpoint:
    """Weighted rendezvous: the smallest -ln(u)/weight wins, with probability weight / total weight."""
    return min(
        endpoints,
        key=lambda endpoint: -math.log(_draw(draw, f"{purpose}:{endpoint.endpoint_id}")) / endpoint.weight,
    )


def _uniform(endpoints: Sequence[Endpoint], draw) -> Endpoint:
    return min(endpoints, key=lambda endpoint: _draw(draw, f"open:{endpoint.endpoint_id}"))


def _draw(draw, label: str) -> float:
    """A number in (0, 1): never 0, so the logarithm above is finite."""
    return max(draw(label), 1e-12)


def _hash_draw(key: str):
    def draw(label: str) -> float:
        digest = hashlib.sha256(f"{key}\0{label}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    return draw
