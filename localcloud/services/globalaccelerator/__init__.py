"""Global Accelerator's control plane for standard accelerators; moto has no Global Accelerator.

State is per account and in memory: accelerators turn DEPLOYED ``globalaccelerator.deploy`` seconds after
their last change, computed when read. Only requests signed for us-west-2 are served, as on AWS.
"""

import logging

from ... import layer
from ...errors import AWSError
from . import accelerators, endpoint_groups, listeners, model

HOME_REGION = "us-west-2"
log = logging.getLogger("localcloud.globalaccelerator")

OPERATIONS = {
    "CreateAccelerator": accelerators.create_accelerator,
    "UpdateAccelerator": accelerators.update_accelerator,
    "DescribeAccelerator": accelerators.describe_accelerator,
    "ListAccelerators": accelerators.list_accelerators,
    "DeleteAccelerator": accelerators.delete_accelerator,
    "DescribeAcceleratorAttributes": accelerators.describe_accelerator_attributes,
    "UpdateAcceleratorAttributes": accelerators.update_accelerator_attributes,
    "TagResource": accelerators.tag_resource,
    "UntagResource": accelerators.untag_resource,
    "ListTagsForResource": accelerators.list_tags_for_resource,
    "CreateListener": listeners.create_listener,
    "UpdateListener": listeners.update_listener,
    "DescribeListener": listeners.describe_listener,
    "ListListeners": listeners.list_listeners,
    "DeleteListener": listeners.delete_listener,
    "CreateEndpointGroup": endpoint_groups.create_endpoint_group,
    "UpdateEndpointGroup": endpoint_groups.update_endpoint_group,
    "DescribeEndpointGroup": endpoint_groups.describe_endpoint_group,
    "ListEndpointGroups": endpoint_groups.list_endpoint_groups,
    "DeleteEndpointGroup": endpoint_groups.delete_endpoint_group,
    "AddEndpoints": endpoint_groups.add_endpoints,
    "RemoveEndpoints": endpoint_groups.remove_endpoints,
}


@layer.handles("globalaccelerator")
def serve(request: layer.Request) -> layer.Response:
    if request.region != HOME_REGION:
        # What the us-west-2 endpoint says to a request signed for another region (AWS has no other endpoint).
        raise AWSError(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not '{request.region}'. "
            f"Global Accelerator is served only in {HOME_REGION}.",
            403,
        )
    operation = OPERATIONS.get(request.call.operation)
    if operation is None:
        raise AWSError(
            "UnknownOperationException",
            f"The local cloud does not implement globalaccelerator.{request.call.operation} "
            "(standard accelerators only).",
        )
    if not isinstance(request.params, dict):
        raise AWSError("InvalidArgumentException", "The request body must be a JSON object.")
    with model.LOCK:
        account = model.world.account(request.account_id)
        try:
            return layer.Response.json(operation(account, request.params))
        except AWSError:
            raise
        except Exception as exc:  # a bug here must still answer in AWS's shape, not as an HTML 500
            log.exception("globalaccelerator.%s failed", request.call.operation)
            raise AWSError(
                "InternalServiceErrorException", f"{request.call.operation} failed: {exc}", 500, False
            ) from exc


@layer.on_reset
def forget_everything() -> None:
    model.reset()
