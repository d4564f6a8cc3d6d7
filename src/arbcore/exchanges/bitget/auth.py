"""Bitget request signing: REST headers (ms timestamp) and WebSocket login (s timestamp)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

from arbcore.exchanges.base import Credentials
from arbcore.exchanges.bitget.constants import DEMO_HEADER, WS_LOGIN_PATH


def sign(secret: str, prehash: str) -> str:
    """base64(HMAC-SHA256(secret, prehash))."""
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def query_string(params: dict[str, str] | None) -> str:
    """The query exactly as it is sent and signed: keys sorted, URL-encoded, no leading '?'."""
    if not params:
        return ""
    return urlencode(sorted(params.items()))


def rest_prehash(timestamp_ms: str, method: str, path: str, query: str, body: str) -> str:
    """timestamp + METHOD + requestPath + ('?' + query if any) + body."""
    suffix = f"?{query}" if query else ""
    return f"{timestamp_ms}{method.upper()}{path}{suffix}{body}"


def rest_headers(
    credentials: Credentials,
    timestamp_ms: int,
    method: str,
    path: str,
    query: str = "",
    body: str = "",
    *,
    demo: bool = False,
) -> dict[str, str]:
    """Headers for a signed REST call; `demo` adds `paptrading: 1` (not part of the signature)."""
    ts = str(timestamp_ms)
    headers = {
        "ACCESS-KEY": credentials.api_key,
        "ACCESS-SIGN": sign(credentials.secret, rest_prehash(ts, method, path, query, body)),
        "ACCESS-TIMESTAMP": ts,
        "ACCESS-PASSPHRASE": credentials.passphrase or "",
        "Content-Type": "application/json",
        "locale": "en-US",
    }
    if demo:
        headers[DEMO_HEADER[0]] = DEMO_HEADER[1]
    return headers


def ws_login_sign(secret: str, timestamp_s: int) -> str:
    return sign(secret, f"{timestamp_s}GET{WS_LOGIN_PATH}")


def ws_login_message(credentials: Credentials, timestamp_s: int) -> dict[str, object]:
    """The `op: login` request; the WebSocket timestamp is in seconds (REST uses ms)."""
    return {
        "op": "login",
        "args": [
            {
                "apiKey": credentials.api_key,
                "passphrase": credentials.passphrase or "",
                "timestamp": str(timestamp_s),
                "sign": ws_login_sign(credentials.secret, timestamp_s),
            }
        ],
    }
