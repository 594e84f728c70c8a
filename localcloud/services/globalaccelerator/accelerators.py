"""Accelerators, their attributes and their tags."""

from ...errors import AWSError
from . import model, params
from .model import Accelerator, Account
from .params import invalid, limit_exceeded

MAX_ACCELERATORS = 20
IP_ADDRESS_TYPES = ("IPV4", "DUAL_STACK")


def create_accelerator(account: Account, request: dict) -> dict:
    token = params.text(request, "IdempotencyToken", required=True)
    earlier = account.created_earlier("CreateAccelerator", token, account.accelerators)
    if earlier is not None:
        return {"Accelerator": describe(earlier)}
    name = params.accelerator_name(request, required=True)
    ip_address_type = params.choice(request, "IpAddressType", IP_ADDRESS_TYPES) or "IPV4"
    enabled = params.flag(request, "Enabled")
    tags = params.tags(request)
    if request.get("IpAddresses"):
        raise invalid("The local cloud does not serve bring-your-own IP addresses (IpAddresses).")
    if len(account.accelerators) >= MAX_ACCELERATORS:
        raise limit_exceeded(f"An account can have at most {MAX_ACCELERATORS} accelerators.")
    accelerator = Accelerator(
        arn=model.accelerator_arn(account.account_id),
        name=name,
        ip_address_type=ip_address_type,
        enabled=enabled is not False,
        ipv4_addresses=model.world.addresses.allocate(2),
        dns_label=model.dns_label(),
        tags=tags,
        seq=model.world.next_seq(),
    )
    accelerator.changed()
    account.accelerators[accelerator.arn] = accelerator
    account.remember_token("CreateAccelerator", token, accelerator.arn)
    return {"Accelerator": describe(accelerator)}


def update_accelerator(account: Account, request: dict) -> dict:
    accelerator = account.accelerator(request.get("AcceleratorArn"))
    name = params.accelerator_name(request)
    ip_address_type = params.choice(request, "IpAddressType", IP_ADDRESS_TYPES)
    enabled = params.flag(request, "Enabled")
    if request.get("IpAddresses"):
        raise invalid("You can't update the IP addresses of an existing accelerator.")
    _refuse_while_deploying(accelerator)
    if name is not None:
        accelerator.name = name
    if ip_address_type is not None:
        accelerator.ip_address_type = ip_address_type
    accelerator.changed()
    if enabled is False and accelerator.enabled:
        accelerator.disable()
    elif enabled:
        accelerator.enabled = True
    return {"Accelerator": describe(accelerator)}


def describe_accelerator(account: Account, request: dict) -> dict:
    return {"Accelerator": describe(account.accelerator(request.get("AcceleratorArn")))}


def list_accelerators(account: Account, request: dict) -> dict:
    chosen, next_token = params.page(list(account.accelerators.values()), request)
    return _without_none({"Accelerators": [describe(a) for a in chosen], "NextToken": next_token})


def delete_accelerator(account: Account, request: dict) -> dict:
    accelerator = account.accelerator(request.get("AcceleratorArn"))
    if accelerator.enabled or accelerator.disabling:
        raise AWSError(
            "AcceleratorNotDisabledException",
            f"The accelerator {accelerator.arn} must be disabled, and the disable deployed, before it is deleted.",
        )
    if account.listeners_of(accelerator):
        raise AWSError("AssociatedListenerFoundException", f"The accelerator {accelerator.arn} still has listeners.")
    _refuse_while_deploying(accelerator)
    del account.accelerators[accelerator.arn]
    model.world.addresses.release(accelerator.ipv4_addresses)
    return {}


def describe_accelerator_attributes(account: Account, request: dict) -> dict:
    accelerator = account.accelerator(request.get("AcceleratorArn"))
    return {"AcceleratorAttributes": dict(accelerator.flow_logs)}


