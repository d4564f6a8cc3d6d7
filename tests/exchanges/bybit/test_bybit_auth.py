"""Bybit signing reproduces the fact sheet's worked examples byte for byte."""

from __future__ import annotations

import orjson

from arbcore.exchanges.bybit import auth

KEY = "bybit-demo-key"
SECRET = "bybit-demo-secret"
TS_MS = 1700000000000
BODY = (
    '{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.010",'
    '"price":"37000.5","timeInForce":"IOC","orderLinkId":"arb-1-L-1-0"}'
)


def test_post_order_create_signature() -> None:
    sign = auth.rest_signature(SECRET, KEY, TS_MS, 5000, BODY)
    assert sign == "fabb0eb45e0b3f99c76a7df9f87967b629043bad361936dafc7979b099969367"


def test_get_position_list_signature() -> None:
    sign = auth.rest_signature(SECRET, KEY, TS_MS, 5000, "category=linear&symbol=BTCUSDT")
    assert sign == "2479e35a14e34aa80d1225d76ce29847f4ea2e07636fc3a1d262c8cb63f29f91"


def test_rest_headers_carry_key_timestamp_window_and_signature() -> None:
    headers = auth.rest_headers(KEY, SECRET, TS_MS, BODY, 5000)
    assert headers["X-BAPI-API-KEY"] == KEY
    assert headers["X-BAPI-TIMESTAMP"] == "1700000000000"
    assert headers["X-BAPI-RECV-WINDOW"] == "5000"
    assert headers["X-BAPI-SIGN"] == (
        "fabb0eb45e0b3f99c76a7df9f87967b629043bad361936dafc7979b099969367"
    )


def test_ws_auth_signature_and_frame() -> None:
    expires = 1700000010000
    expected = "e9be9bc3977ad0f9628ebf687b6a33d210ea60cd755ac9c15449183ba93571c1"
    assert auth.ws_signature(SECRET, expires) == expected
    frame = orjson.loads(auth.ws_auth_frame(KEY, SECRET, expires, req_id="a1"))
    assert frame == {"req_id": "a1", "op": "auth", "args": [KEY, expires, expected]}
