"""Bitget simulator signature checks over real HTTP/WS: right, wrong, expired, missing headers."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest
from tests.sim.bitget.client import (
    PRODUCT,
    SMALL_SIM,
    VENUE,
    next_json,
    signed_headers,
    ws_login_args,
)

from arbcore.sim.testing import VenueEndpoints, running_sim
from arbcore.sim.venues.bitget_auth import rest_prehash, sign

ACCOUNTS = "/api/v2/mix/account/accounts"
QUERY = f"productType={PRODUCT}"


def test_worked_examples_from_the_fact_sheet() -> None:
    body = (
        '{"symbol":"BTCUSDT","productType":"USDT-FUTURES","marginMode":"crossed",'
        '"marginCoin":"USDT","size":"0.01","side":"sell","orderType":"market",'
        '"reduceOnly":"YES","clientOid":"arb1S10"}'
    )
    post = rest_prehash("1700000000000", "POST", "/api/v2/mix/order/place-order", "", body)
    assert sign("bitget-demo-secret", post) == "OLrxMI4CGLpfkDEdB1eckXxdclqDRwIF0aC8TaI8KX0="
    query = "clientOid=arb1S10&productType=USDT-FUTURES&symbol=BTCUSDT"
    get = rest_prehash("1700000000000", "GET", "/api/v2/mix/order/detail", query, "")
    assert sign("bitget-demo-secret", get) == "h54gTRXJIp4dmK/zGlHDAGrmT7FT73cHAowQPGPTRnA="
    ws = sign("bitget-demo-secret", "1700000000GET/user/verify")
    assert ws == "onMkthAEDSzuXk3UzPBoUO+vDbADBprfiPx1W47RE+E="


async def _accounts(ep: VenueEndpoints, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{ep.rest_url}{ACCOUNTS}?{QUERY}", headers=headers) as resp,
    ):
        return resp.status, await resp.json()


async def test_rest_signatures_right_wrong_expired_and_missing_headers() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim:
        ep = sim.endpoints[VENUE]
        good = signed_headers(ep, "GET", ACCOUNTS, QUERY)
        status, body = await _accounts(ep, good)
        assert (status, body["code"]) == (200, "00000")

        cases: list[tuple[dict[str, str], str]] = [
            ({**good, "ACCESS-SIGN": good["ACCESS-SIGN"][::-1]}, "40009"),
            (signed_headers(ep, "GET", ACCOUNTS, QUERY, ts_ms=int(time.time() * 1000) - 60_000),
             "40008"),
            ({k: v for k, v in good.items() if k != "ACCESS-KEY"}, "40001"),
            ({k: v for k, v in good.items() if k != "ACCESS-SIGN"}, "40003"),
            ({k: v for k, v in good.items() if k != "ACCESS-PASSPHRASE"}, "40011"),
            ({**good, "ACCESS-TIMESTAMP": "yesterday"}, "40005"),
            ({**good, "ACCESS-KEY": "someone-else"}, "40006"),
            ({**good, "ACCESS-PASSPHRASE": "wrong"}, "40012"),
            # signed for another query string than the one sent
            (signed_headers(ep, "GET", ACCOUNTS, "productType=COIN-FUTURES"), "40009"),
        ]  # fmt: skip
        for headers, code in cases:
            status, body = await _accounts(ep, headers)
            assert status == 400, (code, body)
            assert body["code"] == code
            assert isinstance(body["msg"], str) and body["msg"]
            assert body["data"] is None
            assert isinstance(body["requestTime"], int)


async def test_post_body_is_part_of_the_signature() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim:
        ep = sim.endpoints[VENUE]
        path = "/api/v2/mix/account/set-leverage"
        signed_body = json.dumps({"symbol": "BTCUSDT", "productType": PRODUCT,
                                  "marginCoin": "USDT", "leverage": "7"})  # fmt: skip
        sent_body = signed_body.replace('"7"', '"8"')
        headers = signed_headers(ep, "POST", path, "", signed_body)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{ep.rest_url}{path}", data=sent_body, headers=headers) as r:
                assert (await r.json())["code"] == "40009"
            headers = signed_headers(ep, "POST", path, "", sent_body)
            async with http.post(f"{ep.rest_url}{path}", data=sent_body, headers=headers) as r:
                assert (await r.json())["data"]["longLeverage"] == "8"


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda a: a, 0),
        (lambda a: {**a, "sign": a["sign"][::-1]}, 30015),
        (lambda a: {**a, "passphrase": "nope"}, 30012),
        (lambda a: {**a, "apiKey": "nope"}, 30011),
    ],
)
async def test_ws_login(mutate: object, code: int) -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim:
        ep = sim.endpoints[VENUE]
        login = ws_login_args(ep)
        login["args"][0] = mutate(login["args"][0])  # type: ignore[operator]
        async with aiohttp.ClientSession() as http, http.ws_connect(ep.ws_private_url) as ws:
            await ws.send_str(json.dumps(login))
            reply = await next_json(ws)
            assert reply["code"] == code
            assert reply["event"] == ("login" if code == 0 else "error")


async def test_ws_login_with_stale_timestamp_is_refused() -> None:
    async with running_sim([VENUE], config=SMALL_SIM) as sim:
        ep = sim.endpoints[VENUE]
        async with aiohttp.ClientSession() as http, http.ws_connect(ep.ws_private_url) as ws:
            await ws.send_str(json.dumps(ws_login_args(ep, int(time.time()) - 600)))
            assert (await next_json(ws))["code"] == 30014
            await ws.send_str(json.dumps({"op": "subscribe", "args": [
                {"instType": PRODUCT, "channel": "orders", "instId": "default"}]}))  # fmt: skip
            reply = await next_json(ws)
            assert (reply["event"], reply["code"]) == ("error", 30004)
