"""Token buckets, the trading fail-fast bound, and loading limits from the config format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arbcore.core.errors import ConfigError, RateLimited
from arbcore.exchanges.transport.ratelimit import (
    RateLimitSpec,
    TokenBucket,
    VenueRateLimiter,
    build_limiter,
    load_rate_limits,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_refills_at_rate_and_caps_at_capacity() -> None:
    t = FakeTime()
    bucket = TokenBucket(rate_per_s=5.0, capacity=2.0, clock=t)
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == pytest.approx(0.2)  # third call borrows: 1 token / 5 per s
    assert bucket.wait_needed_s() == pytest.approx(0.4)  # queued behind the borrower
    t.now += 10.0
    assert bucket.wait_needed_s() == 0.0
    bucket.reserve()
    bucket.reserve()
    assert bucket.wait_needed_s() > 0  # capacity 2 even after a long idle time


def test_budget_is_fraction_of_documented_limit() -> None:
    t = FakeTime()
    limiter = VenueRateLimiter("bybit", {"query": RateLimitSpec(50, 1.0)}, fraction=0.5, clock=t)
    bucket = limiter.bucket("query")
    assert bucket is not None and bucket.rate_per_s == 25.0 and bucket.capacity == 25.0


async def test_trading_call_fails_fast_instead_of_queueing() -> None:
    t = FakeTime()
    limiter = VenueRateLimiter(
        "bybit", {"trade": RateLimitSpec(4, 1.0)}, fraction=0.5, max_trading_wait_ms=50, clock=t
    )
    await limiter.acquire("trade")
    await limiter.acquire("trade")
    with pytest.raises(RateLimited) as info:
        await limiter.acquire("trade")  # next token in 500 ms > 50 ms bound
    assert info.value.retry_after_s == pytest.approx(0.5)
    assert limiter.stats["trade"].refused == 1
    t.now += 0.5
    await limiter.acquire("trade")
    assert limiter.stats["trade"].calls == 4


def test_take_now_only_takes_a_token_that_is_there() -> None:
    t = FakeTime()
    limiter = VenueRateLimiter("bybit", {"trade": RateLimitSpec(4, 1.0)}, fraction=0.5, clock=t)
    assert limiter.take_now("trade") and limiter.take_now("trade")
    bucket = limiter.bucket("trade")
    assert bucket is not None
    waiting_s = bucket.wait_needed_s()
    assert not limiter.take_now("trade")  # no borrowing: acquire() decides wait or refusal
    assert bucket.wait_needed_s() == waiting_s and limiter.stats["trade"].calls == 2
    t.now += 0.5
    assert limiter.take_now("trade")
    assert limiter.take_now("unlisted")


async def test_non_trading_groups_wait_and_count_waits() -> None:
    limiter = VenueRateLimiter("bybit", {"query": RateLimitSpec(200, 1.0)}, fraction=0.01)
    await limiter.acquire("query")
    await limiter.acquire("query")  # 2 tokens/s budget, capacity 2
    await limiter.acquire("query")  # waits about 0.5 s
    stats = limiter.stats["query"]
    assert stats.calls == 3 and stats.waits == 1 and stats.wait_s_total > 0.3


async def test_exchange_rate_limit_answer_pauses_the_group() -> None:
    t = FakeTime()
    limiter = VenueRateLimiter("bybit", {"trade": RateLimitSpec(10, 1.0)}, clock=t)
    limiter.on_rate_limited("trade", 2.0)
    with pytest.raises(RateLimited):
        await limiter.acquire("trade")
    t.now += 2.2
    await limiter.acquire("trade")


def test_load_from_config_format_and_fallback_to_documented(tmp_path: Path) -> None:
    path = tmp_path / "exchanges.json"
    path.write_text(
        json.dumps(
            {
                "bybit": {
                    "fees": {"taker": "0.00055", "maker": "0.0002"},
                    "rate_limits": {
                        "trade": {"max_requests": 20, "per_seconds": 2, "source": "test"}
                    },
                }
            }
        )
    )
    loaded = load_rate_limits(path)
    assert loaded["bybit"]["trade"] == RateLimitSpec(20, 2.0, "test")
    limiter = build_limiter(
        "bybit",
        {"trade": RateLimitSpec(10, 1.0), "market": RateLimitSpec(600, 5.0)},
        path,
    )
    trade, market = limiter.bucket("trade"), limiter.bucket("market")
    assert trade is not None and trade.rate_per_s == 5.0
    assert market is not None and market.rate_per_s == 60.0


def test_bad_config_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "exchanges.json"
    path.write_text(json.dumps({"bybit": {"rate_limits": {"trade": {"max_requests": 0}}}}))
    with pytest.raises(ConfigError):
        load_rate_limits(path)


def test_project_config_file_loads_for_every_venue() -> None:
    path = Path(__file__).parents[3] / "configs" / "exchanges.json"
    loaded = load_rate_limits(path)
    assert set(loaded) == {"bybit", "bitget", "bingx", "gate", "okx", "htx", "mexc"}
    for venue, groups in loaded.items():
        assert {"trade", "query", "account", "market"} <= set(groups), venue
        assert all(spec.rate_per_s > 0 for spec in groups.values())
