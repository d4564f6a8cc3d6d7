"""Bitget v2 WebSocket frames: acks, book snapshot/update pushes, ticker and private pushes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from arbcore.core.enums import MarginMode, OrderType, PositionMode, PositionSide
from arbcore.core.quantize import fmt
from arbcore.sim.events import PositionView, SimFill, SimOrder, WalletView
from arbcore.sim.venues.bitget_book import TextLevel
from arbcore.sim.venues.bitget_encode import (
    FORCE,
    MARGIN_MODE,
    POS_MODE,
    STATE,
    fee_detail,
    money,
    paid_fee,
    trade_side,
    wire_side,
)

Json = dict[str, object]
INST_TYPE = "USDT-FUTURES"
BOOK_CHANNELS = {"books": None, "books1": 1, "books5": 5, "books15": 15}
PUBLIC_CHANNELS = frozenset({*BOOK_CHANNELS, "ticker"})
PRIVATE_CHANNELS = frozenset({"orders", "positions", "account", "fill"})


def arg_of(channel: str, inst_id: str) -> Json:
    return {"instType": INST_TYPE, "channel": channel, "instId": inst_id}


def event_ack(event: str, arg: Json) -> Json:
    return {"event": event, "arg": arg}


def event_error(code: int, msg: str, arg: Json | None = None) -> Json:
    frame: Json = {"event": "error", "code": code, "msg": msg}
    if arg is not None:
        frame["arg"] = arg
    return frame


def missing_channel_msg(arg: Json) -> str:
    return (
        f"instType:{arg.get('instType')},channel:{arg.get('channel')},"
        f"instId:{arg.get('instId')} doesn't exist"
    )


def book_push(
    action: str,
    arg: Json,
    bids: Sequence[TextLevel],
    asks: Sequence[TextLevel],
    checksum: int,
    seq: int,
    ts_ms: int,
) -> Json:
    """One `books*` push; levels as [price, size] strings (size "0" deletes in updates)."""
    data = {
        "asks": [[px, qty] for px, qty in asks],
        "bids": [[px, qty] for px, qty in bids],
        "checksum": checksum,
        "seq": seq,
        "ts": str(ts_ms),
    }
    return {"action": action, "arg": arg, "data": [data], "ts": ts_ms}


def ticker_push(arg: Json, fields: Json, ts_ms: int) -> Json:
    return {"action": "snapshot", "arg": arg, "data": [fields], "ts": ts_ms}


def private_push(arg: Json, rows: list[Json], ts_ms: int) -> Json:
    """Private channels push `action: snapshot` for every message."""
    return {"action": "snapshot", "arg": arg, "data": rows, "ts": ts_ms}


def order_row(
    order: SimOrder,
    last_fill: SimFill | None,
    leverage: Decimal,
    margin_mode: MarginMode,
    mode: PositionMode,
) -> Json:
    """One `orders` channel row; `baseVolume`/`fillPrice`/`fillFee` describe the latest fill."""
    avg = order.avg_price
    row: Json = {
        "instId": order.symbol,
        "orderId": order.order_id,
        "clientOid": order.client_id,
        "size": fmt(order.qty),
        "newSize": fmt(order.qty),
        "notionalUsd": money(order.filled_value_usdt),
        "orderType": order.order_type.value,
        "force": FORCE[order.tif] if order.order_type is OrderType.LIMIT else "gtc",
        "side": wire_side(order, mode),
        "posSide": (
            "net"
            if mode is PositionMode.ONE_WAY or order.position_side is None
            else order.position_side.value
        ),
        "marginMode": MARGIN_MODE[margin_mode],
        "marginCoin": "USDT",
        "accBaseVolume": fmt(order.filled_qty),
        "priceAvg": fmt(avg) if avg is not None else "0",
        "status": STATE[order.status],
        "cTime": str(order.created_ms),
        "uTime": str(order.updated_ms),
        "leverage": fmt(leverage),
        "reduceOnly": "yes" if order.reduce_only else "no",
        "tradeSide": trade_side(order.side, order.reduce_only, mode),
        "enterPointSource": "API",
        "orderSource": "market" if order.order_type is OrderType.MARKET else "normal",
        "feeDetail": [{"feeCoin": "USDT", "fee": paid_fee(order.fee_usdt)}],
    }
    if order.price is not None:
        row["price"] = fmt(order.price)
    if last_fill is not None:
        row.update(
            {
                "fillPrice": fmt(last_fill.price),
                "tradeId": last_fill.exec_id,
                "baseVolume": fmt(last_fill.qty),
                "fillTime": str(last_fill.ts_ms),
                "fillFee": paid_fee(last_fill.fee_usdt),
                "fillFeeCoin": "USDT",
                "tradeScope": "M" if last_fill.is_maker else "T",
                "pnl": money(last_fill.realized_pnl_usdt),
            }
        )
    return row


def fill_row(fill: SimFill, reduce_only: bool, mode: PositionMode) -> Json:
    """One `fill` channel row."""
    return {
        "orderId": fill.order_id,
        "tradeId": fill.exec_id,
        "symbol": fill.symbol,
        "orderType": "market",
        "side": fill.side.value,
        "price": fmt(fill.price),
        "baseVolume": fmt(fill.qty),
        "quoteVolume": money(fill.value_usdt),
        "profit": money(fill.realized_pnl_usdt),
        "tradeSide": trade_side(fill.side, reduce_only, mode),
        "posMode": POS_MODE[mode],
        "tradeScope": "maker" if fill.is_maker else "taker",
        "feeDetail": fee_detail(fill),
        "cTime": str(fill.ts_ms),
        "uTime": str(fill.ts_ms),
    }


def position_row(pos: PositionView, keep_margin_rate: Decimal) -> Json:
    """One `positions` channel row (the channel lists open positions)."""
    side = pos.side or pos.hedge_side or PositionSide.LONG
    return {
        "posId": f"{pos.symbol}-{side.value}",
        "instId": pos.symbol,
        "marginCoin": "USDT",
        "marginSize": money(pos.initial_margin_usdt),
        "marginMode": MARGIN_MODE[pos.margin_mode],
        "holdSide": side.value,
        "posMode": POS_MODE[pos.position_mode],
        "total": fmt(pos.qty),
        "available": fmt(pos.qty),
        "frozen": "0",
        "openPriceAvg": fmt(pos.entry_price),
        "leverage": int(pos.leverage),
        "achievedProfits": money(pos.realized_pnl_usdt),
        "unrealizedPL": money(pos.unrealized_pnl_usdt),
        "unrealizedPLR": "0",
        "liquidationPrice": "0",
        "keepMarginRate": fmt(keep_margin_rate),
        "marginRate": "0",
        "markPrice": fmt(pos.mark_price),
        "cTime": str(pos.created_ms),
        "uTime": str(pos.updated_ms),
    }


def account_row(wallet: WalletView) -> Json:
    """One `account` channel row (margin coin USDT)."""
    return {
        "marginCoin": "USDT",
        "frozen": money(wallet.order_margin_usdt),
        "available": money(wallet.balance_usdt - wallet.order_margin_usdt),
        "maxOpenPosAvailable": money(wallet.available_usdt),
        "maxTransferOut": money(wallet.available_usdt),
        "equity": money(wallet.equity_usdt),
        "usdtEquity": money(wallet.equity_usdt),
        "crossedRiskRate": "0",
        "unrealizedPL": money(wallet.unrealized_pnl_usdt),
    }
