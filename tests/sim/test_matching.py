"""Matching core: order types, walking levels, partial fills, margin, fees, pnl, funding, modes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from arbcore.core.clock import FakeClock
from arbcore.core.enums import (
    MarginMode,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
    Venue,
)
from arbcore.sim.events import (
    ExecutionEvent,
    LedgerKind,
    OrderEvent,
    PositionEvent,
    PrivateEvent,
    RejectReason,
    SimReject,
    WalletEvent,
)
from arbcore.sim.instruments import default_instruments
from arbcore.sim.matching import SimExchange

ACC = "acc"


def make_exchange(venue: Venue = Venue.BYBIT, balance: str = "100000") -> SimExchange:
    """BTCUSDT book: bids 99.9/99.8/99.7 x 1/2/3 BTC... scaled: prices 64999.9.. asks 65000.0.."""
    ex = SimExchange(
        venue, default_instruments(venue, ["BTC", "ETH"]), D("0.00055"), D("-0.0001"),
        clock=FakeClock(),
    )  # fmt: skip
    ex.add_account(ACC, D(balance))
    book = ex.books["BTCUSDT"]
    one_btc = book.steps_of(D(1) / book.instrument.contract_size)
    bids = [(book.ticks_of(D("64999.9")) - i, one_btc * (i + 1)) for i in range(3)]
    asks = [(book.ticks_of(D("65000.0")) + i, one_btc * (i + 1)) for i in range(3)]
    book.apply(bids, asks, 0, snapshot=True)
    return ex


def test_market_buy_walks_levels_and_book_reflects_fill() -> None:
    ex = make_exchange()
    order = ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("2.5"))
    assert order.status is OrderStatus.FILLED
    assert [(f.price, f.qty) for f in order.fills] == [
        (D("65000.0"), D("1.000")),
        (D("65000.1"), D("1.500")),
    ]
    assert order.avg_price == (D("65000.0") + D("65000.1") * D("1.5")) / D("2.5")
    book = ex.books["BTCUSDT"]
    asks = book.top(3)[1]
    assert [(book.price(t), book.qty(s)) for t, s in asks] == [
        (D("65000.1"), D("0.500")),
        (D("65000.2"), D("3.000")),
    ]


def test_ioc_limit_partial_fill_cancels_remainder() -> None:
    ex = make_exchange()
    order = ex.place_order(
        ACC, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("4"), price=D("65000.1"), tif=TimeInForce.IOC
    )
    assert order.status is OrderStatus.CANCELLED
    assert order.filled_qty == D("3")
    assert order.leaves_qty == 0
    assert ex.positions(ACC, "BTCUSDT")[0].qty == D("3")


def test_market_order_larger_than_depth_fills_partially() -> None:
    ex = make_exchange()
    order = ex.place_order(ACC, "BTCUSDT", Side.SELL, OrderType.MARKET, D("10"))
    assert order.status is OrderStatus.CANCELLED
    assert order.filled_qty == D("6")
    assert ex.books["BTCUSDT"].bids == {}


def test_fok_unfillable_executes_nothing() -> None:
    ex = make_exchange()
    order = ex.place_order(
        ACC, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("2"), price=D("65000.0"), tif=TimeInForce.FOK
    )
    assert order.status is OrderStatus.CANCELLED
    assert order.reject_reason is RejectReason.FOK_UNFILLABLE
    assert order.filled_qty == 0
    assert ex.positions(ACC, "BTCUSDT")[0].qty == 0


def test_post_only_that_would_take_is_cancelled_and_resting_one_rests() -> None:
    ex = make_exchange()
    taking = ex.place_order(
        ACC, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("1"), price=D("65000.0"),
        tif=TimeInForce.POST_ONLY,
    )  # fmt: skip
    assert taking.reject_reason is RejectReason.POST_ONLY_WOULD_TAKE
    resting = ex.place_order(
        ACC, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("1"), price=D("64999.0"),
        tif=TimeInForce.POST_ONLY,
    )  # fmt: skip
    assert resting.status is OrderStatus.NEW
    assert ex.wallet(ACC).order_margin_usdt == D("64999.0") / 10


def test_resting_limit_fills_as_maker_with_rebate_when_market_crosses() -> None:
    ex = make_exchange()
    order = ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("1"), price=D("64990.0"))
    book = ex.books["BTCUSDT"]
    book.apply([], [(book.ticks_of(D("64989.5")), 100)], 1)
    ex.match_resting("BTCUSDT")
    assert order.status is OrderStatus.FILLED
    fill = order.fills[0]
    assert fill.is_maker and fill.price == D("64990.0")
    assert fill.fee_usdt == D("64990.0") * D("-0.0001")  # rebate: negative fee
    assert ex.accounts[ACC].balance_usdt == D(100000) + D("6.499")


def test_fees_realized_pnl_and_ledger() -> None:
    ex = make_exchange()
    ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    ex.place_order(ACC, "BTCUSDT", Side.SELL, OrderType.MARKET, D("1"))
    account = ex.accounts[ACC]
    buy_fee = D("65000.0") * D("0.00055")
    sell_fee = D("64999.9") * D("0.00055")
    assert account.balance_usdt == D(100000) - D("0.1") - buy_fee - sell_fee
    kinds = [e.kind for e in account.ledger]
    assert kinds == [LedgerKind.DEPOSIT, LedgerKind.TRADE_FEE, LedgerKind.REALIZED_PNL,
                     LedgerKind.TRADE_FEE]  # fmt: skip
    assert account.balance_usdt == account.ledger_total()
    assert ex.positions(ACC, "BTCUSDT")[0].qty == 0


def test_average_entry_and_position_flip() -> None:
    ex = make_exchange()
    ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("2"))
    pos = ex.positions(ACC, "BTCUSDT")[0]
    assert pos.side is PositionSide.LONG
    assert pos.entry_price == (D("65000.0") + D("65000.1")) / 2
    ex.place_order(ACC, "BTCUSDT", Side.SELL, OrderType.MARKET, D("5"))
    pos = ex.positions(ACC, "BTCUSDT")[0]
    assert pos.side is PositionSide.SHORT and pos.qty == D("3")
    # 1 closes at 64999.9; of 2 at 64999.8 one closes and one opens; 2 more open at 64999.7
    assert pos.entry_price == (D("64999.8") + 2 * D("64999.7")) / 3


def test_initial_margin_is_notional_over_leverage() -> None:
    ex = make_exchange()
    ex.set_leverage(ACC, "BTCUSDT", D(5))
    ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    pos = ex.positions(ACC, "BTCUSDT")[0]
    assert pos.initial_margin_usdt == D("65000.0") / 5
    assert ex.wallet(ACC).position_margin_usdt == D("13000")


def test_insufficient_margin_rejected_and_state_untouched() -> None:
    ex = make_exchange(balance="1000")
    with pytest.raises(SimReject) as err:
        ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    assert err.value.reason is RejectReason.INSUFFICIENT_MARGIN
    assert ex.orders == {} and ex.fills == []
    assert ex.accounts[ACC].balance_usdt == D(1000)


@pytest.mark.parametrize(
    ("qty", "price", "reason"),
    [
        (D("0.0005"), None, RejectReason.QTY_OFF_STEP),
        (D("0.0001"), None, RejectReason.QTY_OFF_STEP),
        (D("1"), D("65000.05"), RejectReason.PRICE_OFF_TICK),
        (D("0"), None, RejectReason.INVALID_PARAMETER),
    ],
)
def test_invalid_quantities_and_prices(qty: D, price: D | None, reason: RejectReason) -> None:
    ex = make_exchange()
    kind = OrderType.LIMIT if price is not None else OrderType.MARKET
    with pytest.raises(SimReject) as err:
        ex.place_order(ACC, "BTCUSDT", Side.BUY, kind, qty, price=price)
    assert err.value.reason is reason


def test_minimums_in_contract_units() -> None:
    ex = make_exchange(Venue.OKX)  # BTC contract = 0.01 BTC, step 0.01 contracts
    inst = ex.instruments["BTCUSDT"]
    assert inst.qty_in_contracts and inst.contract_size == D("0.01")
    order = ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("150"))  # 1.5 BTC
    assert order.filled_value_usdt == D("65000.0") * D("1") + D("65000.1") * D("0.5")
    with pytest.raises(SimReject) as err:
        ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.001"))
    assert err.value.reason is RejectReason.QTY_OFF_STEP


def test_min_notional_rejected() -> None:
    ex = make_exchange()
    ex.books["ETHUSDT"].apply([(340000, 100)], [(340001, 100)], 0, snapshot=True)
    order = ex.place_order(ACC, "ETHUSDT", Side.BUY, OrderType.MARKET, D("0.01"))  # 34 USDT
    assert order.status is OrderStatus.FILLED
    ex.books["ETHUSDT"].apply([(100, 100)], [(101, 100)], 0, snapshot=True)  # ETH at 1 USDT
    with pytest.raises(SimReject) as err:
        ex.place_order(ACC, "ETHUSDT", Side.BUY, OrderType.MARKET, D("0.01"))
    assert err.value.reason is RejectReason.BELOW_MIN_NOTIONAL


def test_reduce_only_shrinks_or_rejects() -> None:
    ex = make_exchange()
    with pytest.raises(SimReject) as err:
        ex.place_order(ACC, "BTCUSDT", Side.SELL, OrderType.MARKET, D("1"), reduce_only=True)
    assert err.value.reason is RejectReason.REDUCE_ONLY_WOULD_INCREASE
    ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    with pytest.raises(SimReject):
        ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"), reduce_only=True)
    closing = ex.place_order(ACC, "BTCUSDT", Side.SELL, OrderType.MARKET, D("3"), reduce_only=True)
    assert closing.qty == D("1") and closing.status is OrderStatus.FILLED
    assert ex.positions(ACC, "BTCUSDT")[0].qty == 0


def test_duplicate_client_id_and_lookup() -> None:
    ex = make_exchange()
    first = ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.1"), client_id="c-1")
    with pytest.raises(SimReject) as err:
        ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("0.1"), client_id="c-1")
    assert err.value.reason is RejectReason.DUPLICATE_CLIENT_ID
    assert ex.find_order(ACC, client_id="c-1") is first
    with pytest.raises(SimReject) as err:
        ex.find_order(ACC, client_id="nope")
    assert err.value.reason is RejectReason.ORDER_NOT_FOUND


def test_cancel_open_order_and_final_order() -> None:
    ex = make_exchange()
    order = ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.LIMIT, D("1"), price=D("64000.0"))
    assert ex.cancel_order(ACC, order_id=order.order_id).status is OrderStatus.CANCELLED
    with pytest.raises(SimReject) as err:
        ex.cancel_order(ACC, order_id=order.order_id)
    assert err.value.reason is RejectReason.ORDER_NOT_FOUND


def test_leverage_range_and_not_modified() -> None:
    ex = make_exchange()
    with pytest.raises(SimReject) as err:
        ex.set_leverage(ACC, "BTCUSDT", D(101))
    assert err.value.reason is RejectReason.LEVERAGE_OUT_OF_RANGE
    ex.set_leverage(ACC, "BTCUSDT", D(20))
    with pytest.raises(SimReject) as err:
        ex.set_leverage(ACC, "BTCUSDT", D(20))
    assert err.value.reason is RejectReason.LEVERAGE_NOT_MODIFIED


def test_margin_mode_and_position_mode_rules() -> None:
    ex = make_exchange()
    ex.set_margin_mode(ACC, "BTCUSDT", MarginMode.ISOLATED)
    with pytest.raises(SimReject) as err:
        ex.set_margin_mode(ACC, "BTCUSDT", MarginMode.ISOLATED)
    assert err.value.reason is RejectReason.MARGIN_MODE_NOT_MODIFIED
    ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    with pytest.raises(SimReject) as err:
        ex.set_position_mode(ACC, PositionMode.HEDGE)
    assert err.value.reason is RejectReason.POSITION_EXISTS


def test_hedge_mode_two_positions_and_closing_side() -> None:
    ex = make_exchange()
    ex.set_position_mode(ACC, PositionMode.HEDGE)
    with pytest.raises(SimReject) as err:
        ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    assert err.value.reason is RejectReason.POSITION_SIDE_MISMATCH
    ex.place_order(
        ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"), position_side=PositionSide.LONG
    )
    ex.place_order(
        ACC, "BTCUSDT", Side.SELL, OrderType.MARKET, D("2"), position_side=PositionSide.SHORT
    )
    views = {v.hedge_side: v for v in ex.positions(ACC, "BTCUSDT")}
    assert views[PositionSide.LONG].qty == D("1") and views[PositionSide.SHORT].qty == D("2")
    with pytest.raises(SimReject):  # closing the empty side of a hedge slot
        ex.place_order(ACC, "ETHUSDT", Side.SELL, OrderType.MARKET, D("1"),
                       position_side=PositionSide.LONG)  # fmt: skip
    ex.place_order(
        ACC, "BTCUSDT", Side.SELL, OrderType.MARKET, D("5"), position_side=PositionSide.LONG,
        reduce_only=True,
    )  # fmt: skip
    views = {v.hedge_side: v for v in ex.positions(ACC, "BTCUSDT")}
    assert views[PositionSide.LONG].qty == 0 and views[PositionSide.SHORT].qty == D("2")


def test_funding_long_pays_short_receives() -> None:
    ex = make_exchange()
    ex.add_account("other", D(100000))
    ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    ex.place_order("other", "BTCUSDT", Side.SELL, OrderType.MARKET, D("1"))
    before = {a: ex.accounts[a].balance_usdt for a in (ACC, "other")}
    mark = ex.mark_price("BTCUSDT")
    fills = ex.settle_funding("BTCUSDT", D("0.0001"))
    assert len(fills) == 2
    assert ex.accounts[ACC].balance_usdt == before[ACC] - mark * D("0.0001")
    assert ex.accounts["other"].balance_usdt == before["other"] + mark * D("0.0001")
    assert ex.accounts[ACC].ledger[-1].kind is LedgerKind.FUNDING
    assert ex.funding_history["BTCUSDT"][-1][1] == D("0.0001")


def test_funding_runs_at_due_times_on_an_accelerated_clock() -> None:
    clock = FakeClock()
    ex = SimExchange(Venue.BYBIT, default_instruments(Venue.BYBIT, ["BTC"]), D("0"), D("0"),
                     clock=clock, funding_interval_ms=60_000)  # fmt: skip
    ex.add_account(ACC, D(100000))
    ex.books["BTCUSDT"].apply([(650000, 10000)], [(650001, 10000)], 0, snapshot=True)
    ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    due = ex.next_funding_ms["BTCUSDT"]
    ex.run_funding_if_due(due - 1)
    assert len(ex.funding_history["BTCUSDT"]) == 0
    ex.run_funding_if_due(due)
    ex.run_funding_if_due(due + 60_000)
    assert len(ex.funding_history["BTCUSDT"]) == 2
    assert ex.next_funding_ms["BTCUSDT"] == due + 120_000


def test_private_events_in_order() -> None:
    ex = make_exchange()
    seen: list[tuple[str, PrivateEvent]] = []
    ex.add_listener(lambda acc, ev: seen.append((acc, ev)))
    ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1.5"))
    kinds = [type(ev) for _, ev in seen]
    assert kinds == [ExecutionEvent, ExecutionEvent, OrderEvent, PositionEvent, WalletEvent]
    order_event = seen[2][1]
    assert isinstance(order_event, OrderEvent) and order_event.order.status is OrderStatus.FILLED


def test_injected_reject_and_partial_fill() -> None:
    ex = make_exchange()
    ex.faults.reject_next_orders(1, RejectReason.INSUFFICIENT_MARGIN)
    with pytest.raises(SimReject) as err:
        ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    assert err.value.reason is RejectReason.INSUFFICIENT_MARGIN
    ex.faults.partial_fill_next(1, 0.4)
    order = ex.place_order(ACC, "BTCUSDT", Side.BUY, OrderType.MARKET, D("1"))
    assert order.filled_qty == D("0.4") and order.status is OrderStatus.CANCELLED
    assert ex.faults.applied["reject_next_orders"] == 1  # type: ignore[index]


def test_transfer_moves_funds_books_them_and_pushes_the_wallet() -> None:
    ex = make_exchange(balance="1000")
    events: list[tuple[str, PrivateEvent]] = []
    ex.add_listener(lambda account_id, event: events.append((account_id, event)))
    wallet = ex.transfer(ACC, D(-400))
    assert wallet.balance_usdt == wallet.available_usdt == D(600)
    assert [e.amount_usdt for e in ex.ledger(ACC)] == [D(1000), D(-400)]
    assert [e.kind for e in ex.ledger(ACC)] == [LedgerKind.DEPOSIT, LedgerKind.DEPOSIT]
    assert [(a, type(e)) for a, e in events] == [(ACC, WalletEvent)]
    with pytest.raises(ValueError, match="600"):
        ex.transfer(ACC, D(-601))  # more than is free: refused, nothing booked
    assert len(ex.ledger(ACC)) == 2
