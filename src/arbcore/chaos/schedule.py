"""Seeded fault schedule of a chaos run: every simulator fault type, in shuffled rounds."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from arbcore.core.enums import Venue

# Venues whose book frames carry a checksum the simulator can corrupt.
CHECKSUM_VENUES = frozenset({Venue.BITGET})

# Standing per-order probabilities set on every venue for the whole run.
STANDING_RATES: dict[str, Any] = {
    "reject": 0.05,
    "execute_then_timeout": 0.02,
    "partial_fill": 0.05,
    "partial_fraction": 0.5,
    # what a healthy venue refuses now and then; margin and validation rejects are the
    # engine's own doing and would be wrong on reduce-only closes
    "reject_reasons": ["system_busy"],
}

# Armed faults (POST /__sim/faults kinds); each round arms every one once, in seeded order.
ARMED_KINDS = (
    "drop_ws",
    "stall_ws",
    "skip_sequence",
    "corrupt_checksum",
    "reject_next_orders",
    "rate_limit_next",
    "delay_responses",
    "partial_fill_next",
    "execute_then_timeout_next",
    "refuse_connections",
)


@dataclass(frozen=True, slots=True)
class ScheduledFault:
    """Arm `spec` on `venue` `delay_s` after the previous event."""

    delay_s: float
    venue: Venue
    spec: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.spec["fault"])


@dataclass(frozen=True, slots=True)
class ScheduledEpisode:
    """Force a divergence episode of `size_bps` on `venue` for `symbol` after `delay_s`."""

    delay_s: float
    venue: Venue
    symbol: str
    size_bps: float
    duration_s: float


@dataclass(slots=True)
class ChaosSchedule:
    """Endless, reproducible streams of faults and divergence episodes for one seed."""

    seed: int
    venues: Sequence[Venue]
    symbols: Sequence[str]
    fault_gap_s: tuple[float, float] = (2.0, 5.0)
    episode_gap_s: tuple[float, float] = (0.5, 1.5)
    _fault_rng: random.Random = field(init=False)
    _episode_rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._fault_rng = random.Random(f"chaos:{self.seed}:faults")
        self._episode_rng = random.Random(f"chaos:{self.seed}:episodes")

    def rates(self, venue: Venue) -> dict[str, Any]:
        """The standing rates for `venue` (its own seed so venues draw independently)."""
        return {**STANDING_RATES, "seed": self.seed * 100 + list(Venue).index(venue)}

    def faults(self) -> Iterator[ScheduledFault]:
        """Rounds of every armed kind on every venue that supports it, shuffled per round."""
        rng = self._fault_rng
        while True:
            round_ = [
                (venue, kind)
                for venue in self.venues
                for kind in ARMED_KINDS
                if kind != "corrupt_checksum" or venue in CHECKSUM_VENUES
            ]
            rng.shuffle(round_)
            for venue, kind in round_:
                yield ScheduledFault(rng.uniform(*self.fault_gap_s), venue, self._spec(kind, rng))

    def episodes(self) -> Iterator[ScheduledEpisode]:
        """Divergence episodes on a random venue and symbol, either direction."""
        rng = self._episode_rng
        while True:
            size = rng.uniform(45.0, 90.0) * rng.choice((-1.0, 1.0))
            yield ScheduledEpisode(
                delay_s=rng.uniform(*self.episode_gap_s),
                venue=rng.choice(list(self.venues)),
                symbol=rng.choice(list(self.symbols)),
                size_bps=size,
                duration_s=rng.uniform(1.5, 3.0),
            )

    @staticmethod
    def _spec(kind: str, rng: random.Random) -> dict[str, Any]:
        params: dict[str, Any]
        match kind:
            case "stall_ws":
                params = {"seconds": round(rng.uniform(1.0, 3.0), 2)}
            case "skip_sequence" | "corrupt_checksum":
                params = {"n": 1}
            case "reject_next_orders":
                params = {"n": rng.randint(1, 2), "reason": "system_busy"}
            case "rate_limit_next":
                params = {"n": rng.randint(3, 8)}
            case "delay_responses":
                params = {"ms": rng.randint(200, 800), "n": 3}
            case "partial_fill_next":
                params = {"n": 1, "fraction": round(rng.uniform(0.2, 0.8), 2)}
            case "execute_then_timeout_next":
                params = {"n": 1}
            case "refuse_connections":
                params = {"seconds": round(rng.uniform(0.5, 2.0), 2)}
            case _:
                params = {}
        return {"fault": kind, **params}
