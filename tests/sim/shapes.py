"""Compare JSON structure (keys and value kinds) of simulator output with recorded payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# The recorded ccxt corpus adds the page cursor to list items; the wire does not.
CORPUS_ARTIFACTS = frozenset({"nextPageCursor"})


def load_fixture(venue: str, kind: str, name: str) -> Any:
    return json.loads((FIXTURES / venue / kind / f"{name}.json").read_text(encoding="utf-8"))


def _kind(value: Any, strict: bool) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if strict:
        return "string" if isinstance(value, str) else "number"
    return "scalar"  # the ccxt corpus stores numbers as strings


def shape_errors(sim: Any, ref: Any, strict: bool, path: str = "$") -> list[str]:
    """Differences: keys of `ref` missing in `sim`, and value kinds that differ.

    strict=True compares strings and numbers exactly (fact-sheet samples); strict=False
    treats them alike (the recorded corpus stringifies numbers).
    """
    if ref is None:
        return []
    kind_sim, kind_ref = _kind(sim, strict), _kind(ref, strict)
    if kind_sim != kind_ref:
        return [f"{path}: simulator has {kind_sim} ({sim!r}), recorded has {kind_ref} ({ref!r})"]
    errors: list[str] = []
    if isinstance(ref, dict):
        for key, value in ref.items():
            if key in CORPUS_ARTIFACTS and path.endswith("]"):
                continue
            if key not in sim:
                errors.append(f"{path}.{key}: missing in simulator output")
            else:
                errors.extend(shape_errors(sim[key], value, strict, f"{path}.{key}"))
    elif isinstance(ref, list) and ref and sim:
        errors.extend(shape_errors(sim[0], ref[0], strict, f"{path}[0]"))
    return errors


def assert_same_shape(sim: Any, ref: Any, strict: bool) -> None:
    errors = shape_errors(sim, ref, strict)
    assert not errors, "\n".join(errors)
