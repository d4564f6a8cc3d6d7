"""Bitget v2 payload encoders: REST envelope, orders, fills, positions, accounts, tickers."""

from __future__ import annotations

from decimal import Decimal

from arbcore.core.enums import (
    MarginMode,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
)
from arbcore.core.quantize import fmt
from arbcore.sim.events import PositionView, SimFill, SimOrder, WalletView
from arbcore.sim.venues.bitget_codes import SUCCESS_CODE, SUCCESS_MSG, BitgetError

Json = dict[str, object]
ZERO = Decimal(0)

STATE = {
    OrderStatus.NEW: "live",
    OrderStatus.PARTIALLY_FILLED: "partially_filled",
    OrderStatus.FILLED: "filled",
    OrderStatus.CANCELLED: "canceled",
    OrderStatus.REJECTED: "canceled",
    OrderStatus.UNKNOWN: "live",
}
FORCE = {
    TimeInForce.GTC: "gtc",
    TimeInForce.IOC: "ioc",
    TimeInForce.FOK: "fok",
    TimeInForce.POST_ONLY: "post_only",
}
MARGIN_MODE = {MarginMode.CROSS: "crossed", MarginMode.ISOLATED: "isolated"}
POS_MODE = {PositionMode.ONE_WAY: "one_way_mode", PositionMode.HEDGE: "hedge_mode"}


def envelope(data: object, now_ms: int) -> Json:
    return {"code": SUCCESS_CODE, "msg": SUCCESS_MSG, "requestTime": now_ms, "data": data}


def error_body(err: BitgetError, now_ms: int) -> Json:
    return {"code": err.code, "msg": err.msg, "requestTime": now_ms, "data": None}


def money(value: Decimal) -> str:
    """A USDT amount as Bitget prints it (up to 8 decimals, no exponent, no trailing zeros)."""
    return fmt(value.quantize(Decimal("0.00000001")))


def paid_fee(fee_usdt: Decimal) -> str:
    """Bitget reports paid fees as negative numbers, rebates as positive."""
    return money(-fee_usdt) if fee_usdt else "0"


def _pos_side(order_side: Side, hedge_side: PositionSide | None, mode: PositionMode) -> str:
    if mode is PositionMode.ONE_WAY or hedge_side is None:
        return "net"
    return hedge_side.value


def trade_side(side: Side, reduce_only: bool, mode: PositionMode) -> str:
    """`tradeSide` as Bitget reports it: buy_single/sell_single one-way, open/close in hedge."""
    if mode is PositionMode.ONE_WAY:
        return f"{side.value}_single"
    return "close" if reduce_only else "open"


def wire_side(order: SimOrder, mode: PositionMode) -> str:
    """In hedge mode Bitget's `side` names the position direction (closing a long is `buy`)."""
    if mode is PositionMode.HEDGE and order.position_side is not None:
        return "buy" if order.position_side is PositionSide.LONG else "sell"
    return order.side.value


def order_record(
    order: SimOrder,
    leverage: Decimal,
    margin_mode: MarginMode,
    mode: PositionMode,
    status_key: str = "state",
) -> Json:
    """One order as `/order/detail` (status_key 'state') or the order lists ('status') show it."""
    avg = order.avg_price
    profits = sum((f.realized_pnl_usdt for f in order.fills), ZERO)
    return {
        "symbol": order.symbol,
        "size": fmt(order.qty),
        "orderId": order.order_id,
        "clientOid": order.client_id,
        "baseVolume": fmt(order.filled_qty),
        "fee": paid_fee(order.fee_usdt),
        "price": fmt(order.price) if order.price is not None else "",
        "priceAvg": fmt(avg) if avg is not None else "",
        status_key: STATE[order.status],
        "side": wire_side(order, mode),
        "force": FORCE[order.tif] if order.order_type is OrderType.LIMIT else "gtc",
        "totalProfits": money(profits),
        "posSide": _pos_side(order.side, order.position_side, mode),
        "marginCoin": "USDT",
        "presetStopSurplusPrice": "",
        "presetStopLossPrice": "",
        "quoteVolume": money(order.filled_value_usdt),
        "orderType": order.order_type.value,
        "leverage": fmt(leverage),
        "marginMode": MARGIN_MODE[margin_mode],
        "reduceOnly": "YES" if order.reduce_only else "NO",
        "enterPointSource": "API",
        "tradeSide": trade_side(order.side, order.reduce_only, mode),
        "posMode": POS_MODE[mode],
        "orderSource": "market" if order.order_type is OrderType.MARKET else "normal",
        "cTime": str(order.created_ms),
        "uTime": str(order.updated_ms),
    }


