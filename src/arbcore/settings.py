"""Typed configuration: app.yaml + secrets file + ARBCORE__SECTION__KEY environment overrides."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from arbcore.core.enums import Env, Venue
from arbcore.core.models import PairSpec
from arbcore.exchanges.base import ConnectorConfig, Credentials
from arbcore.settings_sections import (
    PASSPHRASE_VENUES,
    AlertSettings,
    ApiSettings,
    DatabaseSettings,
    EmailSettings,
    EngineSettings,
    ExchangeSettings,
    LoggingSettings,
    LogLevel,
    MetricsSettings,
    PairSettings,
    Rotation,
    TelegramSettings,
)
from arbcore.settings_sources import (
    CONFIG_FILE_ENV,
    DEFAULT_CONFIG_PATH,
    ENV_DELIMITER,
    ENV_PREFIX,
    MASK,
    SECRET_KEYS,
    SECRETS_FILE_ENV,
    config_error,
    deep_merge,
    default_exchanges_file,
    find_secrets,
    load_exchange_fees,
    mask_url_password,
    read_secrets_file,
    read_yaml_mapping,
    validation_messages,
)

__all__ = [
    "AlertSettings",
    "ApiSettings",
    "DatabaseSettings",
    "EmailSettings",
    "EngineSettings",
    "ExchangeSettings",
    "LogLevel",
    "LoggingSettings",
    "MetricsSettings",
    "PairSettings",
    "Rotation",
    "Settings",
    "TelegramSettings",
    "connector_config",
    "load_settings",
    "masked_dump",
]


def _venue_defaults(exchanges_file: Path) -> dict[str, dict[str, Any]]:
    fees = load_exchange_fees(exchanges_file)
    return {v.value: {"taker_fee": fees[v][0], "maker_fee": fees[v][1]} for v in Venue}


class Settings(BaseSettings):
    """The whole configuration. Build with `load_settings()`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        extra="forbid",
        case_sensitive=False,
        validate_default=True,
    )

    secrets_file: Path | None = Field(
        None, description="YAML or .env file with secrets, outside the repo (env overrides it)."
    )
    exchanges_file: Path | None = Field(
        None, description="Fees and rate limits; null = exchanges.json beside app.yaml or packaged."
    )
    database: DatabaseSettings = Field(
        default_factory=DatabaseSettings, description="Storage of pairs, trades, orders, events."
    )
    exchanges: dict[Venue, ExchangeSettings] = Field(
        default_factory=dict, description="Per venue; all seven always present."
    )
    engine: EngineSettings = Field(
        default_factory=EngineSettings,
        description="Slots, restart, shutdown, staleness, refresh periods.",
    )
    pairs: list[PairSettings] = Field(default_factory=list, description="Pairs seeded into the DB.")
    api: ApiSettings = Field(
        default_factory=ApiSettings, description="REST/WebSocket API for a frontend; token auth."
    )
    logging: LoggingSettings = Field(
        default_factory=LoggingSettings,
        description="JSON logs to stderr and a rotating file; secrets redacted.",
    )
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings, description="Prometheus /metrics endpoint."
    )
    alerts: AlertSettings = Field(
        default_factory=AlertSettings, description="Telegram and e-mail alerts, thresholds."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment wins over the merged YAML + secrets file passed as init values."""
        return (env_settings, init_settings)

    @model_validator(mode="before")
    @classmethod
    def _fill_venues(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        raw = data.get("exchanges") or {}
        if not isinstance(raw, dict):
            return data
        path = data.get("exchanges_file")
        defaults = _venue_defaults(Path(path) if path else default_exchanges_file(None))
        given = {
            str(k.value if isinstance(k, Venue) else k).lower(): (k, v) for k, v in raw.items()
        }
        venues: dict[Any, Any] = {}
        for name, fees in defaults.items():
            value = given.pop(name, (name, {}))[1]
            venues[name] = {**fees, **value} if isinstance(value, dict) else value
        venues.update(dict(given.values()))  # unknown venues: left for validation to name
        return {**data, "exchanges": venues}

    @model_validator(mode="after")
    def _check_cross_section(self) -> Settings:
        problems = [*self._credential_problems(), *self._pair_problems(), *self._misc_problems()]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _credential_problems(self) -> list[str]:
        problems: list[str] = []
        for venue, ex in self.exchanges.items():
            if not (ex.enabled and ex.trade) or ex.env is Env.SIM:
                continue
            needed = ["api_key", "secret"] + (["passphrase"] if venue in PASSPHRASE_VENUES else [])
            for name in needed:
                if getattr(ex, name) is None:
                    env_name = f"{ENV_PREFIX}EXCHANGES__{venue.value.upper()}__{name.upper()}"
                    problems.append(
                        f"exchanges.{venue.value}.{name}: required for an enabled {ex.env.value} "
                        f"exchange with trade: true; set {env_name} or put it in the secrets file"
                    )
        return problems

    def _pair_problems(self) -> list[str]:
        problems: list[str] = []
        seen: set[str] = set()
        for index, pair in enumerate(self.pairs):
            if pair.symbol in seen:
                problems.append(f"pairs[{index}].symbol: {pair.symbol} is configured twice")
            seen.add(pair.symbol)
            if not pair.enabled:
                continue
            for venue in pair.exchanges:
                if not self.exchanges[venue].enabled:
                    problems.append(
                        f"pairs[{index}].exchanges: {venue.value} is not enabled "
                        f"(exchanges.{venue.value}.enabled: false)"
                    )
        return problems

    def _misc_problems(self) -> list[str]:
        problems: list[str] = []
        if self.api.enabled and self.api.token is None and not _is_loopback(self.api.host):
            problems.append(
                f"api.token: required when api.host ({self.api.host}) is not a loopback address; "
                "set ARBCORE__API__TOKEN"
            )
        telegram = self.alerts.telegram
        if telegram.enabled:
            if telegram.token is None:
                problems.append(
                    "alerts.telegram.token: required when telegram alerts are enabled; "
                    "set ARBCORE__ALERTS__TELEGRAM__TOKEN"
                )
            if not telegram.chat_id:
                problems.append("alerts.telegram.chat_id: required when telegram is enabled")
        email = self.alerts.email
        if email.enabled:
            for name in ("smtp_host", "from_addr"):
                if not getattr(email, name):
                    problems.append(f"alerts.email.{name}: required when e-mail is enabled")
            if not email.to_addrs:
                problems.append("alerts.email.to_addrs: at least one recipient is required")
            if email.smtp_user and email.smtp_password is None:
                problems.append(
                    "alerts.email.smtp_password: required with smtp_user; "
                    "set ARBCORE__ALERTS__EMAIL__SMTP_PASSWORD"
                )
        return problems

    def enabled_venues(self) -> list[Venue]:
        return [venue for venue, ex in self.exchanges.items() if ex.enabled]

    def pair_specs(self) -> list[PairSpec]:
        """Seed pairs as core PairSpecs; venues with trade: false become price_only."""
        return [
            PairSpec(
                symbol=p.symbol,
                exchanges=tuple(p.exchanges),
                volume_base=p.volume_base,
                entry_spread_pct=p.entry_spread_pct,
                take_profit_pct=p.take_profit_pct,
                stop_loss_pct=p.stop_loss_pct,
                entry_parts=p.entry_parts,
                exit_parts=p.exit_parts,
                leverage=p.leverage,
                margin_mode=p.margin_mode,
                add_step_pct=p.add_step_pct,
                max_adds=p.max_adds,
                max_slippage_pct=p.max_slippage_pct,
                enabled=p.enabled,
                price_only=tuple(v for v in p.exchanges if not self.exchanges[v].trade),
            )
            for p in self.pairs
        ]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def connector_config(settings: Settings, venue: Venue) -> ConnectorConfig:
    """The ConnectorConfig a venue client is built from (credentials None if not configured)."""
    venue = Venue(venue)
    ex = settings.exchanges[venue]
    credentials = None
    if ex.api_key is not None and ex.secret is not None:
        credentials = Credentials(
            api_key=ex.api_key.get_secret_value(),
            secret=ex.secret.get_secret_value(),
            passphrase=ex.passphrase.get_secret_value() if ex.passphrase is not None else None,
        )
    return ConnectorConfig(
        venue=venue,
        env=ex.env,
        credentials=credentials,
        rest_url=ex.rest_url,
        ws_public_url=ex.ws_public_url,
        ws_private_url=ex.ws_private_url,
        request_timeout_s=ex.request_timeout_s,
        order_timeout_s=ex.order_timeout_s,
        rate_limits_path=str(settings.exchanges_file) if settings.exchanges_file else None,
        rate_budget_fraction=ex.rate_budget_fraction,
        max_trading_wait_ms=ex.max_trading_wait_ms,
        book_depth=ex.book_depth,
    )


def _resolve(base_dir: Path | None, value: Any) -> Path:
    path = Path(str(value)).expanduser()
    return (path if path.is_absolute() or base_dir is None else base_dir / path).resolve()


def load_settings(path: Path | None = None) -> Settings:
    """Load app.yaml (given path, else $ARBCORE_CONFIG, else configs/app.yaml if it exists),
    merge the secrets file, apply ARBCORE__SECTION__KEY overrides, validate.

    Raises ConfigError naming the file and each bad key path.
    """
    if path is None:
        from_env = os.environ.get(CONFIG_FILE_ENV)
        path = Path(from_env) if from_env else DEFAULT_CONFIG_PATH
        if not from_env and not path.is_file():
            path = None
    data: dict[str, Any] = {}
    base_dir: Path | None = None
    if path is not None:
        data = read_yaml_mapping(path)
        base_dir = path.resolve().parent
        secrets = find_secrets(data)
        if secrets:
            raise config_error(
                path,
                [
                    f"{key}: secrets are not allowed in the config file; use the environment "
                    "or the secrets file" + f" ({ENV_PREFIX}{key.upper().replace('.', '__')})"
                    for key in secrets
                ],
            )
    env_secrets = os.environ.get(SECRETS_FILE_ENV) or os.environ.get(f"{ENV_PREFIX}SECRETS_FILE")
    secrets_value = env_secrets or data.get("secrets_file")
    if secrets_value:
        secrets_path = _resolve(None if env_secrets else base_dir, secrets_value)
        data = deep_merge(data, read_secrets_file(secrets_path))
        data["secrets_file"] = str(secrets_path)
    exchanges_value = data.get("exchanges_file")
    data["exchanges_file"] = str(
        _resolve(base_dir, exchanges_value) if exchanges_value else default_exchanges_file(base_dir)
    )
    try:
        return Settings(**data)
    except ValidationError as exc:
        source = str(path) if path is not None else None
        if secrets_value:
            source = f"{source or 'defaults'} + secrets file {data['secrets_file']}"
        raise config_error(source, validation_messages(exc)) from None


def masked_dump(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain JSON types, every set secret shown as ***."""
    masked: dict[str, Any] = _mask(settings.model_dump(mode="json"))
    return masked


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (MASK if key in SECRET_KEYS and item is not None else _mask(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_mask(item) for item in value]
    if isinstance(value, str):
        return mask_url_password(value) or value
    return value
