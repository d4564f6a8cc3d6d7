"""ops/logging: JSON lines with ISO UTC timestamps, secret redaction, size and time rotation."""

from __future__ import annotations

import json
import logging
import logging.handlers
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import structlog
from pydantic import SecretStr

from arbcore.ops.logging import configure_logging, get_logger, is_secret_key, redact
from arbcore.settings import LoggingSettings, Rotation


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def file_settings(tmp_path: Path, **overrides: Any) -> LoggingSettings:
    values: dict[str, Any] = {"file_path": tmp_path / "logs" / "arbcore.log", "stderr": False}
    values.update(overrides)
    return LoggingSettings(**values)


@pytest.mark.parametrize(
    "key",
    [
        "api_key",
        "API_KEY",
        "apiKey",
        "secret",
        "client_secret",
        "Passphrase",
        "OK-ACCESS-PASSPHRASE",
        "smtp_password",
        "token",
        "listenToken",
        "listenKey",
        "signature",
        "X-BAPI-SIGN",
        "ACCESS-SIGN",
        "SIGN",
        "Authorization",
        "X-BX-APIKEY",
        "KEY",
    ],
)
def test_secret_key_names(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["symbol", "side", "qty", "order_id", "design", "monkey_count"])
def test_ordinary_key_names_are_kept(key: str) -> None:
    assert not is_secret_key(key)


def test_redact_nested_case_insensitive_without_mutating() -> None:
    headers = {"X-BAPI-API-KEY": "k1", "X-BAPI-SIGN": "s1", "Content-Type": "application/json"}
    event = {
        "request": {"headers": headers, "body": {"symbol": "BTCUSDT", "Secret": "s2"}},
        "attempts": [{"Password": "p1", "n": 1}, ("tuple", {"auth": {"TOKEN": "t1"}})],
        "wrapped": SecretStr("s3"),
        "passphrase": None,
    }
    cleaned = redact(event)
    assert cleaned["request"]["headers"] == {
        "X-BAPI-API-KEY": "***",
        "X-BAPI-SIGN": "***",
        "Content-Type": "application/json",
    }
    assert cleaned["request"]["body"] == {"symbol": "BTCUSDT", "Secret": "***"}
    assert cleaned["attempts"][0] == {"Password": "***", "n": 1}
    assert cleaned["attempts"][1][1] == {"auth": {"TOKEN": "***"}}
    assert cleaned["wrapped"] == "***"
    assert cleaned["passphrase"] is None
    assert headers["X-BAPI-SIGN"] == "s1"  # the caller's dict is untouched


def test_json_lines_with_iso_utc_timestamp_level_logger_event(tmp_path: Path) -> None:
    settings = file_settings(tmp_path)
    configure_logging(settings)
    log = get_logger("arbcore.test")
    log.info("order_sent", venue="bybit", api_key="AK-1", params={"sign": "deadbeef", "qty": "1"})
    log.debug("not written at INFO")
    logging.getLogger("aiohttp.client").warning("stdlib %s", "message")
    try:
        raise ValueError("bad")
    except ValueError:
        log.exception("failed", token="tk")
    assert settings.file_path is not None
    text = settings.file_path.read_text(encoding="utf-8")
    assert "AK-1" not in text and "deadbeef" not in text and '"tk"' not in text
    first, foreign, failure = read_lines(settings.file_path)
    assert first["event"] == "order_sent"
    assert first["level"] == "info"
    assert first["logger"] == "arbcore.test"
    assert first["api_key"] == "***"
    assert first["params"] == {"sign": "***", "qty": "1"}
    stamp = datetime.fromisoformat(first["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert foreign == {**foreign, "event": "stdlib message", "logger": "aiohttp.client"}
    assert failure["level"] == "error"
    assert "ValueError: bad" in failure["exception"]
    assert failure["token"] == "***"


def test_size_rotation_rotates_and_keeps_backup_count(tmp_path: Path) -> None:
    settings = file_settings(tmp_path, max_bytes=1024, backup_count=3)
    configure_logging(settings)
    log = get_logger("arbcore.rotation")
    for index in range(200):
        log.info("filler", index=index, payload="x" * 40)
    directory = tmp_path / "logs"
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["arbcore.log", "arbcore.log.1", "arbcore.log.2", "arbcore.log.3"]
    indexes: list[int] = []
    for path in directory.iterdir():
        assert path.stat().st_size <= 1024
        indexes.extend(line["index"] for line in read_lines(path))
    assert 199 in indexes and 0 not in indexes  # oldest lines rotated away


def test_time_rotation_uses_timed_handler(tmp_path: Path) -> None:
    settings = file_settings(
        tmp_path, rotation=Rotation.TIME, rotate_when="S", rotate_interval=1, backup_count=2
    )
    configure_logging(settings)
    timed = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.handlers.TimedRotatingFileHandler)
    ]
    assert len(timed) == 1
    get_logger("arbcore.time").info("before")
    timed[0].doRollover()
    get_logger("arbcore.time").info("after")
    files = sorted((tmp_path / "logs").iterdir())
    assert len(files) == 2
    assert [line["event"] for line in read_lines(tmp_path / "logs" / "arbcore.log")] == ["after"]


def test_reconfigure_replaces_handlers(tmp_path: Path) -> None:
    configure_logging(file_settings(tmp_path))
    configure_logging(file_settings(tmp_path))
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_arbcore_handler", False)]
    assert len(ours) == 1


def test_stderr_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(file_path=None, stderr=True, level="debug"))
    get_logger("arbcore.stderr").debug("hello", password="pw")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "hello" and line["password"] == "***" and line["level"] == "debug"
