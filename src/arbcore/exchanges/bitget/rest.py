"""Signed Bitget v2 REST calls (mix, USDT-FUTURES): one method per endpoint, wire Structs out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from arbcore.core import errors
from arbcore.core.enums import OrderType, PositionSide, Side
from arbcore.core.models import Instrument, OrderRequest
from arbcore.core.quantize import fmt, price_to_tick
from arbcore.exchanges.base import Credentials
from arbcore.exchanges.bitget import auth
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.bitget.funding import collect_bills
from arbcore.exchanges.bitget.parsing import map_error
from arbcore.exchanges.transport.fastlane import FastLane, raise_on_await
from arbcore.exchanges.transport.ratelimit import VenueRateLimiter
from arbcore.exchanges.transport.rest import HttpResponse, RestSession

T = TypeVar("T")
VENUE = c.VENUE.value


def _decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(s.Envelope[kind])


# Decoders are built once (DESIGN: exchange packages, rule 4).
DEC_TIME = _decoder(s.ServerTime)
DEC_CONTRACTS = _decoder(list[s.Contract])
DEC_DEPTH = _decoder(s.MergeDepth)
DEC_TICKERS = _decoder(list[s.Ticker])
DEC_FUND_RATE = _decoder(list[s.CurrentFundRate])
DEC_FUNDING_TIME = _decoder(list[s.FundingTime])
DEC_ACK = _decoder(s.OrderAck)
DEC_DETAIL = _decoder(s.OrderDetail)
DEC_FILLS = _decoder(s.Fills)
DEC_ORDERS = _decoder(s.OrdersHistory)
DEC_POSITIONS = _decoder(list[s.PositionRecord])
DEC_ACCOUNTS = _decoder(list[s.AccountRecord])
DEC_LEVERAGE = _decoder(s.LeverageResult)
DEC_POSITION_MODE = _decoder(s.PositionModeResult)
DEC_ANY = msgspec.json.Decoder(s.Envelope[Any])


def order_body(
    req: OrderRequest,
    instrument: Instrument,
    profile: c.ProductProfile,
    margin_mode_wire: str,
    hedge_mode: bool,
) -> dict[str, str]:
    """The place-order body, keys in the documented order; every number an exact string.

    One-way mode: `side` is the trade direction, a close is `reduceOnly: YES`, no tradeSide.
    Hedge mode: `side` names the position (long = buy) and `tradeSide` says open or close.
    Limit prices go to the tick in the direction that keeps an IOC crossing (buy up, sell down).
    """
    body: dict[str, str] = {
        "symbol": instrument.venue_symbol,
        "productType": profile.product_type,
        "marginMode": margin_mode_wire,
        "marginCoin": profile.margin_coin,
        "size": fmt(req.qty_base),
    }
    if req.order_type is OrderType.LIMIT:
        if req.price is None:
            raise errors.InvalidOrder(VENUE, f"limit order {req.client_id} needs a price")
        body["price"] = fmt(price_to_tick(req.price, instrument.tick_size, req.side))
    if hedge_mode:
        closing = req.reduce_only
        if req.position_side is not None:
            position = req.position_side
        elif closing:
            position = PositionSide.LONG if req.side is Side.SELL else PositionSide.SHORT
        else:
            position = PositionSide.LONG if req.side is Side.BUY else PositionSide.SHORT
        body["side"] = "buy" if position is PositionSide.LONG else "sell"
        body["tradeSide"] = "close" if closing else "open"
    else:
        body["side"] = req.side.value
    body["orderType"] = req.order_type.value
    if req.order_type is OrderType.LIMIT:
        body["force"] = req.tif.value
    if req.reduce_only and not hedge_mode:
        body["reduceOnly"] = "YES"
    body["clientOid"] = req.client_id
    return body


class BitgetRest:
    """Signed calls over one `RestSession`, paced by the venue's rate limiter."""

    def __init__(
        self,
        session: RestSession,
        profile: c.ProductProfile,
        *,
        credentials: Credentials | None = None,
        limiter: VenueRateLimiter | None = None,
        now_ms: Callable[[], int],
        order_timeout_s: float = 3.0,
        fast: FastLane | None = None,
    ) -> None:
        self.session = session
        self.fast = fast
        self.profile = profile
        self.credentials = credentials
        self.limiter = limiter
        self.now_ms = now_ms
        self.order_timeout_s = order_timeout_s

    async def call(
        self,
        method: str,
        path: str,
        decoder: msgspec.json.Decoder[Any],
        *,
        params: dict[str, str] | None = None,
        body: dict[str, str] | None = None,
        signed: bool = True,
        order_client_id: str | None = None,
    ) -> Any:
        """Send, check the envelope, return `data`. Errors map to core.errors by Bitget code."""
        group = c.RATE_GROUPS.get(path, "query")
        if self.limiter is not None:
            await self.limiter.acquire(group)
        query, text, headers = self._prepare(method, path, params, body, signed)
        response = await self._send(method, path, query, text, headers, group, order_client_id)
        return self._unwrap(response, decoder, path)

    def _prepare(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        body: dict[str, str] | None,
        signed: bool,
    ) -> tuple[str, str, dict[str, str] | None]:
        """Query, body text and headers exactly as sent, signed now (synchronous)."""
        query = auth.query_string(params)
        text = msgspec.json.encode(body).decode() if body is not None else ""
        headers: dict[str, str] | None = None
        if signed:
            if self.credentials is None:
                raise errors.AuthError(VENUE, f"{path} needs API credentials")
            headers = auth.rest_headers(self.credentials, self.now_ms(), method, path, query, text)
        elif body is not None:
            headers = {"Content-Type": "application/json"}
        return query, text, headers

    async def _send(
        self,
        method: str,
        path: str,
        query: str,
        text: str,
        headers: dict[str, str] | None,
        group: str,
        order_client_id: str | None,
    ) -> HttpResponse:
        try:
            return await self.session.request(
                method,
                path,
                query=query,
                body=text or None,
                headers=headers,
                timeout_s=self.order_timeout_s if order_client_id is not None else None,
                order_client_id=order_client_id,
            )
        except errors.RateLimited as exc:
            self._on_rate_limited(group, exc)
            raise

    async def _receive(self, pending: Awaitable[HttpResponse], group: str) -> HttpResponse:
        """The answer to a request the fast lane already wrote."""
        try:
            return await pending
        except errors.RateLimited as exc:
            self._on_rate_limited(group, exc)
            raise

    def _on_rate_limited(self, group: str, exc: errors.RateLimited) -> None:
        if self.limiter is not None:
            self.limiter.on_rate_limited(group, exc.retry_after_s)

    def _unwrap(self, response: HttpResponse, decoder: msgspec.json.Decoder[Any], path: str) -> Any:
        try:
            envelope = decoder.decode(response.body)
        except msgspec.DecodeError:
            try:
                loose = DEC_ANY.decode(response.body)
            except msgspec.DecodeError as exc:
                snippet = response.body[:200].decode(errors="replace")
                raise map_error(None, f"HTTP {response.status} on {path}: {snippet}",
                                response.status) from exc  # fmt: skip
            if str(loose.code) != c.SUCCESS_CODE:
                raise map_error(loose.code, loose.msg, response.status) from None
            raise errors.ExchangeError(
                VENUE, f"unexpected {path} payload: {loose.data!r}"
            ) from None
        if str(envelope.code) != c.SUCCESS_CODE:
            raise map_error(envelope.code, envelope.msg, response.status)
        return envelope.data

    # --- public ---------------------------------------------------------------------------

    async def server_time_ms(self) -> int:
        data: s.ServerTime = await self.call("GET", c.PATH_SERVER_TIME, DEC_TIME, signed=False)
        return int(data.serverTime)

    async def contracts(self, venue_symbol: str | None = None) -> list[s.Contract]:
        params = {"productType": self.profile.product_type}
        if venue_symbol:
            params["symbol"] = venue_symbol
        data = await self.call("GET", c.PATH_CONTRACTS, DEC_CONTRACTS, params=params, signed=False)
        return list(data or [])

    async def merge_depth(self, venue_symbol: str, limit: str = "50") -> s.MergeDepth:
        params = {"symbol": venue_symbol, "productType": self.profile.product_type, "limit": limit}
        data: s.MergeDepth = await self.call(
            "GET", c.PATH_MERGE_DEPTH, DEC_DEPTH, params=params, signed=False
        )
        return data

    async def ticker(self, venue_symbol: str) -> list[s.Ticker]:
        params = {"symbol": venue_symbol, "productType": self.profile.product_type}
        data = await self.call("GET", c.PATH_TICKER, DEC_TICKERS, params=params, signed=False)
        return list(data or [])

    async def current_fund_rate(self, venue_symbol: str) -> list[s.CurrentFundRate]:
        params = {"symbol": venue_symbol, "productType": self.profile.product_type}
        data = await self.call(
            "GET", c.PATH_CURRENT_FUND_RATE, DEC_FUND_RATE, params=params, signed=False
        )
        return list(data or [])

    async def funding_time(self, venue_symbol: str) -> list[s.FundingTime]:
        params = {"symbol": venue_symbol, "productType": self.profile.product_type}
        data = await self.call(
            "GET", c.PATH_FUNDING_TIME, DEC_FUNDING_TIME, params=params, signed=False
        )
        return list(data or [])

    # --- trading --------------------------------------------------------------------------

    async def place_order(self, body: dict[str, str]) -> s.OrderAck:
        data: s.OrderAck | None = await self.call(
            "POST", c.PATH_PLACE_ORDER, DEC_ACK, body=body, order_client_id=body["clientOid"]
        )
        return data or s.OrderAck(clientOid=body["clientOid"])

    def place_order_now(self, body: dict[str, str]) -> Awaitable[s.OrderAck]:
        """`place_order` with the request signed and written before this returns, when the
        fast lane has a connection ready and a trade token is there now; otherwise
        `place_order` runs (waiting for or refused a token) when the result is awaited."""
        path, client_id = c.PATH_PLACE_ORDER, body["clientOid"]
        group = c.RATE_GROUPS.get(path, "trade")
        if self.fast is None or (self.limiter is not None and not self.limiter.take_now(group)):
            return self.place_order(body)
        try:
            query, text, headers = self._prepare("POST", path, None, body, True)
            pending = self.fast.try_write(
                "POST",
                path,
                headers or {},
                text.encode(),
                timeout_s=self.order_timeout_s,
                order_client_id=client_id,
            )
        except errors.ExchangeError as exc:
            return raise_on_await(exc)
        if pending is None:
            sent = self._send("POST", path, query, text, headers, group, client_id)
            return self._ack(sent, client_id)
        return self._ack(self._receive(pending, group), client_id)

    async def _ack(self, sent: Awaitable[HttpResponse], client_id: str) -> s.OrderAck:
        data: s.OrderAck | None = self._unwrap(await sent, DEC_ACK, c.PATH_PLACE_ORDER)
        return data or s.OrderAck(clientOid=client_id)

    async def cancel_order(self, venue_symbol: str, client_id: str) -> s.OrderAck:
        body = {
            "symbol": venue_symbol,
            "productType": self.profile.product_type,
            "marginCoin": self.profile.margin_coin,
            "clientOid": client_id,
        }
        data: s.OrderAck | None = await self.call("POST", c.PATH_CANCEL_ORDER, DEC_ACK, body=body)
        return data or s.OrderAck(clientOid=client_id)

    async def order_detail(self, venue_symbol: str, client_id: str) -> s.OrderDetail:
        params = {
            "symbol": venue_symbol,
            "productType": self.profile.product_type,
            "clientOid": client_id,
        }
        data: s.OrderDetail | None = await self.call(
            "GET", c.PATH_ORDER_DETAIL, DEC_DETAIL, params=params
        )
        if data is None:
            raise errors.OrderNotFound(VENUE, f"no order with clientOid {client_id}")
        return data

    async def fills(self, venue_symbol: str, order_id: str | None = None) -> list[s.FillRecord]:
        params = {"symbol": venue_symbol, "productType": self.profile.product_type}
        if order_id:
            params["orderId"] = order_id
        data: s.Fills | None = await self.call("GET", c.PATH_FILLS, DEC_FILLS, params=params)
        return list(data.fillList or []) if data is not None else []

    async def order_page(
        self,
        path: str,
        venue_symbol: str,
        *,
        limit: int,
        id_less_than: str = "",
        start_ms: int | None = None,
        end_ms: int | None = None,
        status: str = "",
    ) -> s.OrdersHistory:
        """One page of orders-pending (optionally one `status`) or orders-history, newest
        first; the next (older) page is asked with `idLessThan` = this page's `endId`."""
        params = self.page_params(venue_symbol, limit, id_less_than, start_ms, end_ms)
        if status:
            params["status"] = status
        data: s.OrdersHistory | None = await self.call("GET", path, DEC_ORDERS, params=params)
        return data if data is not None else s.OrdersHistory()

    def page_params(
        self,
        venue_symbol: str,
        limit: int,
        id_less_than: str,
        start_ms: int | None,
        end_ms: int | None,
    ) -> dict[str, str]:
        """Query of one page of a Bitget history list (orders, fills, bills): newest first,
        the next (older) page asked with `idLessThan` = the previous page's `endId`."""
        params = {
            "symbol": venue_symbol,
            "productType": self.profile.product_type,
            "limit": str(limit),
        }
        if id_less_than:
            params["idLessThan"] = id_less_than
        if start_ms is not None:
            params["startTime"] = str(start_ms)
        if end_ms is not None:
            params["endTime"] = str(end_ms)
        return params

    async def fills_page(
        self,
        venue_symbol: str,
        *,
        limit: int,
        id_less_than: str = "",
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> s.Fills:
        """One page of order/fills in start_ms..end_ms (at most 3 months apart), newest first."""
        params = self.page_params(venue_symbol, limit, id_less_than, start_ms, end_ms)
        data: s.Fills | None = await self.call("GET", c.PATH_FILLS, DEC_FILLS, params=params)
        return data if data is not None else s.Fills()

    # --- account --------------------------------------------------------------------------

    async def all_positions(self) -> list[s.PositionRecord]:
        params = {"productType": self.profile.product_type, "marginCoin": self.profile.margin_coin}
        data = await self.call("GET", c.PATH_ALL_POSITION, DEC_POSITIONS, params=params)
        return list(data or [])

    async def accounts(self) -> list[s.AccountRecord]:
        params = {"productType": self.profile.product_type}
        data = await self.call("GET", c.PATH_ACCOUNTS, DEC_ACCOUNTS, params=params)
        return list(data or [])

    async def bills(self, venue_symbol: str, since_ms: int, business_type: str) -> list[s.Bill]:
        """Every bill of `business_type` and the symbol since `since_ms` (as far as Bitget keeps
        them), oldest first: all 30-day windows and all pages (`funding.collect_bills`)."""
        return await collect_bills(self, venue_symbol, business_type, since_ms, self.now_ms())

    async def set_leverage(
        self, venue_symbol: str, leverage: int, hold_side: str | None = None
    ) -> s.LeverageResult | None:
        body = {
            "symbol": venue_symbol,
            "productType": self.profile.product_type,
            "marginCoin": self.profile.margin_coin,
            "leverage": str(leverage),
        }
        if hold_side is not None:
            body["holdSide"] = hold_side
        result: s.LeverageResult | None = await self.call(
            "POST", c.PATH_SET_LEVERAGE, DEC_LEVERAGE, body=body
        )
        return result

    async def set_margin_mode(self, venue_symbol: str, margin_mode_wire: str) -> None:
        body = {
            "symbol": venue_symbol,
            "productType": self.profile.product_type,
            "marginCoin": self.profile.margin_coin,
            "marginMode": margin_mode_wire,
        }
        await self.call("POST", c.PATH_SET_MARGIN_MODE, DEC_LEVERAGE, body=body)

    async def set_position_mode(self, pos_mode_wire: str) -> None:
        body = {"productType": self.profile.product_type, "posMode": pos_mode_wire}
        await self.call("POST", c.PATH_SET_POSITION_MODE, DEC_POSITION_MODE, body=body)
