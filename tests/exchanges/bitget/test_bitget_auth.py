"""Bitget signing reproduces the fact sheet's worked examples byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

from arbcore.exchanges.base import Credentials
from arbcore.exchanges.bitget import auth
from arbcore.exchanges.transport.signing import hmac_sha256_b64

CREDS = Credentials("bitget-demo-key", "bitget-demo-secret", "bitget-demo-pass")
TS_MS = 1700000000000
PLACE_BODY = (
    '{"symbol":"BTCUSDT","productType":"USDT-FUTURES","marginMode":"crossed","marginCoin":"USDT",'
    '"size":"0.01","side":"sell","orderType":"market","reduceOnly":"YES","clientOid":"arb1S10"}'
)
FIXTURES = Path(__file__).parents[2] / "fixtures" / "bitget"


def test_post_place_order_signature() -> None:
    prehash = auth.rest_prehash(str(TS_MS), "POST", "/api/v2/mix/order/place-order", "", PLACE_BODY)
    assert prehash == "1700000000000POST/api/v2/mix/order/place-order" + PLACE_BODY
    assert auth.sign(CREDS.secret, prehash) == "OLrxMI4CGLpfkDEdB1eckXxdclqDRwIF0aC8TaI8KX0="


def test_get_order_detail_signature_with_sorted_query() -> None:
    query = auth.query_string(
        {"symbol": "BTCUSDT", "productType": "USDT-FUTURES", "clientOid": "arb1S10"}
    )
    assert query == "clientOid=arb1S10&productType=USDT-FUTURES&symbol=BTCUSDT"
    headers = auth.rest_headers(CREDS, TS_MS, "get", "/api/v2/mix/order/detail", query)
    assert headers["ACCESS-SIGN"] == "h54gTRXJIp4dmK/zGlHDAGrmT7FT73cHAowQPGPTRnA="
    assert headers["ACCESS-TIMESTAMP"] == "1700000000000"
    assert headers["ACCESS-KEY"] == "bitget-demo-key"
    assert headers["ACCESS-PASSPHRASE"] == "bitget-demo-pass"
    assert "paptrading" not in headers


def test_demo_header_is_added_but_not_signed() -> None:
    live = auth.rest_headers(CREDS, TS_MS, "POST", "/api/v2/mix/order/place-order", "", PLACE_BODY)
    demo = auth.rest_headers(
        CREDS, TS_MS, "POST", "/api/v2/mix/order/place-order", "", PLACE_BODY, demo=True
    )
    assert demo["paptrading"] == "1"
    assert (
        demo["ACCESS-SIGN"] == live["ACCESS-SIGN"] == "OLrxMI4CGLpfkDEdB1eckXxdclqDRwIF0aC8TaI8KX0="
    )


def test_ws_login_signature_and_frame() -> None:
    assert auth.ws_login_sign(CREDS.secret, 1700000000) == (
        "onMkthAEDSzuXk3UzPBoUO+vDbADBprfiPx1W47RE+E="
    )
    expected = json.loads((FIXTURES / "ws" / "login__request.json").read_text())
    assert auth.ws_login_message(CREDS, 1700000000) == expected


def test_sign_agrees_with_shared_signing_helper() -> None:
    assert auth.sign("k", "payload") == hmac_sha256_b64("k", "payload")


def test_empty_query_has_no_question_mark() -> None:
    assert auth.query_string(None) == ""
    assert auth.rest_prehash("1", "GET", "/p", "", "") == "1GET/p"
