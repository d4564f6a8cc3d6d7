"""Simulated accounts: USDT balance and ledger, leverage, margin and position modes, positions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.enums import MarginMode, PositionMode, PositionSide, Side
from arbcore.core.models import Instrument
from arbcore.sim.events import LedgerEntry, LedgerKind, PositionView, WalletView

ZERO = Decimal(0)
MONEY_STEP = Decimal("0.00000001")  # every booked USDT amount is rounded to 8 decimals


def money(amount: Decimal) -> Decimal:
    """Round a USDT amount to the ledger's precision (8 decimals, half-even)."""
    return amount.quantize(MONEY_STEP)


@dataclass(slots=True)
class PositionSlot:
    """One position: signed venue-unit quantity (+ long, - short), average entry price."""

    symbol: str
    hedge_side: PositionSide | None  # None in one-way mode
    qty: Decimal = ZERO
    entry_price: Decimal = ZERO
    realized_pnl_usdt: Decimal = ZERO
    created_ms: int = 0
    updated_ms: int = 0
    seq: int = 0

    @property
    def side(self) -> PositionSide | None:
        if self.qty > 0:
            return PositionSide.LONG
        if self.qty < 0:
            return PositionSide.SHORT
        return None


@dataclass(slots=True)
class Account:
    """A trading account on one simulated venue. `balance_usdt == sum(ledger amounts)` always."""

    account_id: str
    taker_fee: Decimal
    maker_fee: Decimal
    default_leverage: Decimal = Decimal(10)
    position_mode: PositionMode = PositionMode.ONE_WAY
    balance_usdt: Decimal = ZERO
    ledger: list[LedgerEntry] = field(default_factory=list)
    leverage: dict[str, Decimal] = field(default_factory=dict)
    margin_mode: dict[str, MarginMode] = field(default_factory=dict)
    positions: dict[tuple[str, PositionSide | None], PositionSlot] = field(default_factory=dict)
    client_ids: set[str] = field(default_factory=set)
    _next_entry_id: int = 1

    # ledger --------------------------------------------------------------------------
    def book_entry(
        self, kind: LedgerKind, amount: Decimal, ts_ms: int, symbol: str = "", ref_id: str = ""
    ) -> LedgerEntry:
        """Change the balance by `amount` and record it; the only way the balance moves."""
        self.balance_usdt += amount
        entry = LedgerEntry(
            self._next_entry_id,
            self.account_id,
            kind,
            amount,
            self.balance_usdt,
            ts_ms,
            symbol,
            ref_id,
        )
        self._next_entry_id += 1
        self.ledger.append(entry)
        return entry

    def ledger_total(self) -> Decimal:
        return sum((e.amount_usdt for e in self.ledger), ZERO)

    # settings ------------------------------------------------------------------------
    def leverage_of(self, symbol: str) -> Decimal:
        return self.leverage.get(symbol, self.default_leverage)

    def margin_mode_of(self, symbol: str) -> MarginMode:
        return self.margin_mode.get(symbol, MarginMode.CROSS)

    # positions -----------------------------------------------------------------------
    def slot(self, symbol: str, hedge_side: PositionSide | None) -> PositionSlot:
        key = (symbol, hedge_side)
        found = self.positions.get(key)
        if found is None:
            found = PositionSlot(symbol, hedge_side)
            self.positions[key] = found
        return found

    def slots_of(self, symbol: str) -> list[PositionSlot]:
        """The slots a symbol shows: one in one-way mode, long and short in hedge mode."""
        if self.position_mode is PositionMode.HEDGE:
            return [self.slot(symbol, PositionSide.LONG), self.slot(symbol, PositionSide.SHORT)]
        return [self.slot(symbol, None)]

    def has_exposure(self) -> bool:
        return any(s.qty != 0 for s in self.positions.values())

    def reducible_qty(self, symbol: str, side: Side, hedge_side: PositionSide | None) -> Decimal:
        """How much an order on `side` can reduce of the addressed position (venue units)."""
        slot = self.slot(symbol, hedge_side)
        if slot.qty > 0 and side is Side.SELL:
            return slot.qty
        if slot.qty < 0 and side is Side.BUY:
            return -slot.qty
        return ZERO

    def apply_trade(
        self,
        inst: Instrument,
        hedge_side: PositionSide | None,
        side: Side,
        qty: Decimal,
        price: Decimal,
        ts_ms: int,
    ) -> tuple[Decimal, Decimal]:
        """Move the position by a fill; returns (closed qty, realized pnl USDT before fees)."""
        slot = self.slot(inst.symbol, hedge_side)
        signed = qty if side is Side.BUY else -qty
        closed = ZERO
        pnl = ZERO
        if slot.qty == 0 or (slot.qty > 0) == (signed > 0):
            total = abs(slot.qty) + qty
            slot.entry_price = (abs(slot.qty) * slot.entry_price + qty * price) / total
            if slot.qty == 0:
                slot.created_ms = ts_ms
        else:
            closed = min(abs(slot.qty), qty)
            direction = Decimal(1) if slot.qty > 0 else Decimal(-1)
            pnl = money(closed * inst.contract_size * (price - slot.entry_price) * direction)
            if qty > abs(slot.qty):
                slot.entry_price = price
                slot.created_ms = ts_ms
        slot.qty += signed
        if slot.qty == 0:
            slot.entry_price = ZERO
        slot.realized_pnl_usdt += pnl
        slot.updated_ms = ts_ms
        slot.seq += 1
        return closed, pnl

    # margin --------------------------------------------------------------------------
    def position_margin(self, inst: Instrument, slot: PositionSlot) -> Decimal:
        lev = self.leverage_of(slot.symbol)
        return abs(slot.qty) * inst.contract_size * slot.entry_price / lev

    def unrealized(self, inst: Instrument, slot: PositionSlot, mark: Decimal) -> Decimal:
        return slot.qty * inst.contract_size * (mark - slot.entry_price)

    def view(self, inst: Instrument, slot: PositionSlot, mark: Decimal) -> PositionView:
        value = abs(slot.qty) * inst.contract_size * slot.entry_price
        return PositionView(
            account_id=self.account_id,
            symbol=slot.symbol,
            side=slot.side,
            qty=abs(slot.qty),
            entry_price=slot.entry_price,
            leverage=self.leverage_of(slot.symbol),
            margin_mode=self.margin_mode_of(slot.symbol),
            position_mode=self.position_mode,
            hedge_side=slot.hedge_side,
            mark_price=mark,
            value_usdt=value,
            initial_margin_usdt=self.position_margin(inst, slot),
            unrealized_pnl_usdt=self.unrealized(inst, slot, mark),
            realized_pnl_usdt=slot.realized_pnl_usdt,
            created_ms=slot.created_ms,
            updated_ms=slot.updated_ms,
            seq=slot.seq,
        )

    def wallet(
        self,
        instruments: Mapping[str, Instrument],
        marks: Mapping[str, Decimal],
        order_margin_usdt: Decimal,
        ts_ms: int,
    ) -> WalletView:
        """Balance, equity and free margin: available = balance + cross uPnL - IM - order IM."""
        im = ZERO
        upnl = ZERO
        cross_upnl = ZERO
        for slot in self.positions.values():
            if slot.qty == 0:
                continue
            inst = instruments[slot.symbol]
            im += self.position_margin(inst, slot)
            u = self.unrealized(inst, slot, marks.get(slot.symbol, slot.entry_price))
            upnl += u
            if self.margin_mode_of(slot.symbol) is MarginMode.CROSS:
                cross_upnl += u
            else:
                cross_upnl += min(ZERO, u)
        available = max(ZERO, self.balance_usdt + cross_upnl - im - order_margin_usdt)
        realized = sum((s.realized_pnl_usdt for s in self.positions.values()), ZERO)
        return WalletView(
            account_id=self.account_id,
            balance_usdt=self.balance_usdt,
            equity_usdt=self.balance_usdt + upnl,
            available_usdt=available,
            position_margin_usdt=im,
            order_margin_usdt=order_margin_usdt,
            unrealized_pnl_usdt=upnl,
            realized_pnl_usdt=realized,
            ts_ms=ts_ms,
        )
