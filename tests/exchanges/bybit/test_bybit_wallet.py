"""Bybit wallet parsing: UTA cross, UTA isolated (totals ""), multi-account frames, classic."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import msgspec
import orjson
import pytest

from arbcore.core.enums import Venue
from arbcore.core.errors import ExchangeError
from arbcore.core.models import Balance
from arbcore.exchanges.bybit import schemas as S
from arbcore.exchanges.bybit.parsing import parse_wallet
from arbcore.exchanges.bybit.wallet import parse_wallet_push
from arbcore.exchanges.bybit.ws import BybitPrivateStream
from arbcore.exchanges.transport.signing import ServerClock

FIXTURES = Path(__file__).parents[2] / "fixtures" / "bybit"
D = Decimal


def _rest(name: str) -> S.WalletResult:
    env = msgspec.json.decode((FIXTURES / "rest" / f"{name}.json").read_bytes(), type=S.Envelope)
    return msgspec.json.decode(env.result, type=S.WalletResult)


def _push_data(name: str) -> list[S.WalletAccount]:
    frame = msgspec.json.decode(
        (FIXTURES / "ws" / f"{name}.json").read_bytes(), type=S.PrivateFrame
    )
    return msgspec.json.decode(frame.data, type=list[S.WalletAccount])


def _coin(**fields: str) -> S.WalletCoin:
    base = {"coin": "USDT", "equity": "100", "walletBalance": "100", "unrealisedPnl": "0"}
    base |= {"totalPositionIM": "0", "totalOrderIM": "0", "availableToWithdraw": ""}
    return S.WalletCoin(**(base | fields))


def _isolated(coin: S.WalletCoin, account_type: str = "UNIFIED") -> S.WalletResult:
    return S.WalletResult([S.WalletAccount(accountType=account_type, coin=[coin])])


# (a) UTA cross (REGULAR_MARGIN): Bybit's account totals, as before.
def test_uta_regular_uses_account_totals() -> None:
    bal = parse_wallet(_rest("wallet_balance__ccxt_unified"), 5)
    assert (bal.equity, bal.available, bal.ts_ms) == (D("92255.96988644"), D("89987.9688149"), 5)


# (b) UTA ISOLATED_MARGIN: totals "" and availableToWithdraw "" (recorded in ccxt issue 24878).
def test_uta_isolated_derives_free_margin_from_the_usdt_row() -> None:
    bal = parse_wallet(_rest("wallet_balance__ccxt_issue24878_unified_isolated"))
    assert bal.equity == D("3967.36309513")  # the USDT coin's equity, not the USD-valued total
    # walletBalance - totalPositionIM - totalOrderIM - open loss (conservative)
    assert bal.available == D("4271.12149513") - D("2466.37380399") - D("303.7584")
    assert bal.available == D("1500.98929114")


def test_uta_isolated_matches_bybits_own_withdrawable_figure() -> None:
    """Before Jan 2025 Bybit still sent availableToWithdraw: it equals wallet - IM there."""
    bal = parse_wallet(_rest("wallet_balance__ccxt_issue20948_unified_isolated"))
    assert bal.equity == D("56.9314405")
    assert bal.available == D("39.4074047") == D("50.9714405") - D("11.5640358")


def test_order_margin_locked_and_open_loss_are_not_free() -> None:
    coin = _coin(
        walletBalance="1000", totalPositionIM="200", totalOrderIM="50", locked="42",
        unrealisedPnl="-8", equity="992",
    )  # fmt: skip
    assert parse_wallet(_isolated(coin)).available == D("700")
    assert parse_wallet(_isolated(_coin(unrealisedPnl="30", equity="130"))).available == D(100)


def test_free_margin_is_never_negative() -> None:
    coin = _coin(walletBalance="10", totalPositionIM="20", unrealisedPnl="-5", equity="5")
    bal = parse_wallet(_isolated(coin))
    assert bal.available == 0 and bal.equity == D(5)


def test_missing_equity_falls_back_to_wallet_plus_pnl() -> None:
    bal = parse_wallet(_isolated(_coin(equity="", unrealisedPnl="-3")))
    assert (bal.equity, bal.available) == (D(97), D(97))


# (c) several account types in one list: not blindly list[0].
def test_multi_account_push_takes_the_unified_wallet() -> None:
    accounts = _push_data("wallet__doc_uta1_contract_and_unified_isolated")
    assert [a.accountType for a in accounts] == ["CONTRACT", "UNIFIED"]
    bal = parse_wallet_push(accounts, 7)
    assert bal is not None and bal.ts_ms == 7
    assert (bal.equity, bal.available) == (D("3967.36309513"), D("1500.98929114"))
    assert parse_wallet(S.WalletResult(accounts), 7) == bal


def test_account_type_can_be_named() -> None:
    accounts = _push_data("wallet__doc_uta1_contract_and_unified_isolated")
    # The CONTRACT (inverse) wallet holds no USDT: a push about it says nothing about margin.
    assert parse_wallet_push(accounts, 1, "CONTRACT") is None
    assert parse_wallet(S.WalletResult(accounts), 1, "CONTRACT").available == 0


def test_push_without_a_linear_wallet_is_ignored() -> None:
    spot = S.WalletAccount(accountType="SPOT", coin=[_coin()])
    assert parse_wallet_push([spot], 1) is None
    assert parse_wallet_push([], 1) is None
    inverse_only = S.WalletAccount(accountType="CONTRACT", coin=[_coin(coin="BTC")])
    assert parse_wallet_push([inverse_only], 1) is None
    assert parse_wallet(S.WalletResult([spot])) == Balance(Venue.BYBIT, "USDT", D(0), D(0), 0)


# (d) classic account: CONTRACT wallet, totals "", availableToWithdraw still sent.
def test_classic_contract_reads_the_usdt_row() -> None:
    bal = parse_wallet(_rest("wallet_balance__ccxt_issue20845_classic_contract"))
    assert bal.equity == D("50.8716035")
    assert bal.available == D("39.2875677") == D("50.8516035") - D("11.5640358")


def test_classic_takes_the_smaller_of_withdrawable_and_derived() -> None:
    coin = _coin(walletBalance="100", totalPositionIM="10", availableToWithdraw="95")
    assert parse_wallet(_isolated(coin, "CONTRACT")).available == D(90)
    only_withdrawable = _coin(totalPositionIM="", totalOrderIM="", availableToWithdraw="60")
    assert parse_wallet(_isolated(only_withdrawable, "CONTRACT")).available == D(60)


# malformed numbers: a clear error, never a silent zero or a decimal crash.
@pytest.mark.parametrize("field", ["walletBalance", "totalPositionIM", "unrealisedPnl", "equity"])
@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity"])
def test_malformed_number_is_a_clear_error(field: str, value: str) -> None:
    with pytest.raises(ExchangeError, match=f"{field}={value!r} is not a number"):
        parse_wallet(_isolated(_coin(**{field: value})))


def test_no_way_to_tell_free_margin_is_a_clear_error() -> None:
    with pytest.raises(ExchangeError, match="no free margin reported"):
        parse_wallet(_isolated(_coin(totalPositionIM="", totalOrderIM="")))


def test_private_stream_reports_isolated_pushes_and_skips_foreign_ones() -> None:
    stream = BybitPrivateStream("ws://unused", "k", "s", ServerClock())
    seen: list[Balance] = []
    stream.on_balance.append(seen.append)
    multi = FIXTURES / "ws" / "wallet__doc_uta1_contract_and_unified_isolated.json"
    stream.on_frame(multi.read_bytes(), 0)
    spot = {"accountType": "SPOT", "coin": [{"coin": "USDT", "walletBalance": "5"}]}
    stream.on_frame(orjson.dumps({"topic": "wallet", "creationTime": 2, "data": [spot]}), 0)
    assert [(b.available, b.ts_ms) for b in seen] == [(D("1500.98929114"), 1736866023302)]
