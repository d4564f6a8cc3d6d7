"""`arbcore config check`: prints the config masked; a bad config exits non-zero naming the key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from arbcore.cli.main import app

REPO = Path(__file__).resolve().parents[2]
APP_YAML = REPO / "configs" / "app.yaml"
runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ARBCORE"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def check(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["config", "check", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_check_prints_effective_yaml_of_shipped_config() -> None:
    code, out, err = check(str(APP_YAML))
    assert code == 0, err
    effective = yaml.safe_load(out)
    assert effective["exchanges"]["bybit"]["enabled"] is True
    assert effective["exchanges"]["bybit"]["taker_fee"] == "0.00055"
    assert [p["symbol"] for p in effective["pairs"]] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


def test_check_json_output_masks_secrets_from_env() -> None:
    env = {
        "ARBCORE__EXCHANGES__BYBIT__API_KEY": "bybit-key-value",
        "ARBCORE__EXCHANGES__BYBIT__SECRET": "bybit-secret-value",
        "ARBCORE__API__TOKEN": "api-token-value",
    }
    code, out, err = check(str(APP_YAML), "--format", "json", env=env)
    assert code == 0, err
    effective = json.loads(out)
    assert effective["exchanges"]["bybit"]["api_key"] == "***"
    assert effective["exchanges"]["bybit"]["secret"] == "***"
    assert effective["api"]["token"] == "***"
    assert not any(value in out + err for value in env.values())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "engine:\n  max_concurrent_arbitrages: lots\n",
            ["engine.max_concurrent_arbitrages", "valid integer", "'lots'"],
            id="type-error",
        ),
        pytest.param(
            "engine:\n  max_concurrent_arbitrage: 2\n",
            ["engine.max_concurrent_arbitrage: unknown key"],
            id="unknown-key",
        ),
        pytest.param(
            "exchanges:\n  bybit:\n    enabled: true\n    env: live\n",
            ["exchanges.bybit.api_key", "exchanges.bybit.secret", "live"],
            id="live-without-secret",
        ),
        pytest.param(
            "exchanges:\n  bybit:\n    secret: hunter2\n",
            ["exchanges.bybit.secret: secrets are not allowed in the config file"],
            id="secret-in-yaml",
        ),
        pytest.param(
            "engine:\n  on_start: [close\n",
            ["YAML syntax error at line 3"],
            id="yaml-syntax",
        ),
    ],
)
def test_broken_config_exits_nonzero_naming_file_and_key(
    tmp_path: Path, body: str, expected: list[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(body, encoding="utf-8")
    code, out, err = check(str(path))
    assert code != 0
    assert out == ""
    assert str(path) in err
    for fragment in expected:
        assert fragment in err
    assert "hunter2" not in err


def test_quiet_prints_nothing_when_valid() -> None:
    assert check("--quiet", str(APP_YAML)) == (0, "", "")


def test_missing_file_exits_nonzero(tmp_path: Path) -> None:
    code, _, err = check(str(tmp_path / "absent.yaml"))
    assert code != 0
    assert f"{tmp_path / 'absent.yaml'}: file not found" in err


def test_installed_entry_point_reports_bad_config(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("metrics: {port: 0}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("ARBCORE")}
    arbcore = Path(sys.executable).with_name("arbcore")
    proc = subprocess.run(
        [str(arbcore), "config", "check", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "metrics.port" in proc.stderr
