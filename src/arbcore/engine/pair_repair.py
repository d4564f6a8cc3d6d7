"""One Pair's safety net: verifying positions after each part, repairing, ERROR and clearing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from arbcore.core.client_ids import client_order_id
from arbcore.core.enums import Side, TradeState
from arbcore.core.errors import ExchangeError
from arbcore.core.records import CloseReason
from arbcore.engine.pair_core import P, PairCore
from arbcore.engine.verify import Mismatch
from arbcore.strategy.balance import ATTEMPTS_PER_ROUND, balance_legs
from arbcore.strategy.journal import OrderPurpose

log = logging.getLogger(__name__)
REPAIR_PAUSE_S = 1.0
CLEAR_WAIT_S = 30.0  # an operator's clear waits this long for a running part or check
CLEAR_POLL_S = 0.05


class PairRepair(PairCore):
    """ERROR, the repair loop that keeps trying to restore hedged or flat, and clearing."""

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
        records say, hedged or flat. The Pair stays paused until started again. A request
        that finds a part or a position check still running waits for it (bounded), and is
        refused with a reason, never dropped silently."""
        for _ in range(round(CLEAR_WAIT_S / CLEAR_POLL_S)):
            if not self.busy:
                break
            await asyncio.sleep(CLEAR_POLL_S)
        if self.machine.state is not P.ERROR:
            return False
        if self.busy:
            self.ctx.recorder.event(
                "clear_error_refused", self.pair_id, self.trade_id,
                reason=f"a part or position check is still running after {CLEAR_WAIT_S:.0f} s; "
                "ask again",
            )  # fmt: skip
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


def _repair_ids(trade_id: int, tag: str, round_no: int) -> Callable[[int], str]:
    """Client ids of one repair round's reduce-only attempts."""
    return lambda attempt: client_order_id(
        trade_id, tag, 0, round_no * ATTEMPTS_PER_ROUND + attempt, role="v"
    )
