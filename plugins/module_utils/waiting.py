# -*- coding: utf-8 -*-

# Copyright: Contributors to the activeactive.aws collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import time


class WaitTimeout(Exception):
    """The awaited state was not reached in time; ``last`` holds what was seen last."""

    def __init__(self, message, last=None):
        super().__init__(message)
        self.last = last


def wait_for(fetch, is_done, timeout, what, first_delay=0.5, max_delay=15.0):
    """Poll ``fetch()`` until ``is_done(result)`` holds, backing off from ``first_delay`` to ``max_delay``.

    Returns the last result. Raises WaitTimeout after ``timeout`` seconds. ``is_done`` may raise to
    stop waiting on a terminal failure.
    """
    deadline = time.monotonic() + timeout
    delay = first_delay
    while True:
        result = fetch()
        if is_done(result):
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"Timed out after {timeout} seconds waiting for {what}", last=result)
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, max_delay)
