"""Loopback addresses for the data plane: one /16 of 127.0.0.0/8 per local cloud process.

Every process that runs a local cloud holds an exclusive lock on one block number B (1-254), so two
local clouds on one machine (make up, a pytest worker, molecule) never hand out the same address.
Inside the block, 127.B.1.1-127.B.127.254 are Global Accelerator static IPs and 127.B.128.1-127.B.254.254
are load balancer addresses. LOCALCLOUD_ADDRESS_BLOCK pins B.
"""

import fcntl
import os
import tempfile
import threading
from pathlib import Path

from ..errors import AWSError

_lock = threading.Lock()
_block: int | None = None
_lock_file = None

_RANGES = {"accelerator": (1, 127), "load_balancer": (128, 254)}


def block() -> int:
    """This process's block number, locked on first use and held until the process exits."""
    global _block, _lock_file
    with _lock:
        if _block is not None:
            return _block
        pinned = os.environ.get("LOCALCLOUD_ADDRESS_BLOCK")
        candidates = [int(pinned)] if pinned else range(1, 255)
        directory = Path(tempfile.gettempdir()) / "localcloud-address-blocks"
        directory.mkdir(exist_ok=True)
        for number in candidates:
            handle = open(directory / f"{number}.lock", "w")  # noqa: SIM115  (held for the process's life)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            _block, _lock_file = number, handle
            return number
        raise RuntimeError(f"no free loopback address block (tried {list(candidates)}); see {directory}")


class Pool:
    """Unique addresses of one kind, handed out in order and reused only after release."""

    def __init__(self, kind: str) -> None:
        self._first, self._last = _RANGES[kind]
        self._size = (self._last - self._first + 1) * 254
        self._in_use: set[str] = set()
        self._cursor = 0
        self._mutex = threading.Lock()

    def allocate(self, count: int = 1) -> list[str]:
        prefix = f"127.{block()}"
        with self._mutex:
            chosen = []
            for _ in range(self._size):
                third, fourth = self._first + self._cursor // 254, 1 + self._cursor % 254
                self._cursor = (self._cursor + 1) % self._size
                address = f"{prefix}.{third}.{fourth}"
                if address not in self._in_use:
                    chosen.append(address)
                    if len(chosen) == count:
                        self._in_use.update(chosen)
                        return chosen
        raise AWSError("InternalFailure", "The local cloud ran out of loopback addresses.", 500, False)

    def release(self, addresses: list[str]) -> None:
        with self._mutex:
            self._in_use.difference_update(addresses)

    def clear(self) -> None:
        with self._mutex:
            self._in_use.clear()
            self._cursor = 0
