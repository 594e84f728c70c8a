"""Our layer in front of moto: handlers by service and operation, and hooks run on reset.

A handler takes a ``Request`` and returns a ``Response`` (or raises ``AWSError``). It may call
``request.forward()`` to have moto answer first and then correct what moto gets wrong.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from .faults import Faults
from .protocol import Call


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @classmethod
    def json(cls, data: dict, status: int = 200, content_type: str = "application/x-amz-json-1.1") -> "Response":
        return cls(status, {"Content-Type": content_type}, json.dumps(data, default=str).encode())

    def parsed(self) -> dict:
        return json.loads(self.body or b"{}")


@dataclass
class Request:
    call: Call
    account_id: str
    headers: dict
    body: bytes
    forward: Callable[[], Response]
    path: str = ""  # the URL path, percent-decoded (REST protocols carry parameters in it)
    query: str = ""  # the raw query string

    @property
    def params(self) -> dict:
        return self.call.params

    @property
    def region(self) -> str:
        return self.call.region


Handler = Callable[[Request], Response]
# The running local cloud's faults, for work done outside any request (set by LocalCloud).
faults: Faults | None = None
_handlers: dict[tuple[str, str], Handler] = {}
_reset_hooks: list[Callable[[], None]] = []


def handles(service: str, *operations: str) -> Callable[[Handler], Handler]:
    """Register a handler for these operations of a service, or for the whole service when none are named."""

    def register(fn: Handler) -> Handler:
        for operation in operations or ("*",):
            _handlers[(service, operation)] = fn
        return fn

    return register


def on_reset(fn: Callable[[], None]) -> Callable[[], None]:
    _reset_hooks.append(fn)
    return fn


def find(service: str, operation: str) -> Handler | None:
    return _handlers.get((service, operation)) or _handlers.get((service, "*"))


def reset() -> None:
    for hook in _reset_hooks:
        hook()
