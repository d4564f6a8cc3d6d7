"""Bitget simulator WebSocket behaviour: book checksums and seq, snapshots, ticker, keepalive,
private order/position/account/fill pushes."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import aiohttp
from tests.sim.bitget.client import (
    PRODUCT,
    SMALL_SIM,
    VENUE,
    ClientBook,
    market_order,
    next_json,
    next_push,
    post,
    ws_login_args,
)

from arbcore.sim.testing import running_sim
from arbcore.sim.venues.bitget_book import book_checksum


def sub(op: str, channel: str, inst_id: str) -> str:
    return json.dumps({"op": op, "args": [{"instType": PRODUCT, "channel": channel,
                                           "instId": inst_id}]})  # fmt: skip


def test_checksum_matches_the_fact_sheet_example() -> None:
    assert book_checksum([("27000.0", "2.710")], [("27000.5", "8.760")]) == -202498636
    book = ClientBook()
    book.apply({"bids": [["27000.0", "2.710"]], "asks": [["27000.5", "8.760"]]}, snapshot=True)
    assert book.checksum() == -202498636


async def test_books_stream_checksums_and_sequence_hold_over_many_updates() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        async with http.ws_connect(ep.ws_public_url) as ws:
            await ws.send_str(sub("subscribe", "books", "ETHUSDT"))
            assert (await next_json(ws))["event"] == "subscribe"
            book = ClientBook()
            snapshot = await next_push(ws, "books")
            assert snapshot["action"] == "snapshot"
            book.apply(snapshot["data"][0], snapshot=True)
            assert book.checksum() == snapshot["data"][0]["checksum"]
            last_seq = snapshot["data"][0]["seq"]
            for _ in range(40):
                update = await next_push(ws, "books")
                data = update["data"][0]
                assert update["action"] == "update"
                assert data["seq"] > last_seq
                last_seq = data["seq"]
                book.apply(data, snapshot=False)
                assert book.checksum() == data["checksum"]
            best_bid = max(float(p) for p in book.bids)
            best_ask = min(float(p) for p in book.asks)
            assert best_bid < best_ask


async def test_depth_channels_push_full_snapshots_and_unsubscribe_stops_them() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        async with http.ws_connect(ep.ws_public_url) as ws:
            await ws.send_str(sub("subscribe", "books5", "BTCUSDT"))
            assert (await next_json(ws))["event"] == "subscribe"
            for _ in range(3):
                push = await next_push(ws, "books5")
                assert push["action"] == "snapshot"
                assert len(push["data"][0]["bids"]) == 5 == len(push["data"][0]["asks"])
            await ws.send_str(sub("unsubscribe", "books5", "BTCUSDT"))
            await ws.send_str(sub("subscribe", "ticker", "BTCUSDT"))
            frame = await next_json(ws)
            while frame.get("event") != "unsubscribe":
                frame = await next_json(ws)
            ticker = await next_push(ws, "ticker")
            row = ticker["data"][0]
            assert row["instId"] == "BTCUSDT"
            assert float(row["bidPr"]) < float(row["askPr"])
            for _ in range(5):
                frame = await next_json(ws)
                assert frame.get("arg", {}).get("channel") != "books5"


async def test_plain_text_ping_gets_pong_and_idle_connections_are_closed() -> None:
    config = SMALL_SIM.model_copy(update={"ws_idle_timeout_s": 0.5})
    async with running_sim([VENUE], config=config) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        async with http.ws_connect(ep.ws_public_url) as ws:
            await ws.send_str("ping")
            msg = await ws.receive(timeout=5)
            assert (msg.type, msg.data) == (aiohttp.WSMsgType.TEXT, "pong")
            msg = await ws.receive(timeout=5)  # silent client: the server hangs up
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_private_channels_push_order_fill_position_and_account() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim, aiohttp.ClientSession() as http:
        ep = sim.endpoints[VENUE]
        async with http.ws_connect(ep.ws_private_url) as ws:
            await ws.send_str(json.dumps(ws_login_args(ep)))
            assert (await next_json(ws))["event"] == "login"
            for channel in ("orders", "fill", "positions", "account"):
                await ws.send_str(sub("subscribe", channel, "default"))
            seen: dict[str, Any] = {}
            while len(seen) < 2:  # acks, then the positions and account snapshots
                frame = await next_json(ws)
                if "action" in frame:
                    seen[frame["arg"]["channel"]] = frame
            assert seen["positions"]["data"] == []
            status, _ = await post(
                http,
                ep,
                "/api/v2/mix/order/place-order",
                market_order("BTCUSDT", "buy", "0.02", clientOid="p1"),
            )
            assert status == 200
            pushes: dict[str, Any] = {}
            while len(pushes) < 4:
                frame = await next_json(ws)
                if "action" in frame:
                    pushes[frame["arg"]["channel"]] = frame
            order = pushes["orders"]["data"][0]
            assert (order["clientOid"], order["status"]) == ("p1", "filled")
            fill = pushes["fill"]["data"][0]
            assert fill["orderId"] == order["orderId"]
            position = pushes["positions"]["data"][0]
            assert (position["holdSide"], position["total"]) == ("long", "0.02")
            account = pushes["account"]["data"][0]
            wallet = sim.exchange(VENUE).wallet(sim.account_id(VENUE))
            assert Decimal(account["available"]) == wallet.balance_usdt.quantize(Decimal("1e-8"))
            assert wallet.balance_usdt < SMALL_SIM.starting_balance_usdt  # the fee was paid
