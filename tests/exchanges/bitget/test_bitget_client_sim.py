"""BitgetClient against the simulator's Bitget front end over real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from arbcore.core import errors
from arbcore.core.enums import (
    Env,
    MarginMode,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
    Venue,
)
from arbcore.core.models import Fill, OrderRequest, OrderResult, Position
from arbcore.exchanges.base import ConnectorConfig, Credentials, ExchangeClient
from arbcore.exchanges.bitget.client import BitgetClient
from arbcore.market.book import L2Book
from arbcore.sim.events import RejectReason
from arbcore.sim.testing import RunningSim, running_sim

SYMBOL = "BTCUSDT"
QTY = Decimal("0.01")


async def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll until `predicate` holds; the bound only stops a broken test from hanging."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


@dataclass
class Recorder:
    books: int = 0
    states: list[tuple[bool, str]] = field(default_factory=list)
    orders: list[OrderResult] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)

    def on_book(self, book: L2Book, recv_ns: int) -> None:
        self.books += 1

    def on_state(self, venue: Venue, symbol: str, stale: bool, reason: str) -> None:
        self.states.append((stale, reason))


def make_client(sim: RunningSim, secret: str | None = None) -> BitgetClient:
    ep = sim.endpoints[Venue.BITGET]
    creds = Credentials(ep.api_key, secret or ep.secret, ep.passphrase)
    config = ConnectorConfig(
        venue=Venue.BITGET,
        env=Env.SIM,
        credentials=creds,
        rest_url=ep.rest_url,
        ws_public_url=ep.ws_public_url,
        ws_private_url=ep.ws_private_url,
        order_timeout_s=2.0,
    )
    return BitgetClient(config)


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim([Venue.BITGET], seed=3) as running:
        yield running


@pytest.fixture
async def client(sim: RunningSim) -> AsyncIterator[BitgetClient]:
    cl = make_client(sim)
    await cl.start()
    await cl.load_instruments()
    yield cl
    await cl.close()


async def streaming(client: BitgetClient) -> Recorder:
    rec = Recorder()
    await client.subscribe_books([SYMBOL], rec.on_book, rec.on_state)
    await wait_until(lambda: rec.books >= 3)
    return rec


def ioc(
    client: BitgetClient, side: Side, cid: str, qty: Decimal = QTY, **kw: object
) -> OrderRequest:
    book = client.book(SYMBOL)
    assert book is not None
    top = book.best_ask() if side is Side.BUY else book.best_bid()
    assert top is not None
    slip = Decimal("1.002") if side is Side.BUY else Decimal("0.998")
    price = Decimal(str(top[0])) * slip
    return OrderRequest(Venue.BITGET, SYMBOL, side, qty, cid, price=price, **kw)  # type: ignore[arg-type]


async def test_is_an_exchange_client(client: BitgetClient) -> None:
    assert isinstance(client, ExchangeClient)
    assert client.capabilities.needs_passphrase


async def test_instruments(client: BitgetClient) -> None:
    inst = client.instruments[SYMBOL]
    assert inst.venue_symbol == SYMBOL and inst.qty_step > 0 and inst.tick_size > 0
    assert inst.min_notional_usdt > 0 and not inst.qty_in_contracts


async def test_book_stream_is_whole_and_validated(client: BitgetClient) -> None:
    rec = await streaming(client)
    book = client.book(SYMBOL)
    assert book is not None and not book.stale and not book.is_crossed()
    assert rec.states == [(False, "")]
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None and ask is not None and bid[0] < ask[0]


async def test_corrupt_checksum_marks_stale_and_resyncs(
    sim: RunningSim, client: BitgetClient
) -> None:
    rec = await streaming(client)
    sim.faults(Venue.BITGET).corrupt_checksum(1)
    await wait_until(lambda: any(stale and "checksum" in why for stale, why in rec.states))
    await wait_until(lambda: rec.states[-1] == (False, ""))
    book = client.book(SYMBOL)
    assert book is not None and not book.stale


async def test_skipped_deltas_are_detected_and_resynced(
    sim: RunningSim, client: BitgetClient
) -> None:
    rec = await streaming(client)
    sim.faults(Venue.BITGET).skip_sequence(1)
    await wait_until(lambda: any(stale for stale, _ in rec.states))
    await wait_until(lambda: rec.states[-1] == (False, ""))


async def test_socket_drop_reconnects_and_book_is_whole_again(
    sim: RunningSim, client: BitgetClient
) -> None:
    rec = await streaming(client)
    sim.faults(Venue.BITGET).drop_ws()
    await wait_until(lambda: any(stale and "disconnected" in why for stale, why in rec.states))
    await wait_until(lambda: rec.states[-1] == (False, ""))
    before = rec.books
    await wait_until(lambda: rec.books > before + 2)


async def test_ioc_fill_through_private_stream(client: BitgetClient) -> None:
    rec = await streaming(client)
    await client.subscribe_private(rec.orders.append, rec.fills.append, rec.positions.append)
    result = await client.submit_order(ioc(client, Side.BUY, "acfill1"))
    assert result.status is OrderStatus.FILLED and result.filled_base == QTY
    assert result.avg_price is not None and result.fee_usdt > 0
    await wait_until(lambda: any(f.client_id == "acfill1" for f in rec.fills))
    positions = await client.fetch_positions([SYMBOL])
    assert [p.qty_base for p in positions] == [QTY]
    close = await client.submit_order(ioc(client, Side.SELL, "acfill2", reduce_only=True))
    assert close.status is OrderStatus.FILLED and close.reduce_only
    assert await client.fetch_positions([SYMBOL]) == []


async def test_ioc_fill_without_private_stream_polls_order_detail(client: BitgetClient) -> None:
    await streaming(client)
    result = await client.submit_order(ioc(client, Side.SELL, "acpoll1"))
    assert result.status is OrderStatus.FILLED and result.side is Side.SELL
    found = await client.fetch_order(SYMBOL, "acpoll1")
    assert found.filled_base == QTY and found.exchange_order_id == result.exchange_order_id


async def test_partial_fill(sim: RunningSim, client: BitgetClient) -> None:
    await streaming(client)
    sim.faults(Venue.BITGET).partial_fill_next(1, 0.5)
    result = await client.submit_order(ioc(client, Side.BUY, "acpart1"))
    assert Decimal(0) < result.filled_base < QTY
    assert result.status in (OrderStatus.CANCELLED, OrderStatus.PARTIALLY_FILLED)


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        (RejectReason.INSUFFICIENT_MARGIN, errors.InsufficientMargin),
        (RejectReason.REDUCE_ONLY_WOULD_INCREASE, errors.ReduceOnlyRejected),
        (RejectReason.DUPLICATE_CLIENT_ID, errors.DuplicateClientOrderId),
        (RejectReason.QTY_OFF_STEP, errors.InvalidOrder),
        (RejectReason.BELOW_MIN_NOTIONAL, errors.InvalidOrder),
    ],
)
async def test_rejects_map_to_core_errors(
    sim: RunningSim, client: BitgetClient, reason: RejectReason, error: type[Exception]
) -> None:
    await streaming(client)
    sim.faults(Venue.BITGET).reject_next_orders(1, reason)
    with pytest.raises(error):
        await client.submit_order(ioc(client, Side.BUY, "acrej1"))


async def test_real_reduce_only_reject_without_position(client: BitgetClient) -> None:
    await streaming(client)
    with pytest.raises(errors.ReduceOnlyRejected):
        await client.submit_order(ioc(client, Side.SELL, "acro1", reduce_only=True))


async def test_execute_then_timeout_is_unknown_then_found(
    sim: RunningSim, client: BitgetClient
) -> None:
    await streaming(client)
    sim.faults(Venue.BITGET).execute_then_timeout_next(1)
    with pytest.raises(errors.OrderOutcomeUnknown) as info:
        await client.submit_order(ioc(client, Side.BUY, "acunk1"))
    assert info.value.client_id == "acunk1"
    found = await client.fetch_order(SYMBOL, "acunk1")
    assert found.status is OrderStatus.FILLED and found.filled_base == QTY


async def test_resting_order_cancel_and_unknown_order(client: BitgetClient) -> None:
    await streaming(client)
    book = client.book(SYMBOL)
    assert book is not None
    bid = book.best_bid()
    assert bid is not None
    req = OrderRequest(
        Venue.BITGET, SYMBOL, Side.BUY, QTY, "acrest1", OrderType.LIMIT, TimeInForce.GTC,
        price=Decimal(str(bid[0])) * Decimal("0.9"),
    )  # fmt: skip
    placed = await client.submit_order(req)
    assert placed.status is OrderStatus.NEW and placed.exchange_order_id
    cancelled = await client.cancel_order(SYMBOL, "acrest1")
    assert cancelled.status is OrderStatus.CANCELLED and cancelled.filled_base == 0
    with pytest.raises(errors.OrderNotFound):
        await client.fetch_order(SYMBOL, "acnever")


async def test_local_checks_refuse_bad_orders_before_sending(client: BitgetClient) -> None:
    await streaming(client)
    with pytest.raises(errors.InvalidOrder):
        await client.submit_order(ioc(client, Side.BUY, "acstep1", qty=Decimal("0.0105")))
    with pytest.raises(errors.InvalidOrder):
        await client.submit_order(ioc(client, Side.BUY, "bad-id_with_symbols"))


async def test_balance_leverage_margin_and_position_mode(client: BitgetClient) -> None:
    balance = await client.fetch_balance()
    assert balance.asset == "USDT" and balance.equity > 0 and balance.available > 0
    for _ in range(2):  # repeating a setting counts as success
        await client.set_margin_mode(SYMBOL, MarginMode.ISOLATED)
        await client.set_leverage(SYMBOL, 7, MarginMode.ISOLATED)
        await client.set_position_mode(PositionMode.ONE_WAY)
    assert client.margin_modes[SYMBOL] is MarginMode.ISOLATED
    rate = await client.fetch_funding_rate(SYMBOL)
    assert rate.next_funding_ms > 0 and rate.interval_h > 0


async def test_rate_limit_answer_is_rate_limited(sim: RunningSim, client: BitgetClient) -> None:
    sim.faults(Venue.BITGET).rate_limit_next(1)
    with pytest.raises(errors.RateLimited):
        await client.fetch_balance()
    assert (await client.fetch_balance()).equity > 0


async def test_wrong_secret_is_an_auth_error(sim: RunningSim) -> None:
    bad = make_client(sim, secret="not-the-secret")
    await bad.start()
    try:
        with pytest.raises(errors.AuthError):
            await bad.fetch_balance()
    finally:
        await bad.close()


async def test_private_login_with_wrong_secret_is_an_auth_error(sim: RunningSim) -> None:
    bad = make_client(sim, secret="not-the-secret")
    await bad.start()
    await bad.load_instruments()
    rec = Recorder()
    try:
        with pytest.raises(errors.AuthError):
            await bad.subscribe_private(rec.orders.append)
    finally:
        await bad.close()


async def test_hedge_mode_open_and_close_both_sides(client: BitgetClient) -> None:
    await streaming(client)
    await client.set_position_mode(PositionMode.HEDGE)
    long_open = await client.submit_order(ioc(client, Side.BUY, "achl1"))
    short_open = await client.submit_order(ioc(client, Side.SELL, "achs1"))
    assert (long_open.status, short_open.status) == (OrderStatus.FILLED, OrderStatus.FILLED)
    positions = {p.side: p.qty_base for p in await client.fetch_positions([SYMBOL])}
    assert positions == {PositionSide.LONG: QTY, PositionSide.SHORT: -QTY}
    close_long = await client.submit_order(ioc(client, Side.SELL, "achl2", reduce_only=True))
    assert close_long.side is Side.SELL and close_long.reduce_only
    close_short = await client.submit_order(ioc(client, Side.BUY, "achs2", reduce_only=True))
    assert close_short.side is Side.BUY and close_short.filled_base == QTY
    assert await client.fetch_positions([SYMBOL]) == []
