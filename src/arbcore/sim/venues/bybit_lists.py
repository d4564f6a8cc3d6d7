"""Bybit lists as the real server pages them: /v5/order/realtime, /order/history, /execution/list.

The order lists are sorted by createdTime, newest first, `limit` in [1, 50] (default 20), continued
with an opaque `nextPageCursor` ("" on the last page). realtime openOnly=0 lists open orders,
openOnly=1 the last 500 closed ones. history lists closed orders created in
startTime..endTime (at most 7 days apart; one bound alone means 7 days from it, none means
the last 7 days); fully cancelled or rejected orders only for 24 hours, and past 7 days only
orders that traded. execution/list: execTime newest first, `limit` in [1, 100] (default 50),
the same 7-day window rules, the past 730 days kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from arbcore.sim.events import SimFill, SimOrder
from arbcore.sim.venues.bybit_errors import BybitError

DAY_MS = 24 * 3600 * 1000
WINDOW_MS = 7 * DAY_MS
CLOSED_KEEP = 500
PAGE_DEFAULT, PAGE_MAX = 20, 50
EXEC_PAGE_DEFAULT, EXEC_PAGE_MAX = 50, 100
EXEC_KEEP_MS = 730 * DAY_MS  # a unified account's trade history: the past 730 days
T = TypeVar("T")


def page_limit(params: dict[str, Any]) -> int:
    try:
        value = int(params.get("limit", PAGE_DEFAULT))
    except ValueError as exc:
        raise BybitError(10001, "params error: limit invalid") from exc
    return max(1, min(PAGE_MAX, value))


def _bound(params: dict[str, Any], name: str) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise BybitError(10001, f"params error: {name} invalid") from exc


def history_window(params: dict[str, Any], now_ms: int) -> tuple[int, int]:
    start, end = _bound(params, "startTime"), _bound(params, "endTime")
    if start is None and end is None:
        return now_ms - WINDOW_MS, now_ms
    if start is None:
        assert end is not None
        return end - WINDOW_MS, end
    if end is None:
        return start, start + WINDOW_MS
    if end < start or end - start > WINDOW_MS:
        raise BybitError(
            10001, "params error: The time range between startTime and endTime cannot exceed 7 days"
        )
    return start, end


def realtime_orders(orders: list[SimOrder], open_only: bool) -> list[SimOrder]:
    """`orders` newest first: open ones, or the most recent closed ones."""
    if open_only:
        return [o for o in orders if o.is_open]
    return [o for o in orders if not o.is_open][:CLOSED_KEEP]


def history_orders(orders: list[SimOrder], window: tuple[int, int], now_ms: int) -> list[SimOrder]:
    """Closed orders created inside `window`, with the retention rules of a unified account."""
    out = []
    for order in orders:
        if order.is_open or not window[0] <= order.created_ms <= window[1]:
            continue
        traded = order.filled_qty > 0
        if not traded and order.updated_ms < now_ms - DAY_MS:
            continue
        out.append(order)
    return out


def _cursor(first: tuple[str, int], last: tuple[str, int]) -> str:
    # The real cursor is "id:time,id:time" (first and last row), percent-encoded in the JSON.
    return f"{first[0]}%3A{first[1]}%2C{last[0]}%3A{last[1]}"


def _after_cursor(rows: list[T], cursor: str, ident: Callable[[T], str]) -> list[T]:
    text = unquote(unquote(cursor))
    try:
        last_id = text.split(",")[1].split(":")[0]
    except IndexError as exc:
        raise BybitError(10001, "params error: cursor invalid") from exc
    for index, row in enumerate(rows):
        if ident(row) == last_id:
            return rows[index + 1 :]
    raise BybitError(10001, "params error: cursor invalid")


def _page(
    rows: list[T], cursor: str, limit: int, key: Callable[[T], tuple[str, int]]
) -> tuple[list[T], str]:
    """The `limit` rows after `cursor` and the next cursor ("" on the last page)."""
    rest = _after_cursor(rows, cursor, lambda r: key(r)[0]) if cursor else rows
    chosen = rest[:limit]
    more = len(rest) > limit
    return chosen, _cursor(key(chosen[0]), key(chosen[-1])) if chosen and more else ""


def page(
    orders: list[SimOrder],
    params: dict[str, Any],
    encode: Callable[[SimOrder], dict[str, Any]],
) -> tuple[list[dict[str, Any]], str]:
    """One page of `orders` (newest first) after `cursor`: rows and the next cursor."""
    cursor = str(params.get("cursor") or "")
    chosen, next_cursor = _page(
        orders, cursor, page_limit(params), lambda o: (o.order_id, o.created_ms)
    )
    return [encode(o) for o in chosen], next_cursor


def execution_limit(params: dict[str, Any]) -> int:
    """/v5/execution/list `limit`: [1, 100], default 50; anything else is refused (the
    exact retMsg Bybit sends is not documented)."""
    text = str(params.get("limit") or EXEC_PAGE_DEFAULT)
    try:
        value = int(text)
    except ValueError as exc:
        raise BybitError(10001, "params error: limit invalid") from exc
    if not 1 <= value <= EXEC_PAGE_MAX:
        raise BybitError(10001, "params error: limit invalid")
    return value


def execution_page(
    fills: list[SimFill],
    params: dict[str, Any],
    now_ms: int,
    encode: Callable[[SimFill], dict[str, Any]],
) -> tuple[list[dict[str, Any]], str]:
    """One page of /v5/execution/list: `fills` of the query, execTime newest first (ties by
    sequence), inside the 7-day window unless an order id is given (the doc: orderId and
    orderLinkId win over every other filter) and inside the 730 days kept."""
    limit = execution_limit(params)
    if not (params.get("orderId") or params.get("orderLinkId")):
        start, end = history_window(params, now_ms)
        fills = [f for f in fills if start <= f.ts_ms <= end]
    exec_type = params.get("execType")
    if exec_type:
        fills = [f for f in fills if ("Funding" if f.is_funding else "Trade") == exec_type]
    fills = [f for f in fills if f.ts_ms >= now_ms - EXEC_KEEP_MS]
    fills = sorted(fills, key=lambda f: (f.ts_ms, f.seq), reverse=True)
    cursor = str(params.get("cursor") or "")
    chosen, next_cursor = _page(fills, cursor, limit, lambda f: (f.exec_id, f.ts_ms))
    return [encode(f) for f in chosen], next_cursor
