"""Fault injection: matching calls fail as AWS would fail them."""

import random
import threading

from .errors import AWSError

_MATCH_KEYS = ("service", "operation", "region")


class FaultError(ValueError):
    pass


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[dict] = []

    def add(self, spec: dict) -> dict:
        if not isinstance(spec, dict) or not spec.get("error_code"):
            raise FaultError("a fault needs at least 'error_code'")
        unknown = set(spec) - {*_MATCH_KEYS, "error_code", "status", "message", "count", "probability"}
        if unknown:
            raise FaultError(f"unknown fault keys: {sorted(unknown)}")
        if "count" in spec and "probability" in spec:
            raise FaultError("give either 'count' or 'probability', not both")
        probability = spec.get("probability")
        if probability is not None and not 0 <= float(probability) <= 1:
            raise FaultError("'probability' must be between 0 and 1")
        fault = {
            **{k: spec.get(k) for k in _MATCH_KEYS},
            "error_code": spec["error_code"],
            "status": int(spec.get("status", 400)),
            "message": spec.get("message") or f"Injected fault: {spec['error_code']}",
            "count": None if probability is not None else spec.get("count"),
            "probability": probability,
        }
        with self._lock:
            self._faults.append(fault)
        return fault

    def list(self) -> list[dict]:
        with self._lock:
            return [dict(f) for f in self._faults]

    def clear(self, **match: str) -> int:
        """Remove the faults whose keys equal every given ``match`` (all of them when none is given)."""
        unknown = set(match) - {*_MATCH_KEYS, "error_code"}
        if unknown:
            raise FaultError(f"unknown fault keys: {sorted(unknown)}")
        with self._lock:
            kept = [f for f in self._faults if any(f[k] != v for k, v in match.items())]
            removed = len(self._faults) - len(kept)
            self._faults[:] = kept
        return removed

    def check(self, service: str, operation: str, region: str) -> None:
        """Raise the first matching fault's error, consuming one of its count."""
        call = {"service": service, "operation": operation, "region": region}
        with self._lock:
            for fault in self._faults:
                if any(fault[k] not in (None, call[k]) for k in _MATCH_KEYS):
                    continue
                if fault["probability"] is not None:
                    if random.random() >= float(fault["probability"]):
                        continue
                elif fault["count"] is not None:
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self._faults.remove(fault)
                raise AWSError(fault["error_code"], fault["message"], fault["status"], fault["status"] < 500)

    def blocks(self, service: str, region: str) -> bool:
        """Whether the region is unreachable for the service: a certain fault on every call to it is active."""
        with self._lock:
            return any(
                fault["region"] == region
                and fault["service"] in (None, service)
                and fault["operation"] is None
                and fault["probability"] is None
                for fault in self._faults
            )
