"""One Pair at run time: decides synchronously on each book update, runs parts as tasks."""

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
from arbcore.engine.recorder import Recorder
from arbcore.engine.stats import EngineStats
from arbcore.engine.verify import Mismatch
from arbcore.market.book import L2Book
from arbcore.market.books import BookRegistry
from arbcore.risk.balances import BalanceCache, margin_needed
from arbcore.risk.limits import part_quantity
from arbcore.risk.slots import Slots
from arbcore.strategy.balance import ATTEMPTS_PER_ROUND, balance_legs
from arbcore.strategy.entry import PartOutcome, PartPlan, SentLegs, enter_part, send_entry_legs
from arbcore.strategy.exit import ExitPlan, exit_part, send_exit_legs
from arbcore.strategy.journal import OrderPurpose
from arbcore.strategy.legs import Leg, LegRunner
from arbcore.strategy.pair_state import PairMachine
from arbcore.strategy.position import ArbPosition
from arbcore.strategy.spread import best_entry, closing_pnl_pct, net_entry_spread

log = logging.getLogger(__name__)
P = PairState
EXIT_RETRY_PAUSE_NS = 200_000_000  # after an exit part that filled nothing
REPAIR_PAUSE_S = 1.0
BLOCKED_EVENT_EVERY_S = 60.0


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
    verify: Callable[[PairRunner], Awaitable[list[Mismatch]]]


