"""Every Bitget fixture decodes with its wire Struct and parses into the right core records."""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import msgspec
import pytest

from arbcore.core import errors
from arbcore.core.enums import Env, MarginMode, OrderStatus, PositionSide, Side
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget import history, parsing, wallet
from arbcore.exchanges.bitget import rest as r
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.paging import history_windows

FIXTURES = Path(__file__).parents[2] / "fixtures" / "bitget"
LIVE = c.profile_for(Env.LIVE)

REST_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "contracts": r.DEC_CONTRACTS,
    "merge_depth": r.DEC_DEPTH,
    "ticker": r.DEC_TICKERS,
    "server_time": r.DEC_TIME,
    "time": r.DEC_TIME,
    "place_order": r.DEC_ACK,
    "cancel_order": r.DEC_ACK,
    "order_detail": r.DEC_DETAIL,
    "orders_history": msgspec.json.Decoder(s.Envelope[s.OrdersHistory]),
    "orders_pending": r.DEC_ORDERS,
    "fills": r.DEC_FILLS,
    "all_position": r.DEC_POSITIONS,
    "single_position": r.DEC_POSITIONS,
    "accounts": r.DEC_ACCOUNTS,
    "account": msgspec.json.Decoder(s.Envelope[s.AccountRecord]),
    "current_fund_rate": r.DEC_FUND_RATE,
    "funding_time": r.DEC_FUNDING_TIME,
    "error": r.DEC_ANY,
    "place_order_request": msgspec.json.Decoder(dict[str, str]),
}
WS_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "books": msgspec.json.Decoder(s.WsBookPush),
    "orders": msgspec.json.Decoder(s.WsOrderPush),
    "subscribe": msgspec.json.Decoder(s.WsHead),
    "login": msgspec.json.Decoder(s.WsHead),
}


def _kind(path: Path) -> str:
    """`order_detail__x.json` -> order_detail; the simulator's `sim_ref__fills.json` -> fills."""
    name = path.stem.removeprefix("sim_ref__")
    if path.stem.startswith("sim_ref__"):
        kind = name.rsplit("_", 1)[0] if name.startswith("error_") else name
        for known in sorted(REST_DECODERS | WS_DECODERS, key=len, reverse=True):
            if kind.startswith(known):
                return known
        return kind
    return name.split("__", 1)[0]


def _load(sub: str, name: str) -> bytes:
    return (FIXTURES / sub / f"{name}.json").read_bytes()


@pytest.mark.parametrize("path", sorted((FIXTURES / "rest").glob("*.json")), ids=lambda p: p.stem)
def test_every_rest_fixture_decodes(path: Path) -> None:
    decoder = REST_DECODERS[_kind(path)]
    decoded = decoder.decode(path.read_bytes())
    if isinstance(decoded, s.Envelope):
        assert str(decoded.code) in (c.SUCCESS_CODE, *parsing._ERROR_TABLE)
    else:
        assert decoded


@pytest.mark.parametrize("path", sorted((FIXTURES / "ws").glob("*.json")), ids=lambda p: p.stem)
def test_every_ws_fixture_decodes(path: Path) -> None:
    decoded = WS_DECODERS[_kind(path)].decode(path.read_bytes())
    assert decoded is not None


def test_contract_becomes_instrument_with_tick_step_limits() -> None:
    env = r.DEC_CONTRACTS.decode(_load("rest", "contracts__btcusdt"))
    (inst,) = parsing.parse_instruments(env.data, LIVE)
    assert inst.symbol == inst.venue_symbol == "BTCUSDT"
    assert inst.tick_size == Decimal("0.1")
    assert inst.qty_step == Decimal("0.001")
    assert inst.min_qty == Decimal("0.001")
    assert inst.min_notional_usdt == Decimal(5)
    assert inst.max_leverage == Decimal(125)
    assert inst.max_qty == Decimal(1200)
    assert inst.trading and not inst.qty_in_contracts and inst.base_step == Decimal("0.001")


