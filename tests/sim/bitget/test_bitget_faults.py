"""Faults as a Bitget client sees them: checksum, sequence gap, 429, rejects with real codes,
partial fill, execute-then-timeout, dropped socket."""

from __future__ import annotations

import itertools
import json

import aiohttp
import pytest
from tests.sim.bitget.client import (
    PRODUCT,
    SMALL_SIM,
    VENUE,
    ClientBook,
    get,
    market_order,
    next_json,
    next_push,
    post,
)

from arbcore.sim.events import RejectReason
from arbcore.sim.faults import FaultKind
from arbcore.sim.testing import running_sim
from arbcore.sim.venues.bitget_codes import (
    SUCCESS_WHEN_UNCHANGED,
    SYSTEM_ERROR,
    mapped_reasons,
    reject_error,
)

PLACE = "/api/v2/mix/order/place-order"
BOOKS = json.dumps(
    {"op": "subscribe", "args": [{"instType": PRODUCT, "channel": "books", "instId": "BTCUSDT"}]}
)


def test_every_core_reject_reason_has_a_bitget_answer() -> None:
    assert mapped_reasons() == set(RejectReason)
    for reason in set(RejectReason) - SUCCESS_WHEN_UNCHANGED:
        if reason is not RejectReason.SYSTEM_BUSY:
            assert reject_error(reason) != SYSTEM_ERROR, reason


async def test_corrupt_checksum_shows_as_one_wrong_checksum() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        async with http.ws_connect(ep.ws_public_url) as ws:
            await ws.send_str(BOOKS)
            book = ClientBook()
            book.apply((await next_push(ws, "books"))["data"][0], snapshot=True)
            sim.faults(VENUE).corrupt_checksum(1)
            verdicts = []
            for _ in range(6):
                data = (await next_push(ws, "books"))["data"][0]
                book.apply(data, snapshot=False)
                verdicts.append(book.checksum() == data["checksum"])
            assert verdicts.count(False) == 1
            assert sim.faults(VENUE).applied[FaultKind.CORRUPT_CHECKSUM] == 1


async def test_skip_sequence_leaves_a_gap_in_seq() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        async with http.ws_connect(ep.ws_public_url) as ws:
            await ws.send_str(BOOKS)
            seqs = [(await next_push(ws, "books"))["data"][0]["seq"] for _ in range(4)]
            assert [b - a for a, b in itertools.pairwise(seqs)] == [1, 1, 1]
            sim.faults(VENUE).skip_sequence(1)
            more = [(await next_push(ws, "books"))["data"][0]["seq"] for _ in range(4)]
            gaps = [b - a for a, b in itertools.pairwise([seqs[-1], *more])]
            assert sorted(gaps) == [1, 1, 1, 2]
            assert sim.faults(VENUE).applied[FaultKind.SKIP_SEQUENCE] == 1


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (RejectReason.INSUFFICIENT_MARGIN, "40762"),
        (RejectReason.REDUCE_ONLY_WOULD_INCREASE, "22002"),
        (RejectReason.BELOW_MIN_NOTIONAL, "45110"),
        (RejectReason.QTY_OFF_STEP, "40808"),
        (RejectReason.RATE_LIMITED, "429"),
    ],
)
async def test_rejected_orders_carry_bitget_codes(reason: RejectReason, code: str) -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        sim.faults(VENUE).reject_next_orders(1, reason)
        status, body = await post(http, ep, PLACE, market_order("BTCUSDT", "buy", "0.01"))
        assert body["code"] == code
        assert status == (429 if code == "429" else 400)
        status, body = await post(http, ep, PLACE, market_order("BTCUSDT", "buy", "0.01"))
        assert (status, body["code"]) == (200, "00000")


async def test_real_rejects_use_request_details_in_msg() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        _, off_step = await post(http, ep, PLACE, market_order("BTCUSDT", "buy", "0.0105"))
        assert off_step["code"] == "40808"
        assert "value=0.0105 checkScale=3" in off_step["msg"]
        reduce_only = market_order("BTCUSDT", "sell", "0.01", reduceOnly="YES")
        _, reduce = await post(http, ep, PLACE, reduce_only)
        assert (reduce["code"], reduce["msg"]) == ("22002", "No position to close")
        hedge_only = market_order("BTCUSDT", "buy", "0.01", tradeSide="open")
        _, hedge_field = await post(http, ep, PLACE, hedge_only)
        assert hedge_field["code"] == "40774"


async def test_rate_limit_answers_429_and_places_nothing() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        sim.faults(VENUE).rate_limit_next(1)
        status, body = await post(http, ep, PLACE, market_order("BTCUSDT", "buy", "0.01"))
        assert (status, body["code"], body["data"]) == (429, "429", None)
        assert sim.exchange(VENUE).orders == {}


async def test_partial_fill_shows_in_order_detail() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        sim.faults(VENUE).partial_fill_next(1, 0.5)
        _, ack = await post(http, ep, PLACE, market_order("BTCUSDT", "buy", "0.02"))
        query = f"orderId={ack['data']['orderId']}&symbol=BTCUSDT&productType={PRODUCT}"
        _, detail = await get(http, ep, "/api/v2/mix/order/detail", query)
        assert (detail["data"]["size"], detail["data"]["baseVolume"]) == ("0.02", "0.01")
        assert detail["data"]["state"] == "canceled"


async def test_execute_then_timeout_drops_the_answer_but_the_order_exists() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        sim.faults(VENUE).execute_then_timeout_next(1)
        with pytest.raises(aiohttp.ClientError):
            await post(http, ep, PLACE, market_order("BTCUSDT", "buy", "0.01", clientOid="lost1"))
        query = f"clientOid=lost1&symbol=BTCUSDT&productType={PRODUCT}"
        _, detail = await get(http, ep, "/api/v2/mix/order/detail", query)
        assert (detail["code"], detail["data"]["state"]) == ("00000", "filled")
        _, unknown = await get(http, ep, "/api/v2/mix/order/detail",
                               f"clientOid=never&symbol=BTCUSDT&productType={PRODUCT}")  # fmt: skip
        assert unknown["code"] == "40109"


async def test_drop_ws_closes_the_socket_without_a_close_frame() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        async with http.ws_connect(ep.ws_public_url) as ws:
            await ws.send_str(BOOKS)
            assert (await next_json(ws))["event"] == "subscribe"
            sim.faults(VENUE).drop_ws()
            while True:
                msg = await ws.receive(timeout=5)
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
            assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
            assert ws.close_code != 1000
