"""Bitget free margin: the margin-mode figure from REST, `maxOpenPosAvailable` from the stream."""

from __future__ import annotations

from decimal import Decimal

from arbcore.core.enums import MarginMode
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.bitget.wallet import parse_balance, parse_ws_balance


def test_rest_takes_the_free_margin_of_the_margin_mode() -> None:
    row = s.AccountRecord("USDT", available="900", crossedMaxAvailable="800",
                          isolatedMaxAvailable="700", accountEquity="1000")  # fmt: skip
    assert parse_balance(row, "USDT", MarginMode.CROSS, 1).available == Decimal(800)
    isolated = parse_balance(row, "USDT", MarginMode.ISOLATED, 1)
    assert (isolated.available, isolated.equity) == (Decimal(700), Decimal(1000))


def test_a_negative_available_never_counts_as_free_margin() -> None:
    # Union margin mode: Bitget's doc sample reports "available": "-4500.10469626".
    row = s.AccountRecord("USDT", available="-4500.10469626", accountEquity="10")
    assert parse_balance(row, "USDT", MarginMode.CROSS, 1).available == 0
    push = s.WsAccount("USDT", available="-1", equity="10")
    assert parse_ws_balance(push, "USDT", 1).available == 0


def test_the_stream_uses_max_open_pos_available() -> None:
    push = s.WsAccount("USDT", available="900", maxOpenPosAvailable="650", equity="1000")
    balance = parse_ws_balance(push, "USDT", 7)
    assert (balance.available, balance.equity, balance.ts_ms) == (Decimal(650), Decimal(1000), 7)