def test_demo_contract_maps_s_prefixed_coins_to_core_symbol() -> None:
    env = r.DEC_CONTRACTS.decode(_load("rest", "contracts__demo_susdt"))
    (inst,) = parsing.parse_instruments(env.data, c.profile_for(Env.DEMO))
    assert (inst.symbol, inst.venue_symbol, inst.base, inst.quote) == (
        "BTCUSDT", "SBTCSUSDT", "BTC", "USDT",
    )  # fmt: skip
    assert inst.tick_size == Decimal("0.5")  # pricePlace 1, priceEndStep 5
    assert inst.max_leverage == Decimal(1)  # empty maxLever in the demo sample


def test_delivery_contracts_are_skipped() -> None:
    env = r.DEC_CONTRACTS.decode(_load("rest", "contracts__btcusdt"))
    delivery = msgspec.structs.replace(env.data[0], symbolType="delivery")
    assert parsing.parse_instruments([delivery], LIVE) == []


def test_merge_depth_numbers_decode_to_exact_decimals() -> None:
    env = r.DEC_DEPTH.decode(_load("rest", "merge_depth__btcusdt"))
    bids, asks, ts_ms = parsing.parse_merge_depth(env.data)
    assert bids == [(Decimal("26346.5"), Decimal("0.16"))]
    assert asks == [(Decimal("26347.5"), Decimal("0.25"))]
    assert ts_ms == 1695870968804


def test_ticker_list_gives_book_top() -> None:
    env = r.DEC_TICKERS.decode(_load("rest", "ticker__btcusdt"))
    top = parsing.parse_ticker(env.data[0], "BTCUSDT")
    assert (top.bid_px, top.bid_qty, top.ask_px, top.ask_qty) == (37000.1, 2.15, 37000.2, 0.8)


def test_order_detail_one_way_reduce_only_sell() -> None:
    env = r.DEC_DETAIL.decode(_load("rest", "order_detail__filled_one_way"))
    res = parsing.parse_order_detail(env.data, "BTCUSDT")
    assert res.status is OrderStatus.FILLED and res.side is Side.SELL and res.reduce_only
    assert res.filled_base == Decimal("0.01") and res.avg_price == Decimal("37000.1")
    assert res.fee_usdt == Decimal("0.22200060")  # Bitget reports -0.222 when paid
    assert res.exchange_order_id == "1094867493227769856" and res.client_id == "arb1S10"


@pytest.mark.parametrize(
    ("name", "side", "reduce_only"),
    [
        ("sim_ref__order_detail", Side.BUY, False),  # hedge open long
        ("order_detail__swap_market_sell_hedge_open", Side.SELL, False),
        ("order_detail__swap_reduce_only_hedge_close", Side.SELL, True),  # close long = sell
    ],
)
def test_hedge_mode_order_side_is_the_traded_direction(
    name: str, side: Side, reduce_only: bool
) -> None:
    env = r.DEC_DETAIL.decode(_load("rest", name))
    res = parsing.parse_order_detail(env.data, "LTCUSDT")
    assert (res.side, res.reduce_only, res.status) == (side, reduce_only, OrderStatus.FILLED)
    assert res.filled_base == res.requested_base


def test_orders_history_uses_status_field() -> None:
    env = REST_DECODERS["orders_history"].decode(_load("rest", "sim_ref__orders_history"))
    (order,) = env.data.entrustedList
    res = parsing.parse_order_detail(order, "LTCUSDT")
    assert res.status is OrderStatus.FILLED and res.side is Side.SELL and res.reduce_only


def test_pending_row_without_fee_is_completed_from_fills() -> None:
    """The documented pending example: partly filled, `fee` empty, lower-case symbol."""
    env = r.DEC_ORDERS.decode(_load("rest", "orders_pending__doc_partially_filled"))
    (order,) = env.data.entrustedList
    assert history.lacks_fee(order) and env.data.endId is None
    res = parsing.parse_order_detail(order, "ETHUSDT")
    assert res.status is OrderStatus.PARTIALLY_FILLED and res.side is Side.BUY
    assert (res.requested_base, res.filled_base, res.avg_price) == (
        Decimal("100"), Decimal("12.1"), Decimal("1903"),
    )  # fmt: skip
    assert res.fee_usdt == 0 and res.client_id == "12321"


