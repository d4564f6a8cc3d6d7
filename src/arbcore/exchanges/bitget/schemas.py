"""msgspec Structs shaped exactly like Bitget v2 mix JSON (REST envelopes and WS frames).

Field names are the wire names. Numbers arrive as strings (REST merge-depth levels as JSON
numbers, decoded straight to Decimal). Unknown fields are ignored, missing optional ones
default to "" so one Struct serves detail, history and push variants. No imports from core.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


class Envelope(msgspec.Struct, Generic[T]):
    """Every REST answer: success iff code == "00000"; errors carry data null."""

    code: str | int
    msg: str = ""
    requestTime: int | str | None = None
    data: T | None = None


class ServerTime(msgspec.Struct):
    serverTime: str


class Contract(msgspec.Struct):
    symbol: str
    baseCoin: str
    quoteCoin: str
    pricePlace: str
    priceEndStep: str
    volumePlace: str
    sizeMultiplier: str
    minTradeNum: str
    symbolType: str = "perpetual"
    symbolStatus: str = "normal"
    minTradeUSDT: str = ""
    minLever: str = ""
    maxLever: str = ""
    makerFeeRate: str = ""
    takerFeeRate: str = ""
    fundInterval: str = ""
    maxMarketOrderQty: str = ""
    maxOrderQty: str = ""
    buyLimitPriceRatio: str = ""
    sellLimitPriceRatio: str = ""
    supportMarginCoins: list[str] = msgspec.field(default_factory=list)
    offTime: str = ""
    limitOpenTime: str = ""
    launchTime: str = ""
    deliveryTime: str = ""


class MergeDepth(msgspec.Struct):
    asks: list[tuple[Decimal, Decimal]]
    bids: list[tuple[Decimal, Decimal]]
    ts: str = ""
    scale: str = ""
    precision: str = ""
    isMaxPrecision: str = ""


class Ticker(msgspec.Struct):
    symbol: str
    lastPr: str = ""
    bidPr: str = ""
    askPr: str = ""
    bidSz: str = ""
    askSz: str = ""
    markPrice: str = ""
    indexPrice: str = ""
    fundingRate: str = ""
    holdingAmount: str = ""
    ts: str = ""


class CurrentFundRate(msgspec.Struct):
    symbol: str
    fundingRate: str
    fundingRateInterval: str = ""
    nextUpdate: str = ""
    minFundingRate: str = ""
    maxFundingRate: str = ""


class FundingTime(msgspec.Struct):
    symbol: str
    nextFundingTime: str
    ratePeriod: str = ""


class OrderAck(msgspec.Struct):
    """place-order / cancel-order answer: an acknowledgement, never a fill report."""

    orderId: str | None = ""
    clientOid: str | None = ""


class OrderDetail(msgspec.Struct):
    """order/detail (`state`) and orders-history entries (`status`)."""

    symbol: str
    orderId: str
    clientOid: str = ""
    size: str = ""
    baseVolume: str = ""
    quoteVolume: str = ""
    priceAvg: str = ""
    price: str = ""
    fee: str = ""
    state: str = ""
    status: str = ""
    side: str = ""
    force: str = ""
    orderType: str = ""
    posSide: str = ""
    tradeSide: str = ""
    posMode: str = ""
    reduceOnly: str = ""
    marginMode: str = ""
    marginCoin: str = ""
    leverage: str = ""
    totalProfits: str = ""
    enterPointSource: str = ""
    orderSource: str = ""
    cTime: str = ""
    uTime: str = ""


class OrdersHistory(msgspec.Struct):
    entrustedList: list[OrderDetail] | None = None
    endId: str | None = None


class FeeDetail(msgspec.Struct):
    feeCoin: str = ""
    totalFee: str | None = ""
    deduction: str = ""
    totalDeductionFee: str | None = ""


class FillRecord(msgspec.Struct):
    tradeId: str
    orderId: str
    symbol: str
    side: str
    price: str
    baseVolume: str
    quoteVolume: str = ""
    profit: str = ""
    tradeSide: str = ""
    posMode: str = ""
    tradeScope: str = ""
    enterPointSource: str = ""
    feeDetail: list[FeeDetail] = msgspec.field(default_factory=list)
    cTime: str = ""


class Fills(msgspec.Struct):
    fillList: list[FillRecord] | None = None
    endId: str | None = None


class PositionRecord(msgspec.Struct):
    symbol: str
    holdSide: str
    total: str
    marginCoin: str = ""
    available: str = ""
    locked: str = ""
    openDelegateSize: str = ""
    marginSize: str = ""
    leverage: str = ""
    achievedProfits: str = ""
    openPriceAvg: str = ""
    marginMode: str = ""
    posMode: str = ""
    unrealizedPL: str = ""
    liquidationPrice: str = ""
    keepMarginRate: str = ""
    markPrice: str = ""
    marginRatio: str = ""
    breakEvenPrice: str = ""
    totalFee: str = ""
    deductedFee: str = ""
    cTime: str = ""
    uTime: str = ""


class AccountRecord(msgspec.Struct):
    """account/accounts entries; account/account adds leverage and mode fields."""

    marginCoin: str
    available: str = ""
    locked: str = ""
    crossedMaxAvailable: str = ""
    isolatedMaxAvailable: str = ""
    maxTransferOut: str = ""
    accountEquity: str = ""
    usdtEquity: str = ""
    btcEquity: str = ""
    crossedRiskRate: str = ""
    unrealizedPL: str = ""
    coupon: str = ""
    crossedMarginLeverage: str | int | None = None
    isolatedLongLever: str | int | None = None
    isolatedShortLever: str | int | None = None
    marginMode: str = ""
    posMode: str = ""
    assetMode: str = ""


class LeverageResult(msgspec.Struct):
    symbol: str = ""
    marginCoin: str = ""
    longLeverage: str | int | None = None
    shortLeverage: str | int | None = None
    crossMarginLeverage: str | int | None = None
    marginMode: str = ""


class PositionModeResult(msgspec.Struct):
    posMode: str = ""


class Bill(msgspec.Struct):
    billId: str
    symbol: str = ""
    amount: str = ""
    fee: str = ""
    businessType: str = ""
    coin: str = ""
    cTime: str = ""


class Bills(msgspec.Struct):
    bills: list[Bill] | None = None
    endId: str | None = None


# --- WebSocket ------------------------------------------------------------------------------


class WsArg(msgspec.Struct):
    instType: str = ""
    channel: str = ""
    instId: str = ""


class WsHead(msgspec.Struct):
    """Peeked first to route a frame: events carry `event`, data pushes `action` + `arg`."""

    event: str = ""
    action: str = ""
    arg: WsArg | None = None
    code: int | str | None = None
    msg: str = ""


class WsBookData(msgspec.Struct):
    asks: list[tuple[str, str]] = msgspec.field(default_factory=list)
    bids: list[tuple[str, str]] = msgspec.field(default_factory=list)
    checksum: int = 0
    seq: int = 0
    ts: str = ""


class WsBookPush(msgspec.Struct):
    action: str
    arg: WsArg
    data: list[WsBookData]
    ts: int = 0


class WsFeeDetail(msgspec.Struct):
    feeCoin: str = ""
    fee: str = ""


class WsOrder(msgspec.Struct):
    instId: str
    orderId: str
    clientOid: str = ""
    size: str = ""
    newSize: str = ""
    notionalUsd: str = ""
    orderType: str = ""
    force: str = ""
    side: str = ""
    posSide: str = ""
    tradeSide: str = ""
    marginMode: str = ""
    marginCoin: str = ""
    price: str = ""
    fillPrice: str = ""
    tradeId: str = ""
    baseVolume: str = ""
    fillTime: str = ""
    fillFee: str = ""
    fillFeeCoin: str = ""
    tradeScope: str = ""
    accBaseVolume: str = ""
    priceAvg: str = ""
    status: str = ""
    leverage: str = ""
    reduceOnly: str = ""
    feeDetail: list[WsFeeDetail] = msgspec.field(default_factory=list)
    cTime: str = ""
    uTime: str = ""


class WsOrderPush(msgspec.Struct):
    action: str
    arg: WsArg
    data: list[WsOrder]
    ts: int = 0


class WsFill(msgspec.Struct):
    orderId: str
    tradeId: str
    symbol: str
    side: str
    price: str
    baseVolume: str
    quoteVolume: str = ""
    profit: str = ""
    tradeSide: str = ""
    tradeScope: str = ""
    feeDetail: list[FeeDetail] = msgspec.field(default_factory=list)
    cTime: str = ""


class WsFillPush(msgspec.Struct):
    action: str
    arg: WsArg
    data: list[WsFill]
    ts: int = 0


class WsPosition(msgspec.Struct):
    instId: str
    holdSide: str
    total: str
    posId: str = ""
    marginCoin: str = ""
    marginMode: str = ""
    posMode: str = ""
    available: str = ""
    openPriceAvg: str = ""
    leverage: str | int = ""
    unrealizedPL: str = ""
    liquidationPrice: str = ""
    markPrice: str = ""
    cTime: str = ""
    uTime: str = ""


class WsPositionPush(msgspec.Struct):
    action: str
    arg: WsArg
    data: list[WsPosition]
    ts: int = 0


class WsAccount(msgspec.Struct):
    marginCoin: str
    frozen: str = ""
    available: str = ""
    maxOpenPosAvailable: str = ""
    maxTransferOut: str = ""
    equity: str = ""
    usdtEquity: str = ""


class WsAccountPush(msgspec.Struct):
    action: str
    arg: WsArg
    data: list[WsAccount]
    ts: int = 0
