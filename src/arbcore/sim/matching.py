"""Venue-agnostic matching core: validation, orders against books, fills, fees, resting orders."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal

from arbcore.core.enums import (
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
)
from arbcore.core.models import Instrument
from arbcore.core.quantize import is_multiple
from arbcore.sim.accounts import Account, money
from arbcore.sim.events import (
    ExecutionEvent,
    LedgerKind,
    OrderEvent,
    RejectReason,
    SimFill,
    SimOrder,
    SimReject,
    WalletEvent,
)
from arbcore.sim.market import Level, SimBook
from arbcore.sim.venue_state import EIGHT_HOURS_MS, EventListener, VenueState

__all__ = ["EIGHT_HOURS_MS", "EventListener", "SimExchange"]


class SimExchange(VenueState):
    """The matching core of one simulated venue: validation, matching against the book,
    fills, fees, resting orders and cancels on top of `VenueState`.

    Quantities are in the venue's order unit (contracts where `Instrument.qty_in_contracts`);
    notional = qty * contract_size * price. Every method raising `SimReject` leaves state
    untouched. Listeners get private events synchronously, in order: executions, order,
    positions, wallet.
    """

    # orders ----------------------------------------------------------------------------
    def place_order(
        self,
        account_id: str,
        symbol: str,
        side: Side,
        order_type: OrderType,
        qty: Decimal,
        price: Decimal | None = None,
        tif: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
        position_side: PositionSide | None = None,
        client_id: str = "",
    ) -> SimOrder:
        """Validate, match against the book, rest the remainder (GTC/post-only limits).

        Raises `SimReject` for requests the venue refuses outright. Orders accepted but not
        filled (FOK unfillable, post-only would take, market without liquidity) come back
        CANCELLED with `reject_reason` set; front ends choose how their venue reports that.
        """
        inst = self.instrument(symbol)
        account = self.accounts[account_id]
        forced = self.faults.take_reject()
        if forced is not None:
            raise SimReject(forced, "injected fault")
        if client_id and client_id in account.client_ids:
            raise SimReject(RejectReason.DUPLICATE_CLIENT_ID, client_id)
        hedge_side = self._hedge_slot(account, side, position_side, reduce_only)
        closing_hedge = hedge_side is not None and (side is Side.BUY) != (
            hedge_side is PositionSide.LONG
        )
        if order_type is OrderType.MARKET:
            price = None
            tif = TimeInForce.IOC if tif is not TimeInForce.FOK else tif
        qty = self._validate_qty_price(inst, order_type, qty, price, reduce_only or closing_hedge)
        reducible = account.reducible_qty(inst.symbol, side, hedge_side)
        if reduce_only or closing_hedge:
            if reducible == 0:
                raise SimReject(RejectReason.REDUCE_ONLY_WOULD_INCREASE, "nothing to reduce")
            qty = min(qty, reducible)
        book = self.books[inst.symbol]
        limit_ticks = None if price is None else book.ticks_of(price)
        self._check_margin(account, inst, book, side, qty - min(qty, reducible), limit_ticks)
        now = self.clock.now_ms()
        order = SimOrder(
            order_id=str(self._next_order_id), client_id=client_id, account_id=account_id,
            symbol=inst.symbol, side=side, order_type=order_type, tif=tif, qty=qty, price=price,
            reduce_only=reduce_only, position_side=hedge_side, created_ms=now, updated_ms=now,
        )  # fmt: skip
        self._next_order_id += 1
        if client_id:
            account.client_ids.add(client_id)
        self.orders[order.order_id] = order
        self._execute(account, inst, book, order, limit_ticks)
        return order

    def _hedge_slot(
        self, account: Account, side: Side, position_side: PositionSide | None, reduce_only: bool
    ) -> PositionSide | None:
        if account.position_mode is PositionMode.ONE_WAY:
            if position_side is not None:
                raise SimReject(RejectReason.POSITION_SIDE_MISMATCH, "one-way mode")
            return None
        if position_side is None:
            raise SimReject(RejectReason.POSITION_SIDE_MISMATCH, "hedge mode needs a side")
        opening = (side is Side.BUY) == (position_side is PositionSide.LONG)
        if reduce_only and opening:
            raise SimReject(RejectReason.REDUCE_ONLY_WOULD_INCREASE, "opens the position")
        return position_side

    def _validate_qty_price(
        self, inst: Instrument, order_type: OrderType, qty: Decimal, price: Decimal | None,
        reduce_only: bool,
    ) -> Decimal:  # fmt: skip
        if qty <= 0:
            raise SimReject(RejectReason.INVALID_PARAMETER, "qty must be positive")
        if not is_multiple(qty, inst.qty_step):
            raise SimReject(RejectReason.QTY_OFF_STEP, f"step {inst.qty_step}")
        if qty < inst.min_qty:
            raise SimReject(RejectReason.BELOW_MIN_QTY, f"min {inst.min_qty}")
        if inst.max_qty is not None and qty > inst.max_qty:
            raise SimReject(RejectReason.ABOVE_MAX_QTY, f"max {inst.max_qty}")
        if order_type is OrderType.LIMIT:
            if price is None:
                raise SimReject(RejectReason.PRICE_MISSING, "limit order needs a price")
            if price <= 0 or not is_multiple(price, inst.tick_size):
                raise SimReject(RejectReason.PRICE_OFF_TICK, f"tick {inst.tick_size}")
        if not reduce_only and inst.min_notional_usdt > 0:
            ref = price if price is not None else self.mark_price(inst.symbol)
            if qty * inst.contract_size * ref < inst.min_notional_usdt:
                raise SimReject(RejectReason.BELOW_MIN_NOTIONAL, f"min {inst.min_notional_usdt}")
        return qty

    def _walk(
        self, book: SimBook, side: Side, qty_steps: int, limit_ticks: int | None
    ) -> list[Level]:
        """Levels an order would take: [(tick, steps)], best first, within the limit price."""
        levels = (
            sorted(book.asks.items())
            if side is Side.BUY
            else sorted(book.bids.items(), reverse=True)
        )
        taken: list[Level] = []
        left = qty_steps
        for tick, avail in levels:
            if left <= 0:
                break
            if limit_ticks is not None and (
                (side is Side.BUY and tick > limit_ticks)
                or (side is Side.SELL and tick < limit_ticks)
            ):
                break
            take = min(left, avail)
            taken.append((tick, take))
            left -= take
        return taken

    def _check_margin(
        self, account: Account, inst: Instrument, book: SimBook, side: Side, open_qty: Decimal,
        limit_ticks: int | None,
    ) -> None:  # fmt: skip
        if open_qty <= 0:
            return
        taken = self._walk(book, side, book.steps_of(open_qty), limit_ticks)
        worst = (
            max((t for t, _ in taken), default=None)
            if side is Side.BUY
            else min((t for t, _ in taken), default=None)
        )
        ticks = limit_ticks if limit_ticks is not None else worst
        if ticks is None:
            return
        notional = open_qty * inst.contract_size * book.price(ticks)
        required = notional / account.leverage_of(inst.symbol) + notional * account.taker_fee
        if required > self.wallet(account.account_id).available_usdt:
            raise SimReject(RejectReason.INSUFFICIENT_MARGIN, f"needs {required:.4f} USDT")

    def _execute(
        self, account: Account, inst: Instrument, book: SimBook, order: SimOrder,
        limit_ticks: int | None,
    ) -> None:  # fmt: skip
        qty_steps = book.steps_of(order.qty)
        before = len(order.fills)
        crosses = bool(self._walk(book, order.side, 1, limit_ticks))
        if order.tif is TimeInForce.POST_ONLY and crosses:
            self._finish(account, order, OrderStatus.CANCELLED, RejectReason.POST_ONLY_WOULD_TAKE)
            return
        taken = self._walk(book, order.side, qty_steps, limit_ticks)
        if order.tif is TimeInForce.FOK and sum(s for _, s in taken) < qty_steps:
            self._finish(account, order, OrderStatus.CANCELLED, RejectReason.FOK_UNFILLABLE)
            return
        fraction = self.faults.take_partial_fill() if taken else None
        if fraction is not None:
            taken = _truncate(taken, int(qty_steps * fraction))
        touched: list[Level] = []
        levels = book.asks if order.side is Side.BUY else book.bids
        for tick, steps in taken:
            self._fill(account, inst, order, book.qty(steps), book.price(tick), is_maker=False)
            left = levels[tick] - steps
            touched.append((tick, left))
        if touched:
            if order.side is Side.BUY:
                book.apply([], touched, self.clock.now_ms())
            else:
                book.apply(touched, [], self.clock.now_ms())
        immediate = order.order_type is OrderType.MARKET or order.tif in (
            TimeInForce.IOC, TimeInForce.FOK
        )  # fmt: skip
        new_fills = order.fills[before:]
        if order.filled_qty == order.qty:
            self._finish(account, order, OrderStatus.FILLED, None, new_fills)
        elif immediate:
            no_fill = RejectReason.NO_LIQUIDITY if order.filled_qty == 0 else None
            self._finish(account, order, OrderStatus.CANCELLED, no_fill, new_fills)
        else:
            status = OrderStatus.PARTIALLY_FILLED if order.filled_qty else OrderStatus.NEW
            self._finish(account, order, status, None, new_fills)

    def _fill(
        self, account: Account, inst: Instrument, order: SimOrder, qty: Decimal, price: Decimal,
        is_maker: bool,
    ) -> None:  # fmt: skip
        now = self.clock.now_ms()
        value = qty * inst.contract_size * price
        rate = account.maker_fee if is_maker else account.taker_fee
        fee = money(value * rate)
        closed, pnl = account.apply_trade(inst, order.position_side, order.side, qty, price, now)
        exec_id = self._new_exec_id()
        slot = account.slot(inst.symbol, order.position_side)
        slot.realized_pnl_usdt -= fee
        if pnl:
            account.book_entry(LedgerKind.REALIZED_PNL, pnl, now, inst.symbol, exec_id)
        if fee:
            account.book_entry(LedgerKind.TRADE_FEE, -fee, now, inst.symbol, exec_id)
        fill = SimFill(
            exec_id=exec_id, order_id=order.order_id, client_id=order.client_id,
            account_id=account.account_id, symbol=inst.symbol, side=order.side, qty=qty,
            price=price, value_usdt=value, fee_usdt=fee, fee_rate=rate, is_maker=is_maker,
            ts_ms=now, closed_qty=closed, realized_pnl_usdt=pnl,
            position_side=order.position_side, seq=self._next_seq(),
        )  # fmt: skip
        order.fills.append(fill)
        order.filled_qty += qty
        order.filled_value_usdt += value
        order.fee_usdt += fee
        order.updated_ms = now
        self.fills.append(fill)

    def _finish(
        self, account: Account, order: SimOrder, status: OrderStatus,
        reason: RejectReason | None = None, new_fills: Iterable[SimFill] = (),
    ) -> None:  # fmt: skip
        order.status = status
        order.reject_reason = reason
        if status.is_final:
            self._open_orders[order.symbol].pop(order.order_id, None)
        else:
            self._open_orders[order.symbol][order.order_id] = order
        order.updated_ms = self.clock.now_ms()
        order.seq = self._next_seq()
        if status is OrderStatus.CANCELLED and not order.cancel_reason:
            order.cancel_reason = reason.value if reason else "ioc_remainder"
        self._publish(account, order, list(new_fills))

    def _publish(self, account: Account, order: SimOrder, fills: list[SimFill]) -> None:
        for fill in fills:
            self._emit(account.account_id, ExecutionEvent(dataclasses.replace(fill)))
        self._emit(
            account.account_id, OrderEvent(dataclasses.replace(order, fills=list(order.fills)))
        )
        if fills:
            self._emit_positions(account, [order.symbol])
            self._emit(account.account_id, WalletEvent(self.wallet(account.account_id)))

    def cancel_order(
        self, account_id: str, order_id: str | None = None, client_id: str | None = None
    ) -> SimOrder:
        """Cancel an open order; raises ORDER_NOT_FOUND if unknown or already final."""
        order = self.find_order(account_id, order_id, client_id)
        if not order.is_open:
            raise SimReject(RejectReason.ORDER_NOT_FOUND, "order is final")
        order.cancel_reason = "user"
        self._finish(self.accounts[account_id], order, OrderStatus.CANCELLED)
        return order

    def has_open_orders(self, symbol: str) -> bool:
        return bool(self._open_orders[symbol])

    def cancel_all(self, account_id: str, symbol: str | None = None) -> list[SimOrder]:
        cancelled = []
        for order in self.account_orders(account_id, symbol, open_only=True):
            cancelled.append(self.cancel_order(account_id, order.order_id))
        return cancelled

    # market-driven events --------------------------------------------------------------
    def match_resting(self, symbol: str) -> None:
        """Fill resting limit orders the market has moved through (as maker, at their price)."""
        book = self.books[symbol]
        bid, ask = book.best_bid(), book.best_ask()
        inst = self.instruments[symbol]
        for order in list(self._open_orders[symbol].values()):
            assert order.price is not None
            ticks = book.ticks_of(order.price)
            crossed = (order.side is Side.BUY and ask is not None and ask <= ticks) or (
                order.side is Side.SELL and bid is not None and bid >= ticks
            )
            if not crossed:
                continue
            account = self.accounts[order.account_id]
            left = order.qty - order.filled_qty
            before = len(order.fills)
            if order.reduce_only or order.position_side is not None:
                left = min(left, account.reducible_qty(symbol, order.side, order.position_side))
            if left > 0:
                self._fill(account, inst, order, left, order.price, is_maker=True)
            status = OrderStatus.FILLED if order.filled_qty == order.qty else OrderStatus.CANCELLED
            self._finish(account, order, status, None, order.fills[before:])


def _truncate(taken: list[Level], steps: int) -> list[Level]:
    result: list[Level] = []
    left = steps
    for tick, take in taken:
        if left <= 0:
            break
        result.append((tick, min(take, left)))
        left -= min(take, left)
    return result
