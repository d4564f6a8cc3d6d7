"""Book and order-signing benchmark: arbcore and ccxt side by side in one process run.

Run from the repository root: `.venv/bin/python -m bench.bench_book [--help]`.
Writes bench/results/book.json; docs/benchmarks.md explains the cases.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ccxt
import ccxt.pro as ccxtpro
import msgspec
import orjson
from rich.console import Console
from rich.table import Table

from arbcore.core.enums import PositionMode, Venue
from arbcore.exchanges.bybit import auth as bybit_auth
from arbcore.exchanges.bybit import schemas as bybit_schemas
from arbcore.exchanges.bybit.parsing import order_body
from arbcore.exchanges.bybit.ws import BybitBookStream
from arbcore.market.book import L2Book
from bench.bybit_frames import (
    CCXT_MARKET,
    CCXT_SYMBOL,
    DEPTH,
    INSTRUMENT,
    ORDER_REQUEST,
    SYMBOL,
    BookFrames,
    make_frames,
)

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "book.json"
CCXT_WS_URL = "wss://stream.bybit.com/v5/public/linear"
WALK_QTY_BASE = 1.0
API_KEY = "bybit-demo-key"
SECRET = "bybit-demo-secret"


class FloatLevelsData(msgspec.Struct):
    """Bybit book data with levels decoded straight to floats (msgspec, strict=False)."""

    s: str
    b: list[tuple[float, float]]
    a: list[tuple[float, float]]
    u: int


class FloatLevelsFrame(msgspec.Struct):
    topic: str
    type: str
    ts: int
    data: FloatLevelsData


@dataclass
class Case:
    """One measured operation: `setup` runs before each batch, `batch` returns its op count."""

    name: str
    setup: Callable[[], None]
    batch: Callable[[], int]
    samples_ns: list[float]
    cpu_samples_ns: list[float] = field(default_factory=list)


def vwap_walk(levels: list[list[float]], qty: float) -> float | None:
    """The depth walk L2Book.buy_px does, written over ccxt's book side lists."""
    left = qty
    notional = 0.0
    for px, lvl in levels:
        if lvl >= left:
            return (notional + left * px) / qty
        notional += lvl * px
        left -= lvl
    return None


