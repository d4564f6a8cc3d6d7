"""BookRegistry: per-symbol listeners called synchronously, staleness transitions reported once."""

from __future__ import annotations

import asyncio
import contextlib

from arbcore.core.clock import FakeClock
from arbcore.core.enums import Venue
from arbcore.market.book import L2Book
from arbcore.market.books import BookRegistry

MS = 1_000_000

Transition = tuple[Venue, str, bool, str]


def whole_book(venue: Venue, symbol: str, recv_ns: int) -> L2Book:
    book = L2Book(venue, symbol)
    book.apply_snapshot([["100", "1"]], [["101", "1"]], seq=1, ts_ms=1, recv_ns=recv_ns)
    return book


def registry_with_log(clock: FakeClock) -> tuple[BookRegistry, list[Transition]]:
    registry = BookRegistry(stale_after_ms=5_000, clock=clock)
    transitions: list[Transition] = []
    registry.listen_state(lambda v, s, stale, reason: transitions.append((v, s, stale, reason)))
    return registry, transitions


def test_only_listeners_of_the_updated_symbol_run_in_the_callers_stack() -> None:
    registry = BookRegistry()
    calls: list[tuple[str, Venue, int]] = []
    registry.listen("BTCUSDT", lambda book, ns: calls.append(("btc-a", book.venue, ns)))
    registry.listen("BTCUSDT", lambda book, ns: calls.append(("btc-b", book.venue, ns)))
    registry.listen("ETHUSDT", lambda book, ns: calls.append(("eth", book.venue, ns)))
    registry.on_book(whole_book(Venue.BYBIT, "BTCUSDT", 1), 7)
    assert calls == [("btc-a", Venue.BYBIT, 7), ("btc-b", Venue.BYBIT, 7)]
    calls.clear()
    registry.on_book(whole_book(Venue.BITGET, "ETHUSDT", 1), 8)
    assert calls == [("eth", Venue.BITGET, 8)]


def test_unlisten_and_failing_listener_do_not_stop_the_others() -> None:
    registry = BookRegistry()
    calls: list[str] = []

    def broken(book: L2Book, recv_ns: int) -> None:
        raise RuntimeError("listener bug")

    registry.listen("BTCUSDT", broken)
    remove = registry.listen("BTCUSDT", lambda book, ns: calls.append("first"))
    registry.listen("BTCUSDT", lambda book, ns: calls.append("second"))
    book = whole_book(Venue.BYBIT, "BTCUSDT", 1)
    registry.on_book(book, 1)
    assert calls == ["first", "second"]
    remove()
    registry.on_book(book, 2)
    assert calls == ["first", "second", "second"]


def test_books_are_registered_on_first_update_and_found_by_symbol() -> None:
    registry = BookRegistry()
    bybit = whole_book(Venue.BYBIT, "BTCUSDT", 1)
    bitget = whole_book(Venue.BITGET, "BTCUSDT", 1)
    registry.on_book(bybit, 1)
    registry.add(bitget)
    registry.add(whole_book(Venue.BYBIT, "ETHUSDT", 1))
    assert registry.get(Venue.BYBIT, "BTCUSDT") is bybit
    assert {b.venue for b in registry.books_for("BTCUSDT")} == {Venue.BYBIT, Venue.BITGET}
    assert len(registry) == 3
    registry.remove(Venue.BYBIT, "ETHUSDT")
    assert registry.get(Venue.BYBIT, "ETHUSDT") is None
    assert len(list(registry)) == 2


def test_silence_makes_a_book_stale_once_and_the_next_update_makes_it_fresh() -> None:
    clock = FakeClock()
    registry, transitions = registry_with_log(clock)
    book = whole_book(Venue.BYBIT, "BTCUSDT", clock.monotonic_ns())
    registry.on_book(book, clock.monotonic_ns())
    assert transitions == [(Venue.BYBIT, "BTCUSDT", False, "")]
    assert registry.is_usable(Venue.BYBIT, "BTCUSDT")

    clock.advance_ms(5_000)
    assert registry.sweep() == []
    clock.advance_ms(1)
    changes = registry.sweep()
    assert len(changes) == 1
    venue, symbol, stale, reason = changes[0]
    assert (venue, symbol, stale) == (Venue.BYBIT, "BTCUSDT", True)
    assert "no update for 5001 ms" in reason
    assert not registry.is_usable(Venue.BYBIT, "BTCUSDT")
    clock.advance_ms(1_000)
    assert registry.sweep() == [], "a transition is reported once"

    book.apply_delta([["100", "2"]], [], seq=2, ts_ms=2, recv_ns=clock.monotonic_ns())
    registry.on_book(book, clock.monotonic_ns())
    assert transitions[-1] == (Venue.BYBIT, "BTCUSDT", False, "")
    assert len(transitions) == 3
    assert registry.is_usable(Venue.BYBIT, "BTCUSDT")


