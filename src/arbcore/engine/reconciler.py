"""Restart (SPEC §5.8): recover unrecorded orders, rebuild open trades, close/adopt/ignore."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.client_ids import client_order_id, parse_client_order_id
from arbcore.core.clock import utc_now
from arbcore.core.enums import (
    OnStart,
    OrderStatus,
    OrderType,
    PairState,
    Side,
    TimeInForce,
    TradeState,
    Venue,
)
from arbcore.core.errors import OrderNotFound
from arbcore.core.models import OrderRequest, OrderResult
from arbcore.core.records import (
    CloseReason,
    NewTrade,
    OrderPurpose,
    OrderRecord,
    RecordNotFound,
    TradeRecord,
)
from arbcore.engine.funding import funding_since
from arbcore.engine.pair_runner import PairRunner
from arbcore.engine.recorder import Recorder
from arbcore.engine.retry import retry_transient
from arbcore.engine.verify import intended_positions, reported_positions
from arbcore.persistence.repositories import Repositories
from arbcore.strategy.balance import ATTEMPTS_PER_ROUND, balance_legs
from arbcore.strategy.legs import Leg, LegRunner
from arbcore.strategy.position import ArbPosition

log = logging.getLogger(__name__)
ZERO = Decimal(0)
PURPOSE_OF_ROLE = {
    "e": OrderPurpose.ENTRY,
    "x": OrderPurpose.EXIT,
    "r": OrderPurpose.ROLLBACK,
    "b": OrderPurpose.BALANCE,
    "v": OrderPurpose.REPAIR,
    "c": OrderPurpose.FLATTEN,
}
LOOKBACK_SLACK_MS = 60_000
# pauses before further flatten rounds of one leg while the venue refuses for passing reasons
FLATTEN_ROUND_PAUSES_S = (0.5, 1.0, 2.0, 4.0, 5.0)
MAX_LOOKBACK_MS = 7 * 24 * 3600 * 1000


@dataclass(slots=True)
class ReconcileReport:
    orders_recovered: int = 0
    orders_updated: int = 0
    trades_closed: list[int] = field(default_factory=list)
    trades_adopted: list[int] = field(default_factory=list)
    trades_voided: list[int] = field(default_factory=list)
    trades_ignored: list[int] = field(default_factory=list)
    positions_flattened: list[str] = field(default_factory=list)
    unmanaged_positions: list[str] = field(default_factory=list)


class Reconciler:
    """Runs once at start, before any Pair trades."""

    def __init__(
        self,
        repos: Repositories,
        recorder: Recorder,
        runner: LegRunner,
        legs: Mapping[Venue, Mapping[str, Leg]],
        policy: OnStart,
    ) -> None:
        self.repos = repos
        self.recorder = recorder
        self.runner = runner
        self.legs = legs
        self.policy = policy
        self.report = ReconcileReport()

    async def run(
        self, stale: Sequence[TradeRecord], runners: Mapping[int, PairRunner], symbols: set[str]
    ) -> ReconcileReport:
        """`stale`: trades the database held open before this start; `symbols`: managed."""
        if stale:
            await self._recover_orders(stale, symbols)
            await self.recorder.flush()
        for trade in stale:
            await self._settle(trade, runners)
        await self.recorder.flush()
        if self.policy is not OnStart.IGNORE:
            await self._unexplained(runners, symbols)
        await self.recorder.flush()
        self.recorder.event("reconciled", None, None, policy=self.policy.value, **self._summary())
        await self.recorder.flush()
        return self.report

    def _summary(self) -> dict[str, object]:
        r = self.report
        return {
            "orders_recovered": r.orders_recovered,
            "orders_updated": r.orders_updated,
            "trades_closed": r.trades_closed,
            "trades_adopted": r.trades_adopted,
            "trades_voided": r.trades_voided,
            "trades_ignored": r.trades_ignored,
            "positions_flattened": r.positions_flattened,
            "unmanaged_positions": r.unmanaged_positions,
        }

    # ------------------------------------------------------------------ orders

    async def _recover_orders(self, stale: Sequence[TradeRecord], symbols: set[str]) -> None:
        """Every arbcore order of a stale trade that the exchanges know, into the database."""
        ids = {t.id for t in stale}
        oldest_ms = min(int(t.opened_at.timestamp() * 1000) for t in stale)
        now_ms = int(time.time() * 1000)
        since_ms = max(oldest_ms - LOOKBACK_SLACK_MS, now_ms - MAX_LOOKBACK_MS)
        seen: set[tuple[Venue, str]] = set()
        for venue, by_symbol in self.legs.items():
            for symbol in sorted(symbols & set(by_symbol)):
                client = by_symbol[symbol].client
                listed = await retry_transient(
                    functools.partial(client.fetch_orders, symbol, since_ms),
                    f"{venue} {symbol} orders",
                )
                for result in listed:
                    parts = parse_client_order_id(result.client_id)
                    if parts is None or parts.trade_id not in ids:
                        continue
                    seen.add((venue, result.client_id))
                    await self._store(result, parts.trade_id, PURPOSE_OF_ROLE[parts.role])
        for trade in stale:
            for order in await self.repos.orders.list_by_trade(trade.id):
                if (order.exchange, order.client_id) not in seen and not order.status.is_final:
                    await self._finalize_unseen(order)

    async def _store(self, result: OrderResult, trade_id: int, purpose: OrderPurpose) -> None:
        try:
            known = await self.repos.orders.get(result.venue, result.client_id)
        except RecordNotFound:
            request = _request_of(result)
            self.recorder.order_sent(trade_id, purpose, request, time.perf_counter_ns(), None)
            self.recorder.order_done(trade_id, request, result, None, time.perf_counter_ns())
            self.recorder.event(
                "order_recovered",
                None,
                trade_id,
                client_id=result.client_id,
                venue=result.venue.value,
                filled_base=result.filled_base,
            )
            self.report.orders_recovered += 1
            return
        if known.status != result.status or known.filled_base != result.filled_base:
            self.recorder.order_done(
                trade_id, _request_of(result), result, None, time.perf_counter_ns()
            )
            self.report.orders_updated += 1

    async def _finalize_unseen(self, order: OrderRecord) -> None:
        """A recorded order without a final state that the order list did not show."""
        leg = self.legs.get(order.exchange, {}).get(order.symbol)
        if leg is None:
            return
        try:
            result = await retry_transient(
                functools.partial(leg.client.fetch_order, order.symbol, order.client_id),
                f"{order.exchange} order {order.client_id}",
            )
        except OrderNotFound:
            result = OrderResult(
                venue=order.exchange,
                symbol=order.symbol,
                client_id=order.client_id,
                exchange_order_id=None,
                status=OrderStatus.REJECTED,
                side=order.side,
                requested_base=order.requested_base,
                error="not found on the exchange at restart",
            )
        self.recorder.order_done(
            order.trade_id or 0, _request_of(result), result, None, time.perf_counter_ns()
        )
        self.report.orders_updated += 1

    # ------------------------------------------------------------------ trades

    async def _rebuild(self, trade: TradeRecord) -> ArbPosition | None:
        orders = await self.repos.orders.list_by_trade(trade.id)
        filled = [o for o in orders if o.filled_base > 0 and o.avg_price is not None]
        if not orders:
            return None
        # Orders sent for this trade from now on (close, balance, adopted exits and repairs)
        # must not repeat an id of the earlier run.
        self.runner.spent_before(trade.id, (o.client_id for o in orders))
        long_venue, short_venue = trade.long_exchange, trade.short_exchange
        for order in orders:
            parts = parse_client_order_id(order.client_id)
            if parts is not None:
                if parts.leg == "L":
                    long_venue = order.exchange
                else:
                    short_venue = order.exchange
        position = ArbPosition.open(long_venue, short_venue)
        for order in sorted(filled, key=lambda o: (o.sent_at, o.id)):
            assert order.avg_price is not None
            position.apply_fill(
                order.exchange, order.side, order.filled_base, order.avg_price, order.fee_usdt
            )
        return position

    async def _settle(self, trade: TradeRecord, runners: Mapping[int, PairRunner]) -> None:
        position = await self._rebuild(trade)
        if position is None:
            self.recorder.trade_changed(trade.id, state=TradeState.VOID, closed_at=utc_now())
            self.report.trades_voided.append(trade.id)
            return
        self.recorder.trade_changed(
            trade.id, long_exchange=position.long.venue, short_exchange=position.short.venue
        )
        if not position.is_flat:
            if self.policy is OnStart.IGNORE:
                self.recorder.event(
                    "trade_ignored",
                    trade.pair_id,
                    trade.id,
                    long_base=position.long.qty_base,
                    short_base=position.short.qty_base,
                )
                self.report.trades_ignored.append(trade.id)
                return
            runner = runners.get(trade.pair_id) if trade.pair_id is not None else None
            adoptable = (
                self.policy is OnStart.ADOPT
                and runner is not None
                and runner.machine.state is not PairState.ERROR  # an operator decides those
            )
            if adoptable and runner is not None and await self._adopt(trade, position, runner):
                return
            await self._flatten(trade, position)
        if position.is_flat:
            # held through the restart: funding booked meanwhile belongs to this trade
            legs = [
                leg
                for v in (position.long.venue, position.short.venue)
                if (leg := self.legs.get(v, {}).get(trade.symbol)) is not None
            ]
            since_ms = int(trade.opened_at.timestamp() * 1000)
            position.funding_usdt = await funding_since(
                legs, trade.symbol, since_ms, self.recorder, trade.pair_id, trade.id
            )
        self._close(trade, position)

    async def _adopt(self, trade: TradeRecord, position: ArbPosition, runner: PairRunner) -> bool:
        long = runner.legs.get(position.long.venue)
        short = runner.legs.get(position.short.venue)
        if long is None or short is None or runner.position is not None:
            return False
        balance = await balance_legs(
            self.runner, trade.id, 0, position, long, short, OrderPurpose.BALANCE, "b", round_no=900
        )
        if not balance.hedged or position.is_flat:
            return False
        runner.adopt(trade, position)
        self.report.trades_adopted.append(trade.id)
        self.recorder.event(
            "trade_adopted", trade.pair_id, trade.id, qty_base=position.long.qty_base
        )
        return True

    async def _flatten(self, trade: TradeRecord, position: ArbPosition) -> None:
        """Close both legs of a stale trade with reduce-only orders, recorded under it.

        A leg refused for passing reasons (busy, rate limit, network) gets further rounds
        after growing pauses; rounds continue after those of earlier restarts (fresh ids)."""
        next_round = await self._next_close_round(trade.id)
        for leg_account, side, tag in (
            (position.long, Side.SELL, "L"),
            (position.short, Side.BUY, "S"),
        ):
            leg = self.legs.get(leg_account.venue, {}).get(trade.symbol)
            if leg is None or leg_account.qty_base <= 0:
                continue
            closed = ZERO
            for pause_s in (0.0, *FLATTEN_ROUND_PAUSES_S):
                if leg_account.qty_base < leg.instrument.base_step:
                    break
                await asyncio.sleep(pause_s)
                done, outcomes = await self.runner.reduce(
                    trade.id,
                    OrderPurpose.FLATTEN,
                    leg,
                    side,
                    leg_account.qty_base,
                    _close_ids(trade.id, tag, next_round),
                )
                next_round += 1
                closed += done
                for outcome in outcomes:
                    res = outcome.result
                    if res is not None and res.filled_base > 0 and res.avg_price is not None:
                        position.apply_fill(
                            leg.venue, res.side, res.filled_base, res.avg_price, res.fee_usdt
                        )
                if not outcomes or not outcomes[-1].retryable:
                    break
            self.report.positions_flattened.append(f"{leg.venue} {leg.instrument.symbol} {closed}")

    async def _next_close_round(self, trade_id: int) -> int:
        """The first close round no earlier order of the trade used (ids must not repeat)."""
        used = [-1]
        for order in await self.repos.orders.list_by_trade(trade_id):
            parts = parse_client_order_id(order.client_id)
            if parts is not None and parts.role == "c":
                used.append(parts.attempt // ATTEMPTS_PER_ROUND)
        return max(used) + 1

    def _close(self, trade: TradeRecord, position: ArbPosition) -> None:
        entered = min(position.long.entered_base, position.short.entered_base)
        state = TradeState.CLOSED if entered > 0 else TradeState.ROLLED_BACK
        if not position.is_flat:
            state = TradeState.ERROR
        self.recorder.trade_changed(
            trade.id,
            state=state,
            entered_base=entered,
            exited_base=entered if position.is_flat else ZERO,
            long_entry_avg_px=position.long.avg_entry_px,
            short_entry_avg_px=position.short.avg_entry_px,
            exit_fees_usdt=position.fees_usdt,
            realized_pnl_usdt=position.realized_pnl_usdt if position.is_flat else None,
            close_reason=CloseReason.RECONCILED.value,
            closed_at=utc_now(),
        )
        if position.is_flat:
            self.report.trades_closed.append(trade.id)
        else:
            self.recorder.event(
                "reconcile_failed",
                trade.pair_id,
                trade.id,
                long_base=position.long.qty_base,
                short_base=position.short.qty_base,
            )

    # ------------------------------------------------------------------ positions nobody owns

    async def _unexplained(self, runners: Mapping[int, PairRunner], symbols: set[str]) -> None:
        keys = [(v, s) for v, by_symbol in self.legs.items() for s in symbols if s in by_symbol]
        if not keys:
            return
        clients = {v: next(iter(self.legs[v].values())).client for v, _ in keys}
        reported = await retry_transient(
            functools.partial(reported_positions, clients, keys), "positions at start"
        )
        intended = intended_positions(
            (r.spec.symbol, r.position) for r in runners.values() if r.position is not None
        )
        for (venue, symbol), qty in sorted(reported.items()):
            extra = qty - intended.get((venue, symbol), ZERO)
            leg = self.legs[venue][symbol]
            if abs(extra) < leg.instrument.base_step:
                continue
            where = f"{venue} {symbol} {extra}"
            if self.policy is OnStart.ADOPT:
                self.report.unmanaged_positions.append(where)
                self.recorder.event(
                    "unmanaged_position",
                    None,
                    None,
                    venue=venue.value,
                    symbol=symbol,
                    qty_base=extra,
                )
                log.error("position not managed by arbcore left open: %s", where)
                continue
            await self._flatten_foreign(leg, extra)

    async def _flatten_foreign(self, leg: Leg, qty: Decimal) -> None:
        """A position no trade explains (manual, or lost records): close it under a new trade."""
        record = await self.repos.trades.create(
            NewTrade(
                pair_id=None,
                symbol=leg.instrument.symbol,
                long_exchange=leg.venue,
                short_exchange=leg.venue,
                target_base=abs(qty),
                opened_at=utc_now(),
                state=TradeState.OPENING,
            )
        )
        position = ArbPosition.open(leg.venue, leg.venue)
        account = position.long if qty > 0 else position.short
        account.qty_base = abs(qty)
        side, tag = (Side.SELL, "L") if qty > 0 else (Side.BUY, "S")
        done, _ = await self.runner.reduce(
            record.id, OrderPurpose.FLATTEN, leg, side, abs(qty), _close_ids(record.id, tag, 1)
        )
        self.report.positions_flattened.append(f"{leg.venue} {leg.instrument.symbol} {done}")
        left = abs(qty) - done
        self.recorder.trade_changed(
            record.id,
            state=TradeState.CLOSED if left < leg.instrument.base_step else TradeState.ERROR,
            close_reason=CloseReason.RECONCILED.value,
            closed_at=utc_now(),
        )
        self.recorder.event(
            "foreign_position_flattened",
            None,
            record.id,
            venue=leg.venue.value,
            symbol=leg.instrument.symbol,
            qty_base=qty,
            closed_base=done,
        )


def _request_of(result: OrderResult) -> OrderRequest:
    """The request an exchange order answers, rebuilt for the records (recovered orders)."""
    return OrderRequest(
        venue=result.venue,
        symbol=result.symbol,
        side=result.side,
        qty_base=result.requested_base,
        client_id=result.client_id,
        order_type=OrderType.LIMIT,
        tif=TimeInForce.IOC,
        reduce_only=result.reduce_only,
    )


def _close_ids(trade_id: int, tag: str, round_no: int) -> Callable[[int], str]:
    return lambda attempt: client_order_id(
        trade_id, tag, 0, round_no * ATTEMPTS_PER_ROUND + attempt, role="c"
    )
