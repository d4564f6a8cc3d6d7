"""Settings: defaults, YAML, environment overrides, secrets sources, validation messages."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel

from arbcore.core.enums import Env, MarginMode, OnStart, Venue
from arbcore.core.errors import ConfigError
from arbcore.exchanges.base import Credentials
from arbcore.settings import (
    ExchangeSettings,
    PairSettings,
    Settings,
    connector_config,
    load_settings,
    masked_dump,
)
from arbcore.settings_doc import render_configuration_doc
from arbcore.settings_sources import load_exchange_fees, packaged_exchanges_file

REPO = Path(__file__).resolve().parents[2]
APP_YAML = REPO / "configs" / "app.yaml"
PAIR_YAML = """
exchanges:
  bybit: {enabled: true}
  bitget: {enabled: true}
pairs:
  - symbol: BTCUSDT
    exchanges: [bybit, bitget]
    volume_base: "0.01"
    entry_spread_pct: "0.1"
    take_profit_pct: "0.1"
    stop_loss_pct: "1"
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ARBCORE variables from the outer shell; cwd without configs/."""
    for name in list(os.environ):
        if name.upper().startswith("ARBCORE"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path | None) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return str(info.value)


def test_defaults_without_any_file() -> None:
    settings = load_settings()
    assert settings.database.url == "sqlite+aiosqlite:///./data/arbcore.db"
    assert list(settings.exchanges) == list(Venue)
    assert settings.enabled_venues() == []
    assert settings.engine.stale_after_ms == 5000
    assert settings.engine.on_start is OnStart.CLOSE
    assert settings.api.host == "127.0.0.1"
    assert settings.pairs == []
    fees = load_exchange_fees(packaged_exchanges_file())
    assert settings.exchanges[Venue.BYBIT].taker_fee == fees[Venue.BYBIT][0] == Decimal("0.00055")
    assert settings.exchanges[Venue.BITGET].maker_fee == Decimal("0.0002")


def test_shipped_app_yaml_loads_with_sim_venues_and_seed_pairs() -> None:
    settings = load_settings(APP_YAML)
    assert settings.enabled_venues() == [Venue.BYBIT, Venue.BITGET]
    assert all(settings.exchanges[v].env is Env.SIM for v in settings.enabled_venues())
    assert [p.symbol for p in settings.pairs] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert settings.exchanges_file == REPO / "configs" / "exchanges.json"
    spec = settings.pair_specs()[0]
    assert spec.exchanges == (Venue.BYBIT, Venue.BITGET)
    assert spec.volume_base == Decimal("0.01")
    assert spec.margin_mode is MarginMode.ISOLATED
    assert spec.price_only == ()


def test_default_path_is_configs_app_yaml_in_cwd(tmp_path: Path) -> None:
    write(tmp_path / "configs" / "app.yaml", "engine: {max_concurrent_arbitrages: 4}\n")
    assert load_settings().engine.max_concurrent_arbitrages == 4


def test_env_overrides_yaml_nested(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.yaml",
        "engine: {max_concurrent_arbitrages: 2, stale_after_ms: 3000}\n"
        "exchanges: {bybit: {enabled: true, taker_fee: '0.0004'}}\n"
        "alerts: {telegram: {chat_id: from-yaml}}\n",
    )
    monkeypatch.setenv("ARBCORE__ENGINE__MAX_CONCURRENT_ARBITRAGES", "7")
    monkeypatch.setenv("ARBCORE__EXCHANGES__BYBIT__TAKER_FEE", "0.0001")
    monkeypatch.setenv("ARBCORE__ALERTS__TELEGRAM__CHAT_ID", "from-env")
    settings = load_settings(path)
    assert settings.engine.max_concurrent_arbitrages == 7
    assert settings.engine.stale_after_ms == 3000  # untouched sibling keeps the YAML value
    assert settings.exchanges[Venue.BYBIT].taker_fee == Decimal("0.0001")
    assert settings.exchanges[Venue.BYBIT].enabled is True
    assert settings.alerts.telegram.chat_id == "from-env"


def test_env_type_error_names_key_and_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARBCORE__ENGINE__STALE_AFTER_MS", "soon")
    message = error_of(write(tmp_path / "app.yaml", "{}\n"))
    assert "engine.stale_after_ms" in message
    assert "ARBCORE__ENGINE__STALE_AFTER_MS" in message


def test_secret_in_yaml_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.yaml",
        "exchanges:\n  okx: {enabled: true, env: live, api_key: AKIA-very-secret}\n"
        "api: {token: tok-123}\n",
    )
    message = error_of(path)
    assert str(path) in message
    assert "exchanges.okx.api_key" in message
    assert "api.token" in message
    assert "AKIA-very-secret" not in message
    assert "tok-123" not in message


def test_null_secret_placeholder_in_yaml_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path / "app.yaml", "alerts: {telegram: {token: null}}\n")
    assert load_settings(path).alerts.telegram.token is None


def test_live_exchange_without_credentials_names_each_missing_key(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.yaml",
        "exchanges:\n  bitget: {enabled: true, env: live}\n  bybit: {enabled: true, env: demo}\n",
    )
    message = error_of(path)
    for key in ("bitget.api_key", "bitget.secret", "bitget.passphrase"):
        assert f"exchanges.{key}" in message
    assert "exchanges.bybit.api_key" in message
    assert "exchanges.bybit.passphrase" not in message  # bybit keys have no passphrase
    assert "ARBCORE__EXCHANGES__BITGET__PASSPHRASE" in message


def test_credentials_not_needed_for_sim_disabled_or_price_only(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.yaml",
        "exchanges:\n"
        "  bybit: {enabled: true, env: sim}\n"
        "  okx: {enabled: false, env: live}\n"
        "  mexc: {enabled: true, env: live, trade: false}\n",
    )
    settings = load_settings(path)
    assert connector_config(settings, Venue.MEXC).credentials is None
    assert settings.enabled_venues() == [Venue.BYBIT, Venue.MEXC]


def test_credentials_from_env_reach_connector_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "app.yaml",
        "exchanges:\n  okx:\n    enabled: true\n    env: demo\n"
        "    rest_url: http://127.0.0.1:9999\n    order_timeout_s: 2.5\n",
    )
    monkeypatch.setenv("ARBCORE__EXCHANGES__OKX__API_KEY", "k-okx")
    monkeypatch.setenv("ARBCORE__EXCHANGES__OKX__SECRET", "s-okx")
    monkeypatch.setenv("ARBCORE__EXCHANGES__OKX__PASSPHRASE", "p-okx")
    settings = load_settings(path)
    config = connector_config(settings, Venue.OKX)
    assert config.credentials == Credentials("k-okx", "s-okx", "p-okx")
    assert config.env is Env.DEMO
    assert config.rest_url == "http://127.0.0.1:9999"
    assert config.order_timeout_s == 2.5
    assert config.rate_limits_path == str(packaged_exchanges_file())
    assert config.rate_budget_fraction == 0.5


def test_yaml_secrets_file_outside_repo_and_env_precedence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secrets = write(
        tmp_path / "private" / "secrets.yaml",
        "exchanges:\n  bybit: {api_key: file-key, secret: file-secret}\napi: {token: file-token}\n",
    )
    path = write(
        tmp_path / "conf" / "app.yaml",
        "secrets_file: ../private/secrets.yaml\nexchanges: {bybit: {enabled: true, env: live}}\n",
    )
    settings = load_settings(path)
    creds = connector_config(settings, Venue.BYBIT).credentials
    assert creds is not None
    assert (creds.api_key, creds.secret) == ("file-key", "file-secret")
    assert settings.secrets_file == secrets.resolve()
    monkeypatch.setenv("ARBCORE__EXCHANGES__BYBIT__SECRET", "env-secret")
    overridden = load_settings(path).exchanges[Venue.BYBIT].secret
    assert overridden is not None
    assert overridden.get_secret_value() == "env-secret"


def test_dotenv_secrets_file_named_by_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secrets = write(
        tmp_path / "arbcore.env",
        "# arbcore secrets\n"
        "export ARBCORE__EXCHANGES__BITGET__API_KEY=bg-key\n"
        "ARBCORE__EXCHANGES__BITGET__SECRET='bg-secret'\n"
        'ARBCORE__EXCHANGES__BITGET__PASSPHRASE="bg-pass"\n',
    )
    monkeypatch.setenv("ARBCORE_SECRETS_FILE", str(secrets))
    path = write(tmp_path / "app.yaml", "exchanges: {bitget: {enabled: true, env: demo}}\n")
    creds = connector_config(load_settings(path), Venue.BITGET).credentials
    assert creds == Credentials("bg-key", "bg-secret", "bg-pass")


def test_secrets_file_inside_a_git_repo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write(tmp_path / "repo" / "secrets.yaml", "api: {token: t}\n")
    path = write(tmp_path / "repo" / "app.yaml", "secrets_file: secrets.yaml\n")
    assert "inside the git repository" in error_of(path)


def test_unknown_keys_and_venues_are_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.yaml",
        "engine: {max_concurent_arbitrages: 3}\nexchanges: {binance: {enabled: true}}\nfoo: 1\n",
    )
    message = error_of(path)
    assert "engine.max_concurent_arbitrages: unknown key" in message
    assert "exchanges.binance" in message
    assert "foo: unknown key" in message
    assert "taker_fee" not in message  # no follow-up noise inside the unknown venue


def test_type_errors_name_the_key_path(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.yaml",
        "engine: {max_concurrent_arbitrages: many, on_start: explode}\n"
        "exchanges: {gate: {rest_url: 'ftp://gate'}}\napi: {port: 70000}\n",
    )
    message = error_of(path)
    assert "engine.max_concurrent_arbitrages:" in message and "'many'" in message
    assert "engine.on_start:" in message
    assert "exchanges.gate.rest_url: must start with http:// or https://" in message
    assert "api.port:" in message


def test_pair_validation(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.yaml",
        PAIR_YAML
        + """  - symbol: BTCUSDT
    exchanges: [bybit, bitget]
    volume_base: "0.01"
    entry_spread_pct: "0.1"
    take_profit_pct: "0.1"
    stop_loss_pct: "1"
  - symbol: eth-usdt
    exchanges: [bybit]
    volume_base: "0"
    entry_parts: 0
    entry_spread_pct: "-0.1"
    take_profit_pct: "0.1"
    stop_loss_pct: "1"
  - symbol: SOLUSDT
    exchanges: [bybit, bybit]
    volume_base: "1"
    entry_spread_pct: "0.1"
    take_profit_pct: "0.1"
  - symbol: XRPUSDT
    exchanges: [bybit, okx]
    volume_base: "10"
    entry_spread_pct: "0.1"
    take_profit_pct: "0.1"
    stop_loss_pct: "1"
