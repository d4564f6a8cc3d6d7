"""Reading configuration inputs: YAML files, the secrets file, exchanges.json; error formatting."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from arbcore.core.enums import Venue
from arbcore.core.errors import ConfigError

ENV_PREFIX = "ARBCORE__"
ENV_DELIMITER = "__"
SECRETS_FILE_ENV = "ARBCORE_SECRETS_FILE"
CONFIG_FILE_ENV = "ARBCORE_CONFIG"
DEFAULT_CONFIG_PATH = Path("configs/app.yaml")
SECRET_KEYS = frozenset({"api_key", "secret", "passphrase", "token", "smtp_password"})
"""Setting names that hold secrets: accepted only from the environment or the secrets file."""
MASK = "***"
RATE_LIMIT_GROUPS = ("trade", "query", "account", "market")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated in one mapping (YAML would keep the last silently)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_unique_mapping,
)


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Parse a YAML file whose top level is a mapping; ConfigError names file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read file: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{path}: YAML syntax error{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML syntax error: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{path}: the top level must be a mapping of sections, not a {kind}")
    return data


def mask_url_password(url: str) -> str | None:
    """The URL with its password replaced by ***, or None if it carries no password."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return None
    if not password:
        return None
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))


def find_secrets(data: Any, prefix: str = "") -> list[str]:
    """Key paths (exchanges.bybit.api_key) of secret-named keys holding a value in `data`,
    and of URLs with an embedded password (database.url)."""
    found: list[str] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            named_secret = str(key).lower() in SECRET_KEYS and value not in (None, "")
            if named_secret or (isinstance(value, str) and mask_url_password(value) is not None):
                found.append(path)
            else:
                found.extend(find_secrets(value, path))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found.extend(find_secrets(item, f"{prefix}[{index}]"))
    return found


def _enclosing_git_repo(path: Path) -> Path | None:
    for parent in path.resolve().parents:
        if (parent / ".git").exists():
            return parent
    return None


def _parse_env_lines(path: Path, text: str) -> dict[str, Any]:
    """`ARBCORE__SECTION__KEY=value` lines (dotenv style) as a nested mapping."""
    nested: dict[str, Any] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name.upper().startswith(ENV_PREFIX):
            raise ConfigError(f"{path}: line {number}: expected ARBCORE__SECTION__KEY=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        keys = name[len(ENV_PREFIX) :].lower().split(ENV_DELIMITER)
        node = nested
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{path}: line {number}: {name} conflicts with an earlier line")
            node = child
        node[keys[-1]] = value
    return nested


def read_secrets_file(path: Path) -> dict[str, Any]:
    """Secrets from a YAML file (same shape as app.yaml) or a .env file; must live outside git."""
    repo = _enclosing_git_repo(path)
    if repo is not None:
        raise ConfigError(
            f"{path}: the secrets file lies inside the git repository {repo}; "
            "keep it outside any repository"
        )
    if path.suffix.lower() in (".yaml", ".yml"):
        return read_yaml_mapping(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: secrets file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read secrets file: {exc.strerror}") from None
    return _parse_env_lines(path, text)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` wins; nested mappings merge key by key."""
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged


def packaged_exchanges_file() -> Path:
    """The copy of exchanges.json shipped inside the wheel."""
    return Path(str(resources.files("arbcore") / "resources" / "exchanges.json"))


def default_exchanges_file(config_dir: Path | None) -> Path:
    """exchanges.json next to app.yaml if present, else the packaged copy."""
    if config_dir is not None:
        candidate = config_dir / "exchanges.json"
        if candidate.is_file():
            return candidate
    return packaged_exchanges_file()


def _decimal(path: Path, where: str, value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{path}: {where}: not a decimal number: {value!r}") from None


@lru_cache(maxsize=8)
def _load_exchange_fees(path: Path, mtime_ns: int) -> dict[Venue, tuple[Decimal, Decimal]]:
    del mtime_ns  # part of the cache key only: an edited file is read again
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: JSON syntax error at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be an object keyed by venue")
    fees: dict[Venue, tuple[Decimal, Decimal]] = {}
    for venue in Venue:
        entry = data.get(venue.value)
        if not isinstance(entry, dict) or not isinstance(entry.get("fees"), dict):
            raise ConfigError(f"{path}: {venue.value}.fees is missing")
        raw = entry["fees"]
        taker = _decimal(path, f"{venue.value}.fees.taker", raw.get("taker"))
        maker = _decimal(path, f"{venue.value}.fees.maker", raw.get("maker"))
        limits = entry.get("rate_limits")
        if not isinstance(limits, dict):
            raise ConfigError(f"{path}: {venue.value}.rate_limits is missing")
        for group in RATE_LIMIT_GROUPS:
            spec = limits.get(group)
            where = f"{venue.value}.rate_limits.{group}"
            if not isinstance(spec, dict):
                raise ConfigError(f"{path}: {where} is missing")
            count, window = spec.get("max_requests"), spec.get("per_seconds")
            if not isinstance(count, int) or count <= 0:
                raise ConfigError(f"{path}: {where}.max_requests must be a positive integer")
            if not isinstance(window, int | float) or window <= 0:
                raise ConfigError(f"{path}: {where}.per_seconds must be a positive number")
            if not isinstance(spec.get("source"), str) or not spec["source"]:
                raise ConfigError(f"{path}: {where}.source must name where the limit is documented")
        fees[venue] = (taker, maker)
    return fees


def load_exchange_fees(path: Path) -> dict[Venue, tuple[Decimal, Decimal]]:
    """(taker, maker) fee rate per venue from exchanges.json, after checking the whole file."""
    try:
        mtime_ns = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    return _load_exchange_fees(path.resolve(), mtime_ns)


def format_loc(loc: Sequence[int | str]) -> str:
    """('pairs', 0, 'symbol') -> 'pairs[0].symbol'."""
    text = ""
    for item in loc:
        if isinstance(item, int):
            text += f"[{item}]"
        elif item == "[key]":
            continue
        else:
            text += f".{item}" if text else str(item)
    return text


def _env_name(loc: Sequence[int | str]) -> str:
    return ENV_PREFIX + ENV_DELIMITER.join(str(item).upper() for item in loc)


def _describe(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    if "[key]" in error["loc"]:
        return f"invalid key: {message}"
    value = error.get("input")
    if isinstance(value, str | int | float | bool) and not isinstance(value, Mapping):
        return f"{message} (got {value!r})"
    return message


def validation_messages(exc: ValidationError) -> list[str]:
    """One 'key.path: what is wrong' line per problem; names the env variable if one was set."""
    lines: list[str] = []
    errors = exc.errors()
    bad_keys = [e["loc"][: e["loc"].index("[key]")] for e in errors if "[key]" in e["loc"]]
    for error in errors:
        loc = error["loc"]
        if "[key]" not in loc and any(loc[: len(key)] == key for key in bad_keys):
            continue  # follow-up errors inside an entry whose key is already reported
        description = _describe(error)
        if not loc:
            lines.extend(part for part in description.splitlines() if part)
            continue
        line = f"{format_loc(loc)}: {description}"
        env_name = _env_name(loc)
        if env_name in os.environ:
            line += f" [from environment variable {env_name}]"
        lines.append(line)
    return lines


def config_error(source: Path | str | None, problems: Iterable[str]) -> ConfigError:
    """A ConfigError naming the file (or 'defaults + environment') and every problem."""
    where = str(source) if source is not None else "defaults and environment"
    body = "\n".join(f"  {problem}" for problem in problems)
    return ConfigError(f"invalid configuration in {where}:\n{body}")
