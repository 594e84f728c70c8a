"""Unit tests (no network): `ansible_collections.activeactive.aws` importable from this checkout, shared fixtures.

pytest imports this file before the test modules below it, so their top-level
``from ansible_collections.activeactive.aws ... import`` finds the collection.
"""

import sys

import pytest

from tests.conftest import ensure_collection_link  # the root conftest's, importable as `pythonpath = .`

COLLECTIONS_PATH = ensure_collection_link()
if COLLECTIONS_PATH not in sys.path:
    sys.path.insert(0, COLLECTIONS_PATH)


@pytest.fixture
def no_sleep(monkeypatch):
    """No real sleeps in waits (``waiting.wait_for``) or AWSRetry backoffs; the delays asked for, in a list."""
    slept = []
    monkeypatch.setattr("ansible_collections.activeactive.aws.plugins.module_utils.waiting.time.sleep", slept.append)
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", slept.append)
    return slept
