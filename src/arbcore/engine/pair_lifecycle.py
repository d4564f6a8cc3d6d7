"""One Pair's state, records and safety: finishing parts, verifying, repairing, clearing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arbcore.core.client_ids import client_order_id
from arbcore.core.clock import utc_now
from arbcore.core.enums import PairState, Side, TradeState, Venue
from arbcore.core.errors import ExchangeError
from arbcore.core.models import shared_base_step
from arbcore.core.records import CloseReason, NewTrade, PairRecord, TradeRecord
from arbcore.engine.funding import funding_since
from arbcore.engine.recorder import Recorder
from arbcore.engine.stats import ClosedTrade, EngineStats
from arbcore.engine.verify import Mismatch
from arbcore.market.book import L2Book
from arbcore.market.books import BookRegistry
from arbcore.risk.balances import BalanceCache, MarginCommit
from arbcore.risk.limits import part_quantity
from arbcore.risk.slots import Slots
from arbcore.strategy.balance import ATTEMPTS_PER_ROUND, balance_legs
from arbcore.strategy.entry import PartOutcome, PartPlan, SentLegs, enter_part
from arbcore.strategy.exit import ExitPlan, exit_part
from arbcore.strategy.journal import OrderPurpose
from arbcore.strategy.legs import Leg, LegRunner
from arbcore.strategy.pair_state import PairMachine
from arbcore.strategy.position import ArbPosition

log = logging.getLogger(__name__)
P = PairState
EXIT_RETRY_PAUSE_NS = 200_000_000  # after an exit part that filled nothing
REPAIR_PAUSE_S = 1.0


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
    verify: Callable[[PairLifecycle], Awaitable[list[Mismatch]]]


class PairLifecycle:
    """One Pair's state machine, open arbitrage and everything after an order is sent."""

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

    # ---------------------------------------------------------------- hot path

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

    async def _enter(
        self, plan: PartPlan, sent: SentLegs, net_pct: float, *, first: bool, is_add: bool
    ) -> None:
        pos = self.position
        assert pos is not None
        held_before = min(pos.long.qty_base, pos.short.qty_base)
        try:
            outcome = await enter_part(self.ctx.runner, plan, pos, self._price_now, sent)
            self._settle_margin()
            self._after_entry(outcome, net_pct, held_before, first=first, is_add=is_add)
            await self._verify()
        except Exception:
            log.exception("pair %s: entry part crashed", self.pair_id)
            self._fail("entry part crashed")
        finally:
            self.busy = False

    def _settle_margin(self) -> None:
        """The part's orders are final (none of unknown outcome): balance readings from now
        on include their margin, so the commitments need not outlive the current reading."""
        trade_id = self.trade_id
        if trade_id is not None and not self.ctx.runner.unresolved(trade_id):
            for commit in self.margin_commits:
                self.ctx.balances.settle(commit)

    def _after_entry(
        self,
        outcome: PartOutcome,
        net_pct: float,
        held_before: Decimal,
        *,
        first: bool,
        is_add: bool,
    ) -> None:
        pos, trade_id = self.position, self.trade_id
        assert pos is not None and trade_id is not None
        stats = self.ctx.stats
        if outcome.tick_to_order_ns is not None:
            stats.tick_to_order_ns.append(outcome.tick_to_order_ns)
        if not outcome.hedged:
            self._fail(f"naked leg after entry: long-short = {outcome.balance.residual_base}")
            return
        filled = min(pos.long.qty_base, pos.short.qty_base) > 0
        if outcome.balance.orders:
            self.ctx.recorder.event(
                "rolled_back" if not filled else "balanced",
                self.pair_id,
                trade_id,
                residual_base=outcome.balance.residual_base,
            )
        if pos.is_flat:
            stats.cycles_rolled_back += 1
            self.entry_round = 0
            self._close_trade(TradeState.ROLLED_BACK, CloseReason.ROLLED_BACK)
            return
        added = pos.long.entered_base
        # A later part rolled back to the earlier parts' hedge entered nothing: not counted,
        # so the Pair may enter it again while the spread holds.
        entered = min(pos.long.qty_base, pos.short.qty_base) > held_before
        self.entry_round = 0 if entered else self.entry_round + 1
        if entered and is_add:
            pos.adds_done += 1
        elif entered:
            pos.parts_entered += 1
        if entered:
            pos.entry_spread_pct = net_pct
        last_spread = pos.entry_spread_pct if pos.entry_spread_pct is not None else net_pct
        if first:
            stats.cycles_opened += 1
        self.ctx.recorder.trade_changed(
            trade_id,
            state=TradeState.OPEN,
            entered_base=min(added, pos.short.entered_base),
            long_entry_avg_px=pos.long.avg_entry_px,
            short_entry_avg_px=pos.short.avg_entry_px,
            entry_fees_usdt=pos.fees_usdt,
            entry_parts_done=pos.parts_entered,
            adds_done=pos.adds_done,
            last_part_spread_pct=Decimal(f"{last_spread:.6f}"),
        )
        self.machine.move(P.POSITION_OPEN, "part hedged" if entered else "part rolled back")

    async def _exit(self, plan: ExitPlan, sent: SentLegs) -> None:
        pos, trade_id = self.position, self.trade_id
        assert pos is not None and trade_id is not None
        try:
            before = pos.long.qty_base
            outcome = await exit_part(self.ctx.runner, plan, pos, sent)
            if not outcome.hedged:
                self.exit_attempt += 1  # this attempt's client ids are spent (ERROR, clear, exit)
                self._fail(f"naked leg after exit: long-short = {outcome.balance.residual_base}")
                return
            if pos.long.qty_base < before:
                pos.exits_done += 1
                self.exit_attempt = 0
            else:
                self.exit_attempt += 1
                self.next_exit_ns = time.perf_counter_ns() + EXIT_RETRY_PAUSE_NS
            if pos.is_flat:
                await self._collect_funding()
                self._close_trade(TradeState.CLOSED, self.exit_reason or CloseReason.OPERATOR)
                await self._verify()
            else:
                self.ctx.recorder.trade_changed(
                    trade_id,
                    state=TradeState.CLOSING,
                    exited_base=pos.long.entered_base - pos.long.qty_base,
                    exit_parts_done=pos.exits_done,
                )
        except Exception:
            log.exception("pair %s: exit part crashed", self.pair_id)
            self.exit_attempt += 1
            self._fail("exit part crashed")
        finally:
            self.busy = False

    async def _collect_funding(self) -> None:
        """SPEC §2: funding the exchanges reported on both legs while the arbitrage was open
        counts in its pnl. Unavailable funding is journaled, the pnl recorded without it."""
        pos, since_ms = self.position, self.opened_ms
        if pos is None or since_ms is None:
            return
        legs = [self.legs[v] for v in (pos.long.venue, pos.short.venue) if v in self.legs]
        pos.funding_usdt = await funding_since(
            legs, self.spec.symbol, since_ms, self.ctx.recorder, self.pair_id, self.trade_id
        )

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
            self.ctx.spawn(self._refresh_balance(venue))
        self.position = None
        self.opened_ms = None
        self._last_trade_id = trade_id
        self.trade_id = None
        self.long = self.short = None
        self.exit_reason = None
        if move:
            self.machine.flat_again(reason.value)
        self.ctx.spawn(self.reserve())

    def _fail(self, why: str) -> None:
        """Cannot restore hedged or flat by itself: ERROR, alert, keep repairing."""
        self.ctx.stats.errors += 1
        self.ctx.recorder.event("pair_error", self.pair_id, self.trade_id, reason=why)
        if self.trade_id is not None:
            self.ctx.recorder.trade_changed(self.trade_id, state=TradeState.ERROR)
        if self.machine.state is not P.ERROR:
            self.machine.move(P.ERROR, why)
        self.ctx.spawn(self._repair_loop())

    async def _verify(self) -> None:
        """After a part: the exchanges must hold what the arbitrages intend. Extra quantity
        on this Pair's venues is reduced away; anything else is an ERROR for the operator."""
        if self.machine.state is P.ERROR:
            return
        try:
            found = await self.ctx.verify(self)
            if not found:
                return
            repaired = await self._reduce_excess(found)
            if repaired:
                found = await self.ctx.verify(self)
        except ExchangeError as exc:
            log.warning(
                "pair %s: position check failed, will check again later: %s", self.pair_id, exc
            )
            return
        if found:
            self._fail("positions differ from the exchanges: " + "; ".join(map(str, found)))

    async def _reduce_excess(self, found: list[Mismatch]) -> bool:
        """Reduce-only orders for quantity the exchange holds beyond intent on our legs."""
        repaired = False
        trade_id = self.trade_id if self.trade_id is not None else self._last_trade_id
        for mismatch in found:
            leg = self.legs.get(mismatch.venue)
            excess = mismatch.excess_base
            if leg is None or excess <= 0 or trade_id is None:
                continue
            side = Side.SELL if mismatch.reported_base > 0 else Side.BUY
            tag = "L" if side is Side.SELL else "S"
            self._repair_round += 1
            done, _ = await self.ctx.runner.reduce(
                trade_id,
                OrderPurpose.REPAIR,
                leg,
                side,
                excess,
                _repair_ids(trade_id, tag, self._repair_round),
            )
            self.ctx.recorder.event(
                "position_repaired", self.pair_id, trade_id, venue=mismatch.venue.value,
                excess_base=excess, reduced_base=done,
            )  # fmt: skip
            repaired = repaired or done > 0
        return repaired

    async def _repair_loop(self) -> None:
        while self.position is not None and self.long and self.short and self.trade_id is not None:
            self._repair_round += 1  # every round of every repair of the trade: fresh ids
            result = await balance_legs(
                self.ctx.runner,
                self.trade_id,
                0,
                self.position,
                self.long,
                self.short,
                OrderPurpose.REPAIR,
                "v",
                round_no=self._repair_round,
            )
            if result.hedged:
                if result.orders:
                    self.ctx.stats.naked_legs_repaired += 1
                self.ctx.recorder.event(
                    "naked_leg_repaired",
                    self.pair_id,
                    self.trade_id,
                    residual_base=result.residual_base,
                )
                self._record_repaired()
                return
            await asyncio.sleep(REPAIR_PAUSE_S)

    def _record_repaired(self) -> None:
        """The trade's record after a repair: closed with its pnl when the legs are flat,
        else (still ERROR) what is left open. The Pair stays in ERROR for the operator."""
        pos, trade_id = self.position, self.trade_id
        if pos is None or trade_id is None:
            return
        if pos.is_flat:
            self._close_trade(TradeState.CLOSED, CloseReason.ERROR, move=False)
            return
        self.ctx.recorder.trade_changed(
            trade_id,
            exited_base=pos.long.entered_base - pos.long.qty_base,
            exit_parts_done=pos.exits_done,
        )

    async def operator_clear(self) -> bool:
        """An operator asked to leave ERROR: allowed once the venues hold exactly what the
        records say, hedged or flat. The Pair stays paused until started again."""
        if self.busy or self.machine.state is not P.ERROR:
            return False
        self.busy = True
        try:
            try:
                found = await self.ctx.verify(self)
            except ExchangeError as exc:  # positions unreadable now: the operator asks again
                self.ctx.recorder.event(
                    "clear_error_refused", self.pair_id, self.trade_id,
                    reason=f"positions could not be read: {exc}",
                )  # fmt: skip
                return False
            pos = self.position
            unhedged = pos is not None and abs(pos.imbalance_base) >= self._tolerance()
            if found or unhedged:
                why = "; ".join(map(str, found)) or f"legs differ by {pos and pos.imbalance_base}"
                self.ctx.recorder.event(
                    "clear_error_refused", self.pair_id, self.trade_id, reason=why
                )
                return False
            if pos is not None and pos.is_flat:
                self._close_trade(TradeState.CLOSED, CloseReason.ERROR, move=False)
            self.machine.clear_error(holds_hedged_position=self.position is not None)
            if self.trade_id is not None:
                self.ctx.recorder.trade_changed(self.trade_id, state=TradeState.OPEN)
            self.ctx.recorder.event("error_cleared", self.pair_id, self.trade_id)
            return True
        finally:
            self.busy = False

    def _tolerance(self) -> Decimal:
        if self.long is None or self.short is None:
            return Decimal(0)
        return max(self.long.instrument.base_step, self.short.instrument.base_step)

    def adopt(self, trade: TradeRecord, position: ArbPosition) -> None:
        """Take over a hedged arbitrage found at restart (`on_start: adopt`). The machine
        walks the legal path to POSITION_OPEN and stays paused until the engine starts it."""
        self.trade_id = trade.id
        self.position = position
        self.opened_ms = int(trade.opened_at.timestamp() * 1000)
        self.long, self.short = self.legs[position.long.venue], self.legs[position.short.venue]
        position.parts_entered = max(1, trade.entry_parts_done)
        position.adds_done = trade.adds_done
        position.exits_done = trade.exit_parts_done
        self.ctx.slots.adopt(trade.id)
        self.machine.move(P.READY, "adopting an open arbitrage")
        self.machine.move(P.ENTERING, f"adopted trade {trade.id}")
        self.machine.move(P.POSITION_OPEN, "adopted at start")
        self.machine.paused = True
        self.ctx.recorder.trade_changed(trade.id, state=TradeState.OPEN)

    # ---------------------------------------------------------------- support

    def _price_now(self, leg: Leg, side: Side, qty: Decimal) -> float | None:
        book = self._book(leg.venue)
        if book is None or book.is_stale(time.perf_counter_ns(), self.ctx.stale_after_ms):
            return None
        return book.buy_px(float(qty)) if side is Side.BUY else book.sell_px(float(qty))

    async def _refresh_balance(self, venue: Venue) -> None:
        try:
            await self.ctx.balances.refresh(venue)
        except Exception as exc:
            log.warning("balance refresh after exit failed on %s: %s", venue, exc)

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


def _repair_ids(trade_id: int, tag: str, round_no: int) -> Callable[[int], str]:
    """Client ids of one repair round's reduce-only attempts."""
    return lambda attempt: client_order_id(
        trade_id, tag, 0, round_no * ATTEMPTS_PER_ROUND + attempt, role="v"
    )
