"""Every Bybit fixture (recorded ccxt responses and fact-sheet samples) decodes and parses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from arbcore.core.enums import MarginMode, OrderStatus, Side
from arbcore.core.errors import AuthError, LeverageNotModified
from arbcore.exchanges.bybit import schemas as S
from arbcore.exchanges.bybit.parsing import (
    error_for,
    is_trade,
    parse_execution,
    parse_funding_payment,
    parse_funding_rate,
    parse_instrument,
    parse_order,
    parse_position,
    parse_wallet,
    rest_book_levels,
    ret_code,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "bybit"
REST = sorted((FIXTURES / "rest").glob("*.json"))
WS = sorted((FIXTURES / "ws").glob("*.json"))


def _result(path: Path) -> tuple[S.Envelope, msgspec.Raw]:
    env = msgspec.json.decode(path.read_bytes(), type=S.Envelope)
    return env, env.result


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _decode_rest(path: Path) -> int:
    """Decode and parse one REST fixture; returns how many records were parsed."""
    env, raw = _result(path)
    name = path.name.split("__")[0]
    if ret_code(env) != 0:
        err = error_for(ret_code(env), env.retMsg)
        return 1 if err.code == str(ret_code(env)) else 0
    if name == "instruments":
        res = msgspec.json.decode(raw, type=S.InstrumentsResult)
        return sum(parse_instrument(i) is not None for i in res.list)
    if name == "time":
        return int(bool(msgspec.json.decode(raw, type=S.ServerTime).timeNano))
    if name == "orderbook":
        bids, asks, _, ts_ms = rest_book_levels(msgspec.json.decode(raw, type=S.OrderbookResult))
        return len(bids) + len(asks) if ts_ms > 0 else 0
    if name == "tickers":
        tickers = msgspec.json.decode(raw, type=S.TickersResult).list
        return sum(parse_funding_rate(t, 8).next_funding_ms > 0 for t in tickers)
    if name == "order_create":
        return int(bool(msgspec.json.decode(raw, type=S.OrderAck).orderId))
    if name in ("order_realtime", "order_history"):
        orders = msgspec.json.decode(raw, type=S.OrderListResult).list
        return sum(parse_order(o).side in (Side.BUY, Side.SELL) for o in orders)
    if name == "position_list":
        positions = msgspec.json.decode(raw, type=S.PositionListResult).list
        return sum(parse_position(p, keep_flat=True) is not None for p in positions)
    if name == "wallet_balance":
        return int(parse_wallet(msgspec.json.decode(raw, type=S.WalletResult)).equity > 0)
    if name == "execution_list":
        executions = msgspec.json.decode(raw, type=S.ExecutionListResult).list
        parsed = [
            parse_execution(e) if is_trade(e) else parse_funding_payment(e) for e in executions
        ]
        return len(parsed)
    raise AssertionError(f"no decoder for {path.name}")


@pytest.mark.parametrize("path", REST, ids=lambda p: p.name)
def test_rest_fixture_decodes_and_parses(path: Path) -> None:
    assert _decode_rest(path) >= 1


def _decode_ws(path: Path) -> int:
    data = path.read_bytes()
    name = path.name.split("__")[0]
    if name in ("orderbook", "subscribe") or path.name == "pong__sheet_public.json":
        frame = msgspec.json.decode(data, type=S.PublicFrame)
        if frame.data is not None:
            return len(frame.data.b) + len(frame.data.a)
        return int(bool(frame.op))
    if name == "tickers":
        return int(bool(msgspec.json.decode(data, type=S.TickerFrame).data.bid1Price))
    frame_p = msgspec.json.decode(data, type=S.PrivateFrame)
    if name in ("auth", "pong"):
        return int(frame_p.op in ("auth", "pong"))
    if name == "order":
        return len(
            [parse_order(o) for o in msgspec.json.decode(frame_p.data, type=list[S.OrderInfo])]
        )
    if name == "execution":
        execs = msgspec.json.decode(frame_p.data, type=list[S.Execution])
        return len([parse_execution(e) for e in execs if is_trade(e)])
    if name == "position":
        infos = msgspec.json.decode(frame_p.data, type=list[S.PositionInfo])
        return sum(parse_position(p) is not None for p in infos)
    if name == "wallet":
        accounts = msgspec.json.decode(frame_p.data, type=list[S.WalletAccount])
        return int(parse_wallet(S.WalletResult(accounts)).available > 0)
    raise AssertionError(f"no decoder for {path.name}")


@pytest.mark.parametrize("path", WS, ids=lambda p: p.name)
def test_ws_fixture_decodes_and_parses(path: Path) -> None:
    assert _decode_ws(path) >= 1


def test_instrument_sheet_values() -> None:
    _, raw = _result(FIXTURES / "rest/instruments__sheet_btcusdt.json")
    inst = parse_instrument(msgspec.json.decode(raw, type=S.InstrumentsResult).list[0])
    assert inst is not None
    assert (inst.tick_size, inst.qty_step, inst.min_qty) == (
        Decimal("0.50"),
        Decimal("0.001"),
        Decimal("0.001"),
    )
    assert inst.min_notional_usdt == Decimal(5)
    assert inst.max_leverage == Decimal(100)
    assert inst.trading and not inst.qty_in_contracts


def test_order_sheet_filled_values() -> None:
    _, raw = _result(FIXTURES / "rest/order_realtime__sheet_filled.json")
    order = parse_order(msgspec.json.decode(raw, type=S.OrderListResult).list[0])
    assert order.status is OrderStatus.FILLED
    assert order.client_id == "arb-1-S-1-0"
    assert order.side is Side.SELL and order.reduce_only
    assert order.filled_base == Decimal("0.010")
    assert order.avg_price == Decimal("37000.1")
    assert order.fee_usdt == Decimal("0.20350055")
    assert order.error is None


def test_spot_partially_filled_canceled_keeps_filled_qty() -> None:
    _, raw = _result(FIXTURES / "rest/order_realtime__ccxt_spot_partially_filled_canceled.json")
    order = parse_order(msgspec.json.decode(raw, type=S.OrderListResult).list[0])
    assert order.status is OrderStatus.CANCELLED
    assert order.filled_base == Decimal("0.001614")
    assert order.error == "EC_CancelForNoFullFill"


def test_recorded_linear_new_order_is_open() -> None:
    _, raw = _result(FIXTURES / "rest/order_realtime__ccxt_linear_new.json")
    order = parse_order(msgspec.json.decode(raw, type=S.OrderListResult).list[0])
    assert order.status is OrderStatus.NEW and not order.status.is_final
    assert order.filled_base == 0 and order.avg_price is None


def test_positions_signed_and_flat() -> None:
    _, raw = _result(FIXTURES / "rest/position_list__ccxt_linear_long.json")
    pos = parse_position(msgspec.json.decode(raw, type=S.PositionListResult).list[0])
    assert pos is not None
    assert pos.qty_base == Decimal("1.2") and pos.entry_price == Decimal("64.59947917")
    assert pos.margin_mode is MarginMode.CROSS and pos.side is None
    _, raw = _result(FIXTURES / "rest/position_list__ccxt_linear_flat.json")
    assert parse_position(msgspec.json.decode(raw, type=S.PositionListResult).list[0]) is None
    frame = msgspec.json.decode(_load("ws/position__sheet_short.json"), type=S.PrivateFrame)
    short = parse_position(msgspec.json.decode(frame.data, type=list[S.PositionInfo])[0])
    assert short is not None and short.qty_base == Decimal("-0.010")
    assert short.entry_price == Decimal("37000.1")


def test_wallet_unified_uses_account_totals() -> None:
    _, raw = _result(FIXTURES / "rest/wallet_balance__ccxt_unified.json")
    bal = parse_wallet(msgspec.json.decode(raw, type=S.WalletResult))
    assert bal.equity == Decimal("92255.96988644")
    assert bal.available == Decimal("89987.9688149")


def test_funding_payments_sign() -> None:
    _, raw = _result(FIXTURES / "rest/execution_list__ccxt_linear_funding_history.json")
    executions = msgspec.json.decode(raw, type=S.ExecutionListResult).list
    payments = [parse_funding_payment(e) for e in executions]
    assert len(payments) == 14
    # execFee -0.00708126 on a long with a negative rate: the long received funding.
    assert payments[0].amount_usdt == Decimal("0.00708126")
    assert payments[1].amount_usdt == Decimal("-0.0007797")
    assert payments[0].ts_ms == 1710921600000


def test_ticker_funding_rate() -> None:
    _, raw = _result(FIXTURES / "rest/tickers__ccxt_linear_funding_rate.json")
    rate = parse_funding_rate(msgspec.json.decode(raw, type=S.TickersResult).list[0], 8)
    assert rate.rate == Decimal("0.0001") and rate.next_funding_ms == 1730736000000


def test_trade_execution_fee_paid_positive() -> None:
    _, raw = _result(FIXTURES / "rest/execution_list__ccxt_linear_trade.json")
    fill = parse_execution(msgspec.json.decode(raw, type=S.ExecutionListResult).list[0])
    assert fill.fee_usdt == Decimal("0.00468105") and fill.qty_base == Decimal("0.1")
    assert fill.price == Decimal("85.11") and not fill.is_maker


def test_leverage_not_modified_maps_to_its_error() -> None:
    env, _ = _result(FIXTURES / "rest/set_leverage__sheet_not_modified.json")
    assert isinstance(error_for(ret_code(env), env.retMsg), LeverageNotModified)


def test_book_frames() -> None:
    snap = msgspec.json.decode(_load("ws/orderbook__sheet_snapshot.json"), type=S.PublicFrame)
    assert snap.type == "snapshot" and snap.data is not None
    assert snap.data.u == 18521288 and snap.data.b[0] == ["16493.50", "0.006"]
    delta = msgspec.json.decode(_load("ws/orderbook__sheet_delta.json"), type=S.PublicFrame)
    assert delta.type == "delta" and delta.data is not None and delta.data.a[0][1] == "0"


def test_auth_failures_documented_on_the_error_page_are_auth_errors() -> None:
    # bybit-exchange.github.io/docs/v5/error: 10003 invalid key, 10004 bad sign,
    # 10007 "User authentication failed.", 33004 "(Derivatives) Your api key has expired"
    for code in (10003, 10004, 10007, 33004):
        err = error_for(code, "auth", placing_order=True)
        assert isinstance(err, AuthError) and not err.retryable, code
