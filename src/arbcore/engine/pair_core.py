"""One Pair's shared state and trade record: books, legs, closing a trade, the next reservation."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arbcore.core.clock import utc_now
from arbcore.core.enums import PairState, Side, TradeState, Venue
from arbcore.core.models import shared_base_step
from arbcore.core.records import CloseReason, NewTrade, PairRecord
from arbcore.engine.recorder import Recorder
from arbcore.engine.stats import ClosedTrade, EngineStats
from arbcore.engine.verify import Mismatch
from arbcore.market.book import L2Book
from arbcore.market.books import BookRegistry
from arbcore.risk.balances import BalanceCache, MarginCommit
from arbcore.risk.limits import part_quantity
from arbcore.risk.slots import Slots
from arbcore.strategy.legs import Leg, LegRunner
from arbcore.strategy.pair_state import PairMachine
from arbcore.strategy.position import ArbPosition

log = logging.getLogger(__name__)
P = PairState


@dataclass(slots=True)
class RunnerContext:
    """Engine services every PairRunner shares."""

    books: BookRegistry
    legs: dict[Venue, dict[str, Leg]]  # tradable venues only: venue -> symbol -> Leg
    runner: LegRunner
    recorder: Recorder
    slots: Slots
    balances: BalanceCache
    stats: EngineStats
    spawn: Callable[[Coroutine[Any, Any, None]], None]
    stale_after_ms: int
    margin_buffer_pct: Decimal
    verify: Callable[[PairCore], Awaitable[list[Mismatch]]]


class PairCore:
    """One Pair's state machine, its open arbitrage and the trade record it closes."""

    def __init__(self, record: PairRecord, ctx: RunnerContext) -> None:
        self.pair_id = record.id
        self.spec = record.spec
        self.ctx = ctx
        # ERROR outlives a restart: only an operator clears it (SPEC §3).
        self.machine = PairMachine(
            record.id, state=P.ERROR if record.state is P.ERROR else P.PAUSED
        )
        self.machine.listeners.append(self._on_transition)
        symbol = self.spec.symbol
        self.venues = [
            v
            for v in self.spec.exchanges
            if v not in self.spec.price_only and symbol in ctx.legs.get(v, {})
        ]
        self.refresh_legs()
        self.busy = False
        self.stopping = False
        self.reserved_trade_id: int | None = None
        self.trade_id: int | None = None
        self.position: ArbPosition | None = None
        self.long: Leg | None = None
        self.short: Leg | None = None
        self.exit_reason: CloseReason | None = None
        self.exit_attempt = 0
        self.margin_commits: list[MarginCommit] = []  # of the open arbitrage
        self.opened_ms: int | None = None  # wall clock of the first entry part
        self.entry_round = 0  # rounds of the part being entered (rollbacks so far)
        self.next_exit_ns = 0
        self.last_net_spread_pct: float | None = None
        self._last_trade_id: int | None = None
        self._repair_round = 0  # rounds of repair orders (loop and excess), ids never reused
        self._blocked_at: dict[str, float] = {}

    def refresh_legs(self) -> None:
        """Take the venues' current instruments (at start, after an instrument refresh)."""
        symbol = self.spec.symbol
        self.legs = {v: self.ctx.legs[v][symbol] for v in self.venues}
        self.fees = {v: leg.taker_fee for v, leg in self.legs.items()}
        step = shared_base_step([leg.instrument for leg in self.legs.values()])
        self.entry_qty = part_quantity(self.spec.volume_base, self.spec.entry_parts, step)
        self.exit_qty = part_quantity(self.spec.volume_base, self.spec.exit_parts, step)
        self.entry_qty_f = float(self.entry_qty)

    def _book(self, venue: Venue) -> L2Book | None:
        return self.ctx.books.get(venue, self.spec.symbol)

    def _fresh_leg_books(self, long: Leg, short: Leg, now_ns: int) -> tuple[L2Book, L2Book] | None:
        """The long and short venues' books, or None unless both exist and are fresh."""
        lb, sb = self._book(long.venue), self._book(short.venue)
        if lb is None or sb is None:
            return None
        stale_ms = self.ctx.stale_after_ms
        if lb.is_stale(now_ns, stale_ms) or sb.is_stale(now_ns, stale_ms):
            return None
        return lb, sb

    def _close_trade(self, state: TradeState, reason: CloseReason, *, move: bool = True) -> None:
        pos, trade_id = self.position, self.trade_id
        assert pos is not None and trade_id is not None
        pnl = pos.realized_pnl_usdt
        long_exit = pos.long.sold_usdt / pos.long.entered_base if pos.long.entered_base else None
        short_exit = (
            pos.short.bought_usdt / pos.short.entered_base if pos.short.entered_base else None
        )
        self.ctx.recorder.trade_changed(
            trade_id,
            state=state,
            entered_base=min(pos.long.entered_base, pos.short.entered_base),
            exited_base=min(pos.long.entered_base, pos.short.entered_base),
            long_exit_avg_px=long_exit,
            short_exit_avg_px=short_exit,
            exit_fees_usdt=pos.fees_usdt,
            realized_pnl_usdt=pnl,
            funding_usdt=pos.funding_usdt,
            close_reason=reason.value,
            closed_at=utc_now(),
            exit_parts_done=pos.exits_done,
        )
        self.ctx.recorder.event(
            "trade_closed", self.pair_id, trade_id, reason=reason.value, pnl_usdt=pnl
        )
        stats = self.ctx.stats
        stats.realized_pnl_usdt += pnl
        stats.recent_closed.appendleft(
            ClosedTrade(
                trade_id, self.spec.symbol, pos.long.venue, pos.short.venue, pnl, reason.value
            )
        )
        if state is TradeState.CLOSED:
            stats.cycles_closed += 1
        self.ctx.slots.release(trade_id)
        for commit in self.margin_commits:
            self.ctx.balances.release(commit)
        self.margin_commits.clear()
        for venue in (pos.long.venue, pos.short.venue):
            self.ctx.spawn(self.ctx.balances.refresh_or_log(venue, "after an exit"))
        self.position = None
        self.opened_ms = None
        self._last_trade_id = trade_id
        self.trade_id = None
        self.long = self.short = None
        self.exit_reason = None
        if move:
            self.machine.flat_again(reason.value)
        self.ctx.spawn(self.reserve())

    def _tolerance(self) -> Decimal:
        if self.long is None or self.short is None:
            return Decimal(0)
        return max(self.long.instrument.base_step, self.short.instrument.base_step)

    def _price_now(self, leg: Leg, side: Side, qty: Decimal) -> float | None:
        book = self._book(leg.venue)
        if book is None or book.is_stale(time.perf_counter_ns(), self.ctx.stale_after_ms):
            return None
        return book.buy_px(float(qty)) if side is Side.BUY else book.sell_px(float(qty))

    async def reserve(self) -> None:
        """Pre-create the next trade row so an entry never waits for the database."""
        if self.reserved_trade_id is not None:
            return
        self.reserved_trade_id = await self.ctx.recorder.reserve_trade(
            NewTrade(
                pair_id=self.pair_id,
                symbol=self.spec.symbol,
                long_exchange=self.spec.exchanges[0],
                short_exchange=self.spec.exchanges[1],
                target_base=self.spec.volume_base,
                opened_at=utc_now(),
                entry_parts=self.spec.entry_parts,
                exit_parts=self.spec.exit_parts,
                state=TradeState.PENDING,
            )
        )

    def _on_transition(self, src: PairState, dst: PairState, reason: str) -> None:
        self.ctx.recorder.event(
            "pair_state", self.pair_id, self.trade_id, src=src.value, dst=dst.value, reason=reason
        )
        self.ctx.recorder.submit(lambda repos: repos.pairs.set_state(self.pair_id, dst))
