"""ELBv2: a load balancer stays 'provisioning' for the delay profile's time, then turns 'active'."""

import time

from moto.elbv2.models import FakeLoadBalancer

from .. import delays

_original_init = FakeLoadBalancer.__init__


def _init(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.localcloud_created = time.monotonic()


def _activate(self) -> None:
    # moto turns 'active' on the first describe; AWS takes minutes.
    created = getattr(self, "localcloud_created", 0.0)
    if self.state == "provisioning" and time.monotonic() - created >= delays.seconds(
        "elbv2.load_balancer.provisioning"
    ):
        self.state = "active"


FakeLoadBalancer.__init__ = _init
FakeLoadBalancer.activate = _activate