class PairRunner:
    """The runtime of one Pair: its state machine, its open arbitrage and its decisions."""

    def __init__(self, record: PairRecord, ctx: RunnerContext) -> None:
        self.pair_id = record.id
        self.spec = record.spec
        self.ctx = ctx
        self.machine = PairMachine(record.id)
        self.machine.listeners.append(self._on_transition)
        symbol = self.spec.symbol
        self.venues = [
            v
            for v in self.spec.exchanges
            if v not in self.spec.price_only and symbol in ctx.legs.get(v, {})
        ]
        self.legs = {v: ctx.legs[v][symbol] for v in self.venues}
        self.fees = {v: leg.taker_fee for v, leg in self.legs.items()}
        step = shared_base_step([leg.instrument for leg in self.legs.values()])
        self.entry_qty = part_quantity(self.spec.volume_base, self.spec.entry_parts, step)
        self.exit_qty = part_quantity(self.spec.volume_base, self.spec.exit_parts, step)
        self.entry_qty_f = float(self.entry_qty)
        self.busy = False
        self.stopping = False
        self.reserved_trade_id: int | None = None
        self.trade_id: int | None = None
        self.position: ArbPosition | None = None
        self.long: Leg | None = None
        self.short: Leg | None = None
        self.exit_reason: CloseReason | None = None
        self.exit_attempt = 0
        self.entry_round = 0  # rounds of the part being entered (rollbacks so far)
        self.next_exit_ns = 0
        self.last_net_spread_pct: float | None = None
        self._last_trade_id: int | None = None
        self._repair_round = 1000  # repair ids after the balancing rounds of _repair_loop
        self._blocked_at: dict[str, float] = {}

    # ---------------------------------------------------------------- hot path

    def on_book(self, book: L2Book, recv_ns: int) -> None:
        """BookListener for the Pair's symbol: decide now, act in a task."""
        if self.busy:
            return
        state = self.machine.state
        now_ns = time.perf_counter_ns()
        if state is P.READY:
            self._maybe_enter(recv_ns, now_ns)
        elif state is P.POSITION_OPEN:
            if not self._maybe_exit(now_ns):
                self._maybe_add(recv_ns, now_ns)
        elif state is P.EXITING:
            self._continue_exit(now_ns)

    def check_position(self) -> None:
        """Position monitor tick (at least once a second): stop loss and exits on fresh books."""
        if self.busy:
            return
        now_ns = time.perf_counter_ns()
        if self.machine.state is P.POSITION_OPEN:
            self._maybe_exit(now_ns)
        elif self.machine.state is P.EXITING:
            self._continue_exit(now_ns)

    def _book(self, venue: Venue) -> L2Book | None:
        return self.ctx.books.get(venue, self.spec.symbol)

    def _maybe_enter(self, recv_ns: int, now_ns: int) -> None:
        if not self.machine.may_enter or self.stopping:
            return
        books = {v: self._book(v) for v in self.venues}
        quote = best_entry(
            books, self.venues, self.entry_qty_f, self.fees, now_ns, self.ctx.stale_after_ms
        )
        if quote is None:
            return
        self.last_net_spread_pct = quote.net_spread_pct
        if quote.net_spread_pct < float(self.spec.entry_spread_pct):
            return
        trade_id = self.reserved_trade_id
        if trade_id is None:
            self._blocked("no reserved trade id")
            return
        long, short = self.legs[quote.long_venue], self.legs[quote.short_venue]
        if not self._preflight(trade_id, long, short, quote.buy_px, quote.sell_px):
            return
        self.reserved_trade_id = None
        self.trade_id = trade_id
        self.long, self.short = long, short
        self.position = ArbPosition.open(long.venue, short.venue)
        self.ctx.stats.tick_to_decision_ns.append(time.perf_counter_ns() - recv_ns)
        self.machine.move(P.ENTERING, f"net spread {quote.net_spread_pct:.4f}%")
        self._send_entry(quote.buy_px, quote.sell_px, quote.net_spread_pct, recv_ns, first=True)

    def _maybe_add(self, recv_ns: int, now_ns: int) -> None:
        pos, long, short, trade_id = self.position, self.long, self.short, self.trade_id
        if pos is None or long is None or short is None or trade_id is None:
            return
        if not self.machine.may_enter or self.stopping:
            return
        more_parts = pos.parts_entered < self.spec.entry_parts
        if not more_parts and pos.adds_done >= self.spec.max_adds:
            return
        lb, sb = self._book(long.venue), self._book(short.venue)
        if lb is None or sb is None:
            return
        if lb.is_stale(now_ns, self.ctx.stale_after_ms) or sb.is_stale(
            now_ns, self.ctx.stale_after_ms
        ):
            return
        buy, sell = lb.buy_px(self.entry_qty_f), sb.sell_px(self.entry_qty_f)
        if buy is None or sell is None:
            return
        net_pct = net_entry_spread(buy, sell, long.taker_fee, short.taker_fee) * 100.0
        if more_parts:
            if net_pct < float(self.spec.entry_spread_pct):
                return
        else:
            last = pos.entry_spread_pct if pos.entry_spread_pct is not None else net_pct
            if net_pct < last + float(self.spec.add_step_pct):
                return
        if not self._preflight(trade_id, long, short, buy, sell):
            return
        self.machine.move(P.ENTERING, "next entry part" if more_parts else "add on widening spread")
        self._send_entry(buy, sell, net_pct, recv_ns, first=False, is_add=not more_parts)

    def _blocked(self, reason: str) -> None:
        """Count a blocked entry; journal it once per reason per BLOCKED_EVENT_EVERY_S."""
        self.ctx.stats.blocked(reason)
        now = time.monotonic()
        if now - self._blocked_at.get(reason, -BLOCKED_EVENT_EVERY_S) >= BLOCKED_EVENT_EVERY_S:
            self._blocked_at[reason] = now
            self.ctx.recorder.event("entry_blocked", self.pair_id, None, reason=reason)
            log.warning("pair %s: entry blocked: %s", self.pair_id, reason)

    def _preflight(
        self, trade_id: int, long: Leg, short: Leg, buy_px: float, sell_px: float
    ) -> bool:
        ctx = self.ctx
        if not ctx.slots.try_acquire(trade_id):
            self._blocked("no free slot")
            return False
        notional_long = self.entry_qty * Decimal(repr(buy_px))
        notional_short = self.entry_qty * Decimal(repr(sell_px))
        lev = self.spec.leverage
        need_long = margin_needed(
            notional_long, lev, Decimal(repr(long.taker_fee)), ctx.margin_buffer_pct
        )
        need_short = margin_needed(
            notional_short, lev, Decimal(repr(short.taker_fee)), ctx.margin_buffer_pct
        )
        for leg, need in ((long, need_long), (short, need_short)):
            if not ctx.balances.can_afford(leg.venue, need):
                if self.position is None:
                    ctx.slots.release(trade_id)
                self._blocked(
                    f"insufficient margin on {leg.venue}: need {need:.2f} USDT, "
                    f"free {ctx.balances.margin(leg.venue).free_usdt:.2f} USDT"
                )
                return False
        ctx.balances.commit(long.venue, need_long)
        ctx.balances.commit(short.venue, need_short)
        return True

    def _maybe_exit(self, now_ns: int) -> bool:
        pos, long, short = self.position, self.long, self.short
        if pos is None or long is None or short is None:
            return False
        view = pos.hot_view()
        if view is None:
            return False
        pct = closing_pnl_pct(
            view,
            self._book(long.venue),
            self._book(short.venue),
            long.taker_fee,
            short.taker_fee,
            now_ns,
            self.ctx.stale_after_ms,
        )
        if pct is None:
            return False
        if pct >= float(self.spec.take_profit_pct):
            reason = CloseReason.TAKE_PROFIT
        elif pct <= -float(self.spec.stop_loss_pct):
            reason = CloseReason.STOP_LOSS
        else:
            return False
        self.begin_exit(reason, f"pnl {pct:.4f}%")
        self._continue_exit(now_ns)
        return True

    def begin_exit(self, reason: CloseReason, detail: str = "") -> None:
        if self.machine.state is not P.POSITION_OPEN:
            return
        self.exit_reason = reason
        self.machine.move(P.EXITING, f"{reason.value} {detail}".strip())

    def _continue_exit(self, now_ns: int) -> None:
        pos, long, short = self.position, self.long, self.short
        if pos is None or long is None or short is None or now_ns < self.next_exit_ns:
            return
        lb, sb = self._book(long.venue), self._book(short.venue)
        if lb is None or sb is None:
            return
        if lb.is_stale(now_ns, self.ctx.stale_after_ms) or sb.is_stale(
            now_ns, self.ctx.stale_after_ms
        ):
            return  # exits wait for fresh data (SPEC §6)
        last_part = pos.exits_done + 1 >= self.spec.exit_parts
        qty = None if last_part else self.exit_qty
        walk = float(pos.long.qty_base if qty is None else qty)
        sell, buy = lb.sell_px(walk), sb.buy_px(walk)
        if sell is None or buy is None:
            return
        self._send_exit(qty, sell, buy)

    def _send_exit(self, qty: Decimal | None, sell_px: float, buy_px: float) -> None:
        """Write both closing legs now (a stop loss must not queue), finish in a task."""
        pos, long, short, trade_id = self.position, self.long, self.short, self.trade_id
        assert pos is not None and long is not None and short is not None and trade_id is not None
        plan = ExitPlan(
            self.pair_id,
            trade_id,
            pos.exits_done + 1,
            long,
            short,
            qty,
            sell_px,
            buy_px,
            float(self.spec.max_slippage_pct),
            self.exit_attempt,
        )
        self.busy = True
        try:
            sent = send_exit_legs(self.ctx.runner, plan, pos)
        except Exception:
            log.exception("pair %s: sending an exit part failed", self.pair_id)
            self.busy = False
            self._fail("sending an exit part failed")
            return
        self.ctx.spawn(self._exit(plan, sent))

    # ---------------------------------------------------------------- parts

    def _send_entry(
        self, buy_px: float, sell_px: float, net_pct: float, recv_ns: int, *, first: bool,
        is_add: bool = False,
    ) -> None:  # fmt: skip
        """Hot path: write both legs now, in the book callback, then finish in a task."""
        pos, long, short, trade_id = self.position, self.long, self.short, self.trade_id
        assert pos is not None and long is not None and short is not None and trade_id is not None
        plan = PartPlan(
            self.pair_id,
            trade_id,
            pos.parts_entered + pos.adds_done + 1,
            long,
            short,
            self.entry_qty,
            buy_px,
            sell_px,
            float(self.spec.max_slippage_pct),
            recv_ns,
            round_no=self.entry_round,
        )
        self.busy = True
        try:
            sent = send_entry_legs(self.ctx.runner, plan)
        except Exception:
            log.exception("pair %s: sending an entry part failed", self.pair_id)
            self.busy = False
            self._fail("sending an entry part failed")
            return
        if first:
            self.ctx.recorder.trade_changed(
                trade_id,
                state=TradeState.OPENING,
                long_exchange=long.venue,
                short_exchange=short.venue,
                opened_at=utc_now(),
                entry_spread_pct=Decimal(f"{net_pct:.6f}"),
            )
        self.ctx.spawn(self._enter(plan, sent, net_pct, first=first, is_add=is_add))

    async def _enter(
        self, plan: PartPlan, sent: SentLegs, net_pct: float, *, first: bool, is_add: bool
    ) -> None:
        pos = self.position
        assert pos is not None
        held_before = min(pos.long.qty_base, pos.short.qty_base)
        try:
            outcome = await enter_part(self.ctx.runner, plan, pos, self._price_now, sent)
            self._after_entry(outcome, net_pct, held_before, first=first, is_add=is_add)
            await self._verify()
        except Exception:
            log.exception("pair %s: entry part crashed", self.pair_id)
            self._fail("entry part crashed")
        finally:
            self.busy = False

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
                self._fail(f"naked leg after exit: long-short = {outcome.balance.residual_base}")
                return
            if pos.long.qty_base < before:
                pos.exits_done += 1
                self.exit_attempt = 0
            else:
                self.exit_attempt += 1
                self.next_exit_ns = time.perf_counter_ns() + EXIT_RETRY_PAUSE_NS
            if pos.is_flat:
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
            self._fail("exit part crashed")
        finally:
            self.busy = False

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
            close_reason=reason.value,
            closed_at=utc_now(),
            exit_parts_done=pos.exits_done,
        )
        self.ctx.recorder.event(
            "trade_closed", self.pair_id, trade_id, reason=reason.value, pnl_usdt=pnl
        )
        stats = self.ctx.stats
        stats.realized_pnl_usdt += pnl
        if state is TradeState.CLOSED:
            stats.cycles_closed += 1
        self.ctx.slots.release(trade_id)
        for venue in (pos.long.venue, pos.short.venue):
            self.ctx.spawn(self._refresh_balance(venue))
        self.position = None
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
        attempt = 0
        while self.position is not None and self.long and self.short and self.trade_id is not None:
            attempt += 1
            result = await balance_legs(
                self.ctx.runner,
                self.trade_id,
                0,
                self.position,
                self.long,
                self.short,
                OrderPurpose.REPAIR,
                "v",
                round_no=attempt,
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
                return
            await asyncio.sleep(REPAIR_PAUSE_S)

    async def operator_clear(self) -> bool:
        """An operator asked to leave ERROR: allowed once the venues hold exactly what the
        records say, hedged or flat. The Pair stays paused until started again."""
        if self.busy or self.machine.state is not P.ERROR:
            return False
        self.busy = True
        try:
            found = await self.ctx.verify(self)
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
        self.long, self.short = self.legs[position.long.venue], self.legs[position.short.venue]
        position.parts_entered = max(1, trade.entry_parts_done)
        position.adds_done = trade.adds_done
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
