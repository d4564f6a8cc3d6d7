"""Bitget `books` CRC32: the rule itself, the fact sheet frames, and ccxt's handler as oracle."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import pytest

from arbcore.core.enums import Venue
from arbcore.exchanges.bitget import parsing
from arbcore.exchanges.bitget import schemas as s
from arbcore.exchanges.bitget.ws import BookStream
from arbcore.market.book import L2Book

FIXTURES = Path(__file__).parents[2] / "fixtures" / "bitget" / "ws"
PUSH = msgspec.json.Decoder(s.WsBookPush)


def _frame(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def test_fact_sheet_worked_checksum() -> None:
    payload = parsing.checksum_payload([("27000.0", "2.710")], [("27000.5", "8.760")])
    assert payload == "27000.0:2.710:27000.5:8.760"
    assert parsing.book_checksum([("27000.0", "2.710")], [("27000.5", "8.760")]) == -202498636


def test_shorter_side_continues_with_the_longer_one_and_stops_at_25() -> None:
    bids = [(f"{100 - i}.0", "1") for i in range(30)]
    asks = [("101.0", "2")]
    payload = parsing.checksum_payload(bids, asks)
    parts = payload.split(":")
    assert parts[:6] == ["100.0", "1", "101.0", "2", "99.0", "1"]
    assert len(parts) == 2 * 25 + 2  # 25 bids + 1 ask


def test_original_strings_matter() -> None:
    assert parsing.book_checksum([("27000", "2.71")], []) != parsing.book_checksum(
        [("27000.0", "2.710")], []
    )


def _stream() -> tuple[BookStream, list[tuple[str, bool, str]], list[int]]:
    states: list[tuple[str, bool, str]] = []
    applied: list[int] = []
    stream = BookStream(
        "USDT-FUTURES",
        lambda vs: vs,
        lambda book, ns: applied.append(book.seq),
        lambda venue, sym, stale, reason: states.append((sym, stale, reason)),
    )
    return stream, states, applied


async def test_consistent_update_applies_and_fact_sheet_update_is_rejected() -> None:
    stream, states, applied = _stream()
    stream.on_frame(_frame("books__snapshot"), 1)
    stream.on_frame(_frame("books__update_consistent"), 2)
    book = stream.books["BTCUSDT"]
    assert not book.stale and applied == [123, 124]
    assert book.best_bid() == (27000.0, 2.71) and book.best_ask() == (27001.0, 0.4)
    # The fact sheet's sample update carries a checksum that does not match its own book
    # (ccxt's handler rejects it too); applying it must mark the book stale.
    stream.on_frame(_frame("books__snapshot"), 3)
    stream.on_frame(_frame("books__update"), 4)
    assert book.stale and "checksum" in book.stale_reason
    assert stream.checksum_failures == 1
    assert states[-1] == ("BTCUSDT", True, book.stale_reason)
    # updates are ignored until a new snapshot arrives, which makes the book whole again
    stream.on_frame(_frame("books__update_consistent"), 5)
    assert book.stale
    stream.on_frame(_frame("books__snapshot"), 6)
    assert not book.stale and states[-1] == ("BTCUSDT", False, "")


async def test_seq_that_does_not_increase_is_a_gap() -> None:
    stream, _, _ = _stream()
    stream.on_frame(_frame("books__snapshot"), 1)
    stale = _frame("books__update_consistent").replace(b'"seq": 124', b'"seq": 123')
    stream.on_frame(stale, 2)
    book = stream.books["BTCUSDT"]
    assert book.stale and "seq" in book.stale_reason and stream.gaps == 1


async def test_strict_seq_treats_a_jump_as_a_gap() -> None:
    stream, _, _ = _stream()
    stream.strict_seq = True
    stream.on_frame(_frame("books__snapshot"), 1)
    jumped = _frame("books__update_consistent").replace(b'"seq": 124', b'"seq": 126')
    stream.on_frame(jumped, 2)
    assert stream.books["BTCUSDT"].stale and stream.gaps == 1


def _random_frames(seed: int, count: int) -> list[dict[str, object]]:
    """A snapshot and random updates whose checksums come from an independent book model."""
    rng = random.Random(seed)
    bids = {f"{27000 - i * 0.5:.1f}": f"{rng.uniform(0.001, 5):.3f}" for i in range(40)}
    asks = {f"{27000.5 + i * 0.5:.1f}": f"{rng.uniform(0.001, 5):.3f}" for i in range(40)}
    arg = {"instType": "USDT-FUTURES", "channel": "books", "instId": "BTCUSDT"}

    def top() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        b = sorted(bids.items(), key=lambda kv: -float(kv[0]))[:25]
        a = sorted(asks.items(), key=lambda kv: float(kv[0]))[:25]
        return b, a

    frames: list[dict[str, object]] = [
        {"action": "snapshot", "arg": arg, "ts": 1,
         "data": [{"bids": list(bids.items()), "asks": list(asks.items()), "checksum": 0,
                   "seq": 1, "ts": "1"}]},
    ]  # fmt: skip
    for seq in range(2, count + 2):
        changes: dict[str, list[list[str]]] = {"bids": [], "asks": []}
        for side, book, base, step in (("bids", bids, 27000.0, -0.5), ("asks", asks, 27000.5, 0.5)):
            for _ in range(rng.randint(1, 4)):
                px = f"{base + step * rng.randint(0, 45):.1f}"
                if px in book and rng.random() < 0.3:
                    del book[px]
                    changes[side].append([px, "0"])
                else:
                    qty = f"{rng.uniform(0.001, 5):.3f}"
                    book[px] = qty
                    changes[side].append([px, qty])
        b, a = top()
        item = {**changes, "checksum": parsing.book_checksum(b, a), "seq": seq, "ts": str(seq)}
        frames.append({"action": "update", "arg": arg, "ts": seq, "data": [item]})
    return frames


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_update_stream_stays_valid(seed: int) -> None:
    stream, states, applied = _stream()
    frames = _random_frames(seed, 200)
    for i, frame in enumerate(frames):
        stream.on_frame(msgspec.json.encode(frame), i)
    assert stream.checksum_failures == 0 and len(applied) == 201
    assert states == [("BTCUSDT", False, "")]  # whole after the first snapshot, never stale


@pytest.mark.slow  # importing ccxt.pro takes seconds
def test_ccxt_oracle_accepts_our_checksums() -> None:
    """ccxt.pro's own Bitget book handler validates the frames we consider valid."""
    ccxtpro = pytest.importorskip("ccxt.pro")
    exchange = ccxtpro.bitget()
    failures: list[str] = []
    exchange.spawn = lambda *args: failures.append("checksum")
    exchange.safe_symbol = lambda *args, **kwargs: "BTC/USDT:USDT"

    class _Client:
        url = "wss://ws.bitget.com/v2/ws/public"

        def resolve(self, *args: object) -> None:
            return None

    for frame in _random_frames(7, 100):
        exchange.handle_order_book(_Client(), frame)
    assert failures == []
    exchange.handle_order_book(_Client(), msgspec.json.decode(_frame("books__snapshot")))
    exchange.handle_order_book(_Client(), msgspec.json.decode(_frame("books__update")))
    assert failures == ["checksum"]  # ccxt also rejects the fact sheet's sample update


def test_l2book_checksum_agrees_with_parsing() -> None:
    push = PUSH.decode(_frame("books__snapshot"))
    book = L2Book(Venue.BITGET, "BTCUSDT", keep_text=True)
    item = push.data[0]
    book.apply_snapshot(item.bids, item.asks, item.seq, 0, 0)
    bids, asks = book.text_levels(25)
    assert book.checksum_crc32(25) == parsing.book_checksum(bids, asks)
