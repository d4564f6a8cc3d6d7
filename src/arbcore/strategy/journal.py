"""What the executors report for the record; the engine persists it off the hot path."""

from __future__ import annotations

from typing import Any, Protocol

from arbcore.core.errors import ExchangeError
from arbcore.core.models import OrderRequest, OrderResult
from arbcore.core.records import OrderPurpose

__all__ = ["Journal", "MemoryJournal", "OrderPurpose"]


class Journal(Protocol):
    """Non-blocking sink: every method must return at once (enqueue, never await I/O)."""

    def order_sent(
        self,
        trade_id: int,
        purpose: OrderPurpose,
        request: OrderRequest,
        sent_ns: int,
        tick_to_order_ns: int | None,
    ) -> None: ...

    def order_done(
        self,
        trade_id: int,
        request: OrderRequest,
        result: OrderResult | None,
        error: ExchangeError | None,
        acked_ns: int,
    ) -> None: ...

    def event(
        self, kind: str, pair_id: int | None, trade_id: int | None, **payload: Any
    ) -> None: ...


class MemoryJournal:
    """A Journal that keeps everything in lists (tests, dry runs)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, OrderPurpose, OrderRequest, int, int | None]] = []
        self.done: list[tuple[int, OrderRequest, OrderResult | None, ExchangeError | None]] = []
        self.events: list[tuple[str, int | None, int | None, dict[str, Any]]] = []

    def order_sent(
        self,
        trade_id: int,
        purpose: OrderPurpose,
        request: OrderRequest,
        sent_ns: int,
        tick_to_order_ns: int | None,
    ) -> None:
        self.sent.append((trade_id, purpose, request, sent_ns, tick_to_order_ns))

    def order_done(
        self,
        trade_id: int,
        request: OrderRequest,
        result: OrderResult | None,
        error: ExchangeError | None,
        acked_ns: int,
    ) -> None:
        self.done.append((trade_id, request, result, error))

    def event(self, kind: str, pair_id: int | None, trade_id: int | None, **payload: Any) -> None:
        self.events.append((kind, pair_id, trade_id, payload))
