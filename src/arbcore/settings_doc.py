"""Renders docs/configuration.md from the settings models, so the reference cannot drift."""

from __future__ import annotations

import types
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from arbcore.settings import ExchangeSettings, PairSettings, Settings
from arbcore.settings_sections import PASSPHRASE_VENUES

INTRO = """# Configuration

arbcore reads one YAML file, an optional secrets file and the environment, validates
everything with typed models, and refuses to start on any problem. Check a file with

    arbcore config check configs/app.yaml          # effective config as YAML, secrets ***
    arbcore config check --format json             # $ARBCORE_CONFIG, else configs/app.yaml
    arbcore config check --quiet PATH              # exit status only

A bad file exits with status 1 and one line per problem: the file, the key path
(`engine.max_concurrent_arbitrages`, `pairs[0].symbol`) and what is wrong.

## Sources, strongest first

1. **Environment**: `ARBCORE__SECTION__KEY`, nested with `__`, case-insensitive:
   `ARBCORE__ENGINE__STALE_AFTER_MS=3000`, `ARBCORE__EXCHANGES__BYBIT__ENV=testnet`,
   `ARBCORE__PAIRS='[{"symbol": "BTCUSDT", ...}]'` (lists and mappings as JSON).
2. **Secrets file**: named by `ARBCORE_SECRETS_FILE` or `secrets_file:` in the YAML
   (relative to the YAML's directory). Either YAML shaped like app.yaml, or `.env` lines
   `ARBCORE__EXCHANGES__OKX__API_KEY=...` (`export` prefix and quotes allowed). It must lie
   outside any git repository.
3. **YAML file**: the path given, else `$ARBCORE_CONFIG`, else `configs/app.yaml` in the
   working directory if it exists, else defaults only.
4. **Defaults** below; fee defaults come from `exchanges.json`.

Unknown keys are errors everywhere, and so is a key repeated in one YAML mapping.

## Secrets

`api_key`, `secret`, `passphrase` (per exchange), `api.token`, `alerts.telegram.token` and
`alerts.email.smtp_password` are accepted **only** from the environment or the secrets
file; a value for any of them in the YAML is refused with the key named. So is a URL with
an embedded password (`database.url: postgresql+asyncpg://user:PASSWORD@host/db`): set
`ARBCORE__DATABASE__URL` instead. Secrets are held as `SecretStr`, printed as `***` by
`config check` (URL passwords too), and redacted from logs by key name (`api_key`,
`secret`, `passphrase`, `password`, `token`, `signature`, `authorization`, `X-...-SIGN`, and
any key containing those words, at any depth).

An enabled exchange with `trade: true` and `env` live, testnet or demo needs `api_key` and
`secret`, plus `passphrase` on {passphrase_venues}. `env: sim` needs none: the simulator's
demo keys are used. `trade: false` makes a venue a price source only (MEXC, SPEC §10).

## exchanges.json

Per venue: `fees` (`taker`, `maker` rates as decimal strings, VIP0 defaults), `fees_source`,
and `rate_limits` for the groups `trade` (place/cancel/amend), `query`
(order/position/balance/fills), `account` (leverage/margin/position mode) and `market`
(public REST), each `{{"max_requests": int, "per_seconds": float, "source": "..."}}` with
the documented limit and where it is documented; arbcore spends `rate_budget_fraction`
(default 50 %) of it. The file beside app.yaml is used if present, else the copy packaged
in `arbcore/resources/exchanges.json` (the two are kept identical by a test).

## Reference

Generated from the models by `arbcore config doc > docs/configuration.md`.
"""

_NAMES: dict[Any, str] = {
    int: "integer",
    float: "number",
    Decimal: "decimal",
    bool: "boolean",
    str: "string",
    Path: "path",
    SecretStr: "secret",
}


def _type_name(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        names = [_type_name(arg) for arg in args if arg is not type(None)]
        return " \\| ".join(names) + (" \\| null" if type(None) in args else "")
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return "mapping of venue to section"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " \\| ".join(f"`{member.value}`" for member in annotation)
    return _NAMES.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.get_default(call_default_factory=True, validated_data={})
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict) and not value:
        return "[]" if isinstance(value, list) else "{}"
    return f"`{value}`"


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _table(model: type[BaseModel], env_prefix: str, defaults: dict[str, str]) -> list[str]:
    rows = ["| key | type | default | environment | meaning |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if _is_section(field.annotation):
            continue
        default = defaults.get(name) or _default(field)
        env = f"`{env_prefix}{name.upper()}`" if env_prefix else "JSON in `ARBCORE__PAIRS`"
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(
            f"| `{name}` | {_type_name(field.annotation)} | {default} | {env} | {meaning} |"
        )
    return rows


_Section = tuple[str, str, type[BaseModel], str]
_LISTED: dict[str, _Section] = {
    "exchanges": (
        "exchanges.<venue>",
        "One entry per venue: bybit, bitget, bingx, gate, okx, htx, mexc "
        "(all seven always exist; a venue not listed is disabled).",
        ExchangeSettings,
        "ARBCORE__EXCHANGES__<VENUE>__",
    ),
    "pairs": (
        "pairs[]",
        "Seed list of Pairs (SPEC §4), written to the database at start when absent.",
        PairSettings,
        "",
    ),
}


def _sections(model: type[BaseModel], path: str, env_prefix: str) -> list[_Section]:
    """Nested sections in field order, with the per-venue and per-pair entries in place."""
    found: list[_Section] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if not path and name in _LISTED:
            found.append(_LISTED[name])
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            key = f"{path}.{name}" if path else name
            prefix = f"{env_prefix}{name.upper()}__"
            found.append((key, field.description or "", annotation, prefix))
            found.extend(_sections(annotation, key, prefix))
    return found


def render_configuration_doc() -> str:
    """The complete docs/configuration.md text."""
    venues = " and ".join(sorted(v.value for v in PASSPHRASE_VENUES))
    lines = [INTRO.replace("{passphrase_venues}", venues).replace("{{", "{").replace("}}", "}")]
    lines += ["### Top level", "", *_table(Settings, "ARBCORE__", {}), ""]
    fees = {"taker_fee": "from exchanges.json", "maker_fee": "from exchanges.json"}
    for key, description, model, env_prefix in _sections(Settings, "", "ARBCORE__"):
        lines += [f"### `{key}`", ""]
        if description:
            lines += [description, ""]
        lines += [*_table(model, env_prefix, fees if model is ExchangeSettings else {}), ""]
    return "\n".join(lines).rstrip() + "\n"
