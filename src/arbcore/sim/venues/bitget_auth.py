"""Bitget v2 request signing checks: REST headers (ACCESS-*) and the WS login op."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from arbcore.sim.venues import bitget_codes as codes
from arbcore.sim.venues.bitget_codes import BitgetError

TIMESTAMP_WINDOW_MS = 30_000
WS_LOGIN_PATH = "/user/verify"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One configured key of the simulated account."""

    api_key: str
    secret: str
    passphrase: str


def sign(secret: str, prehash: str) -> str:
    """base64(HMAC-SHA256(secret, prehash)), Bitget's signature for REST and WS."""
    digest = hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def rest_prehash(timestamp: str, method: str, path: str, query: str, body: str) -> str:
    """timestamp + METHOD + requestPath + ('?' + query if any) + body."""
    suffix = f"?{query}" if query else ""
    return f"{timestamp}{method.upper()}{path}{suffix}{body}"


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def verify_rest(
    headers: Mapping[str, str],
    method: str,
    path: str,
    query: str,
    body: str,
    keys: Mapping[str, ApiKey],
    now_ms: int,
    window_ms: int = TIMESTAMP_WINDOW_MS,
) -> BitgetError | None:
    """None when the request is correctly signed by a known key, else Bitget's error answer."""
    api_key = _header(headers, "ACCESS-KEY")
    signature = _header(headers, "ACCESS-SIGN")
    timestamp = _header(headers, "ACCESS-TIMESTAMP")
    passphrase = _header(headers, "ACCESS-PASSPHRASE")
    if not api_key:
        return codes.MISSING_ACCESS_KEY
    if not signature:
        return codes.MISSING_SIGNATURE
    if not passphrase:
        return codes.MISSING_PASSPHRASE
    if not timestamp.isdigit():
        return codes.INVALID_TIMESTAMP
    if abs(now_ms - int(timestamp)) > window_ms:
        return codes.TIMESTAMP_EXPIRED
    key = keys.get(api_key)
    if key is None:
        return codes.INVALID_ACCESS_KEY
    if not hmac.compare_digest(passphrase, key.passphrase):
        return codes.WRONG_PASSPHRASE
    expected = sign(key.secret, rest_prehash(timestamp, method, path, query, body))
    if not hmac.compare_digest(signature, expected):
        return codes.SIGNATURE_ERROR
    return None


@dataclass(frozen=True, slots=True)
class WsLoginError:
    code: int
    msg: str


WS_LOGIN_FAILED = WsLoginError(30005, "Login failed")
WS_INVALID_KEY = WsLoginError(30011, "Invalid ACCESS_KEY")
WS_INVALID_PASSPHRASE = WsLoginError(30012, "Invalid ACCESS_PASSPHRASE")
WS_INVALID_TIMESTAMP = WsLoginError(30013, "Invalid ACCESS_TIMESTAMP")
WS_TIMESTAMP_EXPIRED = WsLoginError(30014, "Request timestamp expired")
WS_INVALID_SIGN = WsLoginError(30015, "Invalid signature")


def verify_ws_login(
    arg: Mapping[str, object],
    keys: Mapping[str, ApiKey],
    now_s: float,
    window_s: float = TIMESTAMP_WINDOW_MS / 1000,
) -> WsLoginError | None:
    """Check one `login` arg {apiKey, passphrase, timestamp (seconds), sign}."""
    api_key = str(arg.get("apiKey", ""))
    passphrase = str(arg.get("passphrase", ""))
    timestamp = str(arg.get("timestamp", ""))
    signature = str(arg.get("sign", ""))
    key = keys.get(api_key)
    if key is None:
        return WS_INVALID_KEY
    if not hmac.compare_digest(passphrase, key.passphrase):
        return WS_INVALID_PASSPHRASE
    if not timestamp.isdigit():
        return WS_INVALID_TIMESTAMP
    if abs(now_s - int(timestamp)) > window_s:
        return WS_TIMESTAMP_EXPIRED
    expected = sign(key.secret, f"{timestamp}GET{WS_LOGIN_PATH}")
    if not hmac.compare_digest(signature, expected):
        return WS_INVALID_SIGN
    return None
