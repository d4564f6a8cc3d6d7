"""Bitget v2 USDT-FUTURES front end of the simulator: REST + public/private WS on the core."""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from arbcore.core.enums import Venue
from arbcore.sim.events import PrivateEvent
from arbcore.sim.market import BookUpdate, SimBook
from arbcore.sim.server import FrontEnd, VenueContext, WsSession
from arbcore.sim.venues.bitget_auth import ApiKey
from arbcore.sim.venues.bitget_rest import PLACE_ORDER_PATH, BitgetRest, rate_limit_response
from arbcore.sim.venues.bitget_ws import BitgetStreams

WS_PUBLIC_PATH = "/v2/ws/public"
WS_PRIVATE_PATH = "/v2/ws/private"
# Bitget closes a connection that sent nothing (no "ping") for 2 minutes [unverified number].
IDLE_TIMEOUT_S = 120.0
MAX_BOOK_DEPTH = 200


class BitgetFrontEnd(FrontEnd):
    """Same paths, parameters, signatures, envelopes, error codes and WS frames as Bitget v2."""

    venue: ClassVar[Venue] = Venue.BITGET
    has_checksum: ClassVar[bool] = True
    ws_public_path: ClassVar[str] = WS_PUBLIC_PATH
    ws_private_path: ClassVar[str] = WS_PRIVATE_PATH
    idle_timeout_s: ClassVar[float] = IDLE_TIMEOUT_S
    order_entry_routes: ClassVar[frozenset[tuple[str, str]]] = frozenset(
        {("POST", PLACE_ORDER_PATH)}
    )

    def __init__(self, ctx: VenueContext) -> None:
        super().__init__(ctx)
        creds = ctx.credentials
        keys = {creds.api_key: ApiKey(creds.api_key, creds.secret, creds.passphrase or "")}
        self.rest = BitgetRest(
            ctx.exchange, keys, self.account_for_key, ctx.config.recv_window_check
        )
        self.streams = BitgetStreams(
            ctx.exchange, ctx.faults, ctx.sessions, keys, self.account_for_key,
            min(ctx.config.book_depth, MAX_BOOK_DEPTH),
        )  # fmt: skip

    def setup_routes(self, app: web.Application) -> None:
        self.rest.setup_routes(app)
        app.router.add_get(WS_PUBLIC_PATH, self._ws_public)
        app.router.add_get(WS_PRIVATE_PATH, self._ws_private)

    async def _ws_public(self, request: web.Request) -> web.StreamResponse:
        return await self._serve_ws(request, private=False)

    async def _ws_private(self, request: web.Request) -> web.StreamResponse:
        return await self._serve_ws(request, private=True)

    async def _serve_ws(self, request: web.Request, private: bool) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        session = WsSession(ws, self.ctx, private)
        await session.run(self.streams.on_text, self.ws_idle_timeout_s)
        return ws

    def rate_limit_response(self, request: web.Request) -> web.StreamResponse:
        return rate_limit_response()

    def on_book_update(self, book: SimBook, update: BookUpdate) -> None:
        self.streams.on_book_update(book, update)

    def on_private_event(self, account_id: str, event: PrivateEvent) -> None:
        self.streams.on_private_event(account_id, event)

    async def start(self) -> None:
        """Nothing periodic to run: every push is driven by a book update or a private event."""

    async def stop(self) -> None:
        """Sessions are closed by the server; no tasks of our own to stop."""


FRONT_END = BitgetFrontEnd
