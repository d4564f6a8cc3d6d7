"""Orders (unique client id per exchange), the append-only journal and the leverage cache."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from arbcore.core.enums import MarginMode, OrderStatus, OrderType, Side, TimeInForce, Venue
from arbcore.core.records import DuplicateRecord, NewOrder, NewTrade, OrderPurpose, RecordNotFound
from arbcore.persistence.events_repo import EventJournal
from arbcore.persistence.repositories import Repositories

T0 = datetime(2026, 11, 26, 12, 0, 0, 654321, tzinfo=UTC)


async def make_trade(repos: Repositories) -> int:
    trade = await repos.trades.create(
        NewTrade(
            pair_id=None,
            symbol="BTCUSDT",
            long_exchange=Venue.BYBIT,
            short_exchange=Venue.BITGET,
            target_base=Decimal("0.002"),
            opened_at=T0,
        )
    )
    return trade.id


def new_order(trade_id: int | None, client_id: str, **changes: object) -> NewOrder:
    order = NewOrder(
        exchange=Venue.BYBIT,
        symbol="BTCUSDT",
        client_id=client_id,
        side=Side.BUY,
        purpose=OrderPurpose.ENTRY,
        requested_base=Decimal("0.001"),
        sent_at=T0,
        trade_id=trade_id,
        price=Decimal("65000.1"),
        leg="L",
        part=1,
        tick_to_order_ns=412_345,
    )
    return replace(order, **changes)  # type: ignore[arg-type]


async def test_order_round_trip_and_update_by_client_id(repos: Repositories) -> None:
    trade_id = await make_trade(repos)
    recorded = await repos.orders.record(new_order(trade_id, "ac1"))
    assert recorded.status is OrderStatus.NEW
    assert recorded.filled_base == 0
    assert recorded.sent_at == T0

    acked_at = T0 + timedelta(milliseconds=3)
    updated = await repos.orders.update(
        Venue.BYBIT,
        "ac1",
        exchange_order_id="1789-abc",
        status=OrderStatus.FILLED,
        filled_base=Decimal("0.1") + Decimal("0.2"),
        avg_price=Decimal("65000.123456789012345678"),
        fee_usdt=Decimal("-0.000000000000000001"),
        acked_at=acked_at,
        ack_latency_ns=2_999_999_999_999,
    )
    loaded = await repos.orders.get(Venue.BYBIT, "ac1")

    assert loaded == updated
    assert loaded.exchange_order_id == "1789-abc"
    assert loaded.status is OrderStatus.FILLED
    assert str(loaded.filled_base) == "0.3"
    assert str(loaded.avg_price) == "65000.123456789012345678"
    assert loaded.fee_usdt == Decimal("-1E-18")
    assert loaded.acked_at == acked_at
    assert loaded.acked_at is not None
    assert loaded.acked_at.tzinfo is UTC
    assert loaded.tick_to_order_ns == 412_345
    assert loaded.ack_latency_ns == 2_999_999_999_999
    assert (loaded.side, loaded.purpose, loaded.leg, loaded.part) == (
        Side.BUY,
        OrderPurpose.ENTRY,
        "L",
        1,
    )
    assert (loaded.order_type, loaded.tif, loaded.price) == (
        OrderType.LIMIT,
        TimeInForce.IOC,
        Decimal("65000.1"),
    )

    with pytest.raises(RecordNotFound):
        await repos.orders.update(Venue.BITGET, "ac1", status=OrderStatus.CANCELLED)
    with pytest.raises(TypeError, match="symbol"):
        await repos.orders.update(Venue.BYBIT, "ac1", symbol="x")  # type: ignore[call-arg]


async def test_client_id_is_unique_per_exchange(repos: Repositories) -> None:
    trade_id = await make_trade(repos)
    await repos.orders.record(new_order(trade_id, "same-id"))
    with pytest.raises(DuplicateRecord, match="same-id"):
        await repos.orders.record(new_order(trade_id, "same-id", side=Side.SELL))
    other_venue = await repos.orders.record(new_order(trade_id, "same-id", exchange=Venue.OKX))
    assert other_venue.exchange is Venue.OKX
    assert len(await repos.orders.list_by_trade(trade_id)) == 2


async def test_orders_need_an_existing_trade(repos: Repositories) -> None:
    """Foreign keys are enforced (on SQLite only with PRAGMA foreign_keys=ON)."""
    with pytest.raises(IntegrityError):
        await repos.orders.record(new_order(987_654, "orphan"))
    flatten = await repos.orders.record(
        new_order(None, "flat-1", purpose=OrderPurpose.FLATTEN, reduce_only=True)
    )
    assert flatten.trade_id is None
    assert flatten.reduce_only is True


async def test_order_listings(repos: Repositories) -> None:
    trade_id = await make_trade(repos)
    other_trade_id = await make_trade(repos)
    sent = [T0 + timedelta(milliseconds=i) for i in range(4)]
    await repos.orders.record(new_order(trade_id, "b", sent_at=sent[1], exchange=Venue.BITGET))
    await repos.orders.record(new_order(trade_id, "a", sent_at=sent[0]))
    await repos.orders.record(new_order(other_trade_id, "c", sent_at=sent[2]))
    await repos.orders.record(new_order(trade_id, "d", sent_at=sent[3]))
    await repos.orders.update(Venue.BYBIT, "a", status=OrderStatus.FILLED)
    await repos.orders.update(Venue.BYBIT, "c", status=OrderStatus.UNKNOWN)

    assert [o.client_id for o in await repos.orders.list_by_trade(trade_id)] == ["a", "b", "d"]
    assert [o.client_id for o in await repos.orders.find()] == ["d", "c", "b", "a"]
    assert [o.client_id for o in await repos.orders.find(exchange=Venue.BITGET)] == ["b"]
    assert [o.client_id for o in await repos.orders.find(sent_from=sent[1], limit=2)] == [
        "d",
        "c",
    ]
    assert [o.client_id for o in await repos.orders.list_unfinished()] == ["d", "c", "b"]


async def test_events_are_append_only(repos: Repositories) -> None:
    trade_id = await make_trade(repos)
    first = await repos.events.append(
        "trade.opened",
        {"qty_base": Decimal("0.1") + Decimal("0.2"), "at": T0, "venue": Venue.BYBIT},
        trade_id=trade_id,
        ts=T0,
    )
    second = await repos.events.append("pair.state", {"to": "READY"})
    third = await repos.events.append("trade.closed", trade_id=trade_id)

    assert first.payload == {"qty_base": "0.3", "at": T0.isoformat(), "venue": "bybit"}
    assert first.ts == T0
    assert second.ts.tzinfo is UTC
    assert third.payload == {}
    assert [e.id for e in await repos.events.find(trade_id=trade_id)] == [first.id, third.id]
    assert [e.id for e in await repos.events.find(after_id=first.id)] == [second.id, third.id]
    assert [e.kind for e in await repos.events.find(kind="pair.state")] == ["pair.state"]
    assert [e.id for e in await repos.events.find(ts_before=T0 + timedelta(seconds=1))] == [
        first.id
    ]

    assert not {"update", "delete", "remove"} & set(dir(EventJournal))
    async with repos.db.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            await connection.execute(text("UPDATE events SET kind = 'rewritten'"))
        await connection.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            await connection.execute(text("DELETE FROM events"))
        await connection.rollback()
    assert len(await repos.events.find()) == 3


async def test_leverage_cache_upsert_and_invalidate(repos: Repositories) -> None:
    assert await repos.leverage.get(Venue.BYBIT, "BTCUSDT") is None

    first = await repos.leverage.set(Venue.BYBIT, "BTCUSDT", Decimal("5"), MarginMode.ISOLATED)
    assert first.leverage == 5
    assert first.updated_at.tzinfo is UTC
    second = await repos.leverage.set(Venue.BYBIT, "BTCUSDT", Decimal("12.5"), MarginMode.CROSS)
    await repos.leverage.set(Venue.BYBIT, "ETHUSDT", Decimal("3"), MarginMode.ISOLATED)
    await repos.leverage.set(Venue.GATE, "BTCUSDT", Decimal("7"), MarginMode.ISOLATED)

    assert await repos.leverage.get(Venue.BYBIT, "BTCUSDT") == second
    assert (second.leverage, second.margin_mode) == (Decimal("12.5"), MarginMode.CROSS)
    assert [(e.exchange, e.symbol) for e in await repos.leverage.find()] == [
        (Venue.BYBIT, "BTCUSDT"),
        (Venue.BYBIT, "ETHUSDT"),
        (Venue.GATE, "BTCUSDT"),
    ]

    assert await repos.leverage.invalidate(Venue.BYBIT, "BTCUSDT") == 1
    assert await repos.leverage.get(Venue.BYBIT, "BTCUSDT") is None
    assert await repos.leverage.invalidate(Venue.BYBIT) == 1
    assert [e.exchange for e in await repos.leverage.find()] == [Venue.GATE]


async def test_concurrent_writers_all_land(repos: Repositories) -> None:
    """Many tasks writing at once (SQLite serializes them on its lock) lose nothing."""
    trade_id = await make_trade(repos)

    async def write(index: int) -> None:
        await repos.orders.record(new_order(trade_id, f"c{index}"))
        await repos.orders.update(Venue.BYBIT, f"c{index}", status=OrderStatus.FILLED)
        await repos.events.append("order.filled", {"index": index}, trade_id=trade_id)

    await asyncio.gather(*(write(index) for index in range(25)))

    orders = await repos.orders.list_by_trade(trade_id)
    assert sorted(o.client_id for o in orders) == sorted(f"c{i}" for i in range(25))
    assert {o.status for o in orders} == {OrderStatus.FILLED}
    events = await repos.events.find(trade_id=trade_id)
    assert sorted(e.payload["index"] for e in events) == list(range(25))
