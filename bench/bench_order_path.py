"""Order write path benchmark: call -> request bytes at the server, aiohttp vs the fast lane.

Run from the repository root: `.venv/bin/python -m bench.bench_order_path [--help]`.
Writes bench/results/order_path.json; docs/benchmarks.md explains the cases.

A canned Bybit v5 HTTP server runs in a child process and stamps `time.perf_counter_ns()`
(CLOCK_MONOTONIC, the same clock in both processes) when the last byte of each request has
been read. The client side stamps the moment of the call. Cases run interleaved in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from arbcore.core.enums import Env, OrderType, Side, TimeInForce, Venue
from arbcore.core.models import OrderRequest
from arbcore.exchanges.base import ConnectorConfig, Credentials
from arbcore.exchanges.bybit.client import BybitClient
from arbcore.exchanges.transport.fastlane import FastLane
from arbcore.exchanges.transport.httpwire import encode_request
from arbcore.exchanges.transport.rest import RestSession

ROOT = Path(__file__).resolve().parent.parent
RESULTS_PATH = ROOT / "bench" / "results" / "order_path.json"
FIXTURES = ROOT / "tests" / "fixtures" / "bybit" / "rest"
ID_HEADER = "X-Bench-Id"


# ---- server (child process) -------------------------------------------------------------


def _canned() -> dict[str, bytes]:
    now_ms = int(time.time() * 1000)
    time_body = {
        "retCode": 0,
        "retMsg": "OK",
        "result": {"timeSecond": str(now_ms // 1000), "timeNano": str(now_ms * 1_000_000)},
        "retExtInfo": {},
        "time": now_ms,
    }
    return {
        "/v5/market/time": json.dumps(time_body).encode(),
        "/v5/market/instruments-info": (FIXTURES / "instruments__sheet_btcusdt.json").read_bytes(),
        "/v5/order/realtime": (FIXTURES / "order_realtime__ccxt_linear_new.json").read_bytes(),
    }


class _BenchServer(asyncio.Protocol):
    """Keep-alive HTTP/1.1 server: stamps each complete request, answers canned Bybit JSON."""

    arrivals: ClassVar[dict[str, int]] = {}
    canned: ClassVar[dict[str, bytes]] = {}

    def __init__(self) -> None:
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now_ns = time.perf_counter_ns()
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])
            }
            size = int(headers.get("content-length", "0"))
            if len(self.buf) < end + 4 + size:
                return
            body = bytes(self.buf[end + 4 : end + 4 + size])
            del self.buf[: end + 4 + size]
            self._answer(head[0].split(" ")[1], headers, body, now_ns)

    def _answer(self, target: str, headers: dict[str, str], body: bytes, now_ns: int) -> None:
        path = target.split("?", 1)[0]
        if path == "/__arrivals":
            payload = json.dumps(self.arrivals).encode()
        elif path == "/v5/order/create":
            client_id = json.loads(body)["orderLinkId"]
            self.arrivals[client_id] = now_ns
            result = {"orderId": f"o-{client_id}", "orderLinkId": client_id}
            payload = json.dumps({"retCode": 0, "retMsg": "OK", "result": result}).encode()
        elif path == "/raw":
            self.arrivals[headers[ID_HEADER.lower()]] = now_ns
            payload = b'{"ok":true}'
        else:
            payload = self.canned.get(path, b'{"retCode":0,"retMsg":"OK","result":{}}')
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(payload)).encode()
            + b"\r\n\r\n"
            + payload
        )


async def _serve() -> None:
    _BenchServer.canned = _canned()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_BenchServer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until parent ends


# ---- client (this process) ----------------------------------------------------------------


def _config(url: str, limits_path: str, lanes: int) -> ConnectorConfig:
    return ConnectorConfig(
        venue=Venue.BYBIT,
        env=Env.SIM,
        credentials=Credentials("bench-key", "bench-secret"),
        rest_url=url,
        ws_public_url="ws://127.0.0.1:1/unused",
        ws_private_url="ws://127.0.0.1:1/unused",
        rate_limits_path=limits_path,
        rate_budget_fraction=1.0,
        extra={"fastlane_connections": str(lanes), "prewarm_connections": "2"},
    )


def _order(client_id: str) -> OrderRequest:
    return OrderRequest(
        venue=Venue.BYBIT,
        symbol="BTCUSDT",
        side=Side.BUY,
        qty_base=Decimal("0.001"),
        client_id=client_id,
        order_type=OrderType.LIMIT,
        tif=TimeInForce.GTC,
        price=Decimal("30000"),
    )


def _summary(values_ns: list[int]) -> dict[str, float]:
    us = sorted(v / 1000 for v in values_ns)
    return {
        "median_us": round(statistics.median(us), 1),
        "p90_us": round(us[int(0.9 * (len(us) - 1))], 1),
        "min_us": round(us[0], 1),
        "max_us": round(us[-1], 1),
    }


def _floor_once(port: int, sock: socket.socket, ident: str) -> int:
    data = encode_request("POST", "/raw", {"Host": f"127.0.0.1:{port}"}, {ID_HEADER: ident}, b"{}")
    started = time.perf_counter_ns()
    sock.sendall(data)
    sock.recv(65536)
    return started


async def _run(port: int, rounds: int, gap_s: float) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}"
    unlimited = {"max_requests": 100000, "per_seconds": 1}
    groups = ("trade", "query", "account", "market")
    limits = {"bybit": {"rate_limits": dict.fromkeys(groups, unlimited)}}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(limits, fh)
    fast_client = BybitClient(_config(url, fh.name, lanes=2))
    slow_client = BybitClient(_config(url, fh.name, lanes=0))
    session = RestSession("bench", url, prewarm_connections=2, prewarm_path="/v5/market/time")
    lane = FastLane("bench", url, connections=2)
    for started in (fast_client.start(), slow_client.start(), session.start(), lane.start()):
        await started
    await fast_client.load_instruments()
    await slow_client.load_instruments()
    raw = socket.create_connection(("127.0.0.1", port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    called: dict[str, dict[str, int]] = {k: {} for k in CASES}
    returned_ns: list[int] = []

    async def fast_order(ident: str) -> None:
        started = time.perf_counter_ns()
        pending = fast_client.submit_order_now(_order(ident))
        returned_ns.append(time.perf_counter_ns() - started)
        called["client_fast_lane"][ident] = started
        await pending

    async def slow_order(ident: str) -> None:
        called["client_aiohttp"][ident] = time.perf_counter_ns()
        await slow_client.submit_order(_order(ident))

    async def lane_raw(ident: str) -> None:
        called["transport_fast_lane"][ident] = time.perf_counter_ns()
        future = lane.try_write("POST", "/raw", {ID_HEADER: ident}, b"{}")
        assert future is not None
        await future

    async def aiohttp_raw(ident: str) -> None:
        called["transport_aiohttp"][ident] = time.perf_counter_ns()
        await session.request("POST", "/raw", body=b"{}", headers={ID_HEADER: ident})

    async def floor(ident: str) -> None:
        called["floor_blocking_socket"][ident] = _floor_once(port, raw, ident)

    runs: dict[str, Callable[[str], Awaitable[None]]] = {
        "client_fast_lane": fast_order,
        "client_aiohttp": slow_order,
        "transport_fast_lane": lane_raw,
        "transport_aiohttp": aiohttp_raw,
        "floor_blocking_socket": floor,
    }
    try:
        for i in range(rounds):
            for case, run in runs.items():
                await run(f"{CASES[case]}{i}")
                await asyncio.sleep(gap_s)
        arrivals = json.loads((await session.request("GET", "/__arrivals")).body)
    finally:
        raw.close()
        for closing in (fast_client.close(), slow_client.close(), session.close(), lane.close()):
            await closing
        os.unlink(fh.name)
    return _report(called, arrivals, returned_ns, rounds)


CASES = {
    "client_fast_lane": "bf",
    "client_aiohttp": "ba",
    "transport_fast_lane": "tf",
    "transport_aiohttp": "ta",
    "floor_blocking_socket": "fl",
}


def _report(
    called: dict[str, dict[str, int]], arrivals: dict[str, int], returned_ns: list[int], rounds: int
) -> dict[str, Any]:
    cases: dict[str, Any] = {}
    for case, starts in called.items():
        deltas = [arrivals[ident] - started for ident, started in starts.items()]
        cases[case] = {"orders": len(deltas), **_summary(deltas)}
    cases["client_fast_lane_call_returns"] = {"orders": len(returned_ns), **_summary(returned_ns)}
    fast, slow = cases["client_fast_lane"]["median_us"], cases["client_aiohttp"]["median_us"]
    t_fast, t_slow = (
        cases["transport_fast_lane"]["median_us"],
        cases["transport_aiohttp"]["median_us"],
    )
    return {
        "benchmark": "order_path",
        "measured": "call -> last request byte read by a canned Bybit server in a child process",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "rounds": rounds,
        "cases": cases,
        "ratio_client_aiohttp_over_fast_lane": round(slow / fast, 2),
        "ratio_transport_aiohttp_over_fast_lane": round(t_slow / t_fast, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="orders per case")
    parser.add_argument("--gap-ms", type=float, default=2.0, help="pause between orders")
    parser.add_argument("--out", type=Path, default=RESULTS_PATH)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
        return
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_order_path", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        result = asyncio.run(_run(port, args.rounds, args.gap_ms / 1000))
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=10)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for case, stats in result["cases"].items():
        sys.stdout.write(f"{case:32s} {json.dumps(stats)}\n")
    sys.stdout.write(
        f"client ratio aiohttp/fast lane: {result['ratio_client_aiohttp_over_fast_lane']}\n"
    )


if __name__ == "__main__":
    main()
