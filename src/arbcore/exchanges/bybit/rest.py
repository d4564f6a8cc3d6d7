"""Signed Bybit v5 REST calls over the shared transport, each behind its rate-limit group."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import msgspec
import orjson

from arbcore.core.enums import Venue
from arbcore.core.errors import (
    AuthError,
    ExchangeError,
    OrderOutcomeUnknown,
    RateLimited,
)
from arbcore.exchanges.base import Credentials
from arbcore.exchanges.bybit import auth
from arbcore.exchanges.bybit import constants as C
from arbcore.exchanges.bybit import schemas as S
from arbcore.exchanges.bybit.parsing import error_for, ret_code, to_int
from arbcore.exchanges.transport.fastlane import FastLane, raise_on_await
from arbcore.exchanges.transport.ratelimit import (
    ACCOUNT,
    MARKET,
    QUERY,
    TRADE,
    VenueRateLimiter,
)
from arbcore.exchanges.transport.rest import HttpResponse, RestSession
from arbcore.exchanges.transport.signing import ServerClock

VENUE = Venue.BYBIT
_ENVELOPE = msgspec.json.Decoder(S.Envelope)
_TIME = msgspec.json.Decoder(S.ServerTime)
_INSTRUMENTS = msgspec.json.Decoder(S.InstrumentsResult)
_ORDERBOOK = msgspec.json.Decoder(S.OrderbookResult)
_TICKERS = msgspec.json.Decoder(S.TickersResult)
_ACK = msgspec.json.Decoder(S.OrderAck)
_ORDERS = msgspec.json.Decoder(S.OrderListResult)
_EXECUTIONS = msgspec.json.Decoder(S.ExecutionListResult)
_POSITIONS = msgspec.json.Decoder(S.PositionListResult)
_WALLET = msgspec.json.Decoder(S.WalletResult)
_MARGIN_MODE = msgspec.json.Decoder(S.MarginModeResult)
IP_BAN_PAUSE_S = 600.0


@dataclass(frozen=True, slots=True)
class _Prepared:
    method: str
    path: str
    query: str
    body_text: str | None
    headers: dict[str, str]


async def _ack(envelope: Awaitable[S.Envelope]) -> S.OrderAck:
    return _ACK.decode((await envelope).result)


class BybitRest:
    """One method per endpoint; results come back as wire Structs (parsing.py converts)."""

    def __init__(
        self,
        session: RestSession,
        limiter: VenueRateLimiter,
        credentials: Credentials | None,
        clock: ServerClock,
        recv_window_ms: int = C.RECV_WINDOW_MS,
        fast: FastLane | None = None,
    ) -> None:
        self.session = session
        self.fast = fast
        self.limiter = limiter
        self.credentials = credentials
        self.clock = clock
        self.recv_window_ms = recv_window_ms
        self._resync_clock = False

    async def _call(
        self,
        method: str,
        path: str,
        group: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, object] | None = None,
        signed: bool = True,
        timeout_s: float | None = None,
        order_client_id: str | None = None,
    ) -> S.Envelope:
        if self._resync_clock and signed:
            self._resync_clock = False
            await self.server_time_ms()
        await self.limiter.acquire(group)
        prepared = self._prepare(method, path, params, body, signed)
        return await self._send(prepared, group, timeout_s, order_client_id)

    def _prepare(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, object] | None,
        signed: bool,
    ) -> _Prepared:
        """The request as it goes on the wire, signed now (synchronous)."""
        query = urlencode(params) if params else ""
        body_text = orjson.dumps(body).decode() if body is not None else None
        headers: dict[str, str] = {"Content-Type": "application/json"}
        if signed:
            if self.credentials is None:
                raise AuthError(VENUE, f"{path} needs API credentials")
            payload = body_text if body_text is not None else query
            headers = auth.rest_headers(
                self.credentials.api_key,
                self.credentials.secret,
                self.clock.now_ms(),
                payload,
                self.recv_window_ms,
            )
        return _Prepared(method, path, query, body_text, headers)

    async def _send(
        self,
        prepared: _Prepared,
        group: str,
        timeout_s: float | None,
        order_client_id: str | None,
    ) -> S.Envelope:
        try:
            resp = await self.session.request(
                prepared.method,
                prepared.path,
                query=prepared.query,
                body=prepared.body_text,
                headers=prepared.headers,
                timeout_s=timeout_s,
                order_client_id=order_client_id,
            )
        except RateLimited as exc:
            self.limiter.on_rate_limited(group, exc.retry_after_s)
            raise
        return self._decode(resp, prepared.path, group, order_client_id)

    async def _receive(
        self,
        pending: Awaitable[HttpResponse],
        path: str,
        group: str,
        order_client_id: str | None,
    ) -> S.Envelope:
        """The answer to a request the fast lane already wrote."""
        try:
            resp = await pending
        except RateLimited as exc:
            self.limiter.on_rate_limited(group, exc.retry_after_s)
            raise
        return self._decode(resp, path, group, order_client_id)

    def _decode(
        self, resp: HttpResponse, path: str, group: str, order_client_id: str | None
    ) -> S.Envelope:
        if resp.status == 403:
            self.limiter.on_rate_limited(group, IP_BAN_PAUSE_S)
            raise RateLimited(VENUE, f"HTTP 403 on {path}: IP rate limit ban", 403, IP_BAN_PAUSE_S)
        if resp.status == 401:
            raise AuthError(VENUE, f"HTTP 401 on {path}", 401)
        try:
            envelope = _ENVELOPE.decode(resp.body)
        except msgspec.DecodeError as exc:
            text = resp.body[:200].decode(errors="replace")
            if order_client_id is not None:
                raise OrderOutcomeUnknown(
                    VENUE, f"undecodable answer on {path}: {text}", client_id=order_client_id
                ) from exc
            raise ExchangeError(VENUE, f"HTTP {resp.status} on {path}: {text}") from exc
        code = ret_code(envelope)
        if code != C.RET_OK:
            if order_client_id is not None and code == C.RET_SYSTEM_ERROR:
                # "system error / request timeout" after the order reached Bybit: may have run.
                raise OrderOutcomeUnknown(
                    VENUE, envelope.retMsg, client_id=order_client_id, code=code
                )
            err = error_for(code, envelope.retMsg, placing_order=order_client_id is not None)
            if code == C.RET_REQUEST_EXPIRED:
                # Our clock drifted from Bybit's: measure the offset again for the next call.
                self._resync_clock = True
            if isinstance(err, RateLimited):
                self.limiter.on_rate_limited(group, err.retry_after_s)
            raise err
        return envelope

    # ---- public ---------------------------------------------------------------------------

    async def server_time_ms(self) -> int:
        """Server time from the envelope, and the clock offset updated against it."""
        before = time.time_ns() // 1_000_000
        env = await self._call("GET", C.PATH_TIME, MARKET, signed=False)
        after = time.time_ns() // 1_000_000
        server_ms = to_int(env.time)
        if server_ms == 0:
            result = _TIME.decode(env.result)
            server_ms = int(result.timeNano) // 1_000_000 if result.timeNano else 0
        if server_ms:
            self.clock.update(server_ms, before, after)
        return server_ms

    async def instruments(self, symbol: str | None = None) -> list[S.InstrumentInfo]:
        out: list[S.InstrumentInfo] = []
        cursor = ""
        while True:
            params = {"category": C.CATEGORY, "limit": str(C.INSTRUMENTS_PAGE_LIMIT)}
            if symbol:
                params["symbol"] = symbol
            if cursor:
                params["cursor"] = cursor
            env = await self._call("GET", C.PATH_INSTRUMENTS, MARKET, params=params, signed=False)
            page = _INSTRUMENTS.decode(env.result)
            out.extend(page.list)
            cursor = page.nextPageCursor
            if not cursor or not page.list:
                return out

    async def orderbook(self, symbol: str, limit: int = 200) -> S.OrderbookResult:
        params = {"category": C.CATEGORY, "symbol": symbol, "limit": str(limit)}
        env = await self._call("GET", C.PATH_ORDERBOOK, MARKET, params=params, signed=False)
        return _ORDERBOOK.decode(env.result)

    async def tickers(self, symbol: str | None = None) -> list[S.Ticker]:
        params = {"category": C.CATEGORY}
        if symbol:
            params["symbol"] = symbol
        env = await self._call("GET", C.PATH_TICKERS, MARKET, params=params, signed=False)
        return _TICKERS.decode(env.result).list

    # ---- trading --------------------------------------------------------------------------

    async def create_order(
        self, body: Mapping[str, object], client_id: str, timeout_s: float
    ) -> S.OrderAck:
        env = await self._call(
            "POST",
            C.PATH_ORDER_CREATE,
            TRADE,
            body=body,
            timeout_s=timeout_s,
            order_client_id=client_id,
        )
        return _ACK.decode(env.result)

    def create_order_now(
        self, body: Mapping[str, object], client_id: str, timeout_s: float
    ) -> Awaitable[S.OrderAck]:
        """`create_order` with the request signed and written before this returns, when the
        fast lane has a connection ready and a trade token is there now; otherwise
        `create_order` runs (waiting for or refused a token) when the result is awaited."""
        if self.fast is None or self._resync_clock or not self.limiter.take_now(TRADE):
            return self.create_order(body, client_id, timeout_s)
        try:
            prepared = self._prepare("POST", C.PATH_ORDER_CREATE, None, body, True)
            pending = self.fast.try_write(
                prepared.method,
                prepared.path,
                prepared.headers,
                (prepared.body_text or "").encode(),
                timeout_s=timeout_s,
                order_client_id=client_id,
            )
        except ExchangeError as exc:
            return raise_on_await(exc)
        if pending is None:
            return _ack(self._send(prepared, TRADE, timeout_s, client_id))
        return _ack(self._receive(pending, prepared.path, TRADE, client_id))

    async def cancel_order(self, symbol: str, client_id: str) -> S.OrderAck:
        body = {"category": C.CATEGORY, "symbol": symbol, "orderLinkId": client_id}
        env = await self._call("POST", C.PATH_ORDER_CANCEL, TRADE, body=body)
        return _ACK.decode(env.result)

    async def order_realtime(self, symbol: str, client_id: str) -> list[S.OrderInfo]:
        params = {"category": C.CATEGORY, "symbol": symbol, "orderLinkId": client_id}
        env = await self._call("GET", C.PATH_ORDER_REALTIME, QUERY, params=params)
        return _ORDERS.decode(env.result).list

    async def order_history(self, symbol: str, client_id: str) -> list[S.OrderInfo]:
        params = {"category": C.CATEGORY, "symbol": symbol, "orderLinkId": client_id}
        env = await self._call("GET", C.PATH_ORDER_HISTORY, QUERY, params=params)
        return _ORDERS.decode(env.result).list

    async def order_page(
        self,
        path: str,
        symbol: str,
        *,
        limit: int,
        cursor: str = "",
        open_only: int | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> S.OrderListResult:
        """One page of `/v5/order/realtime` (open_only 0 open, 1 recent closed) or
        `/v5/order/history` (start_ms..end_ms at most 7 days apart), newest first."""
        params = {"category": C.CATEGORY, "symbol": symbol, "limit": str(limit)}
        if open_only is not None:
            params["openOnly"] = str(open_only)
        if start_ms is not None:
            params["startTime"] = str(start_ms)
        if end_ms is not None:
            params["endTime"] = str(end_ms)
        if cursor:
            params["cursor"] = cursor
        env = await self._call("GET", path, QUERY, params=params)
        return _ORDERS.decode(env.result)

    async def execution_page(
        self,
        symbol: str,
        *,
        limit: int,
        cursor: str = "",
        client_id: str = "",
        exec_type: str = "",
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> S.ExecutionListResult:
        """One page of `/v5/execution/list`, newest execTime first; the next (older) page is
        asked with `cursor` = this page's `nextPageCursor` (funding.py walks them)."""
        params = {"category": C.CATEGORY, "symbol": symbol, "limit": str(limit)}
        if client_id:
            params["orderLinkId"] = client_id
        if exec_type:
            params["execType"] = exec_type
        if start_ms is not None:
            params["startTime"] = str(start_ms)
        if end_ms is not None:
            params["endTime"] = str(end_ms)
        if cursor:
            params["cursor"] = cursor
        env = await self._call("GET", C.PATH_EXECUTIONS, QUERY, params=params)
        return _EXECUTIONS.decode(env.result)

    async def positions(self, symbol: str | None = None) -> list[S.PositionInfo]:
        params = {"category": C.CATEGORY}
        if symbol:
            params["symbol"] = symbol
        else:
            params["settleCoin"] = C.SETTLE_COIN
        env = await self._call("GET", C.PATH_POSITIONS, QUERY, params=params)
        return _POSITIONS.decode(env.result).list

    async def wallet(self, account_type: str) -> S.WalletResult:
        params = {"accountType": account_type, "coin": C.SETTLE_COIN}
        env = await self._call("GET", C.PATH_WALLET, QUERY, params=params)
        return _WALLET.decode(env.result)

    # ---- account settings -----------------------------------------------------------------

    async def set_leverage(self, symbol: str, leverage: str) -> None:
        body = {
            "category": C.CATEGORY,
            "symbol": symbol,
            "buyLeverage": leverage,
            "sellLeverage": leverage,
        }
        await self._call("POST", C.PATH_SET_LEVERAGE, ACCOUNT, body=body)

    async def switch_isolated(self, symbol: str, trade_mode: int, leverage: str) -> None:
        body = {
            "category": C.CATEGORY,
            "symbol": symbol,
            "tradeMode": trade_mode,
            "buyLeverage": leverage,
            "sellLeverage": leverage,
        }
        await self._call("POST", C.PATH_SWITCH_ISOLATED, ACCOUNT, body=body)

    async def set_account_margin_mode(self, mode: str) -> S.MarginModeResult:
        env = await self._call(
            "POST", C.PATH_SET_MARGIN_MODE, ACCOUNT, body={"setMarginMode": mode}
        )
        return (
            _MARGIN_MODE.decode(env.result)
            if bytes(env.result) not in (b"", b"null")
            else (S.MarginModeResult())
        )

    async def switch_position_mode(self, mode: int) -> None:
        body = {"category": C.CATEGORY, "coin": C.SETTLE_COIN, "mode": mode}
        await self._call("POST", C.PATH_SWITCH_MODE, ACCOUNT, body=body)
