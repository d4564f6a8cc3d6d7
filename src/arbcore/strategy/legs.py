"""One leg's order round trip: send, learn the final state, resolve unknown outcomes, reduce."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from arbcore.core.client_ids import MAX_ATTEMPT, client_order_id, parse_client_order_id
from arbcore.core.enums import OrderType, Side, TimeInForce, Venue
from arbcore.core.errors import (
    DuplicateClientOrderId,
    ExchangeError,
    OrderOutcomeUnknown,
    RateLimited,
    TransientError,
)
from arbcore.core.models import Instrument, OrderRequest, OrderResult
from arbcore.core.quantize import floor_to_step
from arbcore.exchanges.base import Trading
from arbcore.strategy.journal import Journal, OrderPurpose
from arbcore.strategy.order_tracker import OrderTracker

ZERO = Decimal(0)
log = logging.getLogger(__name__)
SENT_IDS_KEPT = 200_000  # recent client ids remembered to refuse a resend
RETRY_DELAYS_S = (0.05, 0.1, 0.2)  # SPEC §5.3: up to 3 retries, exponential backoff
MAX_RATE_LIMIT_WAIT_S = 2.0  # longest pause honoured when a rate limit names its end
BUDGET_POLL_S = 0.05
MAX_BUDGET_WAIT_S = 3.0  # a reduce-only safety order waits this long for our own budget
# Attempt numbers from here up are only handed out to replace an id an earlier run of the
# engine already used (normal rounds stay far below), so a replacement never meets one.
FRESH_ATTEMPTS_FROM = (MAX_ATTEMPT + 1) // 2


def retry_delay_s(backoff_s: float, error: ExchangeError | None) -> float:
    """The backoff, stretched to the end of a rate-limit pause the last failure announced
    (a retry sent earlier is refused by our own budget and wastes the attempt)."""
    if isinstance(error, RateLimited) and error.retry_after_s is not None:
        return max(backoff_s, min(error.retry_after_s, MAX_RATE_LIMIT_WAIT_S))
    return backoff_s


@dataclass(frozen=True, slots=True)
class Leg:
    """Where one side of an arbitrage trades."""

    client: Trading
    instrument: Instrument
    taker_fee: float

    @property
    def venue(self) -> Venue:
        return self.client.venue


@dataclass(frozen=True, slots=True)
class LegOutcome:
    request: OrderRequest
    result: OrderResult | None  # final state; None when the order never reached the book
    error: ExchangeError | None
    sent_ns: int

    @property
    def filled_base(self) -> Decimal:
        return self.result.filled_base if self.result is not None else ZERO

    @property
    def retryable(self) -> bool:
        """Missing quantity may be sent again (nothing final said no)."""
        return self.error is None or self.error.retryable


class LegRunner:
    """Sends orders for the executors and reports every one to the journal."""

    def __init__(
        self,
        tracker: OrderTracker,
        journal: Journal,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
    ) -> None:
        self.tracker = tracker
        self.journal = journal
        self.retry_delays_s = retry_delays_s
        self._unknown: dict[int, list[tuple[Leg, OrderRequest]]] = {}  # by trade id
        self._sent_ids: set[tuple[str, str]] = set()
        self._sent_order: deque[tuple[str, str]] = deque()
        self._spent_before: dict[int, set[str]] = {}  # by trade id: ids of earlier runs

    def spent_before(self, trade_id: int, client_ids: Iterable[str]) -> None:
        """Client ids an earlier run of the engine used for this trade (restart). A request
        that would repeat one goes out under a fresh attempt number instead: a repeated id
        is refused by some venues and, worse, a lookup by it could find the old order."""
        self._spent_before.setdefault(trade_id, set()).update(client_ids)

    def _unspent(self, trade_id: int, request: OrderRequest) -> OrderRequest:
        spent = self._spent_before.get(trade_id)
        if not spent or request.client_id not in spent:
            return request
        parts = parse_client_order_id(request.client_id)
        if parts is None:
            return request  # not ours to renumber: the resend guard decides
        attempt = max(parts.attempt, FRESH_ATTEMPTS_FROM)
        while True:
            fresh = client_order_id(parts.trade_id, parts.leg, parts.part, attempt, role=parts.role)
            if fresh not in spent and (request.venue, fresh) not in self._sent_ids:
                break
            attempt += 1
        log.info("client id %s was used before the restart; sending %s", request.client_id, fresh)
        return dataclasses.replace(request, client_id=fresh)

    def send_now(
        self,
        trade_id: int,
        purpose: OrderPurpose,
        leg: Leg,
        request: OrderRequest,
        recv_ns: int | None = None,
    ) -> Awaitable[LegOutcome]:
        """Write the order now (hot path: no await before the bytes leave) and return the
        awaitable outcome. `recv_ns` (frame receive time) makes this an entry's
        tick-to-order measurement, taken right after the write."""
        request = self._unspent(trade_id, request)
        key = (request.venue, request.client_id)
        if key in self._sent_ids:
            # A client id is spent once sent: resending it could match an old order's fill.
            # Counters upstream must never produce this; refuse loudly instead of sending.
            log.error("refused to resend client id %s on %s", request.client_id, request.venue)
            self.journal.event(
                "client_id_reuse_refused",
                None,
                trade_id,
                client_id=request.client_id,
                venue=request.venue.value,
            )
            refused = DuplicateClientOrderId(request.venue, f"{request.client_id} already sent")
            return _refused(request, refused, time.perf_counter_ns())
        self._remember(key)
        try:
            pending = leg.client.submit_order_now(request)
        except ExchangeError as exc:  # a connector that refuses before writing
            pending = _raise(exc)
        sent_ns = time.perf_counter_ns()
        self.journal.order_sent(
            trade_id, purpose, request, sent_ns, None if recv_ns is None else sent_ns - recv_ns
        )
        return self._finish(trade_id, leg, request, pending, sent_ns)

    def _remember(self, key: tuple[str, str]) -> None:
        self._sent_ids.add(key)
        self._sent_order.append(key)
        if len(self._sent_order) > SENT_IDS_KEPT:
            self._sent_ids.discard(self._sent_order.popleft())

    async def send(
        self,
        trade_id: int,
        purpose: OrderPurpose,
        leg: Leg,
        request: OrderRequest,
        recv_ns: int | None = None,
    ) -> LegOutcome:
        return await self.send_now(trade_id, purpose, leg, request, recv_ns)

    async def _finish(
        self,
        trade_id: int,
        leg: Leg,
        request: OrderRequest,
        pending: Awaitable[OrderResult],
        sent_ns: int,
    ) -> LegOutcome:
        result: OrderResult | None = None
        error: ExchangeError | None = None
        try:
            result = await pending
            if not result.status.is_final:
                result = await self.tracker.wait_final(
                    leg.client, request.symbol, request.client_id
                )
        except OrderOutcomeUnknown as exc:
            try:
                result = await self.tracker.resolve_unknown(
                    leg.client, request.symbol, request.client_id
                )
            except OrderOutcomeUnknown as still_unknown:
                error = still_unknown
            else:
                if result is None:  # not on the exchange after the grace period
                    error = TransientError(
                        exc.venue, f"order {request.client_id} never reached the exchange"
                    )
        except ExchangeError as exc:
            error = exc
        if isinstance(error, OrderOutcomeUnknown):
            self._unknown.setdefault(trade_id, []).append((leg, request))
        self.journal.order_done(trade_id, request, result, error, time.perf_counter_ns())
        return LegOutcome(request, result, error, sent_ns)

    def unresolved(self, trade_id: int) -> int:
        """Orders of the trade whose outcome is still unknown (SPEC §5.5: never assume
        them rejected; nothing may be balanced on top of them)."""
        return len(self._unknown.get(trade_id, ()))

    async def resolve_unknown_orders(self, trade_id: int) -> list[tuple[Leg, LegOutcome]]:
        """Ask again for the trade's unknown orders; returns those now known, with their
        legs, for the caller to apply. Orders absent after the grace period are dropped
        (never reached the exchange); orders still unknown stay pending."""
        still: list[tuple[Leg, OrderRequest]] = []
        known: list[tuple[Leg, LegOutcome]] = []
        for leg, request in self._unknown.pop(trade_id, []):
            try:
                result = await self.tracker.resolve_unknown(
                    leg.client, request.symbol, request.client_id
                )
            except OrderOutcomeUnknown:
                still.append((leg, request))
                continue
            self.journal.order_done(trade_id, request, result, None, time.perf_counter_ns())
            if result is not None:
                known.append((leg, LegOutcome(request, result, None, 0)))
        if still:
            self._unknown[trade_id] = still
        return known

    async def reduce(
        self,
        trade_id: int,
        purpose: OrderPurpose,
        leg: Leg,
        side: Side,
        qty_base: Decimal,
        client_id: Callable[[int], str],
    ) -> tuple[Decimal, list[LegOutcome]]:
        """Reduce-only market orders until `qty_base` is done or retries run out.

        Returns the quantity done and every outcome. Final rejects stop at once.
        """
        step = leg.instrument.base_step
        left = floor_to_step(qty_base, step)
        done = ZERO
        outcomes: list[LegOutcome] = []
        for attempt, backoff_s in enumerate((0.0, *self.retry_delays_s)):
            if left <= 0:
                break
            delay = retry_delay_s(backoff_s, outcomes[-1].error) if outcomes else 0.0
            if delay:
                await asyncio.sleep(delay)
            await wait_for_trade_budget(leg)
            request = OrderRequest(
                venue=leg.instrument.venue,
                symbol=leg.instrument.symbol,
                side=side,
                qty_base=left,
                client_id=client_id(attempt),
                order_type=OrderType.MARKET,
                tif=TimeInForce.IOC,
                reduce_only=True,
            )
            outcome = await self.send(trade_id, purpose, leg, request)
            outcomes.append(outcome)
            done += outcome.filled_base
            left -= outcome.filled_base
            if not outcome.retryable:
                break
        return done, outcomes


async def wait_for_trade_budget(leg: Leg, max_wait_s: float = MAX_BUDGET_WAIT_S) -> None:
    """Closing orders (rollback, balance, repair, flatten) are not latency bets like entries:
    rather than spend an attempt on our own limiter's refusal, wait (bounded) for a token."""
    for _ in range(round(max_wait_s / BUDGET_POLL_S)):
        if leg.client.trade_budget_available():
            return
        await asyncio.sleep(BUDGET_POLL_S)  # the limiter has no event to wait on


async def _raise(exc: ExchangeError) -> OrderResult:
    raise exc


async def _refused(request: OrderRequest, error: ExchangeError, sent_ns: int) -> LegOutcome:
    return LegOutcome(request, None, error, sent_ns)
