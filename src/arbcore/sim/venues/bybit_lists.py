"""Bybit order lists as the real server pages them: /v5/order/realtime and /v5/order/history.

Both are sorted by createdTime, newest first, `limit` in [1, 50] (default 20), continued
with an opaque `nextPageCursor` ("" on the last page). realtime openOnly=0 lists open orders,
openOnly=1 the last 500 closed ones. history lists closed orders created in
startTime..endTime (at most 7 days apart; one bound alone means 7 days from it, none means
the last 7 days); fully cancelled or rejected orders only for 24 hours, and past 7 days only
orders that traded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from arbcore.sim.events import SimOrder
from arbcore.sim.venues.bybit_errors import BybitError

DAY_MS = 24 * 3600 * 1000
WINDOW_MS = 7 * DAY_MS
CLOSED_KEEP = 500
PAGE_DEFAULT, PAGE_MAX = 20, 50


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


def _cursor(first: SimOrder, last: SimOrder) -> str:
    # The real cursor is "id:createdTime,id:createdTime", percent-encoded inside the JSON text.
    return f"{first.order_id}%3A{first.created_ms}%2C{last.order_id}%3A{last.created_ms}"


def _after_cursor(orders: list[SimOrder], cursor: str) -> list[SimOrder]:
    text = unquote(unquote(cursor))
    try:
        last_id = text.split(",")[1].split(":")[0]
    except IndexError as exc:
        raise BybitError(10001, "params error: cursor invalid") from exc
    for index, order in enumerate(orders):
        if order.order_id == last_id:
            return orders[index + 1 :]
    raise BybitError(10001, "params error: cursor invalid")


def page(
    orders: list[SimOrder],
    params: dict[str, Any],
    encode: Callable[[SimOrder], dict[str, Any]],
) -> tuple[list[dict[str, Any]], str]:
    """One page of `orders` (newest first) after `cursor`: rows and the next cursor."""
    cursor = str(params.get("cursor") or "")
    rest = _after_cursor(orders, cursor) if cursor else orders
    limit = page_limit(params)
    chosen = rest[:limit]
    more = len(rest) > limit
    next_cursor = _cursor(chosen[0], chosen[-1]) if chosen and more else ""
    return [encode(o) for o in chosen], next_cursor
