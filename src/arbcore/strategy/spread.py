"""Pure math of SPEC §2: depth-walk prices, gross/net entry spread, best venue pair, closing pnl.

Floats on purpose (hot path; a decision tolerates 1e-12 relative error). Accounting of
what really happened is Decimal elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from arbcore.core.enums import Venue


class DepthSource(Protocol):
    """What the spread math needs from a book (arbcore.market.book.L2Book satisfies it)."""

    def buy_px(self, qty: float) -> float | None: ...

    def sell_px(self, qty: float) -> float | None: ...

    def is_stale(self, now_ns: int, stale_after_ms: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class EntryQuote:
    """The best way to enter now: buy `qty` on `long_venue`, sell it on `short_venue`."""

    long_venue: Venue
    short_venue: Venue
    buy_px: float  # depth-walk average on the long venue's asks
    sell_px: float  # depth-walk average on the short venue's bids
    gross_spread: float  # fraction, not percent
    net_spread: float  # fraction, after entry and exit taker fees on both venues

    @property
    def net_spread_pct(self) -> float:
        return self.net_spread * 100.0


def gross_entry_spread(buy_px_long: float, sell_px_short: float) -> float:
    """s_in = (sell_px(H) - buy_px(L)) / buy_px(L)."""
    return (sell_px_short - buy_px_long) / buy_px_long


def net_entry_spread(
    buy_px_long: float, sell_px_short: float, fee_long: float, fee_short: float
) -> float:
    """n_in = s_in - 2 * (fee(L) + fee(H)): entry and exit, both taker, on both venues.

    A negative fee is a rebate and increases the spread; its sign is never flipped.
    """
    return gross_entry_spread(buy_px_long, sell_px_short) - 2.0 * (fee_long + fee_short)


def fresh_prices(
    book: DepthSource | None, qty: float, now_ns: int, stale_after_ms: int
) -> tuple[float | None, float | None]:
    """(buy_px, sell_px) for qty; None for a side whose depth is short, both None when the
    book is missing or stale."""
    if book is None or book.is_stale(now_ns, stale_after_ms):
        return None, None
    return book.buy_px(qty), book.sell_px(qty)


def best_entry(
    books: Mapping[Venue, DepthSource | None],
    venues: Sequence[Venue],
    qty: float,
    fees: Mapping[Venue, float],
    now_ns: int,
    stale_after_ms: int,
) -> EntryQuote | None:
    """Among all ordered pairs (L, H), L != H, of the tradable `venues`, the largest n_in.

    Stale books, missing books and depth shorter than `qty` take no part. Returns None
    when no pair has prices on both sides (the caller compares with its threshold).
    """
    prices: list[tuple[Venue, float | None, float | None]] = []
    for venue in venues:
        buy, sell = fresh_prices(books.get(venue), qty, now_ns, stale_after_ms)
        prices.append((venue, buy, sell))
    best: EntryQuote | None = None
    for long_venue, buy, _ in prices:
        if buy is None:
            continue
        fee_long = fees[long_venue]
        for short_venue, _, sell in prices:
            if sell is None or short_venue is long_venue:
                continue
            net = net_entry_spread(buy, sell, fee_long, fees[short_venue])
            if best is None or net > best.net_spread:
                best = EntryQuote(
                    long_venue=long_venue,
                    short_venue=short_venue,
                    buy_px=buy,
                    sell_px=sell,
                    gross_spread=gross_entry_spread(buy, sell),
                    net_spread=net,
                )
    return best


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """A hedged pair as the pnl formula sees it (floats for the hot path)."""

    qty: float  # Q, base coin, the same on both legs
    long_avg_px: float  # P_L
    short_avg_px: float  # P_H
    entry_fees_usdt: float  # F_in
    funding_received_usdt: float = 0.0


def closing_pnl(
    pos: OpenPosition,
    sell_px_long: float,
    buy_px_short: float,
    fee_long: float,
    fee_short: float,
) -> float:
    """pnl = Q(sell_px(L,Q) - P_L) + Q(P_H - buy_px(H,Q)) - F_in
    - Q(sell_px(L,Q) fee(L) + buy_px(H,Q) fee(H)) + funding_received."""
    q = pos.qty
    return (
        q * (sell_px_long - pos.long_avg_px)
        + q * (pos.short_avg_px - buy_px_short)
        - pos.entry_fees_usdt
        - q * (sell_px_long * fee_long + buy_px_short * fee_short)
        + pos.funding_received_usdt
    )


def pnl_pct(pnl: float, pos: OpenPosition) -> float:
    """pnl / (Q * P_L) * 100."""
    return pnl / (pos.qty * pos.long_avg_px) * 100.0


def closing_pnl_pct(
    pos: OpenPosition,
    long_book: DepthSource | None,
    short_book: DepthSource | None,
    fee_long: float,
    fee_short: float,
    now_ns: int,
    stale_after_ms: int,
) -> float | None:
    """pnl % of closing now by walking both books; None if either book is stale or short."""
    if long_book is None or short_book is None:
        return None
    if long_book.is_stale(now_ns, stale_after_ms) or short_book.is_stale(now_ns, stale_after_ms):
        return None
    sell_long = long_book.sell_px(pos.qty)
    buy_short = short_book.buy_px(pos.qty)
    if sell_long is None or buy_short is None:
        return None
    return pnl_pct(closing_pnl(pos, sell_long, buy_short, fee_long, fee_short), pos)
