"""SimConfig: every knob of the simulator (seed, venues, price model, books, accounts, keys)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from arbcore.core.enums import Venue

# Default VIP0 fee rates per venue (fact sheets); negative maker = rebate.
DEFAULT_FEES: dict[Venue, tuple[Decimal, Decimal]] = {
    Venue.BYBIT: (Decimal("0.00055"), Decimal("0.0002")),
    Venue.BITGET: (Decimal("0.0006"), Decimal("0.0002")),
    Venue.BINGX: (Decimal("0.0005"), Decimal("0.0002")),
    Venue.GATE: (Decimal("0.0005"), Decimal("0.0002")),
    Venue.OKX: (Decimal("0.0005"), Decimal("0.0002")),
    Venue.HTX: (Decimal("0.0005"), Decimal("0.0002")),
    Venue.MEXC: (Decimal("0.0002"), Decimal("0")),
}


class DemoCredentials(BaseModel):
    """Key material a venue's front end accepts (and verifies signatures with)."""

    model_config = ConfigDict(frozen=True)

    api_key: str
    secret: str
    passphrase: str | None = None


def demo_credentials(venue: Venue) -> DemoCredentials:
    """Deterministic demo keys: `<venue>-demo-key`, `<venue>-demo-secret`, `demo-passphrase`."""
    return DemoCredentials(
        api_key=f"{venue.value}-demo-key",
        secret=f"{venue.value}-demo-secret",
        passphrase="demo-passphrase",
    )


class DivergenceConfig(BaseModel):
    """Per-venue price offset: mean-reverting noise plus occasional divergence episodes."""

    model_config = ConfigDict(frozen=True)

    noise_bps_per_sqrt_s: float = 1.0
    half_life_s: float = 5.0
    episode_every_s: float = 30.0  # mean time between episodes, per venue and symbol
    episode_size_bps: float = 40.0  # mean absolute offset during an episode
    episode_duration_s: float = 8.0


class SimConfig(BaseModel):
    """Everything the simulator needs; JSON/YAML loadable (`SimConfig.from_file`)."""

    model_config = ConfigDict(frozen=True)

    seed: int = 1
    venues: tuple[Venue, ...] = (Venue.BYBIT,)
    coins: tuple[str, ...] = ("BTC", "ETH", "SOL", "XRP", "DOGE")
    host: str = "127.0.0.1"
    ports: dict[Venue, int] = Field(default_factory=dict)  # 0 or missing: a free port
    # price model and books
    volatility_bps_per_sqrt_s: float = 1.0
    divergence: DivergenceConfig = Field(default_factory=DivergenceConfig)
    updates_per_s: float = 20.0  # book updates per second per book
    book_depth: int = 200  # levels per side
    level_gap_bps: float = 0.2  # distance between levels beyond the best (at least one tick)
    level_notional_usdt: float = 50_000.0  # mean size of a level
    churn_levels: int = 3  # levels per side re-sized on every update
    replay_file: Path | None = None  # JSON-lines book stream replayed instead of the model
    replay_speed: float = 1.0
    # accounts
    starting_balance_usdt: Decimal = Decimal("100000")
    fees: dict[Venue, tuple[Decimal, Decimal]] = Field(default_factory=dict)  # (taker, maker)
    funding_interval_s: float | None = None  # None: each instrument's real interval (8 h)
    credentials: dict[Venue, DemoCredentials] = Field(default_factory=dict)
    # protocol
    ws_idle_timeout_s: float | None = None  # None: the venue's real idle timeout
    recv_window_check: bool = True

    def fee_rates(self, venue: Venue) -> tuple[Decimal, Decimal]:
        """(taker, maker) fee rates of `venue`."""
        return self.fees.get(venue, DEFAULT_FEES[venue])

    def credentials_for(self, venue: Venue) -> DemoCredentials:
        return self.credentials.get(venue, demo_credentials(venue))

    @classmethod
    def from_file(cls, path: Path) -> SimConfig:
        """Load from a .json or .yaml/.yml file (keys as the fields above)."""
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return cls.model_validate(data or {})
