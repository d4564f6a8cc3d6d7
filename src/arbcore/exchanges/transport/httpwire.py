"""HTTP/1.1 wire format for the fast lane: request bytes out, incremental response parser in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024
_SET_BY_LANE = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_NO_BODY_STATUSES = frozenset({204, 304})
_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _TRAILER, _UNTIL_CLOSE, _DONE = range(7)


class WireError(Exception):
    """Bytes that are not a well-formed HTTP/1.1 request or response."""


def _checked(text: str, what: str) -> str:
    if "\r" in text or "\n" in text:
        raise WireError(f"line break in {what} {text!r}")
    return text


def encode_request(
    method: str,
    path: str,
    fixed_headers: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes | None,
) -> bytes:
    """One request's bytes; `path` is already encoded (query included, signed as is).
    Host comes from `fixed_headers`; Content-Length is set from `body`."""
    if not path.startswith("/") or any(ch in path for ch in " \r\n\t"):
        raise WireError(f"bad request target {path!r}")
    lines = [f"{_checked(method, 'method')} {path} HTTP/1.1"]
    for source in (fixed_headers, headers):
        for name, value in source.items():
            if source is headers and name.lower() in _SET_BY_LANE:
                continue
            lines.append(f"{_checked(name, 'header')}: {_checked(value, 'header value')}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body if body else head


@dataclass(frozen=True, slots=True)
class ParsedResponse:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    keep_alive: bool


class ResponseParser:
    """Feed bytes as they arrive; `feed` returns the response once it is complete."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._state = _HEAD
        self._status = 0
        self._headers: dict[str, str] = {}
        self._keep_alive = True
        self._body = bytearray()
        self._need = 0

    @property
    def leftover(self) -> bytes:
        """Bytes received after the complete response (a server talking out of turn)."""
        return bytes(self._buf) if self._state == _DONE else b""

    def feed(self, data: bytes) -> ParsedResponse | None:
        self._buf += data
        while True:
            if self._state == _HEAD:
                if not self._parse_head():
                    return None
            elif self._state == _LENGTH:
                if len(self._buf) < self._need:
                    return None
                self._body += self._buf[: self._need]
                del self._buf[: self._need]
                return self._finish()
            elif self._state == _CHUNK_SIZE:
                if not self._parse_chunk_size():
                    return None
            elif self._state == _CHUNK_DATA:
                if len(self._buf) < self._need + 2:
                    return None
                if self._buf[self._need : self._need + 2] != b"\r\n":
                    raise WireError("chunk not followed by CRLF")
                self._body += self._buf[: self._need]
                del self._buf[: self._need + 2]
                self._state = _CHUNK_SIZE
            elif self._state == _TRAILER:
                end = self._buf.find(b"\r\n")
                if end < 0:
                    return None
                del self._buf[: end + 2]
                if end == 0:
                    return self._finish()
            elif self._state == _UNTIL_CLOSE:
                self._body += self._buf
                self._buf.clear()
                return None
            else:
                return None

    def feed_eof(self) -> ParsedResponse | None:
        """The peer closed: a response delimited by the close is complete now."""
        if self._state == _UNTIL_CLOSE:
            return self._finish()
        return None

    def _finish(self) -> ParsedResponse:
        self._state = _DONE
        return ParsedResponse(self._status, self._headers, bytes(self._body), self._keep_alive)

    def _parse_head(self) -> bool:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_HEAD_BYTES:
                raise WireError("response head too large")
            return False
        head = self._buf[:end].decode("latin-1")
        del self._buf[: end + 4]
        status_line, *header_lines = head.split("\r\n")
        version, _, rest = status_line.partition(" ")
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise WireError(f"bad status line {status_line!r}")
        try:
            status = int(rest[:3])
        except ValueError:
            raise WireError(f"bad status line {status_line!r}") from None
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise WireError(f"bad header line {line!r}")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if 100 <= status < 200:
            return True  # interim answer (100 Continue): the real one follows
        self._status = status
        self._headers = headers
        connection = headers.get("connection", "").lower()
        if version == "HTTP/1.0":
            self._keep_alive = "keep-alive" in connection
        else:
            self._keep_alive = "close" not in connection
        self._choose_body_mode()
        return True

    def _choose_body_mode(self) -> None:
        headers = self._headers
        if self._status in _NO_BODY_STATUSES:
            self._state, self._need = _LENGTH, 0
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._state = _CHUNK_SIZE
        elif "content-length" in headers:
            try:
                self._need = int(headers["content-length"])
            except ValueError:
                raise WireError(f"bad Content-Length {headers['content-length']!r}") from None
            if self._need < 0:
                raise WireError("negative Content-Length")
            self._state = _LENGTH
        else:
            self._state = _UNTIL_CLOSE
            self._keep_alive = False

    def _parse_chunk_size(self) -> bool:
        end = self._buf.find(b"\r\n")
        if end < 0:
            return False
        line = bytes(self._buf[:end]).split(b";", 1)[0].strip()
        del self._buf[: end + 2]
        try:
            size = int(line, 16)
        except ValueError:
            raise WireError(f"bad chunk size {line!r}") from None
        if size < 0:
            raise WireError("negative chunk size")
        if size == 0:
            self._state = _TRAILER
        else:
            self._state, self._need = _CHUNK_DATA, size
        return True
