"""Bybit v5 JSON shapes built from core records: orders, executions, positions, wallet, markets."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from arbcore.core.enums import MarginMode, OrderStatus, OrderType, PositionSide, Side, TimeInForce
from arbcore.core.models import Instrument
from arbcore.core.quantize import fmt
from arbcore.sim.events import PositionView, RejectReason, SimFill, SimOrder, WalletView
from arbcore.sim.market import SimBook
from arbcore.sim.matching import SimExchange

MONEY_STEP = Decimal("0.00000001")
MAINT_MARGIN_RATE = Decimal("0.005")
_STATUS = {
    OrderStatus.NEW: "New",
    OrderStatus.PARTIALLY_FILLED: "PartiallyFilled",
    OrderStatus.FILLED: "Filled",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.REJECTED: "Rejected",
}
_TIF = {
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.POST_ONLY: "PostOnly",
}
_REJECT_TEXT = {
    RejectReason.POST_ONLY_WOULD_TAKE: "EC_PostOnlyWillTakeLiquidity",
}


def money(value: Decimal) -> str:
    """A USDT amount or derived price with at most 8 decimals, no trailing zeros."""
    return fmt(value.quantize(MONEY_STEP))


def _qty(book: SimBook, qty: Decimal) -> str:
    """A quantity with the step's decimals; zero prints as "0" like Bybit does."""
    return "0" if qty == 0 else book.qty_text(book.steps_of(qty))


def side_text(side: Side) -> str:
    return "Buy" if side is Side.BUY else "Sell"


def position_idx(hedge_side: PositionSide | None) -> int:
    if hedge_side is None:
        return 0
    return 1 if hedge_side is PositionSide.LONG else 2


def _display_price(order: SimOrder, book: SimBook) -> str:
    if order.price is not None:
        return book.price_text(book.ticks_of(order.price))
    ref = order.avg_price or book.mid_price() or Decimal(0)
    protect = ref * (Decimal("1.01") if order.side is Side.BUY else Decimal("0.99"))
    return book.price_text(book.ticks_of(protect))


def order_json(order: SimOrder, exchange: SimExchange) -> dict[str, Any]:
    """A linear order as /v5/order/realtime and the `order` topic show it."""
    book = exchange.books[order.symbol]
    inst = book.instrument
    avg = order.avg_price
    leaves = order.leaves_qty
    price_text = _display_price(order, book)
    cancel_type = "UNKNOWN"
    if order.status is OrderStatus.CANCELLED and order.cancel_reason == "user":
        cancel_type = "CancelByUser"
    reject = (
        _REJECT_TEXT.get(order.reject_reason, "EC_NoError")
        if order.reject_reason
        else ("EC_NoError")
    )
    return {
        "symbol": inst.venue_symbol,
        "orderType": "Market" if order.order_type is OrderType.MARKET else "Limit",
        "orderLinkId": order.client_id,
        "slLimitPrice": "0",
        "orderId": order.order_id,
        "cancelType": cancel_type,
        "avgPrice": "" if avg is None else money(avg),
        "stopOrderType": "",
        "lastPriceOnCreated": price_text,
        "orderStatus": _STATUS[order.status],
        "createType": "CreateByUser",
        "takeProfit": "",
        "cumExecValue": money(order.filled_value_usdt),
        "tpslMode": "",
        "smpType": "None",
        "triggerDirection": 0,
        "blockTradeId": "",
        "cumFeeDetail": {"USDT": money(order.fee_usdt)} if order.fills else {},
        "rejectReason": reject,
        "isLeverage": "",
        "price": price_text,
        "orderIv": "",
        "createdTime": str(order.created_ms),
        "tpTriggerBy": "",
        "positionIdx": position_idx(order.position_side),
        "timeInForce": _TIF[order.tif],
        "leavesValue": money(leaves * inst.contract_size * Decimal(price_text)),
        "updatedTime": str(order.updated_ms),
        "side": side_text(order.side),
        "smpGroup": 0,
        "triggerPrice": "",
        "tpLimitPrice": "0",
        "cumExecFee": money(order.fee_usdt),
        "slTriggerBy": "",
        "leavesQty": _qty(book, leaves),
        "closeOnTrigger": False,
        "slippageToleranceType": "UNKNOWN",
        "placeType": "",
        "cumExecQty": _qty(book, order.filled_qty),
        "reduceOnly": order.reduce_only,
        "qty": _qty(book, order.qty),
        "stopLoss": "",
        "marketUnit": "",
        "smpOrderId": "",
        "slippageTolerance": "0",
        "triggerBy": "",
        "extraFees": "",
    }


