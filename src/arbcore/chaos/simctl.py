"""The chaos run's view of the simulator: control API client and the naked-exposure sampler."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp

from arbcore.core.enums import Venue

_TIMEOUT = aiohttp.ClientTimeout(total=5)


class SimUnavailable(Exception):
    """The venue's port is closed for now (a refuse_connections fault) or did not answer."""


class SimControl:
    """`/__sim` routes of every venue of one `arbcore sim` process."""

    def __init__(self, endpoints: dict[Venue, dict[str, Any]]) -> None:
        self.endpoints = endpoints
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SimControl:
        self._http = aiohttp.ClientSession(timeout=_TIMEOUT)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()

    async def call(
        self, venue: Venue, method: str, route: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        assert self._http is not None
        url = f"{self.endpoints[venue]['rest_url']}/__sim/{route}"
        try:
            async with self._http.request(method, url, json=body) as response:
                data: dict[str, Any] = await response.json()
                if response.status >= 400:
                    raise ValueError(f"{venue.value} {route}: {data}")
                return data
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise SimUnavailable(f"{venue.value}: {exc}") from exc

    async def call_retrying(
        self, venue: Venue, method: str, route: str, body: dict[str, Any] | None = None,
        timeout_s: float = 15.0,
    ) -> dict[str, Any]:  # fmt: skip
        """`call`, waiting out a refused port (it reopens after the fault's seconds)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return await self.call(venue, method, route, body)
            except SimUnavailable:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    def account(self, venue: Venue) -> str:
        return str(self.endpoints[venue]["api_key"])

    async def positions(self, venue: Venue) -> list[dict[str, Any]]:
        state = await self.call(venue, "GET", f"truth?account={self.account(venue)}&orders=0")
        positions: list[dict[str, Any]] = state["positions"]
        return positions

    async def truth(self, venue: Venue) -> dict[str, Any]:
        return await self.call_retrying(venue, "GET", f"truth?account={self.account(venue)}")

    async def applied_faults(self) -> dict[str, int]:
        """Faults that hit the wire or an order, by kind, summed over venues."""
        total: dict[str, int] = {}
        for venue in self.endpoints:
            data = await self.call_retrying(venue, "GET", "faults")
            for kind, count in data["counters"]["applied"].items():
                total[kind] = total.get(kind, 0) + int(count)
        return total


@dataclass(slots=True)
class NakedTracker:
    """Periods of non-zero net base exposure per symbol across venues, from samples."""

    max_naked_ms: float = 0.0
    max_naked_outside_kills_ms: float = 0.0
    periods: int = 0
    samples: int = 0
    missed_samples: int = 0
    longest: list[dict[str, Any]] = field(default_factory=list)  # the 5 longest periods
    _since: dict[str, tuple[float, float]] = field(default_factory=dict)  # monotonic, wall
    _kill_marks: list[float] = field(default_factory=list)
    last_net: dict[str, Decimal] = field(default_factory=dict)

    def note_kill(self, at_s: float) -> None:
        self._kill_marks.append(at_s)

    def observe(self, net: dict[str, Decimal], now_s: float) -> None:
        self.samples += 1
        self.last_net = net
        for symbol in {*net, *self._since}:  # flat symbols are absent from `net`
            qty = net.get(symbol, Decimal(0))
            if qty != 0 and symbol not in self._since:
                self._since[symbol] = (now_s, time.time())
            elif qty == 0 and symbol in self._since:
                self._close(symbol, *self._since.pop(symbol), now_s)

    def finish(self, now_s: float) -> None:
        for symbol, (started, wall) in self._since.items():
            self._close(symbol, started, wall, now_s)
        self._since.clear()

    def _close(self, symbol: str, started_s: float, wall_s: float, ended_s: float) -> None:
        duration_ms = (ended_s - started_s) * 1000
        self.periods += 1
        self.max_naked_ms = max(self.max_naked_ms, duration_ms)
        # a kill, or the restart after it, inside the period explains it
        killed = any(started_s - 1.0 <= k <= ended_s for k in self._kill_marks)
        if not killed:
            self.max_naked_outside_kills_ms = max(self.max_naked_outside_kills_ms, duration_ms)
        period = {
            "symbol": symbol,
            "started_utc": datetime.fromtimestamp(wall_s, UTC).strftime("%H:%M:%S.%f")[:-3],
            "duration_ms": round(duration_ms),
            "kill_inside": killed,
        }
        self.longest = sorted([*self.longest, period], key=lambda p: -p["duration_ms"])[:5]


def net_exposure(positions: dict[Venue, list[dict[str, Any]]]) -> dict[str, Decimal]:
    """Signed base quantity per symbol summed over venues (from /__sim/state or truth)."""
    net: dict[str, Decimal] = {}
    for held in positions.values():
        for position in held:
            signed = position.get("signed_base")
            if signed is None:
                qty = Decimal(position["qty"])
                signed = -qty if position["side"] == "short" else qty
            net[position["symbol"]] = net.get(position["symbol"], Decimal(0)) + Decimal(signed)
    return net


async def sample_naked(
    control: SimControl, tracker: NakedTracker, stop: asyncio.Event, every_s: float = 0.075
) -> None:
    """Sample every venue's positions until `stop`; a refused port skips the sample."""
    venues = list(control.endpoints)
    while not stop.is_set():
        try:
            answers = await asyncio.gather(*(control.positions(v) for v in venues))
        except SimUnavailable:
            tracker.missed_samples += 1
        else:
            tracker.observe(net_exposure(dict(zip(venues, answers, strict=True))), time.monotonic())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
