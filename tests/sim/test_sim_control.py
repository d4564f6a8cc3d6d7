"""Control routes over HTTP: standing fault rates, forced divergence episodes, ground truth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from tests.sim.bybit_client import SMALL_SIM, market_order, private_post

from arbcore.core.enums import Venue
from arbcore.sim.faults import FaultKind
from arbcore.sim.testing import RunningSim, running_sim

B = Venue.BYBIT
CREATE = "/v5/order/create"


@pytest.fixture
async def sim() -> AsyncIterator[RunningSim]:
    async with running_sim([B], seed=41, config=SMALL_SIM) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _control(
    http: aiohttp.ClientSession, sim: RunningSim, method: str, path: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    async with http.request(method, f"{sim.endpoints[B].rest_url}/__sim/{path}", **kwargs) as r:
        body: dict[str, Any] = await r.json()
        return r.status, body


async def test_reject_rate_refuses_about_that_share_with_the_venues_code(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    status, body = await _control(
        http,
        sim,
        "POST",
        "rates",
        json={"reject": 0.5, "seed": 3, "reject_reasons": ["system_busy"]},
    )
    assert status == 200 and body["rates"]["reject"] == 0.5
    codes = []
    for i in range(40):
        answer = await private_post(
            http, sim.endpoints[B], CREATE, market_order("0.001", link_id=f"r{i}")
        )
        codes.append(answer["retCode"])
    refused = codes.count(10016)
    assert 8 <= refused <= 32
    assert set(codes) == {0, 10016}
    assert sim.faults(B).applied[FaultKind.REJECT_ORDERS] == refused
    status, body = await _control(http, sim, "GET", "rates")
    assert body["rates"]["reject_reasons"] == ["system_busy"]


async def test_rates_off_by_default_and_bad_rates_are_refused(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    _, body = await _control(http, sim, "GET", "rates")
    assert body["rates"]["reject"] == 0.0
    status, body = await _control(http, sim, "POST", "rates", json={"reject": 1.5})
    assert status == 400 and "probability" in body["error"]
    status, _ = await _control(http, sim, "POST", "rates", json={"nonsense": 1})
    assert status == 400


async def test_partial_fill_rate_fills_only_the_fraction(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    await _control(http, sim, "POST", "rates", json={"partial_fill": 1.0, "partial_fraction": 0.5})
    await private_post(http, sim.endpoints[B], CREATE, market_order("0.010", link_id="p1"))
    order = sim.exchange(B).find_order(sim.account_id(B), client_id="p1")
    assert order.filled_qty == Decimal("0.005")


async def test_execute_then_timeout_rate_executes_and_drops_the_answer(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    await _control(http, sim, "POST", "rates", json={"execute_then_timeout": 1.0})
    with pytest.raises(aiohttp.ClientError):
        await private_post(http, sim.endpoints[B], CREATE, market_order("0.001", link_id="t1"))
    order = sim.exchange(B).find_order(sim.account_id(B), client_id="t1")
    assert order.filled_qty == Decimal("0.001")
    assert sim.faults(B).applied[FaultKind.EXECUTE_THEN_TIMEOUT] == 1


async def test_clear_switches_rates_off_and_disarms_pending_faults(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    await _control(http, sim, "POST", "rates", json={"reject": 1.0})
    await _control(http, sim, "POST", "faults", json={"fault": "rate_limit_next", "n": 5})
    status, body = await _control(http, sim, "POST", "clear")
    assert status == 200 and body["rates"]["reject"] == 0.0
    answer = await private_post(http, sim.endpoints[B], CREATE, market_order("0.001"))
    assert answer["retCode"] == 0
    assert sim.faults(B).applied[FaultKind.RATE_LIMIT] == 0


async def test_forced_episode_moves_this_venues_offset(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    status, _ = await _control(
        http, sim, "POST", "episode", json={"symbol": "BTCUSDT", "size_bps": 80, "duration_s": 5}
    )
    assert status == 200
    assert sim.model.in_episode(B, "BTCUSDT")
    status, _ = await _control(
        http, sim, "POST", "episode", json={"symbol": "NOPEUSDT", "size_bps": 8, "duration_s": 5}
    )
    assert status == 400


async def test_truth_lists_executed_orders_ledger_sums_and_positions(
    sim: RunningSim, http: aiohttp.ClientSession
) -> None:
    ep = sim.endpoints[B]
    await private_post(http, ep, CREATE, market_order("0.004", link_id="buy1"))
    await private_post(http, ep, CREATE, market_order("0.001", side="Sell", link_id="sell1"))
    status, truth = await _control(http, sim, "GET", f"truth?account={ep.api_key}")
    assert status == 200
    by_client = {o["client_id"]: o for o in truth["orders"]}
    assert set(by_client) == {"buy1", "sell1"}
    core = sim.exchange(B).find_order(ep.api_key, client_id="buy1")
    assert by_client["buy1"]["side"] == "buy"
    assert Decimal(by_client["buy1"]["filled_qty"]) == Decimal("0.004")
    assert Decimal(by_client["buy1"]["avg_price"]) == core.avg_price
    assert Decimal(by_client["buy1"]["fee_usdt"]) == core.fee_usdt
    ledger = {k: Decimal(v) for k, v in truth["ledger"].items()}
    assert ledger["deposit"] == SMALL_SIM.starting_balance_usdt
    assert ledger["trade_fee"] == -sum(Decimal(o["fee_usdt"]) for o in truth["orders"])
    assert sum(ledger.values()) == Decimal(truth["balance_usdt"])
    (btc,) = [p for p in truth["positions"] if p["symbol"] == "BTCUSDT"]
    assert Decimal(btc["signed_base"]) == Decimal("0.003")
    _, light = await _control(http, sim, "GET", f"truth?account={ep.api_key}&orders=0")
    assert light["orders"] == [] and light["positions"] == truth["positions"]
    status, _ = await _control(http, sim, "GET", "truth?account=nobody")
    assert status == 404