def execution_json(fill: SimFill, exchange: SimExchange) -> dict[str, Any]:
    """An execution (trade or funding) as /v5/execution/list and the `execution` topic show it."""
    book = exchange.books[fill.symbol]
    order = exchange.orders.get(fill.order_id)
    mark = exchange.mark_price(fill.symbol)
    return {
        "symbol": book.instrument.venue_symbol,
        "orderType": "UNKNOWN"
        if order is None
        else ("Market" if order.order_type is OrderType.MARKET else "Limit"),
        "underlyingPrice": "",
        "orderLinkId": fill.client_id,
        "orderId": fill.order_id or fill.exec_id,
        "stopOrderType": "UNKNOWN",
        "execTime": str(fill.ts_ms),
        "feeCurrency": "",
        "createType": "" if fill.is_funding else "CreateByUser",
        "feeRate": fmt(fill.fee_rate),
        "tradeIv": "",
        "blockTradeId": "",
        "markPrice": book.price_text(book.ticks_of(mark)),
        "execPrice": book.price_text(book.ticks_of(fill.price)),
        "markIv": "",
        "orderQty": "0" if order is None else _qty(book, order.qty),
        "orderPrice": "0" if order is None else _display_price(order, book),
        "execValue": money(fill.value_usdt),
        "closedSize": _qty(book, fill.closed_qty),
        "execType": "Funding" if fill.is_funding else "Trade",
        "seq": fill.seq,
        "side": side_text(fill.side),
        "indexPrice": "",
        "leavesQty": "0" if order is None else _qty(book, order.leaves_qty),
        "isMaker": fill.is_maker,
        "execFee": money(fill.fee_usdt),
        "execId": fill.exec_id,
        "marketUnit": "",
        "execQty": _qty(book, fill.qty),
    }


def position_json(view: PositionView, exchange: SimExchange, ws: bool = False) -> dict[str, Any]:
    """A position row (/v5/position/list; the `position` topic names avgPrice `entryPrice`)."""
    book = exchange.books[view.symbol]
    side = "" if view.side is None else ("Buy" if view.side is PositionSide.LONG else "Sell")
    maint = view.value_usdt * MAINT_MARGIN_RATE
    row: dict[str, Any] = {
        "symbol": book.instrument.venue_symbol,
        "leverage": fmt(view.leverage),
        "autoAddMargin": 0,
        "avgPrice": money(view.entry_price),
        "liqPrice": "",
        "riskLimitValue": "2000000",
        "takeProfit": "",
        "positionValue": money(view.value_usdt),
        "isReduceOnly": False,
        "tpslMode": "Full",
        "riskId": 1,
        "trailingStop": "0",
        "unrealisedPnl": money(view.unrealized_pnl_usdt),
        "markPrice": book.price_text(book.ticks_of(view.mark_price)),
        "adlRankIndicator": 2 if view.qty else 0,
        "cumRealisedPnl": money(view.realized_pnl_usdt),
        "curRealisedPnl": money(view.realized_pnl_usdt),
        "positionMM": money(maint),
        "createdTime": str(view.created_ms),
        "positionIdx": position_idx(view.hedge_side),
        "positionIM": money(view.initial_margin_usdt),
        "seq": view.seq,
        "updatedTime": str(view.updated_ms),
        "side": side,
        "bustPrice": "",
        "positionBalance": money(view.initial_margin_usdt),
        "leverageSysUpdatedTime": "",
        "size": _qty(book, view.qty),
        "positionStatus": "Normal",
        "mmrSysUpdatedTime": "",
        "stopLoss": "",
        "tradeMode": 1 if view.margin_mode is MarginMode.ISOLATED else 0,
    }
    if ws:
        row["entryPrice"] = row.pop("avgPrice")
        row["category"] = "linear"
    return row


