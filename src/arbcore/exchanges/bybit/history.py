"""Every Bybit linear order of a symbol since a time: open, recently closed and history pages.

`/v5/order/history` takes at most 7 days between startTime and endTime, keeps fully
cancelled/rejected orders 24 hours only and indexes with a delay, so the walk also reads
`/v5/order/realtime` with openOnly=0 (open orders) and openOnly=1 (the last 500 closed).
Each list is paginated with `nextPageCursor`. Orders carry `cumExecFee` (USDT, positive
when paid), so no execution lookups are needed.
"""

from __future__ import annotations

from arbcore.exchanges.bybit import constants as C
from arbcore.exchanges.bybit import schemas as S
from arbcore.exchanges.bybit.parsing import to_int
from arbcore.exchanges.bybit.rest import BybitRest
from arbcore.exchanges.paging import history_windows

_FINAL = frozenset({"Filled", "Cancelled", "Rejected", "Deactivated", "PartiallyFilledCanceled"})


def _newer(a: S.OrderInfo, b: S.OrderInfo) -> S.OrderInfo:
    """The later record of one order: a final state wins, then the later update."""
    a_final, b_final = a.orderStatus in _FINAL, b.orderStatus in _FINAL
    if a_final != b_final:
        return a if a_final else b
    return a if to_int(a.updatedTime) >= to_int(b.updatedTime) else b


async def _walk(
    rest: BybitRest,
    path: str,
    symbol: str,
    limit: int,
    *,
    open_only: int | None = None,
    window: tuple[int, int] | None = None,
) -> list[S.OrderInfo]:
    out: list[S.OrderInfo] = []
    cursor = ""
    seen_cursors: set[str] = set()
    while True:
        page = await rest.order_page(
            path,
            symbol,
            limit=limit,
            cursor=cursor,
            open_only=open_only,
            start_ms=window[0] if window else None,
            end_ms=window[1] if window else None,
        )
        out.extend(page.list)
        cursor = page.nextPageCursor
        if not page.list or not cursor or cursor in seen_cursors:
            return out
        seen_cursors.add(cursor)


async def collect_orders(
    rest: BybitRest, symbol: str, since_ms: int, now_ms: int, limit: int = C.ORDERS_PAGE_LIMIT
) -> list[S.OrderInfo]:
    """Each order created at or after `since_ms` once (its latest state), oldest first."""
    rows: list[S.OrderInfo] = []
    rows += await _walk(rest, C.PATH_ORDER_REALTIME, symbol, limit, open_only=0)
    rows += await _walk(rest, C.PATH_ORDER_REALTIME, symbol, limit, open_only=1)
    for window in history_windows(since_ms, now_ms, C.HISTORY_WINDOW_MS):
        rows += await _walk(rest, C.PATH_ORDER_HISTORY, symbol, limit, window=window)
    latest: dict[str, S.OrderInfo] = {}
    for row in rows:
        if row.symbol != symbol or to_int(row.createdTime) < since_ms:
            continue
        known = latest.get(row.orderId)
        latest[row.orderId] = row if known is None else _newer(known, row)
    return sorted(latest.values(), key=lambda o: (to_int(o.createdTime), o.orderId))
