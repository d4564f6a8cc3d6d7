"""Validation of a Pair against every exchange's instrument limits (SPEC §4), and part sizing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from arbcore.core.enums import Venue
from arbcore.core.models import Instrument, PairSpec, shared_base_step
from arbcore.core.quantize import floor_to_step, fmt


@dataclass(frozen=True, slots=True)
class LimitViolation:
    venue: Venue | None
    limit: str
    message: str

    def __str__(self) -> str:
        where = f"{self.venue}: " if self.venue else ""
        return f"{where}{self.limit}: {self.message}"


def part_quantity(volume_base: Decimal, parts: int, step_base: Decimal) -> Decimal:
    """Base quantity of one part: volume/parts floored to the shared step."""
    return floor_to_step(volume_base / parts, step_base)


def validate_pair(
    spec: PairSpec,
    instruments: Mapping[Venue, Instrument | None],
    reference_price: Mapping[Venue, float] | None = None,
) -> list[LimitViolation]:
    """Everything that keeps this Pair from trading, each naming the exchange and the limit.

    `instruments` maps every exchange of the Pair to its instrument for the symbol (None
    when the exchange does not list it). `reference_price` (e.g. last mid) enables the
    minimum-notional check; without it that check is skipped.
    """
    problems: list[LimitViolation] = []
    if len(set(spec.exchanges)) < 2:
        problems.append(LimitViolation(None, "exchanges", "a Pair needs at least two exchanges"))
    if spec.entry_parts < 1 or spec.exit_parts < 1:
        problems.append(LimitViolation(None, "parts", "entry_parts and exit_parts must be >= 1"))
    if spec.volume_base <= 0:
        problems.append(LimitViolation(None, "volume", "volume must be positive"))
    trading = [v for v in spec.exchanges if v not in spec.price_only]
    if len(trading) < 2:
        problems.append(
            LimitViolation(None, "exchanges", "at least two exchanges must trade (trade: true)")
        )
    known: list[Instrument] = []
    for venue in spec.exchanges:
        inst = instruments.get(venue)
        if inst is None:
            problems.append(
                LimitViolation(venue, "symbol", f"{spec.symbol} is not listed on {venue}")
            )
            continue
        if venue in trading:
            if not inst.trading:
                problems.append(LimitViolation(venue, "status", f"{spec.symbol} is not trading"))
            known.append(inst)
    if problems or not known:
        return problems
    step = shared_base_step(known)
    checks = [("entry_parts", spec.entry_parts)]
    if spec.exit_parts != spec.entry_parts:
        checks.append(("exit_parts", spec.exit_parts))
    for parts_name, parts in checks:
        part = part_quantity(spec.volume_base, parts, step)
        for inst in known:
            problems.extend(_check_part(inst, part, step, parts_name, spec, reference_price))
    for inst in known:
        if Decimal(spec.leverage) > inst.max_leverage:
            problems.append(
                LimitViolation(
                    inst.venue,
                    "max_leverage",
                    f"leverage {spec.leverage} exceeds the maximum {fmt(inst.max_leverage)}",
                )
            )
    return problems


def _check_part(
    inst: Instrument,
    part_base: Decimal,
    step: Decimal,
    parts_name: str,
    spec: PairSpec,
    reference_price: Mapping[Venue, float] | None,
) -> list[LimitViolation]:
    out: list[LimitViolation] = []
    parts = getattr(spec, parts_name)
    per = f"one part ({parts_name}={parts}) is {fmt(part_base)} {inst.base}"
    if part_base != spec.volume_base / parts:
        per += f" (volume {fmt(spec.volume_base)} / {parts} on the common step {fmt(step)})"
    if part_base < inst.min_qty_base:
        out.append(
            LimitViolation(
                inst.venue,
                "min_qty",
                f"{per}, below the minimum order quantity {fmt(inst.min_qty_base)} {inst.base}",
            )
        )
    if inst.max_qty is not None and part_base > inst.to_base_qty(inst.max_qty):
        out.append(
            LimitViolation(
                inst.venue,
                "max_qty",
                f"{per}, above the maximum {fmt(inst.to_base_qty(inst.max_qty))} {inst.base}",
            )
        )
    if reference_price is not None and inst.venue in reference_price:
        notional = part_base * Decimal(repr(reference_price[inst.venue]))
        if notional < inst.min_notional_usdt:
            out.append(
                LimitViolation(
                    inst.venue,
                    "min_notional",
                    f"{per}, about {notional:.2f} USDT, below the minimum notional "
                    f"{fmt(inst.min_notional_usdt)} USDT",
                )
            )
    return out
