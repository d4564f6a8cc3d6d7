"""The shared signing helpers reproduce every venue's worked example from the fact sheets."""

from __future__ import annotations

from arbcore.exchanges.transport.signing import (
    ServerClock,
    hmac_sha256_b64,
    hmac_sha256_hex,
    hmac_sha512_hex,
    iso8601_ms,
    iso8601_s,
    sha512_hex,
)


def test_bitget_base64_rest_and_ws_login() -> None:
    body = (
        '{"symbol":"BTCUSDT","productType":"USDT-FUTURES","marginMode":"crossed",'
        '"marginCoin":"USDT","size":"0.01","side":"sell","orderType":"market",'
        '"reduceOnly":"YES","clientOid":"arb1S10"}'
    )
    presign = "1700000000000POST/api/v2/mix/order/place-order" + body
    assert hmac_sha256_b64("bitget-demo-secret", presign) == (
        "OLrxMI4CGLpfkDEdB1eckXxdclqDRwIF0aC8TaI8KX0="
    )
    assert hmac_sha256_b64("bitget-demo-secret", "1700000000GET/user/verify") == (
        "onMkthAEDSzuXk3UzPBoUO+vDbADBprfiPx1W47RE+E="
    )


def test_okx_iso_timestamp_and_base64_signature() -> None:
    ts = iso8601_ms(1700000000000)
    assert ts == "2023-11-14T22:13:20.000Z"
    body = (
        '{"instId":"BTC-USDT-SWAP","tdMode":"isolated","side":"buy","ordType":"ioc",'
        '"px":"37000.5","sz":"1","clOrdId":"arb1L10","reduceOnly":false}'
    )
    assert hmac_sha256_b64("okx-demo-secret", ts + "POST/api/v5/trade/order" + body) == (
        "fwdwqiUMUZzqkPEihFMIQChGx81Pm3e2WleuDIp+awo="
    )


def test_gate_sha512_body_hash_and_signature() -> None:
    body = (
        '{"contract":"BTC_USDT","size":-3,"price":"0","tif":"ioc","reduce_only":true,'
        '"text":"t-arb123"}'
    )
    body_hash = sha512_hex(body)
    assert body_hash.startswith("74091b14cab20e034e2122ab60519fb0")
    prehash = "\n".join(["POST", "/api/v4/futures/usdt/orders", "", body_hash, "1700000000"])
    assert hmac_sha512_hex("gate-demo-secret", prehash) == (
        "5da6ccd562cd07022b232a1b93d6bd4b530d5e8979af1e85c773f50409c6814a"
        "1caa7a1046435952eab34dfa500b76b6f1ebac1c53f6d2c37967eea2eb56b24d"
    )


def test_htx_second_resolution_timestamp_and_signature() -> None:
    ts = iso8601_s(1700000000000)
    assert ts == "2023-11-14T22:13:20"
    prehash = (
        "POST\napi.hbdm.vn\n/linear-swap-api/v1/swap_cross_order\n"
        "AccessKeyId=htx-demo-access-key&SignatureMethod=HmacSHA256&SignatureVersion=2"
        "&Timestamp=2023-11-14T22%3A13%3A20"
    )
    assert hmac_sha256_b64("htx-demo-secret-key", prehash) == (
        "TyQ+WRO4DcnGZFzDXSCESqsgzZJq0ak7q2Z18LIU88c="
    )


def test_bingx_and_mexc_hex_signatures() -> None:
    bingx = (
        "clientOrderID=arb-123&positionSide=BOTH&quantity=0.005&reduceOnly=true&side=SELL"
        "&symbol=BTC-USDT&timestamp=1700000000000&type=MARKET"
    )
    assert hmac_sha256_hex("bingx-demo-secret", bingx) == (
        "473b4776f3a31e38874e7a1541f25a0de1b482d0604de2b79c6517ab248b2fa6"
    )
    assert hmac_sha256_hex("mexc-demo-secret", "mx0vgl-demo-key1700000000000") == (
        "ae333b42d4bfb233b5998ea4b99526498ae5f03ab20805a8369ca75f4b982817"
    )


def test_server_clock_offset_uses_round_trip_midpoint() -> None:
    clock = ServerClock()
    assert clock.update(server_ms=10_500, local_before_ms=10_000, local_after_ms=10_200) == 400
    assert clock.synced and clock.offset_ms == 400
