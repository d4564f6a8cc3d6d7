"""Structured logging: structlog JSON lines to stderr and a rotating file, secrets redacted."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import orjson
import structlog
from pydantic import SecretBytes, SecretStr

from arbcore.settings import LoggingSettings, Rotation

REDACTED = "***"
_SECRET_WORDS = (
    "api_key",
    "apikey",
    "secret",
    "passphrase",
    "password",
    "token",
    "signature",
    "authorization",
    "access_key",
    "accesskey",
    "cookie",
    "listenkey",
)
_SECRET_NAMES = frozenset({"key", "sign"})
_HANDLER_MARK = "_arbcore_handler"


def is_secret_key(key: object) -> bool:
    """True for a key naming a secret: api_key, X-BAPI-SIGN, OK-ACCESS-PASSPHRASE, smtpPassword."""
    name = str(key).lower().replace("-", "_")
    return name in _SECRET_NAMES or name.endswith("_sign") or any(w in name for w in _SECRET_WORDS)


def redact(value: Any) -> Any:
    """A copy of `value` with every secret-named key's value replaced by ***, at any depth."""
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if is_secret_key(k) and v is not None else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: redact the event dict (copies nested containers, never mutates them)."""
    return {
        k: (REDACTED if is_secret_key(k) and v is not None else redact(v))
        for k, v in event_dict.items()
    }


def _dumps(obj: Any, **_kw: Any) -> str:
    return orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _shared_processors() -> list[structlog.types.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]


def _formatter(renderer: structlog.types.Processor) -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
    )


def _file_handler(settings: LoggingSettings) -> logging.Handler | None:
    path = settings.file_path
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    if settings.rotation is Rotation.TIME:
        return logging.handlers.TimedRotatingFileHandler(
            path,
            when=settings.rotate_when,
            interval=settings.rotate_interval,
            backupCount=settings.backup_count,
            encoding="utf-8",
            utc=True,
        )
    return logging.handlers.RotatingFileHandler(
        path, maxBytes=settings.max_bytes, backupCount=settings.backup_count, encoding="utf-8"
    )


def configure_logging(settings: LoggingSettings) -> None:
    """Route structlog and stdlib logging to JSON lines on stderr and the rotating file.

    Idempotent: handlers installed by an earlier call are closed and replaced.
    """
    json_renderer = structlog.processors.JSONRenderer(serializer=_dumps)
    handlers: list[logging.Handler] = []
    if settings.stderr:
        console = logging.StreamHandler(sys.stderr)
        renderer = (
            json_renderer if settings.json_format else structlog.dev.ConsoleRenderer(colors=False)
        )
        console.setFormatter(_formatter(renderer))
        handlers.append(console)
    file_handler = _file_handler(settings)
    if file_handler is not None:
        file_handler.setFormatter(_formatter(json_renderer))
        handlers.append(file_handler)

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    root.setLevel(settings.level.value)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger whose records carry `name` as logger name."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
