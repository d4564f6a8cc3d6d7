"""Configuration sections: database, exchanges, engine, pairs, api, logging, metrics, alerts."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from arbcore.core.enums import Env, MarginMode, OnStart, Venue

PASSPHRASE_VENUES = frozenset({Venue.BITGET, Venue.OKX})
"""Venues whose API keys come with a passphrase (exchanges/bitget.md §3, exchanges/okx.md §3)."""

SYMBOL_PATTERN = r"^[A-Z0-9]{2,20}USDT$"
_STRICT = ConfigDict(extra="forbid", validate_default=True)


class Section(BaseModel):
    model_config = _STRICT


class DatabaseSettings(Section):
    url: str = Field(
        "sqlite+aiosqlite:///./data/arbcore.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    pool_size: int = Field(5, ge=1, description="Connections kept open (PostgreSQL only).")
    max_overflow: int = Field(10, ge=0, description="Extra connections allowed above pool_size.")
    pool_timeout_s: float = Field(30.0, gt=0, description="Wait for a free connection, seconds.")
    echo: bool = Field(False, description="Log every SQL statement (debugging only).")


class ExchangeSettings(Section):
    enabled: bool = Field(False, description="Connect to this venue at start.")
    env: Env = Field(
        Env.SIM, description="Deployment: live, testnet, demo or sim (local simulator)."
    )
    trade: bool = Field(True, description="Place orders here; false = price source only.")
    rest_url: str | None = Field(None, description="Override of the env's REST base URL.")
    ws_public_url: str | None = Field(None, description="Override of the public WebSocket URL.")
    ws_private_url: str | None = Field(None, description="Override of the private WebSocket URL.")
    taker_fee: Decimal = Field(
        description="Taker fee rate (0.00055 = 0.055 %); default from exchanges.json."
    )
    maker_fee: Decimal = Field(description="Maker fee rate; default from exchanges.json.")
    api_key: SecretStr | None = Field(None, description="API key (env or secrets file only).")
    secret: SecretStr | None = Field(None, description="API secret (env or secrets file only).")
    passphrase: SecretStr | None = Field(
        None, description="API passphrase, bitget and okx (env or secrets file only)."
    )
    request_timeout_s: float = Field(5.0, gt=0, description="Timeout of a non-order REST call, s.")
    order_timeout_s: float = Field(
        3.0, gt=0, description="Timeout of an order call; after it the outcome is unknown, s."
    )
    rate_budget_fraction: float = Field(
        0.5, gt=0, le=1, description="Share of the documented rate limit arbcore may use."
    )
    max_trading_wait_ms: float = Field(
        50.0, ge=0, description="A trading call that would queue longer for rate budget fails, ms."
    )
    book_depth: int = Field(50, ge=1, le=1000, description="Order book levels kept per symbol.")

    @field_validator("rest_url", "ws_public_url", "ws_private_url")
    @classmethod
    def _check_url(cls, url: str | None, info: ValidationInfo) -> str | None:
        allowed = ("http://", "https://") if info.field_name == "rest_url" else ("ws://", "wss://")
        if url is not None and not url.startswith(allowed):
            raise ValueError(f"must start with {' or '.join(allowed)}")
        return url


class EngineSettings(Section):
    max_concurrent_arbitrages: int = Field(
        1, ge=0, description="Slots: arbitrages open at once across all pairs (0 = no new entries)."
    )
    on_start: OnStart = Field(
        OnStart.CLOSE, description="Open positions found at start: close, adopt or ignore."
    )
    close_on_shutdown: bool = Field(False, description="Close all positions on SIGINT/SIGTERM.")
    stale_after_ms: int = Field(
        5000, gt=0, description="A book without updates this long is stale."
    )
    stale_alert_after_s: float = Field(
        30.0, gt=0, description="Alert when an open position waits on stale data this long."
    )
    position_monitor_interval_ms: int = Field(
        500, gt=0, le=1000, description="Stop-loss/position check period (SPEC: at least 1/s)."
    )
    balance_refresh_s: float = Field(60.0, gt=0, description="Periodic balance refresh.")
    instruments_refresh_h: float = Field(24.0, gt=0, description="Instrument limits refresh.")
    leg_retry_attempts: int = Field(3, ge=0, le=10, description="Retries of a missing second leg.")
    leg_retry_backoff_ms: int = Field(
        50, gt=0, description="First retry delay of a missing leg; doubles each attempt."
    )
    margin_buffer_pct: Decimal = Field(
        Decimal(10), ge=0, description="Extra margin required above notional/leverage + fees."
    )
    shutdown_timeout_s: float = Field(
        30.0, gt=0, description="Wait for running parts to reach hedged or flat on shutdown."
    )


class PairSettings(Section):
    symbol: str = Field(pattern=SYMBOL_PATTERN, description="arbcore symbol, e.g. BTCUSDT.")
    exchanges: list[Venue] = Field(min_length=2, description="Venues this pair may use (≥ 2).")
    volume_base: Decimal = Field(gt=0, description="Total base-coin quantity per arbitrage.")
    entry_parts: int = Field(1, ge=1, description="Entry in N parts of volume/N each.")
    exit_parts: int = Field(1, ge=1, description="Exit in N parts.")
    entry_spread_pct: Decimal = Field(ge=0, description="Enter when net spread ≥ this, percent.")
    take_profit_pct: Decimal = Field(ge=0, description="Close when pnl ≥ this, percent.")
    stop_loss_pct: Decimal = Field(ge=0, description="Close when pnl ≤ -this, percent.")
    leverage: int = Field(1, ge=1, le=200, description="Leverage set on both legs.")
    margin_mode: MarginMode = Field(MarginMode.ISOLATED, description="isolated or cross.")
    add_step_pct: Decimal = Field(
        Decimal(0), ge=0, description="Add a part when the spread widens by this, percent."
    )
    max_adds: int = Field(0, ge=0, description="Extra parts allowed while open.")
    max_slippage_pct: Decimal = Field(
        Decimal("0.1"), ge=0, description="IOC price limit from the decision price, percent."
    )
    enabled: bool = Field(True, description="Trade this pair (false = seeded paused).")

    @field_validator("exchanges")
    @classmethod
    def _unique_exchanges(cls, exchanges: list[Venue]) -> list[Venue]:
        duplicates = sorted({v.value for v in exchanges if exchanges.count(v) > 1})
        if duplicates:
            raise ValueError(f"lists {', '.join(duplicates)} more than once")
        return exchanges


class ApiSettings(Section):
    enabled: bool = Field(True, description="Serve the REST/WebSocket API.")
    host: str = Field("127.0.0.1", description="Bind address; loopback unless a token is set.")
    port: int = Field(8080, ge=1, le=65535, description="TCP port.")
    token: SecretStr | None = Field(None, description="Bearer token (env ARBCORE__API__TOKEN).")


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class Rotation(StrEnum):
    SIZE = "size"
    TIME = "time"


class LoggingSettings(Section):
    level: LogLevel = Field(LogLevel.INFO, description="Lowest level written.")
    json_format: bool = Field(
        True, description="JSON lines on stderr (false = human format; the file is always JSON)."
    )
    stderr: bool = Field(True, description="Also write to stderr.")
    file_path: Path | None = Field(Path("logs/arbcore.log"), description="Log file; null = none.")
    rotation: Rotation = Field(Rotation.SIZE, description="Rotate by size or by time.")
    max_bytes: int = Field(50_000_000, ge=1024, description="Size rotation threshold, bytes.")
    backup_count: int = Field(10, ge=0, description="Rotated files kept.")
    rotate_when: str = Field("midnight", description="Time rotation unit: S, M, H, D, midnight.")
    rotate_interval: int = Field(1, ge=1, description="Time rotation every N rotate_when units.")

    @model_validator(mode="before")
    @classmethod
    def _upper_level(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("level"), str):
            return {**data, "level": data["level"].upper()}
        return data


class MetricsSettings(Section):
    enabled: bool = Field(True, description="Serve Prometheus metrics.")
    host: str = Field("127.0.0.1", description="Bind address of /metrics.")
    port: int = Field(9108, ge=1, le=65535, description="TCP port of /metrics.")


class TelegramSettings(Section):
    enabled: bool = Field(False, description="Send alerts to Telegram.")
    chat_id: str | None = Field(None, description="Target chat id.")
    token: SecretStr | None = Field(None, description="Bot token (env only).")


class EmailSettings(Section):
    enabled: bool = Field(False, description="Send alerts by e-mail.")
    smtp_host: str | None = Field(None, description="SMTP server.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_starttls: bool = Field(True, description="Use STARTTLS.")
    smtp_user: str | None = Field(None, description="SMTP login; null = no authentication.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (env only).")
    from_addr: str | None = Field(None, description="Sender address.")
    to_addrs: list[str] = Field(default_factory=list, description="Recipients.")


class AlertSettings(Section):
    telegram: TelegramSettings = Field(
        default_factory=TelegramSettings, description="Telegram bot alerts."
    )
    email: EmailSettings = Field(
        default_factory=EmailSettings, description="E-mail alerts over SMTP."
    )
    disconnect_alert_after_s: float = Field(
        60.0, gt=0, description="Alert on a disconnect lasting longer than this."
    )
    repeat_suppress_s: float = Field(
        300.0, ge=0, description="Identical alerts within this window are sent once."
    )
    daily_summary_hour_utc: int | None = Field(
        0, ge=0, le=23, description="Hour (UTC) of the daily summary; null = none."
    )
