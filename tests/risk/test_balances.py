"""Balance cache: commitments are released at close unless a newer reading replaced them."""

from __future__ import annotations

from decimal import Decimal

from tests.strategy.fake_trading import FakeTrading

from arbcore.core.enums import Venue
from arbcore.core.errors import RateLimited
from arbcore.core.models import Balance
from arbcore.exchanges.base import Trading
from arbcore.risk.balances import BalanceCache, margin_needed

D = Decimal


class Wallet(FakeTrading):
    available: Decimal = D(1000)
    fail: bool = False

    async def fetch_balance(self) -> Balance:
        if self.fail:
            raise RateLimited(self.venue, "429")
        return Balance(self.venue, "USDT", self.available, self.available)


def cache() -> tuple[Wallet, BalanceCache]:
    wallet = Wallet(Venue.BYBIT, D(100))
    client: Trading = wallet
    return wallet, BalanceCache({Venue.BYBIT: client})


async def test_commit_then_release_restores_free_margin() -> None:
    _, balances = cache()
    await balances.refresh(Venue.BYBIT)
    commit = balances.commit(Venue.BYBIT, D(300))
    assert balances.margin(Venue.BYBIT).free_usdt == D(700)
    assert not balances.can_afford(Venue.BYBIT, D(701))
    balances.release(commit)
    assert balances.margin(Venue.BYBIT).free_usdt == D(1000)


async def test_release_after_a_newer_reading_changes_nothing() -> None:
    wallet, balances = cache()
    await balances.refresh(Venue.BYBIT)
    commit = balances.commit(Venue.BYBIT, D(300))
    wallet.available = D(700)  # the venue now counts that margin as used
    await balances.refresh(Venue.BYBIT)
    balances.release(commit)
    assert balances.margin(Venue.BYBIT).free_usdt == D(700)


async def test_failing_refreshes_do_not_let_commitments_pile_up() -> None:
    wallet, balances = cache()
    await balances.refresh(Venue.BYBIT)
    wallet.fail = True
    for _ in range(10):  # ten arbitrages open and close while every refresh fails
        commit = balances.commit(Venue.BYBIT, D(300))
        await balances.refresh_all()
        balances.release(commit)
    assert balances.can_afford(Venue.BYBIT, D(900))


def test_margin_needed_counts_leverage_fees_and_buffer() -> None:
    need = margin_needed(D(1000), 5, D("0.0005"), D(10))
    assert need == (D(200) + D(1)) * D("1.1")
    assert margin_needed(D(1000), 5, D("-0.0001"), D(0)) == D(200)  # a rebate is not income
