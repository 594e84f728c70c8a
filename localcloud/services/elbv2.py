"""ELBv2: a load balancer stays 'provisioning' for the delay profile's time, then turns 'active'.

An Application Load Balancer also gets its own loopback address when it is created, which is its ``DNSName``
and where the data plane (``localcloud/dataplane/load_balancers.py``) serves its listeners; the address is
released when the ALB is deleted. (moto already gives Lambda target groups AWS's health check defaults:
disabled, 35 s interval, 30 s timeout, path "/".)
"""

import time

from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

from .. import delays
from ..dataplane import load_balancers

_original_init = FakeLoadBalancer.__init__
_original_delete = ELBv2Backend.delete_load_balancer


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


FakeLoadBalancer.__init__ = _init
FakeLoadBalancer.activate = _activate
ELBv2Backend.delete_load_balancer = _delete_load_balancer
