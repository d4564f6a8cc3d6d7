"""Transport tests run on both event loops: `arbcore run` uses uvloop, tests default asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import pytest
import uvloop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """uvloop's transports do not subclass asyncio's; code must not assume they do."""
    return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
