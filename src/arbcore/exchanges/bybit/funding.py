"""Funding payments from Bybit executions since a time (7-day windows, cursor pages); fills.

GET /v5/execution/list (Get Trade History): sorted by execTime, newest first; `limit` in
[1, 100], default 50 (a request without it silently ends after 50); the next page is asked
with `cursor` = the previous page's `nextPageCursor`; startTime..endTime at most 7 days apart,
startTime alone means startTime..startTime + 7 days, neither means the last 7 days; a unified
account keeps the past 730 days. Every page goes through the client's rate limiter (QUERY).

Our estimate of the server's clock may trail a payment booked "now", so the newest window is
sent with startTime only (its range runs 7 days on from startTime) and starts at least a
margin less than 7 days before our now. Windows share their boundary millisecond (the doc
does not say whether the bounds are inclusive): executions are de-duplicated by execId.
"""

from __future__ import annotations

from arbcore.core.errors import ExchangeError
from arbcore.exchanges.bybit import constants as C
from arbcore.exchanges.bybit import schemas as S
from arbcore.exchanges.bybit.parsing import to_int
from arbcore.exchanges.bybit.rest import VENUE, BybitRest
from arbcore.exchanges.paging import retained_windows

FUNDING = "Funding"


def execution_windows(since_ms: int, now_ms: int) -> list[tuple[int, int | None]]:
    """(startTime, endTime) of each request window covering since..now, oldest first; the
    newest has no endTime. `since_ms` older than the 730 days Bybit keeps is moved up (logged)."""
    return retained_windows(
        since_ms, now_ms, C.EXEC_SPAN_MS, C.EXEC_KEEP_MS, C.EXEC_CLOCK_MARGIN_MS, "bybit executions"
    )


async def walk_executions(
    rest: BybitRest,
    symbol: str,
    *,
    client_id: str = "",
    exec_type: str = "",
    window: tuple[int, int | None] | None = None,
    limit: int = C.EXEC_PAGE_LIMIT,
) -> list[S.Execution]:
    """Every execution one query matches, newest first, following `nextPageCursor` until it
    is empty (a short page is not taken as the end: the doc does not promise full pages)."""
    out: list[S.Execution] = []
    cursor = ""
    seen: set[str] = set()
    start_ms, end_ms = window if window is not None else (None, None)
    for _ in range(C.EXEC_MAX_PAGES):
        page = await rest.execution_page(
            symbol,
            limit=limit,
            cursor=cursor,
            client_id=client_id,
            exec_type=exec_type,
            start_ms=start_ms,
            end_ms=end_ms,
        )
        out += page.list
        cursor = page.nextPageCursor
        if not page.list or not cursor:
            return out
        if cursor in seen:
            raise ExchangeError(
                VENUE, f"{symbol} executions {window}: nextPageCursor {cursor} came back again"
            )
        seen.add(cursor)
    # A partial list would be summed as if it were whole: say so instead (the engine then
    # journals the funding as unknown rather than recording a wrong number).
    raise ExchangeError(
        VENUE,
        f"{symbol} {exec_type or 'all'} executions {client_id or window}: still more after "
        f"{C.EXEC_MAX_PAGES} pages of {limit}; refusing to return a partial list",
    )


async def collect_funding(
    rest: BybitRest,
    symbol: str,
    since_ms: int,
    now_ms: int,
    limit: int = C.EXEC_PAGE_LIMIT,
) -> list[S.Execution]:
    """Each Funding execution of `symbol` since `since_ms` once, oldest first."""
    found: dict[str, S.Execution] = {}
    for window in execution_windows(since_ms, now_ms):
        for row in await walk_executions(
            rest, symbol, exec_type=FUNDING, window=window, limit=limit
        ):
            if row.execType == FUNDING and row.symbol == symbol:
                found.setdefault(row.execId, row)
    return sorted(found.values(), key=lambda e: (to_int(e.execTime), e.execId))
