"""Every Bitget USDT-M order of a symbol since a time: orders-pending plus orders-history.

orders-history keeps 90 days and takes at most 3 months between startTime and endTime;
all lists come newest first and page backwards with `idLessThan` = the previous `endId`.
orders-pending is read once per `status` (`live`, `partially_filled`): the English and
Chinese docs disagree on what it returns without one. History rows carry `fee` (negative
when paid), but pending rows may not (the official example has `"fee": ""` on a partially
filled order): such a page gets its fees from order/fills over its time range, one fills
walk per page.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import msgspec

from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.bitget.parsing import dec, ms, parse_status
from arbcore.exchanges.bitget.rest import BitgetRest
from arbcore.exchanges.paging import history_windows

PENDING_STATUSES = ("live", "partially_filled")


def _newer(a: s.OrderDetail, b: s.OrderDetail) -> s.OrderDetail:
    """The later record of one order: a final state wins, then the later update."""
    a_final = parse_status(a.status or a.state).is_final
    b_final = parse_status(b.status or b.state).is_final
    if a_final != b_final:
        return a if a_final else b
    return a if ms(a.uTime) >= ms(b.uTime) else b


def lacks_fee(row: s.OrderDetail) -> bool:
    return not row.fee and dec(row.baseVolume) > 0


async def _fills_fees(
    rest: BitgetRest, venue_symbol: str, window: tuple[int, int], limit: int
) -> dict[str, Decimal]:
    """Fees per order id from order/fills in `window`, with Bitget's sign (negative = paid)."""
    fees: dict[str, Decimal] = defaultdict(Decimal)
    end_id = ""
    seen: set[str] = set()
    while True:
        page = await rest.fills_page(
            venue_symbol, limit=limit, id_less_than=end_id, start_ms=window[0], end_ms=window[1]
        )
        records = page.fillList or []
        for record in records:
            fees[record.orderId] += sum((dec(d.totalFee) for d in record.feeDetail), Decimal(0))
        end_id = page.endId or ""
        if not records or not end_id or end_id in seen:
            return fees
        seen.add(end_id)


async def complete_fees(
    rest: BitgetRest, venue_symbol: str, rows: list[s.OrderDetail], now_ms: int, limit: int
) -> list[s.OrderDetail]:
    """`rows` with every missing fee of a traded order filled in from order/fills."""
    missing = [row for row in rows if lacks_fee(row)]
    if not missing:
        return rows
    fees: dict[str, Decimal] = defaultdict(Decimal)
    since_ms = min(ms(row.cTime) for row in missing)
    for window in history_windows(since_ms, now_ms, c.HISTORY_WINDOW_MS):
        for order_id, fee in (await _fills_fees(rest, venue_symbol, window, limit)).items():
            fees[order_id] += fee
    return [
        msgspec.structs.replace(row, fee=str(fees[row.orderId])) if lacks_fee(row) else row
        for row in rows
    ]


async def _walk(
    rest: BitgetRest,
    path: str,
    venue_symbol: str,
    limit: int,
    now_ms: int,
    *,
    window: tuple[int, int] | None = None,
    status: str = "",
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
            status=status,
        )
        rows = page.entrustedList or []
        out += await complete_fees(rest, venue_symbol, rows, now_ms, limit)
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
    rows: list[s.OrderDetail] = []
    for status in PENDING_STATUSES:
        rows += await _walk(rest, c.PATH_ORDERS_PENDING, venue_symbol, limit, now_ms, status=status)
    for window in history_windows(since_ms, now_ms, c.HISTORY_WINDOW_MS):
        rows += await _walk(rest, c.PATH_ORDERS_HISTORY, venue_symbol, limit, now_ms, window=window)
    latest: dict[str, s.OrderDetail] = {}
    for row in rows:
        if row.symbol.upper() != venue_symbol.upper() or ms(row.cTime) < since_ms:
            continue
        known = latest.get(row.orderId)
        latest[row.orderId] = row if known is None else _newer(known, row)
    return sorted(latest.values(), key=lambda o: (ms(o.cTime), o.orderId))
