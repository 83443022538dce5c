"""Failed authentication, throttled per client and per token id.

A client that keeps presenting bad tokens (a scanner, a misconfigured exporter retrying in a
loop, someone guessing) and a token id whose secret keeps failing are each allowed
``limit`` failures per ``window``; past that, every request from that client, or naming that
token id, answers ``429 Too Many Requests`` with ``Retry-After`` until the oldest failure
leaves the window, without the token being looked up. Successful requests are not counted.

The counts live in the process (each server process counts its own) and are bounded: at most
:data:`MAX_KEYS` clients and token ids are remembered, the least recently failing forgotten
first.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from datetime import datetime, timedelta

MAX_KEYS = 10_000
"""Clients and token ids remembered at most."""


class AuthThrottle:
    """Counts authentication failures per key (``client:…``, ``token:…``)."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._failures: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, keys: list[str], now: datetime) -> int | None:
        """Seconds until one of ``keys`` may try again, or None when none is throttled."""
        if self.limit <= 0:
            return None
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._failures.get(key)
                if times is None:
                    continue
                self._expire(times, now)
                if len(times) >= self.limit:
                    wait = max(wait, (times[0] + self.window - now).total_seconds())
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, keys: list[str], now: datetime) -> None:
        """Count a failure for each of ``keys``."""
        if self.limit <= 0:
            return
        with self._lock:
            for key in keys:
                times = self._failures.pop(key, None) or deque()
                self._expire(times, now)
                times.append(now)
                self._failures[key] = times  # most recently failing last
            while len(self._failures) > MAX_KEYS:
                self._failures.popitem(last=False)

    def _expire(self, times: deque[datetime], now: datetime) -> None:
        horizon = now - self.window
        while times and times[0] <= horizon:
            times.popleft()
