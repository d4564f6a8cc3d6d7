"""Bybit v5 REST endpoints (category=linear) over the matching core."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from arbcore.core.enums import MarginMode, OrderType, PositionMode, PositionSide, Side, TimeInForce
from arbcore.core.quantize import fmt
from arbcore.sim.events import RejectReason, SimReject
from arbcore.sim.venues import bybit_encode as enc
from arbcore.sim.venues import bybit_lists as lists
from arbcore.sim.venues.bybit_errors import (
    BybitError,
    envelope,
    error_envelope,
    json_response,
    reject_error,
    verify_rest_signature,
)

if TYPE_CHECKING:
    from arbcore.sim.venues.bybit import BybitFrontEnd

Params = dict[str, Any]
Endpoint = Callable[[str, Params], Any]  # (account_id, params) -> result
PublicEndpoint = Callable[[Params], Any]
_TIF = {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK,
        "PostOnly": TimeInForce.POST_ONLY}  # fmt: skip


def _category(params: Params) -> str:
    category = str(params.get("category", ""))
    if category not in ("linear", "inverse", "spot", "option"):
        raise BybitError(10001, "params error: Category is invalid")
    return category


def _need(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise BybitError(10001, f"Missing some parameters that must be filled in, {name}")
    return str(value)


def _decimal(params: Params, name: str) -> Decimal:
    try:
        return Decimal(_need(params, name))
    except InvalidOperation as exc:
        raise BybitError(10001, f"params error: {name} invalid") from exc


def _limit(params: Params, default: int, maximum: int) -> int:
    try:
        value = int(params.get("limit", default))
    except ValueError as exc:
        raise BybitError(10001, "params error: limit invalid") from exc
    return max(1, min(maximum, value))


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


class BybitRest:
    """Route table and handlers; every answer is HTTP 200 with the v5 envelope."""

    def __init__(self, front: BybitFrontEnd) -> None:
        self.front = front
        self.exchange = front.exchange

    def add_routes(self, app: web.Application) -> None:
        public: dict[str, PublicEndpoint] = {
            "/v5/market/time": self.server_time,
            "/v5/market/instruments-info": self.instruments,
            "/v5/market/tickers": self.tickers,
            "/v5/market/orderbook": self.orderbook,
            "/v5/market/funding/history": self.funding_history,
        }
        for path, pub in public.items():
            app.router.add_get(path, self._public(pub))
        private_get: dict[str, Endpoint] = {
            "/v5/order/realtime": self.order_realtime,
            "/v5/order/history": self.order_history,
            "/v5/execution/list": self.executions,
            "/v5/position/list": self.positions,
            "/v5/account/wallet-balance": self.wallet_balance,
            "/v5/account/fee-rate": self.fee_rate,
            "/v5/account/info": self.account_info,
            "/v5/user/query-api": self.query_api,
            "/v5/asset/coin/query-info": self.coin_info,
        }
        for path, get in private_get.items():
            app.router.add_get(path, self._private(get))
        private_post: dict[str, Endpoint] = {
            "/v5/order/create": self.create_order,
            "/v5/order/cancel": self.cancel_order,
            "/v5/order/cancel-all": self.cancel_all,
            "/v5/position/set-leverage": self.set_leverage,
            "/v5/position/switch-isolated": self.switch_isolated,
            "/v5/position/switch-mode": self.switch_mode,
            "/v5/account/set-margin-mode": self.set_margin_mode,
        }
        for path, post in private_post.items():
            app.router.add_post(path, self._private(post))

    # plumbing --------------------------------------------------------------------------
    def _now_ms(self) -> int:
        return self.front.ctx.clock.now_ms()

    def _answer(self, call: Callable[[], Any]) -> web.Response:
        try:
            result = call()
        except SimReject as reject:
            return json_response(error_envelope(reject_error(reject), self._now_ms()))
        except BybitError as error:
            return json_response(error_envelope(error, self._now_ms()))
        return json_response(envelope(result, self._now_ms()))

    def _public(self, fn: PublicEndpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            params: Params = dict(request.query)
            return self._answer(lambda: fn(params))

        return handler

    def _private(self, fn: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            if request.method == "GET":
                payload = request.rel_url.raw_query_string
                params: Params = dict(request.query)
            else:
                payload = await request.text()
                try:
                    body = orjson.loads(payload) if payload else {}
                except orjson.JSONDecodeError:
                    body = None
                if not isinstance(body, dict):
                    return json_response(
                        error_envelope(BybitError(10001, "params error"), self._now_ms())
                    )
                params = body
            creds = self.front.ctx.credentials
            try:
                verify_rest_signature(
                    dict(request.headers), payload, creds.api_key, creds.secret, self._now_ms(),
                    self.front.ctx.config.recv_window_check,
                )  # fmt: skip
            except BybitError as error:
                return json_response(error_envelope(error, self._now_ms()))
            account_id = self.front.account_for_key(creds.api_key)
            assert account_id is not None
            return self._answer(lambda: fn(account_id, params))

        return handler

    def _symbol(self, params: Params) -> str:
        return self.exchange.instrument(_need(params, "symbol")).symbol

    # public ----------------------------------------------------------------------------
    def server_time(self, params: Params) -> Any:
        ns = time.time_ns()
        return {"timeSecond": str(ns // 1_000_000_000), "timeNano": str(ns)}

    def instruments(self, params: Params) -> Any:
        category = _category(params)
        items: list[Any] = []
        if category == "linear":
            interval_min = self.exchange.funding_interval_ms // 60_000
            wanted = params.get("symbol")
            for inst in self.exchange.instruments.values():
                if wanted is None or inst.venue_symbol == wanted:
                    items.append(enc.instrument_json(inst, interval_min))
        start = int(params.get("cursor") or 0)
        limit = _limit(params, 500, 1000)
        page = items[start : start + limit]
        cursor = str(start + limit) if start + limit < len(items) else ""
        return {"category": category, "list": page, "nextPageCursor": cursor}

    def tickers(self, params: Params) -> Any:
        category = _category(params)
        rows = []
        if category == "linear":
            symbols = [self._symbol(params)] if params.get("symbol") else list(self.exchange.books)
            rows = [enc.ticker_json(self.exchange, s) for s in symbols]
        return {"category": category, "list": rows}

    def orderbook(self, params: Params) -> Any:
        _category(params)
        symbol = self._symbol(params)
        depth = _limit(params, 25, 500)
        book = self.exchange.books[symbol]
        bids, asks = book.top(depth)
        return {
            "s": book.instrument.venue_symbol,
            "b": [[book.price_text(t), book.qty_text(q)] for t, q in bids],
            "a": [[book.price_text(t), book.qty_text(q)] for t, q in asks],
            "ts": self._now_ms(),
            "u": book.seq,
            "seq": book.seq,
            "cts": book.ts_ms,
        }

    def funding_history(self, params: Params) -> Any:
        category = _category(params)
        symbol = self._symbol(params)
        venue_symbol = self.exchange.instruments[symbol].venue_symbol
        history = list(reversed(self.exchange.funding_history[symbol]))
        rows = [
            {"symbol": venue_symbol, "fundingRate": fmt(rate), "fundingRateTimestamp": str(ts)}
            for ts, rate in history[: _limit(params, 200, 200)]
        ]
        return {"category": category, "list": rows}

    # orders ----------------------------------------------------------------------------
    def create_order(self, account_id: str, params: Params) -> Any:
        _category(params)
        symbol = self._symbol(params)
        side_text = _need(params, "side")
        if side_text not in ("Buy", "Sell"):
            raise BybitError(10001, "params error: side invalid")
        type_text = _need(params, "orderType")
        if type_text not in ("Market", "Limit"):
            raise BybitError(10001, "params error: orderType invalid")
        order_type = OrderType.MARKET if type_text == "Market" else OrderType.LIMIT
        qty = _decimal(params, "qty")
        price = _decimal(params, "price") if order_type is OrderType.LIMIT else None
        default_tif = "IOC" if order_type is OrderType.MARKET else "GTC"
        tif = _TIF.get(str(params.get("timeInForce") or default_tif))
        if tif is None:
            raise BybitError(10001, "params error: timeInForce invalid")
        link_id = str(params.get("orderLinkId") or "")
        if len(link_id) > 36:
            raise BybitError(10001, "params error: orderLinkId is too long")
        idx = int(params.get("positionIdx") or 0)
        if idx not in (0, 1, 2):
            raise BybitError(10001, "params error: positionIdx invalid")
        hedge = {0: None, 1: PositionSide.LONG, 2: PositionSide.SHORT}[idx]
        reduce_only = _bool(params.get("reduceOnly")) or _bool(params.get("closeOnTrigger"))
        order = self.exchange.place_order(
            account_id, symbol, Side.BUY if side_text == "Buy" else Side.SELL, order_type, qty,
            price=price, tif=tif, reduce_only=reduce_only, position_side=hedge, client_id=link_id,
        )  # fmt: skip
        return {"orderId": order.order_id, "orderLinkId": order.client_id}

    def cancel_order(self, account_id: str, params: Params) -> Any:
        _category(params)
        order_id, link_id = params.get("orderId"), params.get("orderLinkId")
        if not order_id and not link_id:
            raise BybitError(10001, "params error: orderId or orderLinkId is required")
        order = self.exchange.cancel_order(account_id, order_id or None, link_id or None)
        return {"orderId": order.order_id, "orderLinkId": order.client_id}

    def cancel_all(self, account_id: str, params: Params) -> Any:
        _category(params)
        symbol = self._symbol(params) if params.get("symbol") else None
        cancelled = self.exchange.cancel_all(account_id, symbol)
        rows = [{"orderId": o.order_id, "orderLinkId": o.client_id} for o in cancelled]
        return {"list": rows, "success": "1"}

    def _orders(self, account_id: str, params: Params, history: bool) -> Any:
        category = _category(params)
        order_id, link_id = params.get("orderId"), params.get("orderLinkId")
        if order_id or link_id:
            try:
                found = [self.exchange.find_order(account_id, order_id or None, link_id or None)]
            except SimReject:
                found = []
            rows = [enc.order_json(o, self.exchange) for o in found]
            return {"category": category, "list": rows, "nextPageCursor": ""}
        symbol = self._symbol(params) if params.get("symbol") else None
        orders = self.exchange.account_orders(account_id, symbol)
        orders.sort(key=lambda o: o.created_ms, reverse=True)
        now = self._now_ms()
        if history:
            orders = lists.history_orders(orders, lists.history_window(params, now), now)
        else:
            orders = lists.realtime_orders(orders, str(params.get("openOnly", "0")) == "0")
        rows, cursor = lists.page(orders, params, lambda o: enc.order_json(o, self.exchange))
        return {"category": category, "list": rows, "nextPageCursor": cursor}

    def order_realtime(self, account_id: str, params: Params) -> Any:
        return self._orders(account_id, params, history=False)

    def order_history(self, account_id: str, params: Params) -> Any:
        return self._orders(account_id, params, history=True)

    def executions(self, account_id: str, params: Params) -> Any:
        category = _category(params)
        symbol = self._symbol(params) if params.get("symbol") else None
        fills = self.exchange.account_fills(account_id, symbol)
        if params.get("orderId"):
            fills = [f for f in fills if f.order_id == params["orderId"]]
        if params.get("orderLinkId"):
            fills = [f for f in fills if f.client_id == params["orderLinkId"]]
        rows, cursor = lists.execution_page(
            fills, params, self._now_ms(), lambda f: enc.execution_json(f, self.exchange)
        )
        return {"category": category, "list": rows, "nextPageCursor": cursor}

    # positions and account -------------------------------------------------------------
    def positions(self, account_id: str, params: Params) -> Any:
        category = _category(params)
        if params.get("symbol"):
            views = self.exchange.positions(account_id, self._symbol(params))
        elif params.get("settleCoin") or params.get("baseCoin"):
            views = self.exchange.positions(account_id)
        else:
            raise BybitError(
                10001, "Missing some parameters that must be filled in, symbol or settleCoin"
            )
        rows = [enc.position_json(v, self.exchange) for v in views]
        return {"category": category, "list": rows, "nextPageCursor": ""}

    def set_leverage(self, account_id: str, params: Params) -> Any:
        _category(params)
        symbol = self._symbol(params)
        buy, sell = _decimal(params, "buyLeverage"), _decimal(params, "sellLeverage")
        if buy != sell and self.exchange.account(account_id).position_mode is PositionMode.ONE_WAY:
            raise BybitError(10001, "buy leverage must equal sell leverage in one-way mode")
        self.exchange.set_leverage(account_id, symbol, buy)
        return {}

    def switch_isolated(self, account_id: str, params: Params) -> Any:
        _category(params)
        symbol = self._symbol(params)
        mode = MarginMode.ISOLATED if str(params.get("tradeMode")) == "1" else MarginMode.CROSS
        self.exchange.set_margin_mode(account_id, symbol, mode)
        if params.get("buyLeverage"):
            try:
                self.exchange.set_leverage(account_id, symbol, _decimal(params, "buyLeverage"))
            except SimReject as reject:
                if reject.reason is not RejectReason.LEVERAGE_NOT_MODIFIED:
                    raise
        return {}

    def set_margin_mode(self, account_id: str, params: Params) -> Any:
        text = _need(params, "setMarginMode")
        if text not in ("ISOLATED_MARGIN", "REGULAR_MARGIN", "PORTFOLIO_MARGIN"):
            raise BybitError(10001, "params error: setMarginMode invalid")
        mode = MarginMode.ISOLATED if text == "ISOLATED_MARGIN" else MarginMode.CROSS
        reasons = []
        for symbol in self.exchange.instruments:
            try:
                self.exchange.set_margin_mode(account_id, symbol, mode)
            except SimReject as reject:
                if reject.reason is RejectReason.POSITION_EXISTS:
                    reasons.append({"reasonCode": "3400045", "reasonMsg": f"{symbol} has position"})
        if reasons:
            raise BybitError(3400045, "Set margin mode failed")
        return {"reasons": []}

    def switch_mode(self, account_id: str, params: Params) -> Any:
        _category(params)
        if not params.get("symbol") and not params.get("coin"):
            raise BybitError(
                10001, "Missing some parameters that must be filled in, symbol or coin"
            )
        mode_text = str(params.get("mode"))
        if mode_text not in ("0", "3"):
            raise BybitError(10001, "params error: mode invalid")
        mode = PositionMode.ONE_WAY if mode_text == "0" else PositionMode.HEDGE
        self.exchange.set_position_mode(account_id, mode)
        return {}

    def wallet_balance(self, account_id: str, params: Params) -> Any:
        account_type = _need(params, "accountType")
        if account_type != "UNIFIED":
            raise BybitError(10001, "accountType only support UNIFIED.")
        isolated = enc.uta_isolated(self.exchange.account(account_id).margin_mode.values())
        return {"list": [enc.wallet_json(self.exchange.wallet(account_id), isolated)]}

    def fee_rate(self, account_id: str, params: Params) -> Any:
        _category(params)
        account = self.exchange.account(account_id)
        symbols = (
            [self._symbol(params)] if params.get("symbol") else list(self.exchange.instruments)
        )
        rows = [
            {
                "symbol": self.exchange.instruments[s].venue_symbol,
                "baseCoin": "",
                "takerFeeRate": fmt(account.taker_fee),
                "makerFeeRate": fmt(account.maker_fee),
            }
            for s in symbols
        ]
        return {"list": rows}

    def account_info(self, account_id: str, params: Params) -> Any:
        isolated = enc.uta_isolated(self.exchange.account(account_id).margin_mode.values())
        return enc.account_info_json(isolated, self._now_ms())

    def query_api(self, account_id: str, params: Params) -> Any:
        return enc.api_key_info_json(self.front.ctx.credentials.api_key)

    def coin_info(self, account_id: str, params: Params) -> Any:
        bases = sorted({i.base for i in self.exchange.instruments.values()})
        return enc.coin_info_json(["USDT", *bases])
