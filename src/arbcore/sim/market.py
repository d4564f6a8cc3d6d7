"""Market model: fair-price paths, per-venue divergence, and the L2 books it drives."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.enums import Venue
from arbcore.core.models import Instrument
from arbcore.sim.config import SimConfig

Level = tuple[int, int]  # (price in ticks, quantity in qty steps); steps 0 = delete


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """Changed levels of one book update (absolute sizes, 0 deletes), in ticks/steps."""

    seq: int
    ts_ms: int
    bids: list[Level]
    asks: list[Level]
    is_snapshot: bool = False


BookListener = Callable[["SimBook", BookUpdate], None]


def _places(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class SimBook:
    """One venue's L2 book for one instrument; sizes in the venue's unit (contracts or coins).

    Prices are integer ticks, sizes integer quantity steps, so fills are exact. Every change
    bumps `seq` and is pushed to listeners as a `BookUpdate` (listeners run synchronously).
    """

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.bids: dict[int, int] = {}
        self.asks: dict[int, int] = {}
        self.seq = 0
        self.ts_ms = 0
        self.listeners: list[BookListener] = []
        self._px_places = _places(instrument.tick_size)
        self._qty_places = _places(instrument.qty_step)

    # conversions ---------------------------------------------------------------------
    def price(self, ticks: int) -> Decimal:
        return self.instrument.tick_size * ticks

    def qty(self, steps: int) -> Decimal:
        return self.instrument.qty_step * steps

    def price_text(self, ticks: int) -> str:
        """Price with the tick's decimals, as exchanges print it ('65000.1', '0.15012')."""
        return f"{self.price(ticks):.{self._px_places}f}"

    def qty_text(self, steps: int) -> str:
        return f"{self.qty(steps):.{self._qty_places}f}"

    def ticks_of(self, price: Decimal) -> int:
        """Nearest tick index of a price (exact when the price is on the tick grid)."""
        return int((price / self.instrument.tick_size).to_integral_value())

    def steps_of(self, qty: Decimal) -> int:
        return int((qty / self.instrument.qty_step).to_integral_value())

    # reading -------------------------------------------------------------------------
    def best_bid(self) -> int | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> int | None:
        return min(self.asks) if self.asks else None

    def mid_price(self) -> Decimal | None:
        bid, ask = self.best_bid(), self.best_ask()
        if bid is None or ask is None:
            return None
        return self.price(bid + ask) / 2

    def top(self, depth: int | None = None) -> tuple[list[Level], list[Level]]:
        """Best `depth` levels per side (bids descending, asks ascending)."""
        bids = sorted(self.bids.items(), reverse=True)
        asks = sorted(self.asks.items())
        if depth is not None:
            return bids[:depth], asks[:depth]
        return bids, asks

    # writing -------------------------------------------------------------------------
    def apply(
        self, bids: Iterable[Level], asks: Iterable[Level], ts_ms: int, snapshot: bool = False
    ) -> BookUpdate:
        """Set levels (steps 0 deletes), bump seq, notify listeners; returns the update."""
        if snapshot:
            self.bids.clear()
            self.asks.clear()
        bid_list, ask_list = list(bids), list(asks)
        for side, levels in ((self.bids, bid_list), (self.asks, ask_list)):
            for tick, steps in levels:
                if steps > 0:
                    side[tick] = steps
                else:
                    side.pop(tick, None)
        self.seq += 1
        self.ts_ms = ts_ms
        update = BookUpdate(self.seq, ts_ms, bid_list, ask_list, snapshot)
        for listener in list(self.listeners):
            listener(self, update)
        return update


class DepthView:
    """The top `depth` levels of a book as a stream of diffs (what a depth-N channel pushes).

    `diff()` returns the levels that changed inside the view since the last call, including
    deletions of levels pushed out of the top N and additions of levels that moved into it.
    """

    def __init__(self, book: SimBook, depth: int) -> None:
        self.book = book
        self.depth = depth
        self._bids: dict[int, int] = {}
        self._asks: dict[int, int] = {}

    def snapshot(self) -> tuple[list[Level], list[Level]]:
        """Current top levels; resets the diff base."""
        bids, asks = self.book.top(self.depth)
        self._bids, self._asks = dict(bids), dict(asks)
        return bids, asks

    def diff(self) -> tuple[list[Level], list[Level]]:
        bids, asks = self.book.top(self.depth)
        new_bids, new_asks = dict(bids), dict(asks)
        bid_changes = _diff_side(self._bids, new_bids, reverse=True)
        ask_changes = _diff_side(self._asks, new_asks, reverse=False)
        self._bids, self._asks = new_bids, new_asks
        return bid_changes, ask_changes

    def levels(self) -> tuple[list[Level], list[Level]]:
        """The view as last sent (bids descending, asks ascending)."""
        return sorted(self._bids.items(), reverse=True), sorted(self._asks.items())


