"""Bybit v5 wire constants: URLs per environment, paths, topics, limits, capabilities."""

from __future__ import annotations

from dataclasses import dataclass

from arbcore.core.enums import Env
from arbcore.exchanges.base import BookValidation, Capabilities, Compression
from arbcore.exchanges.transport.ratelimit import (
    ACCOUNT,
    MARKET,
    QUERY,
    TRADE,
    RateLimitSpec,
)

CATEGORY = "linear"
SETTLE_COIN = "USDT"
RECV_WINDOW_MS = 5000
WS_AUTH_EXPIRES_MS = 10_000
PING_INTERVAL_S = 20.0
IDLE_TIMEOUT_S = 45.0
BOOK_DEPTH = 50
BOOK_DEPTHS = (1, 50, 200, 1000)
INSTRUMENTS_PAGE_LIMIT = 1000
CLIENT_ID_MAX_LEN = 36
ORDERS_PAGE_LIMIT = 50  # /v5/order/realtime and /history: limit in [1, 50]
HISTORY_WINDOW_MS = 7 * 24 * 3600 * 1000  # /v5/order/history: endTime - startTime <= 7 days
# /v5/execution/list: limit in [1, 100] (default 50); endTime - startTime <= 7 days, startTime
# alone means startTime..startTime + 7 days; a unified account keeps the past 730 days.
EXEC_PAGE_LIMIT = 100
EXEC_SPAN_MS = 7 * 24 * 3600 * 1000
EXEC_KEEP_MS = 730 * 24 * 3600 * 1000
# Our server-time estimate may trail Bybit's clock: windows stay this much inside the limits.
EXEC_CLOCK_MARGIN_MS = 3600 * 1000
EXEC_MAX_PAGES = 50  # per 7-day window (or order): 5000 executions of one symbol and type


@dataclass(frozen=True, slots=True)
class Urls:
    rest: str
    ws_public: str
    ws_private: str


URLS: dict[Env, Urls] = {
    Env.LIVE: Urls(
        "https://api.bybit.com",
        "wss://stream.bybit.com/v5/public/linear",
        "wss://stream.bybit.com/v5/private",
    ),
    Env.TESTNET: Urls(
        "https://api-testnet.bybit.com",
        "wss://stream-testnet.bybit.com/v5/public/linear",
        "wss://stream-testnet.bybit.com/v5/private",
    ),
    # Demo trading has no public stream of its own: market data comes from mainnet.
    Env.DEMO: Urls(
        "https://api-demo.bybit.com",
        "wss://stream.bybit.com/v5/public/linear",
        "wss://stream-demo.bybit.com/v5/private",
    ),
}
WS_PUBLIC_PATH = "/v5/public/linear"
WS_PRIVATE_PATH = "/v5/private"

# REST paths
PATH_TIME = "/v5/market/time"
PATH_INSTRUMENTS = "/v5/market/instruments-info"
PATH_ORDERBOOK = "/v5/market/orderbook"
PATH_TICKERS = "/v5/market/tickers"
PATH_ORDER_CREATE = "/v5/order/create"
PATH_ORDER_CANCEL = "/v5/order/cancel"
PATH_ORDER_REALTIME = "/v5/order/realtime"
PATH_ORDER_HISTORY = "/v5/order/history"
PATH_EXECUTIONS = "/v5/execution/list"
PATH_POSITIONS = "/v5/position/list"
PATH_WALLET = "/v5/account/wallet-balance"
PATH_SET_LEVERAGE = "/v5/position/set-leverage"
PATH_SWITCH_ISOLATED = "/v5/position/switch-isolated"
PATH_SET_MARGIN_MODE = "/v5/account/set-margin-mode"
PATH_SWITCH_MODE = "/v5/position/switch-mode"

# Account types for /v5/account/wallet-balance
ACCOUNT_UNIFIED = "UNIFIED"
ACCOUNT_CLASSIC = "CONTRACT"

# positionIdx / position modes
POSITION_IDX_ONE_WAY = 0
POSITION_IDX_HEDGE_LONG = 1
POSITION_IDX_HEDGE_SHORT = 2
SWITCH_MODE_ONE_WAY = 0
SWITCH_MODE_HEDGE = 3

# Private topics (subscribed after the auth ack)
TOPIC_ORDER = "order.linear"
TOPIC_EXECUTION = "execution.linear"
TOPIC_POSITION = "position.linear"
TOPIC_WALLET = "wallet"
PRIVATE_TOPICS = (TOPIC_ORDER, TOPIC_EXECUTION, TOPIC_POSITION, TOPIC_WALLET)


def book_topic(symbol: str, depth: int = BOOK_DEPTH) -> str:
    return f"orderbook.{depth}.{symbol}"


# Documented per-UID limits (rules-for-PROs default tier, futures) and the per-IP limit for
# public endpoints; used when configs/exchanges.json has no "bybit" section.
DOCUMENTED_RATE_LIMITS: dict[str, RateLimitSpec] = {
    TRADE: RateLimitSpec(10, 1.0, "bybit v5 rate-limit: order/create, cancel 10/s (UTA futures)"),
    QUERY: RateLimitSpec(50, 1.0, "bybit v5 rate-limit: order/realtime, position/list 50/s"),
    ACCOUNT: RateLimitSpec(5, 1.0, "bybit v5 rate-limit: set-margin-mode 5/s (set-leverage 10/s)"),
    MARKET: RateLimitSpec(600, 5.0, "bybit v5 rate-limit: 600 requests / 5 s per IP"),
}

CAPABILITIES = Capabilities(
    ioc=True,
    fok=True,
    post_only=True,
    reduce_only=True,
    market_orders=True,
    hedge_mode=True,
    per_symbol_margin_mode=False,  # UTA: margin mode is account-wide
    qty_in_contracts=False,
    book_validation=BookValidation.SEQUENCE,
    ws_compression=Compression.NONE,
    private_ws=True,
    fetch_order_by_client_id=True,
    needs_passphrase=False,
    trading_api=True,
    client_id_max_len=CLIENT_ID_MAX_LEN,
    numeric_client_id=False,
)

# retCodes
RET_OK = 0
RET_LEVERAGE_NOT_MODIFIED = 110043
RET_POSITION_MODE_NOT_MODIFIED = 110025
RET_MARGIN_MODE_NOT_MODIFIED = 110026
RET_ORDER_NOT_EXISTS = 110001
RET_SYSTEM_ERROR = 10016
RET_REQUEST_EXPIRED = 10002
