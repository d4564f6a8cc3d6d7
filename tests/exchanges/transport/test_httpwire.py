"""HTTP/1.1 wire helpers: request bytes and a response parser fed in arbitrary pieces."""

from __future__ import annotations

import pytest

from arbcore.exchanges.transport.httpwire import (
    ParsedResponse,
    ResponseParser,
    WireError,
    encode_request,
)

CHUNKED = (
    b"HTTP/1.1 100 Continue\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n"
    b"5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"
)


def _feed_bytewise(raw: bytes) -> ParsedResponse:
    parser = ResponseParser()
    for i in range(len(raw)):
        done = parser.feed(raw[i : i + 1])
        if done is not None:
            assert i == len(raw) - 1
            return done
    raise AssertionError("response never completed")


def test_chunked_response_fed_one_byte_at_a_time() -> None:
    done = _feed_bytewise(CHUNKED)
    assert done.status == 200 and done.body == b"hello world" and done.keep_alive
    assert done.headers["set-cookie"] == "a, b"


def test_content_length_and_connection_close() -> None:
    raw = b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    done = _feed_bytewise(raw)
    assert (done.status, done.body, done.keep_alive) == (404, b"abc", False)


def test_no_body_statuses_and_http10() -> None:
    assert ResponseParser().feed(b"HTTP/1.1 204 No Content\r\n\r\n") == ParsedResponse(
        204, {}, b"", True
    )
    parser = ResponseParser()
    assert parser.feed(b"HTTP/1.0 200 OK\r\n\r\nall until ") is None
    assert parser.feed(b"close") is None
    done = parser.feed_eof()
    assert done is not None and done.body == b"all until close" and not done.keep_alive


def test_bytes_after_the_response_are_leftover() -> None:
    parser = ResponseParser()
    done = parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA")
    assert done is not None and done.body == b"x" and parser.leftover == b"EXTRA"


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 abc\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
    ],
)
def test_malformed_responses_raise(raw: bytes) -> None:
    with pytest.raises(WireError):
        ResponseParser().feed(raw)


def test_request_bytes() -> None:
    data = encode_request(
        "POST",
        "/v5/order/create?x=1",
        {"Host": "api.example:8443"},
        {"X-Key": "k", "content-length": "999", "Host": "evil"},
        b"{}",
    )
    assert data == (
        b"POST /v5/order/create?x=1 HTTP/1.1\r\nHost: api.example:8443\r\nX-Key: k\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    )
    assert (
        encode_request("GET", "/t", {"Host": "h"}, {}, None)
        == b"GET /t HTTP/1.1\r\nHost: h\r\n\r\n"
    )
    with pytest.raises(WireError):
        encode_request("POST", "/x", {"Host": "h"}, {"X-Bad": "a\r\nInjected: 1"}, None)
    with pytest.raises(WireError):
        encode_request("GET", "/a b", {"Host": "h"}, {}, None)
