"""Bybit wallet -> USDT margin: picks the account of a wallet list and reads or derives free margin.

Bybit fills the account-wide totals (`totalAvailableBalance`, `totalMarginBalance`, ...) only
for a unified account (UTA) in cross (REGULAR) or portfolio margin. Under UTA ISOLATED_MARGIN,
in the UTA1.0 inverse CONTRACT wallet and on classic accounts they are "" ("All account wide
fields are not applicable to UTA2.0(isolated margin), UTA1.0(isolated margin),
UTA1.0(CONTRACT), classic account(SPOT, CONTRACT)", docs/v5/account/wallet-balance), and since
9 Jan 2025 `availableToWithdraw` is "" for every UNIFIED coin. Then the USDT coin row is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from arbcore.core.enums import Venue
from arbcore.core.errors import ExchangeError
from arbcore.core.models import Balance
from arbcore.exchanges.bybit import constants as C
from arbcore.exchanges.bybit import schemas as S

VENUE = Venue.BYBIT
ZERO = Decimal(0)
# UTA trades linear from UNIFIED (UTA1.0 may push its inverse CONTRACT wallet in the same
# frame); a classic account trades linear from CONTRACT. SPOT never carries linear margin.
_PREFERENCE = (C.ACCOUNT_UNIFIED, C.ACCOUNT_CLASSIC)


def _num(value: str, name: str) -> Decimal | None:
    """A wire number; None for "" (not applicable); ExchangeError when it is no finite number."""
    if not value:
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite():
        raise ExchangeError(VENUE, f"wallet field {name}={value!r} is not a number")
    return number


def select_account(
    accounts: Sequence[S.WalletAccount], account_type: str | None = None
) -> S.WalletAccount | None:
    """The account that holds USDT-linear margin: `account_type` if given, else UNIFIED, else
    CONTRACT; None when the list has none of them (a SPOT-only push, an empty list)."""
    wanted = (account_type,) if account_type else _PREFERENCE
    for kind in wanted:
        for account in accounts:
            if account.accountType == kind:
                return account
    return None


def _usdt(account: S.WalletAccount) -> S.WalletCoin | None:
    return next((c for c in account.coin if c.coin == C.SETTLE_COIN), None)


def coin_margin(coin: S.WalletCoin) -> tuple[Decimal, Decimal]:
    """(equity, available) of one coin row, for accounts without account-wide totals.

    available = walletBalance - totalPositionIM - totalOrderIM - locked + min(0, unrealisedPnl),
    and at most `availableToWithdraw` when Bybit still reports it (classic accounts); never
    below zero. Subtracting open losses is conservative: on a classic account a symbol may be
    in cross margin, where they do eat free margin; under UTA isolated margin the loss is
    already covered by the position's margin, so this can understate what Bybit would allow.
    """
    wallet = _num(coin.walletBalance, "walletBalance")
    position_im = _num(coin.totalPositionIM, "totalPositionIM")
    order_im = _num(coin.totalOrderIM, "totalOrderIM")
    locked = _num(coin.locked, "locked") or ZERO
    upnl = _num(coin.unrealisedPnl, "unrealisedPnl") or ZERO
    withdrawable = _num(coin.availableToWithdraw, "availableToWithdraw")
    candidates = []
    if wallet is not None and position_im is not None and order_im is not None:
        candidates.append(wallet - position_im - order_im - locked + min(ZERO, upnl))
    if withdrawable is not None:
        candidates.append(withdrawable)
    if not candidates:
        raise ExchangeError(
            VENUE,
            f"wallet {coin.coin}: no free margin reported (walletBalance={coin.walletBalance!r}, "
            f"totalPositionIM={coin.totalPositionIM!r}, totalOrderIM={coin.totalOrderIM!r})",
        )
    equity = _num(coin.equity, "equity")
    if equity is None:
        if wallet is None:
            raise ExchangeError(VENUE, f"wallet {coin.coin}: neither equity nor walletBalance")
        equity = wallet + upnl
    return equity, max(ZERO, min(candidates))


def account_margin(account: S.WalletAccount) -> tuple[Decimal, Decimal] | None:
    """(equity, available) in USDT; None when the account lists no USDT row and has no totals."""
    available = _num(account.totalAvailableBalance, "totalAvailableBalance")
    usdt = _usdt(account)
    if available is not None and account.accountType == C.ACCOUNT_UNIFIED:
        # Cross / portfolio margin: Bybit's own account-wide figures (USD-valued).
        equity = _num(account.totalEquity, "totalEquity")
        if equity is None:
            equity = coin_margin(usdt)[0] if usdt is not None else ZERO
        return equity, available
    if usdt is None:
        return None
    return coin_margin(usdt)


def parse_wallet(
    result: S.WalletResult, ts_ms: int = 0, account_type: str | None = None
) -> Balance:
    """`/v5/account/wallet-balance`: USDT equity and free margin. Bybit lists only coins with a
    non-zero balance, so a missing account or USDT row means zero."""
    account = select_account(result.list, account_type)
    margin = account_margin(account) if account is not None else None
    equity, available = margin if margin is not None else (ZERO, ZERO)
    return Balance(VENUE, C.SETTLE_COIN, equity, available, ts_ms)


def parse_wallet_push(
    accounts: Sequence[S.WalletAccount], ts_ms: int, account_type: str | None = None
) -> Balance | None:
    """A private `wallet` push; None when it says nothing about USDT-linear margin (a SPOT or
    inverse-wallet update without a USDT row), so the last known balance stays."""
    account = select_account(accounts, account_type)
    margin = account_margin(account) if account is not None else None
    if margin is None:
        return None
    return Balance(VENUE, C.SETTLE_COIN, margin[0], margin[1], ts_ms)
