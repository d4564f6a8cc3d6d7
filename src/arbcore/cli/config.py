"""`arbcore config ...`: validate a configuration and show the effective values, secrets masked."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml

from arbcore.core.errors import ConfigError
from arbcore.settings import load_settings, masked_dump
from arbcore.settings_doc import render_configuration_doc

config_app = typer.Typer(
    name="config",
    help="Validate configuration files and show the effective configuration.",
    no_args_is_help=True,
)


class OutputFormat(StrEnum):
    YAML = "yaml"
    JSON = "json"


@config_app.command("check")
def check(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Config file (default: $ARBCORE_CONFIG, else configs/app.yaml if present).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Output format.")
    ] = OutputFormat.YAML,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only validate; print nothing when valid.")
    ] = False,
) -> None:
    """Validate the config (file + secrets file + ARBCORE__* environment); print it masked.

    Exits 1 with the file, the key path and the problem when the configuration is invalid.
    """
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    if quiet:
        return
    effective = masked_dump(settings)
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(effective, indent=2))
    else:
        typer.echo(yaml.safe_dump(effective, sort_keys=False, allow_unicode=True).rstrip())


@config_app.command("doc")
def doc() -> None:
    """Print the configuration reference (docs/configuration.md) generated from the models."""
    typer.echo(render_configuration_doc(), nl=False)