def fee_detail(fill: SimFill) -> list[Json]:
    return [
        {
            "deduction": "no",
            "feeCoin": "USDT",
            "totalDeductionFee": None,
            "totalFee": paid_fee(fill.fee_usdt),
        }
    ]


def fill_record(fill: SimFill, reduce_only: bool, mode: PositionMode) -> Json:
    """One row of `/order/fills` `fillList`."""
    return {
        "tradeId": fill.exec_id,
        "symbol": fill.symbol,
        "orderId": fill.order_id,
        "price": fmt(fill.price),
        "baseVolume": fmt(fill.qty),
        "feeDetail": fee_detail(fill),
        "side": fill.side.value,
        "quoteVolume": money(fill.value_usdt),
        "profit": money(fill.realized_pnl_usdt),
        "enterPointSource": "api",
        "tradeSide": trade_side(fill.side, reduce_only, mode),
        "posMode": POS_MODE[mode],
        "tradeScope": "maker" if fill.is_maker else "taker",
        "cTime": str(fill.ts_ms),
    }


def position_record(pos: PositionView, keep_margin_rate: Decimal) -> Json:
    """One row of `/position/all-position` (open positions only)."""
    side = pos.side or pos.hedge_side or PositionSide.LONG
    break_even = pos.entry_price
    return {
        "marginCoin": "USDT",
        "symbol": pos.symbol,
        "holdSide": side.value,
        "openDelegateSize": "0",
        "marginSize": money(pos.initial_margin_usdt),
        "available": fmt(pos.qty),
        "locked": "0",
        "total": fmt(pos.qty),
        "leverage": fmt(pos.leverage),
        "achievedProfits": money(pos.realized_pnl_usdt),
        "openPriceAvg": fmt(pos.entry_price),
        "marginMode": MARGIN_MODE[pos.margin_mode],
        "posMode": POS_MODE[pos.position_mode],
        "unrealizedPL": money(pos.unrealized_pnl_usdt),
        "liquidationPrice": "0",
        "keepMarginRate": fmt(keep_margin_rate),
        "markPrice": fmt(pos.mark_price),
        "marginRatio": "0",
        "breakEvenPrice": fmt(break_even),
        "totalFee": "",
        "deductedFee": "",
        "cTime": str(pos.created_ms),
        "uTime": str(pos.updated_ms),
    }


def account_record(wallet: WalletView, btc_price: Decimal) -> Json:
    """One row of `/account/accounts` for margin coin USDT."""
    btc_equity = wallet.equity_usdt / btc_price if btc_price > 0 else ZERO
    return {
        "marginCoin": "USDT",
        "locked": money(wallet.order_margin_usdt),
        "available": money(wallet.balance_usdt - wallet.order_margin_usdt),
        "crossedMaxAvailable": money(wallet.available_usdt),
        "isolatedMaxAvailable": money(wallet.available_usdt),
        "maxTransferOut": money(wallet.available_usdt),
        "accountEquity": money(wallet.equity_usdt),
        "usdtEquity": money(wallet.equity_usdt),
        "btcEquity": money(btc_equity),
        "crossedRiskRate": "0",
        "unrealizedPL": money(wallet.unrealized_pnl_usdt),
        "coupon": "0",
        "unionTotalMagin": "",
        "unionAvailable": "",
        "unionMm": "",
        "assetMode": "single",
    }


def single_account_record(
    wallet: WalletView,
    btc_price: Decimal,
    leverage: Decimal,
    margin_mode: MarginMode,
    mode: PositionMode,
) -> Json:
    """`/account/account` for one symbol: the account row plus leverage and modes."""
    row = account_record(wallet, btc_price)
    for key in ("unionTotalMagin", "unionAvailable", "unionMm"):
        row.pop(key)
    lever = int(leverage) if leverage == leverage.to_integral_value() else float(leverage)
    row.update(
        {
            "crossedMarginLeverage": lever,
            "isolatedLongLever": lever,
            "isolatedShortLever": lever,
            "marginMode": MARGIN_MODE[margin_mode],
            "posMode": POS_MODE[mode],
            "crossedUnrealizedPL": money(wallet.unrealized_pnl_usdt),
            "isolatedUnrealizedPL": "",
            "grant": "",
            "isolatedMargin": None,
            "crossedMargin": None,
        }
    )
    return row
