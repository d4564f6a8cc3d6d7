"""State of one simulated venue: books, accounts, orders, fills, funding, views, events."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal

from arbcore.core.clock import SYSTEM_CLOCK, Clock
from arbcore.core.enums import (
    MarginMode,
    PositionMode,
    Side,
    Venue,
)
from arbcore.core.models import Instrument
from arbcore.sim.accounts import ZERO, Account, money
from arbcore.sim.events import (
    ExecutionEvent,
    LedgerEntry,
    LedgerKind,
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
from arbcore.sim.market import SimBook

EventListener = Callable[[str, PrivateEvent], None]  # (account_id, event)
EIGHT_HOURS_MS = 8 * 3600 * 1000


class VenueState:
    """Everything a venue holds besides order matching: books, accounts, orders, fills,
    funding, ground-truth views, account settings and the private event fan-out.
    Methods raising `SimReject` leave state untouched.
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

    def transfer(self, account_id: str, amount_usdt: Decimal) -> WalletView:
        """Move USDT into (positive) or out of (negative) the futures account, as an operator
        would between wallets; booked like a deposit and pushed to the private streams."""
        account = self.accounts[account_id]
        wallet = self.wallet(account_id)
        if amount_usdt < 0 and -amount_usdt > wallet.available_usdt:
            raise ValueError(f"cannot move {-amount_usdt} USDT out: {wallet.available_usdt} free")
        account.book_entry(LedgerKind.DEPOSIT, amount_usdt, self.clock.now_ms())
        wallet = self.wallet(account_id)
        self._emit(account_id, WalletEvent(wallet))
        return wallet

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

    def _emit_positions(self, account: Account, symbols: list[str]) -> None:
        for symbol in symbols:
            for view in self.positions(account.account_id, symbol):
                self._emit(account.account_id, PositionEvent(view))

    # funding --------------------------------------------------------------------------
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