def test_history_rows_carry_their_fee() -> None:
    env = REST_DECODERS["orders_history"].decode(_load("rest", "sim_ref__orders_history"))
    (order,) = env.data.entrustedList
    assert not history.lacks_fee(order)
    assert parsing.parse_order_detail(order, "LTCUSDT").fee_usdt == Decimal("0.004335")


def test_history_windows_cover_since_to_now_in_three_month_spans() -> None:
    day_ms = 24 * 3600 * 1000
    windows = history_windows(0, 200 * day_ms, c.HISTORY_WINDOW_MS)
    assert windows[0][0] == 0 and windows[-1][1] == 200 * day_ms
    assert all(end - start <= 90 * day_ms for start, end in windows) and len(windows) == 3
    assert all(b[0] == a[1] + 1 for a, b in pairwise(windows))
    assert history_windows(5, 5, c.HISTORY_WINDOW_MS) == [(5, 5)]


def test_fill_fee_sign_and_close_side() -> None:
    env = r.DEC_FILLS.decode(_load("rest", "sim_ref__fills"))
    (rec,) = env.data.fillList
    fill = parsing.parse_fill(rec, "LTCUSDT", "cid1")
    assert fill.fee_usdt == Decimal("0.004335") and not fill.is_maker
    assert fill.side is Side.SELL  # hedge close of a long
    assert (fill.qty_base, fill.price, fill.trade_id) == (
        Decimal("0.1"), Decimal("72.25"), "1115965644337205249",
    )  # fmt: skip


def test_positions_one_way_and_hedge() -> None:
    env = r.DEC_POSITIONS.decode(_load("rest", "all_position__one_way_long"))
    pos = parsing.parse_position(env.data[0], "BTCUSDT")
    assert pos.qty_base == Decimal("0.01") and pos.side is None
    assert pos.margin_mode is MarginMode.CROSS and pos.entry_price == Decimal("37000.1")
    hedge = r.DEC_POSITIONS.decode(_load("rest", "sim_ref__all_position"))
    hpos = parsing.parse_position(hedge.data[0], "LTCUSDT")
    assert hpos.side is PositionSide.LONG and hpos.leverage == Decimal(5)
    short = msgspec.structs.replace(hedge.data[0], holdSide="short")
    assert parsing.parse_position(short, "LTCUSDT").qty_base == Decimal("-0.1")
    assert r.DEC_POSITIONS.decode(_load("rest", "single_position__empty")).data == []


def test_balance_uses_free_margin_of_the_mode() -> None:
    env = r.DEC_ACCOUNTS.decode(_load("rest", "accounts__usdt"))
    bal = wallet.parse_balance(env.data[0], "USDT", MarginMode.CROSS, 5)
    assert (bal.equity, bal.available, bal.ts_ms) == (Decimal("1000.6"), Decimal("962.1"), 5)
    single = REST_DECODERS["account"].decode(_load("rest", "account__margin_mode_linear"))
    assert parsing.parse_margin_mode(single.data.marginMode) is MarginMode.CROSS
    assert single.data.crossedMarginLeverage == "10"


def test_funding_rate_new_and_old_shapes() -> None:
    env = r.DEC_FUND_RATE.decode(_load("rest", "sim_ref__current_fund_rate"))
    rate = parsing.parse_funding_rate(env.data[0], "BTCUSDT")
    assert (rate.rate, rate.next_funding_ms, rate.interval_h) == (
        Decimal("-0.000014"), 1745510400000, 8,
    )  # fmt: skip
    old = s.CurrentFundRate(symbol="BTCUSDT", fundingRate="0.0001")
    times = r.DEC_FUNDING_TIME.decode(_load("rest", "funding_time__btcusdt")).data[0]
    rate = parsing.parse_funding_rate(old, "BTCUSDT", times)
    assert (rate.next_funding_ms, rate.interval_h) == (1745424000000, 8)


