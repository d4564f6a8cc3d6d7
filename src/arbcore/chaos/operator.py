"""The operator's part in a chaos run: clear Pairs left in ERROR, start them again."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

Command = Callable[..., Awaitable[bool]]
START_AFTER_S = 6.0


class OperatorCounts(Protocol):
    operator_clears: int


def _pair_states(db_path: Path) -> list[tuple[int, str, bool]]:
    if not db_path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1.0) as conn:
            rows = conn.execute("select id, state, enabled from pairs").fetchall()
    except sqlite3.Error:
        return []
    return [(int(i), str(state), bool(enabled)) for i, state, enabled in rows]


async def play_operator(
    command: Command, db_path: Path, outcome: OperatorCounts, stop: asyncio.Event,
    every_s: float = 3.0,
) -> None:  # fmt: skip
    """What the operator does (SPEC §3: only an operator clears ERROR): `pairs clear-error`
    for Pairs in ERROR (the engine refuses unless the venues match the records), then
    `pairs start` for the Pairs that clearing left disabled."""
    requested: dict[int, float] = {}  # pair id -> when its clear was asked (monotonic)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
        if stop.is_set():
            return
        now = time.monotonic()
        for pair_id, state, enabled in await asyncio.to_thread(_pair_states, db_path):
            if state == "ERROR" and enabled:
                if await command("pairs", "clear-error", str(pair_id)):
                    outcome.operator_clears += 1
                    requested[pair_id] = now
                continue
            # clearing disables the Pair; start it once cleared (or once a restart made
            # the request moot: the engine then ignores it and the old state stays stored)
            asked = requested.get(pair_id)
            due = asked is not None and (state != "ERROR" or now - asked > START_AFTER_S)
            if not enabled and due and await command("pairs", "start", str(pair_id)):
                del requested[pair_id]
