"""SPEC §5.6: compare intended positions with what the exchanges report, per venue and symbol."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from arbcore.core.enums import Venue
from arbcore.exchanges.base import Trading
from arbcore.strategy.position import ArbPosition

ZERO = Decimal(0)
RECHECK_AFTER_S = 0.3  # a position endpoint may lag a fill by a moment

Key = tuple[Venue, str]


@dataclass(frozen=True, slots=True)
class Mismatch:
    venue: Venue
    symbol: str
    intended_base: Decimal  # signed: + long, - short
    reported_base: Decimal

    @property
    def excess_base(self) -> Decimal:
        """Quantity the exchange holds beyond the intended position in the intended
        direction (reducible by a reduce-only order); zero when the gap is the other way."""
        if self.reported_base > 0 and self.reported_base > self.intended_base >= 0:
            return self.reported_base - self.intended_base
        if self.reported_base < 0 and self.reported_base < self.intended_base <= 0:
            return self.intended_base - self.reported_base
        return ZERO

    def __str__(self) -> str:
        return (
            f"{self.venue} {self.symbol}: intended {self.intended_base}, "
            f"exchange reports {self.reported_base}"
        )


def intended_positions(held: Iterable[tuple[str, ArbPosition]]) -> dict[Key, Decimal]:
    """Signed base quantity per (venue, symbol) summed over the open arbitrages."""
    out: dict[Key, Decimal] = {}
    for symbol, pos in held:
        long_key, short_key = (pos.long.venue, symbol), (pos.short.venue, symbol)
        out[long_key] = out.get(long_key, ZERO) + pos.long.qty_base
        out[short_key] = out.get(short_key, ZERO) - pos.short.qty_base
    return out


async def reported_positions(
    clients: Mapping[Venue, Trading], keys: Iterable[Key]
) -> dict[Key, Decimal]:
    """Signed net base quantity per (venue, symbol) as the exchanges report it now."""
    wanted: dict[Venue, set[str]] = {}
    for venue, symbol in keys:
        wanted.setdefault(venue, set()).add(symbol)
    out: dict[Key, Decimal] = {key: ZERO for key in keys}
    results = await asyncio.gather(
        *(clients[v].fetch_positions(sorted(s)) for v, s in wanted.items())
    )
    for venue, positions in zip(wanted, results, strict=True):
        for p in positions:
            if p.symbol in wanted[venue]:
                out[(venue, p.symbol)] += p.qty_base
    return out


def mismatches(
    reported: Mapping[Key, Decimal], intended: Mapping[Key, Decimal], steps: Mapping[Key, Decimal]
) -> list[Mismatch]:
    """Keys where the exchange differs from the intent by at least one quantity step."""
    out = []
    for key in sorted(set(reported) | set(intended)):
        want, have = intended.get(key, ZERO), reported.get(key, ZERO)
        if abs(have - want) >= steps[key]:
            out.append(Mismatch(key[0], key[1], want, have))
    return out
