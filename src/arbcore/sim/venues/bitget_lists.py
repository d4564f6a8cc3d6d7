"""Bitget list paging as the real server does it: orders-pending, orders-history, fills, bills.

Newest first; `limit` at most 100 (default 100); `idLessThan` continues after the record
with that id (the previous page's `endId`); startTime/endTime bound the creation time,
3 months apart at most; orders-history keeps 90 days. orders-pending rows carry an empty
`fee` (official example: a partially filled order with `"fee": ""`), so clients complete
fees from fills; `status` narrows pending orders to `live` or `partially_filled`.
account/bill (Get-Account-Bill): `limit` at most 100, default 20; startTime..endTime at most
30 days (a missing endTime counts as now here: the doc leaves it open, so the simulator
takes the strict reading); 90 days kept. Out-of-range values get the generic parameter
error (40017): Bitget's own code for them is not documented.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from arbcore.core.enums import OrderStatus
from arbcore.sim.events import RejectReason, SimOrder, SimReject

T = TypeVar("T")

DAY_MS = 24 * 3600 * 1000
HISTORY_KEEP_MS = 90 * DAY_MS
PAGE_MAX = 100
BILL_PAGE_DEFAULT = 20
BILL_SPAN_MS = 30 * DAY_MS


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


def bill_limit(params: Mapping[str, str]) -> int:
    """account/bill `limit`: default 20; outside 1..100 is refused, not clamped."""
    limit = _int(params, "limit")
    if limit is None:
        return BILL_PAGE_DEFAULT
    if not 1 <= limit <= PAGE_MAX:
        raise SimReject(RejectReason.INVALID_PARAMETER, f"limit must be 1..{PAGE_MAX}")
    return limit


def check_bill_span(params: Mapping[str, str], now_ms: int) -> None:
    """account/bill: startTime..endTime (endTime missing: now) at most 30 days apart."""
    start, end = _int(params, "startTime"), _int(params, "endTime")
    if start is None:
        return
    stop = end if end is not None else now_ms
    if stop - start > BILL_SPAN_MS:
        raise SimReject(RejectReason.INVALID_PARAMETER, "startTime and endTime over 30 days")


def in_window(
    records: Sequence[T],
    params: Mapping[str, str],
    now_ms: int,
    created_ms: Callable[[T], int],
    *,
    keep_90_days: bool,
) -> list[T]:
    """`records` created between startTime and endTime (and within 90 days if kept so)."""
    start, end = _int(params, "startTime"), _int(params, "endTime")
    if start is not None and end is not None and end - start > HISTORY_KEEP_MS:
        raise SimReject(RejectReason.INVALID_PARAMETER, "startTime and endTime over 3 months")
    low = start if start is not None else (end if end is not None else now_ms) - HISTORY_KEEP_MS
    if keep_90_days:
        low = max(low, now_ms - HISTORY_KEEP_MS)
    elif start is None and end is None:
        return list(records)
    high = end if end is not None else now_ms
    return [r for r in records if low <= created_ms(r) <= high]


def pending_status(orders: list[SimOrder], params: Mapping[str, str]) -> list[SimOrder]:
    wanted = params.get("status", "")
    if wanted == "live":
        return [o for o in orders if o.status is OrderStatus.NEW]
    if wanted == "partially_filled":
        return [o for o in orders if o.status is OrderStatus.PARTIALLY_FILLED]
    if wanted:
        raise SimReject(RejectReason.INVALID_PARAMETER, "status")
    return orders


def after_id(records: Sequence[T], id_less_than: str, record_id: Callable[[T], str]) -> list[T]:
    """The records after the one with id `id_less_than` in newest-first order."""
    for index, record in enumerate(records):
        if record_id(record) == id_less_than:
            return list(records[index + 1 :])
    if not id_less_than.isdigit():
        raise SimReject(RejectReason.INVALID_PARAMETER, "idLessThan is not a known id")
    return [r for r in records if record_id(r).isdigit() and int(record_id(r)) < int(id_less_than)]
