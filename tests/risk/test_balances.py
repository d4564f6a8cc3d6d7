"""Balance cache: exchange readings (fetched or pushed) minus margin committed since."""

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


def pushed(available: int, ts_ms: int = 0) -> Balance:
    return Balance(Venue.BYBIT, "USDT", D(available), D(available), ts_ms)


async def test_a_pushed_reading_replaces_the_fetched_one_without_any_request() -> None:
    wallet, balances = cache()
    await balances.refresh(Venue.BYBIT)
    wallet.fail = True  # a REST call now would raise
    balances.on_balance(pushed(400, ts_ms=5))
    margin = balances.margin(Venue.BYBIT)
    assert (margin.available_usdt, margin.pushed, margin.fetched) == (D(400), 1, 1)
    assert not balances.can_afford(Venue.BYBIT, D(401))
    balances.on_balance(pushed(900, ts_ms=4))  # older than what we have: ignored
    assert margin.available_usdt == D(400)
    balances.on_balance(Balance(Venue.BITGET, "USDT", D(5), D(5)))  # not a venue we trade
    assert margin.available_usdt == D(400)


async def test_a_reading_during_an_entry_keeps_its_margin_committed_until_settled() -> None:
    _, balances = cache()
    await balances.refresh(Venue.BYBIT)
    commit = balances.commit(Venue.BYBIT, D(300))
    # A push caused by something else arrives while the entry's orders are in flight: it
    # cannot show them yet, so the 300 stay committed against it.
    balances.on_balance(pushed(1000, ts_ms=1))
    assert balances.margin(Venue.BYBIT).free_usdt == D(700)
    balances.settle(commit)  # orders final: the next reading includes their margin
    assert balances.margin(Venue.BYBIT).free_usdt == D(700)
    balances.on_balance(pushed(700, ts_ms=2))
    assert balances.margin(Venue.BYBIT).free_usdt == D(700)
    balances.release(commit)  # already in the reading: nothing to give back
    assert balances.margin(Venue.BYBIT).free_usdt == D(700)


async def test_release_of_a_commitment_carried_into_a_newer_reading_gives_it_back() -> None:
    _, balances = cache()
    await balances.refresh(Venue.BYBIT)
    commit = balances.commit(Venue.BYBIT, D(300))
    balances.on_balance(pushed(1000, ts_ms=1))  # carried: still in flight
    balances.release(commit)  # e.g. rolled back before it was ever settled
    margin = balances.margin(Venue.BYBIT)
    assert margin.free_usdt == D(1000) and not margin.in_flight


def test_margin_needed_counts_leverage_fees_and_buffer() -> None:
    need = margin_needed(D(1000), 5, D("0.0005"), D(10))
    assert need == (D(200) + D(1)) * D("1.1")
    assert margin_needed(D(1000), 5, D("-0.0001"), D(0)) == D(200)  # a rebate is not income
