"""Contract: instruments and validated book streams, for every venue in ADAPTERS."""

from __future__ import annotations

import pytest
from tests.contract.adapters import VenueAdapter
from tests.contract.conftest import Watcher

from arbcore.core.enums import ConnectionState
from arbcore.exchanges.base import BookValidation, ExchangeClient
from arbcore.sim.testing import RunningSim


async def test_instruments_are_usdt_perpetuals_in_base_coin(
    client: ExchangeClient, adapter: VenueAdapter
) -> None:
    instruments = {i.symbol: i for i in await client.load_instruments()}
    inst = instruments[adapter.symbol]
    assert inst.venue is adapter.venue and inst.quote == "USDT"
    assert inst.tick_size > 0 and inst.qty_step > 0 and inst.min_qty_base > 0
    assert inst.base_step > 0 and inst.max_leverage >= 1
    assert adapter.qty_base >= inst.min_qty_base


async def _whole_book(client: ExchangeClient, adapter: VenueAdapter, watcher: Watcher) -> None:
    client.connection_listener(watcher.on_connection)
    await client.subscribe_books([adapter.symbol], watcher.on_book, watcher.on_state)
    await watcher.until(lambda: watcher.updates >= 3)
    book = client.book(adapter.symbol)
    assert book is not None and not book.stale


async def test_book_snapshot_then_deltas(
    client: ExchangeClient, adapter: VenueAdapter, watcher: Watcher
) -> None:
    await _whole_book(client, adapter, watcher)
    book = client.book(adapter.symbol)
    assert book is not None
    first_seq = book.seq
    await watcher.until(lambda: watcher.updates >= 8)
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None and ask is not None and bid[0] < ask[0]
    assert not book.is_crossed() and book.seq > first_seq
    assert book.buy_px(1e-6) == pytest.approx(ask[0], rel=1e-12)
    assert ConnectionState.CONNECTED in watcher.connections


async def test_sequence_gap_resyncs_and_marks_stale_meanwhile(
    client: ExchangeClient, adapter: VenueAdapter, watcher: Watcher, sim: RunningSim
) -> None:
    if client.capabilities.book_validation is BookValidation.NONE:
        pytest.skip("venue pushes full snapshots; no sequence to break")
    await _whole_book(client, adapter, watcher)
    sim.faults(adapter.venue).skip_sequence(1)
    await watcher.until(lambda: any(stale for stale, _ in watcher.states))
    stale_at = next(i for i, (stale, _) in enumerate(watcher.states) if stale)
    await watcher.until(lambda: any(not s for s, _ in watcher.states[stale_at + 1 :]))
    book = client.book(adapter.symbol)
    assert book is not None and not book.stale
    updates = watcher.updates
    await watcher.until(lambda: watcher.updates >= updates + 3)
    assert not book.is_crossed()


async def test_checksum_error_resyncs(
    client: ExchangeClient, adapter: VenueAdapter, watcher: Watcher, sim: RunningSim
) -> None:
    if client.capabilities.book_validation is not BookValidation.CHECKSUM:
        pytest.skip("venue books carry no checksum")
    await _whole_book(client, adapter, watcher)
    sim.faults(adapter.venue).corrupt_checksum(1)
    await watcher.until(lambda: any(stale for stale, _ in watcher.states))
    stale_at = next(i for i, (stale, _) in enumerate(watcher.states) if stale)
    await watcher.until(lambda: any(not s for s, _ in watcher.states[stale_at + 1 :]))
    book = client.book(adapter.symbol)
    assert book is not None and not book.stale


async def test_socket_drop_reconnects_resubscribes_and_book_is_whole_again(
    client: ExchangeClient, adapter: VenueAdapter, watcher: Watcher, sim: RunningSim
) -> None:
    await _whole_book(client, adapter, watcher)
    sim.faults(adapter.venue).drop_ws()
    await watcher.until(lambda: ConnectionState.DISCONNECTED in watcher.connections)
    book = client.book(adapter.symbol)
    assert book is not None
    await watcher.until(lambda: any(stale for stale, _ in watcher.states))
    reconnected_at = len(watcher.connections)
    await watcher.until(lambda: ConnectionState.CONNECTED in watcher.connections[reconnected_at:])
    await watcher.until(lambda: not book.stale)
    updates = watcher.updates
    await watcher.until(lambda: watcher.updates >= updates + 3)
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None and ask is not None and bid[0] < ask[0]
