"""Global Accelerator: moto has none. Until the control plane lands, every call gets a clear AWS error."""

from .. import layer
from ..errors import AWSError


@layer.handles("globalaccelerator")
def not_served(request: layer.Request) -> layer.Response:
    raise AWSError(
        "InternalServiceErrorException",
        f"The local cloud does not serve Global Accelerator yet ({request.call.operation}).",
    )
