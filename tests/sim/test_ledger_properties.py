"""Property tests: whatever an account does, its balance equals the sum of its ledger."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from arbcore.core.clock import FakeClock
from arbcore.core.enums import OrderType, Side, TimeInForce, Venue
from arbcore.sim.events import LedgerKind, SimReject
from arbcore.sim.instruments import default_instruments
from arbcore.sim.matching import SimExchange

ACC = "acc"

actions = st.lists(
    st.one_of(
        st.tuples(
            st.just("market"),
            st.sampled_from([Side.BUY, Side.SELL]),
            st.integers(1, 4000),
            st.booleans(),
        ),
        st.tuples(
            st.just("limit"),
            st.sampled_from([Side.BUY, Side.SELL]),
            st.integers(1, 3000),
            st.integers(-30, 30),
        ),
        st.tuples(st.just("move"), st.integers(-40, 40)),
        st.tuples(st.just("funding"), st.integers(-50, 50)),
        st.tuples(st.just("leverage"), st.integers(1, 50)),
    ),
    max_size=40,
)


def _exchange(venue: Venue) -> SimExchange:
    ex = SimExchange(venue, default_instruments(venue, ["BTC"]), D("0.00055"), D("-0.0001"),
                     clock=FakeClock())  # fmt: skip
    ex.add_account(ACC, D("50000"))
    _set_book(ex, 650000)
    return ex


def _set_book(ex: SimExchange, mid_tick: int) -> None:
    book = ex.books["BTCUSDT"]
    depth = book.steps_of(D("0.5") / book.instrument.contract_size)
    bids = [(mid_tick - i, depth) for i in range(20)]
    asks = [(mid_tick + 1 + i, depth) for i in range(20)]
    book.apply(bids, asks, 0, snapshot=True)


def _run(ex: SimExchange, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    inst = ex.instruments["BTCUSDT"]
    mid = 650000
    for step in steps:
        kind = step[0]
        try:
            if kind == "market":
                _, side, n, reduce_only = step
                ex.place_order(ACC, "BTCUSDT", side, OrderType.MARKET, inst.qty_step * n,
                               reduce_only=reduce_only)  # fmt: skip
            elif kind == "limit":
                _, side, n, offset = step
                price = inst.tick_size * (mid + offset)
                ex.place_order(ACC, "BTCUSDT", side, OrderType.LIMIT, inst.qty_step * n,
                               price=price, tif=TimeInForce.GTC)  # fmt: skip
            elif kind == "move":
                mid += step[1]
                _set_book(ex, mid)
                ex.match_resting("BTCUSDT")
            elif kind == "funding":
                ex.settle_funding("BTCUSDT", D(step[1]) / 100000)
            else:
                ex.set_leverage(ACC, "BTCUSDT", D(step[1]))
        except SimReject:
            pass


@settings(max_examples=60, deadline=None)
@given(actions, st.sampled_from([Venue.BYBIT, Venue.GATE]))
def test_balance_always_equals_ledger(steps: list[tuple], venue: Venue) -> None:  # type: ignore[type-arg]
    ex = _exchange(venue)
    _run(ex, steps)
    account = ex.accounts[ACC]
    assert account.balance_usdt == account.ledger_total()
    running = D(0)
    for entry in account.ledger:
        running += entry.amount_usdt
        assert entry.balance_after_usdt == running
    fees = sum((f.fee_usdt for f in ex.fills if not f.is_funding), D(0))
    pnl = sum((f.realized_pnl_usdt for f in ex.fills), D(0))
    funding = sum((e.amount_usdt for e in account.ledger if e.kind is LedgerKind.FUNDING), D(0))
    assert account.balance_usdt == D("50000") - fees + pnl + funding
    signed = sum((f.qty if f.side is Side.BUY else -f.qty for f in ex.fills if not f.is_funding),
                 D(0))  # fmt: skip
    position = ex.positions(ACC, "BTCUSDT")[0]
    assert position.signed_qty == signed
    assert ex.wallet(ACC).available_usdt >= 0
