"""Scriptable faults per simulated venue: armed from Python, HTTP or CLI; consumed by servers."""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from arbcore.core.enums import Venue
from arbcore.sim.events import RejectReason

log = logging.getLogger(__name__)


class FaultKind(StrEnum):
    DROP_WS = "drop_ws"
    STALL_WS = "stall_ws"
    SKIP_SEQUENCE = "skip_sequence"
    CORRUPT_CHECKSUM = "corrupt_checksum"
    REJECT_ORDERS = "reject_next_orders"
    RATE_LIMIT = "rate_limit_next"
    DELAY_RESPONSES = "delay_responses"
    PARTIAL_FILL = "partial_fill_next"
    EXECUTE_THEN_TIMEOUT = "execute_then_timeout_next"
    REFUSE_CONNECTIONS = "refuse_connections"


@dataclass(frozen=True, slots=True)
class FaultRecord:
    """One line of the fault log: `armed` when scripted, `applied` each time it hits the wire."""

    kind: FaultKind
    event: str  # "armed" | "applied"
    ts_ms: int
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Budget:
    """A fault armed for the next `left` occurrences (with an optional parameter)."""

    left: int = 0
    value: Any = None


@dataclass(frozen=True, slots=True)
class FaultRates:
    """Standing probabilities per order (0..1), drawn from a seeded generator, on top of
    whatever is armed: refuse with one of `reject_reasons`, execute then time out, fill only
    `partial_fraction` of the order."""

    reject: float = 0.0
    execute_then_timeout: float = 0.0
    partial_fill: float = 0.0
    partial_fraction: float = 0.5
    reject_reasons: tuple[RejectReason, ...] = (RejectReason.SYSTEM_BUSY,)
    seed: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "reject": self.reject,
            "execute_then_timeout": self.execute_then_timeout,
            "partial_fill": self.partial_fill,
            "partial_fraction": self.partial_fraction,
            "reject_reasons": [r.value for r in self.reject_reasons],
            "seed": self.seed,
        }