""",
    )
    message = error_of(path)
    for expected in (
        "pairs[2].symbol:",
        "pairs[2].exchanges:",
        "pairs[2].volume_base:",
        "pairs[2].entry_parts:",
        "pairs[2].entry_spread_pct:",
        "pairs[3].exchanges: lists bybit more than once",
        "pairs[3].stop_loss_pct: required key is missing",
    ):
        assert expected in message
    path = write(tmp_path / "two.yaml", PAIR_YAML + PAIR_YAML.split("pairs:\n")[1])
    assert "pairs[1].symbol: BTCUSDT is configured twice" in error_of(path)
    okx_pair = PAIR_YAML.replace("[bybit, bitget]", "[bybit, okx]")
    path = write(tmp_path / "disabled.yaml", okx_pair)
    assert "pairs[0].exchanges: okx is not enabled" in error_of(path)


def test_yaml_syntax_error_and_duplicate_key_give_line(tmp_path: Path) -> None:
    message = error_of(write(tmp_path / "bad.yaml", "engine:\n  on_start: close\n  x: [1\n"))
    assert "bad.yaml: YAML syntax error at line" in message
    message = error_of(write(tmp_path / "dup.yaml", "engine: {}\napi: {}\nengine: {}\n"))
    assert "duplicate key 'engine'" in message and "line 3" in message
    assert "top level must be a mapping" in error_of(write(tmp_path / "list.yaml", "- 1\n"))


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert f"{missing}: file not found" in error_of(missing)


def test_exchanges_file_supplies_fee_defaults(tmp_path: Path) -> None:
    facts = json.loads((REPO / "configs" / "exchanges.json").read_text())
    facts["gate"]["fees"] = {"taker": "0.0009", "maker": "-0.0001"}
    write(tmp_path / "conf" / "exchanges.json", json.dumps(facts))
    path = write(tmp_path / "conf" / "app.yaml", "exchanges: {gate: {maker_fee: '0.0003'}}\n")
    gate = load_settings(path).exchanges[Venue.GATE]
    assert gate.taker_fee == Decimal("0.0009")  # from exchanges.json beside app.yaml
    assert gate.maker_fee == Decimal("0.0003")  # explicit value wins
    del facts["htx"]["rate_limits"]["trade"]
    write(tmp_path / "conf" / "exchanges.json", json.dumps(facts))
    assert "htx.rate_limits.trade is missing" in error_of(path)


def test_exchanges_json_is_complete_and_packaged_copy_matches() -> None:
    repo_file = REPO / "configs" / "exchanges.json"
    assert repo_file.read_bytes() == packaged_exchanges_file().read_bytes()
    fees = load_exchange_fees(repo_file)
    assert set(fees) == set(Venue)
    for taker, maker in fees.values():
        assert Decimal(0) < taker < Decimal("0.002")
        assert maker <= taker


def test_api_token_needed_off_loopback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = write(tmp_path / "app.yaml", "api: {host: 0.0.0.0}\n")
    assert "api.token: required" in error_of(path)
    monkeypatch.setenv("ARBCORE__API__TOKEN", "t0k")
    assert load_settings(path).api.host == "0.0.0.0"


def test_alert_channels_require_their_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path / "app.yaml",
        "alerts:\n  telegram: {enabled: true}\n  email: {enabled: true, smtp_user: bot}\n",
    )
    message = error_of(path)
    for key in (
        "alerts.telegram.token",
        "alerts.telegram.chat_id",
        "alerts.email.smtp_host",
        "alerts.email.from_addr",
        "alerts.email.to_addrs",
        "alerts.email.smtp_password",
    ):
        assert key in message


def test_masked_dump_hides_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "ARBCORE__EXCHANGES__OKX__API_KEY": "value-api-key",
        "ARBCORE__EXCHANGES__OKX__SECRET": "value-secret",
        "ARBCORE__EXCHANGES__OKX__PASSPHRASE": "value-pass",
        "ARBCORE__API__TOKEN": "value-token",
        "ARBCORE__ALERTS__TELEGRAM__TOKEN": "value-tg",
        "ARBCORE__ALERTS__EMAIL__SMTP_PASSWORD": "value-smtp",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    dumped = masked_dump(load_settings())
    text = json.dumps(dumped)
    assert not any(value in text for value in values.values())
    assert dumped["exchanges"]["okx"]["api_key"] == "***"
    assert dumped["alerts"]["email"]["smtp_password"] == "***"
    assert dumped["exchanges"]["bybit"]["api_key"] is None


def _field_names(model: type[BaseModel]) -> Iterator[str]:
    for name, field in model.model_fields.items():
        yield name
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _field_names(annotation)


def test_configuration_doc_is_generated_from_the_models() -> None:
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert doc == render_configuration_doc(), "regenerate: arbcore config doc > docs/..."
    for model in (Settings, ExchangeSettings, PairSettings):
        for name in _field_names(model):
            assert f"| `{name}` |" in doc or f"{name}`\n" in doc  # a row or a section heading


def test_database_password_only_from_env_and_masked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = "postgresql+asyncpg://arb:pg-pass-1@db.internal:5432/arbcore"
    message = error_of(write(tmp_path / "app.yaml", f"database: {{url: '{url}'}}\n"))
    assert "database.url: secrets are not allowed" in message
    assert "pg-pass-1" not in message
    monkeypatch.setenv("ARBCORE__DATABASE__URL", url)
    settings = load_settings(write(tmp_path / "ok.yaml", "database: {pool_size: 3}\n"))
    assert settings.database.url == url
    masked = masked_dump(settings)["database"]["url"]
    assert masked == "postgresql+asyncpg://arb:***@db.internal:5432/arbcore"


def test_packaged_exchanges_file_is_the_repository_copy() -> None:
    """The wheel ships its own exchanges.json; it must not drift from configs/exchanges.json."""
    shipped = packaged_exchanges_file().read_text()
    assert shipped == (REPO / "configs" / "exchanges.json").read_text()
