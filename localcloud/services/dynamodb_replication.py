"""DynamoDB global tables: an item written in one member region reaches every other member after the lag.

A write is captured once moto has applied it: the item's new image, or a tombstone, is stamped with the write's
time and region and queued for each other member. One daemon thread applies due deliveries straight to moto's
backend. The last writer wins per item (ties go to the greater region name); a delivery checks no condition and
is not replicated again; a region made unreachable by a fault keeps its deliveries queued until it is back.
"""

import base64
import copy
import heapq
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field, replace

from moto.dynamodb.models.dynamo_type import DynamoType

from .. import delays, layer
from .dynamodb_global import LOCK, accepts_replication, destinations, moto_table, settle, table_name

log = logging.getLogger("localcloud.dynamodb")
UNREACHABLE_POLL_SECONDS = 0.05
Stamp = tuple[int, str]  # (write time in ns, region that took the write)


@dataclass(order=True)
class Delivery:
    due: float
    sequence: int
    table: str = field(compare=False)
    key: dict = field(compare=False)
    image: dict | None = field(compare=False)
    stamp: Stamp = field(compare=False)


_queues: dict[tuple[str, str], list[Delivery]] = {}
_stamps: dict[tuple[str, str, str, str], Stamp] = {}
_sequence = itertools.count()
_last_write_ns = 0
_wakeup = threading.Condition(LOCK)
_thread: threading.Thread | None = None


@layer.on_reset
def reset() -> None:
    with LOCK:
        _queues.clear()
        _stamps.clear()


def replicate_writes(account: str, region: str, operation: str, params: dict) -> None:
    """Queue what a successful write changed for the other members of each table's group."""
    for name, key in _written_items(account, region, operation, params):
        targets = destinations(account, region, name)
        if not targets:
            continue
        stamp = (_write_time(), region)
        _stamps[(account, region, name, _key_id(key))] = stamp
        image = _image(moto_table(account, region, name), key)
        due = time.monotonic() + delays.seconds("dynamodb.replication.lag")
        for target in targets:
            _enqueue(account, target, Delivery(due, next(_sequence), name, key, image, stamp))


def backfill(account: str, source: str, target: str, name: str) -> None:
    """A new replica starts with the source's items, their stamps and the deliveries still on their way to it."""
    replica = moto_table(account, target, name)
    for item in moto_table(account, source, name).all_items():
        replica.put_item(_attributes(item))
    for (item_account, region, table, key_id), stamp in list(_stamps.items()):
        if (item_account, region, table) == (account, source, name):
            _stamps[(account, target, name, key_id)] = stamp
    for delivery in list(_queues.get((account, source), [])):
        if delivery.table == name:
            _enqueue(account, target, replace(delivery, sequence=next(_sequence)))


def _written_items(account: str, region: str, operation: str, params: dict) -> list[tuple[str, dict]]:
    """(table, primary key) of every item a write request changed."""
    writes: list[tuple[str, dict]] = []
    if operation == "PutItem":
        writes.append((params["TableName"], params["Item"]))
    elif operation in ("UpdateItem", "DeleteItem"):
        writes.append((params["TableName"], params["Key"]))
    elif operation == "BatchWriteItem":
        for name, requests in params["RequestItems"].items():
            for request in requests:
                put, delete = request.get("PutRequest"), request.get("DeleteRequest")
                writes.append((name, put["Item"] if put else delete["Key"]))
    elif operation == "TransactWriteItems":
        for item in params["TransactItems"]:
            for kind in ("Put", "Update", "Delete"):
                if kind in item:
                    writes.append((item[kind]["TableName"], item[kind].get("Item") or item[kind]["Key"]))
    return [(table_name(name), _primary_key(account, region, table_name(name), attrs)) for name, attrs in writes]


def _primary_key(account: str, region: str, name: str, attributes: dict) -> dict:
    return {attr: _as_stored(attributes[attr]) for attr in moto_table(account, region, name).table_key_attrs}


def _as_stored(value: dict) -> dict:
    # The wire (so request.params) carries binary as base64; moto keeps bytes.
    return {"B": base64.b64decode(value["B"])} if isinstance(value.get("B"), str) else value


def _key_id(key: dict) -> str:
    return json.dumps(key, sort_keys=True, default=repr)


def _key_values(table, key: dict) -> tuple[DynamoType, DynamoType | None]:
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return DynamoType(key[table.hash_key_attr]), range_key


def _image(table, key: dict) -> dict | None:
    item = table.get_item(*_key_values(table, key))
    return _attributes(item) if item else None


def _attributes(item) -> dict:
    """An item's attributes as moto takes them in a put: a detached copy, binary as bytes."""
    return {name: value.to_regular_json() for name, value in item.attrs.items()}


def _write_time() -> int:
    """Nanoseconds, strictly increasing across all writes, so two writes never share a stamp by accident."""
    global _last_write_ns
    _last_write_ns = max(time.time_ns(), _last_write_ns + 1)
    return _last_write_ns


def _enqueue(account: str, region: str, delivery: Delivery) -> None:
    heapq.heappush(_queues.setdefault((account, region), []), delivery)
    _start_thread()
    _wakeup.notify()


def _start_thread() -> None:
    global _thread
    if _thread is None or not _thread.is_alive():
        _thread = threading.Thread(target=_deliver_forever, name="localcloud-dynamodb-replication", daemon=True)
        _thread.start()


def _deliver_forever() -> None:
    with _wakeup:
        while True:
            _wakeup.wait(timeout=_deliver_due(time.monotonic()))


def _deliver_due(now: float) -> float | None:
    """Apply every due delivery to a reachable region; the seconds until there is more to do, if ever."""
    settle()
    waits = []
    for (account, region), queue in _queues.items():
        if queue and _unreachable(region):
            waits.append(UNREACHABLE_POLL_SECONDS)
            continue
        while queue and queue[0].due <= now:
            _apply(account, region, heapq.heappop(queue))
        if queue:
            waits.append(queue[0].due - now)
    return min(waits, default=None)


def _unreachable(region: str) -> bool:
    return layer.faults is not None and layer.faults.blocks("dynamodb", region)


def _apply(account: str, region: str, delivery: Delivery) -> None:
    if not accepts_replication(account, region, delivery.table):
        return
    stamp_key = (account, region, delivery.table, _key_id(delivery.key))
    applied = _stamps.get(stamp_key)
    if applied is not None and delivery.stamp <= applied:
        return
    _stamps[stamp_key] = delivery.stamp
    table = moto_table(account, region, delivery.table)
    try:
        if delivery.image is None:
            table.delete_item(*_key_values(table, delivery.key))
        else:
            table.put_item(copy.deepcopy(delivery.image))
    except Exception:  # one bad delivery must not stop the others
        log.exception("replicating %s %s to %s failed", delivery.table, delivery.key, region)
