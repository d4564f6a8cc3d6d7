"""Every Bitget USDT-M order of a symbol since a time: orders-pending plus orders-history.

orders-history keeps 90 days and takes at most 3 months between startTime and endTime;
both lists come newest first and page backwards with `idLessThan` = the previous `endId`.
List rows carry `fee` (negative when paid), `baseVolume` and `priceAvg`, so no fills lookups
are needed.
"""

from __future__ import annotations

from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.bitget.parsing import ms, parse_status
from arbcore.exchanges.bitget.rest import BitgetRest


def history_windows(since_ms: int, now_ms: int, window_ms: int) -> list[tuple[int, int]]:
    """Consecutive [start, end] ranges covering since..now, each at most `window_ms` long."""
    windows = []
    start = since_ms
    while True:
        end = min(start + window_ms, max(now_ms, since_ms))
        windows.append((start, end))
        if end >= now_ms:
            return windows
        start = end + 1


def _newer(a: s.OrderDetail, b: s.OrderDetail) -> s.OrderDetail:
    """The later record of one order: a final state wins, then the later update."""
    a_final = parse_status(a.status or a.state).is_final
    b_final = parse_status(b.status or b.state).is_final
    if a_final != b_final:
        return a if a_final else b
    return a if ms(a.uTime) >= ms(b.uTime) else b


async def _walk(
    rest: BitgetRest,
    path: str,
    venue_symbol: str,
    limit: int,
    window: tuple[int, int] | None = None,
) -> list[s.OrderDetail]:
    out: list[s.OrderDetail] = []
    end_id = ""
    seen: set[str] = set()
    while True:
        page = await rest.order_page(
            path,
            venue_symbol,
            limit=limit,
            id_less_than=end_id,
            start_ms=window[0] if window else None,
            end_ms=window[1] if window else None,
        )
        rows = page.entrustedList or []
        out.extend(rows)
        end_id = page.endId or ""
        if not rows or not end_id or end_id in seen:
            return out
        seen.add(end_id)


async def collect_orders(
    rest: BitgetRest,
    venue_symbol: str,
    since_ms: int,
    now_ms: int,
    limit: int = c.ORDERS_PAGE_LIMIT,
) -> list[s.OrderDetail]:
    """Each order created at or after `since_ms` once (its latest state), oldest first."""
    rows = await _walk(rest, c.PATH_ORDERS_PENDING, venue_symbol, limit)
    for window in history_windows(since_ms, now_ms, c.HISTORY_WINDOW_MS):
        rows += await _walk(rest, c.PATH_ORDERS_HISTORY, venue_symbol, limit, window)
    latest: dict[str, s.OrderDetail] = {}
    for row in rows:
        if row.symbol.upper() != venue_symbol.upper() or ms(row.cTime) < since_ms:
            continue
        known = latest.get(row.orderId)
        latest[row.orderId] = row if known is None else _newer(known, row)
    return sorted(latest.values(), key=lambda o: (ms(o.cTime), o.orderId))
