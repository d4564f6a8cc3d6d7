"""Fast lane over real loopback sockets: synchronous writes, keep-alive, bodies, failures."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from arbcore.core.errors import NetworkError, OrderOutcomeUnknown, RateLimited, TransientError
from arbcore.exchanges.transport.fastlane import FastLane

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Recorder:
    """What the server saw: request bodies in arrival order and the peer port of each."""

    bodies: list[bytes] = field(default_factory=list)
    peer_ports: list[int] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def note(self, request: web.Request) -> bytes:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.bodies.append(body)
        self.peer_ports.append(peer[1] if peer else -1)
        self.arrived.set()
        return body


def _app(rec: Recorder) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        body = await rec.note(request)
        return web.Response(body=b"echo:" + body + b":" + request.query_string.encode())

    async def chunked(request: web.Request) -> web.StreamResponse:
        await rec.note(request)
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for piece in (b"first-", b"second-", b"x" * 5000):
            await resp.write(piece)
            await asyncio.sleep(0.01)
        await resp.write_eof()
        return resp

    async def slow(request: web.Request) -> web.Response:
        await rec.note(request)
        await asyncio.sleep(1.0)
        return web.Response(body=b"late")

    async def drop(request: web.Request) -> web.Response:
        await rec.note(request)
        assert request.transport is not None
        request.transport.abort()
        raise ConnectionResetError("dropped on purpose")

    async def status(request: web.Request) -> web.Response:
        await rec.note(request)
        code = int(request.match_info["code"])
        return web.Response(status=code, text=f"status {code}", headers={"Retry-After": "2"})

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_post("/chunked", chunked)
    app.router.add_post("/slow", slow)
    app.router.add_post("/drop", drop)
    app.router.add_post("/s/{code}", status)
    return app


async def _serve(
    app: web.Application,
    keepalive_timeout_s: float = 75.0,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, keepalive_timeout=keepalive_timeout_s)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    return runner, runner.addresses[0][1]


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
async def base_url(rec: Recorder) -> AsyncIterator[str]:
    runner, port = await _serve(_app(rec))
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def _lane(
    url: str, connections: int = 1, timeout_s: float = 5.0, connect_timeout_s: float = 3.0
) -> FastLane:
    lane = FastLane(
        "test", url, connections=connections, timeout_s=timeout_s,
        connect_timeout_s=connect_timeout_s,
    )  # fmt: skip
    await lane.start()
    return lane


async def _until(cond: Callable[[], bool], timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if cond():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


async def test_keep_alive_reuses_one_connection(base_url: str, rec: Recorder) -> None:
    lane = await _lane(base_url)
    try:
        for i in range(3):
            future = lane.try_write("POST", f"/echo?n={i}", {"X-A": "1"}, f"b{i}".encode())
            assert future is not None
            resp = await future
            assert resp.status == 200 and resp.body == f"echo:b{i}:n={i}".encode()
            assert resp.recv_ns >= resp.sent_ns
        get = lane.try_write("GET", "/echo?q=1", {}, None)
        assert get is not None and (await get).body == b"echo::q=1"
    finally:
        await lane.close()
    assert len(set(rec.peer_ports)) == 1 and len(rec.peer_ports) == 4
    assert lane.stats.connections_opened == 1


async def test_chunked_body_is_reassembled(base_url: str) -> None:
    lane = await _lane(base_url)
    try:
        future = lane.try_write("POST", "/chunked", {}, b"{}")
        assert future is not None
        resp = await future
        assert resp.body == b"first-second-" + b"x" * 5000
        again = lane.try_write("POST", "/echo", {}, b"next")
        assert again is not None and (await again).body == b"echo:next:"
    finally:
        await lane.close()
    assert lane.stats.connections_opened == 1


async def test_request_arrives_before_the_future_is_awaited(base_url: str, rec: Recorder) -> None:
    lane = await _lane(base_url)
    try:
        future = lane.try_write("POST", "/echo", {}, b"early")
        assert future is not None
        await asyncio.wait_for(rec.arrived.wait(), 5.0)
        assert rec.bodies == [b"early"]
        assert (await future).body == b"echo:early:"
    finally:
        await lane.close()


async def test_bytes_reach_the_kernel_before_try_write_returns() -> None:
    """A plain blocking server socket reads the request while the event loop never ran."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    lane = FastLane("test", f"http://127.0.0.1:{port}", connections=1)
    try:
        await lane.start()
        server_side, _ = listener.accept()
        server_side.settimeout(2.0)
        future = lane.try_write("POST", "/order", {"X-Sign": "abc"}, b'{"q":"1"}')
        assert future is not None
        received = server_side.recv(65536)  # no await in between: written synchronously
        assert received.startswith(b"POST /order HTTP/1.1\r\n")
        assert b"X-Sign: abc\r\n" in received and received.endswith(b'\r\n\r\n{"q":"1"}')
        assert f"Host: 127.0.0.1:{port}".encode() in received
        server_side.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        resp = await asyncio.wait_for(future, 2.0)
        assert resp.body == b"ok" and resp.headers["content-length"] == "2"
        server_side.close()
    finally:
        await lane.close()
        listener.close()


