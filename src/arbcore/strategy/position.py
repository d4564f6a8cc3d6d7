"""Exact (Decimal) accounting of one arbitrage's two legs, and its float view for the hot path."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.enums import Side, Venue
from arbcore.strategy.spread import OpenPosition

ZERO = Decimal(0)


@dataclass(slots=True)
class LegAccount:
    """Cash flows of one exchange's leg. `qty_base` is the leg's own direction, >= 0."""

    venue: Venue
    opening_side: Side  # BUY for the long leg, SELL for the short leg
    qty_base: Decimal = ZERO
    open_cost_usdt: Decimal = ZERO  # entry notional of the quantity still open
    entered_base: Decimal = ZERO
    entered_cost_usdt: Decimal = ZERO
    bought_usdt: Decimal = ZERO
    sold_usdt: Decimal = ZERO
    fees_usdt: Decimal = ZERO

    def apply(self, side: Side, qty: Decimal, price: Decimal, fee_usdt: Decimal) -> None:
        if qty <= 0:
            return
        notional = qty * price
        if side is Side.BUY:
            self.bought_usdt += notional
        else:
            self.sold_usdt += notional
        self.fees_usdt += fee_usdt
        if side is self.opening_side:
            self.qty_base += qty
            self.open_cost_usdt += notional
            self.entered_base += qty
            self.entered_cost_usdt += notional
        else:
            closing = min(qty, self.qty_base)
            if self.qty_base > 0:
                self.open_cost_usdt -= self.open_cost_usdt * closing / self.qty_base
            self.qty_base -= qty

    @property
    def avg_open_px(self) -> Decimal | None:
        return self.open_cost_usdt / self.qty_base if self.qty_base > 0 else None

    @property
    def avg_entry_px(self) -> Decimal | None:
        return self.entered_cost_usdt / self.entered_base if self.entered_base > 0 else None

    @property
    def cash_flow_usdt(self) -> Decimal:
        return self.sold_usdt - self.bought_usdt - self.fees_usdt


@dataclass(slots=True)
class ArbPosition:
    """Long leg on one venue, short on another; pnl from cash flows is exact once flat."""

    long: LegAccount
    short: LegAccount
    funding_usdt: Decimal = ZERO  # received (+) or paid (-), as the exchanges reported
    entry_spread_pct: float | None = None  # net spread of the last entry part (for adds)
    parts_entered: int = 0
    adds_done: int = 0
    exits_done: int = 0
    history: list[tuple[Venue, Side, Decimal, Decimal, Decimal]] = field(default_factory=list)

    @classmethod
    def open(cls, long_venue: Venue, short_venue: Venue) -> ArbPosition:
        return cls(LegAccount(long_venue, Side.BUY), LegAccount(short_venue, Side.SELL))

    def leg(self, venue: Venue) -> LegAccount:
        if venue is self.long.venue:
            return self.long
        if venue is self.short.venue:
            return self.short
        raise KeyError(f"{venue} is not a leg of this arbitrage")

    def apply_fill(
        self, venue: Venue, side: Side, qty: Decimal, price: Decimal, fee_usdt: Decimal
    ) -> None:
        self.leg(venue).apply(side, qty, price, fee_usdt)
        self.history.append((venue, side, qty, price, fee_usdt))

    @property
    def is_flat(self) -> bool:
        return self.long.qty_base == 0 and self.short.qty_base == 0

    @property
    def imbalance_base(self) -> Decimal:
        """long - short: positive means net long exposure (naked long)."""
        return self.long.qty_base - self.short.qty_base

    @property
    def fees_usdt(self) -> Decimal:
        return self.long.fees_usdt + self.short.fees_usdt

    @property
    def realized_pnl_usdt(self) -> Decimal:
        """Cash in minus cash out minus fees plus funding: the pnl once both legs are flat."""
        return self.long.cash_flow_usdt + self.short.cash_flow_usdt + self.funding_usdt

    def hot_view(self) -> OpenPosition | None:
        """Float view for SPEC §2's closing pnl: with Q = open quantity, the formula then gives
        the whole arbitrage's pnl of closing now (earlier partial exits included)."""
        q = min(self.long.qty_base, self.short.qty_base)
        p_long, p_short = self.long.avg_open_px, self.short.avg_open_px
        if q <= 0 or p_long is None or p_short is None:
            return None
        carried = (
            self.long.cash_flow_usdt
            + self.short.cash_flow_usdt
            + self.funding_usdt
            + q * p_long
            - q * p_short
        )
        return OpenPosition(
            qty=float(q),
            long_avg_px=float(p_long),
            short_avg_px=float(p_short),
            entry_fees_usdt=float(-carried),
        )
