"""The chaos run's own arithmetic: naked periods, schedule coverage, end-of-run invariants."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from arbcore.chaos.invariants import DatabaseView, check
from arbcore.chaos.schedule import ARMED_KINDS, ChaosSchedule
from arbcore.chaos.simctl import NakedTracker, net_exposure
from arbcore.core.enums import Venue

D = Decimal


def test_naked_period_ends_when_the_symbol_goes_flat_and_drops_out() -> None:
    tracker = NakedTracker()
    tracker.observe({"BTCUSDT": D("0.01")}, 10.0)
    tracker.observe({"BTCUSDT": D("0.01")}, 10.2)
    tracker.observe({}, 10.5)  # flat positions are not listed at all
    tracker.observe({}, 30.0)
    tracker.finish(31.0)
    assert tracker.periods == 1
    assert round(tracker.max_naked_ms) == 500
    assert tracker.max_naked_outside_kills_ms == tracker.max_naked_ms


def test_a_kill_inside_a_period_is_told_apart() -> None:
    tracker = NakedTracker()
    tracker.observe({"ETHUSDT": D("-0.4")}, 1.0)
    tracker.note_kill(2.0)
    tracker.observe({"ETHUSDT": D(0)}, 5.0)
    tracker.observe({"ETHUSDT": D("0.4")}, 6.0)
    tracker.finish(6.1)
    assert round(tracker.max_naked_ms) == 4000
    assert round(tracker.max_naked_outside_kills_ms) == 100
    assert tracker.longest[0]["kill_inside"] is True


def test_net_exposure_sums_signed_base_across_venues() -> None:
    positions = {
        Venue.BYBIT: [{"symbol": "BTCUSDT", "signed_base": "0.02"}],
        Venue.BITGET: [{"symbol": "BTCUSDT", "signed_base": "-0.02"}],
    }
    assert net_exposure(positions) == {"BTCUSDT": D(0)}


def test_schedule_covers_every_fault_kind_and_is_reproducible() -> None:
    venues = (Venue.BYBIT, Venue.BITGET)
    first = list(itertools.islice(ChaosSchedule(7, venues, ["BTCUSDT"]).faults(), 40))
    again = list(itertools.islice(ChaosSchedule(7, venues, ["BTCUSDT"]).faults(), 40))
    assert first == again
    assert {f.kind for f in first} == set(ARMED_KINDS)
    assert all(f.venue is Venue.BITGET for f in first if f.kind == "corrupt_checksum")
    rates = ChaosSchedule(7, venues, ["BTCUSDT"]).rates(Venue.BYBIT)
    assert (rates["reject"], rates["execute_then_timeout"]) == (0.05, 0.02)


def _truth(orders: list[dict[str, Any]], positions: list[dict[str, Any]]) -> dict[str, Any]:
    fees = sum((D(o["fee_usdt"]) for o in orders), D(0))
    pnl = sum((D(o["realized_pnl_usdt"]) for o in orders), D(0))
    return {
        "orders": orders,
        "positions": positions,
        "ledger": {"deposit": "100000", "trade_fee": str(-fees), "realized_pnl": str(pnl)},
    }


def _order(client_id: str, filled: str, fee: str, pnl: str = "0") -> dict[str, Any]:
    return {"client_id": client_id, "filled_base": filled, "fee_usdt": fee,
            "realized_pnl_usdt": pnl}  # fmt: skip


def _row(trade_id: int, client_id: str, filled: str) -> dict[str, Any]:
    return {"trade_id": trade_id, "exchange": "bybit", "client_id": client_id,
            "filled_base": filled, "status": "filled"}  # fmt: skip


def test_invariants_hold_for_a_consistent_closed_trade() -> None:
    truth = {"bybit": _truth([_order("a", "1", "0.1"), _order("b", "1", "0.1", "2.5")], [])}
    trade = {"id": 1, "state": "closed", "realized_pnl_usdt": "2.3", "entered_base": "1",
             "exited_base": "1", "long_exchange": "bybit", "short_exchange": "bitget",
             "symbol": "BTCUSDT"}  # fmt: skip
    verdict = check(truth, DatabaseView([trade], [_row(1, "a", "1"), _row(1, "b", "1")]))
    assert verdict.failures == []
    assert verdict.pnl_difference_usdt == 0


def test_invariants_catch_a_lost_record_a_short_fill_and_naked_exposure() -> None:
    truth = {
        "bybit": _truth(
            [_order("a", "1", "0.1"), _order("b", "0.5", "0.1")],
            [{"symbol": "BTCUSDT", "signed_base": "0.5"}],
        )
    }
    verdict = check(truth, DatabaseView([], [_row(1, "b", "0.4")]))
    assert [r["client_id"] for r in verdict.lost_records] == ["a", "b"]
    assert verdict.net_exposure_base == {"BTCUSDT": "0.5"}
    assert any("pnl" in f for f in verdict.failures)
