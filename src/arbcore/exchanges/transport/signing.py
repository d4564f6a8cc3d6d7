"""Signing helpers shared by venues: HMAC digests, timestamp formats, server clock offset."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def hmac_sha256_hex(secret: str | bytes, message: str | bytes) -> str:
    """Lower-case hex HMAC-SHA256 (Bybit, BingX, MEXC)."""
    return hmac.new(_bytes(secret), _bytes(message), hashlib.sha256).hexdigest()


def hmac_sha256_b64(secret: str | bytes, message: str | bytes) -> str:
    """Base64 HMAC-SHA256 (Bitget, OKX, HTX)."""
    digest = hmac.new(_bytes(secret), _bytes(message), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def hmac_sha512_hex(secret: str | bytes, message: str | bytes) -> str:
    """Lower-case hex HMAC-SHA512 (Gate)."""
    return hmac.new(_bytes(secret), _bytes(message), hashlib.sha512).hexdigest()


def sha512_hex(payload: str | bytes) -> str:
    """Hex SHA-512 of a request body (Gate signs the body hash)."""
    return hashlib.sha512(_bytes(payload)).hexdigest()


def iso8601_ms(ts_ms: int) -> str:
    """`2023-11-14T22:13:20.000Z` (OKX)."""
    dt = datetime.fromtimestamp(ts_ms // 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{ts_ms % 1000:03d}Z"


def iso8601_s(ts_ms: int) -> str:
    """`2023-11-14T22:13:20`, second resolution, no zone (HTX)."""
    return datetime.fromtimestamp(ts_ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


class ServerClock:
    """Local wall clock corrected by the measured offset to an exchange's server time.

    `update` takes the server's time and the local times just before and after the
    request; the offset is measured against the midpoint, which halves the error a
    one-way network delay would add.
    """

    def __init__(self) -> None:
        self.offset_ms = 0
        self.synced = False

    def update(self, server_ms: int, local_before_ms: int, local_after_ms: int) -> int:
        midpoint_ms = (local_before_ms + local_after_ms) // 2
        self.offset_ms = server_ms - midpoint_ms
        self.synced = True
        return self.offset_ms

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms
