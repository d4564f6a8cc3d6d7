"""Bybit v5 signing: REST `ts+key+recvWindow+payload` and WS auth `GET/realtime+expires`."""

from __future__ import annotations

import orjson

from arbcore.exchanges.bybit.constants import RECV_WINDOW_MS
from arbcore.exchanges.transport.signing import hmac_sha256_hex


def rest_signature(
    secret: str, api_key: str, timestamp_ms: int, recv_window_ms: int, payload: str
) -> str:
    """Lower-case hex HMAC-SHA256 of the pre-sign string.

    `payload` is the query string exactly as sent (GET) or the raw JSON body (POST).
    """
    presign = f"{timestamp_ms}{api_key}{recv_window_ms}{payload}"
    return hmac_sha256_hex(secret, presign)


def rest_headers(
    api_key: str,
    secret: str,
    timestamp_ms: int,
    payload: str,
    recv_window_ms: int = RECV_WINDOW_MS,
) -> dict[str, str]:
    return {
        "X-BAPI-API-KEY": api_key,
        "X-BAPI-TIMESTAMP": str(timestamp_ms),
        "X-BAPI-RECV-WINDOW": str(recv_window_ms),
        "X-BAPI-SIGN": rest_signature(secret, api_key, timestamp_ms, recv_window_ms, payload),
        "Content-Type": "application/json",
    }


def ws_signature(secret: str, expires_ms: int) -> str:
    return hmac_sha256_hex(secret, f"GET/realtime{expires_ms}")


def ws_auth_frame(api_key: str, secret: str, expires_ms: int, req_id: str = "auth") -> str:
    """`{"req_id":…,"op":"auth","args":[key, expires, signature]}`."""
    message = {
        "req_id": req_id,
        "op": "auth",
        "args": [api_key, expires_ms, ws_signature(secret, expires_ms)],
    }
    return orjson.dumps(message).decode()
