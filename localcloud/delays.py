"""The delay profile: how long AWS takes for each timed state change, scaled by one factor.

Every duration is a typical real-AWS figure with its source. ``LOCALCLOUD_TIME_SCALE`` multiplies all of
them: 1.0 behaves like AWS (benchmarks), 0.01 makes a three-minute wait take under two seconds (tests).
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Delay:
    seconds: float
    source: str


PROFILE = {
    "elbv2.load_balancer.provisioning": Delay(
        180.0,
        "ALB state 'provisioning' then 'active'; typically 2-4 minutes. ELBv2 DescribeLoadBalancers docs "
        "(LoadBalancerState) and the load_balancer_available waiter (15 s x 40 attempts).",
    ),
    "globalaccelerator.deploy": Delay(
        120.0,
        "Accelerator IN_PROGRESS then DEPLOYED after any change; minutes in practice (TF timeouts raised "
        "from 5 to 30 minutes after users hit them: hashicorp/terraform-provider-aws#14161).",
    ),
    "globalaccelerator.failback": Delay(
        30.0,
        "After an unhealthy endpoint recovers, GA routes traffic back to it 'in about 30 seconds or so' "
        "(GA developer guide, about-endpoints-endpoint-weights, failover for unhealthy endpoints).",
    ),
    "dynamodb.table.create": Delay(
        10.0,
        "CreateTable: CREATING then ACTIVE, seconds for an empty on-demand table (DynamoDB developer guide).",
    ),
    "dynamodb.replica.create": Delay(
        300.0,
        "A new replica of an empty table: CREATING then ACTIVE in several minutes, longer with data "
        "(DynamoDB global tables developer guide, V2globaltables.tutorial).",
    ),
    "dynamodb.replica.delete": Delay(
        120.0,
        "Replica DELETING then gone; minutes (DynamoDB global tables developer guide).",
    ),
    "dynamodb.replica.listed": Delay(
        6.0,
        "A new replica's entry appears in Replicas[] about 6 s after the UpdateTable response; its region "
        "answers DescribeTable from then on (ACK dynamodb-controller api-quirks DDB-TABLE-226).",
    ),
    "dynamodb.replica.table_gone": Delay(
        30.0,
        "After a deleted replica's entry leaves Replicas[], its regional table 404s 10-35 s later; only then "
        "can the region be added again (ACK dynamodb-controller api-quirks DDB-TABLE-228, DDB-TABLE-308).",
    ),
    "dynamodb.replica.source_window": Delay(
        86400.0,
        "A region that sourced a replica cannot be deleted for 24 h while that replica exists: 'Replica cannot "
        "be deleted because it has acted as a source region ... last 24 hours' (DynamoDB global tables guide).",
    ),
    "dynamodb.table.update": Delay(
        40.0,
        "UpdateTable on a global table member (replica add/remove, deletion protection, table class, "
        "throughput): the table is UPDATING 31-47 s (ACK dynamodb-controller api-quirks DDB-TABLE-230, -267).",
    ),
    "dynamodb.replication.lag": Delay(
        1.0,
        "Global tables replicate 'typically within a second' (DynamoDB global tables How it works).",
    ),
}


def time_scale() -> float:
    return float(os.environ.get("LOCALCLOUD_TIME_SCALE", "1.0"))


def seconds(name: str) -> float:
    """The scaled duration of one timed state change."""
    return PROFILE[name].seconds * time_scale()


def describe() -> dict:
    scale = time_scale()
    return {
        "time_scale": scale,
        "delays": {
            name: {"aws_seconds": d.seconds, "seconds": d.seconds * scale, "source": d.source}
            for name, d in PROFILE.items()
        },
    }
