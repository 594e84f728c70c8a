"""Reading request parameters the way the service validates them: bad input is InvalidArgumentException."""

import base64
import json
import re

from ...errors import AWSError

_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$")
DEFAULT_PAGE_SIZE = 10


def invalid(message: str) -> AWSError:
    return AWSError("InvalidArgumentException", message)


def limit_exceeded(message: str) -> AWSError:
    return AWSError("LimitExceededException", message)


def text(params: dict, key: str, *, required: bool = False, max_length: int = 255) -> str | None:
    value = _present(params, key, required)
    if value is not None and (not isinstance(value, str) or len(value) > max_length):
        raise invalid(f"{key} must be a string of at most {max_length} characters.")
    return value


def integer(params: dict, key: str, low: int, high: int, *, error: str = "InvalidArgumentException") -> int | None:
    value = _present(params, key, False)
    if value is not None and not (_is_int(value) and low <= value <= high):
        raise AWSError(error, f"{key} must be an integer from {low} to {high}, not {value!r}.")
    return value


def number(params: dict, key: str, low: float, high: float) -> float | None:
    value = _present(params, key, False)
    if value is None:
        return None
    if not (isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high):
        raise invalid(f"{key} must be a number from {low:g} to {high:g}, not {value!r}.")
    return float(value)


def flag(params: dict, key: str) -> bool | None:
    value = _present(params, key, False)
    if value is not None and not isinstance(value, bool):
        raise invalid(f"{key} must be true or false.")
    return value


def choice(params: dict, key: str, options: tuple[str, ...], *, required: bool = False) -> str | None:
    value = _present(params, key, required)
    if value is not None and value not in options:
        raise invalid(f"{key} must be one of {', '.join(options)}, not {value!r}.")
    return value


def records(params: dict, key: str, *, required: bool = False) -> list[dict] | None:
    """A list of objects, such as PortRanges or EndpointConfigurations."""
    value = _present(params, key, required)
    if value is not None and not (isinstance(value, list) and all(isinstance(item, dict) for item in value)):
        raise invalid(f"{key} must be a list of objects.")
    return value


def strings(params: dict, key: str, *, required: bool = False) -> list[str] | None:
    value = _present(params, key, required)
    if value is not None and not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
        raise invalid(f"{key} must be a list of strings.")
    return value


def accelerator_name(params: dict, *, required: bool = False) -> str | None:
    value = text(params, "Name", required=required)
    if value is not None and not _NAME.match(value):
        raise invalid(
            f"Invalid accelerator name {value!r}: use 1-64 letters, digits, '.' or '-', "
            "and do not begin or end with '-' or '.'."
        )
    return value


def tags(params: dict, key: str = "Tags", *, required: bool = False) -> dict[str, str]:
    result = {}
    for tag in records(params, key, required=required) or []:
        tag_key = text(tag, "Key", required=True, max_length=128)
        value = text(tag, "Value", required=True, max_length=256)
        if not tag_key:
            raise invalid("A tag key must have 1-128 characters.")
        result[tag_key] = value
    return result


def page(items: list, params: dict) -> tuple[list, str | None]:
    """One page of ``items`` (ordered by their ``seq``) and the token for the next, as the List operations do."""
    size = integer(params, "MaxResults", 1, 100) or DEFAULT_PAGE_SIZE
    token = text(params, "NextToken")
    start = _decode_token(token) if token is not None else 0
    remaining = [item for item in items if item.seq >= start]
    next_token = _encode_token(remaining[size].seq) if len(remaining) > size else None
    return remaining[:size], next_token


def _encode_token(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"from": seq}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        start = json.loads(base64.urlsafe_b64decode(token.encode()))["from"]
    except (ValueError, TypeError, KeyError):
        start = None
    if not _is_int(start):
        raise AWSError("InvalidNextTokenException", f"The token {token!r} is not valid.")
    return start


def _present(params: dict, key: str, required: bool):
    value = params.get(key)
    if value is None and required:
        raise invalid(f"{key} is required.")
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
