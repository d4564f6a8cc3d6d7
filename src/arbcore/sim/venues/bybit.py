"""Bybit v5 (category=linear) front end of the simulator: REST, public and private WebSockets."""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from arbcore.core.enums import Venue
from arbcore.sim.events import PrivateEvent
from arbcore.sim.market import BookUpdate, SimBook
from arbcore.sim.server import FrontEnd, VenueContext
from arbcore.sim.venues.bybit_errors import BybitError, error_envelope, json_response
from arbcore.sim.venues.bybit_rest import BybitRest
from arbcore.sim.venues.bybit_ws import BybitWs


class BybitFrontEnd(FrontEnd):
    """Paths, signatures, envelopes, retCodes and frames of Bybit v5 linear perpetuals.

    REST `https://api.bybit.com` -> `http://127.0.0.1:<port>`; public WS `/v5/public/linear`;
    private WS `/v5/private`. Rate-limit answers are retCode 10006 with HTTP 200.
    """

    venue: ClassVar[Venue] = Venue.BYBIT
    has_checksum: ClassVar[bool] = False
    ws_public_path: ClassVar[str] = "/v5/public/linear"
    ws_private_path: ClassVar[str] = "/v5/private"
    idle_timeout_s: ClassVar[float] = 600.0
    order_entry_routes: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        {("POST", "/v5/order/create")}
    )

    def __init__(self, ctx: VenueContext) -> None:
        super().__init__(ctx)
        self.rest = BybitRest(self)
        self.ws = BybitWs(self)

    def setup_routes(self, app: web.Application) -> None:
        self.rest.add_routes(app)
        app.router.add_get(self.ws_public_path, self.ws.public_handler)
        app.router.add_get(self.ws_private_path, self.ws.private_handler)

    def rate_limit_response(self, request: web.Request) -> web.StreamResponse:
        now_ms = self.ctx.clock.now_ms()
        response = json_response(error_envelope(BybitError(10006, "Too many visits!"), now_ms))
        response.headers["X-Bapi-Limit"] = "10"
        response.headers["X-Bapi-Limit-Status"] = "0"
        response.headers["X-Bapi-Limit-Reset-Timestamp"] = str(now_ms + 1000)
        return response

    def on_book_update(self, book: SimBook, update: BookUpdate) -> None:
        self.ws.on_book_update(book, update)

    def on_private_event(self, account_id: str, event: PrivateEvent) -> None:
        self.ws.on_private_event(account_id, event)

    async def start(self) -> None:
        await self.ws.start()

    async def stop(self) -> None:
        await self.ws.stop()


FRONT_END = BybitFrontEnd
