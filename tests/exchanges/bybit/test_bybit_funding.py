"""Bybit funding payments from /v5/execution/list: every cursor page of every 7-day window."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from tests.exchanges.funding_sim import holding_long
from tests.sim.shifted_clock import ShiftedClock, settle_at

from arbcore.core.clock import SYSTEM_CLOCK
from arbcore.core.enums import Venue
from arbcore.core.errors import ExchangeError
from arbcore.exchanges.bybit import constants as C
from arbcore.exchanges.bybit import schemas as S
from arbcore.exchanges.bybit.client import BybitClient
from arbcore.exchanges.bybit.funding import collect_funding, execution_windows, walk_executions
from arbcore.sim.testing import RunningSim

SYMBOL = "BTCUSDT"
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
NOW = 1_750_000_000_000


def test_forty_days_make_six_windows_newest_with_start_time_only() -> None:
    since = NOW - 40 * DAY_MS
    windows = execution_windows(since, NOW)
    assert len(windows) == 6
    assert windows[0][0] == since and windows[-1][1] is None
    for (start, end), (next_start, _) in itertools.pairwise(windows):
        assert end == next_start and end is not None  # shared ms: executions de-duplicated
        assert end - start <= C.EXEC_SPAN_MS
    # startTime alone covers startTime..startTime + 7 days: past a server clock up to the
    # margin ahead of ours
    newest = windows[-1][0]
    assert newest + C.EXEC_SPAN_MS >= NOW + C.EXEC_CLOCK_MARGIN_MS


def test_short_range_is_one_window_and_old_since_is_clamped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert execution_windows(NOW - DAY_MS, NOW) == [(NOW - DAY_MS, None)]
    assert execution_windows(NOW + 5, NOW) == [(NOW + 5, None)]  # our clock trails: still asked
    with caplog.at_level(logging.WARNING):
        windows = execution_windows(NOW - 800 * DAY_MS, NOW)
    assert "730 days" in caplog.text
    assert windows[0][0] == NOW - C.EXEC_KEEP_MS + C.EXEC_CLOCK_MARGIN_MS
    assert windows[-1][1] is None and NOW - windows[-1][0] <= C.EXEC_SPAN_MS


class PagesRest:
    """A stand-in for BybitRest.execution_page answering from a fixed list of pages."""

    def __init__(self, pages: list[tuple[list[str], str]]) -> None:
        self.pages = pages
        self.calls: list[dict[str, Any]] = []

    async def execution_page(self, symbol: str, **params: Any) -> S.ExecutionListResult:
        self.calls.append(params)
        ids, cursor = self.pages[len(self.calls) - 1]
        rows = [S.Execution(i, symbol, "Buy", "1", "1", execType="Funding") for i in ids]
        return S.ExecutionListResult(rows, nextPageCursor=cursor)


async def test_walk_follows_the_cursor_and_stops_on_an_empty_page() -> None:
    # Recorded Bybit answers carry a cursor even on what may be the last page.
    rest = PagesRest([(["a", "b"], "c1"), (["c"], "c2"), ([], "c3")])
    rows = await walk_executions(rest, SYMBOL, exec_type="Funding", window=(1, None))  # type: ignore[arg-type]
    assert [r.execId for r in rows] == ["a", "b", "c"]
    assert [c["cursor"] for c in rest.calls] == ["", "c1", "c2"]
    assert all(c["limit"] == 100 and c["start_ms"] == 1 and c["end_ms"] is None for c in rest.calls)


async def test_walk_refuses_a_cursor_that_comes_back() -> None:
    rest = PagesRest([(["a"], "c1"), (["b"], "c1")])
    with pytest.raises(ExchangeError, match="came back"):
        await walk_executions(rest, SYMBOL, window=(1, None))  # type: ignore[arg-type]


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def held(clock: ShiftedClock) -> AsyncIterator[tuple[RunningSim, BybitClient]]:
    async with holding_long(Venue.BYBIT, clock, "fundlong") as (sim, client):
        assert isinstance(client, BybitClient)
        yield sim, client


@pytest.fixture
def sim(held: tuple[RunningSim, BybitClient]) -> RunningSim:
    return held[0]


@pytest.fixture
def client(held: tuple[RunningSim, BybitClient]) -> BybitClient:
    return held[1]


async def test_more_pages_than_the_cap_is_an_error_not_a_partial_sum(
    sim: RunningSim, client: BybitClient, clock: ShiftedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle_at(sim, clock, [i * HOUR_MS for i in range(45)])
    monkeypatch.setattr(C, "EXEC_MAX_PAGES", 2)  # 2 pages of 20 < 45 executions
    now = SYSTEM_CLOCK.now_ms()
    with pytest.raises(ExchangeError, match="refusing to return a partial list"):
        await collect_funding(client.rest, SYMBOL, now - 3 * DAY_MS, now, limit=20)


async def test_fills_of_one_order_follow_the_cursor(sim: RunningSim, client: BybitClient) -> None:
    fills = await client.fetch_fills(SYMBOL, "fundlong")
    assert sum((f.qty_base for f in fills), Decimal(0)) == Decimal("0.01")
    rows = await walk_executions(client.rest, SYMBOL, client_id="fundlong", limit=1)
    assert [r.execId for r in rows] == [f.trade_id for f in fills]
