"""Deterministic client order ids from (trade, leg, part, attempt), within every venue's rules."""

from __future__ import annotations

import hashlib

# Shortest venue limit among the seven (Gate `text` is 28 chars incl. the mandatory "t-"
# prefix; HTX `client_order_id` is a positive integer < 2^63; the rest allow >= 32 [A-Za-z0-9]).
_ALNUM_LEN = 24


def client_order_id(trade_id: int, leg: str, part: int, attempt: int, *, role: str = "e") -> str:
    """An id like `ac` + base36 digits, unique per (trade, leg, part, attempt, role).

    `role`: `e` entry, `x` exit, `r` rollback, `b` balance, `v` repair after verification,
    `c` close at start. The same inputs always give the same id,
    so a resend after an unknown outcome can never open a second order.
    """
    if leg not in ("L", "S") or len(role) != 1 or not role.isalnum():
        raise ValueError(f"leg must be 'L' or 'S' and role one character: {leg!r} {role!r}")
    raw = f"{trade_id}:{leg}:{part}:{attempt}:{role}".encode()
    digest = int.from_bytes(hashlib.blake2b(raw, digest_size=12).digest(), "big")
    return ("ac" + _base36(digest))[:_ALNUM_LEN]


def numeric_client_order_id(client_id: str) -> int:
    """HTX needs a positive int64: derive it deterministically from the alphanumeric id."""
    digest = hashlib.blake2b(client_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & 0x3FFF_FFFF_FFFF_FFFF or 1


def _base36(n: int) -> str:
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(chars[r])
    return "".join(reversed(out)) or "0"
