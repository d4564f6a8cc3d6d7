"""Bitget account -> USDT margin: equity and the margin free to open a position.

REST /api/v2/mix/account/accounts gives the free margin per margin mode
(`crossedMaxAvailable`, `isolatedMaxAvailable`: "Maximum available balance to open
positions under the cross/isolated margin mode"); the private `account` channel pushes
`maxOpenPosAvailable` ("Maximum available balance to open positions"). `available` is only a
fallback: in union margin mode Bitget reports it negative. Never below zero here.
"""

from __future__ import annotations

from decimal import Decimal

from arbcore.core.enums import MarginMode
from arbcore.core.models import Balance
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.bitget.parsing import dec

ZERO = Decimal(0)


def parse_balance(
    account: s.AccountRecord, asset: str, margin_mode: MarginMode, ts_ms: int
) -> Balance:
    """Equity and the margin free for a new order in the given margin mode."""
    free = (
        account.crossedMaxAvailable
        if margin_mode is MarginMode.CROSS
        else account.isolatedMaxAvailable
    )
    return Balance(
        venue=c.VENUE,
        asset=asset,
        equity=dec(account.accountEquity or account.usdtEquity),
        available=max(ZERO, dec(free or account.available)),
        ts_ms=ts_ms,
    )


def parse_ws_balance(account: s.WsAccount, asset: str, ts_ms: int) -> Balance:
    """An `account` channel row."""
    return Balance(
        venue=c.VENUE,
        asset=asset,
        equity=dec(account.equity or account.usdtEquity),
        available=max(ZERO, dec(account.maxOpenPosAvailable or account.available)),
        ts_ms=ts_ms,
    )
