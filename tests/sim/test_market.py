"""Market model (seeded paths, divergence episodes), book shaping, depth views, replay files."""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal as D
from pathlib import Path

import aiohttp
import pytest

from arbcore.core.clock import FakeClock
from arbcore.core.enums import Venue
from arbcore.sim.config import SimConfig
from arbcore.sim.instruments import default_instruments
from arbcore.sim.market import BookShaper, DepthView, MarketModel, SimBook
from arbcore.sim.matching import SimExchange
from arbcore.sim.replay import BookRecorder, ReplayDriver, read_replay
from arbcore.sim.testing import running_sim

VENUES = [Venue.BYBIT, Venue.BITGET]


def _mids(seed: int, steps: int) -> list[float]:
    model = MarketModel(SimConfig(seed=seed), {"BTCUSDT": 65000.0}, VENUES)
    out = []
    for _ in range(steps):
        model.step()
        out.append(model.mid(Venue.BYBIT, "BTCUSDT"))
    return out


def test_model_is_deterministic_per_seed() -> None:
    assert _mids(7, 200) == _mids(7, 200)
    assert _mids(7, 200) != _mids(8, 200)


def test_divergence_episodes_sometimes_beat_fees_but_not_always() -> None:
    config = SimConfig(seed=3)
    model = MarketModel(config, {"BTCUSDT": 65000.0}, VENUES)
    fee_hurdle = 2 * (0.00055 + 0.0006)  # entry and exit, taker on both venues
    steps = int(1800 * config.updates_per_s)  # 30 simulated minutes
    above = 0
    for _ in range(steps):
        model.step()
        spread = abs(model.offset(Venue.BYBIT, "BTCUSDT") - model.offset(Venue.BITGET, "BTCUSDT"))
        above += spread > fee_hurdle
    assert 0 < above < steps * 0.3


def test_forced_episode_moves_one_venue_only() -> None:
    model = MarketModel(SimConfig(seed=1), {"BTCUSDT": 65000.0}, VENUES)
    model.start_episode(Venue.BYBIT, "BTCUSDT", size_bps=50, duration_s=10)
    assert model.in_episode(Venue.BYBIT, "BTCUSDT")
    for _ in range(100):  # 5 s: the offset ramps towards the target
        model.step()
    gap = model.offset(Venue.BYBIT, "BTCUSDT") - model.offset(Venue.BITGET, "BTCUSDT")
    assert gap > 0.004


def _shaped_book(depth: int = 50) -> tuple[SimBook, BookShaper]:
    inst = default_instruments(Venue.BYBIT, ["BTC"])[0]
    book = SimBook(inst)
    shaper = BookShaper(book, SimConfig(book_depth=depth), random.Random(1))
    return book, shaper


def test_shaped_book_is_uncrossed_and_full() -> None:
    book, shaper = _shaped_book()
    mid = 65000.0
    rng = random.Random(2)
    for i in range(300):
        mid *= 1 + rng.gauss(0, 0.0002)
        shaper.refresh(mid, i)
        best_bid, best_ask = book.best_bid(), book.best_ask()
        assert best_bid is not None and best_ask is not None
        assert best_bid < best_ask
        assert len(book.bids) == len(book.asks) == 50
        assert abs(float(book.price(best_bid)) - mid) < 0.2


def test_depth_view_diffs_rebuild_the_top_levels() -> None:
    book, shaper = _shaped_book(depth=80)
    shaper.refresh(65000.0, 0)
    view = DepthView(book, 25)
    bids, asks = view.snapshot()
    mirror_bids, mirror_asks = dict(bids), dict(asks)
    mid = 65000.0
    for i in range(200):
        mid += (i % 7 - 3) * 0.3
        shaper.refresh(mid, i)
        bid_changes, ask_changes = view.diff()
        for mirror, changes in ((mirror_bids, bid_changes), (mirror_asks, ask_changes)):
            for tick, steps in changes:
                if steps:
                    mirror[tick] = steps
                else:
                    mirror.pop(tick, None)
        top_bids, top_asks = book.top(25)
        assert mirror_bids == dict(top_bids)
        assert mirror_asks == dict(top_asks)


