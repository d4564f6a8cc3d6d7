"""A scripted in-memory venue for executor unit tests (the simulator covers the wire)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.enums import MarginMode, OrderStatus, PositionMode, Side, Venue
from arbcore.core.errors import ExchangeError, OrderNotFound, OrderOutcomeUnknown, RateLimited
from arbcore.core.models import (
    Balance,
    FundingPayment,
    FundingRate,
    Instrument,
    OrderRequest,
    OrderResult,
    Position,
)
from arbcore.exchanges.base import (
    BalanceListener,
    Capabilities,
    FillListener,
    OrderListener,
    PositionListener,
)


@dataclass
class Script:
    """What the next orders do: a fill fraction, an error, or execute-then-unknown."""

    fill_fraction: Decimal = Decimal(1)
    error: ExchangeError | None = None
    unknown_after_execute: bool = False
    unknown_not_executed: bool = False


@dataclass
class FakeTrading:
    venue: Venue
    price: Decimal
    fee_rate: Decimal = Decimal("0.0005")
    capabilities: Capabilities = field(default_factory=Capabilities)
    scripts: deque[Script] = field(default_factory=deque)
    orders: dict[str, OrderResult] = field(default_factory=dict)
    position_base: Decimal = Decimal(0)
    sent: list[OrderRequest] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    fetch_failures: int = 0  # the next lookups fail (e.g. rate limited)
    budget_free_at: float = 0.0  # loop time before which our own trade budget is exhausted

    def next(self, *scripts: Script) -> None:
        self.scripts.extend(scripts)

    async def submit_order(self, req: OrderRequest) -> OrderResult:
        self.sent.append(req)
        script = self.scripts.popleft() if self.scripts else Script()
        if req.client_id in self.orders:
            raise ExchangeError(self.venue, "duplicate client id", "dup")
        if script.error is not None:
            raise script.error
        if script.unknown_not_executed:
            raise OrderOutcomeUnknown(self.venue, "timeout", client_id=req.client_id)
        qty = req.qty_base * script.fill_fraction
        if req.reduce_only:
            open_same_direction = (
                -self.position_base if req.side is Side.BUY else self.position_base
            )
            qty = min(qty, max(open_same_direction, Decimal(0)))
        self.position_base += qty * req.side.sign
        status = OrderStatus.FILLED if qty == req.qty_base else OrderStatus.CANCELLED
        result = OrderResult(
            venue=self.venue,
            symbol=req.symbol,
            client_id=req.client_id,
            exchange_order_id=str(len(self.orders) + 1),
            status=status,
            side=req.side,
            requested_base=req.qty_base,
            filled_base=qty,
            avg_price=self.price if qty > 0 else None,
            fee_usdt=qty * self.price * self.fee_rate,
            reduce_only=req.reduce_only,
        )
        self.orders[req.client_id] = result
        if script.unknown_after_execute:
            raise OrderOutcomeUnknown(self.venue, "timeout after send", client_id=req.client_id)
        return result

    def trade_budget_available(self) -> bool:
        return asyncio.get_running_loop().time() >= self.budget_free_at

    def submit_order_now(self, req: OrderRequest) -> Awaitable[OrderResult]:
        self.written.append(req.client_id)  # "written" at call time, like a real fast lane
        return self.submit_order(req)

    async def fetch_order(self, symbol: str, client_id: str) -> OrderResult:
        if self.fetch_failures > 0:
            self.fetch_failures -= 1
            raise RateLimited(self.venue, "429 on order lookup")
        if client_id not in self.orders:
            raise OrderNotFound(self.venue, f"no order {client_id}")
        return self.orders[client_id]

    async def fetch_orders(self, symbol: str, since_ms: int) -> list[OrderResult]:
        return [o for o in self.orders.values() if o.symbol == symbol]

    async def cancel_order(self, symbol: str, client_id: str) -> OrderResult:
        return await self.fetch_order(symbol, client_id)

    async def fetch_positions(self, symbols: list[str] | None = None) -> list[Position]:
        return [Position(self.venue, "BTCUSDT", self.position_base, self.price)]

    async def fetch_balance(self) -> Balance:
        return Balance(self.venue, "USDT", Decimal(10000), Decimal(10000))

    async def set_leverage(self, symbol: str, leverage: int, margin_mode: MarginMode) -> None:
        return None

    async def set_margin_mode(self, symbol: str, margin_mode: MarginMode) -> None:
        return None

    async def set_position_mode(self, mode: PositionMode) -> None:
        return None

    async def fetch_funding_rate(self, symbol: str) -> FundingRate:
        return FundingRate(self.venue, symbol, Decimal(0), 0)

    async def fetch_funding_payments(self, symbol: str, since_ms: int) -> list[FundingPayment]:
        return []

    async def subscribe_private(
        self,
        on_order: OrderListener,
        on_fill: FillListener | None = None,
        on_position: PositionListener | None = None,
        on_balance: BalanceListener | None = None,
    ) -> None:
        return None


def btc(venue: Venue, step: str = "0.001") -> Instrument:
    return Instrument(
        venue=venue,
        symbol="BTCUSDT",
        venue_symbol="BTCUSDT",
        base="BTC",
        quote="USDT",
        tick_size=Decimal("0.1"),
        qty_step=Decimal(step),
        min_qty=Decimal(step),
    )