def test_gap_reported_by_the_stream_stays_stale_until_a_snapshot() -> None:
    clock = FakeClock()
    registry, transitions = registry_with_log(clock)
    book = whole_book(Venue.BYBIT, "BTCUSDT", clock.monotonic_ns())
    registry.on_book(book, clock.monotonic_ns())
    registry.on_state(Venue.BYBIT, "BTCUSDT", True, "u gap 10 -> 12")
    registry.on_state(Venue.BYBIT, "BTCUSDT", True, "u gap 10 -> 12")
    assert book.stale
    assert transitions[1:] == [(Venue.BYBIT, "BTCUSDT", True, "u gap 10 -> 12")]

    book.apply_delta([["100", "3"]], [], seq=13, ts_ms=3, recv_ns=clock.monotonic_ns())
    registry.on_book(book, clock.monotonic_ns())
    assert len(transitions) == 2, "a delta after a gap does not make the book whole"
    assert registry.sweep() == []

    book.apply_snapshot([["100", "1"]], [["101", "1"]], 20, 4, clock.monotonic_ns())
    registry.on_book(book, clock.monotonic_ns())
    assert transitions[-1] == (Venue.BYBIT, "BTCUSDT", False, "")


def test_book_flagged_directly_is_found_by_the_sweep() -> None:
    clock = FakeClock()
    registry, transitions = registry_with_log(clock)
    book = whole_book(Venue.BITGET, "BTCUSDT", clock.monotonic_ns())
    registry.on_book(book, clock.monotonic_ns())
    book.mark_stale("checksum mismatch")
    assert registry.sweep() == [(Venue.BITGET, "BTCUSDT", True, "checksum mismatch")]
    assert transitions[-1] == (Venue.BITGET, "BTCUSDT", True, "checksum mismatch")


def test_disconnect_marks_every_book_of_the_venue() -> None:
    clock = FakeClock()
    registry, transitions = registry_with_log(clock)
    for venue, symbol in [
        (Venue.BYBIT, "BTCUSDT"),
        (Venue.BYBIT, "ETHUSDT"),
        (Venue.BITGET, "BTCUSDT"),
    ]:
        registry.on_book(whole_book(venue, symbol, clock.monotonic_ns()), clock.monotonic_ns())
    transitions.clear()
    registry.mark_all_stale(Venue.BYBIT, "socket closed")
    assert sorted(transitions) == [
        (Venue.BYBIT, "BTCUSDT", True, "socket closed"),
        (Venue.BYBIT, "ETHUSDT", True, "socket closed"),
    ]
    assert registry.is_usable(Venue.BITGET, "BTCUSDT")
    assert not registry.is_usable(Venue.BYBIT, "ETHUSDT")


def test_unknown_and_never_updated_books_are_not_usable() -> None:
    clock = FakeClock()
    registry, transitions = registry_with_log(clock)
    assert not registry.is_usable(Venue.OKX, "BTCUSDT")
    registry.add(L2Book(Venue.OKX, "BTCUSDT"))
    assert not registry.is_usable(Venue.OKX, "BTCUSDT")
    assert registry.sweep() == []
    assert transitions == []


async def test_sweep_forever_reports_while_running() -> None:
    clock = FakeClock()
    registry, transitions = registry_with_log(clock)
    registry.on_book(whole_book(Venue.BYBIT, "BTCUSDT", clock.monotonic_ns()), 1)
    clock.advance_ms(6_000)
    task = asyncio.create_task(registry.sweep_forever(interval_ms=1))
    for _ in range(100):
        await asyncio.sleep(0.001)
        if len(transitions) == 2:
            break
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert transitions[-1][:3] == (Venue.BYBIT, "BTCUSDT", True)
