"""One Pair's hot path: decides on each book update and writes the orders in the callback."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from arbcore.core.clock import utc_now
from arbcore.core.enums import TradeState
from arbcore.core.records import CloseReason
from arbcore.engine.pair_lifecycle import P, PairLifecycle, RunnerContext
from arbcore.market.book import L2Book
from arbcore.risk.balances import margin_needed
from arbcore.strategy.entry import PartPlan, send_entry_legs
from arbcore.strategy.exit import ExitPlan, send_exit_legs
from arbcore.strategy.legs import Leg
from arbcore.strategy.position import ArbPosition
from arbcore.strategy.spread import best_entry, closing_pnl_pct, net_entry_spread

log = logging.getLogger(__name__)

__all__ = ["PairRunner", "RunnerContext"]

BLOCKED_EVENT_EVERY_S = 60.0


class PairRunner(PairLifecycle):
    """The runtime of one Pair: decisions on the hot path over PairLifecycle's state."""

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
        books = self._fresh_leg_books(long, short, now_ns)
        if books is None:
            return
        buy, sell = books[0].buy_px(self.entry_qty_f), books[1].sell_px(self.entry_qty_f)
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
        for leg in (long, short):
            if not leg.client.trade_budget_available():
                if self.position is None:
                    ctx.slots.release(trade_id)
                self._blocked(f"rate-limit budget exhausted on {leg.venue}")
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
        self.margin_commits.append(ctx.balances.commit(long.venue, need_long))
        self.margin_commits.append(ctx.balances.commit(short.venue, need_short))
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
        books = self._fresh_leg_books(long, short, now_ns)
        if books is None:
            return  # exits wait for fresh data (SPEC §6)
        if not (long.client.trade_budget_available() and short.client.trade_budget_available()):
            # Both legs go out together or not yet: a leg our own limiter refuses would
            # leave its partner's close naked. The monitor tries again on the next tick.
            return
        last_part = pos.exits_done + 1 >= self.spec.exit_parts
        qty = None if last_part else self.exit_qty
        walk = float(pos.long.qty_base if qty is None else qty)
        sell, buy = books[0].sell_px(walk), books[1].buy_px(walk)
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
        cpu_ns = time.thread_time_ns()
        try:
            sent = send_entry_legs(self.ctx.runner, plan)
            self.ctx.stats.send_cpu_ns.append(time.thread_time_ns() - cpu_ns)
        except Exception:
            log.exception("pair %s: sending an entry part failed", self.pair_id)
            self.busy = False
            self._fail("sending an entry part failed")
            return
        if first:
            self.opened_ms = time.time_ns() // 1_000_000
            self.ctx.recorder.trade_changed(
                trade_id,
                state=TradeState.OPENING,
                long_exchange=long.venue,
                short_exchange=short.venue,
                opened_at=utc_now(),
                entry_spread_pct=Decimal(f"{net_pct:.6f}"),
            )
        self.ctx.spawn(self._enter(plan, sent, net_pct, first=first, is_add=is_add))
