"""Bybit order bodies (steps, ticks, positionIdx) and the book stream's `u` validation."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import orjson
import pytest

from arbcore.core.enums import OrderType, PositionMode, PositionSide, Side, TimeInForce, Venue
from arbcore.core.errors import InvalidOrder
from arbcore.core.models import Instrument, OrderRequest
from arbcore.exchanges.bybit.parsing import order_body, position_idx
from arbcore.exchanges.bybit.ws import BybitBookStream

BTC = Instrument(
    venue=Venue.BYBIT,
    symbol="BTCUSDT",
    venue_symbol="BTCUSDT",
    base="BTC",
    quote="USDT",
    tick_size=Decimal("0.5"),
    qty_step=Decimal("0.001"),
    min_qty=Decimal("0.001"),
)


def _req(**kw: object) -> OrderRequest:
    base: dict[str, object] = {
        "venue": Venue.BYBIT,
        "symbol": "BTCUSDT",
        "side": Side.BUY,
        "qty_base": Decimal("0.0107"),
        "client_id": "arb-1-L-1-0",
        "price": Decimal("37000.3"),
    }
    base.update(kw)
    return OrderRequest(**base)  # type: ignore[arg-type]


def test_ioc_limit_body_floors_qty_and_rounds_buy_price_up() -> None:
    body = order_body(_req(), BTC, PositionMode.ONE_WAY)
    assert body == {
        "category": "linear",
        "symbol": "BTCUSDT",
        "side": "Buy",
        "orderType": "Limit",
        "qty": "0.01",
        "price": "37000.5",
        "timeInForce": "IOC",
        "positionIdx": 0,
        "orderLinkId": "arb-1-L-1-0",
    }


def test_sell_price_rounds_down_and_market_has_no_price() -> None:
    sell = order_body(_req(side=Side.SELL), BTC, PositionMode.ONE_WAY)
    assert sell["price"] == "37000"
    market = order_body(
        _req(order_type=OrderType.MARKET, price=None, reduce_only=True, tif=TimeInForce.GTC),
        BTC,
        PositionMode.ONE_WAY,
    )
    assert "price" not in market and "timeInForce" not in market
    assert market["reduceOnly"] is True and market["orderType"] == "Market"


def test_body_serialises_without_float_noise() -> None:
    body = order_body(_req(qty_base=Decimal("0.3")), BTC, PositionMode.ONE_WAY)
    assert b'"qty":"0.3"' in orjson.dumps(body)


def test_below_minimum_and_bad_client_id_are_invalid() -> None:
    with pytest.raises(InvalidOrder):
        order_body(_req(qty_base=Decimal("0.0009")), BTC, PositionMode.ONE_WAY)
    with pytest.raises(InvalidOrder):
        order_body(_req(client_id="has space"), BTC, PositionMode.ONE_WAY)
    with pytest.raises(InvalidOrder):
        order_body(_req(client_id="x" * 37), BTC, PositionMode.ONE_WAY)


@pytest.mark.parametrize(
    ("side", "reduce_only", "position_side", "expected"),
    [
        (Side.BUY, False, None, 1),
        (Side.SELL, False, None, 2),
        (Side.SELL, True, None, 1),  # closing the long
        (Side.BUY, True, None, 2),  # closing the short
        (Side.SELL, True, PositionSide.LONG, 1),
        (Side.BUY, False, PositionSide.SHORT, 2),
    ],
)
def test_hedge_mode_position_idx(
    side: Side, reduce_only: bool, position_side: PositionSide | None, expected: int
) -> None:
    req = _req(side=side, reduce_only=reduce_only, position_side=position_side)
    assert position_idx(req, PositionMode.HEDGE) == expected
    assert position_idx(req, PositionMode.ONE_WAY) == 0


def _frame(kind: str, u: int, bids: list[list[str]], asks: list[list[str]]) -> bytes:
    return orjson.dumps(
        {
            "topic": "orderbook.50.BTCUSDT",
            "type": kind,
            "ts": 1700000000000 + u,
            "data": {"s": "BTCUSDT", "b": bids, "a": asks, "u": u, "seq": u * 10},
            "cts": 1,
        }
    )


async def test_book_stream_gap_marks_stale_until_snapshot() -> None:
    stream = BybitBookStream("ws://127.0.0.1:1/unused")
    states: list[tuple[str, bool, str]] = []
    updates: list[int] = []
    stream.add_listeners(
        lambda book, ns: updates.append(book.seq), lambda v, s, st, r: states.append((s, st, r))
    )
    await stream.subscribe(["BTCUSDT"])
    book = stream.books["BTCUSDT"]
    stream.on_frame(_frame("snapshot", 10, [["100", "1"]], [["101", "2"]]), 1)
    stream.on_frame(_frame("delta", 11, [["100.5", "3"]], []), 2)
    assert book.best_bid() == (100.5, 3.0) and not book.stale
    stream.on_frame(_frame("delta", 13, [["99", "1"]], []), 3)  # u=12 missing
    assert book.stale and "gap" in book.stale_reason and stream.gaps == 1
    stream.on_frame(_frame("delta", 14, [["98", "1"]], []), 4)  # ignored until snapshot
    assert book.seq == 11
    stream.on_frame(_frame("snapshot", 20, [["97", "1"]], [["102", "1"]]), 5)
    assert not book.stale and book.best_bid() == (97.0, 1.0)
    assert [s[1] for s in states] == [False, True, False]
    assert updates == [10, 11, 20]
    await stream.close()
    await asyncio.sleep(0)


async def test_u_equal_one_resets_the_book() -> None:
    stream = BybitBookStream("ws://127.0.0.1:1/unused")
    await stream.subscribe(["BTCUSDT"])
    book = stream.books["BTCUSDT"]
    stream.on_frame(_frame("snapshot", 500, [["100", "1"], ["99", "1"]], [["101", "2"]]), 1)
    stream.on_frame(_frame("delta", 1, [["95", "4"]], [["96", "1"]]), 2)
    assert book.seq == 1 and book.best_bid() == (95.0, 4.0) and book.best_ask() == (96.0, 1.0)
    assert len(book.depth_bids(10)) == 1
    await stream.close()


async def test_resync_without_snapshot_escalates_to_reconnect() -> None:
    stream = BybitBookStream("ws://127.0.0.1:1/unused")
    stream.resync_timeout_s = 0.01
    await stream.subscribe(["BTCUSDT"])
    reasons: list[str] = []
    stream.ws.force_reconnect = reasons.append  # type: ignore[method-assign,assignment]
    stream.ws._connected.set()  # pretend the socket is up; no server will answer the resubscribe
    stream.on_frame(_frame("snapshot", 10, [["100", "1"]], [["101", "2"]]), 1)
    stream.on_frame(_frame("delta", 12, [["99", "1"]], []), 2)
    await asyncio.sleep(0.05)
    assert len(reasons) == 1 and "no snapshot" in reasons[0]
    stream.on_frame(_frame("snapshot", 30, [["100", "1"]], [["101", "2"]]), 3)
    stream.on_frame(_frame("delta", 32, [["99", "1"]], []), 4)
    stream.on_frame(_frame("snapshot", 40, [["100", "1"]], [["101", "2"]]), 5)
    await asyncio.sleep(0.05)
    assert len(reasons) == 1  # the second gap was healed by a snapshot in time
    stream.ws._connected.clear()
    await stream.close()