class FaultController:
    """Faults of one venue. Arming methods are the scripting API; `take_*` methods are consumed
    by the matching core (rejects, partial fills) and the servers (everything on the wire).

    Counters: `armed[kind]` and `applied[kind]`; `log` keeps every record in order.
    """

    def __init__(self, venue: Venue, has_checksum: bool = True) -> None:
        self.venue = venue
        self.has_checksum = has_checksum
        self.armed: Counter[FaultKind] = Counter()
        self.applied: Counter[FaultKind] = Counter()
        self.log: list[FaultRecord] = []
        self._reject = _Budget()
        self._rate_limit = _Budget()
        self._delay = _Budget()
        self._partial = _Budget()
        self._timeout = _Budget()
        self._skip = _Budget()
        self._corrupt = _Budget()
        self._stall_until_s = 0.0
        self._refuse_until_s = 0.0
        self._rates = FaultRates()
        self._rates_rng = random.Random(f"rates:{venue.value}")
        self.drop_ws_hooks: list[Callable[[], None]] = []
        self.refuse_hooks: list[Callable[[float], None]] = []

    # bookkeeping -----------------------------------------------------------------------
    def _record(self, kind: FaultKind, event: str, **params: Any) -> None:
        if event == "armed":
            self.armed[kind] += 1
        else:
            self.applied[kind] += 1
        self.log.append(FaultRecord(kind, event, time.time_ns() // 1_000_000, params))
        log.info("sim fault %s %s", kind.value, event, extra={"venue": self.venue.value, **params})

    def counters(self) -> dict[str, dict[str, int]]:
        """{"armed": {kind: n}, "applied": {kind: n}} for every kind (zeros included)."""
        return {
            "armed": {k.value: self.armed[k] for k in FaultKind},
            "applied": {k.value: self.applied[k] for k in FaultKind},
        }

    # arming (the scripting API) --------------------------------------------------------
    def drop_ws(self) -> None:
        """Close every open WebSocket of this venue now, without a close handshake."""
        self._record(FaultKind.DROP_WS, "armed")
        for hook in list(self.drop_ws_hooks):
            hook()

    def stall_ws(self, seconds: float) -> None:
        """Keep sockets open but send nothing (no data, no pongs) for `seconds`; frames queue up."""
        self._stall_until_s = time.monotonic() + seconds
        self._record(FaultKind.STALL_WS, "armed", seconds=seconds)

    def skip_sequence(self, n: int = 1) -> None:
        """Lose the next `n` book deltas: their sequence numbers are used but never sent."""
        self._skip.left += n
        self._record(FaultKind.SKIP_SEQUENCE, "armed", n=n)

    def corrupt_checksum(self, n: int = 1) -> None:
        """Send the next `n` book deltas with a wrong checksum (venues whose books carry one)."""
        if not self.has_checksum:
            raise ValueError(f"{self.venue.value} book frames carry no checksum")
        self._corrupt.left += n
        self._record(FaultKind.CORRUPT_CHECKSUM, "armed", n=n)

    def reject_next_orders(self, n: int, reason: RejectReason | str) -> None:
        """Refuse the next `n` orders with `reason` (answered with the venue's real error)."""
        self._reject = _Budget(self._reject.left + n, RejectReason(reason))
        self._record(FaultKind.REJECT_ORDERS, "armed", n=n, reason=str(reason))

    def rate_limit_next(self, n: int) -> None:
        """Answer the next `n` REST requests with the venue's rate-limit response."""
        self._rate_limit.left += n
        self._record(FaultKind.RATE_LIMIT, "armed", n=n)

    def delay_responses(self, ms: float, n: int = 1) -> None:
        """Hold the next `n` REST responses for `ms` milliseconds (after the request is handled)."""
        self._delay = _Budget(self._delay.left + n, ms)
        self._record(FaultKind.DELAY_RESPONSES, "armed", ms=ms, n=n)

    def partial_fill_next(self, n: int, fraction: float = 0.5) -> None:
        """Fill only `fraction` of the next `n` orders that would fill (rest cancelled/resting)."""
        if not 0.0 <= fraction < 1.0:
            raise ValueError("fraction must be in [0, 1)")
        self._partial = _Budget(self._partial.left + n, fraction)
        self._record(FaultKind.PARTIAL_FILL, "armed", n=n, fraction=fraction)

    def execute_then_timeout_next(self, n: int = 1) -> None:
        """Execute the next `n` order requests, then close the connection without answering."""
        self._timeout.left += n
        self._record(FaultKind.EXECUTE_THEN_TIMEOUT, "armed", n=n)

    def refuse_connections(self, seconds: float) -> None:
        """Stop listening (connection refused) and drop open sockets for `seconds`."""
        self._refuse_until_s = time.monotonic() + seconds
        self._record(FaultKind.REFUSE_CONNECTIONS, "armed", seconds=seconds)
        for hook in list(self.refuse_hooks):
            hook(seconds)

    def clear(self) -> None:
        """Disarm everything still pending (counters and log are kept)."""
        for budget in (self._reject, self._rate_limit, self._delay, self._partial, self._timeout,
                       self._skip, self._corrupt):  # fmt: skip
            budget.left = 0
        self._stall_until_s = 0.0

    def set_rates(
        self, reject: float = 0.0, execute_then_timeout: float = 0.0, partial_fill: float = 0.0,
        partial_fraction: float = 0.5, reject_reasons: Sequence[str] = ("system_busy",),
        seed: int = 1,
    ) -> FaultRates:  # fmt: skip
        """Standing fault probabilities per order (all 0 switches them off); reseeds the draw."""
        for name, value in (("reject", reject), ("execute_then_timeout", execute_then_timeout),
                            ("partial_fill", partial_fill)):  # fmt: skip
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1]")
        if not 0.0 <= partial_fraction < 1.0:
            raise ValueError("partial_fraction must be in [0, 1)")
        reasons = tuple(RejectReason(r) for r in reject_reasons)
        if not reasons:
            raise ValueError("reject_reasons must name at least one reason")
        self._rates = FaultRates(
            reject, execute_then_timeout, partial_fill, partial_fraction, reasons, seed
        )
        self._rates_rng = random.Random(f"rates:{self.venue.value}:{seed}")
        log.info("sim fault rates %s", self._rates.as_dict(), extra={"venue": self.venue.value})
        return self._rates

    @property
    def rates(self) -> FaultRates:
        return self._rates

    def _roll(self, probability: float, kind: FaultKind, **params: Any) -> bool:
        if probability <= 0.0 or self._rates_rng.random() >= probability:
            return False
        self._record(kind, "applied", by="rate", **params)
        return True

    def apply(self, spec: dict[str, Any]) -> None:
        """Arm from JSON (HTTP/CLI): {"fault": "<kind>", ...params named as in the methods}."""
        params = dict(spec)
        kind = FaultKind(params.pop("fault"))
        method: Callable[..., None] = getattr(self, kind.value)
        method(**params)

    # consumption -----------------------------------------------------------------------
    def _take(self, budget: _Budget, kind: FaultKind) -> bool:
        if budget.left <= 0:
            return False
        budget.left -= 1
        self._record(kind, "applied")
        return True

    def take_reject(self) -> RejectReason | None:
        reason = self._reject.value
        if self._take(self._reject, FaultKind.REJECT_ORDERS):
            return RejectReason(reason)
        rates = self._rates
        if rates.reject > 0.0 and self._rates_rng.random() < rates.reject:
            chosen = self._rates_rng.choice(rates.reject_reasons)
            self._record(FaultKind.REJECT_ORDERS, "applied", by="rate", reason=chosen.value)
            return chosen
        return None

    def take_partial_fill(self) -> float | None:
        fraction = self._partial.value
        if self._take(self._partial, FaultKind.PARTIAL_FILL):
            return float(fraction)
        if self._roll(self._rates.partial_fill, FaultKind.PARTIAL_FILL):
            return self._rates.partial_fraction
        return None

    def take_rate_limit(self) -> bool:
        return self._take(self._rate_limit, FaultKind.RATE_LIMIT)

    def take_delay_ms(self) -> float:
        ms = self._delay.value
        return float(ms) if self._take(self._delay, FaultKind.DELAY_RESPONSES) else 0.0

    def take_execute_then_timeout(self) -> bool:
        if self._take(self._timeout, FaultKind.EXECUTE_THEN_TIMEOUT):
            return True
        return self._roll(self._rates.execute_then_timeout, FaultKind.EXECUTE_THEN_TIMEOUT)

    def take_skip_sequence(self) -> bool:
        return self._take(self._skip, FaultKind.SKIP_SEQUENCE)

    def take_corrupt_checksum(self) -> bool:
        return self._take(self._corrupt, FaultKind.CORRUPT_CHECKSUM)

    def stall_left_s(self) -> float:
        """Seconds the stall still lasts (0 when not stalled)."""
        return max(0.0, self._stall_until_s - time.monotonic())

    def note_stall_applied(self) -> None:
        self._record(FaultKind.STALL_WS, "applied")

    def note_drop_applied(self, sockets: int) -> None:
        self._record(FaultKind.DROP_WS, "applied", sockets=sockets)

    def note_refuse_applied(self) -> None:
        self._record(FaultKind.REFUSE_CONNECTIONS, "applied")

    def refusing(self) -> bool:
        return time.monotonic() < self._refuse_until_s
