"""Our layer's service handlers; importing this package registers them."""

from . import dynamodb, elbv2, globalaccelerator  # noqa: F401
