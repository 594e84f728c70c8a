"""ELBv2: a load balancer stays 'provisioning' for the delay profile's time, then turns 'active'.

An Application Load Balancer also gets its own loopback address when it is created, which is its ``DNSName``
and where the data plane (``localcloud/dataplane/load_balancers.py``) serves its listeners; the address is
released when the ALB is deleted. Lambda target groups get AWS's health check defaults (moto's are those of
instance target groups).
"""

import time

from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer, FakeTargetGroup

from .. import delays
from ..dataplane import load_balancers

_original_init = FakeLoadBalancer.__init__
_original_delete = ELBv2Backend.delete_load_balancer
_original_target_group_init = FakeTargetGroup.__init__


def _init(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.localcloud_created = time.monotonic()
    if self.type == "application":
        # The address is the DNS name: `curl http://<DNSName>/` works with no resolver change.
        self.dns_name = load_balancers.allocate(self.arn)


def _activate(self) -> None:
    # moto turns 'active' on the first describe; AWS takes minutes.
    created = getattr(self, "localcloud_created", 0.0)
    if self.state == "provisioning" and time.monotonic() - created >= delays.seconds(
        "elbv2.load_balancer.provisioning"
    ):
        self.state = "active"


def _delete_load_balancer(self, arn: str) -> None:
    _original_delete(self, arn)
    load_balancers.release(arn)


def _target_group_init(self, *args, **kwargs):
    _original_target_group_init(self, *args, **kwargs)
    if self.target_type == "lambda":
        # CreateTargetGroup: "If the target type is lambda, health checks are disabled by default", the interval
        # defaults to 35 s, the timeout to 30 s, the path to "/" (moto: enabled, 30 s, 10 s, no path).
        given = dict(zip(_TARGET_GROUP_ARGS, args, strict=False)) | kwargs
        if given.get("healthcheck_enabled") not in ("true", "false"):
            self.health_check_enabled = False
        if not given.get("healthcheck_interval_seconds"):
            self.health_check_interval_seconds = 35
        if not given.get("healthcheck_timeout_seconds"):
            self.health_check_timeout_seconds = 30
        if not given.get("healthcheck_path"):
            self.health_check_path = "/"
        if not getattr(self, "matcher", None):
            self.matcher = {"HttpCode": "200"}


_TARGET_GROUP_ARGS = (
    "name",
    "account_id",
    "region_name",
    "vpc_id",
    "protocol",
    "port",
    "protocol_version",
    "healthcheck_protocol",
    "healthcheck_port",
    "healthcheck_path",
    "healthcheck_interval_seconds",
    "healthcheck_timeout_seconds",
    "healthcheck_enabled",
)

FakeLoadBalancer.__init__ = _init
FakeLoadBalancer.activate = _activate
ELBv2Backend.delete_load_balancer = _delete_load_balancer
FakeTargetGroup.__init__ = _target_group_init
