"""Deterministic, parseable client order ids from (trade, leg, part, attempt, role).

Layout: `ac` + trade id (base36) + leg (`L`/`S`) + part (2 base36 digits) + attempt
(3 base36 digits) + role (one lower-case letter), e.g. `ac2sL01000e` — at most 16
characters of [0-9a-zA-Z] up to trade id 36^7, within every venue's rules (Bybit 36,
Bitget/OKX 32, BingX 40, Gate `t-` + 28). HTX wants a positive int64: use
`numeric_client_order_id`.

The same inputs always give the same id, so a resend after an unknown outcome can never
open a second order; and an id read back from an exchange names its trade, which lets a
restart recover orders a crash kept out of the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "ac"
ROLES = {
    "e": "entry",
    "x": "exit",
    "r": "rollback",
    "b": "balance",
    "v": "repair",
    "c": "close at start",
}
MAX_PART = 36**2 - 1
MAX_ATTEMPT = 36**3 - 1
MAX_NUMERIC_TRADE_ID = 2**63 // (2 * (MAX_PART + 1) * (MAX_ATTEMPT + 1) * len(ROLES))
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_PATTERN = re.compile(r"ac([0-9a-z]{1,7})([LS])([0-9a-z]{2})([0-9a-z]{3})([a-z])")


@dataclass(frozen=True, slots=True)
class ClientIdParts:
    trade_id: int
    leg: str  # "L" long leg, "S" short leg
    part: int
    attempt: int
    role: str


def client_order_id(trade_id: int, leg: str, part: int, attempt: int, *, role: str = "e") -> str:
    """The id of one order: `role` is one of ROLES (`e` entry, `x` exit, `r` rollback,
    `b` balance, `v` repair after verification, `c` close at start)."""
    if leg not in ("L", "S") or role not in ROLES:
        raise ValueError(
            f"leg must be 'L' or 'S' and role one of {sorted(ROLES)}: {leg!r} {role!r}"
        )
    if not (0 < trade_id < 36**7 and 0 <= part <= MAX_PART and 0 <= attempt <= MAX_ATTEMPT):
        raise ValueError(f"out of range: trade {trade_id}, part {part}, attempt {attempt}")
    return f"{PREFIX}{_base36(trade_id)}{leg}{_base36(part, 2)}{_base36(attempt, 3)}{role}"


def parse_client_order_id(client_id: str) -> ClientIdParts | None:
    """The fields of an arbcore id, or None for anything else (another tool's orders)."""
    match = _PATTERN.fullmatch(client_id)
    if match is None:
        return None
    trade, leg, part, attempt, role = match.groups()
    if role not in ROLES:
        return None
    return ClientIdParts(int(trade, 36), leg, int(part, 36), int(attempt, 36), role)


def numeric_client_order_id(client_id: str) -> int:
    """HTX's positive int64 form of an arbcore id, reversible with `from_numeric_client_id`
    (trade ids below MAX_NUMERIC_TRADE_ID, about 12.7 million)."""
    parts = parse_client_order_id(client_id)
    if parts is None:
        raise ValueError(f"not an arbcore client id: {client_id!r}")
    if parts.trade_id >= MAX_NUMERIC_TRADE_ID:
        raise ValueError(f"trade id {parts.trade_id} too large for a numeric client id")
    role = "".join(sorted(ROLES)).index(parts.role)
    leg = 0 if parts.leg == "L" else 1
    value = ((parts.trade_id * 2 + leg) * (MAX_PART + 1) + parts.part) * (MAX_ATTEMPT + 1)
    return (value + parts.attempt) * len(ROLES) + role


def from_numeric_client_id(value: int) -> str:
    roles = "".join(sorted(ROLES))
    rest, role = divmod(value, len(ROLES))
    rest, attempt = divmod(rest, MAX_ATTEMPT + 1)
    rest, part = divmod(rest, MAX_PART + 1)
    trade, leg = divmod(rest, 2)
    return client_order_id(trade, "LS"[leg], part, attempt, role=roles[role])


def _base36(n: int, width: int = 1) -> str:
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(_DIGITS[r])
    return "".join(reversed(out)).rjust(width, "0")
