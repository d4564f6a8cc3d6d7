"""Token buckets per venue and endpoint group, loaded from configs/exchanges.json.

Groups: "trade" (place/cancel/amend), "query" (order/position/balance/fills), "account"
(leverage/margin/position mode), "market" (public REST). Each group is its own bucket, so
market-data and account polling can never starve an order; the "trade" group additionally
fails fast with `RateLimited` instead of queueing longer than `max_trading_wait_ms`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from arbcore.core.errors import ConfigError, RateLimited

TRADE = "trade"
QUERY = "query"
ACCOUNT = "account"
MARKET = "market"
GROUPS = (TRADE, QUERY, ACCOUNT, MARKET)
TRADING_GROUPS = frozenset({TRADE})


@dataclass(frozen=True, slots=True)
class RateLimitSpec:
    """A documented limit: `max_requests` per `per_seconds`."""

    max_requests: int
    per_seconds: float
    source: str = ""

    @property
    def rate_per_s(self) -> float:
        return self.max_requests / self.per_seconds


def load_rate_limits(path: Path | str) -> dict[str, dict[str, RateLimitSpec]]:
    """Read `{venue: {"rate_limits": {group: {max_requests, per_seconds, source}}}}`."""
    file = Path(path)
    try:
        raw = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{file}: cannot read rate limits: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: top level must be an object keyed by venue")
    out: dict[str, dict[str, RateLimitSpec]] = {}
    for venue, section in raw.items():
        if not isinstance(section, dict) or "rate_limits" not in section:
            continue
        groups: dict[str, RateLimitSpec] = {}
        for group, spec in section["rate_limits"].items():
            try:
                max_requests = int(spec["max_requests"])
                per_seconds = float(spec["per_seconds"])
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"{file}: {venue}.rate_limits.{group}: {exc!r}") from exc
            if max_requests <= 0 or per_seconds <= 0:
                raise ConfigError(f"{file}: {venue}.rate_limits.{group} must be positive")
            groups[group] = RateLimitSpec(max_requests, per_seconds, str(spec.get("source", "")))
        out[venue] = groups
    return out


class TokenBucket:
    """Classic token bucket; tokens may go negative, which queues later callers in order."""

    def __init__(
        self, rate_per_s: float, capacity: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate_per_s <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate_per_s = rate_per_s
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._last = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate_per_s)
        self._last = now

    def wait_needed_s(self) -> float:
        """Seconds until one token is available, without taking it."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate_per_s

    def reserve(self) -> float:
        """Take a token now (possibly borrowing) and return how long to wait before using it."""
        wait_s = self.wait_needed_s()
        self._tokens -= 1
        return wait_s

    def drain(self, pause_s: float) -> None:
        """The exchange said "too many": nothing more for `pause_s` seconds."""
        self._refill()
        self._tokens = min(self._tokens, -pause_s * self.rate_per_s)


@dataclass(slots=True)
class GroupStats:
    calls: int = 0
    waits: int = 0
    wait_s_total: float = 0.0
    refused: int = 0


@dataclass(slots=True)
class VenueRateLimiter:
    """The buckets of one venue; budget = `fraction` of each documented limit."""

    venue: str
    specs: Mapping[str, RateLimitSpec]
    fraction: float = 0.5
    max_trading_wait_ms: float = 50.0
    clock: Callable[[], float] = time.monotonic
    stats: dict[str, GroupStats] = field(default_factory=dict)
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.fraction <= 1:
            raise ConfigError(f"{self.venue}: rate budget fraction must be in (0, 1]")
        for group, spec in self.specs.items():
            rate = spec.rate_per_s * self.fraction
            capacity = max(1.0, spec.max_requests * self.fraction)
            self._buckets[group] = TokenBucket(rate, capacity, self.clock)
            self.stats[group] = GroupStats()

    def bucket(self, group: str) -> TokenBucket | None:
        return self._buckets.get(group)

    async def acquire(self, group: str) -> None:
        """Wait for a token of `group`; trading groups refuse instead of queueing long."""
        bucket = self._buckets.get(group)
        stats = self.stats.setdefault(group, GroupStats())
        stats.calls += 1
        if bucket is None:
            return
        if group in TRADING_GROUPS:
            needed_s = bucket.wait_needed_s()
            if needed_s * 1000 > self.max_trading_wait_ms:
                stats.refused += 1
                raise RateLimited(
                    self.venue,
                    f"own {group} budget exhausted: would wait {needed_s * 1000:.0f} ms",
                    retry_after_s=needed_s,
                )
        wait_s = bucket.reserve()
        if wait_s > 0:
            stats.waits += 1
            stats.wait_s_total += wait_s
            await asyncio.sleep(wait_s)

    def available_now(self, group: str) -> bool:
        """A token of `group` is there right now (pre-flight; takes nothing)."""
        bucket = self._buckets.get(group)
        return bucket is None or bucket.wait_needed_s() == 0

    def take_now(self, group: str) -> bool:
        """Take a token of `group` only if one is there now (the synchronous order path);
        False leaves the bucket untouched, for `acquire` to wait or refuse as usual."""
        bucket = self._buckets.get(group)
        if bucket is not None and bucket.wait_needed_s() > 0:
            return False
        self.stats.setdefault(group, GroupStats()).calls += 1
        if bucket is not None:
            bucket.reserve()
        return True

    def on_rate_limited(self, group: str, retry_after_s: float | None) -> None:
        """The exchange answered "too many requests": pause the group."""
        bucket = self._buckets.get(group)
        if bucket is not None:
            bucket.drain(retry_after_s if retry_after_s is not None else 1.0)


def build_limiter(
    venue: str,
    documented: Mapping[str, RateLimitSpec],
    path: Path | str | None,
    *,
    fraction: float = 0.5,
    max_trading_wait_ms: float = 50.0,
) -> VenueRateLimiter:
    """A limiter from the config file's section for `venue`, else the venue's documented defaults.

    Groups missing from the file keep the documented default.
    """
    specs = dict(documented)
    if path is not None and Path(path).exists():
        specs.update(load_rate_limits(path).get(venue, {}))
    return VenueRateLimiter(
        venue, specs, fraction=fraction, max_trading_wait_ms=max_trading_wait_ms
    )
