"""The engine: connects venues, loads instruments and Pairs, runs them in one TaskGroup."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from arbcore.core.enums import ConnectionState, PairState, Venue
from arbcore.core.errors import ExchangeError
from arbcore.core.models import Instrument, PairSpec
from arbcore.core.records import CloseReason, EventRecord, PairRecord
from arbcore.engine.pair_core import PairCore
from arbcore.engine.pair_runner import PairRunner, RunnerContext
from arbcore.engine.reconciler import Reconciler, ReconcileReport
from arbcore.engine.recorder import Recorder
from arbcore.engine.retry import retry_transient
from arbcore.engine.staleness import StaleWatch
from arbcore.engine.stats import EngineStats
from arbcore.engine.verify import (
    RECHECK_AFTER_S,
    Mismatch,
    intended_positions,
    mismatches,
    reported_positions,
)
from arbcore.exchanges.base import ExchangeClient
from arbcore.exchanges.registry import create_client
from arbcore.market.books import BookRegistry
from arbcore.persistence import migrate
from arbcore.persistence.db import Database, open_database
from arbcore.persistence.repositories import Repositories
from arbcore.risk.balances import BalanceCache
from arbcore.risk.leverage import ensure_leverage
from arbcore.risk.limits import validate_pair
from arbcore.risk.slots import Slots
from arbcore.settings import Settings, connector_config
from arbcore.strategy.legs import Leg, LegRunner
from arbcore.strategy.order_tracker import OrderTracker

log = logging.getLogger(__name__)
CLEAR_ERROR_REQUESTED = "clear_error_requested"
MAX_CONCURRENT_REQUESTED = "max_concurrent_requested"


class Engine:
    """One process trading every enabled Pair. `run(stop)` returns after a clean shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stats = EngineStats()
        self.books = BookRegistry(stale_after_ms=settings.engine.stale_after_ms)
        self.tracker = OrderTracker()
        self.slots = Slots(settings.engine.max_concurrent_arbitrages)
        self.clients: dict[Venue, ExchangeClient] = {}
        self.instruments: dict[Venue, dict[str, Instrument]] = {}
        self.runners: dict[int, PairRunner] = {}
        self.refused: dict[int, str] = {}  # pair id -> why it cannot trade
        self.reconcile_report = ReconcileReport()
        self.ready = asyncio.Event()
        self.force_exit = asyncio.Event()  # a second signal: skip close_on_shutdown waits
        self._db: Database | None = None
        self._tg: asyncio.TaskGroup | None = None
        self._loops: list[asyncio.Task[None]] = []
        self._subscribed: set[tuple[Venue, str]] = set()
        self._private: set[Venue] = set()

    # ------------------------------------------------------------------ lifecycle

    async def run(self, stop: asyncio.Event) -> None:
        settings = self.settings
        await migrate.upgrade(settings.database.url)
        self._db = open_database(**settings.database.model_dump())
        repos = Repositories(self._db)
        self.recorder = Recorder(repos, stats=self.stats)
        stale_watch = StaleWatch(
            self.recorder, settings.engine.stale_alert_after_s, self.runners.values
        )
        self.books.listen_state(stale_watch.on_book_state)
        try:
            await self._connect()
            records = await self._load_pairs(repos)
            stale = await repos.trades.list_open()  # left open by the previous run
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                self._loop(self.recorder.run())
                ctx = self._context()
                await self._subscribe(records)
                await self._await_books(records)
                await self._prepare_pairs(records, ctx, repos)
                self.reconcile_report = await Reconciler(
                    repos, self.recorder, ctx.runner, ctx.legs, settings.engine.on_start
                ).run(stale, self.runners, {r.spec.symbol for r in records})
                await self.balances.refresh_all()
                self._loop(self.books.sweep_forever())
                self._loop(self._monitor())
                self._loop(self._refresh_balances())
                self._loop(self._refresh_instruments())
                self._loop(self._sync_pairs(repos))
                self._loop(stale_watch.run())
                for runner in self.runners.values():
                    if runner.spec.enabled and runner.machine.state is not PairState.ERROR:
                        runner.machine.start()
                self.ready.set()
                await stop.wait()
                await self._shutdown()
        finally:
            await asyncio.gather(
                *(c.close() for c in self.clients.values()), return_exceptions=True
            )
            await self._db.dispose()

    async def _shutdown(self) -> None:
        """SPEC §5.9: no new entries, running parts finish hedged or flat, optionally close
        every position (`close_on_shutdown`), records flushed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.engine.shutdown_timeout_s
        for runner in self.runners.values():
            runner.stopping = True
        await self._wait(lambda: not any(r.busy for r in self.runners.values()), deadline)
        if self.settings.engine.close_on_shutdown:
            for runner in self.runners.values():
                runner.begin_exit(CloseReason.SHUTDOWN, "close_on_shutdown")
            await self._wait(
                lambda: all(
                    r.position is None or r.machine.state is PairState.ERROR
                    for r in self.runners.values()
                ),
                deadline,
            )
        await self.recorder.flush()
        for task in self._loops:
            task.cancel()

    async def _wait(self, done: Callable[[], bool], deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while not done():
            if loop.time() > deadline:
                log.error(
                    "shutdown: gave up waiting after %ss", self.settings.engine.shutdown_timeout_s
                )
                return
            await asyncio.sleep(0.02)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a part or a repair in the engine's TaskGroup (no orphan tasks)."""
        assert self._tg is not None
        self._tg.create_task(coro)

    def _loop(self, coro: Coroutine[Any, Any, None]) -> None:
        assert self._tg is not None
        self._loops.append(self._tg.create_task(coro))

    # ------------------------------------------------------------------ start-up steps

    async def _connect(self) -> None:
        enabled = [v for v, ex in self.settings.exchanges.items() if ex.enabled]
        for venue in enabled:
            self.clients[venue] = create_client(connector_config(self.settings, venue))
        await asyncio.gather(
            *(retry_transient(c.start, f"{v} start") for v, c in self.clients.items())
        )
        loaded = await asyncio.gather(
            *(
                retry_transient(c.load_instruments, f"{v} instruments")
                for v, c in self.clients.items()
            )
        )
        for venue, instruments in zip(self.clients, loaded, strict=True):
            self.instruments[venue] = {i.symbol: i for i in instruments}
            log.info("%s: %d instruments", venue, len(instruments))

    async def _load_pairs(self, repos: Repositories) -> list[PairRecord]:
        """Pairs from the database; the YAML's seed list adds those not stored yet."""
        stored = await repos.pairs.find()
        have = {(p.spec.symbol, p.spec.exchanges) for p in stored}
        for spec in self.settings.pair_specs():
            if (spec.symbol, spec.exchanges) not in have:
                stored.append(await repos.pairs.create(spec))
        return stored

    def _context(self) -> RunnerContext:
        legs: dict[Venue, dict[str, Leg]] = {}
        for venue, client in self.clients.items():
            ex = self.settings.exchanges[venue]
            if not ex.trade:
                continue
            fee = float(ex.taker_fee)
            legs[venue] = {s: Leg(client, i, fee) for s, i in self.instruments[venue].items()}
        self.balances = BalanceCache({v: self.clients[v] for v in legs})
        return RunnerContext(
            books=self.books,
            legs=legs,
            runner=LegRunner(self.tracker, self.recorder),
            recorder=self.recorder,
            slots=self.slots,
            balances=self.balances,
            stats=self.stats,
            spawn=self.spawn,
            stale_after_ms=self.settings.engine.stale_after_ms,
            margin_buffer_pct=self.settings.engine.margin_buffer_pct,
            verify=self.verify_positions,
        )

    async def _prepare_pairs(
        self, records: list[PairRecord], ctx: RunnerContext, repos: Repositories
    ) -> None:
        self._ctx = ctx
        for record in records:
            await self._add_runner(record, repos)

    async def _add_runner(self, record: PairRecord, repos: Repositories) -> PairRunner | None:
        problems = self.validate(record.spec)
        if problems:
            why = "; ".join(problems)
            self.refused[record.id] = why
            self.recorder.event("pair_refused", record.id, None, reason=why)
            log.error("pair %s (%s) cannot trade: %s", record.id, record.spec.symbol, why)
            return None
        runner = PairRunner(record, self._ctx)
        for venue in runner.venues:
            set_leverage = functools.partial(
                ensure_leverage, repos.leverage, self.clients[venue], record.spec.symbol,
                record.spec.leverage, record.spec.margin_mode,
            )  # fmt: skip
            await retry_transient(set_leverage, f"{venue} leverage")
        await runner.reserve()
        self.runners[record.id] = runner
        self.books.listen(record.spec.symbol, runner.on_book)
        return runner

    async def _sync_pairs(self, repos: Repositories, interval_s: float = 2.0) -> None:
        """Pick up Pairs added, enabled, paused or removed in the database (CLI, API), and
        operators' requests to clear ERROR."""
        kinds = (CLEAR_ERROR_REQUESTED, MAX_CONCURRENT_REQUESTED)
        after: dict[str, int] = {}
        for kind in kinds:  # requests made while no engine ran are stale: skip them
            old = await repos.events.find(kind=kind, limit=1_000_000)
            after[kind] = old[-1].id if old else 0
        while True:
            await asyncio.sleep(interval_s)
            for kind in kinds:
                try:
                    requests = await repos.events.find(kind=kind, after_id=after[kind])
                except Exception:
                    log.exception("pair sync: reading operator requests failed")
                    continue
                for request in requests:
                    after[kind] = request.id
                    self._apply_request(request)
            try:
                stored = {r.id: r for r in await repos.pairs.find(include_deleted=True)}
            except Exception:
                log.exception("pair sync: reading pairs failed")
                continue
            for pair_id, record in stored.items():
                runner = self.runners.get(pair_id)
                wanted = record.spec.enabled and record.deleted_at is None
                if runner is None:
                    if wanted and pair_id not in self.refused:
                        try:
                            await self._subscribe([record])
                            runner = await self._add_runner(record, repos)
                        except ExchangeError as exc:  # tried again on the next pass
                            log.warning("pair %s not started yet: %s", pair_id, exc)
                            continue
                        if runner is not None and runner.machine.state is not PairState.ERROR:
                            runner.machine.start()
                    continue
                runner.spec = record.spec
                if wanted and runner.machine.paused and runner.machine.state is not PairState.ERROR:
                    runner.machine.start()
                elif not wanted and not runner.machine.paused:
                    runner.machine.pause()

    def validate(self, spec: PairSpec) -> list[str]:
        """Problems that keep a Pair from trading, each naming the exchange and the limit."""
        missing = [v for v in spec.exchanges if v not in self.clients]
        if missing:
            return [f"{v}: exchange not enabled" for v in missing]
        instruments = {v: self.instruments[v].get(spec.symbol) for v in spec.exchanges}
        prices: dict[Venue, float] = {}
        for venue in spec.exchanges:
            book = self.books.get(venue, spec.symbol)
            top = book.best_ask() if book is not None else None
            if top is not None:
                prices[venue] = top[0]
        return [str(p) for p in validate_pair(spec, instruments, prices or None)]

    async def _subscribe(self, records: list[PairRecord]) -> None:
        """Book streams for the Pairs' symbols (once per venue and symbol); private streams."""
        symbols: dict[Venue, set[str]] = {}
        for record in records:
            for venue in record.spec.exchanges:
                key = (venue, record.spec.symbol)
                if (
                    venue in self.clients
                    and key[1] in self.instruments[venue]
                    and key not in self._subscribed
                ):
                    symbols.setdefault(venue, set()).add(record.spec.symbol)
                    self._subscribed.add(key)
        for venue, wanted in symbols.items():
            await self.clients[venue].subscribe_books(
                sorted(wanted), self.books.on_book, self.books.on_state
            )
        for venue, client in self.clients.items():
            if self.settings.exchanges[venue].trade and venue not in self._private:
                self._private.add(venue)
                client.connection_listener(self._on_connection)
                await client.subscribe_private(
                    self.tracker.on_order, on_balance=self.balances.on_balance
                )

    def _on_connection(self, venue: Venue, stream: str, state: ConnectionState) -> None:
        """A private stream (re)connected: balance pushes sent while it was down are lost,
        so the balance is read once over REST."""
        if stream != "private" or state is not ConnectionState.CONNECTED or self._tg is None:
            return
        with contextlib.suppress(RuntimeError):  # the task group has just finished
            self.spawn(self.balances.refresh_or_log(venue, "private stream reconnected"))

    def _apply_request(self, request: EventRecord) -> None:
        """Operator requests journaled by ControlService (CLI, API)."""
        if request.kind == CLEAR_ERROR_REQUESTED:
            target = self.runners.get(request.pair_id or 0)
            if target is not None:
                self.spawn(self._clear(target))
        elif request.kind == MAX_CONCURRENT_REQUESTED:
            limit = int(request.payload["limit"])
            self.slots.set_limit(limit)
            self.recorder.event(
                "max_concurrent_set", None, None, limit=limit, in_use=self.slots.in_use
            )
            log.info("max_concurrent_arbitrages set to %s (%s in use)", limit, self.slots.in_use)

    async def _clear(self, runner: PairRunner) -> None:
        if not await runner.operator_clear():
            log.warning("pair %s: ERROR not cleared (see the events journal)", runner.pair_id)

    async def _await_books(self, records: list[PairRecord], timeout_s: float = 5.0) -> None:
        """Give the streams a moment to deliver first snapshots (prices for validation)."""
        wanted = {
            (v, r.spec.symbol)
            for r in records
            for v in r.spec.exchanges
            if v in self.clients and r.spec.symbol in self.instruments[v]
        }
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            if all(self.books.get(v, s) is not None for v, s in wanted):
                return
            await asyncio.sleep(0.05)
        log.warning("books not all received after %ss; validating without some prices", timeout_s)

    async def verify_positions(self, caller: PairCore) -> list[Mismatch]:
        """Exchange positions of `caller`'s symbol against every Pair's intent (SPEC §5.6).

        Checked twice RECHECK_AFTER_S apart before a difference counts; skipped (no
        verdict) while another Pair of the symbol has a part in flight."""
        symbol = caller.spec.symbol
        peers = [r for r in self.runners.values() if r.spec.symbol == symbol]
        keys = {(v, symbol) for r in peers for v in r.venues}
        steps = {key: self.instruments[key[0]][symbol].base_step for key in keys}
        found: list[Mismatch] = []
        for attempt in range(2):
            if any(r.busy for r in peers if r is not caller):
                return []
            reported = await reported_positions(self.clients, keys)
            held = [(symbol, r.position) for r in peers if r.position is not None]
            found = mismatches(reported, intended_positions(held), steps)
            if not found:
                return []
            if attempt == 0:
                await asyncio.sleep(RECHECK_AFTER_S)
        return found

    # ------------------------------------------------------------------ loops

    async def _monitor(self) -> None:
        """Position monitor: stop loss and pending exits at least once a second."""
        interval_s = self.settings.engine.position_monitor_interval_ms / 1000
        while True:
            await asyncio.sleep(interval_s)
            for runner in self.runners.values():
                runner.check_position()

    async def _refresh_instruments(self) -> None:
        """SPEC §7: instrument limits reloaded every `instruments_refresh_h`; a Pair picks up
        changed steps and ticks between arbitrages (an open one keeps its legs)."""
        while True:
            await asyncio.sleep(self.settings.engine.instruments_refresh_h * 3600)
            await self.reload_instruments()

    async def reload_instruments(self) -> int:
        """Reload every venue's instruments now; returns how many changed."""
        changed = 0
        for venue, client in self.clients.items():
            try:
                fresh = {i.symbol: i for i in await client.load_instruments()}
            except ExchangeError as exc:
                log.warning("instrument refresh failed on %s: %s", venue, exc)
                continue
            for symbol, inst in fresh.items():
                if self.instruments[venue].get(symbol) == inst:
                    continue
                changed += 1
                self.instruments[venue][symbol] = inst
                old = self._ctx.legs.get(venue, {}).get(symbol)
                if old is not None:
                    self._ctx.legs[venue][symbol] = Leg(old.client, inst, old.taker_fee)
        for runner in self.runners.values():
            if runner.position is None:
                runner.refresh_legs()
        if changed:
            self.recorder.event("instruments_changed", None, None, count=changed)
        return changed

    async def _refresh_balances(self) -> None:
        while True:
            await asyncio.sleep(self.settings.engine.balance_refresh_s)
            await self.balances.refresh_all()

    # ------------------------------------------------------------------ operator

    def set_max_concurrent(self, limit: int) -> None:
        self.slots.set_limit(limit)

    def total_open_base(self) -> Decimal:
        return sum(
            (r.position.long.qty_base for r in self.runners.values() if r.position is not None),
            Decimal(0),
        )
