"""SimCluster: all simulated venues of one run, their servers and the market driver task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from decimal import Decimal

from arbcore.core.clock import SYSTEM_CLOCK, Clock
from arbcore.core.enums import Venue
from arbcore.sim.config import SimConfig
from arbcore.sim.control import MARKET_MODEL
from arbcore.sim.faults import FaultController
from arbcore.sim.instruments import COINS, default_instruments
from arbcore.sim.market import BookShaper, MarketModel
from arbcore.sim.matching import EIGHT_HOURS_MS, SimExchange
from arbcore.sim.replay import ReplayDriver
from arbcore.sim.server import FrontEnd, VenueContext, VenueServer, front_end_class

log = logging.getLogger(__name__)
FUNDING_RATE_STEP = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class VenueEndpoints:
    """Where a simulated venue listens and the demo keys it accepts."""

    venue: Venue
    rest_url: str
    ws_public_url: str
    ws_private_url: str
    api_key: str
    secret: str
    passphrase: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "venue": self.venue.value,
            "rest_url": self.rest_url,
            "ws_public_url": self.ws_public_url,
            "ws_private_url": self.ws_private_url,
            "api_key": self.api_key,
            "secret": self.secret,
            "passphrase": self.passphrase,
        }


class SimCluster:
    """Builds every venue of `config.venues` (core + front end + server) and drives the books.

    Each venue's demo account is created with `starting_balance_usdt`. Books are shaped
    once before the servers start, so the first snapshot a client sees is full.
    """

    def __init__(self, config: SimConfig, clock: Clock = SYSTEM_CLOCK) -> None:
        self.config = config
        self.clock = clock
        self.exchanges: dict[Venue, SimExchange] = {}
        self.faults: dict[Venue, FaultController] = {}
        self.servers: dict[Venue, VenueServer] = {}
        self._shapers: list[tuple[Venue, str, BookShaper]] = []
        self._task: asyncio.Task[None] | None = None
        self.paused = False  # True: the market model stops moving the books (tests, demos)
        interval_ms = (
            int(config.funding_interval_s * 1000) if config.funding_interval_s else EIGHT_HOURS_MS
        )
        for venue in config.venues:
            cls = front_end_class(venue)
            faults = FaultController(venue, has_checksum=cls.has_checksum)
            taker, maker = config.fee_rates(venue)
            exchange = SimExchange(
                venue, default_instruments(venue, list(config.coins)), taker, maker,
                clock=clock, faults=faults, seed=config.seed, funding_interval_ms=interval_ms,
            )  # fmt: skip
            creds = config.credentials_for(venue)
            exchange.add_account(creds.api_key, config.starting_balance_usdt)
            ctx = VenueContext(venue, exchange, faults, config, creds, clock)
            front_end: FrontEnd = cls(ctx)
            self.exchanges[venue] = exchange
            self.faults[venue] = faults
            self.servers[venue] = VenueServer(front_end, config.host, config.ports.get(venue, 0))
            for symbol, book in exchange.books.items():
                rng = random.Random(f"{config.seed}:book:{venue.value}:{symbol}")
                self._shapers.append((venue, symbol, BookShaper(book, config, rng)))
        start_prices = {f"{c}USDT": float(COINS[c].start_price) for c in config.coins}
        self.model = MarketModel(config, start_prices, list(config.venues))
        for server in self.servers.values():
            server.app[MARKET_MODEL] = self.model
        self.replay = (
            ReplayDriver(config.replay_file, self.exchanges, config.replay_speed, clock)
            if config.replay_file is not None
            else None
        )

    def endpoints(self, venue: Venue) -> VenueEndpoints:
        server = self.servers[venue]
        creds = self.config.credentials_for(venue)
        return VenueEndpoints(
            venue, server.rest_url, server.ws_public_url, server.ws_private_url,
            creds.api_key, creds.secret, creds.passphrase,
        )  # fmt: skip

    def tick(self) -> None:
        """One market step: move prices, reshape every book, fill crossed resting orders,
        update funding rates and settle funding that is due."""
        self.model.step()
        now = self.clock.now_ms()
        for venue, symbol, shaper in self._shapers:
            shaper.refresh(self.model.mid(venue, symbol), now)
        refresh_rates = self.model.steps % max(1, int(self.config.updates_per_s)) == 1
        for venue, exchange in self.exchanges.items():
            for symbol in exchange.books:
                if exchange.has_open_orders(symbol):
                    exchange.match_resting(symbol)
                if refresh_rates:
                    exchange.funding_rates[symbol] = self._funding_rate(venue, symbol)
            exchange.run_funding_if_due(now)

    def _funding_rate(self, venue: Venue, symbol: str) -> Decimal:
        """Base 0.01 % plus a tenth of the venue's premium over fair price, capped at 0.75 %."""
        premium = Decimal(repr(self.model.offset(venue, symbol)))
        rate = (Decimal("0.0001") + premium / 10).quantize(FUNDING_RATE_STEP)
        return max(Decimal("-0.0075"), min(Decimal("0.0075"), rate))

    async def _drive(self) -> None:
        interval_s = 1.0 / self.config.updates_per_s
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            try:
                if not self.paused:
                    self.tick()
            except Exception:
                log.exception("sim market tick failed")
                raise
            next_at += interval_s
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def start(self) -> None:
        if self.replay is not None:
            self.replay.prime()
        else:
            self.tick()
        for server in self.servers.values():
            await server.start()
        driver = self.replay.run() if self.replay is not None else self._drive()
        self._task = asyncio.get_running_loop().create_task(driver)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for server in self.servers.values():
            await server.stop()
