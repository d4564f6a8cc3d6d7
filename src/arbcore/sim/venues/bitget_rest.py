"""Bitget v2 REST routes: request parsing, signature checks, error envelopes, dispatch."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import orjson
from aiohttp import web

from arbcore.core.quantize import fmt
from arbcore.sim.events import RejectReason, SimReject
from arbcore.sim.matching import SimExchange
from arbcore.sim.venues import bitget_codes as codes
from arbcore.sim.venues import bitget_instruments as tbl
from arbcore.sim.venues.bitget_auth import TIMESTAMP_WINDOW_MS, ApiKey, verify_rest
from arbcore.sim.venues.bitget_codes import BitgetError
from arbcore.sim.venues.bitget_encode import envelope, error_body
from arbcore.sim.venues.bitget_handlers import BitgetApi, ParamError, Params

PublicFn = Callable[[Params, int], object]
PrivateFn = Callable[[str, Params, int], object]

PLACE_ORDER_PATH = "/api/v2/mix/order/place-order"
ORDER_DETAIL_PATH = "/api/v2/mix/order/detail"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def json_response(payload: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, content_type="application/json")


def error_response(err: BitgetError) -> web.Response:
    return json_response(error_body(err, now_ms()), err.http_status)


class BitgetRest:
    """Every REST endpoint the simulator serves for Bitget USDT-FUTURES, same paths as v2."""

    def __init__(
        self,
        exchange: SimExchange,
        keys: Mapping[str, ApiKey],
        account_for_key: Callable[[str], str | None],
        check_timestamp: bool = True,
    ) -> None:
        self.exchange = exchange
        self.api = BitgetApi(exchange)
        self.keys = keys
        self.account_for_key = account_for_key
        self.window_ms = TIMESTAMP_WINDOW_MS if check_timestamp else 10**15
        api = self.api
        self.public: dict[tuple[str, str], PublicFn] = {
            ("GET", "/api/v2/public/time"): api.server_time,
            ("GET", "/api/v2/spot/public/coins"): api.coins,
            ("GET", "/api/v2/mix/market/contracts"): api.contracts,
            ("GET", "/api/v2/mix/market/ticker"): api.ticker,
            ("GET", "/api/v2/mix/market/tickers"): api.tickers,
            ("GET", "/api/v2/mix/market/merge-depth"): api.merge_depth,
            ("GET", "/api/v2/mix/market/orderbook"): api.merge_depth,
            ("GET", "/api/v2/mix/market/current-fund-rate"): api.current_fund_rate,
            ("GET", "/api/v2/mix/market/funding-time"): api.funding_time,
        }
        self.private: dict[tuple[str, str], PrivateFn] = {
            ("POST", PLACE_ORDER_PATH): api.place_order,
            ("POST", "/api/v2/mix/order/cancel-order"): api.cancel_order,
            ("POST", "/api/v2/mix/order/cancel-all-orders"): api.cancel_all,
            ("GET", ORDER_DETAIL_PATH): api.order_detail,
            ("GET", "/api/v2/mix/order/orders-pending"): api.orders_pending,
            ("GET", "/api/v2/mix/order/orders-history"): api.orders_history,
            ("GET", "/api/v2/mix/order/fills"): api.fills,
            ("GET", "/api/v2/mix/position/all-position"): api.all_position,
            ("GET", "/api/v2/mix/position/single-position"): api.single_position,
            ("GET", "/api/v2/mix/account/accounts"): api.accounts,
            ("GET", "/api/v2/mix/account/account"): api.account,
            ("GET", "/api/v2/mix/account/bill"): api.account_bill,
            ("POST", "/api/v2/mix/account/set-leverage"): api.set_leverage,
            ("POST", "/api/v2/mix/account/set-margin-mode"): api.set_margin_mode,
            ("POST", "/api/v2/mix/account/set-position-mode"): api.set_position_mode,
        }

    def setup_routes(self, app: web.Application) -> None:
        for method, path in [*self.public, *self.private]:
            app.router.add_route(method, path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        route = (request.method, request.path)
        body = await request.text() if request.method == "POST" else ""
        try:
            params = self._params(request, body)
            public = self.public.get(route)
            if public is not None:
                return json_response(envelope(public(params, now_ms()), now_ms()))
            auth_error = verify_rest(
                request.headers, request.method, request.path,
                request.rel_url.raw_query_string, body, self.keys, now_ms(), self.window_ms,
            )  # fmt: skip
            if auth_error is not None:
                return error_response(auth_error)
            account_id = self.account_for_key(request.headers.get("ACCESS-KEY", ""))
            if account_id is None or account_id not in self.exchange.accounts:
                return error_response(codes.INVALID_ACCESS_KEY)
            data = self.private[route](account_id, params, now_ms())
            return json_response(envelope(data, now_ms()))
        except ParamError as exc:
            return error_response(exc.error)
        except SimReject as reject:
            return error_response(self._reject_error(route, reject, request, body))
        except ValueError:  # an enum value Bitget does not know (side, orderType, limit ...)
            return error_response(codes.reject_error(RejectReason.INVALID_PARAMETER))

    def _params(self, request: web.Request, body: str) -> dict[str, str]:
        params = {k: v for k, v in request.rel_url.query.items()}
        if body:
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise ParamError(codes.reject_error(RejectReason.INVALID_PARAMETER)) from exc
            if not isinstance(parsed, dict):
                raise ParamError(codes.reject_error(RejectReason.INVALID_PARAMETER))
            params.update({k: _text(v) for k, v in parsed.items()})
        return params

    def _reject_error(
        self, route: tuple[str, str], reject: SimReject, request: web.Request, body: str
    ) -> BitgetError:
        """Bitget's error for a core reject, with the request details Bitget puts in `msg`."""
        reason = reject.reason
        if route == ("GET", ORDER_DETAIL_PATH) and reason is RejectReason.ORDER_NOT_FOUND:
            return codes.ORDER_QUERY_NOT_FOUND
        if route == ("POST", PLACE_ORDER_PATH):
            params = orjson.loads(body) if body else {}
            inst = self.exchange.instruments.get(str(params.get("symbol", "")))
            if inst is not None and reason is RejectReason.QTY_OFF_STEP:
                return codes.reject_error(
                    reason,
                    "Parameter verification exception size checkBDScale error "
                    f"value={params.get('size')} checkScale={tbl.volume_place(inst)}",
                )
            if inst is not None and reason is RejectReason.BELOW_MIN_NOTIONAL:
                return codes.reject_error(
                    reason, f"less than the minimum amount {fmt(inst.min_notional_usdt)} USDT"
                )
        return codes.reject_error(reason)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rate_limit_response() -> web.Response:
    return error_response(codes.RATE_LIMITED)
