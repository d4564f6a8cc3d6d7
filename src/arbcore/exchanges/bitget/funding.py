"""Funding payments from Bitget account bills of a symbol since a time: 30-day windows, paged.

GET /api/v2/mix/account/bill (Get-Account-Bill): `limit` at most 100 (default 20, so a
request without it silently ends after 20 bills); startTime and endTime are optional but at
most 30 days apart; only the last 90 days are kept; pages come newest first and the next
(older) one is asked with `idLessThan` = the previous page's `endId`; 10 requests/s per UID
(every page goes through the client's rate limiter, group `query`).

Our estimate of the server's clock may trail a bill booked "now", so the newest window is
sent without endTime, and every window keeps a margin inside the 30-day span (the server
may count a missing endTime as its own now). Windows share their boundary millisecond (the
doc does not say whether the bounds are inclusive): bills are de-duplicated by billId.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from arbcore.core.errors import ExchangeError
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.bitget.parsing import ms
from arbcore.exchanges.paging import retained_windows

if TYPE_CHECKING:  # rest.py calls into this module
    from arbcore.exchanges.bitget.rest import BitgetRest

DEC_BILLS = msgspec.json.Decoder(s.Envelope[s.Bills])


async def bill_page(
    rest: BitgetRest,
    venue_symbol: str,
    business_type: str,
    *,
    limit: int,
    id_less_than: str = "",
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> s.Bills:
    """One page of account bills, newest first; the next (older) page is asked with
    `idLessThan` = this page's `endId`."""
    params = rest.page_params(venue_symbol, limit, id_less_than, start_ms, end_ms)
    params["businessType"] = business_type
    data: s.Bills | None = await rest.call("GET", c.PATH_ACCOUNT_BILL, DEC_BILLS, params=params)
    return data if data is not None else s.Bills()


def bill_windows(since_ms: int, now_ms: int) -> list[tuple[int, int | None]]:
    """(startTime, endTime) of each request window covering since..now, oldest first; the
    newest has no endTime. `since_ms` older than the 90 days Bitget keeps is moved up (logged)."""
    return retained_windows(
        since_ms, now_ms, c.BILL_SPAN_MS, c.BILL_KEEP_MS, c.BILL_CLOCK_MARGIN_MS, "bitget bills"
    )


async def _walk(
    rest: BitgetRest,
    venue_symbol: str,
    business_type: str,
    window: tuple[int, int | None],
    limit: int,
) -> list[s.Bill]:
    """Every bill of one window, following endId until an empty page (a short page is not
    taken as the end: nothing documents that the server never returns fewer than asked)."""
    out: list[s.Bill] = []
    end_id = ""
    seen: set[str] = set()
    for _ in range(c.BILL_MAX_PAGES):
        page = await bill_page(
            rest,
            venue_symbol,
            business_type,
            limit=limit,
            id_less_than=end_id,
            start_ms=window[0],
            end_ms=window[1],
        )
        rows = page.bills or []
        out += rows
        end_id = page.endId or ""
        if not rows or not end_id or end_id in seen:
            return out
        seen.add(end_id)
    # A partial list would be summed as if it were whole: say so instead (the engine then
    # journals the funding as unknown rather than recording a wrong number).
    raise ExchangeError(
        c.VENUE,
        f"{venue_symbol} {business_type} bills {window[0]}..{window[1]}: still more after "
        f"{c.BILL_MAX_PAGES} pages of {limit}; refusing to return a partial list",
    )


async def collect_bills(
    rest: BitgetRest,
    venue_symbol: str,
    business_type: str,
    since_ms: int,
    now_ms: int,
    limit: int = c.BILL_PAGE_LIMIT,
) -> list[s.Bill]:
    """Each bill of `business_type` and the symbol since `since_ms` once, oldest first."""
    found: dict[str, s.Bill] = {}
    for window in bill_windows(since_ms, now_ms):
        for bill in await _walk(rest, venue_symbol, business_type, window, limit):
            found.setdefault(bill.billId, bill)
    return sorted(found.values(), key=lambda b: (ms(b.cTime), b.billId))
