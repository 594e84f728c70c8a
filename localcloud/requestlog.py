"""Every call the local cloud answered: how tests and benchmarks count AWS API calls."""

import threading
import time


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict] = []

    def record(self, **entry) -> None:
        entry.setdefault("time", time.time())
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
