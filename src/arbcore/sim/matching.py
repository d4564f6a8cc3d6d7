"""Venue-agnostic matching core: orders against SimBooks, fills, fees, margin, funding, events."""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal

from arbcore.core.clock import SYSTEM_CLOCK, Clock
from arbcore.core.enums import (
    MarginMode,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
    Venue,
)
from arbcore.core.models import Instrument
from arbcore.core.quantize import is_multiple
from arbcore.sim.accounts import ZERO, Account, money
from arbcore.sim.events import (
    ExecutionEvent,
    LedgerEntry,
    LedgerKind,
    OrderEvent,
    PositionEvent,
    PositionView,
    PrivateEvent,
    RejectReason,
    SimFill,
    SimOrder,
    SimReject,
    WalletEvent,
    WalletView,
)
from arbcore.sim.faults import FaultController
from arbcore.sim.market import Level, SimBook

EventListener = Callable[[str, PrivateEvent], None]  # (account_id, event)
EIGHT_HOURS_MS = 8 * 3600 * 1000


class SimExchange:
    """The matching core of one simulated venue: books, accounts, orders, fills, funding.

    Quantities are in the venue's order unit (contracts where `Instrument.qty_in_contracts`);
    notional = qty * contract_size * price. Every method raising `SimReject` leaves state
    untouched. Listeners get private events synchronously, in order: executions, order,
    positions, wallet.
    """

    def __init__(
        self,
        venue: Venue,
        instruments: Iterable[Instrument],
        taker_fee: Decimal,
        maker_fee: Decimal,
        clock: Clock = SYSTEM_CLOCK,
        faults: FaultController | None = None,
        seed: int = 1,
        funding_interval_ms: int = EIGHT_HOURS_MS,
    ) -> None:
        self.venue = venue
        self.clock = clock
        self.faults = faults if faults is not None else FaultController(venue)
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self.instruments: dict[str, Instrument] = {i.symbol: i for i in instruments}
        self.by_venue_symbol: dict[str, Instrument] = {
            i.venue_symbol: i for i in self.instruments.values()
        }
        self.books: dict[str, SimBook] = {s: SimBook(i) for s, i in self.instruments.items()}
        self.accounts: dict[str, Account] = {}
        self.orders: dict[str, SimOrder] = {}
        self.fills: list[SimFill] = []
        self._open_orders: dict[str, dict[str, SimOrder]] = {s: {} for s in self.instruments}
        self.funding_rates: dict[str, Decimal] = dict.fromkeys(self.instruments, Decimal("0.0001"))
        self.funding_interval_ms = funding_interval_ms
        self.funding_history: dict[str, list[tuple[int, Decimal]]] = {
            s: [] for s in self.instruments
        }
        now = clock.now_ms()
        self.next_funding_ms: dict[str, int] = dict.fromkeys(
            self.instruments, (now // funding_interval_ms + 1) * funding_interval_ms
        )
        self.listeners: list[EventListener] = []
        self._rng = random.Random(f"{seed}:ids:{venue.value}")
        self._next_order_id = 1_800_000_000_000_000_000 + self._rng.randrange(10**12)
        self._seq = 0

    # set-up and lookup -----------------------------------------------------------------
    def add_account(self, account_id: str, balance_usdt: Decimal) -> Account:
        """Create an account with a deposit of `balance_usdt` (its first ledger entry)."""
        account = Account(account_id, self.taker_fee, self.maker_fee)
        if balance_usdt:
            account.book_entry(LedgerKind.DEPOSIT, balance_usdt, self.clock.now_ms())
        self.accounts[account_id] = account
        return account

    def account(self, account_id: str) -> Account:
        return self.accounts[account_id]

    def instrument(self, symbol: str) -> Instrument:
        """By arbcore symbol (BTCUSDT) or the venue's id; raises UNKNOWN_SYMBOL."""
        inst = self.instruments.get(symbol) or self.by_venue_symbol.get(symbol)
        if inst is None:
            raise SimReject(RejectReason.UNKNOWN_SYMBOL, symbol)
        return inst

    def mark_price(self, symbol: str) -> Decimal:
        """Book mid rounded to the tick (entry price of nothing when the book is empty)."""
        book = self.books[self.instrument(symbol).symbol]
        mid = book.mid_price()
        if mid is None:
            return ZERO
        return book.price(book.ticks_of(mid))

    def add_listener(self, listener: EventListener) -> None:
        self.listeners.append(listener)

    def _emit(self, account_id: str, event: PrivateEvent) -> None:
        for listener in list(self.listeners):
            listener(account_id, event)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _new_exec_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # ground truth ----------------------------------------------------------------------
    def positions(self, account_id: str, symbol: str | None = None) -> list[PositionView]:
        """Position views (flat slots included when `symbol` is given; else only open ones)."""
        account = self.accounts[account_id]
        if symbol is not None:
            inst = self.instrument(symbol)
            mark = self.mark_price(inst.symbol)
            return [account.view(inst, s, mark) for s in account.slots_of(inst.symbol)]
        views = []
        for slot in account.positions.values():
            if slot.qty != 0:
                inst = self.instruments[slot.symbol]
                views.append(account.view(inst, slot, self.mark_price(slot.symbol)))
        return views

    def wallet(self, account_id: str) -> WalletView:
        account = self.accounts[account_id]
        marks = {s: self.mark_price(s) for s in {k[0] for k in account.positions}}
        return account.wallet(
            self.instruments, marks, self._order_margin(account_id), self.clock.now_ms()
        )

    def ledger(self, account_id: str) -> list[LedgerEntry]:
        return list(self.accounts[account_id].ledger)

    def account_orders(
        self, account_id: str, symbol: str | None = None, open_only: bool = False
    ) -> list[SimOrder]:
        """Orders of an account, newest first."""
        result = [
            o
            for o in self.orders.values()
            if o.account_id == account_id
            and (symbol is None or o.symbol == symbol)
            and (not open_only or o.is_open)
        ]
        result.reverse()
        return result

    def account_fills(self, account_id: str, symbol: str | None = None) -> list[SimFill]:
        """Executions (trades and funding) of an account, newest first."""
        result = [
            f
            for f in self.fills
            if f.account_id == account_id and (symbol is None or f.symbol == symbol)
        ]
        result.reverse()
        return result

    def find_order(
        self, account_id: str, order_id: str | None = None, client_id: str | None = None
    ) -> SimOrder:
        """By exchange id or client id; raises ORDER_NOT_FOUND."""
        if order_id:
            order = self.orders.get(order_id)
            if order is not None and order.account_id == account_id:
                return order
        elif client_id:
            for order in reversed(self.orders.values()):
                if order.account_id == account_id and order.client_id == client_id:
                    return order
        raise SimReject(RejectReason.ORDER_NOT_FOUND, order_id or client_id or "")

    def _order_margin(self, account_id: str) -> Decimal:
        account = self.accounts[account_id]
        total = ZERO
        for order in self.orders.values():
            if order.account_id == account_id and order.is_open and not order.reduce_only:
                inst = self.instruments[order.symbol]
                px = order.price or ZERO
                total += (
                    order.leaves_qty * inst.contract_size * px / account.leverage_of(order.symbol)
                )
        return total

    # account settings ------------------------------------------------------------------
    def set_leverage(self, account_id: str, symbol: str, leverage: Decimal) -> None:
        inst = self.instrument(symbol)
        account = self.accounts[account_id]
        if leverage < 1 or leverage > inst.max_leverage:
            raise SimReject(RejectReason.LEVERAGE_OUT_OF_RANGE, f"1..{inst.max_leverage}")
        if account.leverage_of(inst.symbol) == leverage:
            raise SimReject(RejectReason.LEVERAGE_NOT_MODIFIED, str(leverage))
        account.leverage[inst.symbol] = leverage
        self._emit_positions(account, [inst.symbol])

    def set_margin_mode(self, account_id: str, symbol: str, mode: MarginMode) -> None:
        inst = self.instrument(symbol)
        account = self.accounts[account_id]
        if account.margin_mode_of(inst.symbol) is mode:
            raise SimReject(RejectReason.MARGIN_MODE_NOT_MODIFIED, mode.value)
        if any(s.qty != 0 for s in account.slots_of(inst.symbol)):
            raise SimReject(RejectReason.POSITION_EXISTS, inst.symbol)
        account.margin_mode[inst.symbol] = mode

    def set_position_mode(self, account_id: str, mode: PositionMode) -> None:
        account = self.accounts[account_id]
        if account.position_mode is mode:
            raise SimReject(RejectReason.POSITION_MODE_NOT_MODIFIED, mode.value)
        if account.has_exposure():
            raise SimReject(RejectReason.POSITION_EXISTS, "close positions first")
        if any(o.account_id == account_id and o.is_open for o in self.orders.values()):
            raise SimReject(RejectReason.OPEN_ORDERS_EXIST, "cancel orders first")
        account.position_mode = mode
        account.positions.clear()

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

    def _emit_positions(self, account: Account, symbols: list[str]) -> None:
        for symbol in symbols:
            for view in self.positions(account.account_id, symbol):
                self._emit(account.account_id, PositionEvent(view))

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

    def settle_funding(self, symbol: str, rate: Decimal | None = None) -> list[SimFill]:
        """Pay/charge funding on every open position of `symbol` (long pays when rate > 0)."""
        inst = self.instrument(symbol)
        rate = self.funding_rates[inst.symbol] if rate is None else rate
        mark = self.mark_price(inst.symbol)
        now = self.clock.now_ms()
        self.funding_history[inst.symbol].append((now, rate))
        settled = []
        for account in self.accounts.values():
            for slot in account.slots_of(inst.symbol):
                if slot.qty == 0:
                    continue
                value = abs(slot.qty) * inst.contract_size * mark
                payment = money(-slot.qty * inst.contract_size * mark * rate)
                fill = SimFill(
                    exec_id=self._new_exec_id(), order_id="", client_id="",
                    account_id=account.account_id, symbol=inst.symbol,
                    side=Side.BUY if slot.qty > 0 else Side.SELL, qty=abs(slot.qty), price=mark,
                    value_usdt=value, fee_usdt=-payment, fee_rate=rate, is_maker=False, ts_ms=now,
                    position_side=slot.hedge_side, is_funding=True, seq=self._next_seq(),
                )  # fmt: skip
                account.book_entry(LedgerKind.FUNDING, payment, now, inst.symbol, fill.exec_id)
                slot.realized_pnl_usdt += payment
                self.fills.append(fill)
                settled.append(fill)
                self._emit(account.account_id, ExecutionEvent(fill))
                self._emit_positions(account, [inst.symbol])
                self._emit(account.account_id, WalletEvent(self.wallet(account.account_id)))
        return settled

    def run_funding_if_due(self, now_ms: int) -> None:
        """Settle every symbol whose funding time has passed and schedule the next one."""
        for symbol, due in self.next_funding_ms.items():
            if now_ms >= due:
                self.settle_funding(symbol)
                self.next_funding_ms[symbol] = due + self.funding_interval_ms


def _truncate(taken: list[Level], steps: int) -> list[Level]:
    result: list[Level] = []
    left = steps
    for tick, take in taken:
        if left <= 0:
            break
        result.append((tick, min(take, left)))
        left -= min(take, left)
    return result