def test_acks_carry_ids() -> None:
    ack = r.DEC_ACK.decode(_load("rest", "place_order__ack")).data
    res = parsing.parse_order_ack(
        ack, symbol="BTCUSDT", client_id="arb1S10", side=Side.SELL, qty_base=Decimal("0.01"),
        reduce_only=True,
    )  # fmt: skip
    assert res.status is OrderStatus.NEW and res.exchange_order_id == "1094867493227769856"
    cancel = r.DEC_ACK.decode(_load("rest", "sim_ref__cancel_order")).data
    assert (cancel.orderId, cancel.clientOid) == ("1338573177902235649", "abc321")


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("error__order_exceeds_balance", errors.InsufficientMargin),
        ("sim_ref__error_insufficient", errors.InsufficientMargin),
        ("error__too_many_requests", errors.RateLimited),
        ("sim_ref__error_rate_limit", errors.RateLimited),
    ],
)
def test_error_envelopes_map_to_core_errors(name: str, error: type[Exception]) -> None:
    env = r.DEC_ANY.decode(_load("rest", name))
    assert env.data is None
    exc = parsing.map_error(env.code, env.msg, 400)
    assert type(exc) is error and exc.code == env.code and exc.venue == "bitget"


def test_ws_orders_push_gives_cumulative_state_and_latest_fill() -> None:
    push = WS_DECODERS["orders"].decode(_load("ws", "orders__filled_one_way"))
    res = parsing.parse_ws_order(push.data[0], "BTCUSDT")
    assert res.status is OrderStatus.FILLED and res.side is Side.SELL and res.reduce_only
    assert res.filled_base == Decimal("0.01") and res.fee_usdt == Decimal("0.2220006")
    (fill,) = res.fills
    assert (fill.trade_id, fill.price, fill.fee_usdt, fill.is_maker) == (
        "1094867493483622401", Decimal("37000.1"), Decimal("0.2220006"), False,
    )  # fmt: skip


def test_ws_events_decode() -> None:
    ack = WS_DECODERS["subscribe"].decode(_load("ws", "subscribe__ack"))
    assert ack.event == "subscribe" and ack.arg is not None and ack.arg.channel == "books"
    err = WS_DECODERS["subscribe"].decode(_load("ws", "subscribe__error"))
    assert (err.event, err.code) == ("error", 30001)
    login = WS_DECODERS["login"].decode(_load("ws", "login__ack"))
    assert (login.event, login.code) == ("login", 0)
    failed = WS_DECODERS["login"].decode(_load("ws", "login__error"))
    assert isinstance(parsing.map_error(failed.code, failed.msg), errors.AuthError)


def test_subscribe_request_fixture_matches_our_frame() -> None:
    from arbcore.exchanges.bitget.ws import BookStream

    stream = BookStream("USDT-FUTURES", str, lambda book, ns: None)
    (frame,) = stream.subscribe_frames(["books:BTCUSDT"])
    assert json.loads(frame) == json.loads(_load("ws", "subscribe__request"))


def test_funding_payments_come_from_settle_fee_bills_only() -> None:
    bills = [
        s.Bill(billId="1", amount="-0.31399125", businessType="contract_settle_fee", cTime="5"),
        s.Bill(billId="2", amount="-1.2", businessType="close_long", cTime="6"),
        s.Bill(billId="3", amount="0.05", businessType="contract_settle_fee", cTime="7"),
    ]
    payments = parsing.parse_funding_payments(bills, "BTCUSDT")
    assert [(p.amount_usdt, p.ts_ms) for p in payments] == [
        (Decimal("-0.31399125"), 5), (Decimal("0.05"), 7),
    ]  # fmt: skip
