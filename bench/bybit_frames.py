"""Bybit benchmark inputs: realistic `orderbook.50` frames, one instrument, one order."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from arbcore.core.enums import OrderType, Side, TimeInForce, Venue
from arbcore.core.models import Instrument, OrderRequest

SYMBOL = "BTCUSDT"
TOPIC = f"orderbook.50.{SYMBOL}"
DEPTH = 50
MID_TICKS = 300_000  # 30,000.0 at tick 0.1
TICK = 0.1
CCXT_SYMBOL = "BTC/USDT:USDT"
CCXT_MARKET: dict[str, Any] = {
    "id": SYMBOL,
    "symbol": CCXT_SYMBOL,
    "base": "BTC",
    "quote": "USDT",
    "settle": "USDT",
    "baseId": "BTC",
    "quoteId": "USDT",
    "settleId": "USDT",
    "type": "swap",
    "spot": False,
    "margin": False,
    "swap": True,
    "future": False,
    "option": False,
    "active": True,
    "contract": True,
    "linear": True,
    "inverse": False,
    "contractSize": 1.0,
    "precision": {"amount": 0.001, "price": 0.1},
    "limits": {"amount": {"min": 0.001, "max": 1190.0}, "price": {"min": 0.1, "max": None}},
    "info": {"category": "linear"},
}
INSTRUMENT = Instrument(
    venue=Venue.BYBIT,
    symbol=SYMBOL,
    venue_symbol=SYMBOL,
    base="BTC",
    quote="USDT",
    tick_size=Decimal("0.1"),
    qty_step=Decimal("0.001"),
    min_qty=Decimal("0.001"),
)


ORDER_REQUEST = OrderRequest(
    venue=Venue.BYBIT,
    symbol=SYMBOL,
    side=Side.BUY,
    qty_base=Decimal("0.010"),
    client_id="arb-1-L-1-0",
    order_type=OrderType.LIMIT,
    tif=TimeInForce.IOC,
    price=Decimal("37000.5"),
)


@dataclass(frozen=True)
class BookFrames:
    snapshot: str
    deltas: list[str]
    changed_levels_per_side: float
    mean_delta_bytes: float


def _px(ticks: int) -> str:
    return f"{ticks * TICK:.2f}"


def _qty(rnd: random.Random) -> str:
    return f"{rnd.uniform(0.001, 0.5):.3f}"


def _frame(kind: str, bids: list[list[str]], asks: list[list[str]], u: int, ts_ms: int) -> str:
    message = {
        "topic": TOPIC,
        "type": kind,
        "ts": ts_ms,
        "data": {"s": SYMBOL, "b": bids, "a": asks, "u": u, "seq": 60_000_000_000 + u * 7},
        "cts": ts_ms - 2,
    }
    return orjson.dumps(message).decode()


def _side_changes(
    rnd: random.Random, levels: dict[int, str], best: int, step: int
) -> list[list[str]]:
    """One to four changed levels on one side, mostly near the top; the side stays 50 deep.

    `step` is -1 for bids (prices fall away from the top) and +1 for asks. A level that
    leaves is replaced by a new price in the same delta, as a depth-50 stream does.
    """
    changes: list[list[str]] = []
    touched: set[int] = set()
    for _ in range(rnd.randint(1, 4)):
        best_first = sorted(levels, key=lambda t: t * step)
        pick = best_first[min(int(rnd.expovariate(1 / 6)), len(best_first) - 1)]
        if pick in touched:
            continue
        touched.add(pick)
        if rnd.random() < 0.7:
            levels[pick] = _qty(rnd)
            changes.append([_px(pick), levels[pick]])
            continue
        free = [
            best + i * step
            for i in range(DEPTH + 10)
            if best + i * step not in levels and best + i * step not in touched
        ]
        fresh = free[0] if rnd.random() < 0.5 else rnd.choice(free)
        touched.add(fresh)
        del levels[pick]
        levels[fresh] = _qty(rnd)
        changes.append([_px(pick), "0"])
        changes.append([_px(fresh), levels[fresh]])
    return changes


def make_frames(n_deltas: int, seed: int = 7) -> BookFrames:
    """A snapshot of 50 levels a side around 30,000 and `n_deltas` consecutive deltas."""
    rnd = random.Random(seed)
    best_bid = MID_TICKS - 1
    best_ask = MID_TICKS
    bids = {best_bid - i: _qty(rnd) for i in range(DEPTH)}
    asks = {best_ask + i: _qty(rnd) for i in range(DEPTH)}
    u = 18_521_288
    ts_ms = 1_700_000_000_000
    snapshot = _frame(
        "snapshot",
        [[_px(t), bids[t]] for t in sorted(bids, reverse=True)],
        [[_px(t), asks[t]] for t in sorted(asks)],
        u,
        ts_ms,
    )
    deltas: list[str] = []
    changed = 0
    for _ in range(n_deltas):
        u += 1
        ts_ms += 20
        bid_changes = _side_changes(rnd, bids, best_bid, -1)
        ask_changes = _side_changes(rnd, asks, best_ask, +1)
        changed += len(bid_changes) + len(ask_changes)
        deltas.append(_frame("delta", bid_changes, ask_changes, u, ts_ms))
    return BookFrames(
        snapshot=snapshot,
        deltas=deltas,
        changed_levels_per_side=changed / max(2 * n_deltas, 1),
        mean_delta_bytes=sum(len(d) for d in deltas) / max(n_deltas, 1),
    )
