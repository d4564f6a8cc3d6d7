"""Run counters the demo, the API and metrics read: cycles, orders, pnl, tick-to-order."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal


def percentile(values: list[int], pct: float) -> int | None:
    """Nearest-rank percentile of integer samples; None without samples."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    trade_id: int
    symbol: str
    long_venue: str
    short_venue: str
    pnl_usdt: Decimal
    reason: str


@dataclass(slots=True)
class EngineStats:
    cycles_opened: int = 0
    cycles_closed: int = 0
    cycles_rolled_back: int = 0
    realized_pnl_usdt: Decimal = Decimal(0)
    orders_sent: int = 0
    orders_rejected: int = 0
    naked_legs_repaired: int = 0
    errors: int = 0
    entries_blocked: dict[str, int] = field(default_factory=dict)
    recent_closed: deque[ClosedTrade] = field(default_factory=lambda: deque(maxlen=10))
    tick_to_order_ns: list[int] = field(default_factory=list)
    tick_to_decision_ns: list[int] = field(default_factory=list)
    send_cpu_ns: list[int] = field(default_factory=list)  # CPU to write both legs

    def blocked(self, reason: str) -> None:
        self.entries_blocked[reason] = self.entries_blocked.get(reason, 0) + 1

    def tick_to_order_us(self, pct: float) -> float | None:
        value = percentile(self.tick_to_order_ns, pct)
        return None if value is None else value / 1000.0