def update_accelerator_attributes(account: Account, request: dict) -> dict:
    accelerator = account.accelerator(request.get("AcceleratorArn"))
    enabled = params.flag(request, "FlowLogsEnabled")
    bucket = params.text(request, "FlowLogsS3Bucket")
    prefix = params.text(request, "FlowLogsS3Prefix")
    if enabled and not (bucket and prefix):
        raise invalid("FlowLogsS3Bucket and FlowLogsS3Prefix are required when FlowLogsEnabled is true.")
    _refuse_while_deploying(accelerator)
    given = {"FlowLogsEnabled": enabled, "FlowLogsS3Bucket": bucket, "FlowLogsS3Prefix": prefix}
    accelerator.flow_logs.update(_without_none(given))
    accelerator.changed()
    return {"AcceleratorAttributes": dict(accelerator.flow_logs)}


def tag_resource(account: Account, request: dict) -> dict:
    new_tags = params.tags(request, required=True)
    _tagged(account, request).tags.update(new_tags)
    return {}


def untag_resource(account: Account, request: dict) -> dict:
    keys = params.strings(request, "TagKeys", required=True)
    arn = params.text(request, "ResourceArn", required=True, max_length=1011)
    # AWS: "succeeds even if you attempt to remove tags from an accelerator that was already removed".
    if model.is_accelerator_arn(arn) and arn not in account.accelerators:
        return {}
    accelerator = _tagged(account, request)
    for key in keys:
        accelerator.tags.pop(key, None)
    return {}


def list_tags_for_resource(account: Account, request: dict) -> dict:
    arn = params.text(request, "ResourceArn", required=True, max_length=1011)
    if model.is_listener_arn(arn):
        account.listener(arn)
        return {"Tags": []}
    if model.is_endpoint_group_arn(arn):
        account.endpoint_group(arn)
        return {"Tags": []}
    return {"Tags": _tag_list(account.accelerator(arn).tags)}


def describe(accelerator: Accelerator) -> dict:
    ip_sets = [_ip_set("IPv4", accelerator.ipv4_addresses)]
    if accelerator.ip_address_type == "DUAL_STACK":
        ip_sets.append(_ip_set("IPv6", accelerator.ipv6_addresses))
    shape = {
        "AcceleratorArn": accelerator.arn,
        "Name": accelerator.name,
        "IpAddressType": accelerator.ip_address_type,
        "Enabled": accelerator.enabled,
        "IpSets": ip_sets,
        "DnsName": f"{accelerator.dns_label}.awsglobalaccelerator.com",
        "Status": accelerator.status,
        "CreatedTime": accelerator.created_time,
        "LastModifiedTime": accelerator.last_modified_time,
    }
    if accelerator.ip_address_type == "DUAL_STACK":
        shape["DualStackDnsName"] = f"{accelerator.dns_label}.dualstack.awsglobalaccelerator.com"
    return shape


def _ip_set(family: str, addresses: list[str]) -> dict:
    return {
        "IpFamily": family,
        "IpAddresses": list(addresses),
        "IpAddressFamily": family,
        "IpAddressDetails": [{"IpAddress": address} for address in addresses],
    }


def _tagged(account: Account, request: dict) -> Accelerator:
    """Only accelerators carry tags: any other ARN is an unknown accelerator."""
    arn = params.text(request, "ResourceArn", required=True, max_length=1011)
    if arn not in account.accelerators:
        raise AWSError("AcceleratorNotFoundException", f"The accelerator {arn} does not exist.")
    return account.accelerators[arn]


def _refuse_while_deploying(accelerator: Accelerator) -> None:
    if accelerator.status == "IN_PROGRESS":
        raise AWSError(
            "TransactionInProgressException",
            f"There's already a transaction in progress for {accelerator.arn}: wait for Status DEPLOYED.",
        )


def _tag_list(tags: dict[str, str]) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _without_none(shape: dict) -> dict:
    return {key: value for key, value in shape.items() if value is not None}
