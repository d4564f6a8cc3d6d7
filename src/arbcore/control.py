"""ControlService: the one facade the CLI, the API and Telegram use to manage Pairs."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence

from arbcore.core.enums import PairState, TradeState, Venue
from arbcore.core.errors import ArbcoreError, ExchangeError
from arbcore.core.models import Instrument, PairSpec
from arbcore.core.records import PairRecord
from arbcore.exchanges.base import ExchangeClient
from arbcore.exchanges.registry import create_client
from arbcore.market.book import L2Book
from arbcore.persistence.repositories import Repositories
from arbcore.risk.limits import validate_pair
from arbcore.settings import Settings, connector_config

log = logging.getLogger(__name__)


class PairRefused(ArbcoreError):
    """A Pair that cannot trade; the message names each exchange and limit."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class ControlService:
    """Validated changes to Pairs. Changes land in the database; a running engine picks
    them up within a few seconds (it polls the pairs table)."""

    def __init__(self, settings: Settings, repos: Repositories) -> None:
        self.settings = settings
        self.repos = repos

    async def list_pairs(self) -> list[PairRecord]:
        return await self.repos.pairs.find()

    async def add_pair(self, spec: PairSpec) -> PairRecord:
        problems = await self.check_pair(spec)
        if problems:
            raise PairRefused(problems)
        return await self.repos.pairs.create(spec)

    async def set_enabled(self, pair_id: int, enabled: bool) -> PairRecord:
        record = await self.repos.pairs.get(pair_id)
        return await self.repos.pairs.update(
            pair_id, dataclasses.replace(record.spec, enabled=enabled)
        )

    async def remove_pair(self, pair_id: int) -> PairRecord:
        """Refused while an arbitrage of the Pair is open: close it first."""
        open_trades = [
            t
            for t in await self.repos.trades.list_open(pair_id=pair_id)
            if t.state is not TradeState.PENDING
        ]
        if open_trades:
            ids = [t.id for t in open_trades]
            raise ArbcoreError(f"pair {pair_id} has open arbitrages {ids}; close them first")
        await self.set_enabled(pair_id, False)
        return await self.repos.pairs.delete(pair_id)

    async def request_clear_error(self, pair_id: int) -> PairRecord:
        """Ask the running engine to leave ERROR; it checks the venues first and refuses
        (journal event `clear_error_refused`) unless they hold exactly what the records say.
        The Pair is disabled too, so that once cleared it waits for `pairs start`."""
        record = await self.repos.pairs.get(pair_id)
        if record.state is not PairState.ERROR:
            raise ArbcoreError(f"pair {pair_id} is {record.state}, not ERROR")
        record = await self.set_enabled(pair_id, False)  # cleared Pairs wait for `pairs start`
        await self.repos.events.append("clear_error_requested", {}, pair_id=pair_id)
        return record

    async def request_max_concurrent(self, limit: int) -> None:
        """Ask the running engine to change `max_concurrent_arbitrages`. Lowering it never
        closes running arbitrages; new entries wait until use falls below the limit."""
        if limit < 0:
            raise ArbcoreError(f"max_concurrent_arbitrages must be >= 0, got {limit}")
        await self.repos.events.append("max_concurrent_requested", {"limit": limit})

    async def check_pair(self, spec: PairSpec) -> list[str]:
        """Validate against every exchange's instrument limits, read from the exchanges now."""
        missing = [v for v in spec.exchanges if not self.settings.exchanges[v].enabled]
        if missing:
            return [f"{v}: exchange not enabled in the configuration" for v in missing]
        instruments, prices = await fetch_limits(self.settings, spec.exchanges, spec.symbol)
        return [str(p) for p in validate_pair(spec, instruments, prices or None)]


async def fetch_limits(
    settings: Settings, venues: Sequence[Venue], symbol: str, price_wait_s: float = 5.0
) -> tuple[dict[Venue, Instrument | None], dict[Venue, float]]:
    """Instruments of `symbol` on each venue and a reference price from each live book."""
    clients: dict[Venue, ExchangeClient] = {
        v: create_client(connector_config(settings, v)) for v in venues
    }
    prices: dict[Venue, float] = {}
    got_all = asyncio.Event()

    def on_book(book: L2Book, _recv_ns: int) -> None:
        ask = book.best_ask()
        if ask is not None:
            prices[book.venue] = ask[0]
            if len(prices) == len(clients):
                got_all.set()

    try:
        await asyncio.gather(*(c.start() for c in clients.values()))
        loaded = await asyncio.gather(*(c.load_instruments() for c in clients.values()))
        instruments: dict[Venue, Instrument | None] = {}
        for venue, listed in zip(clients, loaded, strict=True):
            instruments[venue] = next((i for i in listed if i.symbol == symbol), None)
        listed_on = [v for v, i in instruments.items() if i is not None]
        try:
            await asyncio.gather(
                *(clients[v].subscribe_books([symbol], on_book) for v in listed_on)
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(got_all.wait(), price_wait_s)
        except ExchangeError as exc:
            log.warning("no live prices for %s (%s): minimum notional not checked", symbol, exc)
        return instruments, prices
    finally:
        await asyncio.gather(*(c.close() for c in clients.values()), return_exceptions=True)
