"""One Pair's parts after their orders are written: entry and exit outcomes, adoption."""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from arbcore.core.enums import TradeState
from arbcore.core.records import CloseReason, TradeRecord
from arbcore.engine.funding import funding_since
from arbcore.engine.pair_core import P, RunnerContext
from arbcore.engine.pair_repair import PairRepair
from arbcore.strategy.entry import PartOutcome, PartPlan, SentLegs, enter_part
from arbcore.strategy.exit import ExitPlan, exit_part
from arbcore.strategy.position import ArbPosition

__all__ = ["P", "PairLifecycle", "RunnerContext"]
log = logging.getLogger(__name__)
EXIT_RETRY_PAUSE_NS = 200_000_000  # after an exit part that filled nothing


class PairLifecycle(PairRepair):
    """Everything after an entry or exit part is sent, and taking over an adopted trade."""

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
