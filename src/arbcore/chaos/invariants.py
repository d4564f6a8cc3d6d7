"""End-of-run checks of a chaos run: the database against the simulator's ground truth."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

CENT = Decimal("0.01")
# a pending trade is an id reserved for the next entry: open only once an order of it filled
OPEN_TRADE_STATES = ("pending", "opening", "open", "closing", "error")


@dataclass(slots=True)
class DatabaseView:
    """What the engine recorded, read straight from its SQLite file."""

    trades: list[dict[str, Any]]
    orders: list[dict[str, Any]]

    @classmethod
    def read(cls, db_path: Path) -> DatabaseView:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            conn.row_factory = sqlite3.Row
            trades = [dict(r) for r in conn.execute("select * from trades")]
            orders = [dict(r) for r in conn.execute("select * from orders")]
        return cls(trades, orders)


def count_trades(db_path: Path) -> dict[str, int]:
    """Trades by state (missing or locked database: empty)."""
    if not db_path.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1.0) as conn:
            rows = conn.execute("select state, count(*) from trades group by state").fetchall()
    except sqlite3.Error:
        return {}
    return {str(state): int(n) for state, n in rows}


@dataclass(slots=True)
class Verdict:
    """Measured values and the list of failed invariants (empty: all hold)."""

    net_exposure_base: dict[str, str] = field(default_factory=dict)
    venue_positions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    open_trades: list[int] = field(default_factory=list)
    executed_orders: int = 0
    lost_records: list[dict[str, Any]] = field(default_factory=list)
    phantom_fills: list[dict[str, Any]] = field(default_factory=list)
    trades_pnl_usdt: Decimal = Decimal(0)
    ledger_change_usdt: Decimal = Decimal(0)
    ledger_by_kind_usdt: dict[str, Decimal] = field(default_factory=dict)
    untraded_orders_pnl_usdt: Decimal = Decimal(0)
    open_trades_pnl_usdt: Decimal = Decimal(0)  # fees and pnl booked for trades still open
    failures: list[str] = field(default_factory=list)

    @property
    def pnl_difference_usdt(self) -> Decimal:
        return self.trades_pnl_usdt - self.ledger_change_usdt


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def check(truth: Mapping[str, dict[str, Any]], db: DatabaseView) -> Verdict:
    """Every invariant of the campaign; `truth` is /__sim/truth per venue name."""
    verdict = Verdict()
    _check_exposure(truth, db, verdict)  # first: fills open_trades
    _check_records(truth, db, verdict)
    _check_pnl(truth, db, verdict)
    return verdict


def _check_exposure(truth: Mapping[str, dict[str, Any]], db: DatabaseView, v: Verdict) -> None:
    net: dict[str, Decimal] = {}
    held_by_venue: dict[tuple[str, str], Decimal] = {}
    for venue, data in truth.items():
        held = [p for p in data["positions"] if _dec(p["signed_base"]) != 0]
        if held:
            v.venue_positions[venue] = held
        for p in held:
            net[p["symbol"]] = net.get(p["symbol"], Decimal(0)) + _dec(p["signed_base"])
            held_by_venue[(venue, p["symbol"])] = _dec(p["signed_base"])
    v.net_exposure_base = {s: str(q) for s, q in net.items() if q != 0}
    if v.net_exposure_base:
        v.failures.append(f"naked exposure at end: {v.net_exposure_base}")
    traded = {o["trade_id"] for o in db.orders if _dec(o["filled_base"]) != 0}
    open_trades = [
        t
        for t in db.trades
        if t["state"] in OPEN_TRADE_STATES and (t["state"] != "pending" or t["id"] in traded)
    ]
    v.open_trades = [int(t["id"]) for t in open_trades]
    expected: dict[tuple[str, str], Decimal] = {}
    for t in open_trades:
        qty = _dec(t["entered_base"]) - _dec(t["exited_base"])
        long_key, short_key = (t["long_exchange"], t["symbol"]), (t["short_exchange"], t["symbol"])
        expected[long_key] = expected.get(long_key, Decimal(0)) + qty
        expected[short_key] = expected.get(short_key, Decimal(0)) - qty
    expected = {k: q for k, q in expected.items() if q != 0}
    if expected != held_by_venue:
        v.failures.append(
            f"venues hold {sorted((k, str(q)) for k, q in held_by_venue.items())} but open "
            f"trades {v.open_trades} explain {sorted((k, str(q)) for k, q in expected.items())}"
        )


def _check_records(truth: Mapping[str, dict[str, Any]], db: DatabaseView, v: Verdict) -> None:
    rows = {(o["exchange"], o["client_id"]): o for o in db.orders}
    seen: set[tuple[str, str]] = set()
    for venue, data in truth.items():
        for order in data["orders"]:
            v.executed_orders += 1
            key = (venue, order["client_id"])
            seen.add(key)
            row = rows.get(key)
            if row is None or _dec(row["filled_base"]) != _dec(order["filled_base"]):
                v.lost_records.append(
                    {
                        "venue": venue,
                        "client_id": order["client_id"],
                        "venue_filled_base": order["filled_base"],
                        "db_filled_base": None if row is None else str(row["filled_base"]),
                        "db_status": None if row is None else row["status"],
                    }
                )
    for key, row in rows.items():
        if key not in seen and _dec(row["filled_base"]) != 0:
            v.phantom_fills.append(
                {"venue": key[0], "client_id": key[1], "db_filled_base": str(row["filled_base"])}
            )
    if v.lost_records:
        v.failures.append(f"{len(v.lost_records)} executed orders missing or wrong in `orders`")
    if v.phantom_fills:
        v.failures.append(f"{len(v.phantom_fills)} recorded fills the venues never executed")


def _check_pnl(truth: Mapping[str, dict[str, Any]], db: DatabaseView, v: Verdict) -> None:
    by_kind: dict[str, Decimal] = {}
    for data in truth.values():
        for kind, amount in data["ledger"].items():
            by_kind[kind] = by_kind.get(kind, Decimal(0)) + _dec(amount)
    v.ledger_by_kind_usdt = by_kind
    v.ledger_change_usdt = sum(
        (amount for kind, amount in by_kind.items() if kind != "deposit"), Decimal(0)
    )
    v.trades_pnl_usdt = sum((_dec(t["realized_pnl_usdt"]) for t in db.trades), Decimal(0))
    trade_of = {(o["exchange"], o["client_id"]): o["trade_id"] for o in db.orders}
    still_open = set(v.open_trades)
    for venue, data in truth.items():
        for order in data["orders"]:
            made = _dec(order["realized_pnl_usdt"]) - _dec(order["fee_usdt"])
            trade_id = trade_of.get((venue, order["client_id"]))
            if trade_id is None:
                v.untraded_orders_pnl_usdt += made
            elif trade_id in still_open:  # no realized pnl yet: leave its orders out
                v.open_trades_pnl_usdt += made
    v.ledger_change_usdt -= v.open_trades_pnl_usdt
    if abs(v.pnl_difference_usdt) >= CENT:
        v.failures.append(
            f"trades' realized pnl {v.trades_pnl_usdt} != ledger change {v.ledger_change_usdt} "
            f"(difference {v.pnl_difference_usdt}; orders outside trades made "
            f"{v.untraded_orders_pnl_usdt})"
        )