async def test_replay_of_a_recorded_stream_rebuilds_the_books(tmp_path: Path) -> None:
    source = SimExchange(Venue.BYBIT, default_instruments(Venue.BYBIT, ["BTC"]), D(0), D(0))
    book = source.books["BTCUSDT"]
    shaper = BookShaper(book, SimConfig(book_depth=30), random.Random(5))
    shaper.refresh(65000.0, 1000)
    path = tmp_path / "books.jsonl"
    with path.open("w", encoding="utf-8") as out:
        recorder = BookRecorder(out, Venue.BYBIT)
        recorder.write_snapshot(book)
        book.listeners.append(recorder)
        for i in range(50):
            shaper.refresh(65000.0 + i * 0.7, 2000 + i)
    target = SimExchange(Venue.BYBIT, default_instruments(Venue.BYBIT, ["BTC"]), D(0), D(0))
    driver = ReplayDriver(path, {Venue.BYBIT: target}, speed=1000.0, clock=FakeClock())
    driver.prime()
    assert driver.applied == 1
    await asyncio.wait_for(driver.run(), timeout=10)
    assert driver.applied == 51 == recorder.lines
    assert target.books["BTCUSDT"].bids == book.bids
    assert target.books["BTCUSDT"].asks == book.asks


def test_replay_rejects_malformed_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"ts_ms": 1, "venue": "bybit", "symbol": "BTCUSDT", "type": "nope"}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:1"):
        list(read_replay(path))


def test_incremental_reshaping_matches_the_full_grid_even_after_fills() -> None:
    book, shaper = _shaped_book(depth=40)
    rng = random.Random(9)
    mid = 65000.0
    for i in range(400):
        mid *= 1 + rng.gauss(0, 0.0003)
        if i % 37 == 0 and book.asks:  # a fill eats the best ask level
            best = min(book.asks)
            book.apply([], [(best, 0)], i)
        shaper.refresh(mid, i)
        bid_grid, ask_grid, best_bid, best_ask = shaper._grid(mid)
        assert set(book.bids) == {*bid_grid, best_bid}
        assert set(book.asks) == {*ask_grid, best_ask}
        assert all(q > 0 for q in (*book.bids.values(), *book.asks.values()))


async def test_a_running_venue_serves_a_replayed_book(tmp_path: Path) -> None:
    path = tmp_path / "replay.jsonl"
    lines = [
        {"ts_ms": 1, "venue": "bybit", "symbol": "BTCUSDT", "type": "snapshot",
         "bids": [["64000.0", "1.000"], ["63999.9", "2.000"]], "asks": [["64000.1", "0.500"]]},
        {"ts_ms": 1, "venue": "bitget", "symbol": "BTCUSDT", "type": "snapshot",
         "bids": [["1.0", "1.000"]], "asks": [["2.0", "1.000"]]},  # not running: skipped
        {"ts_ms": 20, "venue": "bybit", "symbol": "BTCUSDT", "type": "delta",
         "bids": [["64000.0", "0"]], "asks": [["64000.2", "3.000"]]},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    config = SimConfig(coins=("BTC",), replay_file=path, replay_speed=10.0)
    async with running_sim([Venue.BYBIT], config=config) as sim:
        book = sim.exchange(Venue.BYBIT).books["BTCUSDT"]
        for _ in range(100):
            if book.seq >= 2:
                break
            await asyncio.sleep(0.01)
        async with aiohttp.ClientSession() as http:
            url = f"{sim.endpoints[Venue.BYBIT].rest_url}/v5/market/orderbook"
            params = {"category": "linear", "symbol": "BTCUSDT", "limit": "5"}
            async with http.get(url, params=params) as resp:
                result = (await resp.json())["result"]
    assert result["b"] == [["63999.9", "2.000"]]
    assert result["a"] == [["64000.1", "0.500"], ["64000.2", "3.000"]]
