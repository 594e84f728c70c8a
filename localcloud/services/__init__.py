"""Our layer's service handlers; importing this package registers them."""

from . import awslambda, dynamodb, elbv2, globalaccelerator  # noqa: F401