def _diff_side(old: dict[int, int], new: dict[int, int], reverse: bool) -> list[Level]:
    changes = [(tick, 0) for tick in old if tick not in new]
    changes.extend((tick, qty) for tick, qty in new.items() if old.get(tick) != qty)
    changes.sort(reverse=reverse)
    return changes


@dataclass(slots=True)
class _OffsetState:
    rng: random.Random
    offset: float = 0.0
    episode_target: float = 0.0
    episode_left_s: float = 0.0


@dataclass(slots=True)
class _FairState:
    rng: random.Random
    price: float


@dataclass(slots=True)
class MarketModel:
    """Seedable price paths: fair price per symbol, mean-reverting offset per venue and symbol.

    mid(venue, symbol) = fair(symbol) * (1 + offset(venue, symbol)). Offsets follow an
    Ornstein-Uhlenbeck process; divergence episodes pull one venue's offset towards a random
    target of `episode_size_bps` for about `episode_duration_s`, so net cross-venue spreads
    sometimes exceed fees. `step()` advances one fixed interval (1 / updates_per_s seconds).
    """

    config: SimConfig
    start_prices: dict[str, float]
    venues: Sequence[Venue]
    dt_s: float = 0.05
    steps: int = 0
    _fair: dict[str, _FairState] = field(default_factory=dict)
    _offsets: dict[tuple[Venue, str], _OffsetState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seed = self.config.seed
        self.dt_s = 1.0 / self.config.updates_per_s
        for symbol, price in self.start_prices.items():
            self._fair[symbol] = _FairState(random.Random(f"{seed}:fair:{symbol}"), price)
            for venue in self.venues:
                rng = random.Random(f"{seed}:offset:{venue.value}:{symbol}")
                self._offsets[(venue, symbol)] = _OffsetState(rng)

    def fair(self, symbol: str) -> float:
        return self._fair[symbol].price

    def offset(self, venue: Venue, symbol: str) -> float:
        return self._offsets[(venue, symbol)].offset

    def mid(self, venue: Venue, symbol: str) -> float:
        return self.fair(symbol) * (1.0 + self.offset(venue, symbol))

    def in_episode(self, venue: Venue, symbol: str) -> bool:
        return self._offsets[(venue, symbol)].episode_left_s > 0

    def start_episode(self, venue: Venue, symbol: str, size_bps: float, duration_s: float) -> None:
        """Force a divergence episode now (tests, demos): offset pulled to size_bps."""
        state = self._offsets[(venue, symbol)]
        state.episode_target = size_bps / 1e4
        state.episode_left_s = duration_s

    def step(self) -> None:
        dt = self.dt_s
        vol = self.config.volatility_bps_per_sqrt_s / 1e4
        for fair in self._fair.values():
            fair.price *= math.exp(fair.rng.gauss(0.0, vol * math.sqrt(dt)))
        div = self.config.divergence
        pull = 1.0 - math.exp(-math.log(2) * dt / div.half_life_s)
        noise = div.noise_bps_per_sqrt_s / 1e4 * math.sqrt(dt)
        start_p = dt / div.episode_every_s if div.episode_every_s > 0 else 0.0
        for state in self._offsets.values():
            rng = state.rng
            if state.episode_left_s > 0:
                state.episode_left_s -= dt
                target = state.episode_target if state.episode_left_s > 0 else 0.0
                state.offset += (target - state.offset) * min(1.0, 4 * pull)
            else:
                state.offset += -state.offset * pull
                if rng.random() < start_p:
                    size = rng.expovariate(1.0) * div.episode_size_bps / 1e4
                    state.episode_target = size if rng.random() < 0.5 else -size
                    state.episode_left_s = div.episode_duration_s * rng.uniform(0.5, 1.5)
            state.offset += rng.gauss(0.0, noise)
        self.steps += 1


class BookShaper:
    """Keeps a SimBook shaped around a mid price: level grid, sizes, churn (one per book)."""

    def __init__(self, book: SimBook, config: SimConfig, rng: random.Random) -> None:
        self.book = book
        self.config = config
        self.rng = rng
        inst = book.instrument
        self._tick = float(inst.tick_size)
        self._unit_base = float(inst.qty_step * inst.contract_size)
        self._last_bids: tuple[range, int] | None = None
        self._last_asks: tuple[range, int] | None = None

    def _size_steps(self, price: float) -> int:
        notional = self.config.level_notional_usdt * self.rng.lognormvariate(0.0, 0.6)
        return max(1, int(notional / price / self._unit_base))

    def _grid(self, mid: float) -> tuple[range, range, int, int]:
        """Level ticks per side: the best level, then every `gap`-th tick (an arithmetic grid,
        anchored to absolute ticks so a small move only changes the edges)."""
        tick = self._tick
        depth = self.config.book_depth
        gap = max(1, round(mid * self.config.level_gap_bps / 1e4 / tick))
        best_bid = math.floor(mid / tick)
        if best_bid * tick >= mid:
            best_bid -= 1
        best_ask = best_bid + 1
        first_bid = (best_bid - 1) // gap * gap
        first_ask = -((-(best_ask + 1)) // gap) * gap
        bids = range(first_bid, max(0, first_bid - (depth - 1) * gap), -gap)
        asks = range(first_ask, first_ask + (depth - 1) * gap, gap)
        return bids, asks, best_bid, best_ask

    def refresh(self, mid: float, ts_ms: int) -> BookUpdate:
        """Move the book to `mid`: new edge levels, dropped stale levels, a few re-sized ones."""
        bid_grid, ask_grid, best_bid, best_ask = self._grid(mid)
        bids = self._side_delta(self.book.bids, bid_grid, best_bid, self._last_bids)
        asks = self._side_delta(self.book.asks, ask_grid, best_ask, self._last_asks)
        self._last_bids = (bid_grid, best_bid)
        self._last_asks = (ask_grid, best_ask)
        return self.book.apply(sorted(bids.items(), reverse=True), sorted(asks.items()), ts_ms)

    def _side_delta(
        self, side: dict[int, int], grid: range, best: int, last: tuple[range, int] | None
    ) -> dict[int, int]:
        """Level changes of one side. Grids are arithmetic, so a shift only touches the
        edges; after fills (levels missing) or a new gap the sets are compared in full."""
        tick = self._tick
        expected = len(grid) + (best > 0 and best not in grid)
        delta: dict[int, int] = {}
        if last is None or last[0].step != grid.step or len(side) != _grid_size(*last):
            wanted = set(grid)
            if best > 0:
                wanted.add(best)
            delta = dict.fromkeys(side.keys() - wanted, 0)
            delta.update((t, self._size_steps(t * tick)) for t in wanted - side.keys())
        else:
            old_grid, old_best = last
            for t in _outside(old_grid, grid):
                delta[t] = 0
            if old_best not in grid and old_best != best:
                delta[old_best] = 0
            for t in _outside(grid, old_grid):
                if t not in side or delta.get(t) == 0:
                    delta[t] = self._size_steps(t * tick)
            if best > 0 and (best not in side or delta.get(best) == 0):
                delta[best] = self._size_steps(best * tick)
        for _ in range(min(self.config.churn_levels, expected)):
            index = int(self.rng.expovariate(0.1))
            t = best if index == 0 or best <= 0 else grid[min(len(grid) - 1, index - 1)]
            delta[t] = self._size_steps(t * tick)
        return delta


def _grid_size(grid: range, best: int) -> int:
    return len(grid) + (best > 0 and best not in grid)


def _outside(levels: range, other: range) -> list[int]:
    """Elements of `levels` not in `other`; O(changed) for aligned grids of the same step."""
    offset = other.start - levels.start
    if levels.step != other.step or offset % levels.step:
        return [t for t in levels if t not in other]
    shift = offset // levels.step
    low, high = max(0, shift), min(len(levels), shift + len(other))
    if low >= high:
        return list(levels)
    return [*levels[:low], *levels[high:]]
