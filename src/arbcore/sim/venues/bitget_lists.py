"""Bitget order-list paging as the real server does it: orders-pending and orders-history.

Newest first; `limit` at most 100 (default 100); `idLessThan` continues after the order
with that id (the previous page's `endId`); startTime/endTime bound the creation time,
3 months apart at most; orders-history keeps 90 days.
"""

from __future__ import annotations

from collections.abc import Mapping

from arbcore.sim.events import RejectReason, SimOrder, SimReject

DAY_MS = 24 * 3600 * 1000
HISTORY_KEEP_MS = 90 * DAY_MS
PAGE_MAX = 100


def _int(params: Mapping[str, str], name: str) -> int | None:
    text = params.get(name, "")
    if text == "":
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise SimReject(RejectReason.INVALID_PARAMETER, f"{name} is not a number") from exc


def page_limit(params: Mapping[str, str]) -> int:
    limit = _int(params, "limit")
    return PAGE_MAX if limit is None else max(1, min(PAGE_MAX, limit))


def in_window(
    orders: list[SimOrder], params: Mapping[str, str], now_ms: int, history: bool
) -> list[SimOrder]:
    """`orders` created between startTime and endTime (history: within the last 90 days)."""
    start, end = _int(params, "startTime"), _int(params, "endTime")
    if start is not None and end is not None and end - start > HISTORY_KEEP_MS:
        raise SimReject(RejectReason.INVALID_PARAMETER, "startTime and endTime over 3 months")
    low = start if start is not None else (end if end is not None else now_ms) - HISTORY_KEEP_MS
    if history:
        low = max(low, now_ms - HISTORY_KEEP_MS)
    high = end if end is not None else now_ms
    if start is None and end is None and not history:
        return orders
    return [o for o in orders if low <= o.created_ms <= high]


def after_id(orders: list[SimOrder], id_less_than: str) -> list[SimOrder]:
    """The orders after `id_less_than` in newest-first order (all when it is unknown)."""
    for index, order in enumerate(orders):
        if order.order_id == id_less_than:
            return orders[index + 1 :]
    if not id_less_than.isdigit():
        raise SimReject(RejectReason.INVALID_PARAMETER, "idLessThan is not an order id")
    return [o for o in orders if int(o.order_id) < int(id_less_than)]
