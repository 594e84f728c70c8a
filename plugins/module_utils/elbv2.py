# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Target group health check settings: read, compare and change (ModifyTargetGroup)."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Option name -> (ModifyTargetGroup field, lowest, highest); limits from the ELBv2 API reference.
HEALTH_CHECK_FIELDS = {
    "protocol": ("HealthCheckProtocol", None, None),
    "port": ("HealthCheckPort", None, None),
    "path": ("HealthCheckPath", None, None),
    "interval": ("HealthCheckIntervalSeconds", 5, 300),
    "timeout": ("HealthCheckTimeoutSeconds", 2, 120),
    "healthy_threshold": ("HealthyThresholdCount", 2, 10),
    "unhealthy_threshold": ("UnhealthyThresholdCount", 2, 10),
}


class AnsibleELBv2Error(AnsibleAWSError):
    pass


class TargetGroupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleELBv2Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("TargetGroupNotFound")


@TargetGroupErrorHandler.list_error_handler("describe target group")
@AWSRetry.jittered_backoff()
def describe_target_group(client, name_or_arn):
    """The target group with this name or ARN in the client's region, or None."""
    key = "TargetGroupArns" if name_or_arn.startswith("arn:") else "Names"
    groups = client.describe_target_groups(**{key: [name_or_arn]})["TargetGroups"]
    return groups[0] if groups else None


@TargetGroupErrorHandler.common_error_handler("modify target group health check")
@AWSRetry.jittered_backoff()
def modify_health_check(client, arn, **fields):
    return client.modify_target_group(TargetGroupArn=arn, **fields)["TargetGroups"][0]


def validate_health_check_params(params):
    """Problems with the requested settings, found before any call (a list of messages)."""
    errors = []
    for option, (_field, lowest, highest) in HEALTH_CHECK_FIELDS.items():
        value = params.get(option)
        if value is not None and lowest is not None and not lowest <= value <= highest:
            errors.append(f"{option} must be between {lowest} and {highest}, got {value}")
    path = params.get("path")
    if path is not None and (not path.startswith("/") or len(path) > 1024):
        errors.append(f"path must start with '/' and be at most 1024 characters, got {path!r}")
    port = params.get("port")
    if port is not None and port != "traffic-port" and not (port.isdigit() and 1 <= int(port) <= 65535):
        errors.append(f"port must be 'traffic-port' or a port number 1-65535, got {port!r}")
    codes = params.get("http_codes")
    if codes is not None and not all(part.strip().replace("-", "").isdigit() for part in codes.split(",")):
        errors.append(f"http_codes must be codes like '200', '200,202' or '200-299', got {codes!r}")
    interval, timeout = params.get("interval"), params.get("timeout")
    if interval is not None and timeout is not None and timeout >= interval:
        errors.append(f"timeout ({timeout}) must be smaller than interval ({interval})")
    return errors


def normalize_health_check(group):
    """The target group's health check settings in the module's terms (None for no group)."""
    if group is None:
        return None
    return {
        "target_group_arn": group.get("TargetGroupArn"),
        "target_type": group.get("TargetType"),
        "enabled": group.get("HealthCheckEnabled", False),
        "protocol": group.get("HealthCheckProtocol"),
        "port": group.get("HealthCheckPort"),
        "path": group.get("HealthCheckPath"),
        "interval": group.get("HealthCheckIntervalSeconds"),
        "timeout": group.get("HealthCheckTimeoutSeconds"),
        "healthy_threshold": group.get("HealthyThresholdCount"),
        "unhealthy_threshold": group.get("UnhealthyThresholdCount"),
        "http_codes": (group.get("Matcher") or {}).get("HttpCode"),
    }


def plan_health_check(current, params, enabled):
    """ModifyTargetGroup fields that differ from ``current`` (normalized); options left unset stay as they are."""
    changes = {}
    if current["enabled"] != enabled:
        changes["HealthCheckEnabled"] = enabled
    if not enabled:
        return changes
    for option, (field, _lowest, _highest) in HEALTH_CHECK_FIELDS.items():
        wanted = params.get(option)
        if wanted is not None and str(wanted) != str(current[option]):
            changes[field] = wanted
    if params.get("http_codes") is not None and params["http_codes"] != current["http_codes"]:
        changes["Matcher"] = {"HttpCode": params["http_codes"]}
    return changes


def predict_health_check(current, changes):
    """``current`` (normalized) with ``changes`` (ModifyTargetGroup fields) applied, for check mode."""
    predicted = dict(current)
    by_field = {field: option for option, (field, _lo, _hi) in HEALTH_CHECK_FIELDS.items()}
    for field, value in changes.items():
        if field == "HealthCheckEnabled":
            predicted["enabled"] = value
        elif field == "Matcher":
            predicted["http_codes"] = value["HttpCode"]
        else:
            predicted[by_field[field]] = value
    return predicted
