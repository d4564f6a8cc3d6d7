"""Bybit v5 envelopes, retCodes for the core's reject reasons, and REST signature verification."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
from aiohttp import web

from arbcore.sim.events import RejectReason, SimReject

OK_MSG = "OK"


class BybitError(Exception):
    """An answer with retCode != 0 (HTTP 200, like the real API)."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code} {message}")


# Venue-agnostic reject reason -> (retCode, retMsg). Codes from the fact sheet §7; the
# 110007, 110017, 110043 and 10006 messages as real v5 answers quote them (ccxt issues).
REJECT_CODES: dict[RejectReason, tuple[int, str]] = {
    RejectReason.INSUFFICIENT_MARGIN: (110007, "Insufficient available balance"),
    RejectReason.BELOW_MIN_QTY: (10001, "The number of contracts exceeds minimum limit allowed"),
    RejectReason.BELOW_MIN_NOTIONAL: (110094, "Order does not meet minimum order value"),
    RejectReason.ABOVE_MAX_QTY: (10001, "The number of contracts exceeds maximum limit allowed"),
    RejectReason.QTY_OFF_STEP: (10001, "Qty invalid"),
    RejectReason.PRICE_OFF_TICK: (10001, "Price invalid"),
    RejectReason.PRICE_MISSING: (10001, "Missing some parameters that must be filled in, price"),
    RejectReason.REDUCE_ONLY_WOULD_INCREASE: (110017, "Reduce-only rule not satisfied"),
    RejectReason.DUPLICATE_CLIENT_ID: (110072, "OrderLinkedID is duplicate"),
    RejectReason.UNKNOWN_SYMBOL: (10001, "Not supported symbols"),
    RejectReason.POST_ONLY_WOULD_TAKE: (10001, "PostOnly order will take liquidity"),
    RejectReason.FOK_UNFILLABLE: (10001, "FOK order cannot be filled"),
    RejectReason.NO_LIQUIDITY: (10001, "no liquidity"),
    RejectReason.LEVERAGE_OUT_OF_RANGE: (10001, "leverage invalid"),
    RejectReason.LEVERAGE_NOT_MODIFIED: (110043, "Set leverage not modified"),
    RejectReason.MARGIN_MODE_NOT_MODIFIED: (110026, "Cross/isolated margin mode is not modified"),
    RejectReason.POSITION_MODE_NOT_MODIFIED: (110025, "Position mode is not modified"),
    RejectReason.POSITION_EXISTS: (110024, "You have existing positions"),
    RejectReason.OPEN_ORDERS_EXIST: (110028, "You have existing open orders"),
    RejectReason.POSITION_SIDE_MISMATCH: (10001, "position idx not match position mode"),
    RejectReason.ORDER_NOT_FOUND: (110001, "order not exists or too late to cancel"),
    RejectReason.INVALID_PARAMETER: (10001, "params error"),
    RejectReason.RATE_LIMITED: (10006, "Too many visits!"),
    RejectReason.SYSTEM_BUSY: (10016, "Server error"),
}


def reject_error(reject: SimReject) -> BybitError:
    code, message = REJECT_CODES[reject.reason]
    return BybitError(code, message)


def envelope(result: Any, now_ms: int) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": OK_MSG, "result": result, "retExtInfo": {}, "time": now_ms}


def error_envelope(error: BybitError, now_ms: int) -> dict[str, Any]:
    return {
        "retCode": error.code,
        "retMsg": error.message,
        "result": {},
        "retExtInfo": {},
        "time": now_ms,
    }


def json_response(payload: dict[str, Any]) -> web.Response:
    return web.Response(body=orjson.dumps(payload), content_type="application/json")


def sign_hex(secret: str, payload: str) -> str:
    """Lower-case hex HMAC-SHA256, the X-BAPI-SIGN and WS auth signature."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def verify_rest_signature(
    headers: dict[str, str], payload: str, api_key: str, secret: str, now_ms: int,
    check_window: bool = True,
) -> None:  # fmt: skip
    """Raise BybitError as Bybit does for missing headers, unknown key, stale time, bad sign."""
    key = headers.get("X-BAPI-API-KEY", "")
    timestamp = headers.get("X-BAPI-TIMESTAMP", "")
    sign = headers.get("X-BAPI-SIGN", "")
    recv_window = headers.get("X-BAPI-RECV-WINDOW", "5000")
    if not key or not timestamp or not sign:
        raise BybitError(
            10001,
            f"empty value: apiTimestamp[{timestamp}] apiKey[{key}] apiSignature[{sign}]: "
            "openapi sign params error!",
        )
    if key != api_key:
        raise BybitError(10003, "API key is invalid.")
    try:
        ts_ms, window_ms = int(timestamp), int(recv_window)
    except ValueError as exc:
        raise BybitError(10001, "params error: timestamp or recv_window invalid") from exc
    if check_window and not (now_ms - window_ms <= ts_ms < now_ms + 1000):
        raise BybitError(
            10002,
            "invalid request, please check your server timestamp or recv_window param. "
            f"req_timestamp[{ts_ms}],server_timestamp[{now_ms}],recv_window[{window_ms}]",
        )
    presign = f"{timestamp}{key}{recv_window}{payload}"
    if not hmac.compare_digest(sign_hex(secret, presign), sign.lower()):
        raise BybitError(10004, f"error sign! origin_string[{presign}]")