async def test_timeout_is_unknown_outcome_and_replaces_the_connection(
    base_url: str, rec: Recorder
) -> None:
    lane = await _lane(base_url, timeout_s=5.0)
    try:
        future = lane.try_write("POST", "/slow", {}, b"order", timeout_s=0.2, order_client_id="c1")
        assert future is not None
        with pytest.raises(OrderOutcomeUnknown) as info:
            await future
        assert info.value.client_id == "c1"
        await _until(lambda: lane.ready == 1)
        nxt = lane.try_write("POST", "/echo", {}, b"fresh")
        assert nxt is not None
        assert (await nxt).body == b"echo:fresh:"  # never the late answer of /slow
        await asyncio.sleep(1.0)  # the slow handler finishes; nothing may leak anywhere
        again = lane.try_write("POST", "/echo", {}, b"again")
        assert again is not None and (await again).body == b"echo:again:"
    finally:
        await lane.close()
    assert rec.peer_ports[0] != rec.peer_ports[1] == rec.peer_ports[2]
    assert lane.stats.connections_opened == 2


async def test_timeout_without_client_id_is_transient(base_url: str) -> None:
    lane = await _lane(base_url)
    try:
        future = lane.try_write("POST", "/slow", {}, b"q", timeout_s=0.1)
        assert future is not None
        with pytest.raises(TransientError) as info:
            await future
        assert not isinstance(info.value, OrderOutcomeUnknown)
    finally:
        await lane.close()


async def test_dropped_after_write_is_unknown_then_reconnects(base_url: str) -> None:
    lane = await _lane(base_url)
    try:
        future = lane.try_write("POST", "/drop", {}, b"x", order_client_id="c2")
        assert future is not None
        with pytest.raises(OrderOutcomeUnknown):
            await future
        await _until(lambda: lane.ready == 1)
        nxt = lane.try_write("POST", "/echo", {}, b"ok")
        assert nxt is not None and (await nxt).status == 200
    finally:
        await lane.close()


async def test_statuses_map_like_the_rest_session(base_url: str) -> None:
    lane = await _lane(base_url)
    try:
        limited = lane.try_write("POST", "/s/429", {}, b"")
        assert limited is not None
        with pytest.raises(RateLimited) as info:
            await limited
        assert info.value.retry_after_s == 2.0
        gateway = lane.try_write("POST", "/s/502", {}, b"", order_client_id="c3")
        assert gateway is not None
        with pytest.raises(OrderOutcomeUnknown):
            await gateway
        unavailable = lane.try_write("POST", "/s/503", {}, b"", order_client_id="c4")
        assert unavailable is not None
        with pytest.raises(TransientError) as unavailable_info:
            await unavailable
        assert not isinstance(unavailable_info.value, OrderOutcomeUnknown)
        rejected = lane.try_write("POST", "/s/400", {}, b"")
        assert rejected is not None and (await rejected).status == 400
    finally:
        await lane.close()


