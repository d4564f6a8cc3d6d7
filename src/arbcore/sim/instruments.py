"""Per-venue instrument tables of the simulator (ticks, steps, minimums, contract sizes)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from arbcore.core.enums import Venue
from arbcore.core.models import Instrument

D = Decimal


@dataclass(frozen=True, slots=True)
class CoinSpec:
    """Venue-independent facts of one coin used to build instruments and the price model."""

    base: str
    start_price: Decimal
    tick_size: Decimal  # the tick most venues use
    qty_step_base: Decimal  # coin-quoted venues' quantity step
    max_leverage: Decimal


COINS: dict[str, CoinSpec] = {
    "BTC": CoinSpec("BTC", D("65000"), D("0.1"), D("0.001"), D("100")),
    "ETH": CoinSpec("ETH", D("3400"), D("0.01"), D("0.01"), D("100")),
    "SOL": CoinSpec("SOL", D("150"), D("0.01"), D("0.1"), D("75")),
    "XRP": CoinSpec("XRP", D("0.6"), D("0.0001"), D("1"), D("75")),
    "DOGE": CoinSpec("DOGE", D("0.15"), D("0.00001"), D("1"), D("75")),
    "LTC": CoinSpec("LTC", D("80"), D("0.01"), D("0.1"), D("75")),
    "ADA": CoinSpec("ADA", D("0.45"), D("0.0001"), D("1"), D("75")),
    "LINK": CoinSpec("LINK", D("14"), D("0.001"), D("0.1"), D("75")),
}

# Coins per contract on venues that quote quantity in contracts (fact sheets: OKX ctVal,
# Gate quanto_multiplier, HTX contract_size, MEXC contractSize).
_CONTRACT_SIZES: dict[Venue, dict[str, Decimal]] = {
    Venue.OKX: {
        "BTC": D("0.01"), "ETH": D("0.1"), "SOL": D("1"), "XRP": D("100"),
        "DOGE": D("1000"), "LTC": D("1"), "ADA": D("100"), "LINK": D("1"),
    },
    Venue.GATE: {
        "BTC": D("0.0001"), "ETH": D("0.01"), "SOL": D("1"), "XRP": D("10"),
        "DOGE": D("10"), "LTC": D("0.1"), "ADA": D("10"), "LINK": D("1"),
    },
    Venue.HTX: {
        "BTC": D("0.001"), "ETH": D("0.01"), "SOL": D("1"), "XRP": D("10"),
        "DOGE": D("100"), "LTC": D("0.1"), "ADA": D("10"), "LINK": D("0.1"),
    },
    Venue.MEXC: {
        "BTC": D("0.0001"), "ETH": D("0.01"), "SOL": D("0.1"), "XRP": D("1"),
        "DOGE": D("100"), "LTC": D("0.01"), "ADA": D("1"), "LINK": D("0.1"),
    },
}  # fmt: skip

_MIN_NOTIONAL_USDT: dict[Venue, Decimal] = {
    Venue.BYBIT: D("5"),
    Venue.BITGET: D("5"),
    Venue.BINGX: D("2"),
}


def venue_symbol(venue: Venue, base: str, quote: str = "USDT") -> str:
    """The exchange's own id for a USDT perpetual (BTCUSDT, BTC-USDT-SWAP, BTC_USDT, BTC-USDT)."""
    if venue is Venue.OKX:
        return f"{base}-{quote}-SWAP"
    if venue in (Venue.GATE, Venue.MEXC):
        return f"{base}_{quote}"
    if venue in (Venue.HTX, Venue.BINGX):
        return f"{base}-{quote}"
    return f"{base}{quote}"


def build_instrument(venue: Venue, coin: CoinSpec) -> Instrument:
    """The simulator's instrument for one coin on one venue."""
    sizes = _CONTRACT_SIZES.get(venue)
    in_contracts = sizes is not None
    contract_size = sizes[coin.base] if sizes is not None else D(1)
    qty_step = D(1) if in_contracts else coin.qty_step_base
    if venue is Venue.OKX and in_contracts:
        qty_step = D("0.01")
    min_qty = qty_step
    max_qty = (D(1_000_000) if in_contracts else coin.qty_step_base * 1_000_000).normalize()
    return Instrument(
        venue=venue,
        symbol=f"{coin.base}USDT",
        venue_symbol=venue_symbol(venue, coin.base),
        base=coin.base,
        quote="USDT",
        tick_size=coin.tick_size,
        qty_step=qty_step,
        min_qty=min_qty,
        contract_size=contract_size,
        qty_in_contracts=in_contracts,
        min_notional_usdt=_MIN_NOTIONAL_USDT.get(venue, D(0)),
        max_qty=max_qty,
        max_leverage=coin.max_leverage,
    )


def default_instruments(venue: Venue, bases: list[str] | None = None) -> list[Instrument]:
    """Instruments for `bases` (default: every coin in COINS) on `venue`."""
    names = bases if bases is not None else list(COINS)
    unknown = [b for b in names if b not in COINS]
    if unknown:
        raise ValueError(f"no simulator coin spec for {unknown}; known: {sorted(COINS)}")
    return [build_instrument(venue, COINS[b]) for b in names]