# Not applicable under UTA isolated margin (docs/v5/account/wallet-balance), sent as "". The sim
# blanks all; real isolated replies were seen keeping totalEquity/totalWalletBalance/totalPerpUPL.
ACCOUNT_WIDE_FIELDS = (
    "totalEquity",
    "accountIMRate",
    "totalMarginBalance",
    "totalInitialMargin",
    "totalAvailableBalance",
    "accountMMRate",
    "totalPerpUPL",
    "totalWalletBalance",
    "accountLTV",
    "totalMaintenanceMargin",
)


def uta_isolated(modes: Iterable[MarginMode]) -> bool:
    """Whether a UTA account is in ISOLATED_MARGIN (set account-wide via set-margin-mode)."""
    return any(m is MarginMode.ISOLATED for m in modes)


def wallet_json(wallet: WalletView, isolated: bool = False) -> dict[str, Any]:
    """The UNIFIED account entry of /v5/account/wallet-balance and of the `wallet` push (USDT
    as the only coin); under ISOLATED_MARGIN the account-wide fields are ""."""
    entry = _wallet_entry(wallet)
    if isolated:
        entry.update(dict.fromkeys(ACCOUNT_WIDE_FIELDS, ""))
    return entry


def _wallet_entry(wallet: WalletView) -> dict[str, Any]:
    maint = Decimal(0)
    return {
        "totalEquity": money(wallet.equity_usdt),
        "accountIMRate": money(
            wallet.position_margin_usdt / wallet.equity_usdt if wallet.equity_usdt else Decimal(0)
        ),
        "totalMarginBalance": money(wallet.equity_usdt),
        "totalInitialMargin": money(wallet.position_margin_usdt + wallet.order_margin_usdt),
        "accountType": "UNIFIED",
        "totalAvailableBalance": money(wallet.available_usdt),
        "accountMMRate": "0",
        "totalPerpUPL": money(wallet.unrealized_pnl_usdt),
        "totalWalletBalance": money(wallet.balance_usdt),
        "accountLTV": "0",
        "totalMaintenanceMargin": money(maint),
        "coin": [
            {
                "availableToBorrow": "",
                "bonus": "0",
                "accruedInterest": "0",
                "availableToWithdraw": "",
                "totalOrderIM": money(wallet.order_margin_usdt),
                "equity": money(wallet.equity_usdt),
                "totalPositionMM": money(maint),
                "usdValue": money(wallet.equity_usdt),
                "unrealisedPnl": money(wallet.unrealized_pnl_usdt),
                "collateralSwitch": True,
                "spotHedgingQty": "0",
                "borrowAmount": "0.000000000000000000",
                "totalPositionIM": money(wallet.position_margin_usdt),
                "walletBalance": money(wallet.balance_usdt),
                "cumRealisedPnl": money(wallet.realized_pnl_usdt),
                "locked": "0",
                "marginCollateral": True,
                "coin": "USDT",
            }
        ],
    }


def instrument_json(inst: Instrument, funding_interval_min: int) -> dict[str, Any]:
    """A linear perpetual as /v5/market/instruments-info lists it."""
    tick = inst.tick_size
    places = max(0, -int(tick.normalize().as_tuple().exponent))
    max_qty = inst.max_qty if inst.max_qty is not None else inst.qty_step * 1_000_000
    return {
        "symbol": inst.venue_symbol,
        "contractType": "LinearPerpetual",
        "status": "Trading" if inst.trading else "Closed",
        "baseCoin": inst.base,
        "quoteCoin": inst.quote,
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": str(places),
        "leverageFilter": {
            "minLeverage": "1",
            "maxLeverage": f"{inst.max_leverage:.2f}",
            "leverageStep": "0.01",
        },
        "priceFilter": {
            "minPrice": fmt(tick),
            "maxPrice": fmt(tick * 19_999_998),
            "tickSize": fmt(tick),
        },
        "lotSizeFilter": {
            "maxOrderQty": fmt(max_qty),
            "minOrderQty": fmt(inst.min_qty),
            "qtyStep": fmt(inst.qty_step),
            "postOnlyMaxOrderQty": fmt(max_qty),
            "maxMktOrderQty": fmt(max_qty / 2),
            "minNotionalValue": fmt(inst.min_notional_usdt),
        },
        "unifiedMarginTrade": True,
        "fundingInterval": funding_interval_min,
        "settleCoin": "USDT",
        "copyTrading": "both",
        "upperFundingRate": "0.005",
        "lowerFundingRate": "-0.005",
        "isPreListing": False,
        "preListingInfo": None,
        "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"},
        "displayName": "",
    }


