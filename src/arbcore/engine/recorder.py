"""Write-behind persistence: executors enqueue records, one writer task stores them in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Unpack

from arbcore.core.client_ids import parse_client_order_id
from arbcore.core.clock import utc_now
from arbcore.core.enums import OrderStatus
from arbcore.core.errors import ExchangeError, OrderOutcomeUnknown
from arbcore.core.models import OrderRequest, OrderResult
from arbcore.core.records import DuplicateRecord, NewOrder, NewTrade, OrderPurpose, RecordNotFound
from arbcore.engine.stats import EngineStats
from arbcore.persistence.repositories import Repositories, TradeChanges

log = logging.getLogger(__name__)

WriteOp = Callable[[Repositories], Awaitable[Any]]


class Recorder:
    """Implements `strategy.journal.Journal`. Every method returns at once; `run()` writes.

    Writes keep their order. A write that fails for a database reason is retried with
    backoff until it succeeds (records are never dropped); a write the database refuses
    for good (duplicate, missing row) is logged and skipped.
    """

    def __init__(
        self,
        repos: Repositories,
        now: Callable[[], datetime] = utc_now,
        stats: EngineStats | None = None,
    ) -> None:
        self.repos = repos
        self.stats = stats if stats is not None else EngineStats()
        self._now = now
        self._queue: asyncio.Queue[WriteOp] = asyncio.Queue()
        self._sent_ns: dict[tuple[str, str], int] = {}
        self.written = 0
        self.write_failures = 0

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def submit(self, op: WriteOp) -> None:
        self._queue.put_nowait(op)

    async def run(self) -> None:
        """The writer loop; lives in the engine's TaskGroup."""
        while True:
            op = await self._queue.get()
            try:
                await self._write(op)
            finally:
                self._queue.task_done()

    async def _write(self, op: WriteOp) -> None:
        delay_s = 0.05
        while True:
            try:
                await op(self.repos)
                self.written += 1
                return
            except (DuplicateRecord, RecordNotFound) as exc:
                self.write_failures += 1
                log.error("record refused by the database, skipped: %s", exc)
                return
            except Exception:
                self.write_failures += 1
                log.exception("database write failed; retrying in %.2fs", delay_s)
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, 5.0)

    async def flush(self) -> None:
        """Wait until everything enqueued so far is written."""
        await self._queue.join()

    # --- strategy.journal.Journal -------------------------------------------------------

    def order_sent(
        self,
        trade_id: int,
        purpose: OrderPurpose,
        request: OrderRequest,
        sent_ns: int,
        tick_to_order_ns: int | None,
    ) -> None:
        sent_at = self._now()
        self.stats.orders_sent += 1
        self._sent_ns[(request.venue, request.client_id)] = sent_ns
        # The record is built by the writer task: the hot path only enqueues.
        self.submit(
            lambda repos: repos.orders.record(
                _new_order(trade_id, purpose, request, sent_at, tick_to_order_ns)
            )
        )

    def order_done(
        self,
        trade_id: int,
        request: OrderRequest,
        result: OrderResult | None,
        error: ExchangeError | None,
        acked_ns: int,
    ) -> None:
        sent_ns = self._sent_ns.pop((request.venue, request.client_id), None)
        latency = None if sent_ns is None else acked_ns - sent_ns
        acked_at = self._now()
        text = str(error) if error is not None else None
        venue, cid = request.venue, request.client_id
        if result is None or result.status is OrderStatus.REJECTED:
            self.stats.orders_rejected += 1
        if result is None:
            # Never reached a final state: rejected when the exchange said no; unknown when
            # it may have executed (recorded so restart reconciliation looks it up).
            status = (
                OrderStatus.UNKNOWN
                if isinstance(error, OrderOutcomeUnknown)
                else (OrderStatus.REJECTED)
            )
            self.submit(
                lambda repos: repos.orders.update(
                    venue, cid, status=status, error=text, acked_at=acked_at, ack_latency_ns=latency
                )
            )
            return
        res = result
        self.submit(
            lambda repos: repos.orders.update(
                venue,
                cid,
                exchange_order_id=res.exchange_order_id,
                status=res.status,
                filled_base=res.filled_base,
                avg_price=res.avg_price,
                fee_usdt=res.fee_usdt,
                error=text or res.error,
                acked_at=acked_at,
                ack_latency_ns=latency,
            )
        )

    def event(self, kind: str, pair_id: int | None, trade_id: int | None, **payload: Any) -> None:
        ts = self._now()
        body = {k: _jsonable(v) for k, v in payload.items()}
        self.submit(
            lambda repos: repos.events.append(kind, body, pair_id=pair_id, trade_id=trade_id, ts=ts)
        )

    # --- trades ---------------------------------------------------------------------------

    async def reserve_trade(self, new: NewTrade) -> int:
        """Create a trade row now (off the hot path) so its id exists before any order."""
        record = await self.repos.trades.create(new)
        return record.id

    def trade_changed(self, trade_id: int, **changes: Unpack[TradeChanges]) -> None:
        self.submit(lambda repos: repos.trades.update(trade_id, **changes))


def _new_order(
    trade_id: int,
    purpose: OrderPurpose,
    request: OrderRequest,
    sent_at: datetime,
    tick_to_order_ns: int | None,
) -> NewOrder:
    ids = parse_client_order_id(request.client_id)
    return NewOrder(
        exchange=request.venue,
        symbol=request.symbol,
        client_id=request.client_id,
        side=request.side,
        purpose=purpose,
        requested_base=request.qty_base,
        sent_at=sent_at,
        trade_id=trade_id,
        order_type=request.order_type,
        tif=request.tif,
        price=request.price,
        reduce_only=request.reduce_only,
        tick_to_order_ns=tick_to_order_ns,
        leg=ids.leg if ids is not None else None,
        part=ids.part if ids is not None else None,
        attempt=ids.attempt if ids is not None else 0,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
