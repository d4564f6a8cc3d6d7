"""msgspec Structs shaped like Bybit v5 wire JSON (REST results and WS frames).

Numbers arrive as strings; a few integer fields come as numbers in some answers and as
strings in others (recorded `retCode`, `time`, `positionIdx`, `u`), so those accept both.
Unknown fields are ignored. No imports from arbcore.core.
"""

from __future__ import annotations

import msgspec

IntLike = int | str
List = list  # result objects have a field named `list`, which shadows the builtin


class Envelope(msgspec.Struct):
    retCode: IntLike
    retMsg: str = ""
    result: msgspec.Raw = msgspec.Raw(b"null")
    time: IntLike = 0


class ServerTime(msgspec.Struct):
    timeSecond: str = ""
    timeNano: str = ""


class PriceFilter(msgspec.Struct):
    tickSize: str
    minPrice: str = ""
    maxPrice: str = ""


class LotSizeFilter(msgspec.Struct):
    qtyStep: str
    minOrderQty: str
    maxOrderQty: str = ""
    maxMktOrderQty: str = ""
    minNotionalValue: str = ""


class LeverageFilter(msgspec.Struct):
    minLeverage: str = "1"
    maxLeverage: str = "1"
    leverageStep: str = "0.01"


class InstrumentInfo(msgspec.Struct):
    symbol: str
    priceFilter: PriceFilter
    lotSizeFilter: LotSizeFilter
    contractType: str = ""
    status: str = ""
    baseCoin: str = ""
    quoteCoin: str = ""
    settleCoin: str = ""
    leverageFilter: LeverageFilter = msgspec.field(default_factory=LeverageFilter)
    priceScale: str = ""
    fundingInterval: IntLike = 480


class InstrumentsResult(msgspec.Struct):
    list: List[InstrumentInfo]
    category: str = ""
    nextPageCursor: str = ""


class OrderbookResult(msgspec.Struct):
    s: str
    b: list[list[str]]
    a: list[list[str]]
    ts: IntLike = 0
    u: IntLike = 0
    seq: IntLike = 0
    cts: IntLike = 0


class Ticker(msgspec.Struct):
    symbol: str
    lastPrice: str = ""
    markPrice: str = ""
    indexPrice: str = ""
    bid1Price: str = ""
    bid1Size: str = ""
    ask1Price: str = ""
    ask1Size: str = ""
    fundingRate: str = ""
    nextFundingTime: str = ""
    openInterest: str = ""


class TickersResult(msgspec.Struct):
    list: List[Ticker]
    category: str = ""


class OrderAck(msgspec.Struct):
    orderId: str = ""
    orderLinkId: str = ""


class OrderInfo(msgspec.Struct):
    """An order as `/v5/order/realtime|history` and the WS `order` topic describe it."""

    orderId: str
    symbol: str
    side: str
    orderStatus: str
    orderLinkId: str = ""
    orderType: str = ""
    price: str = ""
    qty: str = "0"
    timeInForce: str = ""
    positionIdx: IntLike = 0
    reduceOnly: bool = False
    avgPrice: str = ""
    cumExecQty: str = "0"
    cumExecValue: str = "0"
    cumExecFee: str = "0"
    leavesQty: str = "0"
    rejectReason: str = ""
    cancelType: str = ""
    createdTime: str = ""
    updatedTime: str = ""
    category: str = ""


class OrderListResult(msgspec.Struct):
    list: List[OrderInfo]
    category: str = ""
    nextPageCursor: str = ""


class Execution(msgspec.Struct):
    """A fill (or funding settlement) from `/v5/execution/list` or the WS `execution` topic."""

    execId: str
    symbol: str
    side: str
    execPrice: str
    execQty: str
    orderId: str = ""
    orderLinkId: str = ""
    execValue: str = ""
    execFee: str = "0"
    feeRate: str = ""
    execType: str = "Trade"
    isMaker: bool = False
    execTime: IntLike = 0
    closedSize: str = ""
    markPrice: str = ""
    category: str = ""


class ExecutionListResult(msgspec.Struct):
    list: List[Execution]
    category: str = ""
    nextPageCursor: str = ""


class PositionInfo(msgspec.Struct):
    """REST names the entry price `avgPrice`; the WS topic names it `entryPrice`."""

    symbol: str
    side: str = ""
    size: str = "0"
    positionIdx: IntLike = 0
    avgPrice: str = ""
    entryPrice: str = ""
    leverage: str = ""
    markPrice: str = ""
    unrealisedPnl: str = ""
    tradeMode: IntLike = 0
    positionStatus: str = ""
    updatedTime: str = ""
    category: str = ""


class PositionListResult(msgspec.Struct):
    list: List[PositionInfo]
    category: str = ""
    nextPageCursor: str = ""


class WalletCoin(msgspec.Struct):
    coin: str
    equity: str = ""
    walletBalance: str = ""
    unrealisedPnl: str = ""
    totalPositionIM: str = ""
    totalOrderIM: str = ""
    availableToWithdraw: str = ""
    locked: str = ""


class WalletAccount(msgspec.Struct):
    accountType: str = ""
    totalEquity: str = ""
    totalWalletBalance: str = ""
    totalAvailableBalance: str = ""
    totalInitialMargin: str = ""
    coin: list[WalletCoin] = msgspec.field(default_factory=list)


class WalletResult(msgspec.Struct):
    list: List[WalletAccount]


class MarginModeResult(msgspec.Struct):
    reasons: list[dict[str, str]] = msgspec.field(default_factory=list)


# ---- WebSocket -------------------------------------------------------------------------


class BookData(msgspec.Struct):
    s: str
    b: list[list[str]]
    a: list[list[str]]
    u: int
    seq: int = 0


class PublicFrame(msgspec.Struct):
    """Any frame of the public linear stream: a book push or an op reply."""

    topic: str = ""
    type: str = ""
    ts: int = 0
    cts: int = 0
    data: BookData | None = None
    op: str = ""
    success: bool | None = None
    ret_msg: str = ""
    req_id: str = ""
    conn_id: str = ""


class PrivateFrame(msgspec.Struct):
    """Any frame of the private stream; `data` is decoded once the topic is known."""

    topic: str = ""
    op: str = ""
    success: bool | None = None
    ret_msg: str = ""
    req_id: str = ""
    id: str = ""
    creationTime: int = 0
    data: msgspec.Raw = msgspec.Raw(b"null")


class TickerFrame(msgspec.Struct):
    """`tickers.{symbol}`: a snapshot, then deltas carrying only the changed fields."""

    topic: str
    data: Ticker
    type: str = ""
    ts: int = 0
    cs: int = 0
