"""Enumerations shared by every layer: venues, sides, order kinds, states."""

from __future__ import annotations

from enum import StrEnum


class Venue(StrEnum):
    BYBIT = "bybit"
    BITGET = "bitget"
    BINGX = "bingx"
    GATE = "gate"
    OKX = "okx"
    HTX = "htx"
    MEXC = "mexc"


class Env(StrEnum):
    """Which deployment of an exchange a connector talks to."""

    LIVE = "live"
    TESTNET = "testnet"
    DEMO = "demo"
    SIM = "sim"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(StrEnum):
    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"
    POST_ONLY = "post_only"


class OrderStatus(StrEnum):
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED})


class PositionSide(StrEnum):
    LONG = "long"
    SHORT = "short"


class MarginMode(StrEnum):
    ISOLATED = "isolated"
    CROSS = "cross"


class PositionMode(StrEnum):
    ONE_WAY = "one_way"
    HEDGE = "hedge"


class PairState(StrEnum):
    PAUSED = "PAUSED"
    READY = "READY"
    ENTERING = "ENTERING"
    POSITION_OPEN = "POSITION_OPEN"
    EXITING = "EXITING"
    ERROR = "ERROR"


class TradeState(StrEnum):
    """Life of one arbitrage (a row in `trades`)."""

    PENDING = "pending"  # id reserved before any order, so client ids exist in the database first
    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    ROLLED_BACK = "rolled_back"
    VOID = "void"  # a reserved id that no order ever used (found at restart)
    ERROR = "error"


class OnStart(StrEnum):
    CLOSE = "close"
    ADOPT = "adopt"
    IGNORE = "ignore"


class ConnectionState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