def arbcore_cases(frames: BookFrames, book: L2Book, reads: int, orders: int) -> list[Case]:
    decoder = msgspec.json.Decoder(bybit_schemas.PublicFrame)
    float_decoder = msgspec.json.Decoder(FloatLevelsFrame, strict=False)
    stream = BybitBookStream("ws://127.0.0.1:9/unused")
    deltas = frames.deltas

    def reset_book() -> None:
        snap = decoder.decode(frames.snapshot)
        assert snap.data is not None
        book.apply_snapshot(snap.data.b, snap.data.a, snap.data.u, snap.ts, 1)

    def parse_apply() -> int:
        decode = decoder.decode
        apply_delta = book.apply_delta
        for raw in deltas:
            frame = decode(raw)
            data = frame.data
            assert data is not None
            apply_delta(data.b, data.a, data.u, frame.ts, 1)
        return len(deltas)

    def parse_apply_float_levels() -> int:
        decode = float_decoder.decode
        apply_delta = book.apply_delta
        for raw in deltas:
            frame = decode(raw)
            data = frame.data
            apply_delta(data.b, data.a, data.u, frame.ts, 1)
        return len(deltas)

    def reset_stream() -> None:
        stream.books[SYMBOL] = L2Book(Venue.BYBIT, SYMBOL, max_depth=DEPTH)
        stream.on_frame(frames.snapshot, 1)

    def stream_on_frame() -> int:
        on_frame = stream.on_frame
        for raw in deltas:
            on_frame(raw, 1)
        if stream.books[SYMBOL].stale:
            raise RuntimeError("arbcore stream rejected a benchmark delta")
        return len(deltas)

    def decode_only() -> int:
        decode = decoder.decode
        for raw in deltas:
            decode(raw)
        return len(deltas)

    def read_top_and_walk() -> int:
        for _ in range(reads):
            book.best_bid()
            book.best_ask()
            book.buy_px(WALK_QTY_BASE)
            book.sell_px(WALK_QTY_BASE)
        return reads

    request = ORDER_REQUEST

    def build_sign() -> int:
        for _ in range(orders):
            body = order_body(request, INSTRUMENT, PositionMode.ONE_WAY)
            text = orjson.dumps(body).decode()
            bybit_auth.rest_headers(API_KEY, SECRET, time.time_ns() // 1_000_000, text)
        return orders

    body_text = orjson.dumps(order_body(request, INSTRUMENT, PositionMode.ONE_WAY)).decode()

    def body_only() -> int:
        for _ in range(orders):
            order_body(request, INSTRUMENT, PositionMode.ONE_WAY)
        return orders

    def sign_only() -> int:
        for _ in range(orders):
            bybit_auth.rest_headers(API_KEY, SECRET, time.time_ns() // 1_000_000, body_text)
        return orders

    def noop() -> None:
        return None

    def after_deltas() -> None:
        reset_book()
        parse_apply()

    return [
        Case("decode", noop, decode_only, []),
        Case("parse_apply", reset_book, parse_apply, []),
        Case("parse_apply_float_levels", reset_book, parse_apply_float_levels, []),
        Case("stream_on_frame", reset_stream, stream_on_frame, []),
        Case("top_and_walk", after_deltas, read_top_and_walk, []),
        Case("order_build_sign", noop, build_sign, []),
        Case("order_body_only", noop, body_only, []),
        Case("order_sign_only", noop, sign_only, []),
    ]


def ccxt_cases(frames: BookFrames, exchange: Any, reads: int, orders: int) -> list[Case]:
    client = exchange.client(CCXT_WS_URL)
    rest = ccxt.bybit({"apiKey": API_KEY, "secret": SECRET})
    rest.set_markets([CCXT_MARKET])
    deltas = frames.deltas

    def reset_book() -> None:
        exchange.orderbooks.pop(CCXT_SYMBOL, None)
        client.handle_text_or_binary_message(frames.snapshot)

    def parse_apply() -> int:
        handle = client.handle_text_or_binary_message
        for raw in deltas:
            handle(raw)
        return len(deltas)

    def decode_only() -> int:
        for raw in deltas:
            orjson.loads(raw)
        return len(deltas)

    def read_top_and_walk() -> int:
        book = exchange.orderbooks[CCXT_SYMBOL]
        for _ in range(reads):
            bids = book["bids"]
            asks = book["asks"]
            _ = bids[0] if bids else None
            _ = asks[0] if asks else None
            vwap_walk(asks, WALK_QTY_BASE)
            vwap_walk(bids, WALK_QTY_BASE)
        return reads

    def build_sign() -> int:
        params = {"timeInForce": "IOC", "clientOrderId": "arb-1-L-1-0"}
        for _ in range(orders):
            body = rest.create_order_request(CCXT_SYMBOL, "limit", "buy", 0.01, 37000.5, params)
            rest.sign("v5/order/create", "private", "POST", body)
        return orders

    ccxt_params = {"timeInForce": "IOC", "clientOrderId": "arb-1-L-1-0"}
    ccxt_body = rest.create_order_request(CCXT_SYMBOL, "limit", "buy", 0.01, 37000.5, ccxt_params)

    def body_only() -> int:
        for _ in range(orders):
            rest.create_order_request(CCXT_SYMBOL, "limit", "buy", 0.01, 37000.5, ccxt_params)
        return orders

    def sign_only() -> int:
        for _ in range(orders):
            rest.sign("v5/order/create", "private", "POST", ccxt_body)
        return orders

    def noop() -> None:
        return None

    def after_deltas() -> None:
        reset_book()
        parse_apply()

    return [
        Case("decode", noop, decode_only, []),
        Case("parse_apply", reset_book, parse_apply, []),
        Case("top_and_walk", after_deltas, read_top_and_walk, []),
        Case("order_build_sign", noop, build_sign, []),
        Case("order_body_only", noop, body_only, []),
        Case("order_sign_only", noop, sign_only, []),
    ]


def check_same_results(ours: list[Case], theirs: list[Case], book: L2Book, exchange: Any) -> None:
    """Both libraries end the delta run with the same book and sign the same bytes alike."""
    theirs_apply = next(c for c in theirs if c.name == "parse_apply")
    theirs_apply.setup()
    theirs_apply.batch()
    ccxt_book = exchange.orderbooks[CCXT_SYMBOL]
    ccxt_bids = [(px, qty) for px, qty in ccxt_book["bids"][:DEPTH]]
    ccxt_asks = [(px, qty) for px, qty in ccxt_book["asks"][:DEPTH]]
    for case in ours:
        if case.name.startswith("parse_apply"):
            case.setup()
            case.batch()
            if book.depth_bids(DEPTH) != ccxt_bids or book.depth_asks(DEPTH) != ccxt_asks:
                raise RuntimeError(f"arbcore {case.name} and ccxt books differ after the deltas")
            if book.buy_px(WALK_QTY_BASE) != vwap_walk(ccxt_book["asks"], WALK_QTY_BASE):
                raise RuntimeError("arbcore and ccxt depth walks differ")
    body = orjson.dumps(
        {"category": "linear", "symbol": SYMBOL, "side": "Buy", "orderType": "Limit"}
    ).decode()
    ours_sig = bybit_auth.rest_signature(SECRET, API_KEY, 1_700_000_000_000, 5000, body)
    rest = ccxt.bybit({"apiKey": API_KEY, "secret": SECRET})
    rest.nonce = lambda: 1_700_000_000_000
    rest.options["recvWindow"] = 5000
    signed = rest.sign("v5/order/create", "private", "POST", orjson.loads(body))
    if signed["headers"]["X-BAPI-SIGN"] != ours_sig:
        raise RuntimeError("arbcore and ccxt disagree on the Bybit signature")


def measure(groups: dict[str, list[Case]], batches: int) -> None:
    """Interleave every case of every library batch by batch, so all see the same machine."""
    for _ in range(batches):
        for cases in groups.values():
            for case in cases:
                case.setup()
                gc.collect()
                start_cpu = time.thread_time_ns()
                start = time.perf_counter_ns()
                ops = case.batch()
                elapsed = time.perf_counter_ns() - start
                case.cpu_samples_ns.append((time.thread_time_ns() - start_cpu) / ops)
                case.samples_ns.append(elapsed / ops)


def summarize(groups: dict[str, list[Case]]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for library, cases in groups.items():
        for case in cases:
            row = table.setdefault(case.name, {})
            row[f"{library}_median_us"] = round(statistics.median(case.samples_ns) / 1000, 3)
            row[f"{library}_min_us"] = round(min(case.samples_ns) / 1000, 3)
            row[f"{library}_cpu_median_us"] = round(
                statistics.median(case.cpu_samples_ns) / 1000, 3
            )
    for name, row in table.items():
        ours = row.get("arbcore_median_us")
        theirs = row.get("ccxt_median_us")
        if ours and theirs:
            row["ccxt_over_arbcore"] = round(theirs / ours, 1)
        if name.startswith("parse_apply_") or name == "stream_on_frame":
            base = table["parse_apply"].get("ccxt_median_us")
            if ours and base:
                row["ccxt_parse_apply_over_this"] = round(base / ours, 1)
    return table


def render(results: dict[str, Any]) -> None:
    table = Table(title="arbcore vs ccxt (median µs per operation: wall clock, thread CPU)")
    for column in ("case", "arbcore", "ccxt", "ccxt / arbcore", "arbcore cpu", "ccxt cpu"):
        table.add_column(column)
    for name, row in results["results"].items():
        ratio = row.get("ccxt_over_arbcore", row.get("ccxt_parse_apply_over_this", ""))
        table.add_row(
            name,
            str(row.get("arbcore_median_us", "")),
            str(row.get("ccxt_median_us", "")),
            str(ratio),
            str(row.get("arbcore_cpu_median_us", "")),
            str(row.get("ccxt_cpu_median_us", "")),
        )
    Console().print(table)


async def run(deltas: int, batches: int, reads: int, orders: int) -> dict[str, Any]:
    frames = make_frames(deltas)
    book = L2Book(Venue.BYBIT, SYMBOL, max_depth=DEPTH)
    exchange = ccxtpro.bybit({"apiKey": API_KEY, "secret": SECRET})
    exchange.set_markets([CCXT_MARKET])
    try:
        ours = arbcore_cases(frames, book, reads, orders)
        theirs = ccxt_cases(frames, exchange, reads, orders)
        check_same_results(ours, theirs, book, exchange)
        groups = {"arbcore": ours, "ccxt": theirs}
        measure(groups, batches)
    finally:
        await exchange.close()
    results = {
        "meta": {
            "when_utc": datetime.now(tz=UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
            "platform": platform.platform(),
            "ccxt": ccxt.__version__,
            "msgspec": msgspec.__version__,
            "orjson": orjson.__version__,
            "deltas_per_batch": deltas,
            "batches": batches,
            "reads_per_batch": reads,
            "orders_per_batch": orders,
            "changed_levels_per_side": round(frames.changed_levels_per_side, 2),
            "mean_delta_bytes": round(frames.mean_delta_bytes, 1),
            "walk_qty_base": WALK_QTY_BASE,
            "statistic": "median over batches of (batch time / operations in batch); "
            "*_cpu_*: the same with thread CPU time (robust to a busy machine)",
        },
        "results": summarize(groups),
    }
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deltas", type=int, default=200, help="delta frames per batch")
    parser.add_argument("--batches", type=int, default=101, help="batches per case")
    parser.add_argument("--reads", type=int, default=500, help="top+walk reads per batch")
    parser.add_argument("--orders", type=int, default=100, help="orders built+signed per batch")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.deltas, args.batches, args.reads, args.orders))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    if not args.quiet:
        render(results)
    return results


if __name__ == "__main__":
    main()
