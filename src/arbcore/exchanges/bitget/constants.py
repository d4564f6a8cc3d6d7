"""Bitget wire constants: base URLs per environment, paths, product profiles, capabilities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from arbcore.core.enums import Env, Venue
from arbcore.exchanges.base import BookValidation, Capabilities, Compression

VENUE: Final = Venue.BITGET

# --- Base URLs ------------------------------------------------------------------------------
# Bitget has no separate testnet. Demo trading uses the live REST host plus the header
# `paptrading: 1` and demo API keys; the demo WebSocket lives on wspap.bitget.com.
# (Confirmed in Bitget's own docs: api-doc/common/demotrading/restapi and the UTA quick start.)
REST_URLS: Final[dict[Env, str]] = {
    Env.LIVE: "https://api.bitget.com",
    Env.DEMO: "https://api.bitget.com",
}
WS_PUBLIC_URLS: Final[dict[Env, str]] = {
    Env.LIVE: "wss://ws.bitget.com/v2/ws/public",
    Env.DEMO: "wss://wspap.bitget.com/v2/ws/public",
}
WS_PRIVATE_URLS: Final[dict[Env, str]] = {
    Env.LIVE: "wss://ws.bitget.com/v2/ws/private",
    Env.DEMO: "wss://wspap.bitget.com/v2/ws/private",
}
DEMO_HEADER: Final = ("paptrading", "1")


@dataclass(frozen=True, slots=True)
class ProductProfile:
    """Which product line a connector trades: live USDT-M or the S-prefixed demo line.

    Bitget's demo docs list `SUSDT-FUTURES` with margin coin `SUSDT` and symbols such as
    `SBTCSUSDT` (BTCUSDT's demo twin); `coin_prefix` is stripped to get arbcore's symbol.
    """

    product_type: str
    margin_coin: str
    coin_prefix: str = ""

    def core_coin(self, venue_coin: str) -> str:
        if self.coin_prefix and venue_coin.startswith(self.coin_prefix):
            return venue_coin[len(self.coin_prefix) :]
        return venue_coin


LIVE_PROFILE: Final = ProductProfile(product_type="USDT-FUTURES", margin_coin="USDT")
DEMO_PROFILE: Final = ProductProfile(
    product_type="SUSDT-FUTURES", margin_coin="SUSDT", coin_prefix="S"
)


def profile_for(env: Env, extra: dict[str, str] | None = None) -> ProductProfile:
    """The product profile for an environment; `extra` may override any field
    (`product_type`, `margin_coin`, `coin_prefix`), e.g. newer demo accounts that accept
    plain USDT-FUTURES with the paptrading header."""
    base = DEMO_PROFILE if env is Env.DEMO else LIVE_PROFILE
    extra = extra or {}
    return ProductProfile(
        product_type=extra.get("product_type", base.product_type),
        margin_coin=extra.get("margin_coin", base.margin_coin),
        coin_prefix=extra.get("coin_prefix", base.coin_prefix),
    )


# --- REST paths -----------------------------------------------------------------------------
PATH_SERVER_TIME: Final = "/api/v2/public/time"
PATH_CONTRACTS: Final = "/api/v2/mix/market/contracts"
PATH_MERGE_DEPTH: Final = "/api/v2/mix/market/merge-depth"
PATH_TICKER: Final = "/api/v2/mix/market/ticker"
PATH_CURRENT_FUND_RATE: Final = "/api/v2/mix/market/current-fund-rate"
PATH_FUNDING_TIME: Final = "/api/v2/mix/market/funding-time"
PATH_PLACE_ORDER: Final = "/api/v2/mix/order/place-order"
PATH_CANCEL_ORDER: Final = "/api/v2/mix/order/cancel-order"
PATH_ORDER_DETAIL: Final = "/api/v2/mix/order/detail"
PATH_FILLS: Final = "/api/v2/mix/order/fills"
PATH_ORDERS_PENDING: Final = "/api/v2/mix/order/orders-pending"
PATH_ORDERS_HISTORY: Final = "/api/v2/mix/order/orders-history"
ORDERS_PAGE_LIMIT: Final = 100  # orders-pending / orders-history: limit at most 100
HISTORY_WINDOW_MS: Final = 90 * 24 * 3600 * 1000  # orders-history: a span of at most 3 months
PATH_ALL_POSITION: Final = "/api/v2/mix/position/all-position"
PATH_ACCOUNTS: Final = "/api/v2/mix/account/accounts"
PATH_ACCOUNT_BILL: Final = "/api/v2/mix/account/bill"
# account/bill (Get-Account-Bill): limit at most 100 (default 20); startTime..endTime at most
# 30 days; only the last 90 days are kept; older pages via idLessThan = the previous endId.
BILL_PAGE_LIMIT: Final = 100
BILL_SPAN_MS: Final = 30 * 24 * 3600 * 1000
BILL_KEEP_MS: Final = 90 * 24 * 3600 * 1000
# Our server-time estimate may trail Bitget's clock: windows stay this much inside the limits.
BILL_CLOCK_MARGIN_MS: Final = 3600 * 1000
BILL_MAX_PAGES: Final = 50  # per 30-day window: 5000 bills of one symbol and type
PATH_SET_LEVERAGE: Final = "/api/v2/mix/account/set-leverage"
PATH_SET_MARGIN_MODE: Final = "/api/v2/mix/account/set-margin-mode"
PATH_SET_POSITION_MODE: Final = "/api/v2/mix/account/set-position-mode"

# Rate-limit group of every path (configs/exchanges.json groups: trade, query, account, market).
RATE_GROUPS: Final[dict[str, str]] = {
    PATH_SERVER_TIME: "market",
    PATH_CONTRACTS: "market",
    PATH_MERGE_DEPTH: "market",
    PATH_TICKER: "market",
    PATH_CURRENT_FUND_RATE: "market",
    PATH_FUNDING_TIME: "market",
    PATH_PLACE_ORDER: "trade",
    PATH_CANCEL_ORDER: "trade",
    PATH_ORDER_DETAIL: "query",
    PATH_FILLS: "query",
    PATH_ORDERS_PENDING: "query",
    PATH_ORDERS_HISTORY: "query",
    PATH_ALL_POSITION: "query",
    PATH_ACCOUNTS: "query",
    PATH_ACCOUNT_BILL: "query",
    PATH_SET_LEVERAGE: "account",
    PATH_SET_MARGIN_MODE: "account",
    PATH_SET_POSITION_MODE: "account",
}

SUCCESS_CODE: Final = "00000"

# --- WebSocket ------------------------------------------------------------------------------
BOOK_CHANNEL: Final = "books"  # full-depth incremental with checksum and seq
CHECKSUM_LEVELS: Final = 25
PING_TEXT: Final = "ping"
PONG_TEXT: Final = "pong"
# Bitget docs: send the string "ping" every 30 s; no ping for 2 min closes the socket;
# at most 10 messages per second per connection. We ping a little earlier than 30 s.
PING_INTERVAL_S: Final = 25.0
WS_MAX_MESSAGES_PER_S: Final = 10
WS_LOGIN_PATH: Final = "/user/verify"
PRIVATE_CHANNELS: Final = ("orders", "fill", "positions", "account")
PRIVATE_INST_ID: Final = "default"

# --- Orders ---------------------------------------------------------------------------------
MARGIN_MODE_WIRE: Final = {"isolated": "isolated", "cross": "crossed"}
POSITION_MODE_WIRE: Final = {"one_way": "one_way_mode", "hedge": "hedge_mode"}

CAPABILITIES: Final = Capabilities(
    ioc=True,
    fok=True,
    post_only=True,
    reduce_only=True,
    market_orders=True,
    hedge_mode=True,
    per_symbol_margin_mode=True,
    qty_in_contracts=False,
    book_validation=BookValidation.CHECKSUM,
    ws_compression=Compression.NONE,
    private_ws=True,
    fetch_order_by_client_id=True,
    needs_passphrase=True,
    trading_api=True,
    # clientOid is a free string; the documented cap is unverified, arbcore's ids are 24 chars.
    client_id_max_len=32,
    numeric_client_id=False,
)

# --- Error codes (REST `code` is a string; WS event codes are numbers) ------------------------
# Named so the simulator front end and the parser agree on one table. Codes marked
# "unverified" come from the fact sheet without a primary source.
ERR_TOO_MANY_REQUESTS: Final = "429"
ERR_TIMESTAMP_EXPIRED: Final = "40008"
ERR_INVALID_TIMESTAMP: Final = "40005"
ERR_INVALID_KEY: Final = "40006"
ERR_SIGNATURE: Final = "40009"
ERR_KEY_OR_PASSPHRASE: Final = "40012"
ERR_PASSPHRASE_MISSING: Final = "40011"
ERR_PERMISSION: Final = "40014"
ERR_IP_NOT_WHITELISTED: Final = "40018"
ERR_SYSTEM_BUSY: Final = "40015"
ERR_PARAMETER: Final = "40017"
ERR_BAD_SYMBOL: Final = "40102"
ERR_ORDER_EXCEEDS_BALANCE: Final = "40762"
ERR_INSUFFICIENT_BALANCE: Final = "43012"
ERR_INSUFFICIENT_ACCOUNT: Final = "40711"
ERR_INSUFFICIENT_MARGIN: Final = "40712"
ERR_SIZE_PRECISION: Final = "40808"
ERR_PRICE_PRECISION: Final = "41103"
ERR_INVALID_PRICE: Final = "43011"
ERR_BELOW_MIN_AMOUNT: Final = "45110"
ERR_POSITION_MODE_MISMATCH: Final = "40774"
ERR_NO_POSITION_TO_CLOSE: Final = "22002"  # unverified
ERR_INSUFFICIENT_POSITION: Final = "40757"  # unverified
ERR_ORDER_NOT_EXIST: Final = "40768"
ERR_ORDER_NOT_FOUND: Final = "43001"
ERR_ORDER_DATA_NOT_FOUND: Final = "40109"
ERR_DUPLICATE_CLIENT_OID: Final = "40786"  # unverified
ERR_MODE_CHANGE_REFUSED: Final = "45117"  # unverified
WS_ERR_CHANNEL_NOT_EXIST: Final = "30001"
WS_ERR_LOGIN_REQUIRED: Final = "30004"
WS_ERR_LOGIN_FAILED: Final = "30005"
WS_ERR_TOO_MANY_REQUESTS: Final = "30006"
WS_ERR_OVER_LIMIT: Final = "30007"
WS_ERR_INVALID_KEY: Final = "30011"
WS_ERR_INVALID_PASSPHRASE: Final = "30012"
WS_ERR_INVALID_TIMESTAMP: Final = "30013"
WS_ERR_TIMESTAMP_EXPIRED: Final = "30014"
WS_ERR_INVALID_SIGN: Final = "30015"