async def test_server_closing_idle_connections_reconnects(rec: Recorder) -> None:
    runner, port = await _serve(_app(rec), keepalive_timeout_s=0.2)
    lane = await _lane(f"http://127.0.0.1:{port}", connections=2)
    try:
        first = lane.try_write("POST", "/echo", {}, b"1")
        assert first is not None and (await first).status == 200
        await _until(lambda: lane.stats.connections_lost >= 1)
        await _until(lambda: lane.ready == 2)
        nxt = lane.try_write("POST", "/echo", {}, b"2")
        assert nxt is not None and (await nxt).body == b"echo:2:"
    finally:
        await lane.close()
        await runner.cleanup()
    assert lane.stats.connections_opened >= 3


async def test_no_connection_ready_returns_none(base_url: str) -> None:
    lane = await _lane(base_url, connections=1)
    try:
        busy = lane.try_write("POST", "/slow", {}, b"", timeout_s=3.0)
        assert busy is not None
        assert lane.try_write("POST", "/echo", {}, b"") is None
        assert lane.stats.no_connection == 1
        busy.cancel()
    finally:
        await lane.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    nowhere = await _lane(f"http://127.0.0.1:{closed_port}", connect_timeout_s=0.5)
    try:
        assert nowhere.ready == 0
        assert nowhere.try_write("POST", "/echo", {}, b"") is None
    finally:
        await nowhere.close()


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_https_with_a_verified_certificate(
    rec: Recorder, self_signed: tuple[Path, Path]
) -> None:
    cert, key = self_signed
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    runner, port = await _serve(_app(rec), ssl_context=server_ctx)
    lane = FastLane("test", f"https://127.0.0.1:{port}", connections=1, ssl_context=client_ctx)
    try:
        await lane.start()
        future = lane.try_write("POST", "/echo", {}, b"tls")
        assert future is not None
        await asyncio.wait_for(rec.arrived.wait(), 5.0)
        assert (await future).body == b"echo:tls:"
    finally:
        await lane.close()
        await runner.cleanup()


async def test_unencodable_request_is_not_sent_and_keeps_the_connection(base_url: str) -> None:
    lane = await _lane(base_url)
    try:
        with pytest.raises(NetworkError):
            lane.try_write("POST", "/echo", {"X-Bad": "a\r\nX-Injected: 1"}, b"")
        assert lane.ready == 1 and lane.stats.writes == 0
        ok = lane.try_write("POST", "/echo", {}, b"fine")
        assert ok is not None and (await ok).body == b"echo:fine:"
    finally:
        await lane.close()


async def test_long_idle_connections_are_recycled_replacement_first(base_url: str) -> None:
    lane = FastLane("test", base_url, connections=2, recycle_idle_s=0.2)
    await lane.start()
    try:
        await _until(lambda: lane.stats.recycled >= 2)
        assert lane.ready >= 2
        future = lane.try_write("POST", "/echo", {}, b"after")
        assert future is not None and (await future).body == b"echo:after:"
    finally:
        await lane.close()


async def test_idle_connection_closed_by_the_peer_is_never_written() -> None:
    """The server's FIN is in the kernel but the loop has not run: try_write skips it."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    lane = FastLane("test", f"http://127.0.0.1:{port}", connections=1)
    try:
        await lane.start()
        server_side, _ = listener.accept()
        server_side.close()
        time.sleep(0.05)  # noqa: ASYNC251  (blocking on purpose: the loop must not run)
        assert lane.try_write("POST", "/order", {}, b"{}", order_client_id="c9") is None
        assert lane.stats.writes == 0
    finally:
        await lane.close()
        listener.close()
