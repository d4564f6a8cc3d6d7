"""Extra `/__sim` control routes: standing fault rates, forced divergence, full ground truth."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from arbcore.core.quantize import fmt
from arbcore.sim.market import MarketModel

if TYPE_CHECKING:
    from arbcore.sim.server import VenueServer

CONTROL_PREFIX = "/__sim"
MARKET_MODEL = web.AppKey("market_model", MarketModel)


def install_control_routes(server: VenueServer) -> None:
    """Add the routes below to `server`'s app (call before it starts).

    `GET|POST /__sim/rates` standing fault probabilities per order (FaultController.set_rates
    params: reject, execute_then_timeout, partial_fill, partial_fraction, reject_reasons, seed);
    `POST /__sim/episode` {"symbol", "size_bps", "duration_s"} forces a divergence episode of
    this venue (needs the cluster's market model under MARKET_MODEL);
    `GET /__sim/truth?account=<id>[&orders=0]` every executed order (unless orders=0), ledger
    sums by kind, positions with signed base quantities;
    `POST /__sim/clear` disarms pending faults and sets every standing rate to 0.
    """
    routes = _ControlRoutes(server)
    router = server.app.router
    router.add_get(f"{CONTROL_PREFIX}/rates", routes.get_rates)
    router.add_post(f"{CONTROL_PREFIX}/rates", routes.post_rates)
    router.add_post(f"{CONTROL_PREFIX}/episode", routes.post_episode)
    router.add_get(f"{CONTROL_PREFIX}/truth", routes.get_truth)
    router.add_post(f"{CONTROL_PREFIX}/clear", routes.post_clear)


def _bad_request(message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=400)


class _ControlRoutes:
    def __init__(self, server: VenueServer) -> None:
        self.server = server
        self.ctx = server.ctx

    async def get_rates(self, request: web.Request) -> web.Response:
        return web.json_response({"rates": self.ctx.faults.rates.as_dict()})

    async def post_rates(self, request: web.Request) -> web.Response:
        try:
            spec = await request.json()
            if not isinstance(spec, dict):
                raise TypeError("body must be a JSON object")
            rates = self.ctx.faults.set_rates(**spec)
        except (ValueError, TypeError) as exc:
            return _bad_request(str(exc))
        return web.json_response({"ok": True, "rates": rates.as_dict()})

    async def post_clear(self, request: web.Request) -> web.Response:
        self.ctx.faults.clear()
        rates = self.ctx.faults.set_rates()
        return web.json_response({"ok": True, "rates": rates.as_dict()})

    async def post_episode(self, request: web.Request) -> web.Response:
        model = request.app.get(MARKET_MODEL)
        if model is None:
            return web.json_response({"ok": False, "error": "no market model"}, status=409)
        try:
            spec = await request.json()
            symbol = str(spec["symbol"])
            size_bps = float(spec["size_bps"])
            duration_s = float(spec["duration_s"])
        except (ValueError, TypeError, KeyError) as exc:
            return _bad_request(f"need symbol, size_bps, duration_s: {exc}")
        if symbol not in self.ctx.exchange.books or duration_s <= 0:
            return _bad_request(f"unknown symbol {symbol!r} or duration_s <= 0")
        model.start_episode(self.ctx.venue, symbol, size_bps, duration_s)
        return web.json_response({"ok": True, "venue": self.ctx.venue.value, "symbol": symbol})

    async def get_truth(self, request: web.Request) -> web.Response:
        exchange = self.ctx.exchange
        account_id = request.query.get("account", self.ctx.credentials.api_key)
        if account_id not in exchange.accounts:
            return web.json_response({"error": f"no account {account_id}"}, status=404)
        orders = []
        with_orders = request.query.get("orders", "1") != "0"
        for order in exchange.account_orders(account_id) if with_orders else ():
            if order.filled_qty == 0:
                continue
            inst = exchange.instrument(order.symbol)
            avg = order.avg_price
            orders.append(
                {
                    "order_id": order.order_id,
                    "client_id": order.client_id,
                    "symbol": order.symbol,
                    "side": order.side.value,
                    "reduce_only": order.reduce_only,
                    "status": order.status.value,
                    "filled_qty": fmt(order.filled_qty),
                    "filled_base": fmt(inst.to_base_qty(order.filled_qty)),
                    "avg_price": fmt(avg) if avg is not None else None,
                    "fee_usdt": fmt(order.fee_usdt),
                    "realized_pnl_usdt": fmt(
                        sum((f.realized_pnl_usdt for f in order.fills), Decimal(0))
                    ),
                }
            )
        ledger: dict[str, Decimal] = defaultdict(Decimal)
        for entry in exchange.ledger(account_id):
            ledger[entry.kind.value] += entry.amount_usdt
        positions = []
        for view in exchange.positions(account_id):
            inst = exchange.instrument(view.symbol)
            positions.append(
                {
                    "symbol": view.symbol,
                    "side": view.side.value if view.side is not None else None,
                    "qty": fmt(view.qty),
                    "signed_base": fmt(inst.to_base_qty(view.signed_qty)),
                    "entry_price": fmt(view.entry_price),
                }
            )
        body: dict[str, Any] = {
            "account": account_id,
            "venue": self.ctx.venue.value,
            "balance_usdt": fmt(exchange.wallet(account_id).balance_usdt),
            "orders": orders,
            "ledger": {kind: fmt(total) for kind, total in sorted(ledger.items())},
            "positions": positions,
            "open_orders": len(exchange.account_orders(account_id, open_only=True)),
        }
        return web.json_response(body)