def ticker_json(exchange: SimExchange, symbol: str) -> dict[str, str]:
    """Ticker fields of a linear symbol (REST list item; also the WS `tickers` payload)."""
    book = exchange.books[symbol]
    bids, asks = book.top(1)
    mark = exchange.mark_price(symbol)
    mark_text = book.price_text(book.ticks_of(mark))
    rate = exchange.funding_rates[symbol]
    return {
        "symbol": book.instrument.venue_symbol,
        "lastPrice": mark_text,
        "indexPrice": mark_text,
        "markPrice": mark_text,
        "prevPrice24h": mark_text,
        "price24hPcnt": "0",
        "highPrice24h": mark_text,
        "lowPrice24h": mark_text,
        "prevPrice1h": mark_text,
        "openInterest": "0",
        "openInterestValue": "0",
        "turnover24h": "0",
        "volume24h": "0",
        "fundingRate": fmt(rate),
        "nextFundingTime": str(exchange.next_funding_ms[symbol]),
        "predictedDeliveryPrice": "",
        "basisRate": "",
        "deliveryFeeRate": "",
        "deliveryTime": "0",
        "ask1Size": book.qty_text(asks[0][1]) if asks else "",
        "bid1Price": book.price_text(bids[0][0]) if bids else "",
        "ask1Price": book.price_text(asks[0][0]) if asks else "",
        "bid1Size": book.qty_text(bids[0][1]) if bids else "",
        "basis": "",
    }


def account_info_json(isolated: bool, now_ms: int) -> dict[str, Any]:
    """/v5/account/info of a unified (UTA) account."""
    return {
        "marginMode": "ISOLATED_MARGIN" if isolated else "REGULAR_MARGIN",
        "updatedTime": str(now_ms),
        "unifiedMarginStatus": 5,
        "dcpStatus": "OFF",
        "timeWindow": 10,
        "smpGroup": 0,
        "isMasterTrader": False,
        "spotHedgingStatus": "OFF",
    }


def api_key_info_json(api_key: str) -> dict[str, Any]:
    """/v5/user/query-api (ccxt reads `unified`/`uta` from it to pick the account type)."""
    return {
        "id": "1", "note": "arbcore sim", "apiKey": api_key, "readOnly": 0, "secret": "",
        "permissions": {"ContractTrade": ["Order", "Position"], "Wallet": ["AccountTransfer"]},
        "ips": ["*"], "type": 1, "deadlineDay": 90, "expiredAt": "", "createdAt": "",
        "unified": 0, "uta": 1, "userID": 1, "inviterID": 0, "vipLevel": "No VIP",
        "mktMakerLevel": "0", "affiliateID": 0, "rsaPublicKey": "", "isMaster": True,
    }  # fmt: skip


def coin_info_json(coins: list[str]) -> dict[str, Any]:
    """/v5/asset/coin/query-info (ccxt's fetch_currencies) with one chain per coin."""
    rows = [
        {"name": coin, "coin": coin, "remainAmount": "1000000", "chains": [{
            "chainType": coin, "confirmation": "1", "withdrawFee": "0", "depositMin": "0",
            "withdrawMin": "0", "chain": coin, "chainDeposit": "1", "chainWithdraw": "1",
            "minAccuracy": "8", "withdrawPercentageFee": "0", "contractAddress": ""}]}
        for coin in coins
    ]  # fmt: skip
    return {"rows": rows}
