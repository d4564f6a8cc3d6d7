"""Registry of live books per (venue, symbol): per-symbol update listeners and staleness sweep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

from arbcore.core.clock import SYSTEM_CLOCK, Clock
from arbcore.core.enums import Venue
from arbcore.exchanges.base import BookListener, BookStateListener
from arbcore.market.book import L2Book

log = logging.getLogger(__name__)

DEFAULT_STALE_AFTER_MS = 5_000

BookKey = tuple[Venue, str]


class BookRegistry:
    """Every live L2 book, the price layer's listeners and each book's reported staleness.

    Venue streams hand their books in through `on_book` (a `BookListener`) and their
    validation verdicts (gap, checksum, disconnect) through `on_state` (a
    `BookStateListener`). On each update only the listeners of that book's symbol run,
    synchronously in the caller (no queue hop). Staleness is reported on transitions only:
    `sweep(now_ns)` finds books without an update for `stale_after_ms`; a stale book turns
    fresh on its next whole update.
    """

    def __init__(
        self,
        stale_after_ms: int = DEFAULT_STALE_AFTER_MS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.stale_after_ms = stale_after_ms
        self._clock = clock
        self._books: dict[BookKey, L2Book] = {}
        self._listeners: dict[str, tuple[BookListener, ...]] = {}
        self._state_listeners: list[BookStateListener] = []
        self._reported_stale: dict[BookKey, bool] = {}

    # ------------------------------------------------------------------ registration

    def add(self, book: L2Book) -> None:
        """Track a book (idempotent); it counts as stale until its first whole update."""
        key = (book.venue, book.symbol)
        self._books[key] = book
        self._reported_stale.setdefault(key, True)

    def remove(self, venue: Venue, symbol: str) -> None:
        key = (venue, symbol)
        self._books.pop(key, None)
        self._reported_stale.pop(key, None)

    def get(self, venue: Venue, symbol: str) -> L2Book | None:
        return self._books.get((venue, symbol))

    def books_for(self, symbol: str) -> list[L2Book]:
        """Every tracked book of a symbol, one per venue."""
        return [book for (_, sym), book in self._books.items() if sym == symbol]

    def __iter__(self) -> Iterator[L2Book]:
        return iter(list(self._books.values()))

    def __len__(self) -> int:
        return len(self._books)

    def listen(self, symbol: str, listener: BookListener) -> Callable[[], None]:
        """Call `listener(book, recv_ns)` on every update of any venue's `symbol` book.

        Returns a function that removes the listener.
        """
        self._listeners[symbol] = (*self._listeners.get(symbol, ()), listener)

        def unlisten() -> None:
            remaining = tuple(fn for fn in self._listeners.get(symbol, ()) if fn is not listener)
            if remaining:
                self._listeners[symbol] = remaining
            else:
                self._listeners.pop(symbol, None)

        return unlisten

    def listen_state(self, listener: BookStateListener) -> None:
        """Call `listener(venue, symbol, stale, reason)` on every stale/fresh transition."""
        self._state_listeners.append(listener)

    # ------------------------------------------------------------------ stream callbacks

    def on_book(self, book: L2Book, recv_ns: int) -> None:
        """A venue stream applied an update to `book` (a `BookListener`)."""
        key = (book.venue, book.symbol)
        if self._reported_stale.get(key) is not False:
            self._books[key] = book
            if book.stale:
                self._reported_stale[key] = True
            else:
                self._report(key, stale=False, reason="")
        listeners = self._listeners.get(book.symbol)
        if listeners:
            for listener in listeners:
                try:
                    listener(book, recv_ns)
                except Exception:
                    log.exception("book listener failed for %s:%s", book.venue, book.symbol)

    def on_state(self, venue: Venue, symbol: str, stale: bool, reason: str) -> None:
        """A venue stream reports its book broken or whole again (a `BookStateListener`)."""
        key = (venue, symbol)
        book = self._books.get(key)
        if stale:
            if book is not None and not book.stale:
                book.mark_stale(reason)
            if not self._reported_stale.get(key, False):
                self._report(key, stale=True, reason=reason)
        elif (
            book is not None
            and self._reported_stale.get(key, True)
            and not book.is_stale(self._clock.monotonic_ns(), self.stale_after_ms)
        ):
            self._report(key, stale=False, reason="")

    def mark_all_stale(self, venue: Venue, reason: str) -> None:
        """Every book of a venue is no longer whole (its socket dropped)."""
        for book_venue, symbol in list(self._books):
            if book_venue == venue:
                self.on_state(book_venue, symbol, True, reason)

    # ------------------------------------------------------------------ staleness

    def is_usable(self, venue: Venue, symbol: str, now_ns: int | None = None) -> bool:
        """True when the book exists, is whole and updated within `stale_after_ms`."""
        book = self._books.get((venue, symbol))
        if book is None:
            return False
        now = self._clock.monotonic_ns() if now_ns is None else now_ns
        return not book.is_stale(now, self.stale_after_ms)

    def sweep(self, now_ns: int | None = None) -> list[tuple[Venue, str, bool, str]]:
        """Report every staleness transition since the last sweep; returns them."""
        now = self._clock.monotonic_ns() if now_ns is None else now_ns
        changes: list[tuple[Venue, str, bool, str]] = []
        for key, book in list(self._books.items()):
            stale = book.is_stale(now, self.stale_after_ms)
            if stale == self._reported_stale.get(key, True):
                continue
            reason = ""
            if stale:
                reason = book.stale_reason if book.stale else self._silence_reason(book, now)
            self._report(key, stale=stale, reason=reason)
            changes.append((key[0], key[1], stale, reason))
        return changes

    async def sweep_forever(self, interval_ms: int = 250) -> None:
        """Sweep every `interval_ms` until cancelled (run it in the engine's TaskGroup)."""
        while True:
            self.sweep()
            await asyncio.sleep(interval_ms / 1000)

    def _silence_reason(self, book: L2Book, now_ns: int) -> str:
        if book.last_recv_ns == 0:
            return "no update received"
        silent_ms = (now_ns - book.last_recv_ns) // 1_000_000
        return f"no update for {silent_ms} ms (limit {self.stale_after_ms} ms)"

    def _report(self, key: BookKey, stale: bool, reason: str) -> None:
        self._reported_stale[key] = stale
        for listener in self._state_listeners:
            try:
                listener(key[0], key[1], stale, reason)
            except Exception:
                log.exception("book state listener failed for %s:%s", key[0], key[1])
